//! A flow: a bijection over a base distribution, with densities and samples.

use core::marker::PhantomData;

use nalgebra::SVector;
use rand::{Rng, SeedableRng, rngs::Xoshiro256PlusPlus};

use crate::distribution::{Distribution, StandardGaussian};
use crate::{Bijection, Parameters, Path, Random, Real};

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
    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        context: &dyn Fn(usize) -> SVector<T, C>,
    ) {
        self.bijection.initialize_from_data(batch, context);
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
