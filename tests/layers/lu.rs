//! The LU linear layer and its matrix: round trip, log-det against the finite-difference
//! Jacobian, identity at zero parameters and gradients against finite differences, over the event
//! sizes of the issue, with and without context, with a permutation and negative signs.

use flows::layer::{LuLinear, LuMatrix, Permutation};
use flows::nalgebra::{SMatrix, SVector};
use flows::{Parameters, Random};
use harness::gradient::check_bijection_gradient;
use harness::{
    check_bijection, check_identity, check_round_trip_f32, log_abs_det, perturb, random_vector,
    rng, zero_parameters,
};

/// A matrix with a rotated permutation, every third sign negative, and parameters drawn from
/// `N(0, 1/D)` (so `W` stays well conditioned at `D = 64`).
fn matrix<T: flows::Real, const D: usize>(seed: u64) -> LuMatrix<T, D> {
    let mut order: [usize; D] = core::array::from_fn(|i| i);
    order.rotate_left(D / 3);
    let permutation = Permutation::new(&order).expect("a permutation");
    let mut w = LuMatrix::new(permutation, core::array::from_fn(|i| i % 3 == 1));
    perturb(&mut w, &mut rng(seed), 1.0 / (D as f64).sqrt());
    w
}

/// A layer with [`matrix`] and a random bias.
fn layer<T: flows::Real, const D: usize>(seed: u64) -> LuLinear<T, D> {
    LuLinear {
        weight: matrix(seed),
        bias: random_vector(&mut rng(seed + 1), 0.5),
    }
}

/// `P`, `L` and `U` built densely from the packing the documentation states.
fn dense_factors<const D: usize>(
    w: &LuMatrix<f64, D>,
    order: &[usize; D],
    negative: &[bool; D],
) -> SMatrix<f64, D, D> {
    let f = &w.factors;
    let p = SMatrix::<f64, D, D>::from_fn(|i, j| f64::from(u8::from(order[i] == j)));
    let l = SMatrix::<f64, D, D>::from_fn(|i, j| match i.cmp(&j) {
        core::cmp::Ordering::Greater => f[(i, j)],
        core::cmp::Ordering::Equal => 1.0,
        core::cmp::Ordering::Less => 0.0,
    });
    let u = SMatrix::<f64, D, D>::from_fn(|i, j| match i.cmp(&j) {
        core::cmp::Ordering::Less => f[(i, j)],
        core::cmp::Ordering::Equal => f[(i, i)].exp() * if negative[i] { -1.0 } else { 1.0 },
        core::cmp::Ordering::Greater => 0.0,
    });
    p * l * u
}

macro_rules! lu_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        mod $name {
            use super::*;

            const D: usize = $d;
            const C: usize = $c;

            #[test]
            fn round_trip_and_log_det() {
                check_bijection::<_, D, C>(&layer::<f64, D>(1), 2);
                check_round_trip_f32::<_, D, C>(&layer::<f32, D>(3), 4);
            }

            #[test]
            fn identity_at_zero_parameters() {
                let mut zero = layer::<f64, D>(5);
                zero.weight = LuMatrix::identity();
                zero_parameters(&mut zero);
                check_identity::<_, D, C>(&zero);
                check_identity::<_, D, C>(&LuLinear::<f64, D>::random(&mut rng(6)));
            }

            #[test]
            fn gradients() {
                check_bijection_gradient::<_, D, C>(&layer::<f64, D>(7), 8);
            }

            #[test]
            fn matrix_is_p_l_u() {
                let w = matrix::<f64, D>(9);
                let mut order: [usize; D] = core::array::from_fn(|i| i);
                order.rotate_left(D / 3);
                let negative = core::array::from_fn(|i| i % 3 == 1);
                let dense = dense_factors(&w, &order, &negative);
                assert!((w.to_matrix() - dense).amax() < 1e-12, "W differs from P L U");
                let x: SVector<f64, D> = random_vector(&mut rng(10), 1.0);
                assert!((w.apply(&x) - dense * x).amax() < 1e-12, "W x differs");
                let exact = log_abs_det(&dense);
                assert!(
                    (w.log_abs_det() - exact).abs() < 1e-10 * exact.abs().max(1.0),
                    "log|det W| = {exact}, the matrix says {}",
                    w.log_abs_det()
                );
            }
        }
    )*};
}

lu_tests! {
    d1: 1, 0;
    d2: 2, 0;
    d3_context: 3, 2;
    d10: 10, 0;
    d10_context: 10, 3;
    d64: 64, 0;
}

#[test]
fn parameters_are_the_packed_factors_and_the_bias() {
    let layer = LuLinear::<f64, 3>::identity();
    let mut names = Vec::new();
    layer.visit(&flows::Path::ROOT, &mut |path, values| {
        names.push((path.to_string(), values.len()));
    });
    assert_eq!(
        names,
        [("weight.factors".to_string(), 9), ("bias".to_string(), 3)]
    );
    assert_eq!(<LuLinear<f64, 3> as Parameters<f64>>::COUNT, 12);
}

#[test]
fn signs_set_the_sign_of_the_determinant() {
    let w = LuMatrix::<f64, 3>::new(Permutation::identity(), [true, false, true]);
    assert_eq!(w.to_matrix().determinant(), 1.0);
    let w = LuMatrix::<f64, 3>::new(Permutation::identity(), [true, false, false]);
    assert_eq!(w.to_matrix().determinant(), -1.0);
}
