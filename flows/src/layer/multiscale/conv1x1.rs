//! The invertible 1x1 convolution of Glow, LU-parameterized.

use nalgebra::{SMatrix, SVector};
use rand::{Rng, RngExt};

use crate::gradient::BijectionGradient;
use crate::{Bijection, Random, Real, impl_parameters};

/// The same invertible `C x C` matrix `M = P L U` applied to the channel vector of every pixel of
/// a `C`-channel image of `D = C·H·W` elements (Kingma and Dhariwal 2018); log-det
/// `H·W·log|det M| = H·W·Σ log_diag` (torchflows leaves out the `H·W`).
///
/// `P` is a fixed permutation (`(P v)[i] = v[permutation[i]]`, drawn at initialization), `L` is
/// unit lower triangular, `U` upper triangular with the diagonal `exp(log_diag)`. The parameters
/// are one `C x C` matrix `lu`: its strict lower part is `L`'s, its strict upper part `U`'s, and
/// its diagonal is `log_diag`. Zero parameters give `M = P`, a channel permutation. Both
/// directions cost two triangular products or solves per pixel; nothing is inverted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv1x1<T: Real, const C: usize, const D: usize> {
    /// `L` below the diagonal, `log_diag` on it, `U` above it.
    pub lu: SMatrix<T, C, C>,
    /// The fixed channel permutation `P`.
    pub permutation: [usize; C],
}

impl<T: Real, const C: usize, const D: usize> Conv1x1<T, C, D> {
    const SHAPE: () = assert!(
        C > 0 && D % C == 0,
        "Conv1x1: the event size must be a multiple of the channels"
    );

    /// Pixels per channel.
    const PIXELS: usize = {
        let () = Self::SHAPE;
        D / C
    };

    /// `M = P` (zero parameters) with the given permutation; `None` unless it holds every channel
    /// once.
    pub fn with_permutation(permutation: [usize; C]) -> Option<Self> {
        let mut seen = [false; C];
        for &p in &permutation {
            if p >= C || core::mem::replace(&mut seen[p], true) {
                return None;
            }
        }
        Some(Self {
            lu: SMatrix::zeros(),
            permutation,
        })
    }

    /// The channel vector of pixel `p`.
    #[inline]
    fn pixel(x: &SVector<T, D>, p: usize) -> SVector<T, C> {
        SVector::from_fn(|c, _| x[c * Self::PIXELS + p])
    }

    /// Writes the channel vector `v` at pixel `p`.
    #[inline]
    fn set_pixel(x: &mut SVector<T, D>, p: usize, v: &SVector<T, C>) {
        for c in 0..C {
            x[c * Self::PIXELS + p] = v[c];
        }
    }

    /// `U x`.
    #[inline]
    fn upper(&self, x: &SVector<T, C>) -> SVector<T, C> {
        SVector::from_fn(|i, _| {
            let mut s = self.lu[(i, i)].exp() * x[i];
            for j in i + 1..C {
                s += self.lu[(i, j)] * x[j];
            }
            s
        })
    }

    /// `L x`.
    #[inline]
    fn lower(&self, x: &SVector<T, C>) -> SVector<T, C> {
        SVector::from_fn(|i, _| {
            let mut s = x[i];
            for j in 0..i {
                s += self.lu[(i, j)] * x[j];
            }
            s
        })
    }

    /// `U⁻¹ y` (back substitution), or `U⁻ᵀ y` (forward substitution) when `transposed`.
    #[inline]
    fn solve_upper(&self, y: &SVector<T, C>, transposed: bool) -> SVector<T, C> {
        let mut x = *y;
        for step in 0..C {
            let i = if transposed { step } else { C - 1 - step };
            let mut s = x[i];
            for j in 0..C {
                let coupled = if transposed { j < i } else { j > i };
                if coupled {
                    let u = if transposed {
                        self.lu[(j, i)]
                    } else {
                        self.lu[(i, j)]
                    };
                    s -= u * x[j];
                }
            }
            x[i] = s * (-self.lu[(i, i)]).exp();
        }
        x
    }

    /// `L⁻¹ y` (forward substitution), or `L⁻ᵀ y` (back substitution) when `transposed`.
    #[inline]
    fn solve_lower(&self, y: &SVector<T, C>, transposed: bool) -> SVector<T, C> {
        let mut x = *y;
        for step in 0..C {
            let i = if transposed { C - 1 - step } else { step };
            let mut s = x[i];
            for j in 0..C {
                let coupled = if transposed { j > i } else { j < i };
                if coupled {
                    let l = if transposed {
                        self.lu[(j, i)]
                    } else {
                        self.lu[(i, j)]
                    };
                    s -= l * x[j];
                }
            }
            x[i] = s;
        }
        x
    }

    /// `P v`.
    #[inline]
    fn permute(&self, v: &SVector<T, C>) -> SVector<T, C> {
        SVector::from_fn(|i, _| v[self.permutation[i]])
    }

    /// `Pᵀ y`.
    #[inline]
    fn unpermute(&self, y: &SVector<T, C>) -> SVector<T, C> {
        let mut v = SVector::<T, C>::zeros();
        for (i, &p) in self.permutation.iter().enumerate() {
            v[p] = y[i];
        }
        v
    }

    /// `log|det M|` of one pixel.
    #[inline]
    fn log_det(&self) -> T {
        self.lu.diagonal().sum()
    }
}

impl<T: Real, const C: usize, const D: usize, const X: usize> Bijection<T, D, X>
    for Conv1x1<T, C, D>
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        let mut z = SVector::<T, D>::zeros();
        for p in 0..Self::PIXELS {
            let y = self.permute(&self.lower(&self.upper(&Self::pixel(x, p))));
            Self::set_pixel(&mut z, p, &y);
        }
        (z, self.log_det() * T::lit(Self::PIXELS as f64))
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        let mut x = SVector::<T, D>::zeros();
        for p in 0..Self::PIXELS {
            let w = self.unpermute(&Self::pixel(z, p));
            let v = self.solve_upper(&self.solve_lower(&w, false), false);
            Self::set_pixel(&mut x, p, &v);
        }
        (x, -self.log_det() * T::lit(Self::PIXELS as f64))
    }
}

impl<T: Real, const C: usize, const D: usize, const X: usize> BijectionGradient<T, D, X>
    for Conv1x1<T, C, D>
{
    fn backward_forward(
        &self,
        x: &SVector<T, D>,
        _context: &SVector<T, X>,
        d_z: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        // u = U x, v = L u, y = P v; log-det N Σ d.
        let mut d_x = SVector::<T, D>::zeros();
        for p in 0..Self::PIXELS {
            let xp = Self::pixel(x, p);
            let u = self.upper(&xp);
            let d_v = self.unpermute(&Self::pixel(d_z, p));
            let mut d_u = d_v;
            let mut d_xp = SVector::<T, C>::zeros();
            for i in 0..C {
                for j in 0..i {
                    grad.lu[(i, j)] += d_v[i] * u[j];
                    d_u[j] += self.lu[(i, j)] * d_v[i];
                }
            }
            for i in 0..C {
                let diagonal = self.lu[(i, i)].exp();
                grad.lu[(i, i)] += d_u[i] * diagonal * xp[i];
                d_xp[i] += diagonal * d_u[i];
                for j in i + 1..C {
                    grad.lu[(i, j)] += d_u[i] * xp[j];
                    d_xp[j] += self.lu[(i, j)] * d_u[i];
                }
            }
            Self::set_pixel(&mut d_x, p, &d_xp);
        }
        let pixels = T::lit(Self::PIXELS as f64);
        for i in 0..C {
            grad.lu[(i, i)] += d_log_det * pixels;
        }
        d_x
    }

    fn backward_inverse(
        &self,
        z: &SVector<T, D>,
        _context: &SVector<T, X>,
        d_x: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        // w = Pᵀ y, v = L⁻¹ w, x = U⁻¹ v; log-det −N Σ d. With d_v = U⁻ᵀ d_x: dU gets −d_v xᵀ;
        // with d_w = L⁻ᵀ d_v: dL gets −d_w vᵀ.
        let mut d_z = SVector::<T, D>::zeros();
        for p in 0..Self::PIXELS {
            let v = self.solve_lower(&self.unpermute(&Self::pixel(z, p)), false);
            let xp = self.solve_upper(&v, false);
            let d_v = self.solve_upper(&Self::pixel(d_x, p), true);
            let d_w = self.solve_lower(&d_v, true);
            for i in 0..C {
                for j in 0..i {
                    grad.lu[(i, j)] -= d_w[i] * v[j];
                }
                grad.lu[(i, i)] -= d_v[i] * xp[i] * self.lu[(i, i)].exp();
                for j in i + 1..C {
                    grad.lu[(i, j)] -= d_v[i] * xp[j];
                }
            }
            Self::set_pixel(&mut d_z, p, &self.permute(&d_w));
        }
        let pixels = T::lit(Self::PIXELS as f64);
        for i in 0..C {
            grad.lu[(i, i)] -= d_log_det * pixels;
        }
        d_z
    }
}

impl<T: Real, const C: usize, const D: usize> Random for Conv1x1<T, C, D> {
    /// Zero parameters and a uniformly drawn permutation (Fisher-Yates).
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mut permutation: [usize; C] = core::array::from_fn(|i| i);
        for i in (1..C).rev() {
            permutation.swap(i, rng.random_range(0..=i));
        }
        Self {
            lu: SMatrix::zeros(),
            permutation,
        }
    }
}

impl_parameters!([T: Real, const C: usize, const D: usize] Conv1x1<T, C, D> {
    lu: SMatrix<T, C, C>,
});
