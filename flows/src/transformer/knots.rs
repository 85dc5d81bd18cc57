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

/// The constants of one knot parameterization: how raw widths, heights and derivatives become
/// knots.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scheme<T> {
    /// The smallest fraction of the interval one bin spans (in width and in height).
    pub min_bin: T,
    /// The smallest interior derivative.
    pub min_derivative: T,
    /// The derivative at `±B`.
    pub boundary_derivative: T,
    /// The softplus offset giving derivative 1 at zero (before `min_derivative`).
    pub offset: T,
    /// Coefficient of `u_x` in the height logits.
    pub ux_in_heights: T,
    /// Coefficient of `u_y` in the height logits.
    pub uy_scale: T,
    /// Coefficient of `u_d` inside the softplus.
    pub ud_scale: T,
    /// Where the `K − 1` raw interior derivatives start in the parameter vector.
    pub ud_start: usize,
}

impl<T: Real> Scheme<T> {
    /// The height logit of a bin from its raw width and height parameters.
    #[inline]
    pub fn height_logit(&self, ux: T, uy: T) -> T {
        self.ux_in_heights * ux + self.uy_scale * uy
    }

    /// The softplus argument of an interior derivative with raw parameter `u`.
    #[inline]
    pub fn derivative_argument(&self, u: T) -> T {
        self.offset + self.ud_scale * u
    }

    /// The interior derivative from its raw parameter, and its derivative with respect to it.
    #[inline]
    pub fn derivative(&self, u: T) -> (T, T) {
        let arg = self.derivative_argument(u);
        (
            self.min_derivative + softplus(arg),
            self.ud_scale * sigmoid(arg),
        )
    }
}

/// One bin: its left knot `(x0, y0)`, width, height and the derivatives at its two knots.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Bin<T> {
    pub k: usize,
    pub x0: T,
    pub width: T,
    pub y0: T,
    pub height: T,
    pub d0: T,
    pub d1: T,
}

/// Partial derivatives of some quantity with respect to a bin's quantities.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Local<T> {
    pub x0: T,
    pub width: T,
    pub y0: T,
    pub height: T,
    pub d0: T,
    pub d1: T,
}

/// The knots of a monotone spline with `K` bins on `[-B, B]`, read from raw parameters laid out
/// `[u_x (K), u_y (K), ...]` with the `K − 1` interior derivatives at
/// [`Scheme::ud_start`].
pub(crate) struct Knots<T, const K: usize> {
    pub scheme: Scheme<T>,
    pub bound: T,
    /// `softmax(u_x)`.
    px: [T; K],
    /// `softmax` of the height logits.
    py: [T; K],
}

impl<T: Real, const K: usize> Knots<T, K> {
    /// Reads the bins from the raw parameters `u`.
    pub fn new(scheme: Scheme<T>, bound: f64, u: &[T]) -> Self {
        let ux = u.iter().take(K);
        let uy = u.iter().skip(K).take(K);
        let px = softmax::<T, K>(ux.clone().copied());
        let py = softmax::<T, K>(ux.zip(uy).map(|(&a, &b)| scheme.height_logit(a, b)));
        Self {
            scheme,
            bound: T::lit(bound),
            px,
            py,
        }
    }

    /// The fraction of the interval a bin of softmax weight `p` spans.
    #[inline]
    fn fraction(&self, p: T) -> T {
        self.scheme.min_bin + (T::one() - T::lit(K as f64) * self.scheme.min_bin) * p
    }

    /// Knot `i` (`0 ..= K`): `(x_i, y_i, derivative)`; `None` past the last knot.
    pub fn knot(&self, u: &[T], i: usize) -> Option<(T, T, T)> {
        if i > K {
            return None;
        }
        let b = self.bound;
        if i == K {
            return Some((b, b, self.scheme.boundary_derivative));
        }
        // The left knot of bin i.
        let (mut cx, mut cy) = (T::zero(), T::zero());
        for (&px, &py) in self.px.iter().zip(&self.py).take(i) {
            cx += self.fraction(px);
            cy += self.fraction(py);
        }
        let bin = self.locate(u, (b + b) * cx - b, false);
        Some(((b + b) * cx - b, (b + b) * cy - b, bin.d0))
    }

    /// The bin holding `v` (an input, or an output if `by_output`): the last whose left knot is at
    /// most `v`; the first for NaN.
    pub fn locate(&self, u: &[T], v: T, by_output: bool) -> Bin<T> {
        let mut bin = self.bin_of(v, by_output);
        let derivative = |i: usize| match self.derivative_index(i).and_then(|p| u.get(p)) {
            Some(&u) => self.scheme.derivative(u).0,
            None => self.scheme.boundary_derivative,
        };
        bin.d0 = derivative(bin.k);
        bin.d1 = derivative(bin.k + 1);
        bin
    }

    /// [`locate`](Self::locate) without the knot derivatives (left at 1).
    pub fn bin_of(&self, v: T, by_output: bool) -> Bin<T> {
        let b = self.bound;
        let two_b = b + b;
        let (mut cx, mut cy) = (T::zero(), T::zero());
        let mut bin = Bin {
            k: 0,
            x0: -b,
            width: two_b,
            y0: -b,
            height: two_b,
            d0: T::one(),
            d1: T::one(),
        };
        for (j, (&px, &py)) in self.px.iter().zip(&self.py).enumerate() {
            let (left_x, left_y) = (two_b * cx - b, two_b * cy - b);
            cx += self.fraction(px);
            cy += self.fraction(py);
            let (right_x, right_y) = if j + 1 == K {
                (b, b)
            } else {
                (two_b * cx - b, two_b * cy - b)
            };
            let left = if by_output { left_y } else { left_x };
            if j == 0 || v >= left {
                bin.k = j;
                bin.x0 = left_x;
                bin.width = right_x - left_x;
                bin.y0 = left_y;
                bin.height = right_y - left_y;
            }
        }
        bin
    }

    /// Where in the raw parameters knot `i`'s derivative is: `None` for the boundary knots
    /// (`0` and `K`), whose derivative is fixed. Knot `i` (`1 ≤ i ≤ K − 1`) has raw derivative
    /// `u_d[i − 1]`.
    #[inline]
    pub fn derivative_index(&self, i: usize) -> Option<usize> {
        i.checked_sub(1)
            .filter(|_| i < K)
            .map(|i| self.scheme.ud_start + i)
    }

    /// Chains partial derivatives with respect to `bin`'s quantities to the raw parameters `u`,
    /// writing them into `out` (whose other entries are left as they are).
    pub fn to_raw(&self, u: &[T], bin: &Bin<T>, g: &Local<T>, out: &mut [T]) {
        let two_b = self.bound + self.bound;
        let spread = T::one() - T::lit(K as f64) * self.scheme.min_bin;
        let mut gx = [T::zero(); K];
        let mut gy = [T::zero(); K];
        for (j, (a, b)) in gx.iter_mut().zip(gy.iter_mut()).enumerate() {
            if j < bin.k {
                *a = two_b * spread * g.x0;
                *b = two_b * spread * g.y0;
            } else if j == bin.k {
                *a = two_b * spread * g.width;
                *b = two_b * spread * g.height;
            }
        }
        let dux = softmax_backward(&self.px, &gx);
        let dly = softmax_backward(&self.py, &gy);
        for (slot, (&a, &l)) in out.iter_mut().zip(dux.iter().zip(&dly)) {
            *slot = a + self.scheme.ux_in_heights * l;
        }
        for (slot, &l) in out.iter_mut().skip(K).zip(&dly) {
            *slot = self.scheme.uy_scale * l;
        }
        for (knot, gd) in [(bin.k, g.d0), (bin.k + 1, g.d1)] {
            if knot >= 1 && knot < K {
                let i = self.scheme.ud_start + knot - 1;
                if let (Some(&raw), Some(slot)) = (u.get(i), out.get_mut(i)) {
                    *slot += gd * self.scheme.derivative(raw).1;
                }
            }
        }
    }
}
