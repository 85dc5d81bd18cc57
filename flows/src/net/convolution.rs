//! 3x3 convolutions of small images with zero padding.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::{Random, Real, impl_parameters};

/// A 3x3 convolution (PyTorch's cross-correlation, stride 1, zero padding 1) from `I` to `O`
/// channels. An image of `N` pixels is an `I x N` matrix: column `p` is the channel vector of
/// pixel `p`, pixels row-major; the width is an argument (the height is `N / width`).
///
/// Tap `k` (`dy = k / 3 − 1`, `dx = k mod 3 − 1`) weighs the input pixel at `(row + dy,
/// column + dx)`: output pixel `p` is `bias + Σ_k weight[k] · input(p shifted by tap k)`, where
/// pixels outside the image are zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv3x3<T: Real, const O: usize, const I: usize> {
    /// The weights of the nine taps, row by row of the kernel.
    pub weight: [SMatrix<T, O, I>; 9],
    /// The bias of each output channel.
    pub bias: SVector<T, O>,
}

/// The input pixel that tap `tap` of output pixel `p` reads, if inside a `width`-wide image of
/// `n` pixels.
#[inline]
fn tap_source(p: usize, tap: usize, width: usize, n: usize) -> Option<usize> {
    let (row, column) = (p / width, p % width);
    let row = (row + tap / 3).checked_sub(1)?;
    let column = (column + tap % 3).checked_sub(1)?;
    (row < n / width && column < width).then_some(row * width + column)
}

/// The image `x` as tap `tap` sees it: column `p` is the input pixel that tap reads at `p` (zero
/// outside the image).
#[inline]
fn shifted<T: Real, const I: usize, const N: usize>(
    x: &SMatrix<T, I, N>,
    tap: usize,
    width: usize,
) -> SMatrix<T, I, N> {
    let mut out = SMatrix::<T, I, N>::zeros();
    for p in 0..N {
        if let Some(q) = tap_source(p, tap, width, N) {
            out.set_column(p, &x.column(q));
        }
    }
    out
}

impl<T: Real, const O: usize, const I: usize> Conv3x3<T, O, I> {
    /// The all-zero convolution (output layers start at zero).
    pub fn zeros() -> Self {
        Self {
            weight: [SMatrix::zeros(); 9],
            bias: SVector::zeros(),
        }
    }

    /// The convolution of the `width`-wide image `x`.
    #[inline]
    pub fn apply<const N: usize>(&self, x: &SMatrix<T, I, N>, width: usize) -> SMatrix<T, O, N> {
        let mut out = SMatrix::<T, O, N>::from_fn(|o, _| self.bias[o]);
        for (tap, weight) in self.weight.iter().enumerate() {
            out.gemm(T::one(), weight, &shifted(x, tap, width), T::one());
        }
        out
    }

    /// Reverse mode at input `x`: adds the parameter gradient for the output gradient `d_out`
    /// into `grad` and returns the input gradient.
    #[inline]
    pub fn backward<const N: usize>(
        &self,
        x: &SMatrix<T, I, N>,
        d_out: &SMatrix<T, O, N>,
        width: usize,
        grad: &mut Self,
    ) -> SMatrix<T, I, N> {
        let mut d_x = SMatrix::<T, I, N>::zeros();
        for (tap, (weight, d_weight)) in self.weight.iter().zip(grad.weight.iter_mut()).enumerate()
        {
            *d_weight += d_out * shifted(x, tap, width).transpose();
            let d_shifted = weight.tr_mul(d_out);
            for p in 0..N {
                if let Some(q) = tap_source(p, tap, width, N) {
                    let mut column = d_x.column_mut(q);
                    column += d_shifted.column(p);
                }
            }
        }
        for p in 0..N {
            grad.bias += d_out.column(p);
        }
        d_x
    }
}

impl<T: Real, const O: usize, const I: usize> Random for Conv3x3<T, O, I> {
    /// Every entry uniform on `±1/sqrt(9 I)` (PyTorch's `nn.Conv2d` default).
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let bound = T::one() / T::lit((9 * I).max(1) as f64).sqrt();
        Self {
            weight: core::array::from_fn(|_| SMatrix::from_fn(|_, _| T::uniform(rng, bound))),
            bias: SVector::from_fn(|_, _| T::uniform(rng, bound)),
        }
    }
}

impl_parameters!([T: Real, const O: usize, const I: usize] Conv3x3<T, O, I> {
    weight: [SMatrix<T, O, I>; 9],
    bias: SVector<T, O>,
});
