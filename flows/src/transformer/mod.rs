//! Transformers: elementwise invertible maps whose parameters come from a conditioner.
//!
//! A transformer maps one scalar `x` to `y` given `P` raw parameters `h` (the conditioner's
//! outputs for that element) and reports `log dy/dx`. The const parameter `P` of
//! [`Transformer`] is the number of parameters per element each transformer states:
//!
//! | transformer | `P` | zero parameters |
//! |---|---|---|
//! | [`Affine`] | 2 | identity |
//! | [`Shift`] | 1 | identity |
//! | [`Scale`] | 1 | identity |
//! | [`RationalQuadratic<K>`] | `3K − 1` | identity |
//! | [`LinearRational<K>`] | `4K` | identity |
//! | [`DeepSigmoid<H, L>`] | `3HL` | near-identity (torchflows': near-identity) |
//! | [`Inverted<Tr>`] | as `Tr` | as `Tr` |

mod affine;
mod deep_sigmoid;
mod inverted;
mod knots;
mod linear_rational;
mod rational_quadratic;

pub use affine::{Affine, MIN_SCALE, Scale, Shift};
pub use deep_sigmoid::{DeepSigmoid, Sigmoid};
pub use inverted::{InverseAffine, Inverted};
pub use knots::Parameterization;
pub use linear_rational::LinearRational;
pub use rational_quadratic::{DEFAULT_BOUND, RationalQuadratic};

use nalgebra::SVector;

use crate::Real;

/// An elementwise invertible map with `P` raw parameters per element.
///
/// Both directions are strictly increasing maps of the real line; `forward` returns
/// `(y, log dy/dx)` and `inverse` returns `(x, log dx/dy)`, the log-derivative of the map it applies.
/// A NaN input gives a NaN output, never a panic.
pub trait Transformer<T: Real, const P: usize>: Copy + Default {
    /// Maps `x` forward under parameters `h`: `(y, log dy/dx)`.
    fn forward(&self, x: T, h: &SVector<T, P>) -> (T, T);
    /// Maps `y` back under parameters `h`: `(x, log dx/dy)`.
    fn inverse(&self, y: T, h: &SVector<T, P>) -> (T, T);
}
