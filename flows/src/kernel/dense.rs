//! Dense layers over lane blocks: every feature is one row of [`LANES`](super::LANES) events
//! (structure of arrays), so one weight multiplies a whole row with one fused multiply-add.

use super::isa::{Isa, Row};

/// `out[r] += Σ_i weight[i · ld + r] · x[i]` for every lane, `r < out.len()`: `weight` is a
/// column-major matrix with leading dimension `ld` (`nalgebra`'s layout), `ld ≥ out.len()` and
/// `x.len()` columns. Rows are computed in register blocks of 8, 4, 2 and 1 (each input row is
/// loaded once per block). Does nothing unless the sizes fit.
#[inline(always)]
pub(crate) fn dense<I: Isa>(isa: I, weight: &[f32], ld: usize, x: &[Row], out: &mut [Row]) {
    if out.len() > ld || weight.len() != ld * x.len() || ld == 0 {
        return;
    }
    let mut first = 0;
    let mut rest = out;
    while !rest.is_empty() {
        let len = rest.len();
        let taken = if len >= 8 {
            rows::<I, 8>(isa, weight, ld, first, x, rest)
        } else if len >= 4 {
            rows::<I, 4>(isa, weight, ld, first, x, rest)
        } else if len >= 2 {
            rows::<I, 2>(isa, weight, ld, first, x, rest)
        } else {
            rows::<I, 1>(isa, weight, ld, first, x, rest)
        };
        first += taken;
        rest = &mut rest[taken..];
    }
}

/// The first `R` rows of `out` (rows `first..first + R` of the matrix); returns `R`.
#[inline(always)]
fn rows<I: Isa, const R: usize>(
    isa: I,
    weight: &[f32],
    ld: usize,
    first: usize,
    x: &[Row],
    out: &mut [Row],
) -> usize {
    let Some(out) = out.first_chunk_mut::<R>() else {
        return R;
    };
    let mut acc: [I::V; R] = core::array::from_fn(|k| isa.load(&out[k]));
    for (i, row) in x.iter().enumerate() {
        let Some(w) = weight
            .get(i * ld + first..)
            .and_then(|c| c.first_chunk::<R>())
        else {
            continue;
        };
        let v = isa.load(row);
        for (a, &w) in acc.iter_mut().zip(w) {
            *a = isa.fma(isa.splat(w), v, *a);
        }
    }
    for (a, o) in acc.iter().zip(out.iter_mut()) {
        isa.store(*a, o);
    }
    R
}
