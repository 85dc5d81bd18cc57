//! The affine transformer over lane blocks: each row's scales from its parameters and the map of
//! the row in one pass, every value in registers. Forward, the formulas of
//! `transformer::affine::scale` lane by lane, but for its near form's tiny correction to
//! `log α` (by a reciprocal estimate, with no division, and only in rows with a lane where it
//! changes anything); inverse, the reciprocal scale from one exponential, with no division.

use super::isa::{Isa, Row};
use super::math;
use crate::transformer::{AFFINE_E_MAX, AFFINE_NEAR_MIN, MIN_SCALE};

/// From this `v = u / 2` up, the near form's correction `t` of [`near_scale`] changes nothing:
/// `|t| = m |e^{−v} − 1| < 1.5e-8` there, below half a unit of `v` (so `v + t` rounds to `v`)
/// and below `2^-25` (so `w (1 − t)` rounds to `w`), so `log α = v` and `1 / α = w` exactly.
pub(super) const EXACT_MIN: f32 = -5.0;

/// Whether `v = u / 2` takes the near form's shortcut (see [`EXACT_MIN`]; false for NaN).
#[inline(always)]
fn exact(v: f32) -> bool {
    v >= EXACT_MIN
}

/// The exponential of the near form of the scale from `v = u / 2`: `e = expm1(v)` forward, `w =
/// e^{−v}` when `INVERSE` (see [`near_scale`]).
#[inline(always)]
pub(super) fn near_exp<I: Isa, const INVERSE: bool>(isa: I, v: I::V) -> I::V {
    if INVERSE {
        math::exp(isa, isa.sub(isa.splat(0.0), v))
    } else {
        math::expm1(isa, v)
    }
}

/// The near form of the scale from `v = u / 2` and its exponential `e` ([`near_exp`]): `(α, log
/// α)` forward, `(1 / α, log α)` when `INVERSE`. With `m` = [`MIN_SCALE`], `α = e^v (1 + t)`,
/// `t = m (e^{−v} − 1)`, `|t| < 2.3e-6`, and `log α = v + ln(1 + t) = v + t` to within
/// `t² / 2 < 2.7e-12`, which `f32` does not resolve. Forward, `α = 1 + (1 − m) e` from
/// `e = expm1(v)` (`scale`'s formula) and `t = −m e / (1 + e)` by the set's reciprocal estimate
/// (`t` is needed to a few digits only: it moves `v` by at most 2.3e-6). Inverse, from
/// `e = w = e^{−v}` alone: `t = m (w − 1)` and `1 / α = w / (1 + t) = w (1 − t)` to within
/// `t²`; this does not cancel where `1 + (1 − m) e` does (`e` near −1), so it is the more
/// accurate there.
#[inline(always)]
pub(super) fn near_scale<I: Isa, const INVERSE: bool>(isa: I, v: I::V, e: I::V) -> (I::V, I::V) {
    let (one, m) = (isa.splat(1.0), isa.splat(MIN_SCALE as f32));
    if INVERSE {
        let t = isa.mul(m, isa.sub(e, one));
        (isa.fma(e, isa.sub(isa.splat(0.0), t), e), isa.add(v, t))
    } else {
        let alpha = near_alpha(isa, e);
        let e = isa.min(e, isa.splat(AFFINE_E_MAX as f32));
        let t = isa.mul(
            isa.mul(isa.splat(-(MIN_SCALE as f32)), e),
            isa.recip(isa.add(one, e)),
        );
        (alpha, isa.add(v, t))
    }
}

/// The near form's `α = 1 + (1 − m) e` from `e = expm1(v)` (`m` = [`MIN_SCALE`]).
#[inline(always)]
pub(super) fn near_alpha<I: Isa>(isa: I, e: I::V) -> I::V {
    isa.add(
        isa.splat(1.0),
        isa.mul(isa.splat(1.0 - MIN_SCALE as f32), e),
    )
}

/// Maps every row `rows[j]` lane by lane under its parameters `params[j] = [u, β]`: forward
/// `α x + β`, or `(x − β) / α` when `inverse` (as `(x − β) · (1 / α)`), with
/// `α = m + (1 − m) e^{u/2}` (`m` = [`MIN_SCALE`]) by `scale`'s near form (see [`near_scale`])
/// or, in the lanes that need it, its far form; returns `Σ_j log α_j` of every lane. Rows without
/// parameters are left alone.
#[inline(always)]
pub(crate) fn affine<I: Isa>(isa: I, rows: &mut [Row], params: &[[Row; 2]], inverse: bool) -> Row {
    if inverse {
        affine_map::<I, true>(isa, rows, params)
    } else {
        affine_map::<I, false>(isa, rows, params)
    }
}

/// [`affine`] in one direction, row by row: each row's exponential is a long chain of dependent
/// operations, and few of them, which the chains of the next rows overlap out of order.
#[inline(always)]
fn affine_map<I: Isa, const INVERSE: bool>(isa: I, rows: &mut [Row], params: &[[Row; 2]]) -> Row {
    let half = isa.splat(0.5);
    let mut total = isa.splat(0.0);
    for (row, params) in rows.iter_mut().zip(params) {
        let e = near_exp::<I, INVERSE>(isa, isa.mul(isa.load(&params[0]), half));
        total = isa.add(total, map_row::<I, INVERSE>(isa, row, params, e));
    }
    let mut out = [0.0; super::LANES];
    isa.store(total, &mut out);
    out
}

/// Maps `row` under its parameters `[u, β]` given the exponential `e` of the near form of its
/// scale ([`near_exp`] of `u / 2`); returns its `log α`.
#[inline(always)]
fn map_row<I: Isa, const INVERSE: bool>(
    isa: I,
    row: &mut Row,
    [u, beta]: &[Row; 2],
    e: I::V,
) -> I::V {
    // Rows with a lane below the shortcut's range (or NaN) are rare: only they pay for the
    // near form's correction and the far form.
    let slow = u.iter().fold(false, |slow, &u| slow | !exact(u * 0.5));
    let (mapped, log_alpha) =
        map_value::<I, INVERSE>(isa, isa.load(row), [isa.load(u), isa.load(beta)], e, slow);
    isa.store(mapped, row);
    log_alpha
}

/// The map of the values `x` under their parameters `[u, β]` given the exponential `e` of the
/// near form of their scale ([`near_exp`] of `u / 2`), in registers: `(mapped, log α)`. The near
/// form's correction and the far form are computed only when `slow` (some lane may be below
/// [`EXACT_MIN`]); otherwise every lane takes the near form without its correction.
#[inline(always)]
fn map_value<I: Isa, const INVERSE: bool>(
    isa: I,
    x: I::V,
    [u, beta]: [I::V; 2],
    e: I::V,
    slow: bool,
) -> (I::V, I::V) {
    let m = MIN_SCALE as f32;
    let (half, near_min) = (isa.splat(0.5), isa.splat(AFFINE_NEAR_MIN as f32));
    let v = isa.mul(u, half);
    // `factor` is α, or 1 / α when `INVERSE`: the near form without its correction, exact from
    // `EXACT_MIN` up.
    let mut factor = if INVERSE { e } else { near_alpha(isa, e) };
    let mut log_alpha = v;
    if slow {
        let (near_factor, near_log_alpha) = near_scale::<I, INVERSE>(isa, v, e);
        let far = isa.or(isa.lt(v, near_min), isa.is_nan(v));
        let far_alpha = isa.add(isa.splat(m), isa.mul(isa.splat(1.0 - m), math::exp(isa, v)));
        let far_factor = if INVERSE {
            isa.div(isa.splat(1.0), far_alpha)
        } else {
            far_alpha
        };
        factor = isa.select(far, far_factor, near_factor);
        log_alpha = isa.select(far, math::ln(isa, far_alpha), near_log_alpha);
    }
    let mapped = if INVERSE {
        isa.mul(isa.sub(x, beta), factor)
    } else {
        isa.fma(factor, x, beta)
    };
    (mapped, log_alpha)
}

/// The affine map of the values `x` under their parameters `[u, β]` in registers, forward or
/// (when `inverse`) inverse: `(mapped, log α)`, the values of [`affine_row`] lane by lane. The
/// near form's correction and the far form only when a lane is below [`EXACT_MIN`]: a NaN lane
/// gives NaN either way.
#[inline(always)]
pub(crate) fn affine_value<I: Isa>(
    isa: I,
    x: I::V,
    [u, beta]: [I::V; 2],
    inverse: bool,
) -> (I::V, I::V) {
    let v = isa.mul(u, isa.splat(0.5));
    let slow = isa.any(isa.lt(v, isa.splat(EXACT_MIN)));
    if inverse {
        map_value::<I, true>(isa, x, [u, beta], near_exp::<I, true>(isa, v), slow)
    } else {
        map_value::<I, false>(isa, x, [u, beta], near_exp::<I, false>(isa, v), slow)
    }
}

/// [`affine`] of one row (`Σ_j` of one term): one event's elements as lanes.
#[inline(always)]
pub(crate) fn affine_row<I: Isa>(isa: I, row: &mut Row, params: &[Row; 2], inverse: bool) -> Row {
    affine(
        isa,
        core::slice::from_mut(row),
        core::slice::from_ref(params),
        inverse,
    )
}
