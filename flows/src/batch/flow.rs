//! A flow's batch methods: densities, both directions and samples over batches of events.

use nalgebra::SVector;
use rand::{Rng, RngExt, SeedableRng, rngs::Xoshiro256PlusPlus};

use super::{
    Block, CHUNK, Contexts, Events, EventsMut, EventsOut, GROUP, LANES, check_batch, check_length,
    for_each_chunk, map_pieces,
};
use crate::bijection::{log_prob_by_blocks, map_by_blocks};
use crate::distribution::Distribution;
use crate::{Bijection, Error, Flow, Real};

/// The buffers of a thread's chunks: the events of a chunk, and the lane blocks that the layers
/// map together.
type Buffers<T, const D: usize> = ([SVector<T, D>; CHUNK], [Block<T, D>; GROUP]);

/// Fresh [`Buffers`], made once per thread of a batch call: every chunk overwrites what it uses.
fn buffers<T: Real, const D: usize>() -> Buffers<T, D> {
    ([SVector::zeros(); CHUNK], [[[T::zero(); LANES]; D]; GROUP])
}

/// Which direction a batch runs.
#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Inverse,
}

impl<T, const D: usize, const C: usize, B, Base> Flow<T, D, C, B, Base>
where
    T: Real,
    B: Bijection<T, D, C> + Sync,
    Base: Distribution<T, D> + Sync,
{
    /// `log p(x | context)` of every event of `events` (a slice of vectors, or a flat slice with
    /// stride `D`) into `out`, in chunks (across threads with the `rayon` feature); allocates
    /// nothing.
    ///
    /// # Errors
    /// [`Error::Length`] when `out` (or per-event `contexts`) does not have one entry per event,
    /// or a flat slice is not a whole number of events; nothing is written then.
    pub fn log_prob_batch_given<X: Events<T, D> + Sync + ?Sized>(
        &self,
        events: &X,
        contexts: Contexts<'_, T, C>,
        out: &mut [T],
    ) -> Result<(), Error> {
        let n = events.count()?;
        check_length("log-probabilities", n, out.len())?;
        contexts.check(n)?;
        map_pieces(
            out,
            &buffers::<T, D>,
            &|(buf, blocks), first, piece: &mut [T]| {
                for_each_chunk(first, piece, |start, log_det: &mut [T]| {
                    let len = log_det.len();
                    let events = match events.vectors(start, len) {
                        Some(events) => events,
                        None => {
                            events.read(start, &mut buf[..len]);
                            &buf[..len]
                        }
                    };
                    log_det.fill(T::zero());
                    let contexts = contexts.range(start, len);
                    match check_batch(len, &contexts, len) {
                        Ok(()) => log_prob_by_blocks(
                            &self.bijection,
                            &self.base,
                            events,
                            contexts,
                            log_det,
                            blocks,
                        ),
                        Err(_) => log_det.fill(T::lit(f64::NAN)),
                    }
                });
            },
        );
        Ok(())
    }

    /// Maps every event of `events` from data to latent into `latent` (same layout rules as
    /// `events`) and its `log|det dz/dx|` into `log_det`.
    ///
    /// # Errors
    /// As [`log_prob_batch_given`](Self::log_prob_batch_given), for `latent` and `log_det`.
    pub fn forward_batch_into_given<X, Z>(
        &self,
        events: &X,
        contexts: Contexts<'_, T, C>,
        latent: &mut Z,
        log_det: &mut [T],
    ) -> Result<(), Error>
    where
        X: Events<T, D> + Sync + ?Sized,
        Z: EventsMut<T, D> + Send + ?Sized,
    {
        self.map_into(Direction::Forward, events, contexts, latent, log_det)
    }

    /// Maps every event of `latent` from latent to data into `events` and its
    /// `log|det dx/dz|` into `log_det`.
    ///
    /// # Errors
    /// As [`forward_batch_into_given`](Self::forward_batch_into_given).
    pub fn inverse_batch_into_given<X, Z>(
        &self,
        latent: &X,
        contexts: Contexts<'_, T, C>,
        events: &mut Z,
        log_det: &mut [T],
    ) -> Result<(), Error>
    where
        X: Events<T, D> + Sync + ?Sized,
        Z: EventsMut<T, D> + Send + ?Sized,
    {
        self.map_into(Direction::Inverse, latent, contexts, events, log_det)
    }

    /// The two directions of the batch maps.
    fn map_into<X, Z>(
        &self,
        direction: Direction,
        input: &X,
        contexts: Contexts<'_, T, C>,
        output: &mut Z,
        log_det: &mut [T],
    ) -> Result<(), Error>
    where
        X: Events<T, D> + Sync + ?Sized,
        Z: EventsMut<T, D> + Send + ?Sized,
    {
        let n = input.count()?;
        check_length("outputs", n, output.count()?)?;
        check_length("log-dets", n, log_det.len())?;
        contexts.check(n)?;
        let outputs = (EventsOut::<T, D, Z>::new(output), log_det);
        let inverse = matches!(direction, Direction::Inverse);
        map_pieces(outputs, &buffers::<T, D>, &|(buf, blocks), first, piece| {
            for_each_chunk(first, piece, |start, (out, log_det)| {
                let len = log_det.len();
                let buf = &mut buf[..len];
                input.read(start, buf);
                log_det.fill(T::zero());
                let contexts = contexts.range(start, len);
                match check_batch(len, &contexts, len) {
                    Ok(()) => {
                        map_by_blocks(&self.bijection, inverse, buf, contexts, log_det, blocks)
                    }
                    Err(_) => {
                        buf.fill(SVector::repeat(T::lit(f64::NAN)));
                        log_det.fill(T::lit(f64::NAN));
                    }
                }
                out.0.write(0, buf);
            });
        });
        Ok(())
    }

    /// Draws `samples.len()` events (`x ~ p(· | context)`) into `samples`, with their
    /// `log p(x | context)` into `log_prob` unless it is empty.
    ///
    /// Takes one `u64` from `rng` and seeds one generator per chunk of [`CHUNK`] samples from it,
    /// so the draws are the same with or without threads (and differ from those of repeated
    /// [`sample_given`](Self::sample_given) calls).
    ///
    /// # Errors
    /// [`Error::Length`] when `log_prob` is neither empty nor one entry per sample, or per-event
    /// `contexts` are not one per sample, or a flat slice is not a whole number of events.
    pub fn sample_batch_given<R, Z>(
        &self,
        rng: &mut R,
        contexts: Contexts<'_, T, C>,
        samples: &mut Z,
        log_prob: &mut [T],
    ) -> Result<(), Error>
    where
        R: Rng + ?Sized,
        Z: EventsMut<T, D> + Send + ?Sized,
    {
        let n = samples.count()?;
        let with_log_prob = !log_prob.is_empty();
        if with_log_prob {
            check_length("log-probabilities", n, log_prob.len())?;
        }
        contexts.check(n)?;
        let seed: u64 = rng.random();
        let sample_chunk =
            |(buf, blocks): &mut Buffers<T, D>, start, out: &mut Z, log_prob: &mut [T]| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(
                    seed.wrapping_add(((start / CHUNK) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                );
                let len = out.count().unwrap_or(0).min(CHUNK);
                let mut log_det = [T::zero(); CHUNK];
                let (buf, log_det) = (&mut buf[..len], &mut log_det[..len]);
                self.base.sample_into(&mut rng, buf);
                for (lp, z) in log_prob.iter_mut().zip(buf.iter()) {
                    *lp = self.base.log_prob(z);
                }
                let contexts = contexts.range(start, len);
                match check_batch(len, &contexts, len) {
                    Ok(()) => map_by_blocks(&self.bijection, true, buf, contexts, log_det, blocks),
                    Err(_) => buf.fill(SVector::repeat(T::lit(f64::NAN))),
                }
                out.write(0, buf);
                for (lp, ld) in log_prob.iter_mut().zip(log_det.iter()) {
                    *lp -= *ld;
                }
            };
        let outputs = EventsOut::<T, D, Z>::new(samples);
        if with_log_prob {
            map_pieces(
                (outputs, log_prob),
                &buffers::<T, D>,
                &|buf, first, piece| {
                    for_each_chunk(first, piece, |start, (out, lp)| {
                        sample_chunk(buf, start, out.0, lp);
                    });
                },
            );
        } else {
            map_pieces(outputs, &buffers::<T, D>, &|buf, first, piece| {
                for_each_chunk(first, piece, |start, out| {
                    sample_chunk(buf, start, out.0, &mut []);
                });
            });
        }
        Ok(())
    }
}

impl<T, const D: usize, B, Base> Flow<T, D, 0, B, Base>
where
    T: Real,
    B: Bijection<T, D, 0> + Sync,
    Base: Distribution<T, D> + Sync,
{
    /// `log p(x)` of every event of `events` into `out`; see
    /// [`log_prob_batch_given`](Self::log_prob_batch_given).
    ///
    /// # Errors
    /// As [`log_prob_batch_given`](Self::log_prob_batch_given).
    pub fn log_prob_batch<X: Events<T, D> + Sync + ?Sized>(
        &self,
        events: &X,
        out: &mut [T],
    ) -> Result<(), Error> {
        self.log_prob_batch_given(events, Contexts::Shared(&SVector::zeros()), out)
    }

    /// Maps `events` from data to latent; see
    /// [`forward_batch_into_given`](Self::forward_batch_into_given).
    ///
    /// # Errors
    /// As [`forward_batch_into_given`](Self::forward_batch_into_given).
    pub fn forward_batch_into<X, Z>(
        &self,
        events: &X,
        latent: &mut Z,
        log_det: &mut [T],
    ) -> Result<(), Error>
    where
        X: Events<T, D> + Sync + ?Sized,
        Z: EventsMut<T, D> + Send + ?Sized,
    {
        self.forward_batch_into_given(events, Contexts::Shared(&SVector::zeros()), latent, log_det)
    }

    /// Maps `latent` from latent to data; see
    /// [`inverse_batch_into_given`](Self::inverse_batch_into_given).
    ///
    /// # Errors
    /// As [`inverse_batch_into_given`](Self::inverse_batch_into_given).
    pub fn inverse_batch_into<X, Z>(
        &self,
        latent: &X,
        events: &mut Z,
        log_det: &mut [T],
    ) -> Result<(), Error>
    where
        X: Events<T, D> + Sync + ?Sized,
        Z: EventsMut<T, D> + Send + ?Sized,
    {
        self.inverse_batch_into_given(latent, Contexts::Shared(&SVector::zeros()), events, log_det)
    }

    /// Draws samples into `samples`, with their `log p(x)` into `log_prob` unless it is empty;
    /// see [`sample_batch_given`](Self::sample_batch_given).
    ///
    /// # Errors
    /// As [`sample_batch_given`](Self::sample_batch_given).
    pub fn sample_batch<R, Z>(
        &self,
        rng: &mut R,
        samples: &mut Z,
        log_prob: &mut [T],
    ) -> Result<(), Error>
    where
        R: Rng + ?Sized,
        Z: EventsMut<T, D> + Send + ?Sized,
    {
        self.sample_batch_given(rng, Contexts::Shared(&SVector::zeros()), samples, log_prob)
    }
}

/// Conveniences that return vectors.
#[cfg(feature = "std")]
impl<T, const D: usize, const C: usize, B, Base> Flow<T, D, C, B, Base>
where
    T: Real,
    B: Bijection<T, D, C> + Sync,
    Base: Distribution<T, D> + Sync,
{
    /// `log p(x | context)` of every event; see
    /// [`log_prob_batch_given`](Self::log_prob_batch_given).
    ///
    /// # Errors
    /// As [`log_prob_batch_given`](Self::log_prob_batch_given).
    pub fn log_prob_vec_given<X: Events<T, D> + Sync + ?Sized>(
        &self,
        events: &X,
        contexts: Contexts<'_, T, C>,
    ) -> Result<std::vec::Vec<T>, Error> {
        let mut out = std::vec![T::zero(); events.count()?];
        self.log_prob_batch_given(events, contexts, &mut out)?;
        Ok(out)
    }

    /// `n` draws with their log-probabilities; see
    /// [`sample_batch_given`](Self::sample_batch_given).
    ///
    /// # Errors
    /// As [`sample_batch_given`](Self::sample_batch_given).
    #[allow(clippy::type_complexity)]
    pub fn sample_vec_given<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        contexts: Contexts<'_, T, C>,
        n: usize,
    ) -> Result<(std::vec::Vec<SVector<T, D>>, std::vec::Vec<T>), Error> {
        let mut samples = std::vec![SVector::zeros(); n];
        let mut log_prob = std::vec![T::zero(); n];
        self.sample_batch_given(rng, contexts, samples.as_mut_slice(), &mut log_prob)?;
        Ok((samples, log_prob))
    }
}

/// Conveniences that return vectors, for unconditional flows.
#[cfg(feature = "std")]
impl<T, const D: usize, B, Base> Flow<T, D, 0, B, Base>
where
    T: Real,
    B: Bijection<T, D, 0> + Sync,
    Base: Distribution<T, D> + Sync,
{
    /// `log p(x)` of every event; see [`log_prob_batch`](Self::log_prob_batch).
    ///
    /// # Errors
    /// As [`log_prob_batch`](Self::log_prob_batch).
    pub fn log_prob_vec<X: Events<T, D> + Sync + ?Sized>(
        &self,
        events: &X,
    ) -> Result<std::vec::Vec<T>, Error> {
        self.log_prob_vec_given(events, Contexts::Shared(&SVector::zeros()))
    }

    /// `n` draws `x ~ p` with their `log p(x)`; see [`sample_batch`](Self::sample_batch).
    pub fn sample_vec<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        n: usize,
    ) -> (std::vec::Vec<SVector<T, D>>, std::vec::Vec<T>) {
        // A shared context and matching lengths leave nothing to reject.
        self.sample_vec_given(rng, Contexts::Shared(&SVector::zeros()), n)
            .unwrap_or_default()
    }
}
