//! Vectorized `exp`, `expm1`, `ln`, `ln_1p`, `tanh`, `sigmoid` and `softplus` on lane blocks,
//! written once over [`Isa`] (Cephes' reductions and polynomials for `f32`).
//!
//! Accuracy against libm (tested over wide ranges in `tests.rs`): a few units in the last place
//! for normal results. Special values: NaN gives NaN; `exp(±inf)` is `inf` / `0`; `ln(0) = −inf`,
//! `ln` of a negative number is NaN; `ln_1p(−1) = −inf`; `tanh(±inf) = ±1`; `sigmoid(±inf)` is
//! `1` / `0`; `softplus(inf) = inf`. Subnormal results are accurate to a few units of the
//! smallest subnormal.

use super::isa::Isa;

/// `ln 2` split in a part exact in `f32` and the rest.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// Evaluates the polynomial with `coefficients` (highest degree first) at `x`.
#[inline(always)]
fn horner<I: Isa>(isa: I, x: I::V, coefficients: &[f32]) -> I::V {
    let mut p = isa.splat(0.0);
    for &c in coefficients {
        p = isa.fma(p, x, isa.splat(c));
    }
    p
}

/// `(n, y)` with `e^x = 2^n · y`, `n` integer-valued (`|x| ≤ 104`; NaN gives a NaN `y`).
#[inline(always)]
fn exp_split<I: Isa>(isa: I, x: I::V) -> (I::V, I::V) {
    let n = isa.round(isa.mul(x, isa.splat(core::f32::consts::LOG2_E)));
    let r = isa.fma(n, isa.splat(-LN2_HI), x);
    let r = isa.fma(n, isa.splat(-LN2_LO), r);
    let p = horner(
        isa,
        r,
        &[
            1.987_569_1e-4,
            1.398_2e-3,
            8.333_452e-3,
            4.166_579_6e-2,
            1.666_666_5e-1,
            5.0e-1,
        ],
    );
    (n, isa.add(isa.fma(p, isa.mul(r, r), r), isa.splat(1.0)))
}

/// `e^x`.
#[inline(always)]
pub(crate) fn exp<I: Isa>(isa: I, x: I::V) -> I::V {
    // Clamped so that 2^n splits into two normal powers of two; overflow and underflow then
    // happen in the final products, as they should.
    let clamped = isa.min(isa.max(x, isa.splat(-104.0)), isa.splat(89.0));
    let (n, y) = exp_split(isa, clamped);
    let half = isa.round(isa.mul(n, isa.splat(0.5)));
    let scaled = isa.mul(isa.mul(y, isa.pow2(half)), isa.pow2(isa.sub(n, half)));
    isa.select(isa.is_nan(x), x, scaled)
}

/// `e^x − 1`, accurate near 0.
#[inline(always)]
pub(crate) fn expm1<I: Isa>(isa: I, x: I::V) -> I::V {
    // Taylor series to x^8/8! below |x| = 1/2 (truncation below 2e-9 relative), else e^x − 1.
    let series = isa.mul(
        x,
        horner(
            isa,
            x,
            &[
                1.0 / 40_320.0,
                1.0 / 5040.0,
                1.0 / 720.0,
                1.0 / 120.0,
                1.0 / 24.0,
                1.0 / 6.0,
                0.5,
                1.0,
            ],
        ),
    );
    let direct = isa.sub(exp(isa, x), isa.splat(1.0));
    isa.select(isa.lt(isa.abs(x), isa.splat(0.5)), series, direct)
}

/// The natural logarithm.
#[inline(always)]
pub(crate) fn ln<I: Isa>(isa: I, x: I::V) -> I::V {
    // Subnormal inputs are scaled by 2^23 first.
    let subnormal = isa.lt(x, isa.splat(f32::MIN_POSITIVE));
    let scaled = isa.select(subnormal, isa.mul(x, isa.splat(8_388_608.0)), x);
    let (e, m) = isa.split_exponent(scaled);
    let e = isa.select(subnormal, isa.sub(e, isa.splat(23.0)), e);
    // m in [sqrt(1/2), sqrt(2)): halve the mantissas above sqrt(2).
    let high = isa.lt(isa.splat(core::f32::consts::SQRT_2), m);
    let m = isa.select(high, isa.mul(m, isa.splat(0.5)), m);
    let e = isa.select(high, isa.add(e, isa.splat(1.0)), e);
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
    let a = isa.abs(x);
    let z = isa.mul(x, x);
    let p = horner(
        isa,
        z,
        &[
            -5.704_988_7e-3,
            2.063_909e-2,
            -5.373_971_6e-2,
            1.333_144_2e-1,
            -3.333_328e-1,
        ],
    );
    let small = isa.fma(isa.mul(x, z), p, x);
    // e^{2|x|} with 2|x| at most 20 (beyond, the result rounds to 1), so 2^n is normal and no
    // clamp from below is needed; NaN stays NaN (`min` returns its second operand then).
    let (n, y) = exp_split(isa, isa.min(isa.splat(20.0), isa.add(a, a)));
    let e = isa.mul(y, isa.pow2(n));
    let large = isa.sub(
        isa.splat(1.0),
        isa.div(isa.splat(2.0), isa.add(e, isa.splat(1.0))),
    );
    let large = isa.select(
        isa.lt(x, isa.splat(0.0)),
        isa.sub(isa.splat(0.0), large),
        large,
    );
    isa.select(isa.lt(a, isa.splat(0.625)), small, large)
}

/// The logistic sigmoid `1 / (1 + e^−x)`, as `e^x / (1 + e^x)` for negative `x` (accurate far
/// into the tail).
#[inline(always)]
pub(crate) fn sigmoid<I: Isa>(isa: I, x: I::V) -> I::V {
    let e = exp(isa, isa.sub(isa.splat(0.0), isa.abs(x)));
    let positive = isa.div(isa.splat(1.0), isa.add(isa.splat(1.0), e));
    isa.select(isa.lt(x, isa.splat(0.0)), isa.mul(e, positive), positive)
}

/// `ln(1 + e^x)`, as `max(x, 0) + ln_1p(e^−|x|)`.
#[inline(always)]
pub(crate) fn softplus<I: Isa>(isa: I, x: I::V) -> I::V {
    let tail = ln_1p(isa, exp(isa, isa.sub(isa.splat(0.0), isa.abs(x))));
    isa.add(isa.max(x, isa.splat(0.0)), tail)
}
