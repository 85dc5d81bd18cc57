//! Diagonal affine maps over lane blocks: one scale and one shift per row, the rows of several
//! blocks in one call.

use super::isa::{Isa, Row};

/// `rows[k] = rows[k] · scale[j] + shift[j]` in every lane, `j = k mod n` over runs of `n` rows
/// (`n` the length of the shorter of `scale` and `shift`: the blocks of `n` elements, one after
/// the other), the product and the sum each rounded (unfused, as the scalar formula: the values
/// of the per-event map). Nothing without scales.
#[inline(always)]
pub(crate) fn scale_shift<I: Isa>(isa: I, rows: &mut [Row], scale: &[f32], shift: &[f32]) {
    diagonal::<I, false>(isa, rows, scale, shift);
}

/// `rows[k] = (rows[k] − shift[j]) · scale[j]` in every lane (ActNorm's forward formula), over
/// runs of rows as [`scale_shift`], the difference and the product each rounded.
#[inline(always)]
pub(crate) fn shift_scale<I: Isa>(isa: I, rows: &mut [Row], shift: &[f32], scale: &[f32]) {
    diagonal::<I, true>(isa, rows, scale, shift);
}

/// [`scale_shift`], or [`shift_scale`] when `SHIFT_FIRST`.
#[inline(always)]
fn diagonal<I: Isa, const SHIFT_FIRST: bool>(
    isa: I,
    rows: &mut [Row],
    scale: &[f32],
    shift: &[f32],
) {
    let n = scale.len().min(shift.len());
    if n == 0 {
        return;
    }
    for run in rows.chunks_mut(n) {
        for ((row, &a), &b) in run.iter_mut().zip(scale).zip(shift) {
            let (x, a, b) = (isa.load(row), isa.splat(a), isa.splat(b));
            let v = if SHIFT_FIRST {
                isa.mul(isa.sub(x, b), a)
            } else {
                isa.add(isa.mul(x, a), b)
            };
            isa.store(v, row);
        }
    }
}
