//! A transformer with its two directions swapped.

use nalgebra::SVector;

use super::{Affine, Transformer};
use crate::Real;
use crate::batch::Block;
use crate::gradient::{Derivatives, TransformerGradient};
use crate::kernel::{EventMap, Lanes};

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
    #[inline]
    fn event_map(&self, inverse: bool) -> Option<(EventMap, bool)> {
        self.0.event_map(!inverse)
    }
    #[inline]
    fn forward_elements(&self, x: &mut [T], h: &[SVector<T, P>]) -> T {
        self.0.inverse_elements(x, h)
    }
    #[inline]
    fn inverse_elements(&self, y: &mut [T], h: &[SVector<T, P>]) -> T {
        self.0.forward_elements(y, h)
    }
    #[inline]
    fn forward_lanes(&self, x: &mut [Lanes<T>], h: &[Block<T, P>], log_det: &mut Lanes<T>) {
        self.0.inverse_lanes(x, h, log_det);
    }
    #[inline]
    fn inverse_lanes(&self, y: &mut [Lanes<T>], h: &[Block<T, P>], log_det: &mut Lanes<T>) {
        self.0.forward_lanes(y, h, log_det);
    }
    #[inline]
    fn forward_lanes_shared(
        &self,
        x: &mut [Lanes<T>],
        h: &[SVector<T, P>],
        log_det: &mut [Lanes<T>],
    ) {
        self.0.inverse_lanes_shared(x, h, log_det);
    }
    #[inline]
    fn inverse_lanes_shared(
        &self,
        y: &mut [Lanes<T>],
        h: &[SVector<T, P>],
        log_det: &mut [Lanes<T>],
    ) {
        self.0.forward_lanes_shared(y, h, log_det);
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
