//! The feed-forward conditioner transform.

use core::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::dense::apply_blocks;
use super::{Activation, ConditionerTransform, Dense, InputDense, Tanh};
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
        let mut h = self.input.apply(x, context).map(Act::apply);
        for layer in &self.hidden {
            h = layer.apply(&h).map(Act::apply);
        }
        apply_blocks(&self.output, &h)
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
