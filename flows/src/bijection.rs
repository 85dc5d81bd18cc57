//! The contract every layer keeps.

use nalgebra::SVector;

use crate::Real;

/// An invertible map of `D`-dimensional events, optionally conditioned on a `C`-dimensional context.
///
/// Conventions (those of torchflows):
/// - [`forward`](Bijection::forward) maps data `x` to latent `z` and returns `log|det dz/dx|`;
/// - [`inverse`](Bijection::inverse) maps `z` back to `x` and returns the log-det of the map it
///   applies, `log|det dx/dz|`, which is the negative of the forward one at the matching point.
///
/// `C = 0` is an unconditional layer; the context is then a zero-sized vector. Layers own their
/// parameters in fixed-size storage and allocate nothing.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a bijection of {D}-element `{T}` events with a {C}-element context",
    label = "not a bijection of {D}-element events with a {C}-element context"
)]
pub trait Bijection<T: Real, const D: usize, const C: usize> {
    /// Maps data to latent: returns `(z, log|det dz/dx|)`.
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T);

    /// Maps latent to data: returns `(x, log|det dx/dz|)`.
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T);

    /// Data-dependent initialization (ActNorm sets itself from the batch it sees), then maps the
    /// batch forward in place so the layers after this one see what they will see in use.
    ///
    /// `context(i)` is the context of `batch[i]`. The default only maps the batch forward.
    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        context: &dyn Fn(usize) -> SVector<T, C>,
    ) {
        for (i, x) in batch.iter_mut().enumerate() {
            *x = self.forward(x, &context(i)).0;
        }
    }
}
