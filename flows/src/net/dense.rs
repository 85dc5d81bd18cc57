//! Dense (fully connected) layers.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::Activation;
use super::reverse::matvec_backward;
use crate::batch::{Block, LANES};
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
        // `gemv` borrows the weights: `self.weight * x` would copy the whole matrix first.
        let mut y = self.bias;
        y.gemv(T::one(), &self.weight, x, T::one());
        y
    }

    /// `W x + b` over a lane block.
    #[inline]
    pub fn apply_lanes(&self, x: &Block<T, I>, out: &mut Block<T, O>) {
        T::dense_bias_fixed_lanes(&[self.lanes_layer()], x, core::array::from_mut(out));
    }

    /// The weight and bias as a layer of
    /// [`Kernels::dense_bias_fixed_lanes`](crate::kernel::Kernels::dense_bias_fixed_lanes).
    #[inline]
    pub(crate) fn lanes_layer(&self) -> (&[[T; O]; I], &[T; O]) {
        (&self.weight.data.0, &self.bias.data.0[0])
    }

    /// Reverse mode at input `x`: adds the parameter gradient for the output gradient `d_out`
    /// into `grad` and returns the input gradient `Wᵀ d_out`.
    #[inline]
    pub fn backward(
        &self,
        x: &SVector<T, I>,
        d_out: &SVector<T, O>,
        grad: &mut Self,
    ) -> SVector<T, I> {
        grad.bias += d_out;
        weight_backward(&self.weight, &mut grad.weight, x, d_out)
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
        let mut y = self.bias;
        y.gemv(T::one(), &self.weight, x, T::one());
        y.gemv(T::one(), &self.context_weight, context, T::one());
        y
    }

    /// `W x + V c + b` over a lane block.
    #[inline]
    pub fn apply_lanes(&self, x: &Block<T, I>, context: &Block<T, C>, out: &mut Block<T, O>) {
        let layer = (&self.weight.data.0, &self.bias.data.0[0]);
        T::dense_bias_fixed_lanes(&[layer], x, core::array::from_mut(out));
        T::dense_lanes(self.context_weight.as_slice(), O, context, out);
    }

    /// Reverse mode at `(x, context)`: adds the parameter gradient for the output gradient
    /// `d_out` into `grad` and returns the gradients of the inputs and of the context.
    #[inline]
    pub fn backward(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        d_out: &SVector<T, O>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        grad.bias += d_out;
        (
            weight_backward(&self.weight, &mut grad.weight, x, d_out),
            weight_backward(
                &self.context_weight,
                &mut grad.context_weight,
                context,
                d_out,
            ),
        )
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

/// Reverse mode of [`apply_blocks`] at `h`: adds each block's parameter gradient for its column of
/// `d_out` into `grads` and returns the gradient with respect to `h`.
#[inline]
pub(crate) fn backward_blocks<T: Real, const P: usize, const H: usize, const B: usize>(
    blocks: &[Dense<T, P, H>; B],
    h: &SVector<T, H>,
    d_out: &SMatrix<T, P, B>,
    grads: &mut [Dense<T, P, H>; B],
) -> SVector<T, H> {
    let mut d_h = SVector::<T, H>::zeros();
    for (j, (block, grad)) in blocks.iter().zip(grads.iter_mut()).enumerate() {
        let d_col = d_out.column(j).into_owned();
        d_h += block.backward(h, &d_col, grad);
    }
    d_h
}

/// Applies the activation: `(pre-activation, activation)`.
#[inline]
pub(crate) fn activate<T: Real, A: Activation, const H: usize>(
    pre: SVector<T, H>,
) -> (SVector<T, H>, SVector<T, H>) {
    (pre, pre.map(A::apply))
}

/// Reverse mode of the activation: the gradient of its input from that of its output.
#[inline]
pub(crate) fn activation_backward<T: Real, A: Activation, const H: usize>(
    (pre, post): &(SVector<T, H>, SVector<T, H>),
    d_post: &SVector<T, H>,
) -> SVector<T, H> {
    SVector::from_fn(|i, _| d_post[i] * A::derivative(pre[i], post[i]))
}

/// A multilayer perceptron over a lane block: the input layer, the hidden layers (each followed
/// by the activation `A`), then one output block per element (`out[j]` from `output[j]`).
#[inline]
pub(crate) fn mlp_lanes<
    T: Real,
    A: Activation,
    const I: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    const B: usize,
>(
    input: &InputDense<T, H, I, C>,
    hidden: &[Dense<T, H, H>; M],
    output: &[Dense<T, P, H>; B],
    (x, contexts): (&Block<T, I>, &Block<T, C>),
    out: &mut [Block<T, P>; B],
) {
    let mut h = [[T::zero(); LANES]; H];
    input.apply_lanes(x, contexts, &mut h);
    A::apply_lanes(&mut h);
    for layer in hidden {
        let below = h;
        layer.apply_lanes(&below, &mut h);
        A::apply_lanes(&mut h);
    }
    // Every output block in one kernel call.
    let layers: [(&[[T; P]; H], &[T; P]); B] = core::array::from_fn(|j| output[j].lanes_layer());
    T::dense_bias_fixed_lanes(&layers, &h, out);
}

/// Reverse mode of `y = W x` (every weight unmasked): adds `d_out xᵀ` into `grad` and returns
/// `Wᵀ d_out`.
#[inline]
fn weight_backward<T: Real, const O: usize, const K: usize>(
    weight: &SMatrix<T, O, K>,
    grad: &mut SMatrix<T, O, K>,
    x: &SVector<T, K>,
    d_out: &SVector<T, O>,
) -> SVector<T, K> {
    let mut d_x = SVector::<T, K>::zeros();
    matvec_backward(
        weight.as_slice(),
        grad.as_mut_slice(),
        O,
        |_| 0..O,
        d_out.as_slice(),
        x.as_slice(),
        d_x.as_mut_slice(),
    );
    d_x
}
