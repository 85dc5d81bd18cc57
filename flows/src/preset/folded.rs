//! The inference form of a preset: its fixed layers folded into precomputed diagonal maps.
//!
//! Every preset has the layout `ElementwiseAffine, N x [ReversePermutation, L, ActNorm],
//! ElementwiseAffine, ActNorm`. Without a context its elementwise affine and ActNorm layers are
//! fixed maps `x ↦ a ⊙ x + b`, but they store `a` through exponentials of their parameters and
//! so evaluate `D` transcendental functions per call. [`Flow::folded`] computes each of them once
//! as a [`Diagonal`] and merges the three fixed layers after the last block into one:
//!
//! ```text
//! N x [Diagonal, ReversePermutation, L], Diagonal
//! ```
//!
//! The folded flow is the same function (equal to the original up to rounding: the tests hold
//! them to 1e-12 in `f64`) and has every method of [`Flow`], batches included; it has no
//! parameters to train. Fold a flow after training it, and again after changing its parameters.
//!
//! Why diagonal maps rather than folding into the conditioners' weights: in a coupling the
//! pending fixed map of the target elements must be applied before a nonlinear transformer, and
//! the source elements pass through unchanged, so their map cannot be dropped either; one
//! multiply-add per element and event remains whatever is folded, and this form is exact for
//! every transformer and every base layer (couplings and autoregressive layers alike).

use nalgebra::SVector;

use crate::distribution::{Distribution, StandardGaussian};
use crate::layer::{ActNorm, Diagonal, ElementwiseAffine, ReversePermutation};
use crate::net::ConditionerTransform;
use crate::transformer::affine_scale;
use crate::{Bijection, Error, Flow, Real};

/// The layers of a folded preset with base layer `L` and `N` blocks: see the [module
/// docs](self).
pub type Folded<T, L, const D: usize, const N: usize> =
    ([(Diagonal<T, D>, ReversePermutation, L); N], Diagonal<T, D>);

/// A folded preset as a flow: what [`Flow::folded`] returns.
pub type FoldedFlow<T, L, const D: usize, const N: usize, Base = StandardGaussian> =
    Flow<T, D, 0, Folded<T, L, D, N>, Base>;

/// The layers of any preset without context, generic over its base layer `L`:
/// [`CouplingLayers`](crate::preset::CouplingLayers) and
/// [`AutoregressiveLayers`](crate::preset::AutoregressiveLayers) with `C = 0` are this type.
pub type PresetLayers<T, L, const D: usize, const N: usize> = (
    ElementwiseAffine<T, D, 0>,
    [(ReversePermutation, L, ActNorm<T, D>); N],
    ElementwiseAffine<T, D, 0>,
    ActNorm<T, D>,
);

impl<T, L, const D: usize, const N: usize, Base> Flow<T, D, 0, PresetLayers<T, L, D, N>, Base>
where
    T: Real,
    L: Bijection<T, D, 0> + Clone,
    Base: Distribution<T, D> + Clone,
{
    /// The inference form of this preset: the same function with its elementwise affine and
    /// ActNorm layers computed once as [`Diagonal`] maps (see the [module
    /// docs](crate::preset::folded)).
    ///
    /// ```
    /// use flows::RealNVP;
    /// use flows::nalgebra::SVector;
    ///
    /// let flow = <RealNVP!(f64, 4, layers = 2, hidden = 8)>::seeded(0);
    /// let folded = flow.folded()?;
    /// let x = SVector::from([0.5, -1.0, 2.0, 0.25]);
    /// assert!((folded.log_prob(&x) - flow.log_prob(&x)).abs() < 1e-12);
    /// # Ok::<(), flows::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NotFinite`] when a fixed layer's scale or shift is not finite (or a composed one
    /// overflows): the original flow would then produce infinities or NaN too.
    pub fn folded(&self) -> Result<FoldedFlow<T, L, D, N, Base>, Error> {
        let (first, blocks, last, norm) = &self.bijection;
        let mut folded: [(Diagonal<T, D>, ReversePermutation, L); N] = core::array::from_fn(|k| {
            (
                Diagonal::identity(),
                ReversePermutation,
                blocks[k].1.clone(),
            )
        });
        let mut pending = elementwise(first)?;
        for (block, (_, _, actnorm)) in folded.iter_mut().zip(blocks) {
            block.0 = pending;
            pending = actnorm_map(actnorm)?;
        }
        let tail = pending
            .then(&elementwise(last)?)?
            .then(&actnorm_map(norm)?)?;
        Ok(Flow::new((folded, tail), self.base.clone()))
    }
}

/// The fixed map of an elementwise affine layer without context.
fn elementwise<T: Real, const D: usize>(
    layer: &ElementwiseAffine<T, D, 0>,
) -> Result<Diagonal<T, D>, Error> {
    let h = layer.conditioner.eval(&SVector::zeros(), &SVector::zeros());
    let mut scale = SVector::<T, D>::repeat(T::one());
    let mut shift = SVector::<T, D>::zeros();
    for (params, &t) in h.column_iter().zip(layer.partition.target()) {
        if let (Some(a), Some(b)) = (scale.get_mut(t), shift.get_mut(t)) {
            *a = affine_scale(params[0]).0;
            *b = params[1];
        }
    }
    Diagonal::new(&scale, &shift)
}

/// The map of an ActNorm layer: `(x − shift) · exp(−log_scale)`.
fn actnorm_map<T: Real, const D: usize>(layer: &ActNorm<T, D>) -> Result<Diagonal<T, D>, Error> {
    let scale = layer.log_scale.map(|s| (-s).exp());
    Diagonal::new(&scale, &-layer.shift.component_mul(&scale))
}
