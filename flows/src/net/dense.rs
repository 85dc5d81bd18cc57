//! Dense (fully connected) layers.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::{Random, Real, impl_parameters};

/// Draws every entry uniform on `±1/sqrt(fan_in)` (PyTorch's `nn.Linear` default).
fn uniform<T: Real, const R: usize, const K: usize, G: Rng + ?Sized>(
    rng: &mut G,
    fan_in: usize,
) -> SMatrix<T, R, K> {
    let bound = T::one() / T::lit(fan_in.max(1) as f64).sqrt();
    SMatrix::from_fn(|_, _| T::uniform(rng, bound))
}

/// `y = W x + b` from `I` to `O` values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dense<T: Real, const O: usize, const I: usize> {
    /// The weight matrix.
    pub weight: SMatrix<T, O, I>,
    /// The bias.
    pub bias: SVector<T, O>,
}

impl<T: Real, const O: usize, const I: usize> Dense<T, O, I> {
    /// The all-zero layer (used for output layers, so a network starts at zero output).
    pub fn zeros() -> Self {
        Self {
            weight: SMatrix::zeros(),
            bias: SVector::zeros(),
        }
    }

    /// `W x + b`.
    #[inline]
    pub fn apply(&self, x: &SVector<T, I>) -> SVector<T, O> {
        self.weight * x + self.bias
    }
}

impl<T: Real, const O: usize, const I: usize> Random for Dense<T, O, I> {
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self {
            weight: uniform(rng, I),
            bias: uniform(rng, I),
        }
    }
}

impl_parameters!([T: Real, const O: usize, const I: usize] Dense<T, O, I> {
    weight: SMatrix<T, O, I>,
    bias: SVector<T, O>,
});

/// The first layer of a conditioner: `y = W x + V c + b` from `I` inputs and `C` context values
/// (the context concatenated to the input).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputDense<T: Real, const O: usize, const I: usize, const C: usize> {
    /// The weights of the inputs.
    pub weight: SMatrix<T, O, I>,
    /// The weights of the context.
    pub context_weight: SMatrix<T, O, C>,
    /// The bias.
    pub bias: SVector<T, O>,
}

impl<T: Real, const O: usize, const I: usize, const C: usize> InputDense<T, O, I, C> {
    /// The all-zero layer.
    pub fn zeros() -> Self {
        Self {
            weight: SMatrix::zeros(),
            context_weight: SMatrix::zeros(),
            bias: SVector::zeros(),
        }
    }

    /// `W x + V c + b`.
    #[inline]
    pub fn apply(&self, x: &SVector<T, I>, context: &SVector<T, C>) -> SVector<T, O> {
        self.weight * x + self.context_weight * context + self.bias
    }
}

impl<T: Real, const O: usize, const I: usize, const C: usize> Random for InputDense<T, O, I, C> {
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self {
            weight: uniform(rng, I + C),
            context_weight: uniform(rng, I + C),
            bias: uniform(rng, I + C),
        }
    }
}

impl_parameters!([T: Real, const O: usize, const I: usize, const C: usize] InputDense<T, O, I, C> {
    weight: SMatrix<T, O, I>,
    context_weight: SMatrix<T, O, C>,
    bias: SVector<T, O>,
});

/// Applies one output block per target element: column `j` of the result is `blocks[j](h)`.
#[inline]
pub(crate) fn apply_blocks<T: Real, const P: usize, const H: usize, const B: usize>(
    blocks: &[Dense<T, P, H>; B],
    h: &SVector<T, H>,
) -> SMatrix<T, P, B> {
    let mut out = SMatrix::<T, P, B>::zeros();
    for (j, block) in blocks.iter().enumerate() {
        out.set_column(j, &block.apply(h));
    }
    out
}
