//! Fixed permutations of the event.

use nalgebra::SVector;
use rand::Rng;

use crate::batch::{Block, LANES};
use crate::conditioner::partition::check_indices;
use crate::gradient::BijectionGradient;
use crate::{Bijection, Error, Parameters, Path, Random, Real};

/// Reverses the order of the elements: `z[i] = x[D − 1 − i]`. Volume preserving, no parameters,
/// no storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReversePermutation;

impl<T: Real, const D: usize, const C: usize> Bijection<T, D, C> for ReversePermutation {
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        (SVector::from_fn(|i, _| x[D - 1 - i]), T::zero())
    }
    #[inline]
    fn inverse(&self, z: &SVector<T, D>, context: &SVector<T, C>) -> (SVector<T, D>, T) {
        self.forward(z, context)
    }
    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, _contexts: &Block<T, C>, _ld: &mut [T; LANES]) {
        T::reverse_blocks(core::slice::from_mut(x));
    }
    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, _contexts: &Block<T, C>, _ld: &mut [T; LANES]) {
        T::reverse_blocks(core::slice::from_mut(z));
    }
    /// All the blocks in one call of the reversal kernel.
    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        _contexts: &[Block<T, C>],
        _log_det: &mut [[T; LANES]],
    ) {
        T::reverse_blocks(x);
    }
    /// All the blocks in one call of the reversal kernel.
    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        _contexts: &[Block<T, C>],
        _log_det: &mut [[T; LANES]],
    ) {
        T::reverse_blocks(z);
    }
}

/// A fixed permutation: `z[i] = x[order[i]]`. Volume preserving, no parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permutation<const D: usize> {
    order: [usize; D],
    inverse: [usize; D],
}

impl<const D: usize> Permutation<D> {
    /// The permutation with `z[i] = x[order[i]]`.
    ///
    /// # Errors
    /// [`Error::Length`] unless `order` has `D` entries, [`Error::IndexOutOfRange`] for an entry
    /// `>= D`, [`Error::DuplicateIndex`] for an entry given twice.
    pub fn new(order: &[usize]) -> Result<Self, Error> {
        check_indices("permutation", order, D, &mut [false; D])?;
        let mut forward = [0; D];
        forward.copy_from_slice(order);
        let mut inverse = [0; D];
        for (i, &o) in forward.iter().enumerate() {
            inverse[o] = i;
        }
        Ok(Self {
            order: forward,
            inverse,
        })
    }

    /// The identity permutation.
    pub fn identity() -> Self {
        let order = core::array::from_fn(|i| i);
        Self {
            order,
            inverse: order,
        }
    }

    /// `order[i]` is the input index that lands at position `i`.
    pub const fn order(&self) -> &[usize; D] {
        &self.order
    }
}

impl<T: Real, const D: usize, const C: usize> Bijection<T, D, C> for Permutation<D> {
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        (SVector::from_fn(|i, _| x[self.order[i]]), T::zero())
    }
    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        (SVector::from_fn(|i, _| z[self.inverse[i]]), T::zero())
    }
    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, _contexts: &Block<T, C>, _ld: &mut [T; LANES]) {
        permute_rows(x, &self.order);
    }
    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, _contexts: &Block<T, C>, _ld: &mut [T; LANES]) {
        permute_rows(z, &self.inverse);
    }
}

/// `x[i] = old x[order[i]]` for every row of a lane block.
#[inline]
fn permute_rows<T: Real, const D: usize>(x: &mut Block<T, D>, order: &[usize; D]) {
    let old = *x;
    for (row, &from) in x.iter_mut().zip(order) {
        if let Some(source) = old.get(from) {
            *row = *source;
        }
    }
}

/// The gradient of a volume-preserving permutation: the upstream gradient of the output,
/// permuted back; no parameters, no context.
macro_rules! permutation_gradient {
    ([$($g:tt)*] $ty:ty) => {
        impl<T: Real, const D: usize, const C: usize, $($g)*> BijectionGradient<T, D, C> for $ty {
            #[inline]
            fn backward_forward(
                &self,
                _x: &SVector<T, D>,
                context: &SVector<T, C>,
                d_z: &SVector<T, D>,
                _d_log_det: T,
                _grad: &mut Self,
                _d_context: &mut SVector<T, C>,
            ) -> SVector<T, D> {
                // z = P x, so dL/dx = Pᵀ dL/dz = P⁻¹ dL/dz: the inverse map.
                Bijection::<T, D, C>::inverse(self, d_z, context).0
            }

            #[inline]
            fn backward_inverse(
                &self,
                _z: &SVector<T, D>,
                context: &SVector<T, C>,
                d_x: &SVector<T, D>,
                _d_log_det: T,
                _grad: &mut Self,
                _d_context: &mut SVector<T, C>,
            ) -> SVector<T, D> {
                Bijection::<T, D, C>::forward(self, d_x, context).0
            }
        }
    };
}

permutation_gradient!([] ReversePermutation);
permutation_gradient!([] Permutation<D>);

/// Parameter-free layers: no tensors to visit, initialization ignores the generator.
macro_rules! parameter_free {
    ([$($g:tt)*] $ty:ty, $init:expr) => {
        impl<T: Real, $($g)*> Parameters<T> for $ty {
            const COUNT: usize = 0;
            fn visit(&self, _path: &Path<'_>, _f: &mut dyn FnMut(&Path<'_>, &[T])) {}
            fn visit_mut(&mut self, _path: &Path<'_>, _f: &mut dyn FnMut(&Path<'_>, &mut [T])) {}
        }
        impl<$($g)*> Random for $ty {
            fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
                $init
            }
        }
    };
}

parameter_free!([] ReversePermutation, ReversePermutation);
parameter_free!([const D: usize] Permutation<D>, Permutation::identity());
