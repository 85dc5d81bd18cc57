//! Batches of events: contexts per batch or per event, events as slices of vectors or as flat
//! scalar slices, and the chunked driver behind [`Flow`](crate::Flow)'s batch methods.
//!
//! Every batch method writes into outputs the caller provides and allocates nothing; a length that
//! does not match is an [`Error::Length`], never a panic. Work is done in chunks of [`CHUNK`]
//! events (copied into a buffer on the stack), so the layers run over a cache-resident block and
//! lane-batch kernels see full blocks of [`LANES`] events. With the `rayon` feature, batches of at
//! least [`PARALLEL_MIN`] events are shared by rayon's threads, which take pieces of whole chunks in
//! turn, smaller as the batch runs out; the results do not depend on the number of threads
//! (sampling seeds one generator per chunk from the caller's generator).

mod contexts;
mod driver;
mod events;
mod flow;

pub use contexts::{Contexts, ContextsIter};
pub use events::{Events, EventsMut};

pub(crate) use driver::{EventsOut, check_batch, check_length, for_each_chunk, map_pieces};

/// A lane block of `N`-element vectors in structure-of-arrays form: row `k` holds element `k` of
/// each of [`LANES`] events.
pub type Block<T, const N: usize> = [[T; LANES]; N];

/// Writes the lane block `block` back into `events`.
#[inline]
pub(crate) fn from_block<T: crate::Real, const N: usize>(
    block: &Block<T, N>,
    events: &mut [nalgebra::SVector<T, N>; LANES],
) {
    T::from_lanes(block, events);
}

/// Adds `log_det` to every lane of `log_dets` (of one lane block or several): the log-det of a
/// layer that is the same for every event.
#[inline]
pub(crate) fn add_to_every_lane<T: crate::Real>(log_dets: &mut [[T; LANES]], log_det: T) {
    log_dets
        .as_flattened_mut()
        .iter_mut()
        .for_each(|l| *l += log_det);
}

/// Events per lane block: the lane-batch kernels work on this many events at once (one vector
/// register per feature for `f32` under AVX-512, two under AVX2).
pub const LANES: usize = 16;

/// Events per chunk of the batch driver (a multiple of [`LANES`]).
pub const CHUNK: usize = 128;

/// The most lane blocks that the layers map together (see
/// [`Bijection::forward_blocks`](crate::Bijection::forward_blocks)): a chunk's. Large events
/// are mapped in fewer at a time (see [`group`]).
pub const GROUP: usize = CHUNK / LANES;

/// The values (lanes times elements) of the lane blocks mapped together, at most: the blocks of
/// a group stay in the first-level cache while every layer runs over them.
const GROUP_VALUES: usize = 2048;

/// The lane blocks of `D`-element events that the layers map together: as many as
/// [`GROUP_VALUES`] allows, from 1 to [`GROUP`].
pub(crate) const fn group(d: usize) -> usize {
    if d == 0 {
        return GROUP;
    }
    let blocks = GROUP_VALUES / (d * LANES);
    if blocks < 1 {
        1
    } else if blocks > GROUP {
        GROUP
    } else {
        blocks
    }
}

/// With the `rayon` feature, batches of at least this many events are split across threads.
pub const PARALLEL_MIN: usize = 2048;
