//! The scalar types a flow computes in.

use nalgebra::RealField;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// A floating-point scalar a flow computes in: `f32` or `f64`.
///
/// Everything `nalgebra` needs ([`RealField`]) plus the few conversions and draws the layers use.
/// Works without `std` (the maths come from `libm`).
pub trait Real:
    RealField + Copy + Default + core::fmt::Debug + Send + Sync + 'static + crate::kernel::Kernels
{
    /// Converts an `f64` constant (rounding for `f32`).
    fn lit(x: f64) -> Self;
    /// Widens to `f64`.
    fn to_f64(self) -> f64;
    /// Draws a standard normal variate.
    fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> Self;
    /// Draws a variate uniform on `[-bound, bound)`.
    fn uniform<R: Rng + ?Sized>(rng: &mut R, bound: Self) -> Self;
}

macro_rules! impl_real {
    ($($t:ty),*) => {$(
        impl Real for $t {
            #[inline(always)]
            fn lit(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> Self {
                StandardNormal.sample(rng)
            }
            #[inline]
            fn uniform<R: Rng + ?Sized>(rng: &mut R, bound: Self) -> Self {
                let unit: $t = rand::distr::StandardUniform.sample(rng);
                (2.0 * unit - 1.0) * bound
            }
        }
    )*};
}

impl_real!(f32, f64);
