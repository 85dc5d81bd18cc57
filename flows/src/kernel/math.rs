//! Vectorized `exp`, `expm1`, `ln`, `ln_1p`, `tanh`, `sigmoid` and `softplus` on lane blocks,
//! written once over [`Isa`] (Cephes' reductions and polynomials for `f32`).
//!
//! `e^x` is reduced to `2^n (1 + q)` once (`exp_parts`); the power of two is built by shifting
//! the bits of a rounded sum, with no conversion to integers. Accuracy against libm (tested over
//! wide ranges in `tests.rs`): one to two and a half units in the last place for normal
//! results, by function (see `Kernels`). Special values: NaN gives NaN; `exp(±inf)` is `inf` / `0`; `ln(0) = −inf`,
//! `ln` of a negative number is NaN; `ln_1p(−1) = −inf`; `tanh(±inf) = ±1`; `sigmoid(±inf)` is
//! `1` / `0`; `softplus(inf) = inf`. Subnormal results are accurate to a few units of the
//! smallest subnormal.

use super::isa::Isa;

/// `ln 2` split in a part exact in `f32` and the rest.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// `1.5 · 2²³`: adding it to an `f32` below `2²²` in magnitude rounds that to an integer (ties
/// to even), which then sits in the low bits of the sum.
const ROUNDER: f32 = 12_582_912.0;

/// `2⁻⁶⁴`.
const TWO_TO_MINUS_64: f32 = 1.0 / 18_446_744_073_709_551_616.0;

/// Evaluates the polynomial with `coefficients` (highest degree first, at least one) at `x`.
#[inline(always)]
fn horner<I: Isa>(isa: I, x: I::V, coefficients: &[f32]) -> I::V {
    let (&first, rest) = coefficients
        .split_first()
        .expect("a polynomial has a coefficient");
    let mut p = isa.splat(first);
    for &c in rest {
        p = isa.fma(p, x, isa.splat(c));
    }
    p
}

/// The reduction `e^x = 2^n (1 + q)`, `n = round(x / ln 2)`: returns `(2^(n + k), q)` for the
/// integer-valued `k`, where `n + k` must lie in `[−126, 127]` (`−2^(n + k)` for `k` raised
/// by 256, which sets the sign bit, see [`Isa::shift_to_exponent`]). At `n = 0`, `q` is
/// `x + x² p(x)` with no rounding of `x`, accurate relatively; NaN gives a NaN `q`.
#[inline(always)]
fn exp_parts<I: Isa>(isa: I, x: I::V, k: I::V) -> (I::V, I::V) {
    let t = isa.fma(x, isa.splat(core::f32::consts::LOG2_E), isa.splat(ROUNDER));
    let n = isa.sub(t, isa.splat(ROUNDER));
    let s = isa.shift_to_exponent(isa.add(t, isa.add(k, isa.splat(127.0))));
    let r = isa.fma(n, isa.splat(-LN2_HI), x);
    let r = isa.fma(n, isa.splat(-LN2_LO), r);
    // Estrin's scheme: three independent pairs, then two steps in `r²` (a shorter chain of
    // dependent operations than Horner's five).
    let r2 = isa.mul(r, r);
    let pair = |high: f32, low: f32| isa.fma(isa.splat(high), r, isa.splat(low));
    let p = isa.fma(
        isa.fma(
            pair(1.987_569_1e-4, 1.398_2e-3),
            r2,
            pair(8.333_452e-3, 4.166_579_6e-2),
        ),
        r2,
        pair(1.666_666_5e-1, 5.0e-1),
    );
    (s, isa.fma(p, r2, r))
}

/// `e^x`.
#[inline(always)]
pub(crate) fn exp<I: Isa>(isa: I, x: I::V) -> I::V {
    // Clamped to [−104, 89] (NaN passes: `min` and `max` return their second operand then), so
    // n lies in [−150, 129]: 2^n is applied as 2^(n + 64) · 2^−64 below 0 and 2^(n − 2) · 4
    // above, two normal factors, so that underflow and overflow happen in the final product.
    let x = isa.min(isa.splat(89.0), isa.max(isa.splat(-104.0), x));
    let negative = isa.lt(x, isa.splat(0.0));
    let (s, q) = exp_parts(
        isa,
        x,
        isa.select(negative, isa.splat(64.0), isa.splat(-2.0)),
    );
    let factor = isa.select(negative, isa.splat(TWO_TO_MINUS_64), isa.splat(4.0));
    isa.mul(isa.fma(s, q, s), factor)
}

/// `e^x` for `x ≤ 0` (or NaN): [`exp`] without the choice of factors (the same values).
#[inline(always)]
pub(crate) fn exp_negative<I: Isa>(isa: I, x: I::V) -> I::V {
    let (s, q) = exp_parts(isa, isa.max(isa.splat(-104.0), x), isa.splat(64.0));
    isa.mul(isa.fma(s, q, s), isa.splat(TWO_TO_MINUS_64))
}

/// `e^x − 1`, accurate near 0.
#[inline(always)]
pub(crate) fn expm1<I: Isa>(isa: I, x: I::V) -> I::V {
    // 2 (2^(n − 1) q + 2^(n − 1) − 1/2): at n = 0 this is q itself, exactly. Clamped to
    // [−80, 89] (NaN passes), so that 2^(n − 1) is normal; e^−80 − 1 rounds to −1, and the
    // final doubling overflows where e^x does.
    let x = isa.min(isa.splat(89.0), isa.max(isa.splat(-80.0), x));
    let (s, q) = exp_parts(isa, x, isa.splat(-1.0));
    isa.mul(isa.fma(s, q, isa.sub(s, isa.splat(0.5))), isa.splat(2.0))
}

/// The natural logarithm.
#[inline(always)]
pub(crate) fn ln<I: Isa>(isa: I, x: I::V) -> I::V {
    // Subnormal inputs are scaled by 2^23 first.
    let subnormal = isa.lt(x, isa.splat(f32::MIN_POSITIVE));
    let scaled = isa.select(subnormal, isa.mul(x, isa.splat(8_388_608.0)), x);
    let (e, m) = isa.split_exponent(scaled);
    let e = isa.select(subnormal, isa.sub(e, isa.splat(23.0)), e);
    let f = isa.sub(m, isa.splat(1.0));
    let z = isa.mul(f, f);
    let p = horner(
        isa,
        f,
        &[
            7.037_683_6e-2,
            -1.151_461e-1,
            1.167_699_9e-1,
            -1.242_014_1e-1,
            1.424_932_3e-1,
            -1.666_805_8e-1,
            2.000_071_4e-1,
            -2.499_999_4e-1,
            3.333_333e-1,
        ],
    );
    let y = isa.mul(isa.mul(p, f), z);
    let y = isa.fma(e, isa.splat(LN2_LO), y);
    let y = isa.fma(z, isa.splat(-0.5), y);
    let r = isa.fma(e, isa.splat(LN2_HI), isa.add(f, y));
    let r = isa.select(isa.eq(x, isa.splat(f32::INFINITY)), x, r);
    let r = isa.select(isa.eq(x, isa.splat(0.0)), isa.splat(f32::NEG_INFINITY), r);
    let invalid = isa.or(isa.lt(x, isa.splat(0.0)), isa.is_nan(x));
    isa.select(invalid, isa.splat(f32::NAN), r)
}

/// `ln(1 + x)`, accurate near 0.
#[inline(always)]
pub(crate) fn ln_1p<I: Isa>(isa: I, x: I::V) -> I::V {
    // ln(u) · x / (u − 1) with u = 1 + x rounded: the quotient corrects u's rounding error.
    let u = isa.add(x, isa.splat(1.0));
    let d = isa.sub(u, isa.splat(1.0));
    let r = isa.mul(ln(isa, u), isa.div(x, d));
    let r = isa.select(isa.eq(d, isa.splat(0.0)), x, r);
    isa.select(isa.eq(x, isa.splat(f32::INFINITY)), x, r)
}

/// The hyperbolic tangent.
#[inline(always)]
pub(crate) fn tanh<I: Isa>(isa: I, x: I::V) -> I::V {
    // tanh|x| = E / (2 − E) with E = −expm1(−2|x|) = 1 − 2^n (1 + q) in [0, 1]: no overflow,
    // no cancellation near 0 (E = −q there), +0 at 0. The sign of x is put back on E; −2|x| is
    // clamped at −20, where E is 1 to f32's precision (NaN passes). `s = −2^n`: k = 256.
    let v = isa.max(isa.splat(-20.0), isa.mul(isa.abs(x), isa.splat(-2.0)));
    let (s, q) = exp_parts(isa, v, isa.splat(256.0));
    let e = isa.fma(s, q, isa.add(s, isa.splat(1.0)));
    isa.div(isa.flip_sign(e, x), isa.sub(isa.splat(2.0), e))
}

/// The logistic sigmoid `1 / (1 + e^−x)`, as `e^x / (1 + e^x)` for negative `x` (accurate far
/// into the tail).
#[inline(always)]
pub(crate) fn sigmoid<I: Isa>(isa: I, x: I::V) -> I::V {
    let e = exp_negative(isa, isa.sub(isa.splat(0.0), isa.abs(x)));
    let positive = isa.div(isa.splat(1.0), isa.add(isa.splat(1.0), e));
    isa.select(isa.lt(x, isa.splat(0.0)), isa.mul(e, positive), positive)
}

/// `ln(1 + e^x)`, as `max(x, 0) + ln(1 + e)` with `e = e^−|x|` in `(0, 1]`, and
/// `ln(1 + e) = 2 atanh(e / (2 + e))`: with `w = 2e / (2 + e)` (at most 2/3), the series
/// `w (1 + w²/12 + w⁴/80 + …)` to `w¹³` (the rest is below 1.4e-8 relatively). No logarithm.
#[inline(always)]
pub(crate) fn softplus<I: Isa>(isa: I, x: I::V) -> I::V {
    let e = exp_negative(isa, isa.sub(isa.splat(0.0), isa.abs(x)));
    let w = isa.div(e, isa.fma(e, isa.splat(0.5), isa.splat(1.0)));
    let series = horner(
        isa,
        isa.mul(w, w),
        &[
            1.0 / 53_248.0,
            1.0 / 11_264.0,
            1.0 / 2304.0,
            1.0 / 448.0,
            1.0 / 80.0,
            1.0 / 12.0,
            1.0,
        ],
    );
    isa.fma(w, series, isa.max(x, isa.splat(0.0)))
}
