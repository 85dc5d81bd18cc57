//! Base distributions.

mod gaussian;
mod polar;

pub use gaussian::StandardGaussian;

use nalgebra::SVector;
use rand::Rng;

use crate::Real;
use crate::batch::{Block, LANES};

/// A distribution over `D`-vectors with a density: the base (latent) distribution of a flow.
pub trait Distribution<T: Real, const D: usize> {
    /// The log-density at `z`.
    fn log_prob(&self, z: &SVector<T, D>) -> T;
    /// The log-density of every event of a lane block (row `k` holds element `k` of each of
    /// [`LANES`] events), what the batch densities evaluate. The default takes one event at a
    /// time through [`log_prob`](Distribution::log_prob).
    #[inline]
    fn log_prob_lanes(&self, z: &Block<T, D>) -> [T; LANES] {
        core::array::from_fn(|l| self.log_prob(&SVector::from_fn(|k, _| z[k][l])))
    }
    /// A draw from `rng`.
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SVector<T, D>;
    /// Independent draws from `rng` into every event of `out` (what the batch methods sample
    /// from). The default draws them one at a time by [`sample`](Distribution::sample);
    /// a distribution may draw in bulk instead, as a different (but equally deterministic)
    /// sequence.
    #[inline]
    fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [SVector<T, D>]) {
        for z in out {
            *z = self.sample(rng);
        }
    }
}

/// A base distribution whose log-density has a gradient (with respect to the point; base
/// distributions have no trainable parameters yet).
pub trait DistributionGradient<T: Real, const D: usize>: Distribution<T, D> {
    /// `(log p(z), ∇_z log p(z))`.
    fn log_prob_with_gradient(&self, z: &SVector<T, D>) -> (T, SVector<T, D>);
}
