//! The property-test harness every layer's tests use.
//!
//! Checks run in `f64` on random inputs and contexts and panic with a message that names the
//! property, the input and the numbers when a property fails:
//! - [`check_bijection`]: round trip `x -> z -> x` within 1e-10, forward and inverse log-dets that
//!   sum to 0, and a log-det equal to `log|det J|` of the central finite-difference Jacobian to a
//!   relative 1e-6;
//! - [`check_identity`]: the layer is the identity with log-det 0 (zero raw parameters);
//! - [`check_round_trip_f32`]: the round trip in `f32` within 1e-4;
//! - [`gradient`]: reverse-mode gradients against finite differences;
//! - [`spline`]: splines through their knots, and round trips at and around them.
//!
//! [`presets`] names torchflows' preset flows for the benchmarks and the timing examples.

/// The README's code example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExample;

use flows::nalgebra::{DMatrix, SMatrix, SVector};
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use flows::{Bijection, Parameters, Path, Real};

/// The seeded generator of the tests.
pub fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Adds `N(0, scale²)` noise to every parameter of `layer`.
pub fn perturb<T: Real, L: Parameters<T>>(layer: &mut L, rng: &mut Xoshiro256PlusPlus, scale: f64) {
    layer.visit_mut(&Path::ROOT, &mut |_, values| {
        for v in values {
            *v += T::lit(scale) * T::standard_normal(rng);
        }
    });
}

/// Sets every parameter of `layer` to zero.
pub fn zero_parameters<T: Real, L: Parameters<T>>(layer: &mut L) {
    layer.visit_mut(&Path::ROOT, &mut |_, values| values.fill(T::zero()));
}

/// A vector of independent `N(0, scale²)` entries.
pub fn random_vector<T: Real, const N: usize>(
    rng: &mut Xoshiro256PlusPlus,
    scale: f64,
) -> SVector<T, N> {
    SVector::from_fn(|_, _| T::lit(scale) * T::standard_normal(rng))
}

/// The Jacobian `dz/dx` of `layer.forward` at `x` by central differences.
pub fn jacobian<L, const D: usize, const C: usize>(
    layer: &L,
    x: &SVector<f64, D>,
    context: &SVector<f64, C>,
) -> SMatrix<f64, D, D>
where
    L: Bijection<f64, D, C>,
{
    let mut jac = SMatrix::<f64, D, D>::zeros();
    for j in 0..D {
        let step = 1e-5 * x[j].abs().max(1.0);
        let mut plus = *x;
        plus[j] += step;
        let mut minus = *x;
        minus[j] -= step;
        let column =
            (layer.forward(&plus, context).0 - layer.forward(&minus, context).0) / (2.0 * step);
        jac.set_column(j, &column);
    }
    jac
}

/// `log|det m|` from the LU factors (no overflow for large `D`).
pub fn log_abs_det<const D: usize>(m: &SMatrix<f64, D, D>) -> f64 {
    let lu = DMatrix::from_column_slice(D, D, m.as_slice()).lu();
    lu.u().diagonal().iter().map(|u| u.abs().ln()).sum()
}

fn max_abs<const D: usize>(v: &SVector<f64, D>) -> f64 {
    v.iter().fold(0.0, |m, e| m.max(e.abs()))
}

/// Checks round trip, log-det consistency and the log-det against the finite-difference Jacobian
/// on random inputs (and contexts, when `C > 0`) drawn from `seed`.
pub fn check_bijection<L, const D: usize, const C: usize>(layer: &L, seed: u64)
where
    L: Bijection<f64, D, C>,
{
    let mut rng = rng(seed);
    for case in 0..4 {
        let x: SVector<f64, D> = random_vector(&mut rng, 1.5);
        let context: SVector<f64, C> = random_vector(&mut rng, 1.0);
        let (z, log_det) = layer.forward(&x, &context);
        let (back, log_det_inverse) = layer.inverse(&z, &context);
        let error = max_abs(&(back - x));
        assert!(
            error <= 1e-10 * (1.0 + max_abs(&x)),
            "round trip: case {case}, |x - inverse(forward(x))| = {error:e} at x = {x:?}"
        );
        let sum = log_det + log_det_inverse;
        assert!(
            sum.abs() <= 1e-10 * (1.0 + log_det.abs()),
            "log-dets: case {case}, forward {log_det} + inverse {log_det_inverse} = {sum:e}"
        );
        let exact = log_abs_det(&jacobian(layer, &x, &context));
        assert!(
            (log_det - exact).abs() <= 1e-6 * exact.abs().max(1.0),
            "log-det: case {case}, layer says {log_det}, log|det J| = {exact} at x = {x:?}"
        );
    }
}

/// Checks that the layer is the identity with log-det 0 on random inputs and contexts.
pub fn check_identity<L, const D: usize, const C: usize>(layer: &L)
where
    L: Bijection<f64, D, C>,
{
    let mut rng = rng(99);
    for _ in 0..4 {
        let x: SVector<f64, D> = random_vector(&mut rng, 2.0);
        let context: SVector<f64, C> = random_vector(&mut rng, 1.0);
        for (name, (y, log_det)) in [
            ("forward", layer.forward(&x, &context)),
            ("inverse", layer.inverse(&x, &context)),
        ] {
            let error = max_abs(&(y - x));
            assert!(
                error <= 1e-12 * (1.0 + max_abs(&x)),
                "identity: {name} moves x by {error:e}"
            );
            assert!(
                log_det.abs() <= 1e-12,
                "identity: {name} log-det is {log_det:e}"
            );
        }
    }
}

/// Checks the round trip in `f32` within 1e-4 (relative to the input's size).
pub fn check_round_trip_f32<L, const D: usize, const C: usize>(layer: &L, seed: u64)
where
    L: Bijection<f32, D, C>,
{
    let mut rng = rng(seed);
    for case in 0..4 {
        let x: SVector<f32, D> = random_vector(&mut rng, 1.5);
        let context: SVector<f32, C> = random_vector(&mut rng, 1.0);
        let (z, log_det) = layer.forward(&x, &context);
        let (back, log_det_inverse) = layer.inverse(&z, &context);
        let error = (back - x).iter().fold(0.0f32, |m, e| m.max(e.abs()));
        let size = x.iter().fold(1.0f32, |m, e| m.max(e.abs()));
        assert!(
            error <= 1e-4 * size,
            "f32 round trip: case {case}, error {error:e}"
        );
        let sum = log_det + log_det_inverse;
        assert!(
            sum.abs() <= 1e-4 * (1.0 + log_det.abs()),
            "f32 log-dets: case {case}, sum {sum:e}"
        );
    }
}

pub mod gradient;
pub mod presets;
pub mod spline;
