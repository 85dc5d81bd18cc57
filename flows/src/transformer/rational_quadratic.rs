//! The rational-quadratic spline of neural spline flows (Durkan et al. 2019).

use nalgebra::SVector;

use super::Transformer;
use super::knots::{
    Bin, Knots, Local, Parameterization, Scheme, clamp_unit, softplus, unit_softplus_offset,
};
use super::spline_lanes::{Direction, spline_lanes};
use crate::Real;
use crate::batch::Block;
use crate::gradient::{Derivatives, TransformerGradient};
use crate::kernel::Lanes;

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
        self.knots(h).knot(h.as_slice(), i)
    }

    /// The knots under raw parameters `h`.
    fn knots<T: Real, const P: usize>(&self, h: &SVector<T, P>) -> Knots<T, K> {
        Self::check::<P>();
        Knots::new(
            scheme::<T, K>(self.parameterization),
            self.bound,
            h.as_slice(),
        )
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

/// The knot constants of a parameterization.
fn scheme<T: Real, const K: usize>(p: Parameterization) -> Scheme<T> {
    let min_bin = T::lit(1e-3);
    match p {
        Parameterization::Native => {
            let m = 1e-3;
            Scheme {
                min_bin,
                min_derivative: T::lit(m),
                boundary_derivative: T::one(),
                offset: unit_softplus_offset(m),
                ux_in_heights: T::zero(),
                uy_scale: T::one(),
                ud_scale: T::one(),
                ud_start: 2 * K,
            }
        }
        Parameterization::Torchflows => {
            let m = 1e-5;
            let offset: T = unit_softplus_offset(m);
            Scheme {
                min_bin,
                min_derivative: T::lit(m),
                boundary_derivative: T::lit(m) + softplus(offset + offset * T::lit(1e-3)),
                offset,
                ux_in_heights: T::one(),
                uy_scale: T::lit(1e-3),
                ud_scale: T::lit(1e-3),
                ud_start: 2 * K,
            }
        }
    }
}

/// The spline inside one bin at relative position `xi`: `(y, log dy/dx)`.
#[inline]
fn eval<T: Real>(bin: &Bin<T>, xi: T) -> (T, T) {
    let (y, [s, numerator, den]) = eval_terms(bin, xi);
    (y, log_derivative(s.ln(), numerator.ln(), den.ln()))
}

/// The spline inside one bin at relative position `xi`: `y` and the three positive terms whose
/// logarithms make `log dy/dx` (see [`log_derivative`]): the bin's slope `s`, the numerator and
/// the denominator.
#[inline]
pub(super) fn eval_terms<T: Real>(bin: &Bin<T>, xi: T) -> (T, [T; 3]) {
    let two = T::lit(2.0);
    let s = bin.height / bin.width;
    let theta = xi * (T::one() - xi);
    let one_minus = T::one() - xi;
    let den = s + (bin.d1 + bin.d0 - two * s) * theta;
    let y = bin.y0 + bin.height * (s * xi * xi + bin.d0 * theta) / den;
    let numerator = bin.d1 * xi * xi + two * s * theta + bin.d0 * one_minus * one_minus;
    (y, [s, numerator, den])
}

/// `log dy/dx = 2 ln s + ln numerator − 2 ln denominator` from the logarithms of
/// [`eval_terms`]' terms.
#[inline]
pub(super) fn log_derivative<T: Real>(ln_s: T, ln_numerator: T, ln_den: T) -> T {
    let two = T::lit(2.0);
    two * ln_s + ln_numerator - two * ln_den
}

/// The relative position in `bin` whose image is `y`: the root of the quadratic
/// `a ξ² + b ξ + c = 0` in `[0, 1]`, in the form without cancellation.
#[inline]
pub(super) fn solve<T: Real>(bin: &Bin<T>, y: T) -> T {
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
        let knots = self.knots(h);
        if x.abs() >= knots.bound {
            return (x, T::zero());
        }
        let bin = knots.locate(h.as_slice(), x, false);
        eval(&bin, clamp_unit((x - bin.x0) / bin.width))
    }

    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, P>) -> (T, T) {
        let knots = self.knots(h);
        if y.abs() >= knots.bound {
            return (y, T::zero());
        }
        let bin = knots.locate(h.as_slice(), y, true);
        let xi = solve(&bin, y);
        (bin.x0 + xi * bin.width, -eval(&bin, xi).1)
    }

    #[inline]
    fn forward_lanes(&self, x: &mut [Lanes<T>], h: &[Block<T, P>], log_det: &mut Lanes<T>) {
        Self::check::<P>();
        let scheme = scheme::<T, K>(self.parameterization);
        spline_lanes::<T, K, P>(&scheme, self.bound, x, h, log_det, Direction::Forward);
    }

    #[inline]
    fn inverse_lanes(&self, y: &mut [Lanes<T>], h: &[Block<T, P>], log_det: &mut Lanes<T>) {
        Self::check::<P>();
        let scheme = scheme::<T, K>(self.parameterization);
        spline_lanes::<T, K, P>(&scheme, self.bound, y, h, log_det, Direction::Inverse);
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
        let knots = self.knots(h);
        if x.abs() >= knots.bound {
            return Derivatives::identity(x);
        }
        let u = h.as_slice();
        let bin = knots.locate(u, x, false);
        let xi = clamp_unit((x - bin.x0) / bin.width);
        let ((value, log_det), (dv, dl), gv, gl) = eval_partials(&bin, xi);
        let mut d_value_d_params = SVector::<T, P>::zeros();
        let mut d_log_det_d_params = SVector::<T, P>::zeros();
        knots.to_raw(u, &bin, &gv, d_value_d_params.as_mut_slice());
        knots.to_raw(u, &bin, &gl, d_log_det_d_params.as_mut_slice());
        Derivatives {
            value,
            log_det,
            d_value_d_input: dv,
            d_log_det_d_input: dl,
            d_value_d_params,
            d_log_det_d_params,
        }
    }

    fn inverse_derivatives(&self, y: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        let (x, _) = Transformer::inverse(self, y, h);
        self.forward_derivatives(x, h).inverted(x)
    }
}
