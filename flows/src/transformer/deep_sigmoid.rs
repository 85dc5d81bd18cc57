//! The deep sigmoidal flow transformer of Huang et al. (2018), with its log-det in log space.

use nalgebra::SVector;

use super::Transformer;
use super::knots::{Parameterization, sigmoid, softplus, unit_softplus_offset};
use crate::Real;
use crate::gradient::{Derivatives, TransformerGradient};

/// `L` stacked deep sigmoidal units of `H` hidden units each (Huang et al. 2018, "Neural
/// autoregressive flows"): each unit maps
///
/// ```text
/// y = logit( Σ_j w_j σ(a_j x + b_j) ),   a_j > 0,   w on the simplex,
/// ```
///
/// a strictly increasing map of the whole real line onto itself (it grows at least like
/// `min_j a_j · |x|` in both tails). `L = 2` is torchflows' `DeepSigmoid` (a `Combination` of two
/// `Sigmoid`s); [`Sigmoid<H>`] is one unit. Parameters per element: `P = 3 H L`, unit by unit,
/// each laid out `[u_a (H), u_b (H), u_w (H)]` (torchflows' layout); the first unit is applied
/// first.
///
/// **Log-det.** `log dy/dx = LSE_j(log w_j + log a_j + log σ(c_j) + log σ(−c_j)) − log S −
/// log(1 − S)` with `c_j = a_j x + b_j` and `S = Σ_j w_j σ(c_j)`; `log S` and `log(1 − S)` are
/// themselves log-sum-exps (`1 − S = Σ_j w_j σ(−c_j)`), so neither `S` nor `1 − S` is ever
/// formed and `y` is exact where `S` would round to 0 or 1. torchflows sums the terms over the
/// hidden units instead of taking their log-sum-exp, and uses `logit(S)` for `−log S(1 − S)`;
/// its log-det is wrong by 60 to 24,000 nats. It also clips `S` to `[1e-6, 1 − 1e-6]` (so its map
/// is constant beyond `|y| ≈ 13.8`); this implementation does not, in either parameterization.
///
/// **Inverse.** Unit by unit, last first: the root is bracketed by expanding steps from `x = y`
/// (doubling until the bracket holds it, over the whole real line), then found by Newton's
/// method, falling back to bisection whenever a step leaves the bracket. It converges to a few
/// ulps (below `1e-10` in `f64` wherever the map's slope is not tiny; where it is, the rounding
/// of `y` already moves the preimage further). torchflows bisects on `[-10, 10]` only.
///
/// **Parameterizations.** [Native](Parameterization::Native): `a_j = 1e-3 + softplus(c + u_a)`
/// (`a_j = 1` at zero), `b_j = β_j + u_b`, `w = softmax(u_w)`, where the fixed offsets `β_j` are
/// spread evenly over `[-1/2, 1/2]` (0 for `H = 1`). Without them every hidden unit would start
/// identical (the conditioner's output layer starts at zero), receive the same gradient forever,
/// and the transformer would stay a single sigmoid. The price is that zero parameters give a
/// near-identity rather than the identity: one unit with `H = 8` is an odd map with slope 0.974
/// at 0, 1 in the tails, and `|y − x| < 0.053` everywhere; two stacked (`DeepSigmoid<8>`), slope
/// 0.949 at 0 and `|y − x| < 0.106` (measured in the tests).
/// [Torchflows](Parameterization::Torchflows): `a_j = 1e-3 + softplus(ln(e − 1 − 1e-3) +
/// u_a/1000)` (1.0006 at zero), `b_j = u_b/1000`, `w = softmax(u_w/1000)`, to evaluate imported
/// weights (with the correct log-det).
///
/// `P = 3 H L` is checked at compile time (post-monomorphization).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeepSigmoid<const H: usize, const L: usize = 2> {
    /// How the raw parameters are read.
    pub parameterization: Parameterization,
}

/// One deep sigmoidal unit of `H` hidden units (torchflows' `Sigmoid`).
pub type Sigmoid<const H: usize> = DeepSigmoid<H, 1>;

/// The spread of the native offsets `β_j`: they cover `[-SPREAD, SPREAD]`.
const SPREAD: f64 = 0.5;

impl<const H: usize, const L: usize> DeepSigmoid<H, L> {
    /// The native parameterization.
    pub const fn new() -> Self {
        Self {
            parameterization: Parameterization::Native,
        }
    }

    /// torchflows' parameterization.
    pub const fn torchflows() -> Self {
        Self {
            parameterization: Parameterization::Torchflows,
        }
    }

    /// Compile-time check of the sizes.
    const CHECK: () = assert!(
        H >= 1 && L >= 1,
        "DeepSigmoid needs at least one hidden unit and one layer"
    );

    fn check<const P: usize>() {
        const {
            assert!(
                P == 3 * H * L,
                "DeepSigmoid<H, L> takes P = 3 H L parameters"
            )
        };
        let () = Self::CHECK;
    }

    /// Unit `l`'s parameters read from the raw ones.
    fn unit<T: Real, const P: usize>(&self, h: &SVector<T, P>, l: usize) -> Unit<T, H> {
        let u = h.as_slice();
        let at = |i: usize| u.get(3 * H * l + i).copied().unwrap_or(T::zero());
        let (a_offset, scale): (T, T) = match self.parameterization {
            Parameterization::Native => (unit_softplus_offset(MIN_A), T::one()),
            Parameterization::Torchflows => (
                T::lit(core::f64::consts::E - 1.0 - MIN_A).ln(),
                T::lit(1e-3),
            ),
        };
        let native = self.parameterization == Parameterization::Native;
        let mut unit = Unit {
            a: [T::zero(); H],
            da: [T::zero(); H],
            b: [T::zero(); H],
            log_w: [T::zero(); H],
            w: [T::zero(); H],
            scale,
        };
        let mut max = T::zero();
        for j in 0..H {
            let arg = a_offset + scale * at(j);
            unit.a[j] = T::lit(MIN_A) + softplus(arg);
            unit.da[j] = scale * sigmoid(arg);
            let offset = if native && H > 1 {
                T::lit(SPREAD * (2.0 * j as f64 / (H - 1) as f64 - 1.0))
            } else {
                T::zero()
            };
            unit.b[j] = offset + scale * at(H + j);
            unit.log_w[j] = scale * at(2 * H + j);
            if j == 0 || unit.log_w[j] > max {
                max = unit.log_w[j];
            }
        }
        // log_softmax.
        let mut sum = T::zero();
        for lw in unit.log_w.iter() {
            sum += (*lw - max).exp();
        }
        let log_sum = max + sum.ln();
        for (lw, w) in unit.log_w.iter_mut().zip(unit.w.iter_mut()) {
            *lw -= log_sum;
            *w = lw.exp();
        }
        unit
    }
}

/// The smallest slope `a_j`.
const MIN_A: f64 = 1e-3;

/// One unit's parameters.
struct Unit<T, const H: usize> {
    a: [T; H],
    /// `d a_j / d u_a_j`.
    da: [T; H],
    b: [T; H],
    log_w: [T; H],
    w: [T; H],
    /// The coefficient of the raw `u_b` and `u_w`.
    scale: T,
}

/// `log Σ exp(v_j)` of the values `v`; `-inf` for all `-inf`, NaN for any NaN.
#[inline]
fn log_sum_exp<T: Real, const H: usize>(v: &[T; H]) -> T {
    let mut max = T::lit(f64::NEG_INFINITY);
    for &x in v {
        if x > max || is_nan(x) {
            max = x;
        }
    }
    if !max.is_finite() {
        return max;
    }
    let mut sum = T::zero();
    for &x in v {
        sum += (x - max).exp();
    }
    max + sum.ln()
}

/// Whether `x` is NaN.
#[inline]
fn is_nan<T: Real>(x: T) -> bool {
    x.partial_cmp(&x).is_none()
}

/// A unit evaluated at one point: its value, log-derivative and their partials.
struct Point<T, const H: usize> {
    y: T,
    log_det: T,
    /// `dy/dc_j` and `d log_det/dc_j`.
    dy_dc: [T; H],
    dl_dc: [T; H],
    /// The weights of the three log-sum-exps: `w_j σ(c_j)/S`, `w_j σ(−c_j)/(1 − S)`, and those of
    /// the derivative's.
    pi_a: [T; H],
    pi_b: [T; H],
    pi_g: [T; H],
}

impl<T: Real, const H: usize> Unit<T, H> {
    /// `(y, log dy/dx)` at `x`.
    #[inline]
    fn eval(&self, x: T) -> (T, T) {
        let mut la = [T::zero(); H];
        let mut lb = [T::zero(); H];
        let mut lg = [T::zero(); H];
        for j in 0..H {
            let c = self.a[j] * x + self.b[j];
            // log σ(c) = −softplus(−c), log σ(−c) = −softplus(c), sharing ln(1 + e^−|c|).
            let shared = (-c.abs()).exp().ln_1p();
            let log_sig = -(if c < T::zero() { -c } else { T::zero() } + shared);
            let log_sig_neg = -(if c > T::zero() { c } else { T::zero() } + shared);
            la[j] = self.log_w[j] + log_sig;
            lb[j] = self.log_w[j] + log_sig_neg;
            lg[j] = self.log_w[j] + self.a[j].ln() + log_sig + log_sig_neg;
        }
        let (a, b) = (log_sum_exp(&la), log_sum_exp(&lb));
        (a - b, log_sum_exp(&lg) - a - b)
    }

    /// [`eval`](Self::eval) with the partial derivatives with respect to each `c_j`.
    fn point(&self, x: T) -> Point<T, H> {
        let mut p = Point {
            y: T::zero(),
            log_det: T::zero(),
            dy_dc: [T::zero(); H],
            dl_dc: [T::zero(); H],
            pi_a: [T::zero(); H],
            pi_b: [T::zero(); H],
            pi_g: [T::zero(); H],
        };
        let mut la = [T::zero(); H];
        let mut lb = [T::zero(); H];
        let mut lg = [T::zero(); H];
        let mut sp = [T::zero(); H];
        let mut sn = [T::zero(); H];
        for j in 0..H {
            let c = self.a[j] * x + self.b[j];
            let shared = (-c.abs()).exp().ln_1p();
            let log_sig = -(if c < T::zero() { -c } else { T::zero() } + shared);
            let log_sig_neg = -(if c > T::zero() { c } else { T::zero() } + shared);
            la[j] = self.log_w[j] + log_sig;
            lb[j] = self.log_w[j] + log_sig_neg;
            lg[j] = self.log_w[j] + self.a[j].ln() + log_sig + log_sig_neg;
            sp[j] = log_sig.exp();
            sn[j] = log_sig_neg.exp();
        }
        let (a, b, g) = (log_sum_exp(&la), log_sum_exp(&lb), log_sum_exp(&lg));
        p.y = a - b;
        p.log_det = g - a - b;
        for j in 0..H {
            p.pi_a[j] = (la[j] - a).exp();
            p.pi_b[j] = (lb[j] - b).exp();
            p.pi_g[j] = (lg[j] - g).exp();
            // d log σ(c)/dc = σ(−c), d log σ(−c)/dc = −σ(c).
            p.dy_dc[j] = p.pi_a[j] * sn[j] + p.pi_b[j] * sp[j];
            p.dl_dc[j] = p.pi_g[j] * (sn[j] - sp[j]) - p.pi_a[j] * sn[j] + p.pi_b[j] * sp[j];
        }
        p
    }

    /// The `x` with `eval(x).0 == y`: bracket by expanding steps from `x = y`, then safeguarded
    /// Newton.
    fn solve(&self, y: T) -> T {
        if !y.is_finite() {
            // NaN gives NaN; the map sends ±inf to ±inf.
            return y;
        }
        let f = |x: T| self.eval(x);
        let mut x = y;
        let (fx, _) = f(x);
        if fx == y || is_nan(fx) {
            // NaN parameters give NaN.
            return if fx == y { x } else { fx };
        }
        // Bracket: lo has F(lo) < y, hi has F(hi) > y.
        let below = fx < y;
        let (mut lo, mut hi) = (x, x);
        let mut step = T::one() + x.abs() * T::lit(0.125);
        let mut found = false;
        for _ in 0..2200 {
            let next = if below { x + step } else { x - step };
            let (fn_, _) = f(next);
            if below {
                if fn_ >= y {
                    hi = next;
                    found = true;
                    break;
                }
                lo = next;
            } else {
                if fn_ <= y {
                    lo = next;
                    found = true;
                    break;
                }
                hi = next;
            }
            x = next;
            step += step;
            if !next.is_finite() {
                break;
            }
        }
        if !found {
            return x;
        }
        if below {
            lo = x;
        } else {
            hi = x;
        }
        // Safeguarded Newton from the end of the bracket nearer the start.
        let tolerance = T::default_epsilon() * T::lit(4.0);
        let mut x = if below { lo } else { hi };
        for _ in 0..200 {
            let (fx, log_slope) = f(x);
            if fx == y {
                return x;
            }
            if fx < y {
                lo = x;
            } else {
                hi = x;
            }
            let newton = x - (fx - y) / log_slope.exp();
            let next = if newton > lo && newton < hi {
                newton
            } else {
                lo + (hi - lo) * T::lit(0.5)
            };
            let scale = T::one() + next.abs();
            if (next - x).abs() <= tolerance * scale || hi - lo <= tolerance * scale {
                return next;
            }
            x = next;
        }
        x
    }
}

impl<T: Real, const H: usize, const L: usize, const P: usize> Transformer<T, P>
    for DeepSigmoid<H, L>
{
    #[inline]
    fn forward(&self, x: T, h: &SVector<T, P>) -> (T, T) {
        Self::check::<P>();
        let mut value = x;
        let mut log_det = T::zero();
        for l in 0..L {
            let (y, ld) = self.unit(h, l).eval(value);
            value = y;
            log_det += ld;
        }
        (value, log_det)
    }

    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, P>) -> (T, T) {
        Self::check::<P>();
        let mut value = y;
        let mut log_det = T::zero();
        for l in (0..L).rev() {
            let unit = self.unit(h, l);
            let x = unit.solve(value);
            log_det -= unit.eval(x).1;
            value = x;
        }
        (value, log_det)
    }
}

impl<T: Real, const H: usize, const L: usize, const P: usize> TransformerGradient<T, P>
    for DeepSigmoid<H, L>
{
    fn forward_derivatives(&self, x: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        Self::check::<P>();
        let mut d = Derivatives::<T, P>::identity(x);
        for l in 0..L {
            let unit = self.unit(h, l);
            let input = d.value;
            let p = unit.point(input);
            // The unit's derivatives with respect to its input.
            let mut dy_dx = T::zero();
            let mut dl_dx = T::zero();
            for ((&gy, &gl), &a) in p.dy_dc.iter().zip(&p.dl_dc).zip(&unit.a) {
                dy_dx += gy * a;
                dl_dx += gl * a;
            }
            // Earlier units' parameters act through this unit's input.
            d.d_log_det_d_params += d.d_value_d_params * dl_dx;
            d.d_value_d_params *= dy_dx;
            d.d_log_det_d_input += dl_dx * d.d_value_d_input;
            d.d_value_d_input *= dy_dx;
            d.value = p.y;
            d.log_det += p.log_det;
            // This unit's own parameters. The weights: d/d log w_j is π_a − π_b for y and
            // π_g − π_a − π_b for the log-det; log_softmax's reverse mode subtracts w_j times the sum.
            let s = unit.scale;
            let (mut sum_v, mut sum_l) = (T::zero(), T::zero());
            for j in 0..H {
                sum_v += p.pi_a[j] - p.pi_b[j];
                sum_l += p.pi_g[j] - p.pi_a[j] - p.pi_b[j];
            }
            let start = 3 * H * l;
            let gv = d.d_value_d_params.as_mut_slice();
            let gl = d.d_log_det_d_params.as_mut_slice();
            for j in 0..H {
                // c_j = a_j x + b_j, and log a_j appears in the derivative's log-sum-exp.
                let entries = [
                    (
                        start + j,
                        p.dy_dc[j] * input * unit.da[j],
                        (p.dl_dc[j] * input + p.pi_g[j] / unit.a[j]) * unit.da[j],
                    ),
                    (start + H + j, p.dy_dc[j] * s, p.dl_dc[j] * s),
                    (
                        start + 2 * H + j,
                        s * (p.pi_a[j] - p.pi_b[j] - unit.w[j] * sum_v),
                        s * (p.pi_g[j] - p.pi_a[j] - p.pi_b[j] - unit.w[j] * sum_l),
                    ),
                ];
                for (i, v, lg) in entries {
                    if let (Some(sv), Some(sl)) = (gv.get_mut(i), gl.get_mut(i)) {
                        *sv = v;
                        *sl = lg;
                    }
                }
            }
        }
        d
    }

    fn inverse_derivatives(&self, y: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        let (x, _) = Transformer::inverse(self, y, h);
        self.forward_derivatives(x, h).inverted(x)
    }
}
