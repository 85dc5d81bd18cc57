//! Activation functions of the conditioner networks.

use crate::Real;

/// An elementwise nonlinearity.
pub trait Activation: Copy + Default + core::fmt::Debug {
    /// The activation of `x`.
    fn apply<T: Real>(x: T) -> T;
    /// The derivative at `x`, given also `y = apply(x)`.
    fn derivative<T: Real>(x: T, y: T) -> T;
}

/// The hyperbolic tangent (the default, as in torchflows' `FeedForward` and `MADE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    #[inline]
    fn apply<T: Real>(x: T) -> T {
        x.tanh()
    }
    #[inline]
    fn derivative<T: Real>(_x: T, y: T) -> T {
        T::one() - y * y
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
