//! Fixed elementwise affine maps.

use nalgebra::SVector;

use crate::batch::{Block, LANES, add_to_every_lane};
use crate::bijection::on_one_block;
use crate::{Bijection, Error, Real};

/// `z = scale ⊙ x + shift` with fixed, finite, nonzero scales: a layer with nothing to train.
///
/// It is the inference form of [`ActNorm`](crate::layer::ActNorm) and of an
/// [`ElementwiseAffine`](crate::layer::ElementwiseAffine) without context (see
/// [`Flow::folded`](crate::Flow::folded)): its scales, their reciprocals and its log-determinant
/// are computed once, when it is made, so a call costs one multiply-add per element and no
/// transcendental function.
///
/// ```
/// use flows::Bijection;
/// use flows::layer::Diagonal;
/// use flows::nalgebra::SVector;
///
/// let map = Diagonal::new(&SVector::from([2.0, 0.5]), &SVector::from([1.0, 0.0]))?;
/// let (z, log_det) = Bijection::<f64, 2, 0>::forward(&map, &SVector::from([1.0, 4.0]), &SVector::zeros());
/// assert_eq!(z, SVector::from([3.0, 2.0]));
/// assert!(log_det.abs() < 1e-15); // ln 2 + ln 0.5
/// # Ok::<(), flows::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diagonal<T: Real, const D: usize> {
    scale: SVector<T, D>,
    shift: SVector<T, D>,
    /// `1 / scale`, for the inverse.
    inverse_scale: SVector<T, D>,
    /// `−shift / scale`, for the inverse.
    inverse_shift: SVector<T, D>,
    /// `Σ ln |scale|`.
    log_abs_det: T,
}

impl<T: Real, const D: usize> Diagonal<T, D> {
    /// The identity.
    pub fn identity() -> Self {
        Self {
            scale: SVector::repeat(T::one()),
            shift: SVector::zeros(),
            inverse_scale: SVector::repeat(T::one()),
            inverse_shift: SVector::zeros(),
            log_abs_det: T::zero(),
        }
    }

    /// The map `x ↦ scale ⊙ x + shift`.
    ///
    /// # Errors
    /// [`Error::NotFinite`] when a scale is zero or not finite, when its reciprocal is not finite
    /// (a subnormal scale), or when a shift is not finite: such a map is not an invertible
    /// bijection in floating point.
    pub fn new(scale: &SVector<T, D>, shift: &SVector<T, D>) -> Result<Self, Error> {
        let inverse_scale = scale.map(|s| T::one() / s);
        let finite = |v: &SVector<T, D>| v.iter().all(|x| x.is_finite());
        if !finite(scale) || !finite(&inverse_scale) || scale.iter().any(|s| *s == T::zero()) {
            return Err(Error::NotFinite {
                what: "diagonal map scale",
            });
        }
        if !finite(shift) {
            return Err(Error::NotFinite {
                what: "diagonal map shift",
            });
        }
        Ok(Self {
            scale: *scale,
            shift: *shift,
            inverse_scale,
            inverse_shift: -shift.component_mul(&inverse_scale),
            log_abs_det: scale
                .iter()
                .map(|s| s.abs().ln())
                .fold(T::zero(), |a, b| a + b),
        })
    }

    /// The map that applies `self`, then `next`.
    ///
    /// # Errors
    /// [`Error::NotFinite`] when the composed scales or shifts overflow or underflow.
    pub fn then(&self, next: &Self) -> Result<Self, Error> {
        Self::new(
            &next.scale.component_mul(&self.scale),
            &(next.scale.component_mul(&self.shift) + next.shift),
        )
    }

    /// The scales.
    pub fn scale(&self) -> &SVector<T, D> {
        &self.scale
    }

    /// The shifts.
    pub fn shift(&self) -> &SVector<T, D> {
        &self.shift
    }

    /// `ln |det J|` of the forward map: `Σ ln |scale|`.
    pub fn log_abs_det(&self) -> T {
        self.log_abs_det
    }
}

impl<T: Real, const D: usize> Default for Diagonal<T, D> {
    fn default() -> Self {
        Self::identity()
    }
}

impl<T: Real, const D: usize, const C: usize> Bijection<T, D, C> for Diagonal<T, D> {
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        (x.component_mul(&self.scale) + self.shift, self.log_abs_det)
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, C>) -> (SVector<T, D>, T) {
        (
            z.component_mul(&self.inverse_scale) + self.inverse_shift,
            -self.log_abs_det,
        )
    }

    #[inline]
    fn forward_lanes(&self, x: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        on_one_block(x, contexts, log_det, |x, c, l| self.forward_blocks(x, c, l));
    }

    #[inline]
    fn inverse_lanes(&self, z: &mut Block<T, D>, contexts: &Block<T, C>, log_det: &mut [T; LANES]) {
        on_one_block(z, contexts, log_det, |z, c, l| self.inverse_blocks(z, c, l));
    }

    /// All the blocks in one call of the diagonal lane kernel.
    #[inline]
    fn forward_blocks(
        &self,
        x: &mut [Block<T, D>],
        _contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        T::scale_shift_lanes(
            x.as_flattened_mut(),
            self.scale.as_slice(),
            self.shift.as_slice(),
        );
        add_to_every_lane(log_det, self.log_abs_det);
    }

    /// All the blocks in one call of the diagonal lane kernel.
    #[inline]
    fn inverse_blocks(
        &self,
        z: &mut [Block<T, D>],
        _contexts: &[Block<T, C>],
        log_det: &mut [[T; LANES]],
    ) {
        T::scale_shift_lanes(
            z.as_flattened_mut(),
            self.inverse_scale.as_slice(),
            self.inverse_shift.as_slice(),
        );
        add_to_every_lane(log_det, -self.log_abs_det);
    }
}
