//! The reversal of the rows of lane blocks (the reverse permutation of the elements).

use super::isa::{Isa, Row};

/// Reverses the order of `rows` in place: each pair of rows from both ends swapped through
/// registers, whole rows at once.
#[inline(always)]
pub(crate) fn reverse<I: Isa>(isa: I, rows: &mut [Row]) {
    let (front, back) = rows.split_at_mut(rows.len() / 2);
    for (a, b) in front.iter_mut().zip(back.iter_mut().rev()) {
        let (va, vb) = (isa.load(a), isa.load(b));
        isa.store(vb, a);
        isa.store(va, b);
    }
}

/// Reverses the order of the rows of every block of `blocks` in place (see [`reverse`]): the
/// blocks of a group in one call.
#[inline(always)]
pub(crate) fn reverse_blocks<I: Isa, const N: usize>(isa: I, blocks: &mut [[Row; N]]) {
    for block in blocks {
        reverse(isa, block);
    }
}
