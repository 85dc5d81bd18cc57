//! An invertible square matrix in LU form, `W = P L U`, with its products, solves, log-determinant
//! and their gradients: the part an LU linear layer and a 1x1 convolution share.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::layer::Permutation;
use crate::{Bijection, Random, Real, impl_parameters};

/// An invertible `N x N` matrix `W = P L U` (Kingma and Dhariwal 2018): a fixed permutation `P`,
/// a unit lower-triangular `L` and an upper-triangular `U` whose diagonal is `u_ii = s_i exp(d_i)`
/// with fixed signs `s_i = ±1`, so `W` is invertible for every parameter value and
/// `log|det W| = Σ d_i`.
///
/// The `N²` parameters are packed in one matrix, [`factors`](Self::factors): below the diagonal
/// the entries of `L`, above it those of `U`, on it the `d_i`. Zero parameters with the identity
/// permutation and positive signs give the identity matrix. Products cost `N²` multiply-adds and
/// solves two triangular substitutions; nothing is allocated.
///
/// ```
/// use flows::layer::{LuMatrix, Permutation};
/// use flows::nalgebra::{SMatrix, SVector};
///
/// let mut w = LuMatrix::<f64, 2>::new(Permutation::new(&[1, 0]).unwrap(), [false, true]);
/// w.factors = SMatrix::from([[0.5, 0.25], [2.0, -0.5]]); // column-major: l_10 = 0.25, u_01 = 2
/// let x = SVector::from([1.0, -2.0]);
/// let y = w.apply(&x);
/// assert!((y - w.to_matrix() * x).norm() < 1e-12);
/// assert!((w.solve(&y) - x).norm() < 1e-12);
/// assert!((w.log_abs_det() - w.to_matrix().determinant().abs().ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LuMatrix<T: Real, const N: usize> {
    /// `L` below the diagonal, `U` above it, `log|u_ii|` on it.
    pub factors: SMatrix<T, N, N>,
    signs: SVector<T, N>,
    permutation: Permutation<N>,
}

/// One triangular factor (or its transpose) read from the packed factors.
struct Triangle<'a, T: Real, const N: usize> {
    factors: &'a SMatrix<T, N, N>,
    /// Whether the nonzero entries are on and below the diagonal.
    lower: bool,
    /// Whether entry `(i, j)` is read at `(j, i)` of the packed factors.
    transposed: bool,
    diagonal: SVector<T, N>,
}

impl<T: Real, const N: usize> Triangle<'_, T, N> {
    /// `Σ_j m_ij x_j` over the off-diagonal entries of row `i`.
    fn off_diagonal_dot(&self, i: usize, x: &SVector<T, N>) -> T {
        let columns = if self.lower { 0..i } else { i + 1..N };
        columns.fold(T::zero(), |sum, j| {
            let m = if self.transposed {
                self.factors[(j, i)]
            } else {
                self.factors[(i, j)]
            };
            sum + m * x[j]
        })
    }

    /// `M x`.
    fn mul(&self, x: &SVector<T, N>) -> SVector<T, N> {
        SVector::from_fn(|i, _| self.diagonal[i] * x[i] + self.off_diagonal_dot(i, x))
    }

    /// `M⁻¹ y` by substitution: forward for a lower triangle, backward for an upper one.
    fn solve(&self, y: &SVector<T, N>) -> SVector<T, N> {
        let mut x = SVector::<T, N>::zeros();
        for k in 0..N {
            let i = if self.lower { k } else { N - 1 - k };
            x[i] = (y[i] - self.off_diagonal_dot(i, &x)) / self.diagonal[i];
        }
        x
    }
}

impl<T: Real, const N: usize> LuMatrix<T, N> {
    /// The identity: identity permutation, positive signs, zero parameters.
    ///
    /// ```
    /// let w = flows::layer::LuMatrix::<f32, 3>::identity();
    /// assert_eq!(w.to_matrix(), flows::nalgebra::SMatrix::<f32, 3, 3>::identity());
    /// ```
    pub fn identity() -> Self {
        Self::new(Permutation::identity(), [false; N])
    }

    /// The matrix with permutation `permutation`, diagonal signs `-1` where `negative` is true,
    /// and zero parameters (`W = P S`, `S` the diagonal of signs).
    ///
    /// ```
    /// use flows::layer::{LuMatrix, Permutation};
    ///
    /// let w = LuMatrix::<f64, 2>::new(Permutation::new(&[1, 0]).unwrap(), [true, false]);
    /// assert_eq!(w.to_matrix(), flows::nalgebra::SMatrix::<f64, 2, 2>::new(0.0, 1.0, -1.0, 0.0));
    /// ```
    pub fn new(permutation: Permutation<N>, negative: [bool; N]) -> Self {
        Self {
            factors: SMatrix::zeros(),
            signs: SVector::from_fn(|i, _| if negative[i] { -T::one() } else { T::one() }),
            permutation,
        }
    }

    /// The diagonal of `U`: `u_ii = s_i exp(d_i)`.
    fn diagonal(&self) -> SVector<T, N> {
        SVector::from_fn(|i, _| self.signs[i] * self.factors[(i, i)].exp())
    }

    /// `L` (`transposed`: `Lᵀ`).
    fn lower(&self, transposed: bool) -> Triangle<'_, T, N> {
        Triangle {
            factors: &self.factors,
            lower: !transposed,
            transposed,
            diagonal: SVector::repeat(T::one()),
        }
    }

    /// `U` (`transposed`: `Uᵀ`).
    fn upper(&self, transposed: bool) -> Triangle<'_, T, N> {
        Triangle {
            factors: &self.factors,
            lower: transposed,
            transposed,
            diagonal: self.diagonal(),
        }
    }

    /// `P v`: `(P v)_i = v_{order[i]}`.
    fn permute(&self, v: &SVector<T, N>) -> SVector<T, N> {
        Bijection::<T, N, 0>::forward(&self.permutation, v, &SVector::zeros()).0
    }

    /// `Pᵀ v = P⁻¹ v`.
    fn unpermute(&self, v: &SVector<T, N>) -> SVector<T, N> {
        Bijection::<T, N, 0>::inverse(&self.permutation, v, &SVector::zeros()).0
    }

    /// `W x = P L U x`.
    #[inline]
    pub fn apply(&self, x: &SVector<T, N>) -> SVector<T, N> {
        self.permute(&self.lower(false).mul(&self.upper(false).mul(x)))
    }

    /// `W⁻¹ y = U⁻¹ L⁻¹ Pᵀ y`, by two triangular substitutions.
    #[inline]
    pub fn solve(&self, y: &SVector<T, N>) -> SVector<T, N> {
        self.upper(false)
            .solve(&self.lower(false).solve(&self.unpermute(y)))
    }

    /// `log|det W| = Σ d_i`.
    #[inline]
    pub fn log_abs_det(&self) -> T {
        self.factors.diagonal().sum()
    }

    /// `W` as a dense matrix.
    pub fn to_matrix(&self) -> SMatrix<T, N, N> {
        let mut matrix = SMatrix::<T, N, N>::identity();
        for j in 0..N {
            let column = self.apply(&matrix.column(j).into_owned());
            matrix.set_column(j, &column);
        }
        matrix
    }

    /// Reverse mode through [`apply`](Self::apply) at `x`: given `d_y`, the loss gradient with
    /// respect to `W x`, adds the parameter gradient into `grad` and returns `Wᵀ d_y`, the
    /// gradient with respect to `x`.
    ///
    /// ```
    /// use flows::layer::LuMatrix;
    /// use flows::nalgebra::SVector;
    ///
    /// let mut w = LuMatrix::<f64, 2>::identity();
    /// w.factors[(1, 0)] = 3.0; // l_10
    /// let mut grad = LuMatrix::identity();
    /// let d_x = w.apply_backward(&SVector::from([1.0, 2.0]), &SVector::from([0.0, 1.0]), &mut grad);
    /// assert_eq!(d_x, SVector::from([3.0, 1.0]));
    /// assert_eq!(grad.factors[(1, 0)], 1.0); // d y_1 / d l_10 = x_0
    /// ```
    pub fn apply_backward(
        &self,
        x: &SVector<T, N>,
        d_y: &SVector<T, N>,
        grad: &mut Self,
    ) -> SVector<T, N> {
        let v = self.upper(false).mul(x);
        let d_w = self.unpermute(d_y);
        let d_v = self.lower(true).mul(&d_w);
        self.add_outer(grad, T::one(), x, &v, &d_v, &d_w);
        self.upper(true).mul(&d_v)
    }

    /// Reverse mode through [`solve`](Self::solve) at `y`, given the solution `x = W⁻¹ y` and
    /// `d_x`, the loss gradient with respect to it: adds the parameter gradient into `grad` and
    /// returns `W⁻ᵀ d_x`, the gradient with respect to `y`.
    ///
    /// ```
    /// use flows::layer::LuMatrix;
    /// use flows::nalgebra::SVector;
    ///
    /// let mut w = LuMatrix::<f64, 1>::identity();
    /// w.factors[(0, 0)] = 2.0_f64.ln(); // W = [2]
    /// let mut grad = LuMatrix::identity();
    /// let x = w.solve(&SVector::from([3.0])); // 1.5
    /// let d_y = w.solve_backward(&x, &SVector::from([1.0]), &mut grad);
    /// assert_eq!(d_y, SVector::from([0.5]));
    /// assert!((grad.factors[(0, 0)] + 1.5).abs() < 1e-12); // d (y / e^d) / d d = -x
    /// ```
    pub fn solve_backward(
        &self,
        x: &SVector<T, N>,
        d_x: &SVector<T, N>,
        grad: &mut Self,
    ) -> SVector<T, N> {
        // x = U⁻¹ v, v = L⁻¹ w, w = Pᵀ y: d_v = U⁻ᵀ d_x, d_w = L⁻ᵀ d_v, and the factors'
        // gradients are those of the product with the opposite sign.
        let v = self.upper(false).mul(x);
        let d_v = self.upper(true).solve(d_x);
        let d_w = self.lower(true).solve(&d_v);
        self.add_outer(grad, -T::one(), x, &v, &d_v, &d_w);
        self.permute(&d_w)
    }

    /// Adds `d_log_det` times the gradient of [`log_abs_det`](Self::log_abs_det) into `grad`.
    ///
    /// ```
    /// let w = flows::layer::LuMatrix::<f64, 2>::identity();
    /// let mut grad = flows::layer::LuMatrix::identity();
    /// w.log_abs_det_backward(0.5, &mut grad);
    /// assert_eq!(grad.factors.diagonal(), flows::nalgebra::SVector::from([0.5, 0.5]));
    /// ```
    pub fn log_abs_det_backward(&self, d_log_det: T, grad: &mut Self) {
        for i in 0..N {
            grad.factors[(i, i)] += d_log_det;
        }
    }

    /// The parameter gradient of `v = U x`, `w = L v` given `d_v` and `d_w`, times `sign`:
    /// `d_w vᵀ` below the diagonal, `d_v xᵀ` above it and `d_v_i x_i u_ii` on it.
    fn add_outer(
        &self,
        grad: &mut Self,
        sign: T,
        x: &SVector<T, N>,
        v: &SVector<T, N>,
        d_v: &SVector<T, N>,
        d_w: &SVector<T, N>,
    ) {
        let diagonal = self.diagonal();
        for j in 0..N {
            for i in 0..N {
                let g = match i.cmp(&j) {
                    core::cmp::Ordering::Greater => d_w[i] * v[j],
                    core::cmp::Ordering::Less => d_v[i] * x[j],
                    core::cmp::Ordering::Equal => d_v[i] * x[i] * diagonal[i],
                };
                grad.factors[(i, j)] += sign * g;
            }
        }
    }
}

impl<T: Real, const N: usize> Default for LuMatrix<T, N> {
    fn default() -> Self {
        Self::identity()
    }
}

impl<T: Real, const N: usize> Random for LuMatrix<T, N> {
    /// The identity (an LU layer starts as the identity, as every layer of the crate).
    fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
        Self::identity()
    }
}

impl_parameters!([T: Real, const N: usize] LuMatrix<T, N> {
    factors: SMatrix<T, N, N>,
});
