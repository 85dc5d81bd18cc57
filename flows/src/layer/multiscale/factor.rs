//! Factoring out: half of an image's channels skip the deeper levels of a multiscale flow.

use nalgebra::SVector;
use rand::Rng;

use crate::gradient::{BijectionGradient, Upstream};
use crate::{Bijection, Parameters, Path, Random, Real};

/// Passes the first `K` elements through and maps the last `R` with `Inner` (`D = K + R`).
///
/// In a multiscale flow the event after a [`Squeeze`](super::Squeeze) is channel-major, so its
/// last `R` elements are its last channels: `FactorOut` sends them to the deeper levels while the
/// first channels are factored out (they go to the latent unchanged; torchflows keeps the latent
/// in one piece too, under one Gaussian).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FactorOut<Inner, const D: usize, const K: usize, const R: usize> {
    /// The deeper levels, on the last `R` elements.
    pub inner: Inner,
}

impl<Inner, const D: usize, const K: usize, const R: usize> FactorOut<Inner, D, K, R> {
    const SIZES: () = assert!(K + R == D, "FactorOut: K + R must be the event size");

    /// `(head, tail)` of `x`.
    #[inline]
    fn split<T: Real>(x: &SVector<T, D>) -> (SVector<T, K>, SVector<T, R>) {
        let () = Self::SIZES;
        (
            x.fixed_rows::<K>(0).into_owned(),
            x.fixed_rows::<R>(K).into_owned(),
        )
    }

    /// `[head; tail]`.
    #[inline]
    fn join<T: Real>(head: &SVector<T, K>, tail: &SVector<T, R>) -> SVector<T, D> {
        let mut out = SVector::<T, D>::zeros();
        out.fixed_rows_mut::<K>(0).copy_from(head);
        out.fixed_rows_mut::<R>(K).copy_from(tail);
        out
    }

    /// Reverse mode through `inner`'s forward (or inverse) on the tail, one pass.
    #[inline]
    fn chain<T: Real, const X: usize>(
        &self,
        input: &SVector<T, D>,
        context: &SVector<T, X>,
        forward: bool,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, X>,
    ) -> SVector<T, D>
    where
        Inner: BijectionGradient<T, R, X>,
    {
        let (head, tail) = Self::split(input);
        let mut d_head = SVector::<T, K>::zeros();
        let mut rest = |out: &SVector<T, R>, log_det: T| {
            let (d_out, d_log_det) = upstream(&Self::join(&head, out), log_det);
            let (d_h, d_t) = Self::split(&d_out);
            d_head = d_h;
            (d_t, d_log_det)
        };
        let d_tail = if forward {
            self.inner
                .forward_with_gradient(&tail, context, &mut rest, &mut grad.inner, d_context)
        } else {
            self.inner
                .inverse_with_gradient(&tail, context, &mut rest, &mut grad.inner, d_context)
        };
        Self::join(&d_head, &d_tail)
    }
}

impl<T, Inner, const D: usize, const K: usize, const R: usize, const X: usize> Bijection<T, D, X>
    for FactorOut<Inner, D, K, R>
where
    T: Real,
    Inner: Bijection<T, R, X>,
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, X>) -> (SVector<T, D>, T) {
        let (head, tail) = Self::split(x);
        let (tail, log_det) = self.inner.forward(&tail, context);
        (Self::join(&head, &tail), log_det)
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, X>) -> (SVector<T, D>, T) {
        let (head, tail) = Self::split(z);
        let (tail, log_det) = self.inner.inverse(&tail, context);
        (Self::join(&head, &tail), log_det)
    }

    /// Initializes `inner` from the tails of the batch (with `std`; without it, whose core
    /// allocates nothing, the batch is only mapped forward and `inner` keeps its parameters).
    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        context: &dyn Fn(usize) -> SVector<T, X>,
    ) {
        #[cfg(feature = "std")]
        {
            let mut tails: std::vec::Vec<SVector<T, R>> =
                batch.iter().map(|x| Self::split(x).1).collect();
            self.inner.initialize_from_data(&mut tails, context);
            for (x, tail) in batch.iter_mut().zip(&tails) {
                x.fixed_rows_mut::<R>(K).copy_from(tail);
            }
        }
        #[cfg(not(feature = "std"))]
        for (i, x) in batch.iter_mut().enumerate() {
            *x = self.forward(x, &context(i)).0;
        }
    }
}

impl<T, Inner, const D: usize, const K: usize, const R: usize, const X: usize>
    BijectionGradient<T, D, X> for FactorOut<Inner, D, K, R>
where
    T: Real,
    Inner: BijectionGradient<T, R, X>,
{
    crate::backward_from_with_gradient!(T, D, X);

    #[inline]
    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, X>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        self.chain(x, context, true, upstream, grad, d_context)
    }

    #[inline]
    fn inverse_with_gradient(
        &self,
        z: &SVector<T, D>,
        context: &SVector<T, X>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        self.chain(z, context, false, upstream, grad, d_context)
    }
}

impl<T: Real, Inner: Parameters<T>, const D: usize, const K: usize, const R: usize> Parameters<T>
    for FactorOut<Inner, D, K, R>
{
    const COUNT: usize = Inner::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.inner.visit(&path.name("inner"), f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.inner.visit_mut(&path.name("inner"), f);
    }
}

impl<Inner: Random, const D: usize, const K: usize, const R: usize> Random
    for FactorOut<Inner, D, K, R>
{
    fn random<G: Rng + ?Sized>(rng: &mut G) -> Self {
        Self {
            inner: Inner::random(rng),
        }
    }
}
