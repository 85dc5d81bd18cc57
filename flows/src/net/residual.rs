//! The residual feed-forward conditioner transform.

use core::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::dense::{activate, activation_backward, apply_blocks, backward_blocks};
use super::{Activation, ConditionerTransform, Dense, InputDense, Relu};
use crate::gradient::ConditionerGradient;
use crate::{Random, Real, impl_parameters};

/// An input layer to `H` units with activation, `R` residual blocks
/// `h <- h + W2 act(W1 h + b1) + b2` followed by the activation, and a linear output of `P`
/// parameters for each of `B` elements. ReLU by default (torchflows' `ResidualFeedForward`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResidualFeedForward<
    T: Real,
    const I: usize,
    const C: usize,
    const H: usize,
    const R: usize,
    const P: usize,
    const B: usize,
    Act = Relu,
> {
    /// The input layer.
    pub input: InputDense<T, H, I, C>,
    /// The residual blocks, two dense layers each.
    pub blocks: [[Dense<T, H, H>; 2]; R],
    /// One output block per target element.
    pub output: [Dense<T, P, H>; B],
    activation: PhantomData<Act>,
}

impl<
    T,
    const I: usize,
    const C: usize,
    const H: usize,
    const R: usize,
    const P: usize,
    const B: usize,
    Act,
> ConditionerTransform<T, I, C, P, B> for ResidualFeedForward<T, I, C, H, R, P, B, Act>
where
    T: Real,
    Act: Activation,
{
    #[inline]
    fn eval(&self, x: &SVector<T, I>, context: &SVector<T, C>) -> SMatrix<T, P, B> {
        let mut h = self.input.apply(x, context).map(Act::apply);
        for [first, second] in &self.blocks {
            let inner = first.apply(&h).map(Act::apply);
            h = (h + second.apply(&inner)).map(Act::apply);
        }
        apply_blocks(&self.output, &h)
    }
}

impl<
    T,
    const I: usize,
    const C: usize,
    const H: usize,
    const R: usize,
    const P: usize,
    const B: usize,
    Act,
> ConditionerGradient<T, I, C, P, B> for ResidualFeedForward<T, I, C, H, R, P, B, Act>
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

    /// Keeps every block's input, inner and outer activations on the stack between the passes.
    #[inline]
    fn eval_with_gradient(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        upstream: &mut dyn FnMut(&SMatrix<T, P, B>) -> SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        let first = activate::<T, Act, H>(self.input.apply(x, context));
        // Per block: its input, its inner activation and its outer activation.
        let mut saved = [(first.1, first, first); R];
        let mut h = first.1;
        for ([inner_layer, outer_layer], slot) in self.blocks.iter().zip(saved.iter_mut()) {
            let inner = activate::<T, Act, H>(inner_layer.apply(&h));
            let outer = activate::<T, Act, H>(h + outer_layer.apply(&inner.1));
            *slot = (h, inner, outer);
            h = outer.1;
        }
        let d_out = upstream(&apply_blocks(&self.output, &h));
        let mut d_h = backward_blocks(&self.output, &h, &d_out, &mut grad.output);
        for k in (0..R).rev() {
            let (input, inner, outer) = &saved[k];
            let [inner_layer, outer_layer] = &self.blocks[k];
            let [inner_grad, outer_grad] = &mut grad.blocks[k];
            let d_pre = activation_backward::<T, Act, H>(outer, &d_h);
            let d_inner = outer_layer.backward(&inner.1, &d_pre, outer_grad);
            let d_inner_pre = activation_backward::<T, Act, H>(inner, &d_inner);
            d_h = d_pre + inner_layer.backward(input, &d_inner_pre, inner_grad);
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
    const R: usize,
    const P: usize,
    const B: usize,
    Act,
> Random for ResidualFeedForward<T, I, C, H, R, P, B, Act>
where
    T: Real,
{
    fn random<G: Rng + ?Sized>(rng: &mut G) -> Self {
        Self {
            input: InputDense::random(rng),
            blocks: Random::random(rng),
            output: [Dense::zeros(); B],
            activation: PhantomData,
        }
    }
}

impl_parameters!([
    T: Real, const I: usize, const C: usize, const H: usize, const R: usize, const P: usize,
    const B: usize, Act
] ResidualFeedForward<T, I, C, H, R, P, B, Act> {
    input: InputDense<T, H, I, C>,
    blocks: [[Dense<T, H, H>; 2]; R],
    output: [Dense<T, P, H>; B],
});
