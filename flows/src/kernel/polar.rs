//! The arithmetic of Marsaglia's polar method over lane rows (see
//! [`distribution::polar`](crate::distribution)): candidate points `(u, v)` in, the normal
//! variates of those inside the unit disc out, packed.

use super::isa::{Isa, Row};
use super::math;

/// For every lane of the rows `u`, `v` (one candidate point each): `s = u² + v²`, and the
/// point's variates `u · f`, `v · f` with `f = sqrt(−2 ln s / s)`, each step rounded as in that
/// formula (no fused multiply-add), so that every instruction set gives the same bits. The
/// variates of the points with `0 < s < 1` are written to the front of `out` in order, a
/// point's two side by side, and their number is returned; the others are dropped. `out` needs
/// `2 · LANES` values of room past the kept ones (so twice the points in all): rows that
/// would go past it are left out.
#[inline(always)]
pub(crate) fn polar<I: Isa>(isa: I, u: &[Row], v: &[Row], out: &mut [f32]) -> usize {
    let mut kept = 0;
    for (u, v) in u.iter().zip(v) {
        let (x, y) = (isa.load(u), isa.load(v));
        let radius = isa.add(isa.mul(x, x), isa.mul(y, y));
        let log = math::ln(isa, radius);
        let factor = isa.sqrt(isa.div(isa.mul(isa.splat(-2.0), log), radius));
        // `0 < s < 1` as one comparison: `s ≤ 0` (or NaN) is first moved to 2.
        let inside = isa.select(isa.lt(isa.splat(0.0), radius), radius, isa.splat(2.0));
        let keep = isa.lt(inside, isa.splat(1.0));
        let rest = out.get_mut(2 * kept..).unwrap_or_default();
        kept += isa.pack_pairs(keep, isa.mul(x, factor), isa.mul(y, factor), rest);
    }
    kept
}
