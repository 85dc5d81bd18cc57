//! The constant conditioner transform.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::ConditionerTransform;
use crate::gradient::ConditionerGradient;
use crate::{Random, Real, impl_parameters};

/// Learned parameters that depend on neither the inputs nor the context (torchflows'
/// `Constant`). Starts at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant<T: Real, const P: usize, const B: usize> {
    /// The parameters, column `j` for target element `j`.
    pub value: SMatrix<T, P, B>,
}

impl<T: Real, const I: usize, const C: usize, const P: usize, const B: usize>
    ConditionerTransform<T, I, C, P, B> for Constant<T, P, B>
{
    #[inline]
    fn eval(&self, _x: &SVector<T, I>, _context: &SVector<T, C>) -> SMatrix<T, P, B> {
        self.value
    }
}

impl<T: Real, const I: usize, const C: usize, const P: usize, const B: usize>
    ConditionerGradient<T, I, C, P, B> for Constant<T, P, B>
{
    #[inline]
    fn backward(
        &self,
        _x: &SVector<T, I>,
        _context: &SVector<T, C>,
        d_out: &SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        grad.value += d_out;
        (SVector::zeros(), SVector::zeros())
    }
}

impl<T: Real, const P: usize, const B: usize> Random for Constant<T, P, B> {
    fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
        Self {
            value: SMatrix::zeros(),
        }
    }
}

impl_parameters!([T: Real, const P: usize, const B: usize] Constant<T, P, B> {
    value: SMatrix<T, P, B>,
});
