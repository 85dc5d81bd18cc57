//! The affine family: `Affine` (scale and shift), `Shift` and `Scale`.

use nalgebra::SVector;

use super::Transformer;
use crate::Real;
use crate::gradient::{Derivatives, TransformerGradient};

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
