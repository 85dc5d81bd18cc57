//! The contract every layer keeps.

use core::ops::{Deref, Range};

use nalgebra::SVector;

use crate::batch::{Block, Contexts, GROUP, LANES, check_batch, from_block, group};
use crate::distribution::Distribution;
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

    /// Maps a lane block of [`LANES`] events (structure of arrays: `x[k][l]` is element `k` of
    /// event `l`) from data to latent in place, adding each event's `log|det dz/dx|` into
    /// `log_det`. Layers with lane-block kernels override this; the default maps one event at a
    /// time.
    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        each_lane(x, contexts, log_det, |x, c| self.forward(x, c));
    }

    /// Maps a lane block from latent to data in place, adding each event's `log|det dx/dz|`
    /// into `log_det`; see [`forward_lanes`](Bijection::forward_lanes).
    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        each_lane(z, contexts, log_det, |z, c| self.inverse(z, c));
    }

    /// Maps several lane blocks from data to latent in place (block `x[b]` under the contexts
    /// `contexts[b]`, adding into `log_det[b]`), as [`forward_lanes`](Bijection::forward_lanes)
    /// on each. Compositions override this to run each layer over all the blocks in turn, and
    /// layers whose per-call work does not depend on the events (the scales of ActNorm and of
    /// elementwise layers) to do it once for all of them.
    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        for ((x, c), ld) in x.iter_mut().zip(contexts).zip(log_det) {
            self.forward_lanes(x, c, ld);
        }
    }

    /// Maps several lane blocks from latent to data in place; see
    /// [`forward_blocks`](Bijection::forward_blocks).
    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        for ((z, c), ld) in z.iter_mut().zip(contexts).zip(log_det) {
            self.inverse_lanes(z, c, ld);
        }
    }

    /// Maps a batch from data to latent in place, adding each event's `log|det dz/dx|` into the
    /// matching entry of `log_det`: whole lane blocks through
    /// [`forward_blocks`](Bijection::forward_blocks) (up to [`GROUP`] at a time), the rest one
    /// event at a time.
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
        let blocks = &mut [[[T::zero(); LANES]; D]; GROUP];
        map_by_blocks(self, false, events, contexts, log_det, blocks);
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
        let blocks = &mut [[[T::zero(); LANES]; D]; GROUP];
        map_by_blocks(self, true, events, contexts, log_det, blocks);
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

/// Applies `map` to every event of a lane block, one at a time.
#[inline]
fn each_lane<T: Real, const D: usize, const C: usize>(
    x: &mut Block<T, D>,
    contexts: &Block<T, C>,
    log_det: &mut [T; LANES],
    map: impl Fn(&SVector<T, D>, &SVector<T, C>) -> (SVector<T, D>, T),
) {
    for (l, ld) in log_det.iter_mut().enumerate() {
        let event = SVector::<T, D>::from_fn(|k, _| x[k][l]);
        let context = SVector::<T, C>::from_fn(|k, _| contexts[k][l]);
        let (y, d) = map(&event, &context);
        for (row, v) in x.iter_mut().zip(y.iter()) {
            row[l] = *v;
        }
        *ld += d;
    }
}

/// Writes the event `mapped.0` into `x` and adds its log-det `mapped.1` into `log_det`.
#[inline]
fn map_one<T: Real, const D: usize>(
    x: &mut SVector<T, D>,
    log_det: &mut T,
    mapped: (SVector<T, D>, T),
) {
    *x = mapped.0;
    *log_det += mapped.1;
}

/// Runs `blocks` (a layer's [`forward_blocks`](Bijection::forward_blocks) or
/// [`inverse_blocks`](Bijection::inverse_blocks)) on the one block `x`: the lane path of layers
/// whose blocks method is their lane kernel.
#[inline]
pub(crate) fn on_one_block<T, const D: usize, const C: usize>(
    x: &mut Block<T, D>,
    contexts: &Block<T, C>,
    log_det: &mut [T; LANES],
    blocks: impl FnOnce(&mut [Block<T, D>], &[Block<T, C>], &mut [[T; LANES]]),
) {
    blocks(
        core::slice::from_mut(x),
        core::slice::from_ref(contexts),
        core::slice::from_mut(log_det),
    );
}

/// Maps `events` in place by `bijection`, forward or (when `inverse`) inverse, adding each
/// event's log-det into `log_det`: whole lane blocks through
/// [`Bijection::forward_blocks`] (or [`Bijection::inverse_blocks`]), [`group`] at a time in
/// `blocks` (whatever it holds), the rest one event at a time (lengths checked by the caller).
#[inline]
pub(crate) fn map_by_blocks<T, B, const D: usize, const C: usize>(
    bijection: &B,
    inverse: bool,
    events: &mut [SVector<T, D>],
    contexts: Contexts<'_, T, C>,
    log_det: &mut [T],
    blocks: &mut [Block<T, D>; GROUP],
) where
    T: Real,
    B: Bijection<T, D, C> + ?Sized,
{
    by_blocks(
        events,
        contexts,
        log_det,
        blocks,
        |x, c, ld, events, range| {
            if inverse {
                bijection.inverse_blocks(x, c, ld);
            } else {
                bijection.forward_blocks(x, c, ld);
            }
            from_blocks(x, &mut events.as_chunks_mut::<LANES>().0[range]);
        },
        |events, i, c, ld| {
            let x = &mut events[i];
            let mapped = if inverse {
                bijection.inverse(x, c)
            } else {
                bijection.forward(x, c)
            };
            map_one(x, ld, mapped);
        },
    );
}

/// `log p(z) + log|det dz/dx|` of every event `x` of `events` into `log_prob`, where `(z,
/// log|det dz/dx|)` is `bijection`'s forward map and `p` the density of `base`: whole lane blocks
/// through [`Bijection::forward_blocks`] and [`Distribution::log_prob_lanes`] (their latent events
/// are not written back), the rest one event at a time, the lane blocks in `blocks` (whatever
/// it holds). `log_prob` holds zeros, or log-dets to add to (lengths checked by the caller).
#[inline]
pub(crate) fn log_prob_by_blocks<T, B, Base, const D: usize, const C: usize>(
    bijection: &B,
    base: &Base,
    events: &[SVector<T, D>],
    contexts: Contexts<'_, T, C>,
    log_prob: &mut [T],
    blocks: &mut [Block<T, D>; GROUP],
) where
    T: Real,
    B: Bijection<T, D, C> + ?Sized,
    Base: Distribution<T, D>,
{
    by_blocks(
        events,
        contexts,
        log_prob,
        blocks,
        |z, c, lp, _, _| {
            bijection.forward_blocks(z, c, lp);
            for (z, lp) in z.iter().zip(lp) {
                for (lp, p) in lp.iter_mut().zip(base.log_prob_lanes(z)) {
                    *lp = p + *lp;
                }
            }
        },
        |events, i, c, lp| {
            let (z, log_det) = bijection.forward(&events[i], c);
            *lp = base.log_prob(&z) + (*lp + log_det);
        },
    );
}

/// Writes the lane blocks `blocks` back into `events` (one block per [`LANES`] events).
#[inline]
fn from_blocks<T: Real, const D: usize>(
    blocks: &[Block<T, D>],
    events: &mut [[SVector<T, D>; LANES]],
) {
    for (block, events) in blocks.iter().zip(events) {
        from_block(block, events);
    }
}

/// Runs `lanes` over the lane blocks of the whole blocks of `events`, [`group`] at a time in `x`
/// (whatever it holds), and `one` over the rest, each with its entries of `log_det` (lengths
/// checked by the caller). `events` is a slice, read-only (`&[_]`) or not (`&mut [_]`): `lanes`
/// gets it with the range of its whole blocks (`group` blocks from the one it starts at) and
/// `one` with the index of its event, for those that write the events back.
#[inline]
fn by_blocks<T: Real, E, const D: usize, const C: usize>(
    mut events: E,
    contexts: Contexts<'_, T, C>,
    log_det: &mut [T],
    x: &mut [Block<T, D>; GROUP],
    lanes: impl Fn(&mut [Block<T, D>], &[Block<T, C>], &mut [[T; LANES]], &mut E, Range<usize>),
    one: impl Fn(&mut E, usize, &SVector<T, C>, &mut T),
) where
    E: Deref<Target = [SVector<T, D>]>,
{
    let mut start = 0;
    let whole = events.len() / LANES;
    let (ld_blocks, ld_rest) = log_det.as_chunks_mut::<LANES>();
    let mut c = [[[T::zero(); LANES]; C]; GROUP];
    let group = const { group(D) };
    for (first, ld) in (0..whole).step_by(group).zip(ld_blocks.chunks_mut(group)) {
        let range = first..whole.min(first + group);
        let blocks = &events.as_chunks::<LANES>().0[range.clone()];
        for ((x, c), events) in x.iter_mut().zip(&mut c).zip(blocks) {
            T::to_lanes(events, x);
            let mut context_events = [SVector::<T, C>::zeros(); LANES];
            for (c, given) in context_events
                .iter_mut()
                .zip(contexts.range(start, LANES).iter())
            {
                *c = *given;
            }
            T::to_lanes(&context_events, c);
            start += LANES;
        }
        let n = range.len();
        lanes(&mut x[..n], &c[..n], ld, &mut events, range);
    }
    let rest_contexts = contexts.range(start, ld_rest.len());
    for ((i, ld), c) in (start..).zip(ld_rest).zip(rest_contexts.iter()) {
        one(&mut events, i, c, ld);
    }
}
