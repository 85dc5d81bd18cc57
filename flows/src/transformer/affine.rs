//! The affine family: `Affine` (scale and shift), `Shift` and `Scale`.

use nalgebra::SVector;

use super::Transformer;
use crate::Real;
use crate::batch::{Block, LANES};
use crate::gradient::{Derivatives, TransformerGradient};
use crate::kernel::Lanes;

/// The smallest scale the affine family reaches (torchflows' `min_scale` default).
pub const MIN_SCALE: f64 = 1e-10;

/// The positive scale `α(u) = m + (1 − m) exp(u / 2)` with `m` = [`MIN_SCALE`] (torchflows'
/// parameterization), computed as `1 + (1 − m) expm1(u / 2)` so that `u = 0` gives exactly 1.
/// Returns `(α, log α)`.
#[inline]
pub(crate) fn scale<T: Real>(u: T) -> (T, T) {
    let m = T::lit(MIN_SCALE);
    let offset = (T::one() - m) * (u * T::lit(0.5)).exp_m1();
    (T::one() + offset, offset.ln_1p())
}

/// [`scale`] over lane blocks of `u` (the first row of each of `h`), in groups of 8 elements:
/// calls `apply(j, α, log α)` for each element `j` with the rows of its `α` and `log α`.
#[inline]
fn scale_lanes<T: Real, const P: usize>(
    h: &[Block<T, P>],
    mut apply: impl FnMut(usize, &Lanes<T>, &Lanes<T>),
) {
    const GROUP: usize = 8;
    let factor = T::one() - T::lit(MIN_SCALE);
    for (g, params) in h.chunks(GROUP).enumerate() {
        let n = params.len();
        let mut offset = [[T::zero(); LANES]; GROUP];
        for (o, p) in offset.iter_mut().zip(params) {
            for (o, u) in o.iter_mut().zip(p[0]) {
                *o = u * T::lit(0.5);
            }
        }
        T::expm1_lanes(&mut offset[..n]);
        for v in offset.iter_mut().flatten() {
            *v *= factor;
        }
        let mut log_alpha = offset;
        T::ln_1p_lanes(&mut log_alpha[..n]);
        for (k, (o, la)) in offset.iter_mut().zip(&log_alpha).take(n).enumerate() {
            for v in o.iter_mut() {
                *v += T::one();
            }
            apply(g * GROUP + k, o, la);
        }
    }
}

/// [`scale`] of the first parameter of each of `h` (the same for every event), by the lane
/// kernels over rows of up to [`LANES`] elements: calls `apply(j, α, log α)` for each element.
#[inline]
fn scale_shared<T: Real, const P: usize>(h: &[SVector<T, P>], mut apply: impl FnMut(usize, T, T)) {
    let factor = T::one() - T::lit(MIN_SCALE);
    for (g, params) in h.chunks(LANES).enumerate() {
        let mut offset = [T::zero(); LANES];
        for (o, p) in offset.iter_mut().zip(params) {
            *o = p[0] * T::lit(0.5);
        }
        T::expm1_lanes(core::slice::from_mut(&mut offset));
        for v in offset.iter_mut() {
            *v *= factor;
        }
        let mut log_alpha = offset;
        T::ln_1p_lanes(core::slice::from_mut(&mut log_alpha));
        for (k, (o, la)) in offset.iter().zip(log_alpha).take(params.len()).enumerate() {
            apply(g * LANES + k, T::one() + *o, la);
        }
    }
}

/// [`scale`] with `dα/du` and `d log α / du`: `(α, log α, dα/du, d log α/du)`.
#[inline]
fn scale_derivatives<T: Real>(u: T) -> (T, T, T, T) {
    let (alpha, log_alpha) = scale(u);
    let d_alpha = (T::one() - T::lit(MIN_SCALE)) * (u * T::lit(0.5)).exp() * T::lit(0.5);
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
        (alpha * x + h[1], log_alpha)
    }
    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, 2>) -> (T, T) {
        let (alpha, log_alpha) = scale(h[0]);
        ((y - h[1]) / alpha, -log_alpha)
    }
    #[inline]
    fn forward_lanes(&self, x: &mut [Lanes<T>], h: &[Block<T, 2>], log_det: &mut Lanes<T>) {
        scale_lanes(h, |j, alpha, log_alpha| {
            if let (Some(x), Some(h)) = (x.get_mut(j), h.get(j)) {
                for l in 0..LANES {
                    x[l] = alpha[l] * x[l] + h[1][l];
                    log_det[l] += log_alpha[l];
                }
            }
        });
    }
    #[inline]
    fn forward_lanes_shared(
        &self,
        x: &mut [Lanes<T>],
        h: &[SVector<T, 2>],
        log_det: &mut Lanes<T>,
    ) {
        let mut total = T::zero();
        scale_shared(h, |j, alpha, log_alpha| {
            if let (Some(x), Some(h)) = (x.get_mut(j), h.get(j)) {
                let beta = h[1];
                for v in x.iter_mut() {
                    *v = alpha * *v + beta;
                }
                total += log_alpha;
            }
        });
        log_det.iter_mut().for_each(|l| *l += total);
    }
    #[inline]
    fn inverse_lanes_shared(
        &self,
        y: &mut [Lanes<T>],
        h: &[SVector<T, 2>],
        log_det: &mut Lanes<T>,
    ) {
        let mut total = T::zero();
        scale_shared(h, |j, alpha, log_alpha| {
            if let (Some(y), Some(h)) = (y.get_mut(j), h.get(j)) {
                let beta = h[1];
                for v in y.iter_mut() {
                    *v = (*v - beta) / alpha;
                }
                total += log_alpha;
            }
        });
        log_det.iter_mut().for_each(|l| *l -= total);
    }
    #[inline]
    fn inverse_lanes(&self, y: &mut [Lanes<T>], h: &[Block<T, 2>], log_det: &mut Lanes<T>) {
        scale_lanes(h, |j, alpha, log_alpha| {
            if let (Some(y), Some(h)) = (y.get_mut(j), h.get(j)) {
                for l in 0..LANES {
                    y[l] = (y[l] - h[1][l]) / alpha[l];
                    log_det[l] -= log_alpha[l];
                }
            }
        });
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

impl<T: Real> TransformerGradient<T, 2> for Affine {
    #[inline]
    fn forward_derivatives(&self, x: T, h: &SVector<T, 2>) -> Derivatives<T, 2> {
        let (alpha, log_alpha, d_alpha, d_log_alpha) = scale_derivatives(h[0]);
        Derivatives {
            value: alpha * x + h[1],
            log_det: log_alpha,
            d_value_d_input: alpha,
            d_log_det_d_input: T::zero(),
            d_value_d_params: SVector::<T, 2>::new(x * d_alpha, T::one()),
            d_log_det_d_params: SVector::<T, 2>::new(d_log_alpha, T::zero()),
        }
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
