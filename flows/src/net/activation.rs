//! Activation functions of the conditioner networks.

use crate::Real;

/// An elementwise nonlinearity.
pub trait Activation: Copy + Default + core::fmt::Debug {
    /// The activation of `x`.
    fn apply<T: Real>(x: T) -> T;
}

/// The hyperbolic tangent (the default, as in torchflows' `FeedForward` and `MADE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl Activation for Tanh {
    #[inline]
    fn apply<T: Real>(x: T) -> T {
        x.tanh()
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
}
