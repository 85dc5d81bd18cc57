//! A flow: a bijection over a base distribution, with densities and samples.

use core::marker::PhantomData;

use nalgebra::SVector;
use rand::{Rng, SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::batch::{Block, Contexts, LANES};
use crate::distribution::{Distribution, DistributionGradient, StandardGaussian};
use crate::gradient::{BijectionGradient, Upstream};
use crate::{Bijection, Error, Parameters, Path, Random, Real};

/// A normalizing flow over `D`-dimensional data with a `C`-dimensional context (0 for none): the
/// bijection `B` maps data `x` to latent `z`, which the base distribution models.
///
/// `log p(x) = log p_base(z) + log|det dz/dx|`, and a sample is `x = B⁻¹(z)` with `z` drawn from
/// the base, whose log-probability is `log p_base(z) − log|det dx/dz|` (torchflows adds the two
/// terms there, which is wrong).
///
/// Methods come in two forms: `log_prob(&x)` for unconditional flows (`C = 0`) and
/// `log_prob_given(&x, &context)` for any flow; likewise for sampling.
pub struct Flow<T: Real, const D: usize, const C: usize, B, Base = StandardGaussian> {
    /// The map from data to latent.
    pub bijection: B,
    /// The latent distribution.
    pub base: Base,
    scalar: PhantomData<T>,
}

impl<T: Real, const D: usize, const C: usize, B: Clone, Base: Clone> Clone
    for Flow<T, D, C, B, Base>
{
    fn clone(&self) -> Self {
        Self {
            bijection: self.bijection.clone(),
            base: self.base.clone(),
            scalar: PhantomData,
        }
    }
}

impl<T: Real, const D: usize, const C: usize, B: core::fmt::Debug, Base: core::fmt::Debug>
    core::fmt::Debug for Flow<T, D, C, B, Base>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Flow")
            .field("bijection", &self.bijection)
            .field("base", &self.base)
            .finish()
    }
}

impl<T, const D: usize, const C: usize, B, Base> Flow<T, D, C, B, Base>
where
    T: Real,
    B: Bijection<T, D, C>,
    Base: Distribution<T, D>,
{
    /// The flow of `bijection` over `base`.
    pub fn new(bijection: B, base: Base) -> Self {
        Self {
            bijection,
            base,
            scalar: PhantomData,
        }
    }

    /// A flow initialized from `rng`.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self
    where
        B: Random,
        Base: Default,
    {
        Self::new(B::random(rng), Base::default())
    }

    /// A flow initialized deterministically from `seed` (the same on every platform).
    pub fn seeded(seed: u64) -> Self
    where
        B: Random,
        Base: Default,
    {
        Self::random(&mut Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// `log p(x | context)`. NaN or infinite inputs give a NaN (or infinite) result, never a panic.
    #[inline]
    pub fn log_prob_given(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> T {
        let (z, log_det) = self.bijection.forward(x, context);
        self.base.log_prob(&z) + log_det
    }

    /// A draw `x ~ p(· | context)`.
    #[inline]
    pub fn sample_given<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        context: &SVector<T, C>,
    ) -> SVector<T, D> {
        self.bijection.inverse(&self.base.sample(rng), context).0
    }

    /// A draw `x ~ p(· | context)` with `log p(x | context)`, from the same pass.
    #[inline]
    pub fn sample_with_log_prob_given<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        context: &SVector<T, C>,
    ) -> (SVector<T, D>, T) {
        let z = self.base.sample(rng);
        let (x, log_det_inverse) = self.bijection.inverse(&z, context);
        (x, self.base.log_prob(&z) - log_det_inverse)
    }

    /// Data-dependent initialization (ActNorm layers set themselves from `batch`); `batch` is left
    /// mapped to the latent space. `context(i)` is the context of `batch[i]`.
    pub fn initialize_from_data_given(
        &mut self,
        batch: &mut [SVector<T, D>],
        context: &dyn Fn(usize) -> SVector<T, C>,
    ) {
        self.bijection.initialize_from_data(batch, context);
    }
}

impl<T, const D: usize, B, Base> Flow<T, D, 0, B, Base>
where
    T: Real,
    B: Bijection<T, D, 0>,
    Base: Distribution<T, D>,
{
    /// `log p(x)`. NaN or infinite inputs give a NaN (or infinite) result, never a panic.
    #[inline]
    pub fn log_prob(&self, x: &SVector<T, D>) -> T {
        self.log_prob_given(x, &SVector::zeros())
    }

    /// A draw `x ~ p`.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SVector<T, D> {
        self.sample_given(rng, &SVector::zeros())
    }

    /// A draw `x ~ p` with `log p(x)`, from the same pass.
    #[inline]
    pub fn sample_with_log_prob<R: Rng + ?Sized>(&self, rng: &mut R) -> (SVector<T, D>, T) {
        self.sample_with_log_prob_given(rng, &SVector::zeros())
    }

    /// Data-dependent initialization from `batch`, which is left mapped to the latent space.
    pub fn initialize_from_data(&mut self, batch: &mut [SVector<T, D>]) {
        self.initialize_from_data_given(batch, &|_| SVector::zeros());
    }
}

impl<T, const D: usize, const C: usize, B, Base> Bijection<T, D, C> for Flow<T, D, C, B, Base>
where
    T: Real,
    B: Bijection<T, D, C>,
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.bijection.forward(x, context)
    }
    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.bijection.inverse(z, context)
    }
    fn forward_batch(
        &self,
        events: &mut [SVector<T, D>],
        contexts: Contexts<'_, T, C>,
        log_det: &mut [T],
    ) -> Result<(), Error> {
        self.bijection.forward_batch(events, contexts, log_det)
    }
    fn inverse_batch(
        &self,
        events: &mut [SVector<T, D>],
        contexts: Contexts<'_, T, C>,
        log_det: &mut [T],
    ) -> Result<(), Error> {
        self.bijection.inverse_batch(events, contexts, log_det)
    }
    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        self.bijection.forward_lanes(x, contexts, log_det);
    }
    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        self.bijection.inverse_lanes(z, contexts, log_det);
    }
    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        self.bijection.forward_blocks(x, contexts, log_det);
    }
    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        self.bijection.inverse_blocks(z, contexts, log_det);
    }
    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        context: &dyn Fn(usize) -> SVector<T, C>,
    ) {
        self.bijection.initialize_from_data(batch, context);
    }
}

impl<T, const D: usize, const C: usize, B, Base> Random for Flow<T, D, C, B, Base>
where
    T: Real,
    B: Bijection<T, D, C> + Random,
    Base: Distribution<T, D> + Default,
{
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::new(B::random(rng), Base::default())
    }
}

impl<T: Real, const D: usize, const C: usize, B: Parameters<T>, Base> Parameters<T>
    for Flow<T, D, C, B, Base>
{
    const COUNT: usize = B::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.bijection.visit(path, f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.bijection.visit_mut(path, f);
    }
}

impl<T, const D: usize, const C: usize, B, Base> BijectionGradient<T, D, C>
    for Flow<T, D, C, B, Base>
where
    T: Real,
    B: BijectionGradient<T, D, C>,
{
    #[inline]
    fn backward_forward(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        d_z: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.bijection
            .backward_forward(x, context, d_z, d_log_det, &mut grad.bijection, d_context)
    }
    #[inline]
    fn backward_inverse(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        d_x: &SVector<T, D>,
        d_log_det: T,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.bijection
            .backward_inverse(z, context, d_x, d_log_det, &mut grad.bijection, d_context)
    }
    #[inline]
    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.bijection
            .forward_with_gradient(x, context, upstream, &mut grad.bijection, d_context)
    }
    #[inline]
    fn inverse_with_gradient(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.bijection
            .inverse_with_gradient(z, context, upstream, &mut grad.bijection, d_context)
    }
}

/// The loss gradients: maximum likelihood (through [`log_prob`](Flow::log_prob_given)) and the
/// reparameterized sampling path (through [`sample`](Flow::sample_given)).
impl<T, const D: usize, const C: usize, B, Base> Flow<T, D, C, B, Base>
where
    T: Real,
    B: BijectionGradient<T, D, C>,
    Base: DistributionGradient<T, D>,
{
    /// Adds the gradient of `−weight · log p(x | context)` with respect to the parameters into
    /// `grad` (a flow of the same type holding partial derivatives) and returns
    /// `(log p(x | context), ∂/∂x, ∂/∂context)` of that loss.
    pub fn log_prob_gradient_given(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        weight: T,
        grad: &mut Self,
    ) -> (T, SVector<T, D>, SVector<T, C>) {
        let mut log_prob = T::zero();
        let mut d_context = SVector::<T, C>::zeros();
        let d_x = self.bijection.forward_with_gradient(
            x,
            context,
            &mut |z, log_det| {
                let (log_base, d_log_base) = self.base.log_prob_with_gradient(z);
                log_prob = log_base + log_det;
                (-d_log_base * weight, -weight)
            },
            &mut grad.bijection,
            &mut d_context,
        );
        (log_prob, d_x, d_context)
    }

    /// The reparameterized sample `x = B⁻¹(z | context)` of the base draw `z`, in reverse mode:
    /// `loss` receives `(x, log q(x | context))` and returns the loss gradient with respect to
    /// both; their parameter gradient is added into `grad`. Returns the loss gradient with
    /// respect to `z` and to the context.
    pub fn sample_gradient_given(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, C>,
        loss: &mut Upstream<'_, T, D>,
        grad: &mut Self,
    ) -> (SVector<T, D>, SVector<T, C>) {
        let (log_base, d_log_base) = self.base.log_prob_with_gradient(z);
        let mut d_log_q = T::zero();
        let mut d_context = SVector::<T, C>::zeros();
        let d_z = self.bijection.inverse_with_gradient(
            z,
            context,
            &mut |x, log_det| {
                let (d_x, d_lq) = loss(x, log_base - log_det);
                d_log_q = d_lq;
                (d_x, -d_lq)
            },
            &mut grad.bijection,
            &mut d_context,
        );
        (d_z + d_log_base * d_log_q, d_context)
    }
}
