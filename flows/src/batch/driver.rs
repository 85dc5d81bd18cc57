//! The chunked (and, with the `rayon` feature, parallel) driver of the batch methods.

use core::marker::PhantomData;

#[cfg(feature = "rayon")]
use super::PARALLEL_MIN;
use super::{CHUNK, EventsMut, PARALLEL_PIECE};
use crate::{Error, Real};

/// `Ok` when `found == expected`, else an [`Error::Length`] naming `what`.
pub(crate) fn check_length(what: &'static str, expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::Length {
            what,
            expected,
            found,
        })
    }
}

/// Outputs of a batch method that can be cut into pieces of events (all parts are given the same
/// number of events beforehand).
pub(crate) trait Split: Sized + Send {
    /// The number of events.
    fn len(&self) -> usize;
    /// The first `mid` events and the rest.
    fn split(self, mid: usize) -> (Self, Self);
}

impl<X: Send> Split for &mut [X] {
    fn len(&self) -> usize {
        <[X]>::len(self)
    }
    fn split(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid.min(<[X]>::len(self)))
    }
}

/// An [`EventsMut`] as a [`Split`] output.
pub(crate) struct EventsOut<'a, T, const D: usize, Z: ?Sized>(pub &'a mut Z, PhantomData<T>);

impl<'a, T, const D: usize, Z: ?Sized> EventsOut<'a, T, D, Z> {
    /// Wraps `events`.
    pub(crate) fn new(events: &'a mut Z) -> Self {
        Self(events, PhantomData)
    }
}

impl<T: Real, const D: usize, Z: EventsMut<T, D> + Send + ?Sized> Split for EventsOut<'_, T, D, Z> {
    fn len(&self) -> usize {
        self.0.count().unwrap_or(0)
    }
    fn split(self, mid: usize) -> (Self, Self) {
        let (a, b) = self.0.split_events_mut(mid);
        (Self::new(a), Self::new(b))
    }
}

impl<A: Split, B: Split> Split for (A, B) {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn split(self, mid: usize) -> (Self, Self) {
        let (a0, a1) = self.0.split(mid);
        let (b0, b1) = self.1.split(mid);
        ((a0, b0), (a1, b1))
    }
}

/// Runs `job(start, piece)` over consecutive pieces of [`PARALLEL_PIECE`] events of `out` (the
/// last may be shorter), `start` being the index of the piece's first event. With the `rayon`
/// feature and at least [`PARALLEL_MIN`] events, pieces run on rayon's threads; the pieces are
/// the same either way.
pub(crate) fn map_chunks<O: Split>(out: O, job: &(impl Fn(usize, O) + Sync)) {
    #[cfg(feature = "rayon")]
    if out.len() >= PARALLEL_MIN && rayon::current_num_threads() > 1 {
        split_parallel(0, out, job);
        return;
    }
    let mut rest = out;
    let mut start = 0;
    while rest.len() > 0 {
        let len = rest.len().min(PARALLEL_PIECE);
        let (piece, tail) = rest.split(len);
        job(start, piece);
        start += len;
        rest = tail;
    }
}

/// Halves `out` at a multiple of [`PARALLEL_PIECE`] until one piece is left, running the halves
/// with `rayon::join`.
#[cfg(feature = "rayon")]
fn split_parallel<O: Split>(start: usize, out: O, job: &(impl Fn(usize, O) + Sync)) {
    let n = out.len();
    if n <= PARALLEL_PIECE {
        job(start, out);
        return;
    }
    let mid = (n / PARALLEL_PIECE).div_ceil(2) * PARALLEL_PIECE;
    let (left, right) = out.split(mid);
    rayon::join(
        || split_parallel(start, left, job),
        || split_parallel(start + mid, right, job),
    );
}

/// Runs `f(start, chunk)` over consecutive chunks of [`CHUNK`] events of `out` (the last may be
/// shorter), `start` counting from `first`.
#[inline]
pub(crate) fn for_each_chunk<O: Split>(first: usize, out: O, mut f: impl FnMut(usize, O)) {
    let mut rest = out;
    let mut start = first;
    while rest.len() > 0 {
        let len = rest.len().min(CHUNK);
        let (chunk, tail) = rest.split(len);
        f(start, chunk);
        start += len;
        rest = tail;
    }
}

/// `Ok` when `log_det` and the contexts have one entry per event of a batch of `events`.
pub(crate) fn check_batch<T: Real, const C: usize>(
    events: usize,
    contexts: &super::Contexts<'_, T, C>,
    log_det: usize,
) -> Result<(), Error> {
    check_length("log-dets", events, log_det)?;
    contexts.check(events)
}
