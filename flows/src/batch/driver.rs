//! The chunked (and, with the `rayon` feature, parallel) driver of the batch methods.

use core::marker::PhantomData;

#[cfg(feature = "rayon")]
use super::PARALLEL_MIN;
use super::{CHUNK, EventsMut};
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

/// Runs `job(state, start, piece)` over consecutive pieces of `out` that cover it, `start` being
/// the index of the piece's first event and every piece but the last a multiple of [`CHUNK`]
/// events, with a `state` made by `init` once per thread that takes part (the piece's buffers).
/// Without the `rayon` feature, or below [`PARALLEL_MIN`] events, or on one thread, `out` is one
/// piece; otherwise the threads of rayon's pool take pieces in turn (see [`share`]) until none is
/// left. Results must not depend on how `out` is cut (they may on where chunks begin).
pub(crate) fn map_pieces<O: Split, S>(
    out: O,
    init: &(impl Fn() -> S + Sync),
    job: &(impl Fn(&mut S, usize, O) + Sync),
) {
    #[cfg(feature = "rayon")]
    if out.len() >= PARALLEL_MIN && rayon::current_num_threads() > 1 {
        share(out, init, job);
        return;
    }
    job(&mut init(), 0, out);
}

/// The rest of a batch that threads take pieces from, and the index of its first event.
#[cfg(feature = "rayon")]
struct Rest<O> {
    start: usize,
    out: Option<O>,
}

/// Runs [`map_pieces`] on every thread of rayon's pool: each takes a piece of the rest in turn,
/// half the rest's share per thread (whole chunks, at least one), so that the pieces
/// shrink to single chunks as the batch runs out and no thread waits long for another's last
/// piece (nor for a thread woken late, or running slower: the cores of a virtual machine do not
/// all run at the same speed).
#[cfg(feature = "rayon")]
fn share<O: Split, S>(
    out: O,
    init: &(impl Fn() -> S + Sync),
    job: &(impl Fn(&mut S, usize, O) + Sync),
) {
    let threads = rayon::current_num_threads();
    let rest = std::sync::Mutex::new(Rest {
        start: 0,
        out: Some(out),
    });
    let take = || {
        let mut rest = rest.lock().ok()?;
        let out = rest.out.take()?;
        let left = out.len();
        if left == 0 {
            return None;
        }
        let len = (left / (2 * threads) / CHUNK * CHUNK).max(CHUNK).min(left);
        let (piece, tail) = out.split(len);
        let start = rest.start;
        rest.start += len;
        rest.out = Some(tail);
        Some((start, piece))
    };
    let work = || {
        if let Some((start, piece)) = take() {
            let mut state = init();
            job(&mut state, start, piece);
            while let Some((start, piece)) = take() {
                job(&mut state, start, piece);
            }
        }
    };
    on_threads(threads, &work);
}

/// Runs `work` `threads` times, on as many of rayon's threads as are free to take it.
#[cfg(feature = "rayon")]
fn on_threads(threads: usize, work: &(impl Fn() + Sync)) {
    if threads <= 1 {
        work();
        return;
    }
    let half = threads / 2;
    rayon::join(
        || on_threads(half, work),
        || on_threads(threads - half, work),
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

#[cfg(all(test, feature = "rayon"))]
mod tests {
    use super::{CHUNK, PARALLEL_MIN, map_pieces};

    /// On any number of threads, the pieces cover the batch once, each starting at its index
    /// and at a chunk's first event.
    #[test]
    fn pieces_cover_the_batch_once() {
        for threads in [1, 2, 3, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for n in [0, 1, PARALLEL_MIN - 1, PARALLEL_MIN, 3 * PARALLEL_MIN + 77] {
                let mut out = std::vec![usize::MAX; n];
                pool.install(|| {
                    map_pieces(&mut out[..], &|| (), &|(), start, piece: &mut [usize]| {
                        assert_eq!(start % CHUNK, 0, "{threads} threads, {n} events");
                        for (k, o) in piece.iter_mut().enumerate() {
                            assert_eq!(*o, usize::MAX, "event {} twice", start + k);
                            *o = start + k;
                        }
                    });
                });
                let covered = out.iter().enumerate().all(|(i, &o)| o == i);
                assert!(covered, "{threads} threads, {n} events");
            }
        }
    }
}
