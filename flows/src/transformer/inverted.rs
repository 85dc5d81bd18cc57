//! A transformer with its two directions swapped.

use nalgebra::SVector;

use super::{Affine, Transformer};
use crate::Real;
use crate::gradient::{Derivatives, TransformerGradient};

/// `Tr` with forward and inverse swapped: its forward is `Tr`'s inverse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inverted<Tr>(pub Tr);

impl<T: Real, const P: usize, Tr: Transformer<T, P>> Transformer<T, P> for Inverted<Tr> {
    #[inline]
    fn forward(&self, x: T, h: &SVector<T, P>) -> (T, T) {
        self.0.inverse(x, h)
    }
    #[inline]
    fn inverse(&self, y: T, h: &SVector<T, P>) -> (T, T) {
        self.0.forward(y, h)
    }
}

impl<T: Real, const P: usize, Tr: TransformerGradient<T, P>> TransformerGradient<T, P>
    for Inverted<Tr>
{
    #[inline]
    fn forward_derivatives(&self, x: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        self.0.inverse_derivatives(x, h)
    }
    #[inline]
    fn inverse_derivatives(&self, y: T, h: &SVector<T, P>) -> Derivatives<T, P> {
        self.0.forward_derivatives(y, h)
    }
}

/// `y = (x − β) / α`: the affine map in the other direction (torchflows' `InverseAffine`, used by
/// IAF and ActNorm).
pub type InverseAffine = Inverted<Affine>;
