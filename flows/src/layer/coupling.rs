//! Coupling layers.

use nalgebra::SVector;
use rand::Rng;

use crate::conditioner::Partition;
use crate::net::ConditionerTransform;
use crate::transformer::Transformer;
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

    /// Applies `map` (the transformer's forward or inverse) to the target elements of `input`,
    /// parameterized from its source elements, which are the same in both directions.
    #[inline]
    fn couple<T: Real, const C: usize>(
        &self,
        input: &SVector<T, D>,
        context: &SVector<T, C>,
        map: impl Fn(&Tr, T, &SVector<T, P>) -> (T, T),
    ) -> (SVector<T, D>, T)
    where
        Net: ConditionerTransform<T, A, C, P, B>,
    {
        let h = self
            .conditioner
            .eval(&self.partition.gather_source(input), context);
        let mut output = *input;
        let mut log_det = T::zero();
        for (j, &t) in self.partition.target().iter().enumerate() {
            let (y, ld) = map(&self.transformer, input[t], &h.column(j).into_owned());
            output[t] = y;
            log_det += ld;
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
        self.couple(x, context, Tr::forward)
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.couple(z, context, Tr::inverse)
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
