//! Conditioner transforms: the small networks that map the conditioning inputs (and the context)
//! to the transformer's parameters.
//!
//! Every network here reads an `I`-vector of conditioning inputs and a `C`-vector of context (the
//! context is concatenated to the input, which is the same as giving it its own weight columns)
//! and writes a `P x B` matrix: column `j` holds the `P` raw parameters of target element `j`.
//! Output layers start at zero, so every coupling starts as the transformer at zero parameters
//! (the identity for the affine family and the splines).

mod activation;
mod autoregressive;
mod constant;
mod conv_net;
mod convolution;
mod dense;
mod feed_forward;
mod linear;
mod made;
mod made_gradient;
mod made_incremental;
mod made_lanes;
mod residual;
mod reverse;

pub use activation::{Activation, Relu, Tanh};
pub use autoregressive::{
    AutoregressiveGradient, AutoregressiveTransform, FullPass, FullPassState, SequentialStep,
};
pub use constant::Constant;
pub use conv_net::ConvNet;
pub use convolution::Conv3x3;
pub use dense::{Dense, InputDense};
pub use feed_forward::FeedForward;
pub use linear::Linear;
pub use made::Made;
pub use made_incremental::MadeState;
pub use residual::ResidualFeedForward;

use nalgebra::{SMatrix, SVector};

use crate::Real;
use crate::batch::{Block, LANES};
use crate::transformer::Transformer;

/// A network from `I` inputs and `C` context values to `P` parameters for each of `B` elements.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not map {I} inputs and a {C}-element context to {P} parameters for each of {B} elements",
    label = "this conditioner does not fit {I} inputs, a {C}-element context and {P} x {B} outputs"
)]
pub trait ConditionerTransform<
    T: Real,
    const I: usize,
    const C: usize,
    const P: usize,
    const B: usize,
>
{
    /// The parameters: column `j` belongs to target element `j`.
    fn eval(&self, x: &SVector<T, I>, context: &SVector<T, C>) -> SMatrix<T, P, B>;

    /// The elements `target` mapped by `transformer` (forward, or inverse when `inverse`) under
    /// the parameters at `(x, context)` in one fused kernel, for networks that have one for the
    /// transformer and the sizes
    /// ([`Kernels::mlp_map_event`](crate::kernel::Kernels::mlp_map_event)): the sum of the
    /// log-derivatives. `None` by default, `target` left alone: the caller runs
    /// [`eval`](ConditionerTransform::eval) and the transformer.
    #[inline]
    fn eval_map_fused<Tr: Transformer<T, P>>(
        &self,
        inputs: (&SVector<T, I>, &SVector<T, C>),
        transformer: &Tr,
        target: &mut [T],
        inverse: bool,
    ) -> Option<T> {
        let _ = (inputs, transformer, target, inverse);
        None
    }

    /// The parameters of a lane block of events: `out[j][p][l]` is parameter `p` of element `j`
    /// for event `l`. Networks with lane-block kernels override this; the default evaluates one
    /// event at a time.
    #[inline]
    fn eval_lanes(&self, x: &Block<T, I>, contexts: &Block<T, C>, out: &mut [Block<T, P>; B]) {
        for l in 0..LANES {
            let input = SVector::<T, I>::from_fn(|k, _| x[k][l]);
            let context = SVector::<T, C>::from_fn(|k, _| contexts[k][l]);
            let h = self.eval(&input, &context);
            for (element, column) in out.iter_mut().zip(h.column_iter()) {
                for (row, v) in element.iter_mut().zip(column.iter()) {
                    row[l] = *v;
                }
            }
        }
    }
}
