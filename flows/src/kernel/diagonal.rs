//! Diagonal affine maps over lane blocks: one scale and one shift per row.

use super::isa::{Isa, Row};

/// `rows[k] = rows[k] · scale[k] + shift[k]` in every lane, the product and the sum each rounded
/// (unfused, as the scalar formula: the values of the per-event map). Rows past `scale` or
/// `shift` are left alone.
#[inline(always)]
pub(crate) fn scale_shift<I: Isa>(isa: I, rows: &mut [Row], scale: &[f32], shift: &[f32]) {
    diagonal::<I, false>(isa, rows, scale, shift);
}

/// `rows[k] = (rows[k] − shift[k]) · scale[k]` in every lane (ActNorm's forward formula), the
/// difference and the product each rounded. Rows past `shift` or `scale` are left alone.
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
    for ((row, &a), &b) in rows.iter_mut().zip(scale).zip(shift) {
        let (x, a, b) = (isa.load(row), isa.splat(a), isa.splat(b));
        let v = if SHIFT_FIRST {
            isa.mul(isa.sub(x, b), a)
        } else {
            isa.add(isa.mul(x, a), b)
        };
        isa.store(v, row);
    }
}
