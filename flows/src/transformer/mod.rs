//! Transformers: elementwise invertible maps whose parameters come from a conditioner.
//!
//! A transformer maps one scalar `x` to `y` given `P` raw parameters `h` (the conditioner's
//! outputs for that element) and reports `log dy/dx`. The const parameter `P` of
//! [`Transformer`] is the number of parameters per element each transformer states:
//!
//! | transformer | `P` | zero parameters |
//! |---|---|---|
//! | [`Affine`] | 2 | identity |
//! | [`Shift`] | 1 | identity |
//! | [`Scale`] | 1 | identity |
//! | [`RationalQuadratic<K>`] | `3K − 1` | identity |
//! | [`LinearRational<K>`] | `4K` | identity |
//! | [`DeepSigmoid<H, L>`] | `3HL` | near-identity (torchflows': near-identity) |
//! | [`Inverted<Tr>`] | as `Tr` | as `Tr` |

mod affine;
mod deep_sigmoid;
mod inverted;
mod knots;
mod linear_rational;
mod rational_quadratic;
mod spline_lanes;

pub use affine::{Affine, MIN_SCALE, Scale, Shift};
pub(crate) use affine::{
    E_MAX as AFFINE_E_MAX, NEAR_MIN as AFFINE_NEAR_MIN, scale as affine_scale,
};
pub use deep_sigmoid::{DeepSigmoid, Sigmoid};
pub use inverted::{InverseAffine, Inverted};
pub use knots::Parameterization;
pub use linear_rational::LinearRational;
pub use rational_quadratic::{DEFAULT_BOUND, RationalQuadratic};

use nalgebra::{SMatrix, SVector};

use crate::Real;
use crate::batch::{Block, LANES};
use crate::kernel::{EventMap, Lanes};

/// An elementwise invertible map with `P` raw parameters per element.
///
/// Both directions are strictly increasing maps of the real line; `forward` returns
/// `(y, log dy/dx)` and `inverse` returns `(x, log dx/dy)`, the log-derivative of the map it applies.
/// A NaN input gives a NaN output, never a panic.
pub trait Transformer<T: Real, const P: usize>: Copy + Default {
    /// Maps `x` forward under parameters `h`: `(y, log dy/dx)`.
    fn forward(&self, x: T, h: &SVector<T, P>) -> (T, T);
    /// Maps `y` back under parameters `h`: `(x, log dx/dy)`.
    fn inverse(&self, y: T, h: &SVector<T, P>) -> (T, T);

    /// [`forward`](Transformer::forward) of the elements of one event in place: `x[j]` under
    /// parameters `h[j]`; returns the sum of the log-derivatives. Transformers with lane-block
    /// kernels override this to run the elements as the lanes of a row; the default maps one
    /// value at a time.
    #[inline]
    fn forward_elements(&self, x: &mut [T], h: &[SVector<T, P>]) -> T {
        each_element(x, h, |x, h| self.forward(x, h))
    }

    /// [`inverse`](Transformer::inverse) of the elements of one event in place; see
    /// [`forward_elements`](Transformer::forward_elements).
    #[inline]
    fn inverse_elements(&self, y: &mut [T], h: &[SVector<T, P>]) -> T {
        each_element(y, h, |y, h| self.inverse(y, h))
    }

    /// The map of [`forward_elements`](Transformer::forward_elements) (or, when `inverse`, of
    /// [`inverse_elements`](Transformer::inverse_elements)) as a fused kernel's
    /// [`EventMap`] and direction (`true`: the map's inverse), when it is one of them: for
    /// conditioners that run their network and the map in one kernel
    /// ([`Kernels::mlp_map_event`](crate::kernel::Kernels::mlp_map_event)). `None` by default.
    #[inline]
    fn event_map(&self, inverse: bool) -> Option<(EventMap, bool)> {
        let _ = inverse;
        None
    }

    /// [`forward`](Transformer::forward) over lane blocks: element `j` of every event, `x[j]`,
    /// under its parameters `h[j]`, adding the log-derivatives into `log_det`. Transformers with
    /// lane-block kernels override this; the default maps one value at a time.
    #[inline]
    fn forward_lanes(&self, x: &mut [Lanes<T>], h: &[Block<T, P>], log_det: &mut Lanes<T>) {
        each_lane(x, h, log_det, |x, h| self.forward(x, h));
    }

    /// [`inverse`](Transformer::inverse) over lane blocks; see
    /// [`forward_lanes`](Transformer::forward_lanes).
    #[inline]
    fn inverse_lanes(&self, y: &mut [Lanes<T>], h: &[Block<T, P>], log_det: &mut Lanes<T>) {
        each_lane(y, h, log_det, |y, h| self.inverse(y, h));
    }

    /// [`forward_lanes`](Transformer::forward_lanes) with the same parameters for every event
    /// (layers whose conditioner reads neither inputs nor a context), over lane blocks: `x` holds
    /// `log_det.len()` blocks of `h.len()` rows, row `j` of each under `h[j]`, and block `b`'s
    /// log-derivatives go into `log_det[b]`. Transformers whose work on the parameters is
    /// costly (the affine scales) override this to do it once for all the blocks.
    #[inline]
    fn forward_lanes_shared(
        &self,
        x: &mut [Lanes<T>],
        h: &[SVector<T, P>],
        log_det: &mut [Lanes<T>],
    ) {
        each_shared(x, h, log_det, |x, h, log_det| {
            self.forward_lanes(x, h, log_det)
        });
    }

    /// [`inverse_lanes`](Transformer::inverse_lanes) with the same parameters for every event;
    /// see [`forward_lanes_shared`](Transformer::forward_lanes_shared).
    #[inline]
    fn inverse_lanes_shared(
        &self,
        y: &mut [Lanes<T>],
        h: &[SVector<T, P>],
        log_det: &mut [Lanes<T>],
    ) {
        each_shared(y, h, log_det, |y, h, log_det| {
            self.inverse_lanes(y, h, log_det)
        });
    }
}

/// Applies the lane map `map` to every row of the blocks of `x` (`h.len()` rows each, one per
/// element of `h`, with its own entry of `log_det`), under its element's parameters in every lane.
#[inline]
fn each_shared<T: Real, const P: usize>(
    x: &mut [Lanes<T>],
    h: &[SVector<T, P>],
    log_det: &mut [Lanes<T>],
    map: impl Fn(&mut [Lanes<T>], &[Block<T, P>], &mut Lanes<T>),
) {
    for (rows, log_det) in x.chunks_mut(h.len().max(1)).zip(log_det) {
        for (x, h) in rows.iter_mut().zip(h) {
            let block: Block<T, P> = core::array::from_fn(|p| [h[p]; LANES]);
            map(
                core::slice::from_mut(x),
                core::slice::from_ref(&block),
                log_det,
            );
        }
    }
}

/// Applies `map` to every value of `x` under the matching parameters; returns the sum of the
/// log-derivatives.
#[inline]
fn each_element<T: Real, const P: usize>(
    x: &mut [T],
    h: &[SVector<T, P>],
    map: impl Fn(T, &SVector<T, P>) -> (T, T),
) -> T {
    let mut log_det = T::zero();
    for (v, h) in x.iter_mut().zip(h) {
        let (y, d) = map(*v, h);
        *v = y;
        log_det += d;
    }
    log_det
}

/// The columns of a conditioner's output `h`: the parameters of each element, for
/// [`Transformer::forward_elements`] and [`Transformer::inverse_elements`].
#[inline]
pub(crate) fn columns<T: Real, const P: usize, const B: usize>(
    h: &SMatrix<T, P, B>,
) -> [SVector<T, P>; B] {
    let mut params = [SVector::<T, P>::zeros(); B];
    for (p, column) in params.iter_mut().zip(h.as_slice().chunks_exact(P)) {
        if let Ok(column) = <[T; P]>::try_from(column) {
            *p = SVector::from(column);
        }
    }
    params
}

/// Applies `map` to every value of the lane rows `x` under the matching parameters.
#[inline]
fn each_lane<T: Real, const P: usize>(
    x: &mut [Lanes<T>],
    h: &[Block<T, P>],
    log_det: &mut Lanes<T>,
    map: impl Fn(T, &SVector<T, P>) -> (T, T),
) {
    for (row, params) in x.iter_mut().zip(h) {
        for (l, (v, ld)) in row.iter_mut().zip(log_det.iter_mut()).enumerate() {
            let (y, d) = map(*v, &SVector::from_fn(|p, _| params[p][l]));
            *v = y;
            *ld += d;
        }
    }
}
