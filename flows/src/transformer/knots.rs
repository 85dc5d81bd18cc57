//! What the spline transformers share: how raw parameters become knots, and the smooth positive
//! maps (softmax, softplus, sigmoid) with their derivatives.

use crate::Real;

/// How a transformer reads its raw parameters (the conditioner's outputs).
///
/// Both give the identity (or, for [`DeepSigmoid`](super::DeepSigmoid), a fixed near-identity map)
/// at zero raw parameters; they differ in scale, which decides how fast a trained conditioner moves
/// the transformer, and in a few constants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Parameterization {
    /// Raw outputs at unit scale, as in nflows and zuko: softmax logits for the bins, a softplus
    /// for the derivatives, each parameter independent. This is the default: a conditioner whose
    /// outputs move by one unit changes the bins by a factor of `e`.
    #[default]
    Native,
    /// torchflows 1.2.1 exactly (its raw outputs divided by 100 or 1000 and its constants), to
    /// evaluate weights imported from it. Its splines barely move in training.
    Torchflows,
}

/// `ln(1 + e^x)` without overflow; NaN gives NaN.
#[inline]
pub(crate) fn softplus<T: Real>(x: T) -> T {
    let positive = if x > T::zero() { x } else { T::zero() };
    positive + (-x.abs()).exp().ln_1p()
}

/// `1 / (1 + e^-x)`.
#[inline]
pub(crate) fn sigmoid<T: Real>(x: T) -> T {
    T::one() / (T::one() + (-x).exp())
}

/// The softplus argument `c` with `floor + softplus(c) = 1`: `ln(e^(1 - floor) - 1)`.
#[inline]
pub(crate) fn unit_softplus_offset<T: Real>(floor: f64) -> T {
    (T::one() - T::lit(floor)).exp_m1().ln()
}

/// `softmax(logits)` into an array (the largest logit is subtracted first). A NaN logit makes
/// every entry NaN.
#[inline]
pub(crate) fn softmax<T: Real, const K: usize>(logits: impl Iterator<Item = T>) -> [T; K] {
    let mut p = [T::zero(); K];
    for (slot, u) in p.iter_mut().zip(logits) {
        *slot = u;
    }
    let mut max = p.first().copied().unwrap_or(T::zero());
    for &u in &p {
        if u > max {
            max = u;
        }
    }
    let mut sum = T::zero();
    for u in p.iter_mut() {
        *u = (*u - max).exp();
        sum += *u;
    }
    for u in p.iter_mut() {
        *u /= sum;
    }
    p
}

/// Reverse mode through `p = softmax(u)`: given `g_j = d f / d p_j`, returns
/// `d f / d u_i = p_i (g_i − Σ_j g_j p_j)`.
#[inline]
pub(crate) fn softmax_backward<T: Real, const K: usize>(p: &[T; K], g: &[T; K]) -> [T; K] {
    let mut mean = T::zero();
    for (&pj, &gj) in p.iter().zip(g) {
        mean += pj * gj;
    }
    let mut out = [T::zero(); K];
    for ((o, &pi), &gi) in out.iter_mut().zip(p).zip(g) {
        *o = pi * (gi - mean);
    }
    out
}

/// Clamps to `[0, 1]`, keeping NaN.
#[inline]
pub(crate) fn clamp_unit<T: Real>(t: T) -> T {
    if t < T::zero() {
        T::zero()
    } else if t > T::one() {
        T::one()
    } else {
        t
    }
}
