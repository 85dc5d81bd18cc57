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
use crate::transformer::{Transformer, columns};

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

    /// [`eval`](ConditionerTransform::eval), then the elements `target` mapped by `transformer`
    /// under its columns (forward, or inverse when `inverse`); returns the sum of the
    /// log-derivatives. Networks with a fused per-event kernel override this.
    #[inline]
    fn eval_map<Tr: Transformer<T, P>>(
        &self,
        (x, context): (&SVector<T, I>, &SVector<T, C>),
        transformer: &Tr,
        target: &mut [T],
        inverse: bool,
    ) -> T {
        map_elements(transformer, target, &self.eval(x, context), inverse)
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

/// The elements `target` mapped by `transformer` under the columns of `h` (forward, or inverse
/// when `inverse`): [`ConditionerTransform::eval_map`] after its network.
#[inline]
pub(crate) fn map_elements<T: Real, Tr: Transformer<T, P>, const P: usize, const B: usize>(
    transformer: &Tr,
    target: &mut [T],
    h: &SMatrix<T, P, B>,
    inverse: bool,
) -> T {
    let params = columns(h);
    if inverse {
        transformer.inverse_elements(target, &params)
    } else {
        transformer.forward_elements(target, &params)
    }
}
