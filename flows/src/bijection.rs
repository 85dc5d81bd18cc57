//! The contract every layer keeps.

use nalgebra::SVector;

use crate::batch::{Contexts, check_batch};
use crate::{Error, Real};

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

    /// Maps a batch from data to latent in place, adding each event's `log|det dz/dx|` into the
    /// matching entry of `log_det`. Layers with lane-batch kernels override this; the default
    /// maps one event at a time.
    ///
    /// # Errors
    /// [`Error::Length`] unless `log_det` (and per-event `contexts`) have one entry per event;
    /// nothing is written then.
    fn forward_batch(
        &self,
        events: &mut [SVector<T, D>],
        contexts: Contexts<'_, T, C>,
        log_det: &mut [T],
    ) -> Result<(), Error> {
        check_batch(events.len(), &contexts, log_det.len())?;
        for ((x, ld), c) in events.iter_mut().zip(log_det.iter_mut()).zip(contexts.iter()) {
            let (z, l) = self.forward(x, c);
            *x = z;
            *ld += l;
        }
        Ok(())
    }

    /// Maps a batch from latent to data in place, adding each event's `log|det dx/dz|` into the
    /// matching entry of `log_det`; see [`forward_batch`](Bijection::forward_batch).
    ///
    /// # Errors
    /// As [`forward_batch`](Bijection::forward_batch).
    fn inverse_batch(
        &self,
        events: &mut [SVector<T, D>],
        contexts: Contexts<'_, T, C>,
        log_det: &mut [T],
    ) -> Result<(), Error> {
        check_batch(events.len(), &contexts, log_det.len())?;
        for ((z, ld), c) in events.iter_mut().zip(log_det.iter_mut()).zip(contexts.iter()) {
            let (x, l) = self.inverse(z, c);
            *z = x;
            *ld += l;
        }
        Ok(())
    }

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
