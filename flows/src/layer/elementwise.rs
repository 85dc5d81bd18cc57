//! Elementwise layers: a transformer on every element, with parameters that are learned constants
//! or, with a context, a linear function of the context.

use super::Coupling;
use crate::net::Linear;
use crate::transformer::{Affine, Scale, Shift};

/// A transformer `Tr` on each of the `D` elements, its `P` parameters per element a linear function
/// of the `C`-dimensional context (learned constants when `C = 0`). This is a [`Coupling`] with an
/// empty source part and the [`Linear`] conditioner, so it shares that layer's code.
///
/// Starts at zero parameters: the identity for the affine family. (torchflows draws its
/// `ElementwiseAffine` parameters from N(0, 1), which starts every preset at a random affine map.)
pub type Elementwise<T, Tr, const D: usize, const C: usize, const P: usize> =
    Coupling<Tr, Linear<T, 0, C, P, D>, D, 0, D, P>;

/// An [`Affine`] map of every element (torchflows' `ElementwiseAffine`).
pub type ElementwiseAffine<T, const D: usize, const C: usize> = Elementwise<T, Affine, D, C, 2>;

/// A [`Shift`] of every element.
pub type ElementwiseShift<T, const D: usize, const C: usize> = Elementwise<T, Shift, D, C, 1>;

/// A [`Scale`] of every element.
pub type ElementwiseScale<T, const D: usize, const C: usize> = Elementwise<T, Scale, D, C, 1>;
