//! Coupling layers with every conditioner transform and the affine family, over the event sizes
//! of the issue, with and without context, at random parameters.

use flows::conditioner::Partition;
use flows::layer::Coupling;
use flows::net::{Constant, FeedForward, Linear, Relu, ResidualFeedForward};
use flows::transformer::{Affine, InverseAffine, Scale, Shift};
use flows::{Error, Inverse, Random};
use harness::{
    check_bijection, check_identity, check_round_trip_f32, perturb, rng, zero_parameters,
};

/// For each event size `D` (half split `A = D/2`, `B = D - A`) and context size, a module of tests.
macro_rules! coupling_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        mod $name {
            use super::*;

            const D: usize = $d;
            const A: usize = $d / 2;
            const B: usize = $d - $d / 2;
            const C: usize = $c;

            type AffineFF = Coupling<Affine, FeedForward<f64, A, C, 8, 1, 2, B>, D, A, B, 2>;
            type ShiftResidual = Coupling<Shift, ResidualFeedForward<f64, A, C, 6, 1, 1, B>, D, A, B, 1>;
            type ScaleLinear = Coupling<Scale, Linear<f64, A, C, 1, B>, D, A, B, 1>;
            type AffineConstant = Coupling<Affine, Constant<f64, 2, B>, D, A, B, 2>;
            type InverseAffineTanh = Coupling<InverseAffine, FeedForward<f64, A, C, 5, 0, 2, B>, D, A, B, 2>;
            type ReluFF = Coupling<Affine, FeedForward<f64, A, C, 7, 2, 2, B, Relu>, D, A, B, 2>;

            fn perturbed<L: Random + flows::Parameters<f64>>(seed: u64) -> L {
                let mut rng = rng(seed);
                let mut layer = L::random(&mut rng);
                perturb(&mut layer, &mut rng, 0.4);
                layer
            }

            #[test]
            fn affine_feed_forward() {
                check_bijection::<_, D, C>(&perturbed::<AffineFF>(1), 11);
            }

            #[test]
            fn shift_residual() {
                check_bijection::<_, D, C>(&perturbed::<ShiftResidual>(2), 12);
            }

            #[test]
            fn scale_linear() {
                check_bijection::<_, D, C>(&perturbed::<ScaleLinear>(3), 13);
            }

            #[test]
            fn affine_constant() {
                check_bijection::<_, D, C>(&perturbed::<AffineConstant>(4), 14);
            }

            #[test]
            fn inverse_affine_and_inverse_layer() {
                let layer = perturbed::<InverseAffineTanh>(5);
                check_bijection::<_, D, C>(&layer, 15);
                check_bijection::<_, D, C>(&Inverse(layer), 16);
            }

            #[test]
            fn relu_deep_feed_forward() {
                check_bijection::<_, D, C>(&perturbed::<ReluFF>(6), 17);
            }

            #[test]
            fn zero_parameters_give_the_identity() {
                let mut affine = perturbed::<AffineFF>(7);
                zero_parameters(&mut affine);
                check_identity::<_, D, C>(&affine);
                let mut shift = perturbed::<ShiftResidual>(8);
                zero_parameters(&mut shift);
                check_identity::<_, D, C>(&shift);
                let mut scale = perturbed::<ScaleLinear>(9);
                zero_parameters(&mut scale);
                check_identity::<_, D, C>(&scale);
            }

            #[test]
            fn initialization_is_the_identity() {
                check_identity::<_, D, C>(&AffineFF::random(&mut rng(10)));
            }

            #[test]
            fn f32_round_trip() {
                let mut rng = rng(20);
                let mut layer = Coupling::<Affine, FeedForward<f32, A, C, 8, 1, 2, B>, D, A, B, 2>::random(&mut rng);
                perturb(&mut layer, &mut rng, 0.4);
                check_round_trip_f32::<_, D, C>(&layer, 21);
            }
        }
    )*};
}

coupling_tests! {
    d1: 1, 0;
    d1_context: 1, 3;
    d2: 2, 0;
    d2_context: 2, 3;
    d3: 3, 0;
    d3_context: 3, 3;
    d5: 5, 0;
    d5_context: 5, 2;
    d10: 10, 0;
    d10_context: 10, 3;
    d64: 64, 0;
    d64_context: 64, 4;
}

#[test]
fn seeded_initialization_is_deterministic() {
    type L = Coupling<Affine, FeedForward<f64, 2, 0, 8, 1, 2, 3>, 5, 2, 3, 2>;
    assert_eq!(L::random(&mut rng(3)), L::random(&mut rng(3)));
    assert_ne!(L::random(&mut rng(3)), L::random(&mut rng(4)));
}

#[test]
fn explicit_partitions() {
    type L = Coupling<Affine, FeedForward<f64, 2, 0, 8, 0, 2, 3>, 5, 2, 3, 2>;
    let partition = Partition::<5, 2, 3>::from_source(&[4, 1]).expect("valid partition");
    assert_eq!(partition.target(), &[0, 2, 3]);
    let mut rng = rng(5);
    let mut layer = L::with_partition(partition, &mut rng);
    perturb(&mut layer, &mut rng, 0.5);
    check_bijection::<_, 5, 0>(&layer, 6);
    // The source elements pass unchanged.
    let x = flows::nalgebra::SVector::<f64, 5>::from_fn(|i, _| i as f64 - 1.3);
    let (z, _) = flows::Bijection::<f64, 5, 0>::forward(&layer, &x, &Default::default());
    assert_eq!((z[4], z[1]), (x[4], x[1]));
    assert_ne!(z[0], x[0]);
}

/// The lane path maps a batch as the per-event path does whatever the partition: the half split
/// (its rows in place), a shuffled one and the half split's lists given out of order (gathered
/// copies); `Partition::is_half_split` tells them apart.
#[test]
fn every_partition_maps_batches_as_events() {
    type L = Coupling<Affine, FeedForward<f64, 2, 0, 8, 0, 2, 3>, 5, 2, 3, 2>;
    let partitions = [
        Partition::<5, 2, 3>::half_split(),
        Partition::from_source(&[4, 1]).expect("valid partition"),
        Partition::new(&[1, 0], &[2, 3, 4]).expect("valid partition"),
    ];
    let halves: Vec<bool> = partitions.iter().map(Partition::is_half_split).collect();
    assert_eq!(halves, [true, false, false]);
    let mut rng = rng(8);
    for partition in partitions {
        let mut layer = L::with_partition(partition, &mut rng);
        perturb(&mut layer, &mut rng, 0.5);
        let xs: Vec<_> = (0..37)
            .map(|_| harness::random_vector::<f64, 5>(&mut rng, 1.0))
            .collect();
        let zero = flows::nalgebra::SVector::<f64, 0>::zeros();
        for inverse in [false, true] {
            let mut batch = xs.clone();
            let mut log_det = vec![0.0; xs.len()];
            let contexts = flows::batch::Contexts::Shared(&zero);
            let map = |x: &_| {
                if inverse {
                    flows::Bijection::inverse(&layer, x, &zero)
                } else {
                    flows::Bijection::forward(&layer, x, &zero)
                }
            };
            if inverse {
                flows::Bijection::inverse_batch(&layer, &mut batch, contexts, &mut log_det)
            } else {
                flows::Bijection::forward_batch(&layer, &mut batch, contexts, &mut log_det)
            }
            .expect("matching lengths");
            for ((x, z), ld) in xs.iter().zip(&batch).zip(&log_det) {
                let (want, want_ld) = map(x);
                assert!((z - want).amax() < 1e-12 && (ld - want_ld).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn bad_partitions_are_errors_that_name_the_problem() {
    assert_eq!(
        Partition::<5, 2, 3>::from_source(&[1]),
        Err(Error::Length {
            what: "coupling source",
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        Partition::<5, 2, 3>::from_source(&[1, 5]),
        Err(Error::IndexOutOfRange {
            what: "coupling source",
            index: 5,
            size: 5
        })
    );
    assert_eq!(
        Partition::<5, 2, 3>::from_source(&[3, 3]),
        Err(Error::DuplicateIndex {
            what: "coupling source",
            index: 3
        })
    );
    assert_eq!(
        Partition::<4, 2, 2>::new(&[0, 1], &[1, 2]),
        Err(Error::DuplicateIndex {
            what: "coupling target",
            index: 1
        })
    );
    let message = Partition::<5, 2, 3>::from_source(&[1, 9])
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "coupling source holds index 9, out of range for size 5"
    );
}
