//! The LU-parameterized invertible linear layer.

use nalgebra::SVector;
use rand::Rng;

use super::LuMatrix;
use crate::gradient::BijectionGradient;
use crate::{Bijection, Random, Real, impl_parameters};

/// `z = W x + b` with `W = P L U` an [`LuMatrix`] (a fixed permutation, unit lower-triangular `L`,
/// upper-triangular `U` with diagonal `±exp(d_i)`): an invertible linear map that mixes every
/// element with every other, with `log|det dz/dx| = Σ d_i` in `O(D)` and an inverse by two
/// triangular solves (torchflows' `LULinear`, Glow's LU-decomposed 1x1 convolution on vectors).
///
/// It ignores the context. It starts as the identity (zero parameters); torchflows draws the
/// triangular entries at random.
///
/// ```
/// use flows::Bijection;
/// use flows::layer::LuLinear;
/// use flows::nalgebra::SVector;
///
/// let mut layer = LuLinear::<f64, 3>::identity();
/// layer.weight.factors[(2, 0)] = 0.5; // l_20
/// layer.weight.factors[(1, 1)] = 1.0; // log|u_11|
/// layer.bias = SVector::from([0.0, 1.0, 0.0]);
/// let x = SVector::from([1.0, 2.0, 3.0]);
/// let (z, log_det) = Bijection::<f64, 3, 0>::forward(&layer, &x, &SVector::zeros());
/// assert_eq!(log_det, 1.0);
/// let (back, inverse_log_det) = Bijection::<f64, 3, 0>::inverse(&layer, &z, &SVector::zeros());
/// assert!((back - x).norm() < 1e-12 && inverse_log_det == -1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LuLinear<T: Real, const D: usize> {
    /// The matrix `W`.
    pub weight: LuMatrix<T, D>,
    /// The bias `b`.
    pub bias: SVector<T, D>,
}

impl<T: Real, const D: usize> LuLinear<T, D> {
    /// The identity.
    ///
    /// ```
    /// let layer = flows::layer::LuLinear::<f32, 4>::identity();
    /// assert_eq!(layer.bias, flows::nalgebra::SVector::<f32, 4>::zeros());
    /// ```
    pub fn identity() -> Self {
        Self::with_weight(LuMatrix::identity())
    }

    /// The layer with matrix `weight` (its permutation and signs fixed there) and zero bias.
    ///
    /// ```
    /// use flows::layer::{LuLinear, LuMatrix, Permutation};
    ///
    /// let reversed = LuMatrix::<f64, 3>::new(Permutation::new(&[2, 1, 0]).unwrap(), [false; 3]);
    /// let layer = LuLinear::with_weight(reversed);
    /// assert_eq!(layer.weight.to_matrix()[(0, 2)], 1.0);
    /// ```
    pub fn with_weight(weight: LuMatrix<T, D>) -> Self {
        Self {
            weight,
            bias: SVector::zeros(),
        }
    }
}

impl<T: Real, const D: usize> Default for LuLinear<T, D> {
    fn default() -> Self {
        Self::identity()
    }
}

impl<T: Real, const D: usize, const C: usize> Bijection<T, D, C> for LuLinear<T, D> {
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        (self.weight.apply(x) + self.bias, self.weight.log_abs_det())
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        (
            self.weight.solve(&(z - self.bias)),
            -self.weight.log_abs_det(),
        )
    }
}

impl<T: Real, const D: usize, const C: usize> BijectionGradient<T, D, C> for LuLinear<T, D> {
    fn backward_forward(
        &self,
        x: &SVector<T, D>,
        _context: &SVector<T, C>,
        d_z: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        grad.bias += d_z;
        self.weight
            .log_abs_det_backward(d_log_det, &mut grad.weight);
        self.weight.apply_backward(x, d_z, &mut grad.weight)
    }

    fn backward_inverse(
        &self,
        z: &SVector<T, D>,
        _context: &SVector<T, C>,
        d_x: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        // x = W⁻¹ (z − b), log-det −log|det W|.
        let x = self.weight.solve(&(z - self.bias));
        self.weight
            .log_abs_det_backward(-d_log_det, &mut grad.weight);
        let d_z = self.weight.solve_backward(&x, d_x, &mut grad.weight);
        grad.bias -= d_z;
        d_z
    }
}

impl<T: Real, const D: usize> Random for LuLinear<T, D> {
    /// The identity.
    fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
        Self::identity()
    }
}

impl_parameters!([T: Real, const D: usize] LuLinear<T, D> {
    weight: LuMatrix<T, D>,
    bias: SVector<T, D>,
});
