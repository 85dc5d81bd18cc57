//! The rational-quadratic spline of neural spline flows (Durkan et al. 2019).

use nalgebra::SVector;

use super::Transformer;
use super::knots::{Parameterization, clamp_unit, sigmoid, softmax, softmax_backward, softplus};
use crate::Real;
use crate::gradient::{Derivatives, TransformerGradient};

/// The default half-width `B` of the spline's interval `[-B, B]`.
///
/// Every preset puts an ActNorm and an elementwise affine layer around its couplings, so the data a
/// spline sees is roughly standardized: `[-5, 5]` holds all but 6e-7 of a standard normal's mass,
/// and 8 bins over it are 1.25 wide, fine enough to bend the density where the data is. zuko uses
/// the same bound. torchflows' `B = 50` spends 7 of its 8 bins where there is no data.
pub const DEFAULT_BOUND: f64 = 5.0;

/// A monotone rational-quadratic spline with `K` bins on `[-B, B]`, the identity outside.
///
/// Parameters per element: `P = 3K − 1`, laid out `[u_x (K), u_y (K), u_d (K − 1)]` (torchflows'
/// layout): bin widths and heights are floored softmaxes (minimum `1e-3` of the interval each),
/// and the `K − 1` interior knot derivatives are floored softplus values; the derivative at `±B`
/// is 1, so the spline joins the identity tails smoothly. With the
/// [native](Parameterization::Native) parameterization
///
/// - widths `= 2B (m + (1 − K m) softmax(u_x))`, heights likewise from `u_y`, `m = 1e-3`;
/// - derivatives `δ = m_δ + softplus(c + u_d)` with `m_δ = 1e-3` and `c` chosen so `δ(0) = 1`;
///
/// so zero raw parameters give the identity. The [torchflows](Parameterization::Torchflows)
/// parameterization (see [`RationalQuadratic::torchflows`]) computes heights from `u_x + u_y/1000`
/// and derivatives from `u_d/1000` with `m_δ = 1e-5`, and puts `1.000342` at the boundary knots.
///
/// Forward and inverse are analytic (the inverse takes the numerically stable root of a quadratic);
/// on a knot the bin to its right is used. The implementation accepts `P` as a const parameter and
/// checks `P = 3K − 1` at compile time (post-monomorphization).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RationalQuadratic<const K: usize> {
    /// The half-width `B` of the interval `[-B, B]` the spline covers.
    pub bound: f64,
    /// How the raw parameters are read.
    pub parameterization: Parameterization,
}

impl<const K: usize> Default for RationalQuadratic<K> {
    fn default() -> Self {
        Self::new(DEFAULT_BOUND)
    }
}

impl<const K: usize> RationalQuadratic<K> {
    /// A spline on `[-bound, bound]` with the native parameterization.
    pub const fn new(bound: f64) -> Self {
        Self {
            bound,
            parameterization: Parameterization::Native,
        }
    }

    /// torchflows' `RationalQuadratic`: `B = 50` and its parameterization.
    pub const fn torchflows() -> Self {
        Self {
            bound: 50.0,
            parameterization: Parameterization::Torchflows,
        }
    }

    /// Knot `i` (`0 ..= K`) of the spline under raw parameters `h`: `(x_i, y_i, derivative)`;
    /// `None` past the last knot. For plots and tests; evaluation does not go through it.
    pub fn knot<T: Real, const P: usize>(&self, h: &SVector<T, P>, i: usize) -> Option<(T, T, T)> {
        if i > K {
            return None;
        }
        let spline = Spline::new(self, h);
        let b = spline.bound;
        if i == K {
            return Some((b, b, spline.scheme.boundary_derivative));
        }
        // The left knot of bin i.
        let (mut cx, mut cy) = (T::zero(), T::zero());
        for (&px, &py) in spline.px.iter().zip(&spline.py).take(i) {
            cx += spline.fraction(px);
            cy += spline.fraction(py);
        }
        let bin = spline.locate(h, (b + b) * cx - b, false);
        Some(((b + b) * cx - b, (b + b) * cy - b, bin.d0))
    }

    /// Compile-time check of the parameter count.
    const CHECK: () = assert!(
        K >= 1 && K < 1000,
        "RationalQuadratic needs 1 <= K < 1000 bins"
    );

    fn check<const P: usize>() {
        const {
            assert!(
                P + 1 == 3 * K,
                "RationalQuadratic<K> takes P = 3K - 1 parameters"
            )
        };
        let () = Self::CHECK;
    }
}

/// The constants of one parameterization.
struct Scheme<T> {
    min_bin: T,
    min_derivative: T,
    boundary_derivative: T,
    /// The softplus offset giving derivative 1 at zero.
    offset: T,
    /// Coefficient of `u_x` in the height logits.
    ux_in_heights: T,
    /// Coefficient of `u_y` in the height logits.
    uy_scale: T,
    /// Coefficient of `u_d` inside the softplus.
    ud_scale: T,
}

impl<T: Real> Scheme<T> {
    fn new(p: Parameterization) -> Self {
        let min_bin = T::lit(1e-3);
        match p {
            Parameterization::Native => {
                let m = 1e-3;
                Self {
                    min_bin,
                    min_derivative: T::lit(m),
                    boundary_derivative: T::one(),
                    offset: super::knots::unit_softplus_offset(m),
                    ux_in_heights: T::zero(),
                    uy_scale: T::one(),
                    ud_scale: T::one(),
                }
            }
            Parameterization::Torchflows => {
                let m = 1e-5;
                let offset: T = super::knots::unit_softplus_offset(m);
                Self {
                    min_bin,
                    min_derivative: T::lit(m),
                    boundary_derivative: T::lit(m) + softplus(offset + offset * T::lit(1e-3)),
                    offset,
                    ux_in_heights: T::one(),
                    uy_scale: T::lit(1e-3),
                    ud_scale: T::lit(1e-3),
                }
            }
        }
    }

    /// The interior derivative from its raw parameter, and its derivative with respect to it.
    #[inline]
    fn derivative(&self, u: T) -> (T, T) {
        let arg = self.offset + self.ud_scale * u;
        (
            self.min_derivative + softplus(arg),
            self.ud_scale * sigmoid(arg),
        )
    }
}

/// One bin: its left knot `(x0, y0)`, width, height and the derivatives at its two knots.
#[derive(Clone, Copy, Debug)]
struct Bin<T> {
    k: usize,
    x0: T,
    width: T,
    y0: T,
    height: T,
    d0: T,
    d1: T,
}

/// A spline read from its raw parameters.
struct Spline<T, const K: usize> {
    scheme: Scheme<T>,
    bound: T,
    /// `softmax(u_x)`.
    px: [T; K],
    /// `softmax` of the height logits.
    py: [T; K],
}

impl<T: Real, const K: usize> Spline<T, K> {
    fn new<const P: usize>(rq: &RationalQuadratic<K>, h: &SVector<T, P>) -> Self {
        RationalQuadratic::<K>::check::<P>();
        let scheme = Scheme::new(rq.parameterization);
        let u = h.as_slice();
        let ux = u.iter().take(K);
        let uy = u.iter().skip(K).take(K);
        let px = softmax::<T, K>(ux.clone().copied());
        let py = softmax::<T, K>(
            ux.zip(uy)
                .map(|(&a, &b)| scheme.ux_in_heights * a + scheme.uy_scale * b),
        );
        Self {
            scheme,
            bound: T::lit(rq.bound),
            px,
            py,
        }
    }

    /// The fraction of the interval a bin of softmax weight `p` spans.
    #[inline]
    fn fraction(&self, p: T) -> T {
        self.scheme.min_bin + (T::one() - T::lit(K as f64) * self.scheme.min_bin) * p
    }

    /// The bin holding `v` (an input, or an output if `by_output`): the last whose left knot is at
    /// most `v`; the first for NaN.
    fn locate<const P: usize>(&self, h: &SVector<T, P>, v: T, by_output: bool) -> Bin<T> {
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
        let ud = h.as_slice().iter().skip(2 * K);
        let interior = |i: usize| {
            // Knot i (1 <= i <= K - 1) has raw derivative u_d[i - 1].
            match i.checked_sub(1).and_then(|i| ud.clone().nth(i)) {
                Some(&u) if i < K => self.scheme.derivative(u).0,
                _ => self.scheme.boundary_derivative,
            }
        };
        bin.d0 = interior(bin.k);
        bin.d1 = interior(bin.k + 1);
        bin
    }
}

/// The spline inside one bin at relative position `xi`: `(y, log dy/dx)`.
#[inline]
fn eval<T: Real>(bin: &Bin<T>, xi: T) -> (T, T) {
    let two = T::lit(2.0);
    let s = bin.height / bin.width;
    let theta = xi * (T::one() - xi);
    let one_minus = T::one() - xi;
    let den = s + (bin.d1 + bin.d0 - two * s) * theta;
    let y = bin.y0 + bin.height * (s * xi * xi + bin.d0 * theta) / den;
    let numerator = bin.d1 * xi * xi + two * s * theta + bin.d0 * one_minus * one_minus;
    let log_det = two * s.ln() + numerator.ln() - two * den.ln();
    (y, log_det)
}

/// The relative position in `bin` whose image is `y`: the root of the quadratic
/// `a ξ² + b ξ + c = 0` in `[0, 1]`, in the form without cancellation.
#[inline]
fn solve<T: Real>(bin: &Bin<T>, y: T) -> T {
    let two = T::lit(2.0);
    let s = bin.height / bin.width;
    let dy = y - bin.y0;
    let g = bin.d1 + bin.d0 - two * s;
    let a = bin.height * (s - bin.d0) + dy * g;
    let b = bin.height * bin.d0 - dy * g;
    let c = -s * dy;
    let disc = b * b - T::lit(4.0) * a * c;
    let root = if disc < T::zero() {
        T::zero()
    } else {
        disc.sqrt()
    };
    // The same root either way; each form avoids the cancellation of the other (a > 0 when b < 0).
    let xi = if b < T::zero() {
        (root - b) / (two * a)
    } else {
        two * c / (-b - root)
    };
    clamp_unit(xi)
}

impl<T: Real, const K: usize, const P: usize> Transformer<T, P> for RationalQuadratic<K> {
    #[inline]
    fn forward(&self, x: T, h: &SVector<T, P>) -> (T, T) {
        let spline = Spline::new(self, h);
        if x.abs() >= spline.bound {
            return (x, T::zero());
        }
        let bin = spline.locate(h, x, false);
        eval(&bin, clamp_unit((x - bin.x0) / bin.width))
    }

    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, P>) -> (T, T) {
        let spline = Spline::new(self, h);
        if y.abs() >= spline.bound {
            return (y, T::zero());
        }
        let bin = spline.locate(h, y, true);
        let xi = solve(&bin, y);
        (bin.x0 + xi * bin.width, -eval(&bin, xi).1)
    }
}

/// Partial derivatives with respect to the bin's quantities.
#[derive(Clone, Copy, Debug, Default)]
struct Local<T> {
    x0: T,
    width: T,
    y0: T,
    height: T,
    d0: T,
    d1: T,
}

impl<T: Real, const K: usize> Spline<T, K> {
    /// Chains partial derivatives with respect to `bin`'s quantities to the raw parameters.
    fn to_raw<const P: usize>(
        &self,
        h: &SVector<T, P>,
        bin: &Bin<T>,
        g: &Local<T>,
    ) -> SVector<T, P> {
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
        let mut out = SVector::<T, P>::zeros();
        let o = out.as_mut_slice();
        for (slot, (&a, &l)) in o.iter_mut().zip(dux.iter().zip(&dly)) {
            *slot = a + self.scheme.ux_in_heights * l;
        }
        for (slot, &l) in o.iter_mut().skip(K).zip(&dly) {
            *slot = self.scheme.uy_scale * l;
        }
        let u = h.as_slice();
        for (knot, gd) in [(bin.k, g.d0), (bin.k + 1, g.d1)] {
            if knot >= 1 && knot < K {
                let i = 2 * K + knot - 1;
                if let (Some(&raw), Some(slot)) = (u.get(i), o.get_mut(i)) {
                    *slot += gd * self.scheme.derivative(raw).1;
                }
            }
        }
        out
    }
}

/// `eval` with its partial derivatives: `((value, log_det), their derivatives with respect to the
/// input, those of the value and of the log-det with respect to the bin's quantities)`.
type Partials<T> = ((T, T), (T, T), Local<T>, Local<T>);

/// `eval` with its partial derivatives; see [`Partials`].
fn eval_partials<T: Real>(bin: &Bin<T>, xi: T) -> Partials<T> {
    let two = T::lit(2.0);
    let one = T::one();
    let (w, hb, d0, d1) = (bin.width, bin.height, bin.d0, bin.d1);
    let s = hb / w;
    let theta = xi * (one - xi);
    let dtheta = one - two * xi;
    let g = d1 + d0 - two * s;
    let r = s * xi * xi + d0 * theta;
    let den = s + g * theta;
    let den2 = den * den;
    let n = d1 * xi * xi + two * s * theta + d0 * (one - xi) * (one - xi);
    let (y, ld) = eval(bin, xi);

    // With respect to xi, s, the height (directly), d0, d1.
    let y_xi = hb * ((two * s * xi + d0 * dtheta) * den - r * g * dtheta) / den2;
    let y_s = hb * (xi * xi * den - r * (one - two * theta)) / den2;
    let y_h = r / den;
    let y_d0 = hb * theta * (den - r) / den2;
    let y_d1 = -hb * r * theta / den2;
    let n_xi = two * d1 * xi + two * s * dtheta - two * d0 * (one - xi);
    let l_xi = n_xi / n - two * g * dtheta / den;
    let l_s = two / s + two * theta / n - two * (one - two * theta) / den;
    let l_d0 = (one - xi) * (one - xi) / n - two * theta / den;
    let l_d1 = xi * xi / n - two * theta / den;

    let local = |q_xi: T, q_s: T, q_h: T, q_y0: T, q_d0: T, q_d1: T| Local {
        x0: -q_xi / w,
        width: -(q_xi * xi + q_s * s) / w,
        y0: q_y0,
        height: q_h + q_s / w,
        d0: q_d0,
        d1: q_d1,
    };
    (
        (y, ld),
        (y_xi / w, l_xi / w),
        local(y_xi, y_s, y_h, one, y_d0, y_d1),
        local(l_xi, l_s, T::zero(), T::zero(), l_d0, l_d1),
    )
}

impl<T: Real, const K: usize, const P: usize> TransformerGradient<T, P> for RationalQuadratic<K> {
    fn forward_derivatives(&self, x: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        let spline = Spline::new(self, h);
        if x.abs() >= spline.bound {
            return Derivatives::identity(x);
        }
        let bin = spline.locate(h, x, false);
        let xi = clamp_unit((x - bin.x0) / bin.width);
        let ((value, log_det), (dv, dl), gv, gl) = eval_partials(&bin, xi);
        Derivatives {
            value,
            log_det,
            d_value_d_input: dv,
            d_log_det_d_input: dl,
            d_value_d_params: spline.to_raw(h, &bin, &gv),
            d_log_det_d_params: spline.to_raw(h, &bin, &gl),
        }
    }

    fn inverse_derivatives(&self, y: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        let (x, _) = Transformer::inverse(self, y, h);
        self.forward_derivatives(x, h).inverted(x)
    }
}
