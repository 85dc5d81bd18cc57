//! The affine family: `Affine` (scale and shift), `Shift` and `Scale`.

use nalgebra::{SMatrix, SVector};

use super::{Transformer, each_element};
use crate::Real;
use crate::batch::{Block, LANES, add_to_every_lane};
use crate::gradient::{Derivatives, TransformerGradient};
use crate::kernel::{EventMap, Lanes, SHORT};

/// The smallest scale the affine family reaches (torchflows' `min_scale` default).
pub const MIN_SCALE: f64 = 1e-10;

/// [`scale`] takes its near form where `u / 2` is at least this.
pub(crate) const NEAR_MIN: f64 = -10.0;

/// `expm1(u / 2)` above this counts as this in the near form of `log α` (where the ratio it
/// enters, `e / (1 + e)`, is 1 to every precision), so that `u = ∞` gives `log α = ∞`.
pub(crate) const E_MAX: f64 = 1e30;

/// The positive scale `α(u) = m + (1 − m) e^v`, `v = u / 2`, with `m` = [`MIN_SCALE`]
/// (torchflows' parameterization). Returns `(α, log α)`.
///
/// Near form (`v ≥ −10`, where every useful scale lies): `α = 1 + (1 − m) e` with
/// `e = expm1(v)`, exactly 1 at `u = 0`; and since `α = e^v (1 + t)` with
/// `t = m (e^{−v} − 1) = −m e / (1 + e)`, `|t| < 2.3e-6`, `log α = v + ln(1 + t)`
/// `= v + t − t²/2 + t³/3` (the rest is below `t⁴/4 < 1e-23`): one transcendental, and exactly 0
/// at `u = 0`. Far form (smaller `v`, and NaN), where `1 + (1 − m) e` would cancel:
/// `α = m + (1 − m) e^v` and `log α = ln α`.
#[inline]
pub(crate) fn scale<T: Real>(u: T) -> (T, T) {
    let v = u * T::lit(0.5);
    if near(v) {
        let e = v.exp_m1();
        (alpha_near(e), log_alpha_near(v, e))
    } else {
        let alpha = alpha_far(v.exp());
        (alpha, alpha.ln())
    }
}

/// Whether `v = u / 2` takes the near form of [`scale`] (false for NaN).
#[inline(always)]
fn near<T: Real>(v: T) -> bool {
    v >= T::lit(NEAR_MIN)
}

/// The near form of `α` from `e = expm1(v)`.
#[inline(always)]
fn alpha_near<T: Real>(e: T) -> T {
    T::one() + (T::one() - T::lit(MIN_SCALE)) * e
}

/// The near form of `log α` from `v` and `e = expm1(v)`.
#[inline(always)]
fn log_alpha_near<T: Real>(v: T, e: T) -> T {
    let e = e.min(T::lit(E_MAX));
    let t = -T::lit(MIN_SCALE) * e / (T::one() + e);
    v + t * (T::one() + t * (t * T::lit(1.0 / 3.0) - T::lit(0.5)))
}

/// The far form of `α` from `w = e^v`.
#[inline(always)]
fn alpha_far<T: Real>(w: T) -> T {
    T::lit(MIN_SCALE) + (T::one() - T::lit(MIN_SCALE)) * w
}

/// [`scale`] of every lane of `rows` in place, by the lane kernels: each row of `u` becomes
/// `α`, and the matching row of `log_alpha` becomes `log α` (the same formulas lane by lane).
#[inline]
fn scale_rows<T: Real>(rows: &mut [Lanes<T>], log_alpha: &mut [Lanes<T>]) {
    for (u, v) in rows.iter_mut().zip(log_alpha.iter_mut()) {
        for (u, v) in u.iter_mut().zip(v.iter_mut()) {
            *v = *u * T::lit(0.5);
            *u = *v;
        }
    }
    T::expm1_lanes(rows);
    for (alpha, log_alpha) in rows.iter_mut().zip(log_alpha.iter_mut()) {
        let v = *log_alpha;
        let mut far = false;
        for ((e, la), &v) in alpha.iter_mut().zip(log_alpha.iter_mut()).zip(&v) {
            *la = log_alpha_near(v, *e);
            *e = alpha_near(*e);
            far |= !near(v);
        }
        if far {
            scale_far(&v, alpha, log_alpha);
        }
    }
}

/// The far form of [`scale`] for the lanes of `v` (`= u / 2`) that take it, into `alpha` and
/// `log_alpha`.
#[cold]
#[inline(never)]
fn scale_far<T: Real>(v: &Lanes<T>, alpha: &mut Lanes<T>, log_alpha: &mut Lanes<T>) {
    let mut far_alpha = *v;
    T::exp_lanes(core::slice::from_mut(&mut far_alpha));
    far_alpha.iter_mut().for_each(|w| *w = alpha_far(*w));
    let mut far_log = far_alpha;
    T::ln_lanes(core::slice::from_mut(&mut far_log));
    for (l, &v) in v.iter().enumerate() {
        if !near(v) {
            alpha[l] = far_alpha[l];
            log_alpha[l] = far_log[l];
        }
    }
}

/// Maps the elements `x` of one event, forward or (when `inverse`) inverse, under their
/// parameters `h`, by the one-row affine kernels with the elements as the lanes of rows (the
/// short kernel for at most [`SHORT`] of them); returns `Σ_j log α_j`.
#[inline]
fn map_event<T: Real>(x: &mut [T], h: &[SVector<T, 2>], inverse: bool) -> T {
    let mut total = T::zero();
    for (x, h) in x.chunks_mut(LANES).zip(h.chunks(LANES)) {
        let mut row = [T::zero(); LANES];
        let mut params = [[T::zero(); LANES]; 2];
        for (l, (x, h)) in x.iter().zip(h).enumerate() {
            row[l] = *x;
            params[0][l] = h[0];
            params[1][l] = h[1];
        }
        let log_alpha = if x.len() <= SHORT {
            T::affine_short(&mut row, &params, inverse)
        } else {
            T::affine_row(&mut row, &params, inverse)
        };
        for ((x, y), log_alpha) in x.iter_mut().zip(row).zip(log_alpha) {
            *x = y;
            total += log_alpha;
        }
    }
    total
}

/// `(α, log α)` of up to [`LANES`] elements under their parameters `h`, as lanes, by
/// [`scale_rows`].
#[inline]
fn shared_scales<T: Real>(h: &[SVector<T, 2>]) -> (Lanes<T>, Lanes<T>) {
    let mut alpha = [T::zero(); LANES];
    for (a, p) in alpha.iter_mut().zip(h) {
        *a = p[0];
    }
    let mut log_alpha = [T::zero(); LANES];
    scale_rows(
        core::slice::from_mut(&mut alpha),
        core::slice::from_mut(&mut log_alpha),
    );
    (alpha, log_alpha)
}

/// Maps lane blocks of `h.len()` rows each, forward (`α x + β`) or, when `inverse`, inverse
/// (`(y − β) · (1 / α)`), with the rows of up to [`LANES`] consecutive elements of a block and
/// their scales and shifts under their parameters `h[j]` (shared by the events), the scales
/// computed once for all the blocks by [`scale_rows`] with the elements as lanes, the blocks
/// mapped by the diagonal lane kernels (all in one call when a block has at most [`LANES`]
/// elements); returns `Σ_j log α_j`.
#[inline]
fn map_blocks_shared<T: Real>(rows: &mut [Lanes<T>], h: &[SVector<T, 2>], inverse: bool) -> T {
    let (mut total, elements) = (T::zero(), h.len().max(1));
    for (c, h) in h.chunks(LANES).enumerate() {
        let (mut alpha, log_alpha) = shared_scales(h);
        if inverse {
            alpha.iter_mut().for_each(|a| *a = T::one() / *a);
        }
        let mut beta = [T::zero(); LANES];
        for (b, p) in beta.iter_mut().zip(h) {
            *b = p[1];
        }
        // Each product and sum rounded as in the scalar formulas; runs of `h.len()` rows.
        let (alpha, beta) = (&alpha[..h.len()], &beta[..h.len()]);
        let map = |rows: &mut [Lanes<T>]| {
            if inverse {
                T::shift_scale_lanes(rows, beta, alpha);
            } else {
                T::scale_shift_lanes(rows, alpha, beta);
            }
        };
        if h.len() == elements {
            map(rows);
        } else {
            for block in rows.chunks_mut(elements) {
                if let Some(rows) = block.get_mut(c * LANES..(c * LANES + h.len()).min(block.len()))
                {
                    map(rows);
                }
            }
        }
        for &log_alpha in log_alpha.iter().take(h.len()) {
            total += log_alpha;
        }
    }
    total
}

/// The forward affine map `α x + β`.
#[inline(always)]
fn apply<T: Real>(x: T, alpha: T, beta: T) -> T {
    alpha * x + beta
}

/// The inverse affine map `(y − β) / α`.
#[inline(always)]
fn unapply<T: Real>(y: T, alpha: T, beta: T) -> T {
    (y - beta) / alpha
}

/// [`scale`] with `dα/du` and `d log α / du`: `(α, log α, dα/du, d log α/du)`.
#[inline]
fn scale_derivatives<T: Real>(u: T) -> (T, T, T, T) {
    let (alpha, log_alpha) = scale(u);
    let d_alpha = d_alpha((u * T::lit(0.5)).exp());
    (alpha, log_alpha, d_alpha, d_alpha / alpha)
}

/// `y = α x + β` with `α = m + (1 − m) exp(u_α / 2) > 0` and `β = u_β`; parameters `[u_α, u_β]`.
///
/// Zero parameters give exactly the identity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Affine;

impl<T: Real> Transformer<T, 2> for Affine {
    #[inline]
    fn forward(&self, x: T, h: &SVector<T, 2>) -> (T, T) {
        let (alpha, log_alpha) = scale(h[0]);
        (apply(x, alpha, h[1]), log_alpha)
    }
    #[inline]
    fn event_map(&self, inverse: bool) -> Option<(EventMap, bool)> {
        Some((EventMap::ScaleShift, inverse))
    }
    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, 2>) -> (T, T) {
        let (alpha, log_alpha) = scale(h[0]);
        (unapply(y, alpha, h[1]), -log_alpha)
    }
    /// The elements as the lanes of rows when the kernels are vector code.
    #[inline]
    fn forward_elements(&self, x: &mut [T], h: &[SVector<T, 2>]) -> T {
        if T::VECTORIZED {
            map_event(x, h, false)
        } else {
            each_element(x, h, |x, h| self.forward(x, h))
        }
    }
    /// The elements as the lanes of rows when the kernels are vector code.
    #[inline]
    fn inverse_elements(&self, y: &mut [T], h: &[SVector<T, 2>]) -> T {
        if T::VECTORIZED {
            -map_event(y, h, true)
        } else {
            each_element(y, h, |y, h| self.inverse(y, h))
        }
    }
    #[inline]
    fn forward_lanes(&self, x: &mut [Lanes<T>], h: &[Block<T, 2>], log_det: &mut Lanes<T>) {
        let total = T::affine_lanes(x, h, false);
        log_det.iter_mut().zip(total).for_each(|(l, t)| *l += t);
    }
    #[inline]
    fn inverse_lanes(&self, y: &mut [Lanes<T>], h: &[Block<T, 2>], log_det: &mut Lanes<T>) {
        let total = T::affine_lanes(y, h, true);
        log_det.iter_mut().zip(total).for_each(|(l, t)| *l -= t);
    }
    #[inline]
    fn forward_lanes_shared(
        &self,
        x: &mut [Lanes<T>],
        h: &[SVector<T, 2>],
        log_det: &mut [Lanes<T>],
    ) {
        add_to_every_lane(log_det, map_blocks_shared(x, h, false));
    }
    #[inline]
    fn inverse_lanes_shared(
        &self,
        y: &mut [Lanes<T>],
        h: &[SVector<T, 2>],
        log_det: &mut [Lanes<T>],
    ) {
        add_to_every_lane(log_det, -map_blocks_shared(y, h, true));
    }
}

/// `y = x + β` with `β = u`; one parameter. Volume preserving (NICE).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shift;

impl<T: Real> Transformer<T, 1> for Shift {
    #[inline]
    fn forward(&self, x: T, h: &SVector<T, 1>) -> (T, T) {
        (x + h[0], T::zero())
    }
    #[inline]
    fn event_map(&self, inverse: bool) -> Option<(EventMap, bool)> {
        Some((EventMap::AddShift, inverse))
    }
    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, 1>) -> (T, T) {
        (y - h[0], T::zero())
    }
    #[inline]
    fn forward_lanes(&self, x: &mut [Lanes<T>], h: &[Block<T, 1>], _log_det: &mut Lanes<T>) {
        for (x, [shift]) in x.iter_mut().zip(h) {
            for (x, s) in x.iter_mut().zip(shift) {
                *x += *s;
            }
        }
    }
    #[inline]
    fn inverse_lanes(&self, y: &mut [Lanes<T>], h: &[Block<T, 1>], _log_det: &mut Lanes<T>) {
        for (y, [shift]) in y.iter_mut().zip(h) {
            for (y, s) in y.iter_mut().zip(shift) {
                *y -= *s;
            }
        }
    }
}

/// `y = α x` with `α = m + (1 − m) exp(u / 2) > 0`; one parameter. Zero gives the identity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scale;

impl<T: Real> Transformer<T, 1> for Scale {
    #[inline]
    fn forward(&self, x: T, h: &SVector<T, 1>) -> (T, T) {
        let (alpha, log_alpha) = scale(h[0]);
        (alpha * x, log_alpha)
    }
    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, 1>) -> (T, T) {
        let (alpha, log_alpha) = scale(h[0]);
        (y / alpha, -log_alpha)
    }
}

/// The fewest elements whose derivatives are worth a lane row's kernels.
const ROW_WORTH: usize = 4;

/// The affine forward map's derivatives at `x`, from the scale `(α, log α, dα/du)` and the shift.
#[inline(always)]
fn forward_derivatives<T: Real>(
    x: T,
    (alpha, log_alpha, d_alpha): (T, T, T),
    beta: T,
) -> Derivatives<T, 2> {
    Derivatives {
        value: apply(x, alpha, beta),
        log_det: log_alpha,
        d_value_d_input: alpha,
        d_log_det_d_input: T::zero(),
        d_value_d_params: SVector::<T, 2>::new(x * d_alpha, T::one()),
        d_log_det_d_params: SVector::<T, 2>::new(d_alpha / alpha, T::zero()),
    }
}

/// `dα/du` from `e^v`, `v = u / 2`.
#[inline(always)]
fn d_alpha<T: Real>(exp_v: T) -> T {
    (T::one() - T::lit(MIN_SCALE)) * exp_v * T::lit(0.5)
}

impl<T: Real> TransformerGradient<T, 2> for Affine {
    #[inline]
    fn forward_derivatives(&self, x: T, h: &SVector<T, 2>) -> Derivatives<T, 2> {
        let (alpha, log_alpha, d_alpha, _) = scale_derivatives(h[0]);
        forward_derivatives(x, (alpha, log_alpha, d_alpha), h[1])
    }
    /// The elements as the lanes of rows when the kernels are vector code and there are at
    /// least [`ROW_WORTH`] of them (a row's transcendental kernels cost a few scalar calls).
    #[inline]
    fn forward_derivatives_all<const D: usize>(
        &self,
        x: &SVector<T, D>,
        h: &SMatrix<T, 2, D>,
    ) -> [Derivatives<T, 2>; D] {
        if !T::VECTORIZED || D < ROW_WORTH {
            return core::array::from_fn(|j| {
                self.forward_derivatives(x[j], &h.column(j).into_owned())
            });
        }
        let mut out = [Derivatives::identity(T::zero()); D];
        for (first, out) in (0..D).step_by(LANES).zip(out.chunks_mut(LANES)) {
            let mut alpha: Lanes<T> =
                core::array::from_fn(|l| h.get((0, first + l)).copied().unwrap_or_else(T::zero));
            let mut exp_v = alpha.map(|u| u * T::lit(0.5));
            let mut log_alpha = [T::zero(); LANES];
            scale_rows(
                core::slice::from_mut(&mut alpha),
                core::slice::from_mut(&mut log_alpha),
            );
            T::exp_lanes(core::slice::from_mut(&mut exp_v));
            for (l, out) in out.iter_mut().enumerate() {
                let j = first + l;
                let scale = (alpha[l], log_alpha[l], d_alpha(exp_v[l]));
                *out = forward_derivatives(x[j], scale, h[(1, j)]);
            }
        }
        out
    }
    #[inline]
    fn inverse_derivatives(&self, y: T, h: &SVector<T, 2>) -> Derivatives<T, 2> {
        let (alpha, log_alpha, _, d_log_alpha) = scale_derivatives(h[0]);
        let x = (y - h[1]) / alpha;
        Derivatives {
            value: x,
            log_det: -log_alpha,
            d_value_d_input: T::one() / alpha,
            d_log_det_d_input: T::zero(),
            d_value_d_params: SVector::<T, 2>::new(-x * d_log_alpha, -T::one() / alpha),
            d_log_det_d_params: SVector::<T, 2>::new(-d_log_alpha, T::zero()),
        }
    }
}

impl<T: Real> TransformerGradient<T, 1> for Shift {
    #[inline]
    fn forward_derivatives(&self, x: T, h: &SVector<T, 1>) -> Derivatives<T, 1> {
        Derivatives {
            value: x + h[0],
            log_det: T::zero(),
            d_value_d_input: T::one(),
            d_log_det_d_input: T::zero(),
            d_value_d_params: SVector::<T, 1>::new(T::one()),
            d_log_det_d_params: SVector::zeros(),
        }
    }
    #[inline]
    fn inverse_derivatives(&self, y: T, h: &SVector<T, 1>) -> Derivatives<T, 1> {
        Derivatives {
            value: y - h[0],
            log_det: T::zero(),
            d_value_d_input: T::one(),
            d_log_det_d_input: T::zero(),
            d_value_d_params: SVector::<T, 1>::new(-T::one()),
            d_log_det_d_params: SVector::zeros(),
        }
    }
}

impl<T: Real> TransformerGradient<T, 1> for Scale {
    #[inline]
    fn forward_derivatives(&self, x: T, h: &SVector<T, 1>) -> Derivatives<T, 1> {
        let (alpha, log_alpha, d_alpha, d_log_alpha) = scale_derivatives(h[0]);
        Derivatives {
            value: alpha * x,
            log_det: log_alpha,
            d_value_d_input: alpha,
            d_log_det_d_input: T::zero(),
            d_value_d_params: SVector::<T, 1>::new(x * d_alpha),
            d_log_det_d_params: SVector::<T, 1>::new(d_log_alpha),
        }
    }
    #[inline]
    fn inverse_derivatives(&self, y: T, h: &SVector<T, 1>) -> Derivatives<T, 1> {
        let (alpha, log_alpha, _, d_log_alpha) = scale_derivatives(h[0]);
        let x = y / alpha;
        Derivatives {
            value: x,
            log_det: -log_alpha,
            d_value_d_input: T::one() / alpha,
            d_log_det_d_input: T::zero(),
            d_value_d_params: SVector::<T, 1>::new(-x * d_log_alpha),
            d_log_det_d_params: SVector::<T, 1>::new(-d_log_alpha),
        }
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::SVector;

    use super::{Affine, LANES, MIN_SCALE, scale, scale_rows};
    use crate::Real;
    use crate::transformer::{Inverted, Transformer};

    /// `(α, log α)` in `f64` by a formula independent of [`scale`]'s:
    /// `α = m + (1 − m) e^v`, `log α = v + ln_1p(m expm1(−v))`, accurate for finite `v`.
    fn reference(u: f64) -> (f64, f64) {
        let v = 0.5 * u;
        (
            MIN_SCALE + (1.0 - MIN_SCALE) * v.exp(),
            v + (MIN_SCALE * (-v).exp_m1()).ln_1p(),
        )
    }

    /// `u` from −600 to 600 by 0.01, densest around the switch of forms at `u = −20`.
    fn grid() -> impl Iterator<Item = f64> {
        (-60_000..=60_000)
            .map(|k| f64::from(k) * 0.01)
            .chain((-1000..=1000).map(|k| -20.0 + f64::from(k) * 1e-6))
    }

    /// `(α, log α)` of every `u` by [`scale_rows`].
    fn by_rows<T: Real>(u: &[T]) -> Vec<(T, T)> {
        let mut out = Vec::new();
        for chunk in u.chunks(LANES) {
            let mut alpha = [T::zero(); LANES];
            alpha[..chunk.len()].copy_from_slice(chunk);
            let mut log_alpha = [T::zero(); LANES];
            scale_rows(
                core::slice::from_mut(&mut alpha),
                core::slice::from_mut(&mut log_alpha),
            );
            out.extend(alpha.into_iter().zip(log_alpha).take(chunk.len()));
        }
        out
    }

    /// The derivatives of every element at once (by rows of lanes for `f32`) against those of
    /// each element alone, at 37 elements (two whole rows and a part) over both forms of the
    /// scale.
    #[test]
    fn derivatives_of_all_elements_match_each_element() {
        use crate::gradient::TransformerGradient;
        let h = nalgebra::SMatrix::<f32, 2, 37>::from_fn(|p, j| {
            let t = j as f32 - 18.0;
            if p == 0 { t * 1.7 } else { 0.3 - 0.1 * t }
        });
        let x = SVector::<f32, 37>::from_fn(|j, _| (j as f32 * 0.37).sin() * 2.0);
        let all = Affine.forward_derivatives_all(&x, &h);
        for (j, got) in all.iter().enumerate() {
            let want = Affine.forward_derivatives(x[j], &h.column(j).into_owned());
            let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * b.abs().max(1e-30);
            assert!(close(got.value, want.value), "value {j}");
            assert!(close(got.log_det, want.log_det), "log_det {j}");
            assert!(
                close(got.d_value_d_input, want.d_value_d_input),
                "d_value_d_input {j}"
            );
            assert_eq!(got.d_log_det_d_input, want.d_log_det_d_input, "{j}");
            for p in 0..2 {
                let (g, w) = (got.d_value_d_params[p], want.d_value_d_params[p]);
                assert!(close(g, w), "d_value_d_params {j} {p}: {g} vs {w}");
                let (g, w) = (got.d_log_det_d_params[p], want.d_log_det_d_params[p]);
                assert!(close(g, w), "d_log_det_d_params {j} {p}: {g} vs {w}");
            }
        }
    }

    /// The identity at zero parameters, exactly, one value at a time and by rows.
    #[test]
    fn zero_gives_exactly_the_identity() {
        assert_eq!(scale(0.0_f64), (1.0, 0.0));
        assert_eq!(scale(0.0_f32), (1.0, 0.0));
        assert!(by_rows(&[0.0_f64; 3]).iter().all(|&s| s == (1.0, 0.0)));
        assert!(by_rows(&[0.0_f32; 3]).iter().all(|&s| s == (1.0, 0.0)));
    }

    /// `log α` within 4 ulps of the reference everywhere; `α` within 4 ulps (of at least 1 on
    /// the near form, what `1 + (1 − m) expm1(v)` gives); and `log α`
    /// within 8 ulps of the former formula `ln_1p((1 − m) expm1(v))` where that one is accurate.
    #[test]
    fn scale_matches_the_reference() {
        let eps = f64::EPSILON;
        for u in grid() {
            let (alpha, log_alpha) = scale(u);
            let (ref_alpha, ref_log) = reference(u);
            assert!(
                (log_alpha - ref_log).abs() <= 4.0 * eps * ref_log.abs(),
                "u = {u}: log α {log_alpha:e}, reference {ref_log:e}"
            );
            let floor = if u >= -20.0 {
                ref_alpha.max(1.0)
            } else {
                ref_alpha
            };
            assert!(
                (alpha - ref_alpha).abs() <= 4.0 * eps * floor,
                "u = {u}: α {alpha:e}, reference {ref_alpha:e}"
            );
            if u >= -2.0 {
                let former = ((1.0 - MIN_SCALE) * (0.5 * u).exp_m1()).ln_1p();
                assert!(
                    (log_alpha - former).abs() <= 8.0 * eps * former.abs(),
                    "u = {u}: log α {log_alpha:e}, former {former:e}"
                );
            }
        }
    }

    /// Infinite and NaN parameters.
    #[test]
    fn scale_at_the_limits() {
        assert_eq!(scale(f64::INFINITY), (f64::INFINITY, f64::INFINITY));
        let (alpha, log_alpha) = scale(f64::NEG_INFINITY);
        assert_eq!((alpha, log_alpha), (MIN_SCALE, MIN_SCALE.ln()));
        let (alpha, log_alpha) = scale(f64::NAN);
        assert!(alpha.is_nan() && log_alpha.is_nan());
        let rows = by_rows(&[f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1.0]);
        assert_eq!(rows[0], (f64::INFINITY, f64::INFINITY));
        assert_eq!(rows[1], (MIN_SCALE, MIN_SCALE.ln()));
        assert!(rows[2].0.is_nan() && rows[2].1.is_nan());
        assert_eq!(rows[3], scale(1.0));
    }

    /// The lane kernels give what [`scale`] gives: to 2 ulps in `f64` (libm against the
    /// standard library), and in `f32` (the vector kernels) to 8 ulps of the reference (`α`: of
    /// at least 1 on the near form).
    #[test]
    fn rows_match_one_at_a_time() {
        let u: Vec<f64> = grid().collect();
        for (&u, (alpha, log_alpha)) in u.iter().zip(by_rows(&u)) {
            let (a, la) = scale(u);
            assert!(
                (alpha - a).abs() <= 2.0 * f64::EPSILON * a.max(1.0),
                "u = {u}"
            );
            assert!(
                (log_alpha - la).abs() <= 2.0 * f64::EPSILON * la.abs(),
                "u = {u}"
            );
        }
        // In `f32` up to where `α` nears the largest finite value.
        let u32: Vec<f32> = u
            .iter()
            .filter(|&&u| u <= 170.0)
            .map(|&u| u as f32)
            .collect();
        let eps = f64::from(f32::EPSILON);
        for (&u, (alpha, log_alpha)) in u32.iter().zip(by_rows(&u32)) {
            let (ref_alpha, ref_log) = reference(f64::from(u));
            let floor = if u >= -20.0 {
                ref_alpha.max(1.0)
            } else {
                ref_alpha
            };
            assert!(
                (f64::from(alpha) - ref_alpha).abs() <= 8.0 * eps * floor,
                "u = {u}: α {alpha:e}, reference {ref_alpha:e}"
            );
            assert!(
                (f64::from(log_alpha) - ref_log).abs() <= 8.0 * eps * ref_log.abs(),
                "u = {u}: log α {log_alpha:e}, reference {ref_log:e}"
            );
        }
    }

    /// The elements of one event as the lanes of rows (the `f32` path, by the affine kernels)
    /// give what the transformer gives one value at a time, in both directions and inverted: 5
    /// and 8 elements (the short kernel), 37 (three rows, the last one short).
    #[test]
    fn elements_match_one_at_a_time() {
        fn check<Tr: Transformer<f32, 2>>(tr: Tr, n: usize) {
            let h: Vec<SVector<f32, 2>> = (0..n)
                .map(|j| SVector::<f32, 2>::new(j as f32 * 1.7 - 40.0, j as f32 * 0.3 - 5.0))
                .collect();
            let x: Vec<f32> = (0..n).map(|j| j as f32 * 0.25 - 4.0).collect();
            let tol = |a: f32| 16.0 * f32::EPSILON * a.abs().max(1.0);
            for direction in [true, false] {
                let mut y = x.clone();
                let total = if direction {
                    tr.forward_elements(&mut y, &h)
                } else {
                    tr.inverse_elements(&mut y, &h)
                };
                let mut sum = 0.0;
                for ((&x, &y), h) in x.iter().zip(&y).zip(&h) {
                    let (one, ld) = if direction {
                        tr.forward(x, h)
                    } else {
                        tr.inverse(x, h)
                    };
                    // The kernel's inverse divides by no `α = 1 + (1 − m) expm1(u / 2)`, which
                    // cancels for negative `u`: the formula's error in `e = expm1(u / 2)`, moved
                    // into the value (see the kernel tests' `affine_follows`).
                    let (v, x64) = (f64::from(h[0]) * 0.5, f64::from(x));
                    let alpha = scale(h[0] as f64).0;
                    let by_e = libm::expm1(v).abs() * x64.abs()
                        + libm::expm1(-v).abs() * (x64 - f64::from(h[1])).abs() / alpha;
                    let slack = 4.0 * f64::from(f32::EPSILON) * by_e;
                    assert!(
                        f64::from((y - one).abs()) <= f64::from(tol(one)) + slack,
                        "{n} elements, forward {direction}, x = {x}, h = {h:?}: {y} vs {one}"
                    );
                    sum += ld;
                }
                assert!(
                    (total - sum).abs() <= tol(sum) * n as f32,
                    "{total} vs {sum}"
                );
            }
        }
        for n in [5, 8, 37] {
            check(Affine, n);
            check(Inverted(Affine), n);
        }
    }
}
