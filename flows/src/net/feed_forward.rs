//! The feed-forward conditioner transform.

use core::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::dense::{activate, activation_backward, apply_blocks, backward_blocks, mlp_lanes};
use super::{Activation, ConditionerTransform, Dense, InputDense, Tanh};
use crate::batch::Block;
use crate::gradient::ConditionerGradient;
use crate::kernel::EventMlp;
use crate::transformer::Transformer;
use crate::{Random, Real, impl_parameters};

/// A multilayer perceptron: an input layer to `H` hidden units, `M` more hidden layers of width
/// `H`, each followed by the activation `Act` (tanh by default), and a linear output of `P`
/// parameters for each of `B` elements. `M + 1` hidden layers in all.
///
/// torchflows' `FeedForward(n_layers = M + 2)`. The output layer starts at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeedForward<
    T: Real,
    const I: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    const B: usize,
    Act = Tanh,
> {
    /// The input layer (inputs and context to the first hidden layer).
    pub input: InputDense<T, H, I, C>,
    /// The hidden-to-hidden layers.
    pub hidden: [Dense<T, H, H>; M],
    /// One output block per target element.
    pub output: [Dense<T, P, H>; B],
    activation: PhantomData<Act>,
}

impl<
    T,
    const I: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    const B: usize,
    Act,
> ConditionerTransform<T, I, C, P, B> for FeedForward<T, I, C, H, M, P, B, Act>
where
    T: Real,
    Act: Activation,
{
    #[inline]
    fn eval(&self, x: &SVector<T, I>, context: &SVector<T, C>) -> SMatrix<T, P, B> {
        let mut h = Act::apply_vector(self.input.apply(x, context));
        for layer in &self.hidden {
            h = Act::apply_vector(layer.apply(&h));
        }
        apply_blocks(&self.output, &h)
    }

    /// One call of [`Kernels::mlp_map_event`](crate::kernel::Kernels::mlp_map_event) when it
    /// has a kernel for the activation, the transformer and the sizes.
    #[inline]
    fn eval_map_fused<Tr: Transformer<T, P>>(
        &self,
        (x, context): (&SVector<T, I>, &SVector<T, C>),
        transformer: &Tr,
        target: &mut [T],
        inverse: bool,
    ) -> Option<T> {
        if !Act::TANH || !T::fuses(H, B) {
            return None;
        }
        let (map, inverse) = transformer.event_map(inverse)?;
        let elements = <&mut [T; B]>::try_from(target).ok()?;
        let hidden = self.hidden.each_ref().map(Dense::lanes_layer);
        let output = self.output.each_ref().map(Dense::lanes_layer);
        let mlp = EventMlp {
            inputs: [
                (&self.input.weight.data.0[..], x.as_slice()),
                (&self.input.context_weight.data.0[..], context.as_slice()),
            ],
            bias: &self.input.bias.data.0[0],
            hidden: &hidden,
            output: &output,
        };
        T::mlp_map_event(&mlp, map, inverse, elements)
    }

    #[inline]
    fn eval_lanes(&self, x: &Block<T, I>, contexts: &Block<T, C>, out: &mut [Block<T, P>; B]) {
        mlp_lanes::<T, Act, I, C, H, M, P, B>(
            &self.input,
            &self.hidden,
            &self.output,
            (x, contexts),
            out,
        );
    }
}

impl<
    T,
    const I: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    const B: usize,
    Act,
> ConditionerGradient<T, I, C, P, B> for FeedForward<T, I, C, H, M, P, B, Act>
where
    T: Real,
    Act: Activation,
{
    #[inline]
    fn backward(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        d_out: &SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        self.eval_with_gradient(x, context, &mut |_| *d_out, grad)
    }

    /// Keeps every layer's pre-activation and activation on the stack between the passes.
    #[inline]
    fn eval_with_gradient(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        upstream: &mut dyn FnMut(&SMatrix<T, P, B>) -> SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        let first = activate::<T, Act, H>(self.input.apply(x, context));
        let mut layers = [first; M];
        let mut h = first.1;
        for (layer, slot) in self.hidden.iter().zip(layers.iter_mut()) {
            *slot = activate::<T, Act, H>(layer.apply(&h));
            h = slot.1;
        }
        let d_out = upstream(&apply_blocks(&self.output, &h));
        let mut d_h = backward_blocks(&self.output, &h, &d_out, &mut grad.output);
        for k in (0..M).rev() {
            let d_pre = activation_backward::<T, Act, H>(&layers[k], &d_h);
            let below = if k == 0 { &first.1 } else { &layers[k - 1].1 };
            d_h = self.hidden[k].backward(below, &d_pre, &mut grad.hidden[k]);
        }
        let d_pre = activation_backward::<T, Act, H>(&first, &d_h);
        self.input.backward(x, context, &d_pre, &mut grad.input)
    }
}

impl<
    T,
    const I: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    const B: usize,
    Act,
> Random for FeedForward<T, I, C, H, M, P, B, Act>
where
    T: Real,
{
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self {
            input: InputDense::random(rng),
            hidden: Random::random(rng),
            output: [Dense::zeros(); B],
            activation: PhantomData,
        }
    }
}

impl_parameters!([
    T: Real, const I: usize, const C: usize, const H: usize, const M: usize, const P: usize,
    const B: usize, Act
] FeedForward<T, I, C, H, M, P, B, Act> {
    input: InputDense<T, H, I, C>,
    hidden: [Dense<T, H, H>; M],
    output: [Dense<T, P, H>; B],
});
