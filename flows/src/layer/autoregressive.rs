//! Masked autoregressive layers (MAF) and their inverses (IAF).

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::batch::{Block, LANES};
use crate::bijection::on_one_block;
use crate::gradient::{BijectionGradient, Derivatives, TransformerGradient, Upstream};
use crate::net::{AutoregressiveGradient, AutoregressiveTransform, Made};
use crate::transformer::{Affine, InverseAffine, Transformer, columns};
use crate::{Bijection, Inverse, Parameters, Path, Random, Real};

/// A masked autoregressive layer (Papamakarios et al. 2017): `z_i = Tr(x_i; h_i(x_<i, context))`,
/// the `P` parameters `h_i` of each element coming from an autoregressive network `Net` (a
/// [`Made`] by default in the aliases).
///
/// [`forward`](Bijection::forward) (data to latent, the density direction) costs one network
/// pass; [`inverse`](Bijection::inverse) (sampling) solves for `x_0, x_1, ...` in `D` sequential
/// steps through the network's [incremental evaluation](AutoregressiveTransform), which for
/// [`Made`] costs about one pass in all (torchflows runs `D` full passes), over one event or a
/// lane block of events. The Jacobian is
/// triangular: `log|det dz/dx| = sum_i log Tr'(x_i)`. `D = 1` works (the single element's
/// parameters then depend on the context only).
///
/// The inverse autoregressive layer is this layer with its directions swapped:
/// [`InverseMaskedAutoregressive`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaskedAutoregressive<Tr, Net, const D: usize, const P: usize> {
    /// The elementwise map.
    pub transformer: Tr,
    /// The autoregressive network from the event and the context to the transformer's parameters.
    pub conditioner: Net,
}

impl<T, Tr, Net, const D: usize, const C: usize, const P: usize> Bijection<T, D, C>
    for MaskedAutoregressive<Tr, Net, D, P>
where
    T: Real,
    Tr: Transformer<T, P>,
    Net: AutoregressiveTransform<T, D, C, P>,
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let h = self.conditioner.eval(x, context);
        let mut z = *x;
        let log_det = self
            .transformer
            .forward_elements(z.as_mut_slice(), &columns(&h));
        (z, log_det)
    }

    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        on_one_block(x, contexts, log_det, |x, c, l| self.forward_blocks(x, c, l));
    }

    /// The network's [one-pass lane-block evaluation with the
    /// map](AutoregressiveTransform::one_pass_map_blocks) by the transformer.
    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        self.conditioner
            .one_pass_map_blocks(x, contexts, &self.transformer, log_det);
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let mut state = self.conditioner.start(context);
        let mut x = *z;
        let mut log_det = T::zero();
        for (i, x) in x.iter_mut().enumerate() {
            let h = self.conditioner.element(&state, i);
            let (value, ld) = self.transformer.inverse(*x, &h);
            *x = value;
            log_det += ld;
            if i + 1 < D {
                self.conditioner.push(&mut state, i, value);
            }
        }
        (x, log_det)
    }

    /// The network's [sequential lane-block
    /// evaluation](AutoregressiveTransform::sequential_lanes), solving each run of elements it
    /// hands over (one element, or several whose parameters are known at once) with the
    /// transformer's lane kernel.
    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        self.conditioner.sequential_lanes(z, contexts, |rows, h| {
            self.transformer.inverse_lanes(rows, h, log_det);
        });
    }
}

/// Reverse mode of both directions. The one-pass direction back-propagates through the network
/// once. The sequential direction back-propagates through its `D` steps in reverse, interleaved
/// with the network's [sequential reverse mode](AutoregressiveGradient::backward_sequential):
/// about one backward pass for [`Made`].
impl<T, Tr, Net, const D: usize, const C: usize, const P: usize> BijectionGradient<T, D, C>
    for MaskedAutoregressive<Tr, Net, D, P>
where
    T: Real,
    Tr: TransformerGradient<T, P>,
    Net: AutoregressiveGradient<T, D, C, P>,
{
    crate::backward_from_with_gradient!(T, D, C);

    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        let mut d_x = SVector::<T, D>::zeros();
        let (d_x_net, d_ctx) = self.conditioner.eval_with_gradient(
            x,
            context,
            &mut |h| {
                let parts: [Derivatives<T, P>; D] = self.transformer.forward_derivatives_all(x, h);
                let z = SVector::<T, D>::from_fn(|i, _| parts[i].value);
                let log_det = parts.iter().fold(T::zero(), |sum, part| sum + part.log_det);
                let (d_z, d_log_det) = upstream(&z, log_det);
                let mut d_h = SMatrix::<T, P, D>::zeros();
                for (i, part) in parts.iter().enumerate() {
                    d_x[i] = d_z[i] * part.d_value_d_input + d_log_det * part.d_log_det_d_input;
                    d_h.set_column(
                        i,
                        &(part.d_value_d_params * d_z[i] + part.d_log_det_d_params * d_log_det),
                    );
                }
                d_h
            },
            &mut grad.conditioner,
        );
        *d_context += d_ctx;
        d_x + d_x_net
    }

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
        let mut d_z = SVector::<T, D>::zeros();
        *d_context += self.conditioner.backward_sequential(
            &x,
            context,
            &mut |i, h, d_x_later| {
                let part = self.transformer.inverse_derivatives(z[i], h);
                let d_value = d_x[i] + d_x_later;
                d_z[i] = d_value * part.d_value_d_input + d_log_det * part.d_log_det_d_input;
                part.d_value_d_params * d_value + part.d_log_det_d_params * d_log_det
            },
            &mut grad.conditioner,
        );
        d_z
    }
}

impl<T: Real, Tr, Net: Parameters<T>, const D: usize, const P: usize> Parameters<T>
    for MaskedAutoregressive<Tr, Net, D, P>
{
    const COUNT: usize = Net::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.conditioner.visit(&path.name("conditioner"), f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.conditioner.visit_mut(&path.name("conditioner"), f);
    }
}

impl<Tr: Default, Net: Random, const D: usize, const P: usize> Random
    for MaskedAutoregressive<Tr, Net, D, P>
{
    /// The default transformer and a network drawn from `rng` (whose output layer starts at
    /// zero, so the layer starts as the transformer at zero parameters).
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self {
            transformer: Tr::default(),
            conditioner: Net::random(rng),
        }
    }
}

/// The inverse masked autoregressive layer (Kingma et al. 2016; torchflows'
/// `InverseMaskedAutoregressiveBijection`): [`MaskedAutoregressive`] with forward and inverse
/// swapped, so its forward (density) is sequential and its inverse (sampling) is one pass.
///
/// Its forward is `z_i = Tr⁻¹(x_i; h_i(z_<i, context))`, solved for `z_0, z_1, ...` in turn, and
/// its inverse `x_i = Tr(z_i; h_i(z_<i, context))` in one pass. With `Tr = InverseAffine`
/// (torchflows' `AffineInverseMaskedAutoregressive`) the forward is
/// `z_i = α_i(z_<i) x_i + β_i(z_<i)` and the sampling direction `x = (z − β(z)) / α(z)`.
pub type InverseMaskedAutoregressive<Tr, Net, const D: usize, const P: usize> =
    Inverse<MaskedAutoregressive<Tr, Net, D, P>>;

/// An [affine](Affine) masked autoregressive layer with a [`Made`] of `M + 1` hidden layers of
/// width `H` (torchflows' `AffineForwardMaskedAutoregressive`, the layer of MAF).
pub type AffineMaskedAutoregressive<
    T,
    const D: usize,
    const C: usize,
    const H: usize,
    const M: usize,
> = MaskedAutoregressive<Affine, Made<T, D, C, H, M, 2>, D, 2>;

/// The affine inverse masked autoregressive layer (torchflows'
/// `AffineInverseMaskedAutoregressive`, the layer of IAF): forward `z_i = α_i(z_<i) x_i +
/// β_i(z_<i)`, sequential; inverse in one pass.
pub type AffineInverseMaskedAutoregressive<
    T,
    const D: usize,
    const C: usize,
    const H: usize,
    const M: usize,
> = InverseMaskedAutoregressive<InverseAffine, Made<T, D, C, H, M, 2>, D, 2>;
