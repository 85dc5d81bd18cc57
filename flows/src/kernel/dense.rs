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

/// Calls `$block::<I, _, P, G>($args)` for layers of `P = $rows` rows (1 or 2), `G` of them filling
/// the set's largest register block ([`Isa::BLOCK`] rows); evaluates to 0 for other layers.
macro_rules! shared_block {
    ($isa:ty, $rows:expr, $block:ident($($args:expr),*)) => {
        match ($rows, <$isa>::BLOCK) {
            (1, 16..) => $block::<$isa, _, 1, 16>($($args),*),
            (1, 8..) => $block::<$isa, _, 1, 8>($($args),*),
            (1, 6..) => $block::<$isa, _, 1, 6>($($args),*),
            (2, 16..) => $block::<$isa, _, 2, 8>($($args),*),
            (2, 8..) => $block::<$isa, _, 2, 4>($($args),*),
            (2, 6..) => $block::<$isa, _, 2, 3>($($args),*),
            _ => 0,
        }
    };
}

/// `W_j x + b_j` for each layer `(W_j, b_j)` of `layers` in turn, into consecutive rows of `out`
/// (`b_j.len()` rows each; `W_j` column-major with as many rows and `x.len()` columns): the
/// output blocks of a conditioner, or one layer, in a single call. Rows past those of the layers
/// are left alone, and so are those of the layers after the first that does not fit `out`; a
/// layer whose weight does not fit its sizes leaves its rows at its bias. Runs of layers of one
/// or two rows share register blocks (see [`layers_block`]).
#[inline(always)]
pub(crate) fn dense_bias<'a, I: Isa, L: Layer<'a>>(
    isa: I,
    layers: &[L],
    x: &[Row],
    out: &mut [Row],
) {
    let mut rest = out;
    let mut j = 0;
    while let Some((weight, bias)) = layers.get(j).map(|&layer| layer.parts()) {
        let done = shared_block!(I, bias.len(), layers_block(isa, &layers[j..], x, rest));
        if done > 0 {
            rest = &mut core::mem::take(&mut rest)[done * bias.len()..];
            j += done;
            continue;
        }
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
        j += 1;
    }
}

/// The first `G` layers of `layers` (`W_j x + b_j`, each of `P` rows: `W_j` column-major with
/// `x.len()` columns) into the first `G · P` rows of `out`, one layer after the other, in one
/// register block: each input row is loaded once for all of them, where a block per layer would
/// load it once per `P` multiply-adds (small output blocks of conditioners). Returns `G`, or 0
/// (and does nothing) unless there are `G` such layers and `out` has their rows.
#[inline(always)]
pub(crate) fn layers_block<'a, I: Isa, L: Layer<'a>, const P: usize, const G: usize>(
    isa: I,
    layers: &[L],
    x: &[Row],
    out: &mut [Row],
) -> usize {
    let Some(group) = layers.first_chunk::<G>() else {
        return 0;
    };
    let group = group.map(|layer| layer.parts());
    let fits = |&(weight, bias): &(&[f32], &[f32])| {
        bias.len() == P && x.len().checked_mul(P) == Some(weight.len())
    };
    let (true, Some(out)) = (group.iter().all(fits), out.get_mut(..G * P)) else {
        return 0;
    };
    let mut acc: [[I::V; P]; G] = [[isa.splat(0.0); P]; G];
    for (acc, &(_, bias)) in acc.iter_mut().zip(&group) {
        for (a, &b) in acc.iter_mut().zip(bias) {
            *a = isa.splat(b);
        }
    }
    for (i, row) in x.iter().enumerate() {
        let v = isa.load(row);
        for (acc, &(weight, _)) in acc.iter_mut().zip(&group) {
            // SAFETY: `weight.len() == x.len() · P` (checked above) and `i < x.len()`, so
            // `i · P + P ≤ weight.len()`.
            let w = unsafe { weight.get_unchecked(i * P..i * P + P) };
            for (a, &w) in acc.iter_mut().zip(w) {
                *a = isa.fma(isa.splat(w), v, *a);
            }
        }
    }
    for (acc, rows) in acc.iter().zip(out.chunks_exact_mut(P)) {
        for (a, row) in acc.iter().zip(rows) {
            isa.store(*a, row);
        }
    }
    G
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
    dense_bias(isa, layers, x, out.as_flattened_mut());
}

/// A dense layer as [`dense_bias`] takes it: a column-major weight and its bias, as slices
/// (sizes known at run time) or as arrays (at compile time).
pub(crate) trait Layer<'a>: Copy {
    /// The weight and the bias.
    fn parts(self) -> (&'a [f32], &'a [f32]);
}

impl<'a> Layer<'a> for (&'a [f32], &'a [f32]) {
    #[inline(always)]
    fn parts(self) -> (&'a [f32], &'a [f32]) {
        self
    }
}

impl<'a, const K: usize, const P: usize> Layer<'a> for (&'a [[f32; P]; K], &'a [f32; P]) {
    #[inline(always)]
    fn parts(self) -> (&'a [f32], &'a [f32]) {
        (self.0.as_flattened(), self.1)
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
