//! Diagonal affine maps over lane blocks: one scale and one shift per row.

use super::isa::{Isa, Row};

/// `rows[k] = rows[k] · scale[k] + shift[k]` in every lane, the product and the sum each rounded
/// (unfused, as the scalar formula: the values of the per-event map). Rows past `scale` or
/// `shift` are left alone.
#[inline(always)]
pub(crate) fn scale_shift<I: Isa>(isa: I, rows: &mut [Row], scale: &[f32], shift: &[f32]) {
    for ((row, &a), &b) in rows.iter_mut().zip(scale).zip(shift) {
        let v = isa.add(isa.mul(isa.load(row), isa.splat(a)), isa.splat(b));
        isa.store(v, row);
    }
}
