//! The linear-rational spline of Dolatabadi et al. (2020).

use nalgebra::SVector;

use super::Transformer;
use super::knots::{
    Bin, Knots, Local, Parameterization, Scheme, clamp_unit, sigmoid, unit_softplus_offset,
};
use super::rational_quadratic::DEFAULT_BOUND;
use crate::Real;
use crate::gradient::{Derivatives, TransformerGradient};

/// A monotone linear-rational spline with `K` bins on `[-B, B]`, the identity outside
/// (Dolatabadi et al. 2020, "Invertible generative modeling using linear rational splines").
///
/// Each bin is split at a fraction `λ` of its width into two linear-rational pieces
/// `y = (α y₀ (λ − φ) + β y_m φ) / (α (λ − φ) + β φ)` that meet at an intermediate point
/// `(x_k + λ w, y_m)`; the weights are chosen so that the derivative is continuous and equal to the
/// knot derivatives `δ_k` at the knots.
///
/// Parameters per element: `P = 4K`, laid out `[u_x (K), u_y (K), u_λ (K), u_d (K − 1), u_w0]`
/// (torchflows' layout). Widths, heights and interior derivatives are read as for
/// [`RationalQuadratic`](super::RationalQuadratic); the derivative at `±B` is 1. With the
/// [native](Parameterization::Native) parameterization
///
/// - widths `= 2B (m + (1 − K m) softmax(u_x))`, heights likewise from `u_y`, `m = 1e-3`;
/// - derivatives `δ = 1e-3 + softplus(c + u_d)`, `c` chosen so that `δ(0) = 1`;
/// - split points `λ = 0.025 + 0.95 sigmoid(u_λ)`, so both pieces keep at least 2.5% of their
///   bin (at `λ = 0` or `1` the derivative would jump at the split point);
///
/// and zero raw parameters give the identity up to rounding (both pieces are then the straight
/// line through the bin; measured error below `1e-15` on `[-B, B]`, the test asks for `1e-14`).
/// The [torchflows](Parameterization::Torchflows) parameterization (see
/// [`LinearRational::torchflows`]) has `B = 50`, minimum bins `1e-2`, heights from
/// `u_x + u_y/100`, derivatives `1e-5 + softplus(c + u_d/100)` and `λ = sigmoid(u_λ)`.
///
/// The last parameter `u_w0` (torchflows' `w0 = softplus(u_w0)`, the weight of the first knot)
/// has no effect: the map is unchanged when every weight is multiplied by the same factor, so it
/// is kept only for the layout and its gradient is zero. Each bin uses the weights
/// `1/√δ_k, 1/√δ_{k+1}` directly, which are the paper's `w_k = w_0 √(δ_0/δ_k)` up to that
/// factor, and never overflow. torchflows adds `5e-10` inside the squared denominator of its
/// log-det; this implementation does not (the difference is below `1e-9` relative).
///
/// Forward, inverse (one linear-rational equation per piece, solved in a form without
/// cancellation) and log-det are analytic; on a knot the bin to its right is used. `P = 4K` is
/// checked at compile time (post-monomorphization).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearRational<const K: usize> {
    /// The half-width `B` of the interval `[-B, B]` the spline covers.
    pub bound: f64,
    /// How the raw parameters are read.
    pub parameterization: Parameterization,
}

impl<const K: usize> Default for LinearRational<K> {
    fn default() -> Self {
        Self::new(DEFAULT_BOUND)
    }
}

/// The smallest split fraction `λ` of the native parameterization.
const MIN_SPLIT: f64 = 0.025;

impl<const K: usize> LinearRational<K> {
    /// A spline on `[-bound, bound]` with the native parameterization.
    pub const fn new(bound: f64) -> Self {
        Self {
            bound,
            parameterization: Parameterization::Native,
        }
    }

    /// torchflows' `LinearRational`: `B = 50` and its parameterization.
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

    /// The split fraction `λ` of bin `k` under raw parameters `h` (`None` past the last bin).
    pub fn split<T: Real, const P: usize>(&self, h: &SVector<T, P>, k: usize) -> Option<T> {
        Self::check::<P>();
        if k >= K {
            return None;
        }
        h.as_slice().get(2 * K + k).map(|&u| self.lambda(u).0)
    }

    /// The knots under raw parameters `h`.
    fn knots<T: Real, const P: usize>(&self, h: &SVector<T, P>) -> Knots<T, K> {
        Self::check::<P>();
        let scheme = match self.parameterization {
            Parameterization::Native => {
                let m = 1e-3;
                Scheme {
                    min_bin: T::lit(1e-3),
                    min_derivative: T::lit(m),
                    boundary_derivative: T::one(),
                    offset: unit_softplus_offset(m),
                    ux_in_heights: T::zero(),
                    uy_scale: T::one(),
                    ud_scale: T::one(),
                    ud_start: 3 * K,
                }
            }
            Parameterization::Torchflows => {
                let m = 1e-5;
                Scheme {
                    min_bin: T::lit(1e-2),
                    min_derivative: T::lit(m),
                    boundary_derivative: T::one(),
                    offset: unit_softplus_offset(m),
                    ux_in_heights: T::one(),
                    uy_scale: T::lit(1e-2),
                    ud_scale: T::lit(1e-2),
                    ud_start: 3 * K,
                }
            }
        };
        Knots::new(scheme, self.bound, h.as_slice())
    }

    /// The split fraction from its raw parameter, and its derivative with respect to it.
    #[inline]
    fn lambda<T: Real>(&self, u: T) -> (T, T) {
        let s = sigmoid(u);
        let (floor, spread) = match self.parameterization {
            Parameterization::Native => (T::lit(MIN_SPLIT), T::lit(1.0 - 2.0 * MIN_SPLIT)),
            Parameterization::Torchflows => (T::zero(), T::one()),
        };
        (floor + spread * s, spread * s * (T::one() - s))
    }

    /// Compile-time check of the parameter count.
    const CHECK: () = assert!(
        K >= 1 && K < 1000,
        "LinearRational needs 1 <= K < 1000 bins"
    );

    fn check<const P: usize>() {
        const { assert!(P == 4 * K, "LinearRational<K> takes P = 4K parameters") };
        let () = Self::CHECK;
    }

    /// The bin holding `v` (an input, or an output if `by_output`) with its split fraction and
    /// the raw parameter of the split.
    fn locate<T: Real, const P: usize>(
        &self,
        knots: &Knots<T, K>,
        h: &SVector<T, P>,
        v: T,
        by_output: bool,
    ) -> Piecewise<T> {
        let u = h.as_slice();
        let bin = knots.locate(u, v, by_output);
        let raw = u.get(2 * K + bin.k).copied().unwrap_or(T::zero());
        Piecewise::new(bin, self.lambda(raw).0)
    }
}

/// One bin with its split and the quantities both pieces share.
struct Piecewise<T> {
    bin: Bin<T>,
    lambda: T,
    /// `√δ₀` and `√δ₁`.
    p: T,
    q: T,
    /// The weights of the two knots, `1/√δ₀` and `1/√δ₁`.
    a: T,
    c: T,
    /// The weight of the split point.
    b: T,
}

/// The two halves of a bin are one function seen from either end. From its near knot, a half has
/// weight `alpha` there, `gamma` at the far knot, `beta` at the split point, spans the fraction
/// `mu` of the bin, and is evaluated at the relative distance `t` from the near knot.
#[derive(Clone, Copy, Debug, Default)]
struct Half<T> {
    alpha: T,
    gamma: T,
    mu: T,
    beta: T,
    t: T,
}

impl<T: Real> Half<T> {
    /// `S = (1 − μ) α + μ γ`, and the denominator `α μ + (β − α) t`.
    #[inline]
    fn sums(&self) -> (T, T) {
        let one = T::one();
        (
            (one - self.mu) * self.alpha + self.mu * self.gamma,
            self.alpha * self.mu + (self.beta - self.alpha) * self.t,
        )
    }

    /// `(R, log dR/dt)`: the fraction of the bin's height covered from the near knot, and its
    /// log-derivative.
    #[inline]
    fn eval(&self) -> (T, T) {
        let (s, den) = self.sums();
        let r = self.beta * self.mu * self.gamma * self.t / (s * den);
        let slope = self.mu * self.mu * self.alpha * self.beta * self.gamma / (s * den * den);
        (r, slope.ln())
    }

    /// The height fraction of the split point, `μ γ / S`.
    #[inline]
    fn split_height(&self) -> T {
        self.mu * self.gamma / self.sums().0
    }

    /// The `t` whose `R` is `r` (`0 <= r <= split_height`): the solution of
    /// `r (α μ + (β − α) t) = β Δ t`, `t = r α μ / (β (Δ − r) + α r)` (both terms non-negative).
    #[inline]
    fn solve(&self, r: T) -> T {
        let delta = self.split_height();
        let r = if r < T::zero() {
            T::zero()
        } else if r > delta {
            delta
        } else {
            r
        };
        let t = r * self.alpha * self.mu / (self.beta * (delta - r) + self.alpha * r);
        if t > self.mu { self.mu } else { t }
    }

    /// The partial derivatives of `R` and of `log dR/dt` with respect to the five quantities.
    fn partials(&self) -> (Half<T>, Half<T>) {
        let one = T::one();
        let two = T::lit(2.0);
        let Half {
            alpha,
            gamma,
            mu,
            beta,
            t,
        } = *self;
        let (s, den) = self.sums();
        let q = s * den;
        let r = beta * mu * gamma * t / q;
        let dr = Half {
            alpha: -r * ((one - mu) * den + s * (mu - t)) / q,
            gamma: (beta * mu * t - r * mu * den) / q,
            mu: (beta * gamma * t - r * ((gamma - alpha) * den + s * alpha)) / q,
            beta: t * (mu * gamma - r * s) / q,
            t: (beta * mu * gamma - r * s * (beta - alpha)) / q,
        };
        let dl = Half {
            alpha: one / alpha - (one - mu) / s - two * (mu - t) / den,
            gamma: one / gamma - mu / s,
            mu: two / mu - (gamma - alpha) / s - two * alpha / den,
            beta: one / beta - two * t / den,
            t: -two * (beta - alpha) / den,
        };
        (dr, dl)
    }
}

impl<T: Real> Piecewise<T> {
    fn new(bin: Bin<T>, lambda: T) -> Self {
        let (p, q) = (bin.d0.sqrt(), bin.d1.sqrt());
        let b = (lambda * p + (T::one() - lambda) * q) * bin.width / bin.height;
        Self {
            bin,
            lambda,
            p,
            q,
            a: T::one() / p,
            c: T::one() / q,
            b,
        }
    }

    /// The half holding relative position `phi`, seen from its near knot, and whether it is the
    /// right one.
    #[inline]
    fn half(&self, phi: T) -> (Half<T>, bool) {
        if phi <= self.lambda {
            (self.left(phi), false)
        } else {
            (self.right(T::one() - phi), true)
        }
    }

    #[inline]
    fn left(&self, t: T) -> Half<T> {
        Half {
            alpha: self.a,
            gamma: self.c,
            mu: self.lambda,
            beta: self.b,
            t,
        }
    }

    #[inline]
    fn right(&self, t: T) -> Half<T> {
        Half {
            alpha: self.c,
            gamma: self.a,
            mu: T::one() - self.lambda,
            beta: self.b,
            t,
        }
    }

    /// `(y, log dy/dx)` at relative position `phi`.
    #[inline]
    fn eval(&self, phi: T) -> (T, T) {
        let (half, right) = self.half(phi);
        let (r, log_slope) = half.eval();
        let bin = &self.bin;
        let y = if right {
            bin.y0 + bin.height - bin.height * r
        } else {
            bin.y0 + bin.height * r
        };
        (y, log_slope + (bin.height / bin.width).ln())
    }

    /// The preimage of `y` as a half (its `t` from the near knot) and whether it is the right
    /// one, with the log-derivative there.
    #[inline]
    fn solve(&self, y: T) -> (T, bool, T) {
        let bin = &self.bin;
        let left = self.left(T::zero());
        let rise = (y - bin.y0) / bin.height;
        let (t, right, half) = if rise <= left.split_height() {
            let t = left.solve(rise);
            (t, false, self.left(t))
        } else {
            let right = self.right(T::zero());
            let t = right.solve((bin.y0 + bin.height - y) / bin.height);
            (t, true, self.right(t))
        };
        (t, right, half.eval().1 + (bin.height / bin.width).ln())
    }

    /// Chains partial derivatives with respect to a half's quantities at `phi` to the input, the
    /// bin's quantities and `λ`: `(d/dx, d/dbin, d/dλ)`.
    fn chain(&self, phi: T, right: bool, g: &Half<T>) -> (T, Local<T>, T) {
        let bin = &self.bin;
        let half = T::lit(0.5);
        let (w, hgt, lambda) = (bin.width, bin.height, self.lambda);
        // β = (λ p + (1 − λ) q) w / h.
        let mut lam = g.beta * (self.p - self.q) * w / hgt;
        let mut d0 = g.beta * lambda * w / hgt * half * self.a;
        let mut d1 = g.beta * (T::one() - lambda) * w / hgt * half * self.c;
        let mut width = g.beta * self.b / w;
        let height = -g.beta * self.b / hgt;
        // The weights 1/√δ: d(1/√δ)/dδ = −1/(2 δ √δ).
        let (near, far) = (-half * self.a / bin.d0, -half * self.c / bin.d1);
        let (g_phi, g_mu) = if right {
            d1 += g.alpha * far;
            d0 += g.gamma * near;
            (-g.t, -g.mu)
        } else {
            d0 += g.alpha * near;
            d1 += g.gamma * far;
            (g.t, g.mu)
        };
        lam += g_mu;
        // φ = (x − x0) / w.
        width -= g_phi * phi / w;
        (
            g_phi / w,
            Local {
                x0: -g_phi / w,
                width,
                y0: T::zero(),
                height,
                d0,
                d1,
            },
            lam,
        )
    }
}

impl<T: Real, const K: usize, const P: usize> Transformer<T, P> for LinearRational<K> {
    #[inline]
    fn forward(&self, x: T, h: &SVector<T, P>) -> (T, T) {
        let knots = self.knots(h);
        if x.abs() >= knots.bound {
            return (x, T::zero());
        }
        let piece = self.locate(&knots, h, x, false);
        piece.eval(clamp_unit((x - piece.bin.x0) / piece.bin.width))
    }

    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, P>) -> (T, T) {
        let knots = self.knots(h);
        if y.abs() >= knots.bound {
            return (y, T::zero());
        }
        let piece = self.locate(&knots, h, y, true);
        let (t, right, log_det) = piece.solve(y);
        let bin = &piece.bin;
        let x = if right {
            bin.x0 + bin.width - t * bin.width
        } else {
            bin.x0 + t * bin.width
        };
        (x, -log_det)
    }
}

impl<T: Real, const K: usize, const P: usize> TransformerGradient<T, P> for LinearRational<K> {
    fn forward_derivatives(&self, x: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        let knots = self.knots(h);
        if x.abs() >= knots.bound {
            return Derivatives::identity(x);
        }
        let u = h.as_slice();
        let piece = self.locate(&knots, h, x, false);
        let bin = piece.bin;
        let phi = clamp_unit((x - bin.x0) / bin.width);
        let (half, right) = piece.half(phi);
        let (r, _) = half.eval();
        let (value, log_det) = piece.eval(phi);
        let (dr, dl) = half.partials();

        // y = y0 + h R (left) or y0 + h − h R (right).
        let sign = if right { -T::one() } else { T::one() };
        let (vx, g, vlam) = piece.chain(phi, right, &dr);
        let scale = sign * bin.height;
        let v = Local {
            x0: g.x0 * scale,
            width: g.width * scale,
            y0: T::one(),
            height: g.height * scale + if right { T::one() - r } else { r },
            d0: g.d0 * scale,
            d1: g.d1 * scale,
        };
        let (vx, vlam) = (vx * scale, vlam * scale);

        // log dy/dx = log dR/dt + log h − log w.
        let (lx, mut l, llam) = piece.chain(phi, right, &dl);
        l.height += T::one() / bin.height;
        l.width -= T::one() / bin.width;

        let raw = |g: &Local<T>, glam: T| {
            let mut out = SVector::<T, P>::zeros();
            let slots = out.as_mut_slice();
            knots.to_raw(u, &bin, g, slots);
            let i = 2 * K + bin.k;
            if let (Some(&raw), Some(slot)) = (u.get(i), slots.get_mut(i)) {
                *slot = glam * self.lambda(raw).1;
            }
            out
        };
        Derivatives {
            value,
            log_det,
            d_value_d_input: vx,
            d_log_det_d_input: lx,
            d_value_d_params: raw(&v, vlam),
            d_log_det_d_params: raw(&l, llam),
        }
    }

    fn inverse_derivatives(&self, y: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        let (x, _) = Transformer::inverse(self, y, h);
        self.forward_derivatives(x, h).inverted(x)
    }
}
