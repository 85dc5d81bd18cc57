//! Elementwise layers, ActNorm and permutations.

use flows::layer::{
    ActNorm, ElementwiseAffine, ElementwiseScale, ElementwiseShift, Permutation, ReversePermutation,
};
use flows::nalgebra::SVector;
use flows::{Bijection, Error, Random};
use harness::{check_bijection, check_identity, perturb, random_vector, rng, zero_parameters};

macro_rules! elementwise_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        mod $name {
            use super::*;

            const D: usize = $d;
            const C: usize = $c;

            fn perturbed<L: Random + flows::Parameters<f64>>(seed: u64) -> L {
                let mut rng = rng(seed);
                let mut layer = L::random(&mut rng);
                perturb(&mut layer, &mut rng, 0.5);
                layer
            }

            #[test]
            fn elementwise_affine() {
                let layer = perturbed::<ElementwiseAffine<f64, D, C>>(1);
                check_bijection::<_, D, C>(&layer, 2);
                let mut zero = layer;
                zero_parameters(&mut zero);
                check_identity::<_, D, C>(&zero);
            }

            #[test]
            fn elementwise_shift_and_scale() {
                check_bijection::<_, D, C>(&perturbed::<ElementwiseShift<f64, D, C>>(3), 4);
                check_bijection::<_, D, C>(&perturbed::<ElementwiseScale<f64, D, C>>(5), 6);
            }

            #[test]
            fn actnorm() {
                let layer = perturbed::<ActNorm<f64, D>>(7);
                check_bijection::<_, D, C>(&layer, 8);
                check_identity::<_, D, C>(&ActNorm::<f64, D>::random(&mut rng(0)));
            }

            #[test]
            fn permutations() {
                check_bijection::<_, D, C>(&ReversePermutation, 9);
                let mut order: [usize; D] = core::array::from_fn(|i| i);
                order.rotate_left(D / 3);
                check_bijection::<_, D, C>(&Permutation::<D>::new(&order).expect("a permutation"), 10);
            }
        }
    )*};
}

elementwise_tests! {
    d1: 1, 0;
    d2: 2, 0;
    d3_context: 3, 2;
    d5: 5, 0;
    d10_context: 10, 3;
    d64: 64, 0;
}

#[test]
fn actnorm_initializes_to_zero_mean_unit_std() {
    let mut rng = rng(3);
    let mut batch: Vec<SVector<f64, 3>> = (0..500)
        .map(|_| {
            random_vector::<f64, 3>(&mut rng, 1.0).component_mul(&SVector::from([0.5, 2.0, 7.0]))
                + SVector::from([1.0, -3.0, 10.0])
        })
        .collect();
    let original = batch.clone();
    let mut layer = ActNorm::<f64, 3>::identity();
    Bijection::<f64, 3, 0>::initialize_from_data(&mut layer, &mut batch, &|_| SVector::zeros());
    let n = batch.len() as f64;
    let mean = batch.iter().sum::<SVector<f64, 3>>() / n;
    let var = batch
        .iter()
        .map(|x| (x - mean).component_mul(&(x - mean)))
        .sum::<SVector<f64, 3>>()
        / (n - 1.0);
    assert!(mean.amax() < 1e-12, "mean {mean:?}");
    assert!(
        (var - SVector::repeat(1.0)).amax() < 1e-12,
        "variance {var:?}"
    );
    // The batch was mapped by the initialized layer.
    let (z0, _) = Bijection::<f64, 3, 0>::forward(&layer, &original[0], &SVector::zeros());
    assert_eq!(z0, batch[0]);
}

#[test]
fn actnorm_on_a_batch_of_one_has_unit_scale() {
    let mut batch = vec![SVector::<f64, 2>::from([3.0, -1.0])];
    let mut layer = ActNorm::<f64, 2>::identity();
    Bijection::<f64, 2, 0>::initialize_from_data(&mut layer, &mut batch, &|_| SVector::zeros());
    assert_eq!(layer.log_scale, SVector::<f64, 2>::zeros());
    assert_eq!(batch[0], SVector::<f64, 2>::zeros());
}

#[test]
fn reverse_permutation_reverses() {
    let x = SVector::<f64, 4>::from([1.0, 2.0, 3.0, 4.0]);
    let (z, log_det) = Bijection::<f64, 4, 0>::forward(&ReversePermutation, &x, &SVector::zeros());
    assert_eq!(z, SVector::from([4.0, 3.0, 2.0, 1.0]));
    assert_eq!(log_det, 0.0);
}

#[test]
fn bad_permutations_are_errors() {
    assert_eq!(
        Permutation::<3>::new(&[0, 1]),
        Err(Error::Length {
            what: "permutation",
            expected: 3,
            found: 2
        })
    );
    assert_eq!(
        Permutation::<3>::new(&[0, 1, 3]),
        Err(Error::IndexOutOfRange {
            what: "permutation",
            index: 3,
            size: 3
        })
    );
    assert_eq!(
        Permutation::<3>::new(&[0, 2, 2]),
        Err(Error::DuplicateIndex {
            what: "permutation",
            index: 2
        })
    );
}
