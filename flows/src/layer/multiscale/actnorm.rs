//! Activation normalization per channel of an image.

use nalgebra::SVector;
use rand::Rng;

use crate::gradient::BijectionGradient;
use crate::{Bijection, Random, Real, impl_parameters};

/// `z = (x − shift[c]) · exp(−log_scale[c])` for every pixel of channel `c` of a `C`-channel
/// image of `D = C·H·W` elements (Glow's ActNorm); log-det `−H·W·Σ log_scale`. Initialized from
/// the first batch it sees so that each channel has zero mean and unit standard deviation over the
/// batch and the pixels; stays trainable. Ignores the context; the identity before any data.
///
/// torchflows' multiscale flows normalize every element separately (and freeze it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelActNorm<T: Real, const C: usize, const D: usize> {
    /// The per-channel shift.
    pub shift: SVector<T, C>,
    /// The per-channel log scale.
    pub log_scale: SVector<T, C>,
}

impl<T: Real, const C: usize, const D: usize> ChannelActNorm<T, C, D> {
    const SHAPE: () = assert!(
        C > 0 && D.is_multiple_of(C),
        "ChannelActNorm: the event size must be a multiple of the channels"
    );

    /// The identity.
    pub fn identity() -> Self {
        Self {
            shift: SVector::zeros(),
            log_scale: SVector::zeros(),
        }
    }

    /// Pixels per channel.
    const PIXELS: usize = {
        let () = Self::SHAPE;
        D / C
    };

    /// The channel of element `i`.
    #[inline]
    fn channel(i: usize) -> usize {
        i / Self::PIXELS
    }
}

impl<T: Real, const C: usize, const D: usize> Default for ChannelActNorm<T, C, D> {
    fn default() -> Self {
        Self::identity()
    }
}

impl<T: Real, const C: usize, const D: usize, const X: usize> Bijection<T, D, X>
    for ChannelActNorm<T, C, D>
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        let scale = self.log_scale.map(|s| (-s).exp());
        let z = SVector::from_fn(|i, _| {
            let c = Self::channel(i);
            (x[i] - self.shift[c]) * scale[c]
        });
        (z, -self.log_scale.sum() * T::lit(Self::PIXELS as f64))
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        let scale = self.log_scale.map(|s| s.exp());
        let x = SVector::from_fn(|i, _| {
            let c = Self::channel(i);
            z[i] * scale[c] + self.shift[c]
        });
        (x, self.log_scale.sum() * T::lit(Self::PIXELS as f64))
    }

    /// Sets each channel's shift to its mean over the batch and the pixels and its scale to the
    /// standard deviation (with Bessel's correction; a unit scale for a single value or a channel
    /// of zero spread).
    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        _context: &dyn Fn(usize) -> SVector<T, X>,
    ) {
        let n = batch.len() * Self::PIXELS;
        if batch.is_empty() {
            return;
        }
        let mut sum = SVector::<T, C>::zeros();
        for x in batch.iter() {
            for (i, v) in x.iter().enumerate() {
                sum[Self::channel(i)] += *v;
            }
        }
        let mean = sum / T::lit(n as f64);
        let mut squares = SVector::<T, C>::zeros();
        for x in batch.iter() {
            for (i, v) in x.iter().enumerate() {
                let d = *v - mean[Self::channel(i)];
                squares[Self::channel(i)] += d * d;
            }
        }
        self.shift = mean;
        self.log_scale = if n > 1 {
            (squares / T::lit((n - 1) as f64)).map(|v| {
                let std = v.sqrt();
                if std > T::zero() && std.is_finite() {
                    std.ln()
                } else {
                    T::zero()
                }
            })
        } else {
            SVector::zeros()
        };
        for x in batch.iter_mut() {
            *x = Bijection::<T, D, X>::forward(self, x, &SVector::zeros()).0;
        }
    }
}

impl<T: Real, const C: usize, const D: usize, const X: usize> BijectionGradient<T, D, X>
    for ChannelActNorm<T, C, D>
{
    #[inline]
    fn backward_forward(
        &self,
        x: &SVector<T, D>,
        _context: &SVector<T, X>,
        d_z: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        // z = (x − shift) e^{−s}: dz/dx = e^{−s}, dz/dshift = −e^{−s}, dz/ds = −z; log-det −N Σ s.
        let scale = self.log_scale.map(|s| (-s).exp());
        let pixels = T::lit(Self::PIXELS as f64);
        let mut d_x = SVector::<T, D>::zeros();
        for i in 0..D {
            let c = Self::channel(i);
            d_x[i] = d_z[i] * scale[c];
            grad.shift[c] -= d_x[i];
            grad.log_scale[c] -= d_z[i] * (x[i] - self.shift[c]) * scale[c];
        }
        grad.log_scale.add_scalar_mut(-d_log_det * pixels);
        d_x
    }

    #[inline]
    fn backward_inverse(
        &self,
        z: &SVector<T, D>,
        _context: &SVector<T, X>,
        d_x: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        // x = z e^{s} + shift: dx/dz = e^{s}, dx/dshift = 1, dx/ds = z e^{s}; log-det N Σ s.
        let scale = self.log_scale.map(|s| s.exp());
        let pixels = T::lit(Self::PIXELS as f64);
        let mut d_z = SVector::<T, D>::zeros();
        for i in 0..D {
            let c = Self::channel(i);
            d_z[i] = d_x[i] * scale[c];
            grad.shift[c] += d_x[i];
            grad.log_scale[c] += d_z[i] * z[i];
        }
        grad.log_scale.add_scalar_mut(d_log_det * pixels);
        d_z
    }
}

impl<T: Real, const C: usize, const D: usize> Random for ChannelActNorm<T, C, D> {
    fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
        Self::identity()
    }
}

impl_parameters!([T: Real, const C: usize, const D: usize] ChannelActNorm<T, C, D> {
    shift: SVector<T, C>,
    log_scale: SVector<T, C>,
});
