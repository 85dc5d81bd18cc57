//! The affine transformer over lane blocks: each row's scales from its parameters and the map of
//! the row in one pass, every value in registers. Forward, the formulas of
//! `transformer::affine::scale` lane by lane, but for its near form's tiny correction to
//! `log α` (by a reciprocal estimate, with no division); inverse, the reciprocal scale from one
//! exponential, with no division.

use super::isa::{Isa, Row};
use super::math;
use crate::transformer::{AFFINE_E_MAX, AFFINE_NEAR_MIN, MIN_SCALE};

/// Whether `v = u / 2` takes `scale`'s near form (false for NaN).
#[inline(always)]
fn near(v: f32) -> bool {
    v >= AFFINE_NEAR_MIN as f32
}

/// The exponential of the near form of the scale from `v = u / 2`: `e = expm1(v)` forward, `w =
/// e^{−v}` when `INVERSE` (see [`near_scale`]).
#[inline(always)]
fn near_exp<I: Isa, const INVERSE: bool>(isa: I, v: I::V) -> I::V {
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
fn near_scale<I: Isa, const INVERSE: bool>(isa: I, v: I::V, e: I::V) -> (I::V, I::V) {
    let (one, m) = (isa.splat(1.0), isa.splat(MIN_SCALE as f32));
    if INVERSE {
        let t = isa.mul(m, isa.sub(e, one));
        (isa.fma(e, isa.sub(isa.splat(0.0), t), e), isa.add(v, t))
    } else {
        let alpha = isa.add(one, isa.mul(isa.splat(1.0 - MIN_SCALE as f32), e));
        let e = isa.min(e, isa.splat(AFFINE_E_MAX as f32));
        let t = isa.mul(
            isa.mul(isa.splat(-(MIN_SCALE as f32)), e),
            isa.recip(isa.add(one, e)),
        );
        (alpha, isa.add(v, t))
    }
}

/// The rows whose exponentials one pass computes before the next maps them.
const CHUNK: usize = 16;

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

/// [`affine`] in one direction, by chunks of [`CHUNK`] rows: first every row's exponential (a
/// long chain of dependent operations, and few of them: the chains of many rows overlap), then
/// the rest of the map.
#[inline(always)]
fn affine_map<I: Isa, const INVERSE: bool>(isa: I, rows: &mut [Row], params: &[[Row; 2]]) -> Row {
    let half = isa.splat(0.5);
    let mut total = isa.splat(0.0);
    let mut exps = [[0.0; super::LANES]; CHUNK];
    for (rows, params) in rows.chunks_mut(CHUNK).zip(params.chunks(CHUNK)) {
        for (e, [u, _]) in exps.iter_mut().zip(params) {
            isa.store(near_exp::<I, INVERSE>(isa, isa.mul(isa.load(u), half)), e);
        }
        for ((row, params), e) in rows.iter_mut().zip(params).zip(&exps) {
            total = isa.add(total, map_row::<I, INVERSE>(isa, row, params, isa.load(e)));
        }
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
    // The far form (`u / 2` below the near form's range, or NaN) is rare: only rows that have
    // such a lane pay for it.
    let far = u.iter().fold(false, |far, &u| far | !near(u * 0.5));
    let (mapped, log_alpha) =
        map_value::<I, INVERSE>(isa, isa.load(row), [isa.load(u), isa.load(beta)], e, far);
    isa.store(mapped, row);
    log_alpha
}

/// The map of the values `x` under their parameters `[u, β]` given the exponential `e` of the
/// near form of their scale ([`near_exp`] of `u / 2`), in registers: `(mapped, log α)`. The far
/// form is computed only when `far` (some lane may take it).
#[inline(always)]
fn map_value<I: Isa, const INVERSE: bool>(
    isa: I,
    x: I::V,
    [u, beta]: [I::V; 2],
    e: I::V,
    far: bool,
) -> (I::V, I::V) {
    let m = MIN_SCALE as f32;
    let (half, near_min) = (isa.splat(0.5), isa.splat(AFFINE_NEAR_MIN as f32));
    let v = isa.mul(u, half);
    // `factor` is α, or 1 / α when `INVERSE`.
    let (mut factor, mut log_alpha) = near_scale::<I, INVERSE>(isa, v, e);
    if far {
        let far = isa.or(isa.lt(v, near_min), isa.is_nan(v));
        let far_alpha = isa.add(isa.splat(m), isa.mul(isa.splat(1.0 - m), math::exp(isa, v)));
        let far_factor = if INVERSE {
            isa.div(isa.splat(1.0), far_alpha)
        } else {
            far_alpha
        };
        factor = isa.select(far, far_factor, factor);
        log_alpha = isa.select(far, math::ln(isa, far_alpha), log_alpha);
    }
    let mapped = if INVERSE {
        isa.mul(isa.sub(x, beta), factor)
    } else {
        isa.add(isa.mul(factor, x), beta)
    };
    (mapped, log_alpha)
}

/// The affine map of the values `x` under their parameters `[u, β]` in registers, forward or
/// (when `inverse`) inverse: `(mapped, log α)`, the values of [`affine_row`] lane by lane.
#[inline(always)]
pub(crate) fn affine_value<I: Isa>(
    isa: I,
    x: I::V,
    [u, beta]: [I::V; 2],
    inverse: bool,
) -> (I::V, I::V) {
    let v = isa.mul(u, isa.splat(0.5));
    let far = isa.any(isa.or(isa.lt(v, isa.splat(AFFINE_NEAR_MIN as f32)), isa.is_nan(v)));
    if inverse {
        map_value::<I, true>(isa, x, [u, beta], near_exp::<I, true>(isa, v), far)
    } else {
        map_value::<I, false>(isa, x, [u, beta], near_exp::<I, false>(isa, v), far)
    }
}

/// [`affine`] of one row (`Σ_j` of one term): its exponential stays in registers, with no
/// buffer of a chunk's (one event's elements as lanes).
#[inline(always)]
pub(crate) fn affine_row<I: Isa>(isa: I, row: &mut Row, params: &[Row; 2], inverse: bool) -> Row {
    let v = isa.mul(isa.load(&params[0]), isa.splat(0.5));
    let log_alpha = if inverse {
        map_row::<I, true>(isa, row, params, near_exp::<I, true>(isa, v))
    } else {
        map_row::<I, false>(isa, row, params, near_exp::<I, false>(isa, v))
    };
    let mut out = [0.0; super::LANES];
    isa.store(log_alpha, &mut out);
    out
}
