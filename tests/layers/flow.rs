//! Flows and presets: the property harness on whole presets, densities that integrate to one,
//! samples whose moments match the density, and bad input.

use flows::nalgebra::SVector;
use flows::{NICE, Parameters, RealNVP};
use harness::{check_bijection, check_round_trip_f32, perturb, rng};

macro_rules! preset_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        #[test]
        fn $name() {
            let mut rng = rng($d * 10 + $c);
            let mut real_nvp = <RealNVP!(f64, $d, context = $c, layers = 2, hidden = 8)>::random(&mut rng);
            perturb(&mut real_nvp, &mut rng, 0.3);
            check_bijection::<_, $d, $c>(&real_nvp, 1);
            let mut nice = <NICE!(f64, $d, context = $c, layers = 3, hidden = 8, hidden_layers = 1)>::random(&mut rng);
            perturb(&mut nice, &mut rng, 0.3);
            check_bijection::<_, $d, $c>(&nice, 2);
            let mut single = <RealNVP!(f32, $d, context = $c, layers = 2, hidden = 8)>::random(&mut rng);
            perturb(&mut single, &mut rng, 0.3);
            check_round_trip_f32::<_, $d, $c>(&single, 3);
        }
    )*};
}

preset_tests! {
    presets_d1: 1, 0;
    presets_d1_context: 1, 2;
    presets_d2: 2, 0;
    presets_d3_context: 3, 3;
    presets_d5: 5, 0;
    presets_d10: 10, 0;
    presets_d10_context: 10, 3;
    presets_d64: 64, 0;
    presets_d64_context: 64, 2;
}

type Small2D = RealNVP!(f64, 2, layers = 3, hidden = 8);

fn small_2d(seed: u64) -> Small2D {
    let mut rng = rng(seed);
    let mut flow = Small2D::random(&mut rng);
    perturb(&mut flow, &mut rng, 0.3);
    flow
}

/// Integrates `f(x) p(x)` over a grid on [-10, 10]² with the midpoint rule.
fn integrate(flow: &Small2D, f: impl Fn(&SVector<f64, 2>) -> f64) -> f64 {
    let (n, half) = (500, 10.0);
    let step = 2.0 * half / n as f64;
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..n {
            let x = SVector::from([
                -half + (i as f64 + 0.5) * step,
                -half + (j as f64 + 0.5) * step,
            ]);
            total += f(&x) * flow.log_prob(&x).exp();
        }
    }
    total * step * step
}

#[test]
fn density_integrates_to_one() {
    let flow = small_2d(7);
    let mass = integrate(&flow, |_| 1.0);
    assert!(
        (mass - 1.0).abs() < 1e-3,
        "the density integrates to {mass}"
    );
}

#[test]
fn sample_moments_match_the_density() {
    let flow = small_2d(8);
    let mean = [0, 1].map(|k| integrate(&flow, |x| x[k]));
    let second = [0, 1].map(|k| integrate(&flow, |x| x[k] * x[k]));
    let mut rng = rng(9);
    let n = 40_000;
    let mut sample_mean = [0.0; 2];
    let mut sample_second = [0.0; 2];
    for _ in 0..n {
        let x = flow.sample(&mut rng);
        for k in 0..2 {
            sample_mean[k] += x[k] / n as f64;
            sample_second[k] += x[k] * x[k] / n as f64;
        }
    }
    for k in 0..2 {
        let std = (second[k] - mean[k] * mean[k]).sqrt();
        // Five standard errors of the mean; a relative 5 % on the second moment.
        assert!(
            (sample_mean[k] - mean[k]).abs() < 5.0 * std / (n as f64).sqrt(),
            "mean {k}: samples {} density {}",
            sample_mean[k],
            mean[k]
        );
        assert!(
            (sample_second[k] / second[k] - 1.0).abs() < 0.05,
            "second moment {k}: samples {} density {}",
            sample_second[k],
            second[k]
        );
    }
}

#[test]
fn sample_with_log_prob_agrees_with_log_prob() {
    let flow = small_2d(10);
    let mut rng = rng(11);
    for _ in 0..20 {
        let (x, log_p) = flow.sample_with_log_prob(&mut rng);
        assert!(
            (flow.log_prob(&x) - log_p).abs() < 1e-10,
            "{} vs {}",
            flow.log_prob(&x),
            log_p
        );
    }
}

#[test]
fn conditional_flows_depend_on_the_context() {
    let mut rng = rng(12);
    let mut flow = <RealNVP!(f64, 3, context = 2, layers = 2, hidden = 8)>::random(&mut rng);
    perturb(&mut flow, &mut rng, 0.5);
    let x = SVector::from([0.3, -0.2, 1.0]);
    let a = flow.log_prob_given(&x, &SVector::from([0.0, 1.0]));
    let b = flow.log_prob_given(&x, &SVector::from([1.0, 0.0]));
    assert!(
        (a - b).abs() > 1e-6,
        "the context changed nothing: {a} vs {b}"
    );
}

#[test]
fn non_finite_inputs_give_nan_not_a_panic() {
    let flow = small_2d(13);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let log_p = flow.log_prob(&SVector::from([bad, 0.5]));
        assert!(!log_p.is_finite(), "log_prob of {bad} is {log_p}");
    }
    assert!(flow.log_prob(&SVector::from([f64::NAN, f64::NAN])).is_nan());
}

#[test]
fn seeded_flows_are_reproducible_and_counted() {
    let a = Small2D::seeded(42);
    let b = Small2D::seeded(42);
    let x = SVector::from([0.1, 0.2]);
    let mut rng_a = rng(1);
    let mut rng_b = rng(1);
    assert_eq!(a.sample(&mut rng_a), b.sample(&mut rng_b));
    assert_eq!(a.log_prob(&x), b.log_prob(&x));
    // 2 ElementwiseAffine (2 x 2 x 2) + 2 ActNorm outside the blocks... computed by hand:
    // blocks: 3 x (coupling 1->8->8->2x(2 params) + ActNorm 4).
    let coupling = (8 + 8) + (8 * 8 + 8) + 2 * (8 + 1);
    let expected = 2 * 4 + 4 + 3 * (coupling + 4);
    assert_eq!(Small2D::COUNT, expected);
    assert_eq!(Small2D::BYTES, expected * 8);
    let mut visited = 0;
    a.visit(&flows::Path::ROOT, &mut |_, values| visited += values.len());
    assert_eq!(visited, expected);
}

#[test]
fn parameter_names_are_stable() {
    let flow = Small2D::seeded(0);
    let mut names = Vec::new();
    flow.visit(&flows::Path::ROOT, &mut |path, _| {
        names.push(path.to_string())
    });
    assert_eq!(names[0], "0.conditioner.blocks.0.bias");
    // Empty tensors (the input weights of a conditioner with no inputs) are not visited.
    assert!(!names.contains(&"0.conditioner.blocks.0.weight".to_string()));
    assert!(
        names.contains(&"1.2.1.conditioner.output.0.bias".to_string()),
        "{names:?}"
    );
    assert_eq!(names.last().map(String::as_str), Some("3.log_scale"));
}
