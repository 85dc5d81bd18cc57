//! Coupling layers of images: a [`Coupling`] whose partition is an image mask.

use core::marker::PhantomData;

use nalgebra::SVector;
use rand::Rng;

use super::mask::MaskType;
use crate::batch::{Block, LANES};
use crate::gradient::{BijectionGradient, Upstream};
use crate::layer::Coupling;
use crate::{Bijection, Parameters, Path, Random, Real};

/// A [`Coupling`] of a `(C, H, W)` image of `D = C·H·W` elements whose source and target parts
/// are those of the mask `M` ([`Checkerboard`](super::Checkerboard) or
/// [`ChannelSplit`](super::ChannelSplit), each with its alternate): `A` source and `B` target
/// elements, `P` parameters per target element, conditioner `Net` (usually a
/// [`ConvNet`](crate::net::ConvNet) with the same mask).
///
/// The coupling does the work; this type carries the mask statically so that a random
/// initialization (and an array of identical blocks) gets the right partition. Its parameters
/// are the coupling's, under the same names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImageCoupling<
    M,
    Tr,
    Net,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const P: usize,
> {
    /// The coupling, with the mask's partition.
    pub coupling: Coupling<Tr, Net, D, A, B, P>,
    mask: PhantomData<M>,
}

impl<
    M: MaskType,
    Tr: Default,
    Net,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const P: usize,
> ImageCoupling<M, Tr, Net, C, H, W, D, A, B, P>
{
    /// The coupling of the mask `M` with the given conditioner.
    pub fn new(conditioner: Net) -> Self {
        Self {
            coupling: Coupling {
                transformer: Tr::default(),
                partition: const { M::MASK.partition::<C, H, W, D, A, B>() },
                conditioner,
            },
            mask: PhantomData,
        }
    }
}

impl<
    T,
    M,
    Tr,
    Net,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const P: usize,
    const X: usize,
> Bijection<T, D, X> for ImageCoupling<M, Tr, Net, C, H, W, D, A, B, P>
where
    T: Real,
    Coupling<Tr, Net, D, A, B, P>: Bijection<T, D, X>,
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, X>) -> (SVector<T, D>, T) {
        self.coupling.forward(x, context)
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, X>) -> (SVector<T, D>, T) {
        self.coupling.inverse(z, context)
    }

    /// The coupling's lane-block path (batches would otherwise map one event at a time).
    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, X>, log_det: &mut [T; LANES]) {
        self.coupling.forward_lanes(x, contexts, log_det);
    }

    /// The coupling's lane-block path.
    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, X>, log_det: &mut [T; LANES]) {
        self.coupling.inverse_lanes(z, contexts, log_det);
    }
}

impl<
    T,
    M,
    Tr,
    Net,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const P: usize,
    const X: usize,
> BijectionGradient<T, D, X> for ImageCoupling<M, Tr, Net, C, H, W, D, A, B, P>
where
    T: Real,
    Coupling<Tr, Net, D, A, B, P>: BijectionGradient<T, D, X>,
{
    crate::backward_from_with_gradient!(T, D, X);

    #[inline]
    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, X>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        self.coupling
            .forward_with_gradient(x, context, upstream, &mut grad.coupling, d_context)
    }

    #[inline]
    fn inverse_with_gradient(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, X>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        self.coupling
            .inverse_with_gradient(z, context, upstream, &mut grad.coupling, d_context)
    }
}

impl<
    T: Real,
    M,
    Tr,
    Net: Parameters<T>,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const P: usize,
> Parameters<T> for ImageCoupling<M, Tr, Net, C, H, W, D, A, B, P>
{
    const COUNT: usize = Net::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.coupling.visit(path, f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.coupling.visit_mut(path, f);
    }
}

impl<
    M: MaskType,
    Tr: Default,
    Net: Random,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const P: usize,
> Random for ImageCoupling<M, Tr, Net, C, H, W, D, A, B, P>
{
    /// The mask's partition and a conditioner drawn from `rng`.
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::new(Net::random(rng))
    }
}
