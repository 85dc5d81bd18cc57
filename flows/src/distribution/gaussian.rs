//! The standard Gaussian.

use nalgebra::SVector;
use rand::Rng;

use super::{Distribution, DistributionGradient};
use crate::Real;
use crate::batch::{Block, LANES};

/// `N(0, I)`: log-density `−|z|²/2 − (D/2) ln 2π`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StandardGaussian;

/// `−s/2 − (D/2) ln 2π`: the log-density of a point at squared norm `s`.
#[inline]
fn at_squared_norm<T: Real, const D: usize>(s: T) -> T {
    let half_log_two_pi = T::lit(0.918_938_533_204_672_8);
    -(s * T::lit(0.5)) - T::lit(D as f64) * half_log_two_pi
}

impl<T: Real, const D: usize> Distribution<T, D> for StandardGaussian {
    #[inline]
    fn log_prob(&self, z: &SVector<T, D>) -> T {
        at_squared_norm::<T, D>(z.norm_squared())
    }

    /// The squares summed row by row, every lane at once.
    #[inline]
    fn log_prob_lanes(&self, z: &Block<T, D>) -> [T; LANES] {
        let mut sum = [T::zero(); LANES];
        for row in z {
            for (s, &v) in sum.iter_mut().zip(row) {
                *s += v * v;
            }
        }
        sum.map(at_squared_norm::<T, D>)
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
