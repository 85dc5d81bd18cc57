//! Reverse-mode gradients, layer by layer, with no tape.
//!
//! Each layer computes the gradient of its outputs (the mapped vector and the log-det) with respect
//! to its input, its context and its parameters, given the upstream gradients. Intermediate values
//! are recomputed from the layer's input, so nothing is stored between the passes and nothing is
//! allocated. A gradient has the layout of the layer it belongs to: it is a value of the layer's
//! own type, whose parameters hold the partial derivatives.
//!
//! Every implementation is checked against central finite differences in the tests.

use nalgebra::{SMatrix, SVector};

use crate::net::ConditionerTransform;
use crate::transformer::Transformer;
use crate::{Bijection, Real};

/// An elementwise map at one point: its value, its log-derivative, and the partial derivatives of
/// both with respect to the input and to the `P` raw parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Derivatives<T: Real, const P: usize> {
    /// The mapped value.
    pub value: T,
    /// The log-derivative of the map applied.
    pub log_det: T,
    /// `d value / d input`.
    pub d_value_d_input: T,
    /// `d log_det / d input`.
    pub d_log_det_d_input: T,
    /// `d value / d h`.
    pub d_value_d_params: SVector<T, P>,
    /// `d log_det / d h`.
    pub d_log_det_d_params: SVector<T, P>,
}

/// A transformer with the derivatives of both directions.
pub trait TransformerGradient<T: Real, const P: usize>: Transformer<T, P> {
    /// [`Transformer::forward`] at `x` with its partial derivatives.
    fn forward_derivatives(&self, x: T, h: &SVector<T, P>) -> Derivatives<T, P>;
    /// [`Transformer::inverse`] at `y` with its partial derivatives (of `x` and of `log dx/dy`).
    fn inverse_derivatives(&self, y: T, h: &SVector<T, P>) -> Derivatives<T, P>;
}

/// A conditioner transform with its reverse-mode gradient.
pub trait ConditionerGradient<
    T: Real,
    const I: usize,
    const C: usize,
    const P: usize,
    const B: usize,
>: ConditionerTransform<T, I, C, P, B> + Sized
{
    /// Given `d_out`, the gradient of a loss with respect to `eval(x, context)`, adds the gradient
    /// with respect to the parameters into `grad` and returns the gradients with respect to `x`
    /// and to the context.
    fn backward(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        d_out: &SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>);
}

/// A bijection with the reverse-mode gradient of both directions.
pub trait BijectionGradient<T: Real, const D: usize, const C: usize>:
    Bijection<T, D, C> + Sized
{
    /// Reverse mode through [`forward`](Bijection::forward) at `x`: given `d_z` (the loss gradient
    /// with respect to `z`) and `d_log_det` (with respect to the log-det), adds the parameter
    /// gradient into `grad`, adds the context gradient into `d_context`, and returns the gradient
    /// with respect to `x`.
    fn backward_forward(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        d_z: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D>;

    /// Reverse mode through [`inverse`](Bijection::inverse) at `z`, likewise.
    fn backward_inverse(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        d_x: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D>;
}
