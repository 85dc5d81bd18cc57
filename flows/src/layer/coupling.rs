//! Coupling layers.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use crate::batch::{Block, LANES};
use crate::bijection::on_one_block;
use crate::conditioner::Partition;
use crate::gradient::{
    BijectionGradient, ConditionerGradient, Derivatives, TransformerGradient, Upstream,
};
use crate::kernel::Lanes;
use crate::net::ConditionerTransform;
use crate::transformer::{Transformer, columns};
use crate::{Bijection, Parameters, Path, Random, Real};

/// A coupling layer: the source part of the event (chosen by a [`Partition`]) passes unchanged and,
/// with the context, feeds the conditioner transform `Net`, whose `P x B` outputs parameterize the
/// transformer `Tr` applied to each of the `B` target elements.
///
/// Sizes: event `D = A + B`, `A` source and `B` target elements, `P` parameters per element.
/// Both directions cost one conditioner pass. With `A = 0` and the [`Linear`](crate::net::Linear)
/// conditioner it is an elementwise layer ([`Elementwise`](crate::layer::Elementwise)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coupling<Tr, Net, const D: usize, const A: usize, const B: usize, const P: usize> {
    /// The elementwise map of the target part.
    pub transformer: Tr,
    /// Which elements condition and which are transformed.
    pub partition: Partition<D, A, B>,
    /// The network from the source part and the context to the transformer's parameters.
    pub conditioner: Net,
}

impl<Tr: Default, Net, const D: usize, const A: usize, const B: usize, const P: usize>
    Coupling<Tr, Net, D, A, B, P>
{
    /// A coupling with the given partition and a conditioner drawn from `rng`.
    pub fn with_partition<R: Rng + ?Sized>(partition: Partition<D, A, B>, rng: &mut R) -> Self
    where
        Net: Random,
    {
        Self {
            transformer: Tr::default(),
            partition,
            conditioner: Net::random(rng),
        }
    }

    /// Maps the target elements of `input` by the transformer (forward, or inverse when
    /// `inverse`), parameterized from its source elements, which are the same in both
    /// directions: by the conditioner's fused kernel when it has one
    /// ([`eval_map_fused`](ConditionerTransform::eval_map_fused)).
    #[inline]
    fn couple<T: Real, const C: usize>(
        &self,
        input: &SVector<T, D>,
        context: &SVector<T, C>,
        inverse: bool,
    ) -> (SVector<T, D>, T)
    where
        Tr: Transformer<T, P>,
        Net: ConditionerTransform<T, A, C, P, B>,
    {
        let source = self.partition.gather_source(input);
        // Elements by `get`: no panic branch on the inference path (every target index is
        // below `D` by construction; the firmware example checks it).
        let mut output = *input;
        // The target elements in place when they are the last `B` in order (the presets'),
        // else gathered.
        let in_place = self.partition.is_half_split();
        let mut gathered = [T::zero(); B];
        if !in_place {
            for (v, &t) in gathered.iter_mut().zip(self.partition.target()) {
                if let Some(x) = input.as_slice().get(t) {
                    *v = *x;
                }
            }
        }
        let target = if in_place {
            output.as_mut_slice().get_mut(A..).unwrap_or_default()
        } else {
            &mut gathered[..]
        };
        let fused =
            self.conditioner
                .eval_map_fused((&source, context), &self.transformer, target, inverse);
        let log_det = if let Some(log_det) = fused {
            log_det
        } else {
            // Columns by chunks: no panic branch either.
            let params = columns(&self.conditioner.eval(&source, context));
            if inverse {
                self.transformer.inverse_elements(target, &params)
            } else {
                self.transformer.forward_elements(target, &params)
            }
        };
        if !in_place {
            for (v, &t) in gathered.iter().zip(self.partition.target()) {
                if let Some(out) = output.as_mut_slice().get_mut(t) {
                    *out = *v;
                }
            }
        }
        (output, log_det)
    }
}

impl<T, Tr, Net, const D: usize, const A: usize, const B: usize, const C: usize, const P: usize>
    Bijection<T, D, C> for Coupling<Tr, Net, D, A, B, P>
where
    T: Real,
    Tr: Transformer<T, P>,
    Net: ConditionerTransform<T, A, C, P, B>,
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.couple(x, context, false)
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.couple(z, context, true)
    }

    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        on_one_block(x, contexts, log_det, |x, c, l| self.forward_blocks(x, c, l));
    }

    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        on_one_block(z, contexts, log_det, |x, c, l| self.inverse_blocks(x, c, l));
    }

    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        if A == 0 && C == 0 {
            self.couple_blocks_shared(x, log_det, Tr::forward_lanes_shared);
        } else {
            for ((x, contexts), log_det) in x.iter_mut().zip(contexts).zip(log_det) {
                self.couple_lanes(x, contexts, log_det, Tr::forward_lanes);
            }
        }
    }

    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        if A == 0 && C == 0 {
            self.couple_blocks_shared(z, log_det, Tr::inverse_lanes_shared);
        } else {
            for ((z, contexts), log_det) in z.iter_mut().zip(contexts).zip(log_det) {
                self.couple_lanes(z, contexts, log_det, Tr::inverse_lanes);
            }
        }
    }
}

impl<Tr, Net, const D: usize, const A: usize, const B: usize, const P: usize>
    Coupling<Tr, Net, D, A, B, P>
{
    /// Runs `f` on the source rows and the target rows of a lane block: in place when the
    /// partition is the [half split](Partition::half_split) (the presets' layout), else on
    /// gathered copies (the target rows written back after).
    #[inline]
    fn with_rows<T: Real>(
        &self,
        input: &mut Block<T, D>,
        f: impl FnOnce(&Block<T, A>, &mut [Lanes<T>]),
    ) {
        if self.partition.is_half_split() {
            let (source, target) = input.split_at_mut(A.min(D));
            if let Ok(source) = <&Block<T, A>>::try_from(&*source) {
                f(source, target);
            }
            return;
        }
        let mut source = [[T::zero(); LANES]; A];
        for (s, &i) in source.iter_mut().zip(self.partition.source()) {
            if let Some(row) = input.get(i) {
                *s = *row;
            }
        }
        let mut target = [[T::zero(); LANES]; B];
        for (t, &i) in target.iter_mut().zip(self.partition.target()) {
            if let Some(row) = input.get(i) {
                *t = *row;
            }
        }
        f(&source, &mut target);
        for (t, &i) in target.iter().zip(self.partition.target()) {
            if let Some(row) = input.get_mut(i) {
                *row = *t;
            }
        }
    }

    /// [`couple_lanes`](Self::couple_lanes) over lane blocks when the conditioner reads neither
    /// inputs nor a context (elementwise layers): its parameters are evaluated once for all the
    /// blocks, and the transformer maps all their target rows in one call when they are the
    /// whole blocks (the half split, with no source).
    #[inline]
    fn couple_blocks_shared<T: Real, const C: usize>(
        &self,
        input: &mut [Block<T, D>],
        log_det: &mut [[T; LANES]],
        map: impl Fn(&Tr, &mut [Lanes<T>], &[SVector<T, P>], &mut [Lanes<T>]),
    ) where
        Net: ConditionerTransform<T, A, C, P, B>,
    {
        let params = columns(&self.conditioner.eval(&SVector::zeros(), &SVector::zeros()));
        if self.partition.is_half_split() {
            map(
                &self.transformer,
                input.as_flattened_mut(),
                &params,
                log_det,
            );
            return;
        }
        for (input, log_det) in input.iter_mut().zip(log_det) {
            self.with_rows(input, |_, target| {
                map(
                    &self.transformer,
                    target,
                    &params,
                    core::slice::from_mut(log_det),
                );
            });
        }
    }

    /// [`couple`](Self::couple) over a lane block: the conditioner and the transformer run on
    /// whole rows (their lane-block kernels).
    #[inline]
    fn couple_lanes<T: Real, const C: usize>(
        &self,
        input: &mut Block<T, D>,
        contexts: &Block<T, C>,
        log_det: &mut [T; LANES],
        map: impl Fn(&Tr, &mut [Lanes<T>], &[Block<T, P>], &mut Lanes<T>),
    ) where
        Net: ConditionerTransform<T, A, C, P, B>,
    {
        self.with_rows(input, |source, target| {
            let mut h = [[[T::zero(); LANES]; P]; B];
            self.conditioner.eval_lanes(source, contexts, &mut h);
            map(&self.transformer, target, &h, log_det);
        });
    }
}

impl<Tr, Net, const D: usize, const A: usize, const B: usize, const P: usize>
    Coupling<Tr, Net, D, A, B, P>
{
    /// Reverse mode of [`couple`](Self::couple) for the map whose derivatives `derivatives`
    /// gives (of every target element at once, under its column of parameters), in one pass: the
    /// conditioner keeps its activations while `upstream` runs.
    #[inline]
    fn couple_with_gradient<T: Real, const C: usize>(
        &self,
        input: &SVector<T, D>,
        context: &SVector<T, C>,
        derivatives: impl Fn(&Tr, &SVector<T, B>, &SMatrix<T, P, B>) -> [Derivatives<T, P>; B],
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D>
    where
        Net: ConditionerGradient<T, A, C, P, B>,
    {
        let source = self.partition.gather_source(input);
        let target = self.partition.target();
        let mut d_input = SVector::<T, D>::zeros();
        let (d_source, d_ctx) = self.conditioner.eval_with_gradient(
            &source,
            context,
            &mut |h| {
                let x = SVector::<T, B>::from_fn(|j, _| input[target[j]]);
                let parts = derivatives(&self.transformer, &x, h);
                let mut output = *input;
                let mut log_det = T::zero();
                for (part, &t) in parts.iter().zip(target) {
                    output[t] = part.value;
                    log_det += part.log_det;
                }
                let (d_output, d_log_det) = upstream(&output, log_det);
                // Source elements pass through; target elements are overwritten below.
                d_input = d_output;
                let mut d_h = SMatrix::<T, P, B>::zeros();
                for (j, (part, &t)) in parts.iter().zip(target).enumerate() {
                    d_input[t] =
                        d_output[t] * part.d_value_d_input + d_log_det * part.d_log_det_d_input;
                    d_h.set_column(
                        j,
                        &(part.d_value_d_params * d_output[t]
                            + part.d_log_det_d_params * d_log_det),
                    );
                }
                d_h
            },
            &mut grad.conditioner,
        );
        for (&s, d) in self.partition.source().iter().zip(d_source.iter()) {
            d_input[s] += *d;
        }
        *d_context += d_ctx;
        d_input
    }
}

impl<T, Tr, Net, const D: usize, const A: usize, const B: usize, const C: usize, const P: usize>
    BijectionGradient<T, D, C> for Coupling<Tr, Net, D, A, B, P>
where
    T: Real,
    Tr: TransformerGradient<T, P>,
    Net: ConditionerGradient<T, A, C, P, B>,
{
    crate::backward_from_with_gradient!(T, D, C);

    #[inline]
    fn forward_with_gradient(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        upstream: &mut Upstream<'_, T, D>,
        grad: &mut Self,
        d_context: &mut SVector<T, C>,
    ) -> SVector<T, D> {
        self.couple_with_gradient(
            x,
            context,
            |tr: &Tr, x, h| tr.forward_derivatives_all(x, h),
            upstream,
            grad,
            d_context,
        )
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
        self.couple_with_gradient(
            z,
            context,
            |tr: &Tr, y, h| {
                core::array::from_fn(|j| tr.inverse_derivatives(y[j], &h.column(j).into_owned()))
            },
            upstream,
            grad,
            d_context,
        )
    }
}

impl<
    T: Real,
    Tr,
    Net: Parameters<T>,
    const D: usize,
    const A: usize,
    const B: usize,
    const P: usize,
> Parameters<T> for Coupling<Tr, Net, D, A, B, P>
{
    const COUNT: usize = Net::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.conditioner.visit(&path.name("conditioner"), f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.conditioner.visit_mut(&path.name("conditioner"), f);
    }
}

impl<Tr: Default, Net: Random, const D: usize, const A: usize, const B: usize, const P: usize>
    Random for Coupling<Tr, Net, D, A, B, P>
{
    /// A [half split](Partition::half_split) coupling with a conditioner drawn from `rng`.
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::with_partition(Partition::half_split(), rng)
    }
}
