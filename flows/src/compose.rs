//! Composition and inversion of bijections.
//!
//! A tuple `(L0, L1, ..., Ln)` (up to 12 layers) and an array `[L; N]` of bijections are bijections:
//! `forward` applies the layers in order and sums their log-dets, `inverse` applies them in reverse
//! order. Their parameters are named by position (`0.conditioner...`, `1...`). [`Inverse`] swaps
//! a bijection's two directions.

use nalgebra::SVector;
use rand::Rng;

use crate::{Bijection, Parameters, Path, Random, Real};

impl<T: Real, const D: usize, const C: usize, L: Bijection<T, D, C>, const N: usize>
    Bijection<T, D, C> for [L; N]
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let mut z = *x;
        let mut log_det = T::zero();
        for layer in self {
            let (next, ld) = layer.forward(&z, context);
            z = next;
            log_det += ld;
        }
        (z, log_det)
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        let mut x = *z;
        let mut log_det = T::zero();
        for layer in self.iter().rev() {
            let (next, ld) = layer.inverse(&x, context);
            x = next;
            log_det += ld;
        }
        (x, log_det)
    }

    fn initialize_from_data(
        &mut self,
        batch: &mut [SVector<T, D>],
        context: &dyn Fn(usize) -> SVector<T, C>,
    ) {
        for layer in self {
            layer.initialize_from_data(batch, context);
        }
    }
}

macro_rules! impl_tuple {
    ($($name:ident $index:tt),+ ; $($rev:tt),+) => {
        impl<T: Real, const D: usize, const C: usize, $($name: Bijection<T, D, C>),+> Bijection<T, D, C>
            for ($($name,)+)
        {
            #[inline]
            fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
                let z = *x;
                let log_det = T::zero();
                $(
                    let (z, ld) = self.$index.forward(&z, context);
                    let log_det = log_det + ld;
                )+
                (z, log_det)
            }

            #[inline]
            fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
                let x = *z;
                let log_det = T::zero();
                $(
                    let (x, ld) = self.$rev.inverse(&x, context);
                    let log_det = log_det + ld;
                )+
                (x, log_det)
            }

            fn initialize_from_data(
                &mut self,
                batch: &mut [SVector<T, D>],
                context: &dyn Fn(usize) -> SVector<T, C>,
            ) {
                $(self.$index.initialize_from_data(batch, context);)+
            }
        }

        impl<T: Real, $($name: Parameters<T>),+> Parameters<T> for ($($name,)+) {
            const COUNT: usize = 0 $(+ $name::COUNT)+;
            fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
                $(self.$index.visit(&path.index($index), f);)+
            }
            fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
                $(self.$index.visit_mut(&path.index($index), f);)+
            }
        }

        impl<$($name: Random),+> Random for ($($name,)+) {
            fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
                ($($name::random(rng),)+)
            }
        }
    };
}

impl_tuple!(L0 0; 0);
impl_tuple!(L0 0, L1 1; 1, 0);
impl_tuple!(L0 0, L1 1, L2 2; 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3; 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4; 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5; 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6; 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7; 7, 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8; 8, 7, 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9; 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
impl_tuple!(
    L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9, L10 10;
    10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
);
impl_tuple!(
    L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7, L8 8, L9 9, L10 10, L11 11;
    11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0
);

/// A bijection with its directions swapped: `Inverse(b).forward` is `b.inverse`.
///
/// Its parameters are those of the wrapped bijection, under the same names.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Inverse<B>(pub B);

impl<T: Real, const D: usize, const C: usize, B: Bijection<T, D, C>> Bijection<T, D, C>
    for Inverse<B>
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.0.inverse(x, context)
    }
    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.0.forward(z, context)
    }
}

impl<T: Real, B: Parameters<T>> Parameters<T> for Inverse<B> {
    const COUNT: usize = B::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.0.visit(path, f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.0.visit_mut(path, f);
    }
}

impl<B: Random> Random for Inverse<B> {
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self(B::random(rng))
    }
}
