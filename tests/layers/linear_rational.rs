//! The linear-rational spline alone, at its edge cases, and in coupling, masked autoregressive and
//! inverse masked autoregressive layers over the event sizes of the issue; and
//! [`check_in_layers`], the layer harness the sigmoidal transformer shares.

use flows::gradient::TransformerGradient;
use flows::layer::{Coupling, InverseMaskedAutoregressive, MaskedAutoregressive};
use flows::nalgebra::SVector;
use flows::net::{FeedForward, Made};
use flows::transformer::{LinearRational, Parameterization, Transformer};
use flows::{Parameters, Random};
use harness::spline::{OFFSETS, check_on_knots, check_round_trips_around};
use harness::{
    check_bijection, check_identity, check_round_trip_f32, perturb, random_vector, rng,
    zero_parameters,
};

use super::splines::{
    check_bounds_and_tails, check_f32_round_trip, check_gradient, check_increasing, check_point,
};

type Lrs = LinearRational<8>;
const P: usize = 32;

/// Raw parameters of magnitude `scale` (N(0, scale²) entries).
fn raw(seed: u64, scale: f64) -> SVector<f64, P> {
    random_vector(&mut rng(seed), scale)
}

fn perturbed<L: Random + Parameters<f64>>(seed: u64, scale: f64) -> L {
    let mut rng = rng(seed);
    let mut layer = L::random(&mut rng);
    perturb(&mut layer, &mut rng, scale);
    layer
}

/// The property harness ([`check_bijection`]) for transformer `tr` in a half-split coupling, a
/// masked autoregressive and an inverse masked autoregressive layer (MADE width `H`) of event
/// size `D = A + B` and context size `C`, whose networks are perturbed by `scale`; the identity
/// at zero parameters when `identity`; and the `f32` round trip of the coupling. Runs on a thread
/// with a large stack: at `D = 64` one MADE holds a megabyte of weights.
pub fn check_in_layers<
    Tr,
    const D: usize,
    const A: usize,
    const B: usize,
    const C: usize,
    const H: usize,
    const Q: usize,
>(
    tr: Tr,
    scale: f64,
    identity: bool,
    seed: u64,
) where
    Tr: TransformerGradient<f64, Q> + Transformer<f32, Q> + Send + 'static,
{
    let run = move || {
        let mut coupling =
            perturbed::<Coupling<Tr, FeedForward<f64, A, C, 8, 1, Q, B>, D, A, B, Q>>(seed, scale);
        coupling.transformer = tr;
        check_bijection::<_, D, C>(&coupling, seed + 1);
        let mut maf =
            perturbed::<MaskedAutoregressive<Tr, Made<f64, D, C, H, 0, Q>, D, Q>>(seed + 2, scale);
        maf.transformer = tr;
        check_bijection::<_, D, C>(&maf, seed + 3);
        let mut iaf = perturbed::<InverseMaskedAutoregressive<Tr, Made<f64, D, C, H, 0, Q>, D, Q>>(
            seed + 4,
            scale,
        );
        iaf.0.transformer = tr;
        check_bijection::<_, D, C>(&iaf, seed + 5);
        if identity {
            zero_parameters(&mut coupling);
            check_identity::<_, D, C>(&coupling);
            zero_parameters(&mut maf);
            check_identity::<_, D, C>(&maf);
            zero_parameters(&mut iaf);
            check_identity::<_, D, C>(&iaf);
        }
        let mut r = rng(seed + 7);
        let mut single =
            Coupling::<Tr, FeedForward<f32, A, C, 8, 1, Q, B>, D, A, B, Q>::random(&mut r);
        perturb(&mut single, &mut r, scale);
        single.transformer = tr;
        check_round_trip_f32::<_, D, C>(&single, seed + 8);
    };
    let thread = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .expect("spawn");
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn lrs_zero_parameters_are_the_identity() {
    let zero = SVector::<f64, P>::zeros();
    let mut worst: f64 = 0.0;
    for lrs in [Lrs::default(), Lrs::new(2.0)] {
        for i in -700..=700 {
            let x = i as f64 * 0.01 * lrs.bound / 5.0 + 0.0013;
            for (y, log_det) in [lrs.forward(x, &zero), lrs.inverse(x, &zero)] {
                worst = worst.max((y - x).abs()).max(log_det.abs());
            }
        }
        for i in 0..=8 {
            let (x, y, d) = lrs.knot(&zero, i).expect("knot");
            assert!(x == y && (x - lrs.bound * (i as f64 / 4.0 - 1.0)).abs() < 1e-14);
            assert!((d - 1.0).abs() < 1e-15, "derivative {d} at knot {i}");
            assert_eq!(lrs.split(&zero, i), if i < 8 { Some(0.5) } else { None });
        }
    }
    assert!(worst < 1e-14, "zero parameters move x by {worst:e}");
    // The boundary derivatives are exactly 1 whatever the parameters.
    assert_eq!(Lrs::default().knot(&raw(1, 3.0), 0).map(|k| k.2), Some(1.0));
    assert_eq!(Lrs::default().knot(&raw(1, 3.0), 8).map(|k| k.2), Some(1.0));
}

#[test]
fn lrs_torchflows_parameterization() {
    let lrs = Lrs::torchflows();
    assert_eq!(lrs.bound, 50.0);
    assert_eq!(lrs.parameterization, Parameterization::Torchflows);
    let zero = SVector::<f64, P>::zeros();
    for i in -60..=60 {
        let x = i as f64 * 0.8 + 0.01;
        let (y, log_det) = lrs.forward(x, &zero);
        assert!((y - x).abs() < 1e-12 && log_det.abs() < 1e-12, "{x}: {y}");
    }
    // λ = sigmoid(u_λ) without floor; heights follow the widths (u_y / 100 barely moves them).
    let mut h = zero;
    h[16] = 3.0;
    assert!((lrs.split(&h, 0).expect("split") - 1.0 / (1.0 + (-3.0f64).exp())).abs() < 1e-15);
    let mut h = zero;
    h[0] = 2.0;
    let (x1, y1, _) = lrs.knot(&h, 1).expect("knot");
    assert!((x1 - y1).abs() < 1e-12 && x1 > -50.0 + 12.5);
    // The minimum bin is 1e-2 of the interval.
    let mut h = zero;
    h[0] = -60.0;
    let (x1, _, _) = lrs.knot(&h, 1).expect("knot");
    assert!((x1 + 50.0 - 1.0).abs() < 1e-9, "{x1}");
    for seed in 0..10 {
        let h = raw(seed, 40.0);
        check_increasing(&lrs, 50.0, &h);
        let checked: usize = (0..200)
            .map(|i| check_point(&lrs, -60.0 + 0.6 * i as f64 + 0.001, &h) as usize)
            .sum();
        assert!(checked > 150, "only {checked} of 200 log-dets resolved");
    }
}

#[test]
fn lrs_w0_has_no_effect() {
    for lrs in [Lrs::default(), Lrs::torchflows()] {
        let h = raw(3, 2.0);
        let mut moved = h;
        moved[31] += 7.0;
        for i in 0..100 {
            let x = -6.0 + 0.12 * i as f64;
            assert_eq!(lrs.forward(x, &h), lrs.forward(x, &moved));
            let d = lrs.forward_derivatives(x, &h);
            assert_eq!(d.d_value_d_params[31], 0.0);
            assert_eq!(d.d_log_det_d_params[31], 0.0);
        }
    }
}

#[test]
fn lrs_on_and_near_every_knot_and_split() {
    for lrs in [Lrs::default(), Lrs::torchflows()] {
        for (seed, scale) in [(1, 0.5), (2, 3.0), (3, 30.0), (4, 50.0), (5, 40.0)] {
            let h = raw(seed, scale);
            let knots = check_on_knots(&lrs, &h);
            assert_eq!(knots.len(), 9);
            // The split points inside each bin, where the two linear-rational pieces meet.
            let splits: Vec<f64> = knots
                .windows(2)
                .enumerate()
                .map(|(i, bin)| {
                    let lambda = lrs.split(&h, i).expect("a split in every bin");
                    bin[0] + lambda * (bin[1] - bin[0])
                })
                .collect();
            check_round_trips_around(&lrs, &h, &knots, &OFFSETS);
            check_round_trips_around(&lrs, &h, &splits, &OFFSETS);
        }
    }
}

#[test]
fn lrs_bounds_and_tails() {
    let lrs = Lrs::default();
    for (seed, scale) in [(7, 1.0), (8, 30.0), (9, 50.0)] {
        let h = raw(seed, scale);
        check_bounds_and_tails(&lrs, &h, scale);
        let d = lrs.forward_derivatives(f64::NAN, &h);
        assert!(d.value.is_nan());
    }
}

#[test]
fn lrs_narrow_and_wide_bins_and_extreme_splits() {
    let lrs = Lrs::default();
    for (wide, tall, derivative, split) in [
        (0, 7, 50.0, 50.0),
        (3, 3, -50.0, -50.0),
        (7, 0, 30.0, 40.0),
        (5, 2, -30.0, -40.0),
    ] {
        let mut h = SVector::<f64, P>::zeros();
        h[wide] = 50.0;
        h[8 + tall] = 50.0;
        for i in 16..24 {
            h[i] = if i % 2 == 0 { split } else { -split };
        }
        for i in 24..31 {
            h[i] = if i % 2 == 0 { derivative } else { -derivative };
        }
        check_increasing(&lrs, 5.0, &h);
        let knots: Vec<f64> = (0..=8)
            .filter_map(|i| lrs.knot(&h, i))
            .map(|k| k.0)
            .collect();
        check_round_trips_around(&lrs, &h, &knots, &[-1e-4, -1e-9, 0.0, 1e-9, 1e-4]);
        let checked: usize = (0..400)
            .map(|i| check_point(&lrs, -4.99 + 0.025 * i as f64, &h) as usize)
            .sum();
        assert!(checked > 200, "only {checked} of 400 log-dets resolved");
    }
}

#[test]
fn lrs_increasing_and_consistent_at_large_parameters() {
    let lrs = Lrs::default();
    for seed in 0..20 {
        let scale = [1.0, 5.0, 30.0, 50.0][seed as usize % 4];
        let h = raw(100 + seed, scale);
        check_increasing(&lrs, 5.0, &h);
        let mut r = rng(200 + seed);
        let mut checked = 0;
        for _ in 0..200 {
            let x: SVector<f64, 1> = random_vector(&mut r, 3.0);
            checked += check_point(&lrs, x[0], &h) as usize;
        }
        assert!(
            checked > 100,
            "only {checked} of 200 log-dets resolved (scale {scale})"
        );
    }
}

#[test]
fn lrs_gradients() {
    for lrs in [Lrs::default(), Lrs::torchflows(), Lrs::new(2.0)] {
        for seed in 0..12 {
            let h = raw(300 + seed, [0.3, 1.0, 1.5][seed as usize % 3]);
            let mut r = rng(400 + seed);
            for _ in 0..6 {
                let x: SVector<f64, 1> = random_vector(&mut r, 0.6 * lrs.bound);
                check_gradient(&lrs, x[0], &h);
            }
            check_gradient(&lrs, 1.7 * lrs.bound, &h);
        }
    }
    // Not `harness::gradient::check_transformer_gradient`: its fixed step of 1e-3 in y straddles
    // knots and split points, where the spline is only C^1, when the slope is small.
}

#[test]
fn lrs_f32() {
    check_f32_round_trip::<_, P>(&LinearRational::<8>::default(), 5, 20, (-6.0, 0.06), 4.0);
}

/// The layer harness over the event sizes of the issue (`D`, `C`, MADE width `H`).
macro_rules! layer_tests {
    ($($name:ident: $d:literal, $c:literal, $h:literal;)*) => {$(
        #[test]
        fn $name() {
            check_in_layers::<_, $d, { $d / 2 }, { $d - $d / 2 }, $c, $h, P>(Lrs::default(), 0.2, true, 10);
            check_in_layers::<_, $d, { $d / 2 }, { $d - $d / 2 }, $c, $h, P>(Lrs::new(3.0), 0.3, false, 20);
            check_in_layers::<_, $d, { $d / 2 }, { $d - $d / 2 }, $c, $h, P>(Lrs::torchflows(), 2.0, false, 30);
        }
    )*};
}

layer_tests! {
    layers_d1: 1, 0, 4;
    layers_d1_context: 1, 2, 4;
    layers_d2: 2, 0, 4;
    layers_d3_context: 3, 2, 6;
    layers_d10: 10, 0, 12;
}

/// At `D = 64` a MADE's outputs are larger (64 inputs per unit), so its network is perturbed less:
/// the sequential inverse compounds the rounding of steep and flat pieces beyond 1e-10 otherwise.
#[test]
fn layers_d64() {
    check_in_layers::<_, 64, 32, 32, 0, 64, P>(Lrs::default(), 0.1, true, 10);
    check_in_layers::<_, 64, 32, 32, 0, 64, P>(Lrs::torchflows(), 2.0, false, 30);
}
