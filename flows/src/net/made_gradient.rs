//! Reverse-mode gradients of [`Made`]: of its one-pass evaluation and of its sequential one.
//!
//! Both walk the hidden units one degree at a time, from the highest degree down, reading only
//! the weights the masks allow (so the gradients of masked weights stay exactly zero). In the
//! sequential form the walk is interleaved with the elements, from the last down: once the
//! parameters of elements `i..D` have been back-propagated, the units of degree `i` have their
//! whole gradient, and passing it down gives `x_{i-1}` its whole gradient. That costs about one
//! backward pass in all.

use core::ops::Range;

use nalgebra::{SMatrix, SVector};

use super::reverse::matvec_backward;
use super::{Activation, AutoregressiveGradient, Made, SequentialStep};
use crate::Real;
use crate::gradient::ConditionerGradient;

/// The pre-activations and activations of every hidden layer at one input.
struct Activations<T: Real, const H: usize, const M: usize> {
    first: (SVector<T, H>, SVector<T, H>),
    deeper: [(SVector<T, H>, SVector<T, H>); M],
}

impl<T: Real, const H: usize, const M: usize> Activations<T, H, M> {
    fn last(&self) -> &SVector<T, H> {
        self.deeper.last().map_or(&self.first.1, |layer| &layer.1)
    }
}

/// The gradients of the loss with respect to every hidden layer's activations.
struct HiddenGradients<T: Real, const H: usize, const M: usize> {
    first: SVector<T, H>,
    deeper: [SVector<T, H>; M],
}

impl<T: Real, const H: usize, const M: usize> HiddenGradients<T, H, M> {
    fn zeros() -> Self {
        Self {
            first: SVector::zeros(),
            deeper: [SVector::zeros(); M],
        }
    }

    fn last_mut(&mut self) -> &mut SVector<T, H> {
        match self.deeper.last_mut() {
            Some(last) => last,
            None => &mut self.first,
        }
    }
}

/// The activations of the last hidden layer, each repeated `P` times (in the layout of an output
/// block's weights, so that a block's products run over contiguous values).
fn spread<T: Real, const P: usize, const H: usize>(last: &SVector<T, H>) -> SMatrix<T, P, H> {
    SMatrix::from_fn(|_, k| last[k])
}

/// Adds the gradient of the spread activations of the units `units` into that of the activations.
fn gather<T: Real, const P: usize, const H: usize>(
    d_spread: &SMatrix<T, P, H>,
    units: Range<usize>,
    d_last: &mut SVector<T, H>,
) {
    for k in units {
        d_last[k] += d_spread.column(k).sum();
    }
}

impl<
    T: Real,
    const D: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    Act: Activation,
    const NARROW: bool,
> Made<T, D, C, H, M, P, Act, NARROW>
{
    /// Every hidden layer's pre-activations and activations at `(x, context)`, through the masked
    /// products of the [kernels](crate::kernel::Kernels) (which read only the weights the masks
    /// allow).
    fn activations(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> Activations<T, H, M> {
        let mut pre = self.input.bias;
        T::masked_matvec(
            self.input.context_weight.as_slice(),
            &[],
            context.as_slice(),
            pre.as_mut_slice(),
        );
        T::masked_matvec(
            self.input.weight.as_slice(),
            &Self::INPUT_STARTS,
            x.as_slice(),
            pre.as_mut_slice(),
        );
        let first = (pre, Act::apply_vector(pre));
        let mut deeper = [first; M];
        let mut below = first.1;
        for (layer, slot) in self.hidden.iter().zip(deeper.iter_mut()) {
            let mut pre = layer.bias;
            T::masked_matvec(
                layer.weight.as_slice(),
                &Self::HIDDEN_STARTS,
                below.as_slice(),
                pre.as_mut_slice(),
            );
            *slot = (pre, Act::apply_vector(pre));
            below = slot.1;
        }
        Activations { first, deeper }
    }

    /// The parameters of every element from the [spread](spread) activations of the last hidden
    /// layer (each block reads only the units it may see).
    fn outputs_from_spread(&self, spread: &SMatrix<T, P, H>) -> SMatrix<T, P, D> {
        let mut out = SMatrix::<T, P, D>::from_fn(|p, i| self.output[i].bias[p]);
        let weights = self.output.each_ref().map(|block| block.weight.as_slice());
        T::masked_blocks(
            &weights,
            &Self::OUTPUT_SEEN,
            spread.as_slice(),
            out.as_mut_slice(),
        );
        out
    }

    /// Back-propagates `d_out`, the gradient of every element's parameters, into the gradient of
    /// the [spread](spread) last hidden layer and the output blocks' parameter gradients.
    fn outputs_backward(
        &self,
        d_out: &SMatrix<T, P, D>,
        spread: &SMatrix<T, P, H>,
        d_spread: &mut SMatrix<T, P, H>,
        grad: &mut Self,
    ) {
        let weights = self.output.each_ref().map(|block| block.weight.as_slice());
        let mut grads = grad
            .output
            .each_mut()
            .map(|block| block.weight.as_mut_slice());
        T::masked_blocks_backward(
            &weights,
            &mut grads,
            &Self::OUTPUT_SEEN,
            d_out.as_slice(),
            spread.as_slice(),
            d_spread.as_mut_slice(),
        );
        for (block, d_theta) in grad.output.iter_mut().zip(d_out.column_iter()) {
            block.bias += d_theta;
        }
    }

    /// Back-propagates `d_theta`, the gradient of the parameters of element `i` alone, into the
    /// gradient of the [spread](spread) last hidden layer and the output block's parameter
    /// gradient (over the units the block sees).
    fn output_backward(
        &self,
        i: usize,
        d_theta: &SVector<T, P>,
        spread: &SMatrix<T, P, H>,
        d_spread: &mut SMatrix<T, P, H>,
        grad: &mut Self,
    ) {
        let (Some(block), Some(grad_block)) = (self.output.get(i), grad.output.get_mut(i)) else {
            return;
        };
        grad_block.bias += d_theta;
        T::masked_blocks_backward(
            &[block.weight.as_slice()],
            &mut [grad_block.weight.as_mut_slice()],
            &[P * Self::DEGREES.units_read_by_output(i)],
            d_theta.as_slice(),
            spread.as_slice(),
            d_spread.as_mut_slice(),
        );
    }

    /// Back-propagates the units of degree `degree`, whose gradients are complete, through every
    /// hidden layer from the last down to the inputs and the context.
    #[allow(clippy::too_many_arguments)]
    fn degree_backward(
        &self,
        degree: usize,
        acts: &Activations<T, H, M>,
        d_hidden: &mut HiddenGradients<T, H, M>,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        grad: &mut Self,
        d_x: &mut SVector<T, D>,
        d_context: &mut SVector<T, C>,
    ) {
        let degrees = Self::DEGREES;
        let (lo, hi) = (degrees.first_unit(degree), degrees.first_unit(degree + 1));
        if lo == hi {
            return;
        }
        // The gradient of the pre-activations of the units lo..hi of a layer.
        let pre_gradient = |(pre, post): &(SVector<T, H>, SVector<T, H>),
                            d_post: &SVector<T, H>| {
            let mut d_pre = SVector::<T, H>::zeros();
            for k in lo..hi {
                d_pre[k] = d_post[k] * Act::derivative(pre[k], post[k]);
            }
            d_pre
        };
        for l in (0..M).rev() {
            let d_pre = pre_gradient(&acts.deeper[l], &d_hidden.deeper[l]);
            let below = if l == 0 {
                &acts.first.1
            } else {
                &acts.deeper[l - 1].1
            };
            let d_below = if l == 0 {
                &mut d_hidden.first
            } else {
                &mut d_hidden.deeper[l - 1]
            };
            let (layer, grad_layer) = (&self.hidden[l], &mut grad.hidden[l]);
            // Units below of degree <= `degree` (0..hi) feed the units lo..hi.
            matvec_backward(
                layer.weight.as_slice(),
                grad_layer.weight.as_mut_slice(),
                H,
                |_| lo..hi,
                d_pre.as_slice(),
                &below.as_slice()[..hi],
                &mut d_below.as_mut_slice()[..hi],
            );
            grad_layer.bias += d_pre;
        }
        let d_pre = pre_gradient(&acts.first, &d_hidden.first);
        // Inputs of degree <= `degree` (x_0..x_{degree-1}) feed the units lo..hi.
        let fed = degree.min(D);
        matvec_backward(
            self.input.weight.as_slice(),
            grad.input.weight.as_mut_slice(),
            H,
            |_| lo..hi,
            d_pre.as_slice(),
            &x.as_slice()[..fed],
            &mut d_x.as_mut_slice()[..fed],
        );
        matvec_backward(
            self.input.context_weight.as_slice(),
            grad.input.context_weight.as_mut_slice(),
            H,
            |_| lo..hi,
            d_pre.as_slice(),
            context.as_slice(),
            d_context.as_mut_slice(),
        );
        grad.input.bias += d_pre;
    }

    /// Back-propagates complete gradients of the last hidden layer through every hidden layer
    /// at once, down to the inputs and the context: the one-pass form of [`Self::degree_backward`]
    /// over all degrees, with each weight column walked once over the rows its mask lets through.
    fn layers_backward(
        &self,
        acts: &Activations<T, H, M>,
        d_hidden: &mut HiddenGradients<T, H, M>,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        grad: &mut Self,
    ) -> (SVector<T, D>, SVector<T, C>) {
        let pre_gradient = |(pre, post): &(SVector<T, H>, SVector<T, H>),
                            d_post: &SVector<T, H>| {
            SVector::<T, H>::from_fn(|k, _| d_post[k] * Act::derivative(pre[k], post[k]))
        };
        for l in (0..M).rev() {
            let d_pre = pre_gradient(&acts.deeper[l], &d_hidden.deeper[l]);
            let (below, d_below) = if l == 0 {
                (&acts.first.1, &mut d_hidden.first)
            } else {
                (&acts.deeper[l - 1].1, &mut d_hidden.deeper[l - 1])
            };
            // Unit k below feeds the units of its degree and above.
            T::masked_matvec_backward(
                self.hidden[l].weight.as_slice(),
                grad.hidden[l].weight.as_mut_slice(),
                &Self::HIDDEN_STARTS,
                d_pre.as_slice(),
                below.as_slice(),
                d_below.as_mut_slice(),
            );
            grad.hidden[l].bias += d_pre;
        }
        let d_pre = pre_gradient(&acts.first, &d_hidden.first);
        let (mut d_x, mut d_context) = (SVector::<T, D>::zeros(), SVector::<T, C>::zeros());
        T::masked_matvec_backward(
            self.input.weight.as_slice(),
            grad.input.weight.as_mut_slice(),
            &Self::INPUT_STARTS,
            d_pre.as_slice(),
            x.as_slice(),
            d_x.as_mut_slice(),
        );
        T::masked_matvec_backward(
            self.input.context_weight.as_slice(),
            grad.input.context_weight.as_mut_slice(),
            &[],
            d_pre.as_slice(),
            context.as_slice(),
            d_context.as_mut_slice(),
        );
        grad.input.bias += d_pre;
        (d_x, d_context)
    }
}

impl<
    T: Real,
    const D: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    Act: Activation,
    const NARROW: bool,
> ConditionerGradient<T, D, C, P, D> for Made<T, D, C, H, M, P, Act, NARROW>
{
    fn backward(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        d_out: &SMatrix<T, P, D>,
        grad: &mut Self,
    ) -> (SVector<T, D>, SVector<T, C>) {
        self.eval_with_gradient(x, context, &mut |_| *d_out, grad)
    }

    /// Keeps every layer's pre-activations and activations on the stack between the passes.
    fn eval_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut dyn FnMut(&SMatrix<T, P, D>) -> SMatrix<T, P, D>,
        grad: &mut Self,
    ) -> (SVector<T, D>, SVector<T, C>) {
        let acts = self.activations(x, context);
        let spread = spread::<T, P, H>(acts.last());
        let d_out = upstream(&self.outputs_from_spread(&spread));
        let mut d_spread = SMatrix::<T, P, H>::zeros();
        self.outputs_backward(&d_out, &spread, &mut d_spread, grad);
        let mut d_hidden = HiddenGradients::zeros();
        gather(&d_spread, 0..H, d_hidden.last_mut());
        self.layers_backward(&acts, &mut d_hidden, x, context, grad)
    }
}

impl<
    T: Real,
    const D: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    Act: Activation,
    const NARROW: bool,
> AutoregressiveGradient<T, D, C, P> for Made<T, D, C, H, M, P, Act, NARROW>
{
    fn backward_sequential(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        step: &mut SequentialStep<'_, T, P>,
        grad: &mut Self,
    ) -> SVector<T, C> {
        let acts = self.activations(x, context);
        let spread = spread::<T, P, H>(acts.last());
        let mut d_spread = SMatrix::<T, P, H>::zeros();
        let mut d_hidden = HiddenGradients::zeros();
        let (mut d_x, mut d_context) = (SVector::<T, D>::zeros(), SVector::zeros());
        let degrees = Self::DEGREES;
        for i in (0..D).rev() {
            let d_theta = step(i, &self.output_at(i, acts.last()), d_x[i]);
            self.output_backward(i, &d_theta, &spread, &mut d_spread, grad);
            // The units of degree i feed only elements >= i: their gradients are now complete,
            // and passing them down completes the gradient of x_{i-1}.
            let units = degrees.first_unit(i)..degrees.first_unit(i + 1);
            gather(&d_spread, units, d_hidden.last_mut());
            self.degree_backward(
                i,
                &acts,
                &mut d_hidden,
                x,
                context,
                grad,
                &mut d_x,
                &mut d_context,
            );
        }
        d_context
    }
}
