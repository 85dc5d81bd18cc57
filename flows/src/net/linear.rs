//! The linear conditioner transform.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::{ConditionerTransform, InputDense};
use crate::batch::Block;
use crate::gradient::ConditionerGradient;
use crate::{Random, Real, impl_parameters};

/// One affine map from inputs and context to the `P` parameters of each of `B` elements
/// (torchflows' `Linear`). With no inputs and no context (`I = C = 0`) it is a learned constant;
/// this is the conditioner of the elementwise layers. Starts at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear<T: Real, const I: usize, const C: usize, const P: usize, const B: usize> {
    /// One block per target element.
    pub blocks: [InputDense<T, P, I, C>; B],
}

impl<T: Real, const I: usize, const C: usize, const P: usize, const B: usize>
    ConditionerTransform<T, I, C, P, B> for Linear<T, I, C, P, B>
{
    #[inline]
    fn eval(&self, x: &SVector<T, I>, context: &SVector<T, C>) -> SMatrix<T, P, B> {
        let mut out = SMatrix::<T, P, B>::zeros();
        for (j, block) in self.blocks.iter().enumerate() {
            out.set_column(j, &block.apply(x, context));
        }
        out
    }

    #[inline]
    fn eval_lanes(&self, x: &Block<T, I>, contexts: &Block<T, C>, out: &mut [Block<T, P>; B]) {
        for (block, o) in self.blocks.iter().zip(out.iter_mut()) {
            block.apply_lanes(x, contexts, o);
        }
    }
}

impl<T: Real, const I: usize, const C: usize, const P: usize, const B: usize>
    ConditionerGradient<T, I, C, P, B> for Linear<T, I, C, P, B>
{
    #[inline]
    fn backward(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        d_out: &SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        let mut d_x = SVector::<T, I>::zeros();
        let mut d_context = SVector::<T, C>::zeros();
        for (j, (block, g)) in self.blocks.iter().zip(grad.blocks.iter_mut()).enumerate() {
            let (dx, dc) = block.backward(x, context, &d_out.column(j).into_owned(), g);
            d_x += dx;
            d_context += dc;
        }
        (d_x, d_context)
    }
}

impl<T: Real, const I: usize, const C: usize, const P: usize, const B: usize> Random
    for Linear<T, I, C, P, B>
{
    fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
        Self {
            blocks: [InputDense::zeros(); B],
        }
    }
}

impl_parameters!([T: Real, const I: usize, const C: usize, const P: usize, const B: usize]
    Linear<T, I, C, P, B> {
    blocks: [InputDense<T, P, I, C>; B],
});
