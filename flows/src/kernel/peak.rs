//! The practical peak of fused multiply-adds on one core: the dense kernel's largest register
//! block of accumulators, updated from registers only (no loads), for benchmarks to compare the
//! dense layers' FLOP rate against.

use super::LANES;
use super::dense::largest_block;
use super::isa::{Isa, Row};

/// Runs `rounds` rounds of `a ← a · ½ + 1` on every accumulator of the set's largest dense
/// register block (accumulator `k` starting at `k`), writes the sum of the accumulators to `out`
/// and returns the floating-point operations done (two per lane and multiply-add).
#[inline(always)]
pub(crate) fn fma_loop<I: Isa>(isa: I, rounds: usize, out: &mut Row) -> usize {
    largest_block!(I, usize::MAX, chains(isa, rounds, out))
}

/// [`fma_loop`] on `R · S` accumulators.
#[inline(always)]
pub(crate) fn chains<I: Isa, const R: usize, const S: usize>(
    isa: I,
    rounds: usize,
    out: &mut Row,
) -> usize {
    // Opaque factors, so the loop cannot be folded.
    let half = isa.splat(core::hint::black_box(0.5));
    let one = isa.splat(core::hint::black_box(1.0));
    // Plain loops rather than `array::from_fn`: a closure may be left out of line without the
    // caller's target features, and its intrinsics with it.
    let mut acc = [[isa.splat(0.0); R]; S];
    for (s, set) in acc.iter_mut().enumerate() {
        for (k, a) in set.iter_mut().enumerate() {
            *a = isa.splat((s * R + k) as f32);
        }
    }
    for _ in 0..rounds {
        for set in acc.iter_mut() {
            for a in set.iter_mut() {
                *a = isa.fma(*a, half, one);
            }
        }
    }
    let sum = acc
        .iter()
        .flatten()
        .fold(isa.splat(0.0), |sum, a| isa.add(sum, *a));
    isa.store(sum, out);
    2 * LANES * R * S * rounds
}
