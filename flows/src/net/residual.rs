//! The residual feed-forward conditioner transform.

use core::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::dense::apply_blocks;
use super::{Activation, ConditionerTransform, Dense, InputDense, Relu};
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
