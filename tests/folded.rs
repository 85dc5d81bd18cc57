//! Folded presets ([`Flow::folded`]): the same function as the original flow, per event and over
//! batches, in both directions, for every preset family; [`Diagonal`] maps pass the bijection
//! checks; fixed maps that are not finite are errors.

use flows::distribution::Distribution;
use flows::layer::Diagonal;
use flows::nalgebra::SVector;
use flows::{
    Bijection, CouplingRQNSF, Error, Flow, IAF, MAF, MaskedAutoregressiveRQNSF, NICE, Real, RealNVP,
};
use harness::{check_bijection, check_identity, perturb, random_vector, rng};

/// Largest difference of `a` from `b`, relative to `b`'s size with a floor of 1.
fn relative<T: Real, const D: usize>(a: &SVector<T, D>, b: &SVector<T, D>) -> f64 {
    let size = b.iter().fold(1.0f64, |m, v| m.max(v.to_f64().abs()));
    (a - b).iter().fold(0.0f64, |m, v| m.max(v.to_f64().abs())) / size
}

/// Checks that `folded` is `flow` to the relative tolerance `tol`: log-densities, both
/// directions with their log-dets, samples from the same generator, and the batch methods.
fn check_same<T, const D: usize, B, F, Base>(
    flow: &Flow<T, D, 0, B, Base>,
    folded: &Flow<T, D, 0, F, Base>,
    tol: f64,
) where
    T: Real,
    B: Bijection<T, D, 0> + Sync,
    F: Bijection<T, D, 0> + Sync,
    Base: Distribution<T, D> + Sync,
{
    let mut draws = rng(13);
    let none = SVector::<T, 0>::zeros();
    let scalar = |a: T, b: T| relative(&SVector::<T, 1>::from([a]), &SVector::<T, 1>::from([b]));
    for case in 0..8 {
        let x: SVector<T, D> = random_vector(&mut draws, 1.5);
        let lp = scalar(folded.log_prob(&x), flow.log_prob(&x));
        assert!(lp <= tol, "case {case}: log_prob differs by {lp:e}");
        for (direction, ours, theirs) in [
            (
                "forward",
                folded.bijection.forward(&x, &none),
                flow.bijection.forward(&x, &none),
            ),
            (
                "inverse",
                folded.bijection.inverse(&x, &none),
                flow.bijection.inverse(&x, &none),
            ),
        ] {
            let error = relative(&ours.0, &theirs.0).max(scalar(ours.1, theirs.1));
            assert!(
                error <= tol,
                "case {case}: {direction} differs by {error:e}"
            );
        }
        let sample = relative(&folded.sample(&mut rng(case)), &flow.sample(&mut rng(case)));
        assert!(sample <= tol, "case {case}: samples differ by {sample:e}");
    }
    let xs: Vec<SVector<T, D>> = (0..100).map(|_| random_vector(&mut draws, 1.0)).collect();
    let mut log_p = vec![T::zero(); xs.len()];
    folded.log_prob_batch(&xs[..], &mut log_p).unwrap();
    for (x, lp) in xs.iter().zip(&log_p) {
        let error = scalar(*lp, flow.log_prob(x));
        assert!(error <= tol, "batch log_prob differs by {error:e}");
    }
    let mut samples = vec![SVector::<T, D>::zeros(); 100];
    let mut expected = samples.clone();
    folded
        .sample_batch(&mut rng(3), &mut samples[..], &mut [])
        .unwrap();
    flow.sample_batch(&mut rng(3), &mut expected[..], &mut [])
        .unwrap();
    for (s, e) in samples.iter().zip(&expected) {
        let error = relative(s, e);
        assert!(error <= tol, "batch samples differ by {error:e}");
    }
}

macro_rules! family_tests {
    ($($name:ident: $flow:ty, $tol:expr;)*) => {$(
        #[test]
        fn $name() {
            let mut draws = rng(5);
            let mut flow = <$flow>::random(&mut draws);
            // Every layer away from the identity, ActNorm and the elementwise maps included.
            perturb(&mut flow, &mut draws, 0.3);
            let folded = flow.folded().unwrap();
            check_same(&flow, &folded, $tol);
        }
    )*};
}

family_tests! {
    nice: NICE!(f64, 9, layers = 3, hidden = 8), 1e-12;
    real_nvp: RealNVP!(f64, 10, layers = 2, hidden = 8), 1e-12;
    real_nvp_torchflows_layout: RealNVP!(f64, 10, layers = 2, hidden = 5, hidden_layers = 1), 1e-12;
    maf: MAF!(f64, 6, layers = 3, hidden = 8), 1e-12;
    iaf: IAF!(f64, 6, layers = 2, hidden = 8), 1e-12;
    coupling_rq: CouplingRQNSF!(f64, 6, layers = 2, hidden = 8), 1e-12;
    autoregressive_rq: MaskedAutoregressiveRQNSF!(f64, 5, layers = 2, hidden = 8), 1e-12;
    real_nvp_f32: RealNVP!(f32, 10, layers = 2, hidden = 16), 1e-4;
}

#[test]
fn diagonal_maps_are_bijections() {
    let mut draws = rng(1);
    for seed in 0..3 {
        // Scales of both signs, away from zero.
        let scale = SVector::<f64, 5>::from_fn(|i, _| {
            // Uniform on [0.2, 2.2).
            let magnitude = 1.2 + f64::uniform(&mut draws, 1.0);
            if (i + seed) % 2 == 0 {
                magnitude
            } else {
                -magnitude
            }
        });
        let shift: SVector<f64, 5> = random_vector(&mut draws, 1.0);
        let map = Diagonal::new(&scale, &shift).unwrap();
        check_bijection::<_, 5, 0>(&map, seed as u64);
        check_bijection::<_, 5, 2>(&map, seed as u64 + 10);
    }
    check_identity::<_, 4, 0>(&Diagonal::<f64, 4>::identity());
}

#[test]
fn composition_applies_both_maps_in_order() {
    let mut draws = rng(2);
    let first = Diagonal::new(
        &SVector::from([2.0, -0.5, 3.0]),
        &random_vector(&mut draws, 1.0),
    )
    .unwrap();
    let second = Diagonal::new(
        &SVector::from([0.25, 4.0, -1.0]),
        &random_vector(&mut draws, 1.0),
    )
    .unwrap();
    let both = first.then(&second).unwrap();
    let none = SVector::<f64, 0>::zeros();
    let x: SVector<f64, 3> = random_vector(&mut draws, 1.0);
    let (y, ld_first) = first.forward(&x, &none);
    let (z, ld_second) = second.forward(&y, &none);
    let (composed, ld) = both.forward(&x, &none);
    assert!(relative(&composed, &z) < 1e-15, "{composed} vs {z}");
    assert!((ld - ld_first - ld_second).abs() < 1e-15);
    assert!((both.log_abs_det() - (2.0f64 * 0.25 * 0.5 * 4.0 * 3.0).ln()).abs() < 1e-15);
}

#[test]
fn maps_that_are_not_finite_are_errors() {
    let not_finite = |what| Err(Error::NotFinite { what });
    let ones = SVector::<f64, 2>::repeat(1.0);
    let zeros = SVector::<f64, 2>::zeros();
    for bad in [0.0, f64::INFINITY, f64::NAN, 1e-310] {
        assert_eq!(
            Diagonal::new(&SVector::from([1.0, bad]), &zeros),
            not_finite("diagonal map scale"),
            "scale {bad}"
        );
    }
    for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
        assert_eq!(
            Diagonal::new(&ones, &SVector::from([bad, 0.0])),
            not_finite("diagonal map shift"),
            "shift {bad}"
        );
    }
    let huge = Diagonal::new(&SVector::repeat(1e200), &zeros).unwrap();
    assert_eq!(huge.then(&huge), not_finite("diagonal map scale"));

    // An ActNorm whose scale overflows: the flow would give infinities, so folding refuses.
    let mut flow = <RealNVP!(f64, 4, layers = 2, hidden = 8)>::seeded(0);
    flow.bijection.1[1].2.log_scale[3] = -800.0;
    assert_eq!(
        flow.folded().err(),
        Some(Error::NotFinite {
            what: "diagonal map scale"
        })
    );
}

#[test]
fn an_untrained_preset_folds_to_identity_maps() {
    let flow = <MAF!(f64, 4, layers = 2, hidden = 8)>::seeded(0);
    let folded = flow.folded().unwrap();
    for (diagonal, _, _) in &folded.bijection.0 {
        check_identity::<_, 4, 0>(diagonal);
    }
    check_identity::<_, 4, 0>(&folded.bijection.1);
}
