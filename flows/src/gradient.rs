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

impl<T: Real, const P: usize> Derivatives<T, P> {
    /// The identity map at `x`: value `x`, log-derivative 0, `d value / d input = 1`.
    pub fn identity(x: T) -> Self {
        Self {
            value: x,
            log_det: T::zero(),
            d_value_d_input: T::one(),
            d_log_det_d_input: T::zero(),
            d_value_d_params: SVector::zeros(),
            d_log_det_d_params: SVector::zeros(),
        }
    }

    /// The derivatives of the inverse map at `y = f(x)`, from those of the forward map `f` at `x`
    /// (the implicit function theorem): the inverse's value is `x`, its log-derivative is
    /// `−log f'(x)`, `dx/dy = 1/f'`, `dx/dh = −(df/dh)/f'`, and the log-derivative's partials
    /// follow by the chain rule.
    pub fn inverted(&self, x: T) -> Self {
        let slope = self.d_value_d_input;
        let dx_dh = -self.d_value_d_params / slope;
        Self {
            value: x,
            log_det: -self.log_det,
            d_value_d_input: T::one() / slope,
            d_log_det_d_input: -self.d_log_det_d_input / slope,
            d_value_d_params: dx_dh,
            d_log_det_d_params: -(self.d_log_det_d_params + dx_dh * self.d_log_det_d_input),
        }
    }
}

/// A transformer with the derivatives of both directions.
pub trait TransformerGradient<T: Real, const P: usize>: Transformer<T, P> {
    /// [`Transformer::forward`] at `x` with its partial derivatives.
    fn forward_derivatives(&self, x: T, h: &SVector<T, P>) -> Derivatives<T, P>;
    /// [`Transformer::inverse`] at `y` with its partial derivatives (of `x` and of `log dx/dy`).
    fn inverse_derivatives(&self, y: T, h: &SVector<T, P>) -> Derivatives<T, P>;

    /// [`forward_derivatives`](Self::forward_derivatives) of every element `x[j]` under its
    /// parameters, column `j` of `h` (one element at a time unless overridden with the lane
    /// kernels).
    #[inline]
    fn forward_derivatives_all<const D: usize>(
        &self,
        x: &SVector<T, D>,
        h: &SMatrix<T, P, D>,
    ) -> [Derivatives<T, P>; D] {
        core::array::from_fn(|j| self.forward_derivatives(x[j], &h.column(j).into_owned()))
    }
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

    /// Evaluates at `(x, context)`, hands the output to `upstream`, which returns the loss gradient
    /// with respect to it, then back-propagates as [`backward`](Self::backward) does. Networks
    /// override it to keep their activations on the stack instead of recomputing them.
    fn eval_with_gradient(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        upstream: &mut dyn FnMut(&SMatrix<T, P, B>) -> SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        let d_out = upstream(&self.eval(x, context));
        self.backward(x, context, &d_out, grad)
    }
}

/// The continuation of a reverse pass: given a layer's output and its log-det, returns the loss
/// gradient with respect to both. See [`BijectionGradient::forward_with_gradient`].
pub type Upstream<'a, T, const D: usize> = dyn FnMut(&SVector<T, D>, T) -> (SVector<T, D>, T) + 'a;

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

    /// Forward and reverse mode in one pass: maps `x` forward, hands `(z, log_det)` to `upstream`,
    /// which returns the loss gradient with respect to them, then back-propagates as
    /// [`backward_forward`](Self::backward_forward) does and returns the gradient with respect to
    /// `x`.
    ///
    /// Composition passes the rest of the flow as `upstream`, so every layer's intermediate values
    /// stay on the stack while the later layers run and nothing is computed twice. The default
    /// recomputes the forward pass inside `backward_forward`.
    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        let (z, log_det) = self.forward(x, context);
        let (d_z, d_log_det) = upstream(&z, log_det);
        self.backward_forward(x, context, &d_z, d_log_det, grad, d_context)
    }

    /// [`forward_with_gradient`](Self::forward_with_gradient) through
    /// [`inverse`](Bijection::inverse): `upstream` receives `(x, log|det dx/dz|)`.
    fn inverse_with_gradient(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        let (x, log_det) = self.inverse(z, context);
        let (d_x, d_log_det) = upstream(&x, log_det);
        self.backward_inverse(z, context, &d_x, d_log_det, grad, d_context)
    }
}

/// Implements [`BijectionGradient::backward_forward`] and
/// [`BijectionGradient::backward_inverse`] from the two `*_with_gradient` methods, for layers that
/// implement those (an upstream that returns the given gradients whatever it receives).
#[doc(hidden)]
#[macro_export]
macro_rules! backward_from_with_gradient {
    ($t:ty, $d:expr, $c:expr) => {
        fn backward_forward(
            &self,
            x: &$crate::nalgebra::SVector<$t, $d>,
            context: &$crate::nalgebra::SVector<$t, $c>,
            d_z: &$crate::nalgebra::SVector<$t, $d>,
            d_log_det: $t,
            grad: &mut Self,
            d_context: &mut $crate::nalgebra::SVector<$t, $c>,
        ) -> $crate::nalgebra::SVector<$t, $d> {
            self.forward_with_gradient(x, context, &mut |_, _| (*d_z, d_log_det), grad, d_context)
        }

        fn backward_inverse(
            &self,
            z: &$crate::nalgebra::SVector<$t, $d>,
            context: &$crate::nalgebra::SVector<$t, $c>,
            d_x: &$crate::nalgebra::SVector<$t, $d>,
            d_log_det: $t,
            grad: &mut Self,
            d_context: &mut $crate::nalgebra::SVector<$t, $c>,
        ) -> $crate::nalgebra::SVector<$t, $d> {
            self.inverse_with_gradient(z, context, &mut |_, _| (*d_x, d_log_det), grad, d_context)
        }
    };
}
