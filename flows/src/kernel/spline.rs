//! The rational-quadratic spline of neural spline flows on a lane block, written once over
//! [`Isa`]: the per-event map of `transformer::RationalQuadratic` (same formulas, same special
//! values) with the bin search as compares and blends over the knots and every transcendental
//! function on the vector set.

use super::isa::{Isa, Row};
use super::math;

/// The constants of a spline with `bins` bins on `[-bound, bound]`: how its raw parameters (laid
/// out `[u_x (K), u_y (K), ...]`, the `K − 1` interior derivatives from `ud_start`) become knots.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spline {
    /// The half-width `B` of the interval.
    pub bound: f32,
    /// The smallest fraction of the interval one bin spans.
    pub min_bin: f32,
    /// The smallest interior derivative.
    pub min_derivative: f32,
    /// The derivative at `±B`.
    pub boundary_derivative: f32,
    /// The softplus argument of an interior derivative is `offset + ud_scale · u`.
    pub offset: f32,
    /// See `offset`.
    pub ud_scale: f32,
    /// The height logits are `ux_in_heights · u_x + uy_scale · u_y`.
    pub ux_in_heights: f32,
    /// See `ux_in_heights`.
    pub uy_scale: f32,
    /// Where the raw interior derivatives start.
    pub ud_start: usize,
    /// Whether to apply the inverse (output to input, adding `log dx/dy`).
    pub inverse: bool,
}

/// The bin a lane's value falls in (its knots `(x0, y0)` and `(x1, y1)`), with the softplus
/// arguments of its two knot derivatives.
struct Bin<V> {
    k: V,
    x0: V,
    x1: V,
    y0: V,
    y1: V,
    left: V,
    right: V,
}

/// The width and height logits of the raw parameters `params` into `x` and `y` (`K` rows each),
/// each as `exp(u − max u)` of its own largest logit: returns `(1 / Σ x, 1 / Σ y)`, the softmaxes
/// are `x[j] / Σ x` and `y[j] / Σ y`. The two sets of exponentials, independent, run in one loop.
/// (No closures in the kernels: they would not inherit the set's target features.)
#[inline(always)]
fn softmaxes<I: Isa>(
    isa: I,
    s: &Spline,
    params: &[Row],
    x: &mut [Row],
    y: &mut [Row],
) -> (I::V, I::V) {
    let bins = x.len();
    let (ux_in_heights, uy_scale) = (isa.splat(s.ux_in_heights), isa.splat(s.uy_scale));
    let (mut max_x, mut max_y) = (isa.splat(0.0), isa.splat(0.0));
    for (j, (x, y)) in x.iter_mut().zip(y.iter_mut()).enumerate() {
        let (ux, uy) = (raw(isa, params, j), raw(isa, params, bins + j));
        let uh = isa.fma(ux_in_heights, ux, isa.mul(uy_scale, uy));
        isa.store(ux, x);
        isa.store(uh, y);
        // `max` keeps its second operand when either is NaN: a NaN first logit stays.
        (max_x, max_y) = if j == 0 {
            (ux, uh)
        } else {
            (isa.max(ux, max_x), isa.max(uh, max_y))
        };
    }
    let (mut sum_x, mut sum_y) = (isa.splat(0.0), isa.splat(0.0));
    for (x, y) in x.iter_mut().zip(y.iter_mut()) {
        let ex = math::exp_negative(isa, isa.sub(isa.load(x), max_x));
        let ey = math::exp_negative(isa, isa.sub(isa.load(y), max_y));
        sum_x = isa.add(sum_x, ex);
        sum_y = isa.add(sum_y, ey);
        isa.store(ex, x);
        isa.store(ey, y);
    }
    let one = isa.splat(1.0);
    (isa.div(one, sum_x), isa.div(one, sum_y))
}

/// Row `p` of `params` (zeros past their end).
#[inline(always)]
fn raw<I: Isa>(isa: I, params: &[Row], p: usize) -> I::V {
    match params.get(p) {
        Some(row) => isa.load(row),
        None => isa.splat(0.0),
    }
}

/// The softplus argument of interior knot `knot` (`1 ≤ knot ≤ K − 1`), whose raw derivative is
/// `u_d[knot − 1]`.
#[inline(always)]
fn argument<I: Isa>(isa: I, s: &Spline, params: &[Row], knot: usize) -> I::V {
    let u = raw(isa, params, s.ud_start + knot - 1);
    isa.fma(isa.splat(s.ud_scale), u, isa.splat(s.offset))
}

/// The derivative of the knot with softplus argument `argument`, or the boundary derivative in
/// the lanes whose bin is `end`.
#[inline(always)]
fn derivative<I: Isa>(isa: I, s: &Spline, argument: I::V, k: I::V, end: f32) -> I::V {
    let d = isa.add(isa.splat(s.min_derivative), math::softplus(isa, argument));
    isa.select(
        isa.eq(k, isa.splat(end)),
        isa.splat(s.boundary_derivative),
        d,
    )
}

/// `old` in the lanes of `keep`, else `new`.
#[inline(always)]
fn pick<I: Isa>(isa: I, keep: I::M, old: Bin<I::V>, new: Bin<I::V>) -> Bin<I::V> {
    Bin {
        k: isa.select(keep, old.k, new.k),
        x0: isa.select(keep, old.x0, new.x0),
        x1: isa.select(keep, old.x1, new.x1),
        y0: isa.select(keep, old.y0, new.y0),
        y1: isa.select(keep, old.y1, new.y1),
        left: isa.select(keep, old.left, new.left),
        right: isa.select(keep, old.right, new.right),
    }
}

/// Clamps to `[0, 1]`, keeping NaN.
#[inline(always)]
fn clamp_unit<I: Isa>(isa: I, t: I::V) -> I::V {
    let (zero, one) = (isa.splat(0.0), isa.splat(1.0));
    isa.select(isa.lt(t, zero), zero, isa.select(isa.lt(one, t), one, t))
}

/// `a ≥ b` (false when either is NaN).
#[inline(always)]
fn ge<I: Isa>(isa: I, a: I::V, b: I::V) -> I::M {
    isa.or(isa.lt(b, a), isa.eq(a, b))
}

/// The spline `s` on one lane block: `value` under the raw parameters `params` (one row each),
/// adding the log-derivatives into `log_det`. `scratch` holds `2K` rows (it sets `K`).
#[inline(always)]
pub(crate) fn rational_quadratic<I: Isa>(
    isa: I,
    s: &Spline,
    value: &mut Row,
    params: &[Row],
    scratch: &mut [Row],
    log_det: &mut Row,
) {
    let bins = scratch.len() / 2;
    if bins == 0 {
        return;
    }
    let (ex, ey) = scratch.split_at_mut(bins);
    let (scale_x, scale_y) = softmaxes(isa, s, params, ex, ey);
    let v = isa.load(value);
    let bin = locate(isa, s, v, params, (ex, scale_x), (ey, scale_y));
    let (width, height) = (isa.sub(bin.x1, bin.x0), isa.sub(bin.y1, bin.y0));

    // The knot derivatives: softplus of the two selected arguments, fixed at the ends.
    let d0 = derivative(isa, s, bin.left, bin.k, 0.0);
    let d1 = derivative(isa, s, bin.right, bin.k, (bins - 1) as f32);

    let (one, two) = (isa.splat(1.0), isa.splat(2.0));
    let slope = isa.div(height, width);
    let xi = if s.inverse {
        // The root in [0, 1] of a ξ² + b ξ + c = 0, in the form without cancellation.
        let dy = isa.sub(v, bin.y0);
        let g = isa.sub(isa.add(d1, d0), isa.mul(two, slope));
        let a = isa.fma(dy, g, isa.mul(height, isa.sub(slope, d0)));
        let b = isa.sub(isa.mul(height, d0), isa.mul(dy, g));
        let c = isa.mul(isa.sub(isa.splat(0.0), slope), dy);
        let disc = isa.sub(isa.mul(b, b), isa.mul(isa.splat(4.0), isa.mul(a, c)));
        let zero = isa.splat(0.0);
        let root = isa.select(isa.lt(disc, zero), zero, isa.sqrt(disc));
        let plus = isa.div(isa.sub(root, b), isa.mul(two, a));
        let minus = isa.div(isa.mul(two, c), isa.sub(isa.sub(zero, b), root));
        clamp_unit(isa, isa.select(isa.lt(b, zero), plus, minus))
    } else {
        clamp_unit(isa, isa.div(isa.sub(v, bin.x0), width))
    };
    let theta = isa.mul(xi, isa.sub(one, xi));
    let one_minus = isa.sub(one, xi);
    let xi2 = isa.mul(xi, xi);
    let den = isa.fma(isa.sub(isa.add(d1, d0), isa.mul(two, slope)), theta, slope);
    // One division by `den` for the map and the log-derivative.
    let inverse_den = isa.div(one, den);
    let mapped = if s.inverse {
        isa.fma(xi, width, bin.x0)
    } else {
        let r = isa.fma(slope, xi2, isa.mul(d0, theta));
        isa.fma(isa.mul(height, r), inverse_den, bin.y0)
    };
    // dy/dx = s² (d1 ξ² + 2 s θ + d0 (1 − ξ)²) / den², whose logarithm is taken once.
    let numerator = isa.fma(
        d1,
        xi2,
        isa.fma(
            isa.mul(two, slope),
            theta,
            isa.mul(d0, isa.mul(one_minus, one_minus)),
        ),
    );
    let q = isa.mul(slope, inverse_den);
    let ln_derivative = math::ln(isa, isa.mul(isa.mul(q, q), numerator));

    // The identity outside the interval (NaN stays inside: it maps to NaN).
    let outside = ge(isa, isa.abs(v), isa.splat(s.bound));
    isa.store(isa.select(outside, v, mapped), value);
    let ln_derivative = isa.select(outside, isa.splat(0.0), ln_derivative);
    let ld = isa.load(log_det);
    let ld = if s.inverse {
        isa.sub(ld, ln_derivative)
    } else {
        isa.add(ld, ln_derivative)
    };
    isa.store(ld, log_det);
}

/// The bin of each lane's `v` (an input, or an output for the inverse) among the knots of the
/// softmax weights `x.0[j] · x.1`, `y.0[j] · y.1`: the last bin whose left knot is at most `v`,
/// the last for NaN.
#[inline(always)]
fn locate<I: Isa>(
    isa: I,
    s: &Spline,
    v: I::V,
    params: &[Row],
    x: (&[Row], I::V),
    y: (&[Row], I::V),
) -> Bin<I::V> {
    let bins = x.0.len();
    let b = isa.splat(s.bound);
    let minus_b = isa.splat(-s.bound);
    let two_b = isa.splat(2.0 * s.bound);
    let min_bin = isa.splat(s.min_bin);
    let spread = 1.0 - bins as f32 * s.min_bin;
    let (spread_x, spread_y) = (
        isa.mul(isa.splat(spread), x.1),
        isa.mul(isa.splat(spread), y.1),
    );
    let zero = isa.splat(0.0);
    let mut bin = Bin {
        k: zero,
        x0: minus_b,
        x1: b,
        y0: minus_b,
        y1: b,
        left: zero,
        right: zero,
    };
    let (mut cx, mut cy) = (zero, zero);
    // Each bin's left knot is the previous one's right knot (the first: `−B`, `2B · 0 − B`).
    let (mut left_x, mut left_y) = (minus_b, minus_b);
    let mut left_argument = zero;
    for (j, (px, py)) in x.0.iter().zip(y.0).enumerate() {
        cx = isa.add(cx, isa.fma(spread_x, isa.load(px), min_bin));
        cy = isa.add(cy, isa.fma(spread_y, isa.load(py), min_bin));
        let last = j + 1 == bins;
        let (right_x, right_y) = if last {
            (b, b)
        } else {
            (isa.fma(two_b, cx, minus_b), isa.fma(two_b, cy, minus_b))
        };
        let right_argument = if last {
            zero
        } else {
            argument(isa, s, params, j + 1)
        };
        let candidate = Bin {
            k: isa.splat(j as f32),
            x0: left_x,
            x1: right_x,
            y0: left_y,
            y1: right_y,
            left: left_argument,
            right: right_argument,
        };
        bin = if j == 0 {
            candidate
        } else {
            // Below the left knot: the bin found so far stays (NaN takes every bin in turn).
            let below = isa.lt(v, if s.inverse { left_y } else { left_x });
            pick(isa, below, bin, candidate)
        };
        (left_x, left_y, left_argument) = (right_x, right_y, right_argument);
    }
    bin
}
