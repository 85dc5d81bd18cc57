//! Base distributions.

mod gaussian;

pub use gaussian::StandardGaussian;

use nalgebra::SVector;
use rand::Rng;

use crate::Real;

/// A distribution over `D`-vectors with a density: the base (latent) distribution of a flow.
pub trait Distribution<T: Real, const D: usize> {
    /// The log-density at `z`.
    fn log_prob(&self, z: &SVector<T, D>) -> T;
    /// A draw from `rng`.
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SVector<T, D>;
}
