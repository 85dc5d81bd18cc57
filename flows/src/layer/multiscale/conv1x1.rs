//! The invertible 1x1 convolution of Glow, LU-parameterized.

use nalgebra::SVector;
use rand::{Rng, RngExt};

use crate::gradient::BijectionGradient;
use crate::layer::{LuMatrix, Permutation};
use crate::{Bijection, Random, Real, impl_parameters};

/// The same invertible `C x C` matrix `M` ([`LuMatrix`], `P L U`) applied to the channel vector
/// of every pixel of a `C`-channel image of `D = C·H·W` elements (Kingma and Dhariwal 2018);
/// log-det `H·W·log|det M|` (torchflows leaves out the `H·W`). Both directions cost two
/// triangular products or solves per pixel; nothing is inverted.
///
/// A random initialization draws the permutation `P` uniformly, with zero parameters: `M = P`, a
/// channel permutation (Glow draws a random rotation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv1x1<T: Real, const C: usize, const D: usize> {
    /// The matrix `M`.
    pub weight: LuMatrix<T, C>,
}

impl<T: Real, const C: usize, const D: usize> Conv1x1<T, C, D> {
    const SHAPE: () = assert!(
        C > 0 && D.is_multiple_of(C),
        "Conv1x1: the event size must be a multiple of the channels"
    );

    /// Pixels per channel.
    const PIXELS: usize = {
        let () = Self::SHAPE;
        D / C
    };

    /// The convolution with matrix `weight`.
    pub fn new(weight: LuMatrix<T, C>) -> Self {
        Self { weight }
    }

    /// `out` with pixel `p` set to `map(pixel p of x)` for every pixel.
    #[inline]
    fn per_pixel(
        x: &SVector<T, D>,
        mut map: impl FnMut(usize, SVector<T, C>) -> SVector<T, C>,
    ) -> SVector<T, D> {
        let mut out = SVector::<T, D>::zeros();
        for p in 0..Self::PIXELS {
            let pixel = SVector::<T, C>::from_fn(|c, _| x[c * Self::PIXELS + p]);
            for (c, v) in map(p, pixel).iter().enumerate() {
                out[c * Self::PIXELS + p] = *v;
            }
        }
        out
    }

    /// The log-det of the whole image.
    #[inline]
    fn log_det(&self) -> T {
        self.weight.log_abs_det() * T::lit(Self::PIXELS as f64)
    }
}

impl<T: Real, const C: usize, const D: usize, const X: usize> Bijection<T, D, X>
    for Conv1x1<T, C, D>
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        (
            Self::per_pixel(x, |_, v| self.weight.apply(&v)),
            self.log_det(),
        )
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        (
            Self::per_pixel(z, |_, v| self.weight.solve(&v)),
            -self.log_det(),
        )
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
        let d_x = Self::per_pixel(d_z, |p, d_y| {
            let pixel = SVector::<T, C>::from_fn(|c, _| x[c * Self::PIXELS + p]);
            self.weight.apply_backward(&pixel, &d_y, &mut grad.weight)
        });
        self.weight
            .log_abs_det_backward(d_log_det * T::lit(Self::PIXELS as f64), &mut grad.weight);
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
        let d_z = Self::per_pixel(d_x, |p, d_xp| {
            let pixel = SVector::<T, C>::from_fn(|c, _| z[c * Self::PIXELS + p]);
            let solution = self.weight.solve(&pixel);
            self.weight
                .solve_backward(&solution, &d_xp, &mut grad.weight)
        });
        self.weight
            .log_abs_det_backward(-d_log_det * T::lit(Self::PIXELS as f64), &mut grad.weight);
        d_z
    }
}

impl<T: Real, const C: usize, const D: usize> Random for Conv1x1<T, C, D> {
    /// Zero parameters and a uniformly drawn permutation (Fisher-Yates).
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mut order: [usize; C] = core::array::from_fn(|i| i);
        for i in (1..C).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let permutation = Permutation::new(&order).unwrap_or_else(|_| Permutation::identity());
        Self::new(LuMatrix::new(permutation, [false; C]))
    }
}

impl_parameters!([T: Real, const C: usize, const D: usize] Conv1x1<T, C, D> {
    weight: LuMatrix<T, C>,
});
