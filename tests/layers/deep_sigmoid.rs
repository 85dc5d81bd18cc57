//! The deep sigmoidal transformer alone (log-det against finite differences over [-20, 20], the
//! inverse over the whole real line, the near-identity start) and in coupling, masked
//! autoregressive and inverse masked autoregressive layers.

use flows::gradient::TransformerGradient;
use flows::nalgebra::SVector;
use flows::transformer::{DeepSigmoid, Sigmoid, Transformer};
use harness::gradient::check_transformer_gradient;
use harness::{random_vector, rng};

use super::linear_rational::check_in_layers;
use super::splines::{check_f32_round_trip, check_gradient, check_increasing};

type Deep = DeepSigmoid<4, 2>;
const P: usize = 24;
type Wide = DeepSigmoid<8, 2>;
const PW: usize = 48;
type Single = Sigmoid<5>;
const PS: usize = 15;

/// `log dy/dx` by central differences with Richardson extrapolation (error about 1e-10 relative).
fn numeric_log_slope<Tr: Transformer<f64, N>, const N: usize>(
    tr: &Tr,
    x: f64,
    h: &SVector<f64, N>,
) -> f64 {
    let f = |e: f64| tr.forward(x + e, h).0;
    let step = 1e-3 * x.abs().max(1.0);
    let d1 = (f(step) - f(-step)) / (2.0 * step);
    let d2 = (f(step / 2.0) - f(-step / 2.0)) / step;
    ((4.0 * d2 - d1) / 3.0).ln()
}

/// Checks the log-det against finite differences on a grid over [-20, 20] and returns the worst
/// absolute error.
fn log_det_error<Tr: Transformer<f64, N>, const N: usize>(tr: &Tr, h: &SVector<f64, N>) -> f64 {
    let mut worst: f64 = 0.0;
    for i in 0..=400 {
        let x = -20.0 + 0.1 * i as f64 + 1e-3;
        let (_, log_det) = tr.forward(x, h);
        let numeric = numeric_log_slope(tr, x, h);
        let error = (log_det - numeric).abs();
        assert!(
            error <= 1e-6 * (1.0 + log_det.abs()),
            "log-det at {x}: {log_det}, finite differences {numeric}, h = {h:?}"
        );
        worst = worst.max(error);
    }
    worst
}

#[test]
fn log_det_matches_finite_differences_over_minus_20_to_20() {
    let mut worst: f64 = 0.0;
    for seed in 0..12 {
        let scale = [0.0, 0.5, 1.5, 3.0][seed as usize % 4];
        let h: SVector<f64, P> = random_vector(&mut rng(seed), scale);
        worst = worst.max(log_det_error(&Deep::new(), &h));
        worst = worst.max(log_det_error(&Deep::torchflows(), &(h * 1000.0)));
        let h: SVector<f64, PW> = random_vector(&mut rng(50 + seed), scale);
        worst = worst.max(log_det_error(&Wide::new(), &h));
        let h: SVector<f64, PS> = random_vector(&mut rng(80 + seed), scale);
        worst = worst.max(log_det_error(&Single::new(), &h));
    }
    println!("worst log-det error over [-20, 20]: {worst:e}");
}

/// torchflows' formula (a sum over hidden units of the log terms, with `logit(S)`), to show the
/// size of its error next to the log-sum-exp form, which the test above checks.
#[test]
fn torchflows_log_det_formula_is_far_off() {
    let tr = Single::torchflows();
    let zero = SVector::<f64, PS>::zeros();
    for x in [-3.0, -1.0, 0.5, 2.0, 3.0] {
        // softplus(ln(e - 1 - 1e-3)) + 1e-3.
        let a = (std::f64::consts::E - 1e-3).ln() + 1e-3;
        let sigma = |c: f64| 1.0 / (1.0 + (-c).exp());
        let s = sigma(a * x);
        let wrong: f64 = (0..5)
            .map(|_| {
                (s / (1.0 - s)).ln()
                    + (0.2f64).ln()
                    + sigma(a * x).ln()
                    + sigma(-a * x).ln()
                    + a.ln()
            })
            .sum();
        let (_, log_det) = tr.forward(x, &zero);
        assert!((log_det - numeric_log_slope(&tr, x, &zero)).abs() < 1e-8);
        assert!(log_det.abs() < 1e-3, "{log_det}");
        assert!(
            (wrong - log_det).abs() > 5.0,
            "torchflows' {wrong} vs {log_det}"
        );
    }
}

#[test]
fn inverse_over_the_whole_real_line() {
    let mut xs: Vec<f64> = (0..=400).map(|i| -20.0 + 0.1 * i as f64 + 3e-4).collect();
    xs.extend([
        -1e12, -1e6, -1e3, -200.0, -50.0, -30.0, 0.0, 30.0, 50.0, 200.0, 1e3, 1e6, 1e12,
    ]);
    let mut worst: f64 = 0.0;
    for seed in 0..12 {
        let scale = [0.3, 1.0, 3.0, 6.0][seed as usize % 4];
        let h: SVector<f64, P> = random_vector(&mut rng(200 + seed), scale);
        for tr in [Deep::new(), Deep::torchflows()] {
            for &x in &xs {
                let (y, log_det) = tr.forward(x, &h);
                assert!(
                    y.is_finite() && log_det.is_finite(),
                    "{x} -> {y}, {log_det}"
                );
                let (back, log_det_inverse) = tr.inverse(y, &h);
                // y is rounded to ε|y|, which moves its preimage by ε|y|/f'(x).
                let rounding = 4.0 * f64::EPSILON * (1.0 + y.abs()) / log_det.exp();
                let error = (back - x).abs();
                assert!(
                    error <= 1e-10 * (1.0 + x.abs()) + rounding,
                    "round trip at {x}: {y} -> {back}, error {error:e} (scale {scale})"
                );
                // The inverse's log-det is the forward one's negative at the inverse's output.
                let at_back = tr.forward(back, &h).1;
                assert!(
                    (at_back + log_det_inverse).abs() <= 1e-9 * (1.0 + log_det.abs()),
                    "log-dets at {x}: {at_back} + {log_det_inverse}"
                );
                worst = worst.max(error / (1.0 + x.abs()));
            }
        }
    }
    println!("worst relative round-trip error: {worst:e}");
    // Infinities and NaN.
    let h: SVector<f64, P> = random_vector(&mut rng(1), 1.0);
    let tr = Deep::new();
    assert_eq!(tr.inverse(f64::INFINITY, &h).0, f64::INFINITY);
    assert_eq!(tr.inverse(f64::NEG_INFINITY, &h).0, f64::NEG_INFINITY);
    let (y, log_det) = tr.forward(f64::NAN, &h);
    assert!(y.is_nan() && log_det.is_nan());
    let (x, log_det) = tr.inverse(f64::NAN, &h);
    assert!(x.is_nan() && log_det.is_nan());
    assert!(tr.forward_derivatives(f64::NAN, &h).value.is_nan());
    let mut nan_h = h;
    nan_h[3] = f64::NAN;
    assert!(tr.forward(0.5, &nan_h).0.is_nan());
    assert!(tr.inverse(0.5, &nan_h).0.is_nan());
}

#[test]
fn strictly_increasing_at_large_parameters() {
    for seed in 0..8 {
        let h: SVector<f64, P> = random_vector(&mut rng(300 + seed), 8.0);
        check_increasing(&Deep::new(), 15.0, &h);
        let h: SVector<f64, PW> = random_vector(&mut rng(400 + seed), 8.0);
        check_increasing(&Wide::new(), 15.0, &h);
    }
}

#[test]
fn zero_parameters_give_a_near_identity_with_distinct_units() {
    let mut worst: f64 = 0.0;
    let zero = SVector::<f64, PW>::zeros();
    let tr = Wide::new();
    for i in 0..=4000 {
        let x = -100.0 + 0.05 * i as f64;
        let (y, _) = tr.forward(x, &zero);
        // Odd: the offsets are symmetric.
        assert!((tr.forward(-x, &zero).0 + y).abs() < 1e-12);
        worst = worst.max((y - x).abs());
    }
    let (_, log_slope) = tr.forward(0.0, &zero);
    let (_, tail) = tr.forward(60.0, &zero);
    println!(
        "DeepSigmoid<8, 2> at zero: |y - x| <= {worst:.4}, slope {:.4} at 0, {:.6} at 60",
        log_slope.exp(),
        tail.exp()
    );
    assert!(worst < 0.11 && log_slope.exp() > 0.94 && (tail.exp() - 1.0).abs() < 1e-6);
    let one = Sigmoid::<8>::new();
    let zero1 = SVector::<f64, 24>::zeros();
    let single_worst = (0..=400)
        .map(|i| {
            let x = -20.0 + 0.1 * i as f64;
            (one.forward(x, &zero1).0 - x).abs()
        })
        .fold(0.0, f64::max);
    println!(
        "Sigmoid<8> at zero: |y - x| <= {single_worst:.4}, slope {:.4} at 0",
        one.forward(0.0, &zero1).1.exp()
    );
    assert!(single_worst < 0.054 && one.forward(0.0, &zero1).1.exp() > 0.97);
    // The hidden units start distinct: their gradients differ, so training separates them.
    let d = one.forward_derivatives(0.7, &zero1);
    for j in 1..8 {
        assert!(
            (d.d_value_d_params[8 + j] - d.d_value_d_params[8 + j - 1]).abs() > 1e-3,
            "units {j} and {} get the same gradient",
            j - 1
        );
    }
    // torchflows' zero parameters: a = 1.0006, the identity up to that.
    let tf = Wide::torchflows();
    for x in [-5.0, -1.0, 0.3, 2.0] {
        assert!((tf.forward(x, &zero).0 - x).abs() < 1e-2);
    }
}

#[test]
fn gradients() {
    for seed in 0..8 {
        let scale = [0.3, 1.0, 2.0][seed as usize % 3];
        let h: SVector<f64, P> = random_vector(&mut rng(500 + seed), scale);
        let mut r = rng(600 + seed);
        for _ in 0..5 {
            let x: SVector<f64, 1> = random_vector(&mut r, 4.0);
            check_gradient(&Deep::new(), x[0], &h);
            check_gradient(&Deep::torchflows(), x[0], &(h * 1000.0));
        }
        check_gradient(&Deep::new(), 25.0, &h);
        check_gradient(&Deep::new(), -25.0, &h);
    }
    check_transformer_gradient::<_, P>(&Deep::new(), 7);
    check_transformer_gradient::<_, PS>(&Single::new(), 8);
}

#[test]
fn f32_round_trip() {
    check_f32_round_trip::<_, P>(&Deep::new(), 9, 10, (-20.0, 0.2), 8.0);
}

/// The layer harness over the event sizes of the issue (`D`, `C`, MADE width `H`).
macro_rules! layer_tests {
    ($($name:ident: $d:literal, $c:literal, $h:literal;)*) => {$(
        #[test]
        fn $name() {
            check_in_layers::<_, $d, { $d / 2 }, { $d - $d / 2 }, $c, $h, P>(Deep::new(), 0.3, false, 40);
            check_in_layers::<_, $d, { $d / 2 }, { $d - $d / 2 }, $c, $h, P>(Deep::torchflows(), 30.0, false, 50);
        }
    )*};
}

layer_tests! {
    layers_d1: 1, 0, 4;
    layers_d1_context: 1, 2, 4;
    layers_d2: 2, 0, 4;
    layers_d3_context: 3, 2, 6;
    layers_d10: 10, 0, 12;
    layers_d64: 64, 0, 64;
}

#[test]
fn presets_evaluate_and_sample() {
    use rand::SeedableRng;
    type Lrs = flows::CouplingLRS!(f64, 3, layers = 2, hidden = 8, bins = 5);
    type DeepSf = flows::CouplingDeepSF!(f64, 3, layers = 2, hidden = 8, units = 4);
    let mut sampler = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
    let mut lrs = Lrs::seeded(1);
    harness::perturb(&mut lrs, &mut rng(2), 0.2);
    let mut dsf = DeepSf::seeded(1);
    harness::perturb(&mut dsf, &mut rng(2), 0.2);
    for _ in 0..10 {
        let (x, log_p) = lrs.sample_with_log_prob(&mut sampler);
        assert!((lrs.log_prob(&x) - log_p).abs() < 1e-9, "{x:?}");
        let (x, log_p) = dsf.sample_with_log_prob(&mut sampler);
        assert!((dsf.log_prob(&x) - log_p).abs() < 1e-9, "{x:?}");
    }
    type MaRq = flows::MaskedAutoregressiveRQNSF!(f64, 3, layers = 2, hidden = 8, bins = 6);
    type IaRq = flows::InverseAutoregressiveRQNSF!(f64, 3, layers = 2, hidden = 8);
    type MaLrs = flows::MaskedAutoregressiveLRS!(f64, 3, layers = 2, hidden = 8, bins = 5);
    type MaDsf = flows::MaskedAutoregressiveDeepSF!(f64, 3, layers = 2, hidden = 8, units = 3);
    fn consistent<F>(
        mut flow: F,
        sample: impl Fn(&F, &mut rand::rngs::Xoshiro256PlusPlus) -> (SVector<f64, 3>, f64),
        log_prob: impl Fn(&F, &SVector<f64, 3>) -> f64,
    ) where
        F: flows::Parameters<f64>,
    {
        harness::perturb(&mut flow, &mut rng(7), 0.2);
        let mut sampler = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(8);
        for _ in 0..10 {
            let (x, log_p) = sample(&flow, &mut sampler);
            assert!((log_prob(&flow, &x) - log_p).abs() < 1e-8, "{x:?}");
        }
    }
    consistent(
        MaRq::seeded(1),
        |f, r| f.sample_with_log_prob(r),
        |f, x| f.log_prob(x),
    );
    consistent(
        IaRq::seeded(1),
        |f, r| f.sample_with_log_prob(r),
        |f, x| f.log_prob(x),
    );
    consistent(
        MaLrs::seeded(1),
        |f, r| f.sample_with_log_prob(r),
        |f, x| f.log_prob(x),
    );
    consistent(
        MaDsf::seeded(1),
        |f, r| f.sample_with_log_prob(r),
        |f, x| f.log_prob(x),
    );
    type Single = flows::CouplingDeepSF!(f32, 10, context = 2);
    let flow = Single::seeded(5);
    let x = SVector::<f32, 10>::from_element(0.5);
    assert!(
        flow.log_prob_given(&x, &SVector::from_element(1.0))
            .is_finite()
    );
}
