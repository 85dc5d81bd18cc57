//! The standard Gaussian.

use nalgebra::SVector;
use rand::Rng;

use super::{Distribution, DistributionGradient};
use crate::Real;

/// `N(0, I)`: log-density `−|z|²/2 − (D/2) ln 2π`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StandardGaussian;

impl<T: Real, const D: usize> Distribution<T, D> for StandardGaussian {
    #[inline]
    fn log_prob(&self, z: &SVector<T, D>) -> T {
        let half_log_two_pi = T::lit(0.918_938_533_204_672_8);
        -(z.norm_squared() * T::lit(0.5)) - T::lit(D as f64) * half_log_two_pi
    }

    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SVector<T, D> {
        SVector::from_fn(|_, _| T::standard_normal(rng))
    }

    /// In bulk by the [polar method](super::polar) over lane rows.
    #[inline]
    fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [SVector<T, D>]) {
        let mut normals = super::polar::Normals::new();
        for z in out {
            normals.fill(rng, z.as_mut_slice());
        }
    }
}

impl<T: Real, const D: usize> DistributionGradient<T, D> for StandardGaussian {
    #[inline]
    fn log_prob_with_gradient(&self, z: &SVector<T, D>) -> (T, SVector<T, D>) {
        (Distribution::<T, D>::log_prob(self, z), -z)
    }
}
