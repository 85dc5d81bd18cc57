//! The arithmetic of Marsaglia's polar method over lane rows (see
//! [`distribution::polar`](crate::distribution)): candidate points `(u, v)` in, their squared
//! radii and normal variates out.

use super::isa::{Isa, Row};
use super::math;

/// For every lane of the rows `u`, `v` (one candidate point each): `s = u² + v²` into `s`, and
/// `u`, `v` multiplied by `sqrt(−2 ln s / s)` in place, each step rounded as in the scalar
/// formula (no fused multiply-add), so that every instruction set gives the same bits. The
/// variates are those of the points with `0 < s < 1`; the others are to be dropped. Rows past
/// the shortest of the three slices are left alone.
#[inline(always)]
pub(crate) fn polar<I: Isa>(isa: I, u: &mut [Row], v: &mut [Row], s: &mut [Row]) {
    for ((u, v), s) in u.iter_mut().zip(v.iter_mut()).zip(s.iter_mut()) {
        let (x, y) = (isa.load(u), isa.load(v));
        let radius = isa.add(isa.mul(x, x), isa.mul(y, y));
        let log = math::ln(isa, radius);
        let factor = isa.sqrt(isa.div(isa.mul(isa.splat(-2.0), log), radius));
        isa.store(radius, s);
        isa.store(isa.mul(x, factor), u);
        isa.store(isa.mul(y, factor), v);
    }
}
