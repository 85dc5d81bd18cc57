//! Dense layers over lane blocks: every feature is one row of [`LANES`](super::LANES) events
//! (structure of arrays), so one weight multiplies a whole row with one fused multiply-add.

use super::isa::{Isa, Row};

/// Calls `$block::<I, R, S>($args)` for the largest register block of `R` rows (`S` sets of
/// accumulators) that fits both `$len` rows and the set's [`Isa::BLOCK`]; the blocks below 4
/// rows split the columns over several sets so that at least 8 multiply-adds are in flight.
macro_rules! largest_block {
    ($isa:ty, $len:expr, $block:ident($($args:expr),*)) => {
        match $len {
            n if n >= 16 && <$isa>::BLOCK >= 16 => $block::<$isa, 16, 1>($($args),*),
            n if n >= 8 && <$isa>::BLOCK >= 8 => $block::<$isa, 8, 1>($($args),*),
            n if n >= 6 => $block::<$isa, 6, 1>($($args),*),
            n if n >= 4 => $block::<$isa, 4, 1>($($args),*),
            n if n >= 2 => $block::<$isa, 2, 2>($($args),*),
            _ => $block::<$isa, 1, 4>($($args),*),
        }
    };
}
#[cfg(feature = "std")]
pub(crate) use largest_block;

/// `out[r] += Σ_i weight[i · ld + r] · x[i]` for every lane, `r < out.len()`: `weight` is a
/// column-major matrix with leading dimension `ld` (`nalgebra`'s layout), `ld ≥ out.len()` and
/// `x.len()` columns. Does nothing unless the sizes fit (see [`dense_from`]).
#[inline(always)]
pub(crate) fn dense<I: Isa>(isa: I, weight: &[f32], ld: usize, x: &[Row], out: &mut [Row]) {
    dense_from(isa, weight, ld, None, x, out);
}

/// `out[r] = s_r + Σ_i weight[i · ld + r] · x[i]` for every lane, `r < out.len()`, where `s_r`
/// is `bias[r]` when there is a bias, else `out[r]`: `weight` is a column-major matrix with
/// leading dimension `ld ≥ out.len()` and `x.len()` columns, `bias` has `ld` entries. Rows are
/// computed in register blocks (see [`block`]), largest first: as many rows as the set's
/// registers hold ([`Isa::BLOCK`]), then 6, 4, 2 and 1. Returns whether the sizes fit (else
/// does nothing).
#[inline(always)]
pub(crate) fn dense_from<I: Isa>(
    isa: I,
    weight: &[f32],
    ld: usize,
    bias: Option<&[f32]>,
    x: &[Row],
    out: &mut [Row],
) -> bool {
    let fits = ld.checked_mul(x.len()) == Some(weight.len())
        && bias.is_none_or(|b| b.len() == ld)
        && out.len() <= ld
        && ld > 0;
    if fits {
        let mut first = 0;
        while first < out.len() {
            let rest = &mut out[first..];
            first += largest_block!(I, rest.len(), block(isa, weight, ld, bias, first, x, rest));
        }
    }
    fits
}

/// `W_j x + b_j` for each layer `(W_j, b_j)` of `layers` in turn, into consecutive rows of `out`
/// (`b_j.len()` rows each; `W_j` column-major with as many rows and `x.len()` columns): the
/// output blocks of a conditioner, or one layer, in a single call. Rows past those of the layers
/// are left alone, and so are those of the layers after the first that does not fit `out`; a
/// layer whose weight does not fit its sizes leaves its rows at its bias.
#[inline(always)]
pub(crate) fn dense_bias<I: Isa>(isa: I, layers: &[(&[f32], &[f32])], x: &[Row], out: &mut [Row]) {
    let mut rest = out;
    for &(weight, bias) in layers {
        let Some((rows, tail)) = rest.split_at_mut_checked(bias.len()) else {
            return;
        };
        // The register blocks start from the bias: no pass storing it first.
        if !dense_from(isa, weight, bias.len(), Some(bias), x, rows) {
            for (row, &b) in rows.iter_mut().zip(bias) {
                isa.store(isa.splat(b), row);
            }
        }
        rest = tail;
    }
}

/// [`dense_bias`] with every size fixed at compile time: `out[j] = W_j x + b_j` for each of the
/// `B` layers `(W_j, b_j)` of `P` rows (`W_j` column-major: `K` columns of `P` values, as
/// `nalgebra` stores it). Instantiated with constant sizes, [`dense_from`]'s choice of register
/// blocks, its loop bounds and its size checks fold away and the columns unroll: the kernel of
/// the small layers, whose cost is otherwise that bookkeeping rather than the multiply-adds.
#[inline(always)]
pub(crate) fn dense_bias_fixed<I: Isa, const K: usize, const P: usize, const B: usize>(
    isa: I,
    layers: &[(&[[f32; P]; K], &[f32; P]); B],
    x: &[Row; K],
    out: &mut [[Row; P]; B],
) {
    for (&(weight, bias), rows) in layers.iter().zip(out) {
        dense_from(isa, weight.as_flattened(), P, Some(bias), x, rows);
    }
}

/// The first `R` rows of `out` (rows `first..first + R` of the matrix), with `S` sets of
/// accumulators starting from `bias[first..first + R]`, or without a bias from those rows of
/// `out`: set `s` sums the columns `i ≡ s (mod S)` (each input row is loaded once per block,
/// each weight broadcast once). Returns `R`; does nothing when `out` has fewer rows, or
/// `weight` (or the bias) does not hold those rows of `x.len()` columns.
#[inline(always)]
pub(crate) fn block<I: Isa, const R: usize, const S: usize>(
    isa: I,
    weight: &[f32],
    ld: usize,
    bias: Option<&[f32]>,
    first: usize,
    x: &[Row],
    out: &mut [Row],
) -> usize {
    let fits = first + R <= ld && x.len().checked_mul(ld).is_some_and(|n| n <= weight.len());
    let bias = bias.map(|b| b.get(first..).and_then(|b| b.first_chunk::<R>()));
    let (Some(out), true, None | Some(Some(_))) = (out.first_chunk_mut::<R>(), fits, bias) else {
        return R;
    };
    // Column `i < x.len()` of the block into `acc`.
    let step = |acc: &mut [I::V; R], i: usize, row: &Row| {
        let start = i * ld + first;
        // SAFETY: `start + R ≤ i · ld + ld ≤ x.len() · ld ≤ weight.len()` (checked above), so
        // the range is inside `weight`. Checked once per block, not per column.
        let w = unsafe { weight.get_unchecked(start..start + R) };
        let v = isa.load(row);
        for (a, &w) in acc.iter_mut().zip(w) {
            *a = isa.fma(isa.splat(w), v, *a);
        }
    };
    let mut acc = [[isa.splat(0.0); R]; S];
    for (t, (a, o)) in acc[0].iter_mut().zip(out.iter()).enumerate() {
        *a = match bias {
            Some(Some(b)) => isa.splat(b[t]),
            _ => isa.load(o),
        };
    }
    let groups = x.chunks_exact(S);
    let tail = groups.remainder();
    for (g, rows) in groups.enumerate() {
        for (s, (acc, row)) in acc.iter_mut().zip(rows).enumerate() {
            step(acc, g * S + s, row);
        }
    }
    for (k, row) in tail.iter().enumerate() {
        step(&mut acc[0], x.len() - tail.len() + k, row);
    }
    let mut sum = acc[0];
    for set in &acc[1..] {
        for (s, a) in sum.iter_mut().zip(set) {
            *s = isa.add(*s, *a);
        }
    }
    for (s, o) in sum.iter().zip(out.iter_mut()) {
        isa.store(*s, o);
    }
    R
}
