//! Activation functions of the conditioner networks.

use nalgebra::SVector;

use crate::Real;
use crate::kernel::{LANES, Lanes, SHORT};

/// An elementwise nonlinearity.
pub trait Activation: Copy + Default + core::fmt::Debug {
    /// Whether this is [`Tanh`], the activation of the fused per-event kernel
    /// ([`Kernels::mlp_map_event`](crate::kernel::Kernels::mlp_map_event)).
    const TANH: bool = false;

    /// The activation of `x`.
    fn apply<T: Real>(x: T) -> T;
    /// The derivative at `x`, given also `y = apply(x)`.
    fn derivative<T: Real>(x: T, y: T) -> T;

    /// The activation of every lane of `rows`, in place (one value at a time unless
    /// overridden with a lane-block kernel).
    #[inline]
    fn apply_lanes<T: Real>(rows: &mut [Lanes<T>]) {
        for v in rows.iter_mut().flatten() {
            *v = Self::apply(*v);
        }
    }

    /// The activation of every element of `v` (one value at a time unless overridden).
    #[inline]
    fn apply_vector<T: Real, const N: usize>(v: SVector<T, N>) -> SVector<T, N> {
        v.map(Self::apply)
    }
}

/// The hyperbolic tangent (the default, as in torchflows' `FeedForward` and `MADE`).
///
/// Computed as `1 - 2 / (exp(2x) + 1)`: one `exp`, in place of the C library's `tanh` (glibc's
/// goes through `expm1`, which a profile of training showed as its largest cost). The absolute
/// error is a few ulps of 1 (the relative error near 0 is larger, which a network's hidden unit
/// does not see); the limits at ±∞ are exact and NaN stays NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    const TANH: bool = true;
    #[inline]
    fn apply<T: Real>(x: T) -> T {
        let two = T::lit(2.0);
        T::one() - two / ((two * x).exp() + T::one())
    }
    #[inline]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        T::one() - y * y
    }
    #[inline]
    fn apply_lanes<T: Real>(rows: &mut [Lanes<T>]) {
        T::tanh_lanes(rows);
    }
    /// By the lane kernel on padded rows when the kernels are vector code (the short kernel
    /// for at most [`SHORT`] values).
    #[inline]
    fn apply_vector<T: Real, const N: usize>(mut v: SVector<T, N>) -> SVector<T, N> {
        if T::VECTORIZED {
            if N <= SHORT {
                let mut row = [T::zero(); LANES];
                row.iter_mut().zip(v.iter()).for_each(|(r, v)| *r = *v);
                T::tanh_short(core::slice::from_mut(&mut row));
                v.iter_mut().zip(row).for_each(|(v, r)| *v = r);
            } else {
                T::by_rows(v.as_mut_slice(), T::tanh_lanes);
            }
            v
        } else {
            v.map(Self::apply)
        }
    }
}

/// The rectified linear unit, `max(x, 0)` (NaN stays NaN).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl Activation for Relu {
    #[inline]
    fn apply<T: Real>(x: T) -> T {
        if x < T::zero() { T::zero() } else { x }
    }
    #[inline]
    fn derivative<T: Real>(x: T, _y: T) -> T {
        if x > T::zero() { T::one() } else { T::zero() }
    }
}

#[cfg(test)]
mod tests {
    use super::{Activation, Tanh};

    /// The `exp` form of tanh against the C library's, in absolute error, over `[-30, 30]` and at
    /// the limits.
    #[test]
    fn tanh_matches_the_library() {
        let worst64 = (-300_000..=300_000)
            .map(|k| f64::from(k) * 1e-4)
            .map(|x| (Tanh::apply(x) - x.tanh()).abs())
            .fold(0.0, f64::max);
        assert!(worst64 <= 4.0 * f64::EPSILON, "f64 error {worst64:e}");
        let worst32 = (-300_000..=300_000)
            .map(|k| k as f32 * 1e-4)
            .map(|x| (Tanh::apply(x) - x.tanh()).abs())
            .fold(0.0, f32::max);
        assert!(worst32 <= 4.0 * f32::EPSILON, "f32 error {worst32:e}");
        assert_eq!(Tanh::apply(f64::INFINITY), 1.0);
        assert_eq!(Tanh::apply(f64::NEG_INFINITY), -1.0);
        assert_eq!(Tanh::apply(1e300_f64), 1.0);
        assert_eq!(Tanh::apply(-1e300_f64), -1.0);
        assert_eq!(Tanh::apply(0.0_f64), 0.0);
        assert!(Tanh::apply(f64::NAN).is_nan());
    }
}
