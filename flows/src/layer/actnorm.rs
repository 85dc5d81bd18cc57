//! Activation normalization.

use nalgebra::SVector;
use rand::Rng;

use crate::batch::{Block, LANES, add_to_every_lane};
use crate::bijection::on_one_block;
use crate::gradient::BijectionGradient;
use crate::{Bijection, Random, Real, impl_parameters};

/// `z = (x − shift) · exp(−log_scale)` per element (Kingma and Dhariwal 2018), initialized from the
/// first batch it sees so that its output has zero mean and unit standard deviation (only while
/// it is the identity: never after training or loading).
///
/// Unlike torchflows' `ActNorm`, whose parameters are frozen after the data initialization, ours
/// stay trainable (as in Glow). It ignores the context. Before any data it is the identity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActNorm<T: Real, const D: usize> {
    /// The per-element shift (the batch mean after initialization).
    pub shift: SVector<T, D>,
    /// The per-element log scale (the log of the batch standard deviation after initialization).
    pub log_scale: SVector<T, D>,
}

impl<T: Real, const D: usize> ActNorm<T, D> {
    /// The identity.
    pub fn identity() -> Self {
        Self {
            shift: SVector::zeros(),
            log_scale: SVector::zeros(),
        }
    }
}

impl<T: Real, const D: usize> Default for ActNorm<T, D> {
    fn default() -> Self {
        Self::identity()
    }
}

impl<T: Real, const D: usize, const C: usize> Bijection<T, D, C> for ActNorm<T, D> {
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let mut scale = -self.log_scale;
        T::exp_slice(scale.as_mut_slice());
        (
            (x - self.shift).component_mul(&scale),
            -self.log_scale.sum(),
        )
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let mut scale = self.log_scale;
        T::exp_slice(scale.as_mut_slice());
        (z.component_mul(&scale) + self.shift, self.log_scale.sum())
    }

    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        on_one_block(x, contexts, log_det, |x, c, l| self.forward_blocks(x, c, l));
    }

    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        on_one_block(z, contexts, log_det, |x, c, l| self.inverse_blocks(x, c, l));
    }

    /// The scales once for all the blocks, by the vectorized `exp`; the blocks by one call of
    /// the diagonal lane kernel.
    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        _contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        let mut scale: [T; D] = core::array::from_fn(|k| -self.log_scale[k]);
        T::exp_slice(&mut scale);
        T::shift_scale_lanes(x.as_flattened_mut(), self.shift.as_slice(), &scale);
        add_to_every_lane(log_det, -self.log_scale.sum());
    }

    /// The scales once for all the blocks, by the vectorized `exp`; the blocks by one call of
    /// the diagonal lane kernel.
    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        _contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        let mut scale: [T; D] = self.log_scale.into();
        T::exp_slice(&mut scale);
        T::scale_shift_lanes(z.as_flattened_mut(), &scale, self.shift.as_slice());
        add_to_every_lane(log_det, self.log_scale.sum());
    }

    /// Sets the shift to the batch mean and the scale to the batch standard deviation (with
    /// Bessel's correction; a unit scale for a batch of one or an element of zero spread), once:
    /// a layer that has left the identity (initialized, trained or loaded from a file) keeps its
    /// parameters and only maps the batch.
    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        _context: &dyn Fn(usize) -> SVector<T, C>,
    ) {
        let n = batch.len();
        if n == 0 {
            return;
        }
        if *self != Self::identity() {
            for x in batch.iter_mut() {
                *x = Bijection::<T, D, C>::forward(self, x, &SVector::zeros()).0;
            }
            return;
        }
        let count = T::lit(n as f64);
        let mean = batch
            .iter()
            .fold(SVector::<T, D>::zeros(), |acc, x| acc + x)
            / count;
        let mut log_scale = SVector::<T, D>::zeros();
        if n > 1 {
            let squares = batch.iter().fold(SVector::<T, D>::zeros(), |acc, x| {
                acc + (x - mean).component_mul(&(x - mean))
            });
            log_scale = (squares / T::lit((n - 1) as f64)).map(|v| {
                let std = v.sqrt();
                if std > T::zero() && std.is_finite() {
                    std.ln()
                } else {
                    T::zero()
                }
            });
        }
        self.shift = mean;
        self.log_scale = log_scale;
        for x in batch.iter_mut() {
            *x = Bijection::<T, D, C>::forward(self, x, &SVector::zeros()).0;
        }
    }
}

impl<T: Real, const D: usize, const C: usize> BijectionGradient<T, D, C> for ActNorm<T, D> {
    #[inline]
    fn backward_forward(
        &self,
        x: &SVector<T, D>,
        _context: &SVector<T, C>,
        d_z: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        // z = (x − shift) e^{−s}: dz/dx = e^{−s}, dz/dshift = −e^{−s}, dz/ds = −z; log-det −Σ s.
        let d_x = d_z.zip_map(&self.log_scale, |d, s| d * (-s).exp());
        for i in 0..D {
            let z = (x[i] - self.shift[i]) * (-self.log_scale[i]).exp();
            grad.shift[i] -= d_x[i];
            grad.log_scale[i] -= d_z[i] * z + d_log_det;
        }
        d_x
    }

    #[inline]
    fn backward_inverse(
        &self,
        z: &SVector<T, D>,
        _context: &SVector<T, C>,
        d_x: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        _d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        // x = z e^{s} + shift: dx/dz = e^{s}, dx/dshift = 1, dx/ds = z e^{s}; log-det Σ s.
        let d_z = d_x.zip_map(&self.log_scale, |d, s| d * s.exp());
        grad.shift += d_x;
        for i in 0..D {
            grad.log_scale[i] += d_z[i] * z[i] + d_log_det;
        }
        d_z
    }
}

impl<T: Real, const D: usize> Random for ActNorm<T, D> {
    fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
        Self::identity()
    }
}

impl_parameters!([T: Real, const D: usize] ActNorm<T, D> {
    shift: SVector<T, D>,
    log_scale: SVector<T, D>,
});
