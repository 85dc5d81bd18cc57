//! The affine transformer over lane blocks: each row's scales from its parameters and the map of
//! the row in one pass, every value in registers (the formulas of `transformer::affine::scale`,
//! lane by lane, in the same order of operations).

use super::isa::{Isa, Row};
use super::math;
use crate::transformer::{AFFINE_E_MAX, AFFINE_NEAR_MIN, MIN_SCALE};

/// Whether `v = u / 2` takes `scale`'s near form (false for NaN).
#[inline(always)]
fn near(v: f32) -> bool {
    v >= AFFINE_NEAR_MIN as f32
}

/// Maps every row `rows[j]` lane by lane under its parameters `params[j] = [u, β]`: forward
/// `α x + β`, or `(x − β) / α` when `inverse`, with `α = m + (1 − m) e^{u/2}` (`m` =
/// [`MIN_SCALE`]) by `scale`'s near form (one `expm1`) or, in the lanes that need it, its far
/// form; returns `Σ_j log α_j` of every lane. Rows without parameters are left alone.
#[inline(always)]
pub(crate) fn affine<I: Isa>(isa: I, rows: &mut [Row], params: &[[Row; 2]], inverse: bool) -> Row {
    let m = MIN_SCALE as f32;
    let (one, keep) = (isa.splat(1.0), isa.splat(1.0 - m));
    let near_min = isa.splat(AFFINE_NEAR_MIN as f32);
    let mut total = isa.splat(0.0);
    for (row, [u, beta]) in rows.iter_mut().zip(params) {
        let v = isa.mul(isa.load(u), isa.splat(0.5));
        let e = math::expm1(isa, v);
        let mut alpha = isa.add(one, isa.mul(keep, e));
        let e = isa.min(e, isa.splat(AFFINE_E_MAX as f32));
        let t = isa.div(isa.mul(isa.splat(-m), e), isa.add(one, e));
        let series = isa.sub(isa.mul(t, isa.splat((1.0 / 3.0) as f32)), isa.splat(0.5));
        let mut log_alpha = isa.add(v, isa.mul(t, isa.add(one, isa.mul(t, series))));
        // The far form (`u / 2` below the near form's range, or NaN) is rare: only rows that
        // have such a lane pay for it.
        if u.iter().fold(false, |far, &u| far | !near(u * 0.5)) {
            let far = isa.or(isa.lt(v, near_min), isa.is_nan(v));
            let far_alpha = isa.add(isa.splat(m), isa.mul(keep, math::exp(isa, v)));
            alpha = isa.select(far, far_alpha, alpha);
            log_alpha = isa.select(far, math::ln(isa, far_alpha), log_alpha);
        }
        let (x, beta) = (isa.load(row), isa.load(beta));
        let mapped = if inverse {
            isa.div(isa.sub(x, beta), alpha)
        } else {
            isa.add(isa.mul(alpha, x), beta)
        };
        isa.store(mapped, row);
        total = isa.add(total, log_alpha);
    }
    let mut out = [0.0; super::LANES];
    isa.store(total, &mut out);
    out
}
