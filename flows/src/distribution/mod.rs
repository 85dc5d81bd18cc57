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

/// A base distribution whose log-density has a gradient (with respect to the point; base
/// distributions have no trainable parameters yet).
pub trait DistributionGradient<T: Real, const D: usize>: Distribution<T, D> {
    /// `(log p(z), ∇_z log p(z))`.
    fn log_prob_with_gradient(&self, z: &SVector<T, D>) -> (T, SVector<T, D>);
}
