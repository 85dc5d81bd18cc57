//! Composition and inversion of bijections.
//!
//! A tuple `(L0, L1, ..., Ln)` (up to 12 layers) and an array `[L; N]` of bijections are bijections:
//! `forward` applies the layers in order and sums their log-dets, `inverse` applies them in reverse
//! order. Their parameters are named by position (`0.conditioner...`, `1...`). [`Inverse`] swaps
//! a bijection's two directions.

use nalgebra::SVector;
use rand::Rng;

use crate::batch::{Block, LANES};
use crate::gradient::{BijectionGradient, Upstream};
use crate::{Bijection, Parameters, Path, Random, Real};

impl<T: Real, const D: usize, const C: usize, L: Bijection<T, D, C>, const N: usize>
    Bijection<T, D, C> for [L; N]
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let mut z = *x;
        let mut log_det = T::zero();
        for layer in self {
            let (next, ld) = layer.forward(&z, context);
            z = next;
            log_det += ld;
        }
        (z, log_det)
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let mut x = *z;
        let mut log_det = T::zero();
        for layer in self.iter().rev() {
            let (next, ld) = layer.inverse(&x, context);
            x = next;
            log_det += ld;
        }
        (x, log_det)
    }

    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        for layer in self {
            layer.forward_lanes(x, contexts, log_det);
        }
    }

    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        for layer in self.iter().rev() {
            layer.inverse_lanes(z, contexts, log_det);
        }
    }

    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        for layer in self {
            layer.forward_blocks(x, contexts, log_det);
        }
    }

    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        for layer in self.iter().rev() {
            layer.inverse_blocks(z, contexts, log_det);
        }
    }

    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        context: &dyn Fn(usize) -> SVector<T, C>,
    ) {
        for layer in self {
            layer.initialize_from_data(batch, context);
        }
    }
}

/// Reverse mode through `layers` in order (`forward`) or in reverse order (inverse), in one pass:
/// each layer hands its output to the rest of the chain and back-propagates when the rest returns,
/// so no layer is evaluated twice. `before` is the log-det of the layers already applied. Returns
/// the gradient of the chain's input and of the log-det.
#[allow(clippy::too_many_arguments)]
fn chain_slice<T: Real, L: BijectionGradient<T, D, C>, const D: usize, const C: usize>(
    layers: &[L],
    grads: &mut [L],
    forward: bool,
    input: &SVector<T, D>,
    context: &SVector<T, C>,
    before: T,
    upstream: &mut Upstream<'_, T, D>,
    d_context: &mut SVector<T, C>,
) -> (SVector<T, D>, T) {
    let (next, rest, next_grad, rest_grads) = if forward {
        match (layers.split_first(), grads.split_first_mut()) {
            (Some((l, r)), Some((g, rg))) => (l, r, g, rg),
            _ => return upstream(input, before),
        }
    } else {
        match (layers.split_last(), grads.split_last_mut()) {
            (Some((l, r)), Some((g, rg))) => (l, r, g, rg),
            _ => return upstream(input, before),
        }
    };
    let mut d_log_det = T::zero();
    let mut d_rest_context = SVector::<T, C>::zeros();
    let mut rest_of_chain = |output: &SVector<T, D>, log_det: T| {
        let (d_output, d_ld) = chain_slice(
            rest,
            rest_grads,
            forward,
            output,
            context,
            before + log_det,
            upstream,
            &mut d_rest_context,
        );
        d_log_det = d_ld;
        (d_output, d_ld)
    };
    let d_input = if forward {
        next.forward_with_gradient(input, context, &mut rest_of_chain, next_grad, d_context)
    } else {
        next.inverse_with_gradient(input, context, &mut rest_of_chain, next_grad, d_context)
    };
    *d_context += d_rest_context;
    (d_input, d_log_det)
}

impl<T: Real, const D: usize, const C: usize, L: BijectionGradient<T, D, C>, const N: usize>
    BijectionGradient<T, D, C> for [L; N]
{
    crate::backward_from_with_gradient!(T, D, C);

    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        chain_slice(self, grad, true, x, context, T::zero(), upstream, d_context).0
    }

    fn inverse_with_gradient(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        chain_slice(
            self,
            grad,
            false,
            z,
            context,
            T::zero(),
            upstream,
            d_context,
        )
        .0
    }
}

/// Reverse mode through the tuple fields listed, in that order, in one pass (the tuple form of
/// [`chain_slice`]): expands to nested continuations, one per field. Evaluates to the gradient
/// of the chain's input.
macro_rules! chain_tuple {
    ($method:ident, $self:ident, $grad:ident, $context:ident, $d_context:expr, $upstream:ident,
     $input:expr, $before:expr; $i:tt) => {{
        let before = $before;
        $self.$i.$method(
            $input,
            $context,
            &mut |output, log_det| $upstream(output, before + log_det),
            &mut $grad.$i,
            $d_context,
        )
    }};
    ($method:ident, $self:ident, $grad:ident, $context:ident, $d_context:expr, $upstream:ident,
     $input:expr, $before:expr; $i:tt, $($rest:tt),+) => {{
        let before = $before;
        let mut d_rest_context = SVector::<T, C>::zeros();
        let d_input = $self.$i.$method(
            $input,
            $context,
            &mut |output, log_det| {
                let mut d_log_det = T::zero();
                let d_output = {
                    let mut rest_upstream = |z: &SVector<T, D>, ld: T| {
                        let result = $upstream(z, ld);
                        d_log_det = result.1;
                        result
                    };
                    chain_tuple!($method, $self, $grad, $context, &mut d_rest_context,
                        rest_upstream, output, before + log_det; $($rest),+)
                };
                (d_output, d_log_det)
            },
            &mut $grad.$i,
            $d_context,
        );
        *$d_context += d_rest_context;
        d_input
    }};
}

macro_rules! impl_tuple {
    ($($name:ident $index:tt),+ ; $($rev:tt),+) => {
        impl<T: Real, const D: usize, const C: usize, $($name: Bijection<T, D, C>),+> Bijection<T, D, C>
            for ($($name,)+)
        {
            #[inline]
            fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
                let z = *x;
                let log_det = T::zero();
                $(
                    let (z, ld) = self.$index.forward(&z, context);
                    let log_det = log_det + ld;
                )+
                (z, log_det)
            }

            #[inline]
            fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
                let x = *z;
                let log_det = T::zero();
                $(
                    let (x, ld) = self.$rev.inverse(&x, context);
                    let log_det = log_det + ld;
                )+
                (x, log_det)
            }

            #[inline]
            fn forward_lanes(
                &self,
                x: &mut Block<T, D>,
                contexts: &Block<T, C>,
                log_det: &mut [T; LANES],
            ) {
                $(self.$index.forward_lanes(x, contexts, log_det);)+
            }

            #[inline]
            fn inverse_lanes(
                &self,
                z: &mut Block<T, D>,
                contexts: &Block<T, C>,
                log_det: &mut [T; LANES],
            ) {
                $(self.$rev.inverse_lanes(z, contexts, log_det);)+
            }

            #[inline]
            fn forward_blocks(
                &self,
                x: &mut [Block<T, D>],
                contexts: &[Block<T, C>],
                log_det: &mut [[T; LANES]],
            ) {
                $(self.$index.forward_blocks(x, contexts, log_det);)+
            }

            #[inline]
            fn inverse_blocks(
                &self,
                z: &mut [Block<T, D>],
                contexts: &[Block<T, C>],
                log_det: &mut [[T; LANES]],
            ) {
                $(self.$rev.inverse_blocks(z, contexts, log_det);)+
            }

            fn initialize_from_data(
                &mut self,
                batch: &mut [SVector<T, D>],
                context: &dyn Fn(usize) -> SVector<T, C>,
            ) {
                $(self.$index.initialize_from_data(batch, context);)+
            }
        }

        impl<T: Real, const D: usize, const C: usize, $($name: BijectionGradient<T, D, C>),+>
            BijectionGradient<T, D, C> for ($($name,)+)
        {
            crate::backward_from_with_gradient!(T, D, C);

            fn forward_with_gradient(
                &self,
                x: &SVector<T, D>,
                context: &SVector<T, C>,
                upstream: &mut Upstream<'_, T, D>,
                grad: &mut Self,
                d_context: &mut SVector<T, C>,
            ) -> SVector<T, D> {
                chain_tuple!(forward_with_gradient, self, grad, context, d_context, upstream,
                    x, T::zero(); $($index),+)
            }

            fn inverse_with_gradient(
                &self,
                z: &SVector<T, D>,
                context: &SVector<T, C>,
                upstream: &mut Upstream<'_, T, D>,
                grad: &mut Self,
                d_context: &mut SVector<T, C>,
            ) -> SVector<T, D> {
                chain_tuple!(inverse_with_gradient, self, grad, context, d_context, upstream,
                    z, T::zero(); $($rev),+)
            }
        }

        impl<T: Real, $($name: Parameters<T>),+> Parameters<T> for ($($name,)+) {
            const COUNT: usize = 0 $(+ $name::COUNT)+;
            fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
                $(self.$index.visit(&path.index($index), f);)+
            }
            fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
                $(self.$index.visit_mut(&path.index($index), f);)+
            }
        }

        impl<$($name: Random),+> Random for ($($name,)+) {
            fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
                ($($name::random(rng),)+)
            }
        }
    };
}

impl_tuple!(L0 0; 0);
impl_tuple!(L0 0, L1 1; 1, 0);
impl_tuple!(L0 0, L1 1, L2 2; 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3; 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4; 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5; 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6; 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7; 7, 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8; 8, 7, 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9; 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(
    L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9, L10 10;
    10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
);
impl_tuple!(
    L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9, L10 10, L11 11;
    11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
);

/// A bijection with its directions swapped: `Inverse(b).forward` is `b.inverse`.
///
/// Its parameters are those of the wrapped bijection, under the same names.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Inverse<B>(pub B);

impl<T: Real, const D: usize, const C: usize, B: Bijection<T, D, C>> Bijection<T, D, C>
    for Inverse<B>
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.0.inverse(x, context)
    }
    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.0.forward(z, context)
    }
    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        self.0.inverse_lanes(x, contexts, log_det);
    }
    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        self.0.forward_lanes(z, contexts, log_det);
    }
    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        self.0.inverse_blocks(x, contexts, log_det);
    }
    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        self.0.forward_blocks(z, contexts, log_det);
    }
}

impl<T: Real, const D: usize, const C: usize, B: BijectionGradient<T, D, C>>
    BijectionGradient<T, D, C> for Inverse<B>
{
    #[inline]
    fn backward_forward(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        d_z: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.0
            .backward_inverse(x, context, d_z, d_log_det, &mut grad.0, d_context)
    }
    #[inline]
    fn backward_inverse(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        d_x: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.0
            .backward_forward(z, context, d_x, d_log_det, &mut grad.0, d_context)
    }
    #[inline]
    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.0
            .inverse_with_gradient(x, context, upstream, &mut grad.0, d_context)
    }
    #[inline]
    fn inverse_with_gradient(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.0
            .forward_with_gradient(z, context, upstream, &mut grad.0, d_context)
    }
}

impl<T: Real, B: Parameters<T>> Parameters<T> for Inverse<B> {
    const COUNT: usize = B::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.0.visit(path, f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.0.visit_mut(path, f);
    }
}

impl<B: Random> Random for Inverse<B> {
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self(B::random(rng))
    }
}
