//! Spline transformers: the rational-quadratic (and linear-rational) splines alone, at their edge
//! cases, and in coupling layers over the event sizes of the issue.

use flows::gradient::TransformerGradient;
use flows::layer::Coupling;
use flows::nalgebra::SVector;
use flows::net::FeedForward;
use flows::transformer::{Parameterization, RationalQuadratic, Transformer};
use flows::{Parameters, Random};
use harness::spline::{OFFSETS, check_on_knots, check_round_trips_around};
use harness::{
    check_bijection, check_identity, check_round_trip_f32, perturb, random_vector, rng,
    zero_parameters,
};

/// Checks a transformer's derivatives (both directions) against central finite differences.
pub fn check_gradient<Tr: TransformerGradient<f64, P>, const P: usize>(
    tr: &Tr,
    x: f64,
    h: &SVector<f64, P>,
) {
    type Eval<'a, const P: usize> = &'a dyn Fn(f64, &SVector<f64, P>) -> (f64, f64);
    let close = |what: &str, analytic: f64, numeric: f64| {
        assert!(
            (analytic - numeric).abs() <= 1e-4 * (1.0 + numeric.abs()),
            "{what}: analytic {analytic}, finite difference {numeric} (x = {x}, h = {h:?})"
        );
    };
    let forward = |x, h: &SVector<f64, P>| tr.forward(x, h);
    let inverse = |y, h: &SVector<f64, P>| tr.inverse(y, h);
    let y = tr.forward(x, h).0;
    for (name, at, map, d) in [
        (
            "forward",
            x,
            &forward as Eval<P>,
            tr.forward_derivatives(x, h),
        ),
        (
            "inverse",
            y,
            &inverse as Eval<P>,
            tr.inverse_derivatives(y, h),
        ),
    ] {
        let (value, log_det) = map(at, h);
        assert!(
            (d.value - value).abs() <= 1e-12 * (1.0 + value.abs())
                && (d.log_det - log_det).abs() <= 1e-12 * (1.0 + log_det.abs()),
            "{name}: values {} {} against {value} {log_det}",
            d.value,
            d.log_det
        );
        // A step of about 1e-6 in x (the inverse's step in y is scaled by the forward slope).
        let step = 1e-6
            * if name == "inverse" {
                1.0 / d.d_value_d_input
            } else {
                1.0
            };
        // Fourth-order central differences.
        let stencil = |g: &dyn Fn(f64) -> (f64, f64), step: f64| {
            let (p1, m1, p2, m2) = (g(step), g(-step), g(2.0 * step), g(-2.0 * step));
            (
                (8.0 * (p1.0 - m1.0) - (p2.0 - m2.0)) / (12.0 * step),
                (8.0 * (p1.1 - m1.1) - (p2.1 - m2.1)) / (12.0 * step),
            )
        };
        let (dv, dl) = stencil(&|e| map(at + e, h), step);
        close(&format!("{name} d value / d input"), d.d_value_d_input, dv);
        close(
            &format!("{name} d log_det / d input"),
            d.d_log_det_d_input,
            dl,
        );
        for i in 0..P {
            let shifted = |e: f64| {
                let mut hs = *h;
                hs[i] += e;
                map(at, &hs)
            };
            let (dv, dl) = stencil(&shifted, 1e-5);
            close(
                &format!("{name} d value / d h[{i}]"),
                d.d_value_d_params[i],
                dv,
            );
            close(
                &format!("{name} d log_det / d h[{i}]"),
                d.d_log_det_d_params[i],
                dl,
            );
        }
    }
}

/// Checks the round trip and the log-det of a transformer at `x` against a finite difference.
///
/// Both are limited by the conditioning of the map: `y` is rounded to `ε |y|`, which moves its
/// preimage by `ε |y| / f'(x)`, so the tolerances are `1e-10` plus that. Returns whether the
/// finite differences resolved the log-det (and so checked it).
pub fn check_point<Tr: Transformer<f64, P>, const P: usize>(
    tr: &Tr,
    x: f64,
    h: &SVector<f64, P>,
) -> bool {
    let (y, log_det) = tr.forward(x, h);
    let (back, log_det_inverse) = tr.inverse(y, h);
    let rounding = 4.0 * f64::EPSILON * (1.0 + y.abs()) / log_det.exp();
    assert!(
        (back - x).abs() <= 1e-10 * (1.0 + x.abs()) + rounding,
        "round trip at x = {x}: back {back}, error {:e}, h = {h:?}",
        back - x
    );
    // The inverse's log-det is the forward one's negative at the inverse's own output.
    let at_back = tr.forward(back, h).1;
    assert!(
        (at_back + log_det_inverse).abs() <= 1e-9 * (1.0 + log_det.abs()),
        "log-dets at x = {x}: {at_back} + {log_det_inverse}"
    );
    // Central, right and left second-order differences: at a knot the map is only C^1, and one of
    // the one-sided ones does not straddle it. Extreme parameters make features far narrower than a
    // bin, which no step resolves in f64: where the three disagree, the point is not checked.
    let step = 1e-6 * x.abs().max(1.0);
    let f = |k: f64| tr.forward(x + k * step, h).0;
    let estimates = [
        (f(1.0) - f(-1.0)) / (2.0 * step),
        (-3.0 * f(0.0) + 4.0 * f(1.0) - f(2.0)) / (2.0 * step),
        (3.0 * f(0.0) - 4.0 * f(-1.0) + f(-2.0)) / (2.0 * step),
    ]
    .map(f64::ln);
    let tolerance = 1e-6 * (1.0 + log_det.abs()) + 4.0 * rounding / step;
    let resolved = estimates
        .iter()
        .all(|e| (e - estimates[0]).abs() <= tolerance);
    assert!(
        !resolved
            || estimates
                .iter()
                .any(|numeric| (log_det - numeric).abs() <= 10.0 * tolerance),
        "log-det at x = {x}: {log_det}, finite differences {estimates:?}, h = {h:?}"
    );
    resolved
}

/// Checks a spline on `[-5, 5]` under raw parameters `h` of magnitude `scale` at its bounds and in
/// its tails: the identity on and beyond `±5` (up to `f64::MAX`), joining it with derivative 1 just
/// inside, round trips near the bounds, and NaN in, NaN out.
pub fn check_bounds_and_tails<Tr: Transformer<f64, P>, const P: usize>(
    spline: &Tr,
    h: &SVector<f64, P>,
    scale: f64,
) {
    for x in [
        5.0,
        -5.0,
        1e6,
        -1e6,
        5.0 + 1e-12,
        -5.0 - 1e-12,
        7.0,
        -1e300,
        f64::MAX,
    ] {
        assert_eq!(spline.forward(x, h), (x, 0.0), "tail at {x}");
        assert_eq!(spline.inverse(x, h), (x, 0.0), "tail at {x}");
    }
    for x in [5.0 - 1e-9, -5.0 + 1e-9] {
        let (y, log_det) = spline.forward(x, h);
        assert!((y - x).abs() < 1e-8, "{x} -> {y}");
        assert!(
            log_det.abs() < 1e-5 * (1.0 + scale),
            "log-det {log_det} at {x}"
        );
        let (back, _) = spline.inverse(y, h);
        assert!((back - x).abs() < 1e-14, "{x} -> {y} -> {back}");
    }
    for x in [5.0 - 1e-4, -5.0 + 1e-4] {
        let _ = check_point(spline, x, h);
    }
    let (y, log_det) = spline.forward(f64::NAN, h);
    assert!(y.is_nan() && log_det.is_nan());
    let (x, log_det) = spline.inverse(f64::NAN, h);
    assert!(x.is_nan() && log_det.is_nan());
}

/// Round trips of `tr` in `f32` under `draws` random parameter vectors, at 200 points from `from`
/// in steps of `step`: the input comes back within 1e-5 relative plus `ulps` roundings of the
/// output scaled by the inverse slope, and the two log-dets cancel within 1e-3 relative.
pub fn check_f32_round_trip<Tr: Transformer<f32, P>, const P: usize>(
    tr: &Tr,
    seed: u64,
    draws: usize,
    (from, step): (f32, f32),
    ulps: f32,
) {
    let mut r = rng(seed);
    for _ in 0..draws {
        let h: SVector<f32, P> = random_vector(&mut r, 1.0);
        for i in 0..200 {
            let x = from + step * i as f32;
            let (y, log_det) = tr.forward(x, &h);
            let (back, log_det_inverse) = tr.inverse(y, &h);
            let rounding = ulps * f32::EPSILON * (1.0 + y.abs()) / log_det.exp();
            assert!(
                (back - x).abs() < 1e-5 * (1.0 + x.abs()) + rounding,
                "{x} -> {y} -> {back}"
            );
            assert!((log_det + log_det_inverse).abs() < 1e-3 * (1.0 + log_det.abs()));
        }
    }
}

/// Checks that the map is strictly increasing (and finite) on a dense grid over `[-2 bound, 2 bound]`.
pub fn check_increasing<Tr: Transformer<f64, P>, const P: usize>(
    tr: &Tr,
    bound: f64,
    h: &SVector<f64, P>,
) {
    let n = 20_000;
    let mut previous = f64::NEG_INFINITY;
    for i in 0..=n {
        let x = -2.0 * bound + 4.0 * bound * i as f64 / n as f64;
        let (y, log_det) = tr.forward(x, h);
        assert!(y.is_finite() && log_det.is_finite(), "not finite at {x}");
        assert!(
            y > previous,
            "not increasing at x = {x}: {y} after {previous}"
        );
        previous = y;
    }
}

type Rq = RationalQuadratic<8>;
const RQ_P: usize = 23;

/// Raw parameters of magnitude `scale` (N(0, scale²) entries).
fn raw(seed: u64, scale: f64) -> SVector<f64, RQ_P> {
    random_vector(&mut rng(seed), scale)
}

#[test]
fn rq_zero_parameters_are_the_identity() {
    let rq = Rq::default();
    let h = SVector::<f64, RQ_P>::zeros();
    for i in -70..=70 {
        let x = i as f64 * 0.1 + 0.013;
        let (y, log_det) = rq.forward(x, &h);
        assert!(
            (y - x).abs() < 1e-14 && log_det.abs() < 1e-14,
            "{x}: {y} {log_det}"
        );
        let (back, log_det) = rq.inverse(x, &h);
        assert!(
            (back - x).abs() < 1e-14 && log_det.abs() < 1e-14,
            "{x}: {back} {log_det}"
        );
    }
    for i in 0..=8 {
        let (x, y, d) = rq.knot(&h, i).expect("knot");
        assert!((x - (-5.0 + 1.25 * i as f64)).abs() < 1e-14 && x == y);
        assert!((d - 1.0).abs() < 1e-15, "derivative {d} at knot {i}");
    }
    assert_eq!(rq.knot(&h, 9), None);
    // The boundary derivatives are exactly 1.
    assert_eq!(rq.knot(&raw(1, 3.0), 0).map(|k| k.2), Some(1.0));
    assert_eq!(rq.knot(&raw(1, 3.0), 8).map(|k| k.2), Some(1.0));
}

#[test]
fn rq_torchflows_parameterization() {
    let rq = Rq::torchflows();
    assert_eq!(rq.bound, 50.0);
    assert_eq!(rq.parameterization, Parameterization::Torchflows);
    let zero = SVector::<f64, RQ_P>::zeros();
    // Zero gives the identity up to the boundary derivative 1.000342 (torchflows: 1.4e-4 in f32).
    let (_, _, d) = rq.knot(&zero, 0).expect("knot");
    assert!((d - 1.000342).abs() < 1e-6, "{d}");
    for i in -60..=60 {
        let x = i as f64 * 0.8 + 0.01;
        assert!((rq.forward(x, &zero).0 - x).abs() < 2e-3);
    }
    // Heights follow the widths: u_y / 1000 barely moves them; u_x moves both.
    let mut h = SVector::<f64, RQ_P>::zeros();
    h[8] = 1.0;
    assert!((rq.forward(3.0, &h).0 - 3.0).abs() < 1e-2);
    h[8] = 0.0;
    h[0] = 2.0;
    let (x1, y1, _) = rq.knot(&h, 1).expect("knot");
    assert!((x1 - y1).abs() < 1e-12 && x1 > -50.0 + 12.5);
    for seed in 0..20 {
        let h = raw(seed, 40.0);
        check_increasing(&rq, 50.0, &h);
        let checked: usize = (0..200)
            .map(|i| check_point(&rq, -60.0 + 0.6 * i as f64 + 0.001, &h) as usize)
            .sum();
        assert!(checked > 150, "only {checked} of 200 log-dets resolved");
    }
}

#[test]
fn rq_on_and_near_every_knot() {
    for parameterization in [Rq::default(), Rq::torchflows()] {
        for (seed, scale) in [(1, 0.5), (2, 3.0), (3, 30.0), (4, 50.0), (5, 40.0)] {
            let h = raw(seed, scale);
            let knots = check_on_knots(&parameterization, &h);
            assert_eq!(knots.len(), 9);
            check_round_trips_around(&parameterization, &h, &knots, &OFFSETS);
        }
    }
}

#[test]
fn rq_bounds_and_tails() {
    let rq = Rq::default();
    for (seed, scale) in [(7, 1.0), (8, 30.0), (9, 50.0)] {
        check_bounds_and_tails(&rq, &raw(seed, scale), scale);
    }
}

#[test]
fn rq_narrow_and_wide_bins() {
    let rq = Rq::default();
    // One bin takes everything, the others shrink to the minimum width (and height); extreme
    // derivatives at the interior knots.
    for (wide, tall, derivative) in [(0, 7, 50.0), (3, 3, -50.0), (7, 0, 30.0), (5, 2, -30.0)] {
        let mut h = SVector::<f64, RQ_P>::zeros();
        h[wide] = 50.0;
        h[8 + tall] = 50.0;
        for i in 16..23 {
            h[i] = if i % 2 == 0 { derivative } else { -derivative };
        }
        let narrow = rq.knot(&h, 1).zip(rq.knot(&h, 2)).expect("knots");
        assert!(narrow.0.0 < narrow.1.0);
        check_increasing(&rq, 5.0, &h);
        let knots: Vec<f64> = (0..=8)
            .filter_map(|i| rq.knot(&h, i))
            .map(|k| k.0)
            .collect();
        check_round_trips_around(&rq, &h, &knots, &[-1e-4, -1e-9, 0.0, 1e-9, 1e-4]);
        let checked: usize = (0..400)
            .map(|i| check_point(&rq, -4.99 + 0.025 * i as f64, &h) as usize)
            .sum();
        assert!(checked > 200, "only {checked} of 400 log-dets resolved");
    }
}

#[test]
fn rq_increasing_and_consistent_at_large_parameters() {
    let rq = Rq::default();
    for seed in 0..30 {
        let scale = [1.0, 5.0, 30.0, 50.0][seed as usize % 4];
        let h = raw(100 + seed, scale);
        check_increasing(&rq, 5.0, &h);
        let mut r = rng(200 + seed);
        let mut checked = 0;
        for _ in 0..200 {
            let x: SVector<f64, 1> = random_vector(&mut r, 3.0);
            checked += check_point(&rq, x[0], &h) as usize;
        }
        assert!(
            checked > 100,
            "only {checked} of 200 log-dets resolved (scale {scale})"
        );
    }
}

#[test]
fn rq_gradients() {
    for rq in [Rq::default(), Rq::torchflows(), Rq::new(2.0)] {
        for seed in 0..12 {
            let h = raw(300 + seed, [0.3, 1.0, 1.5][seed as usize % 3]);
            let mut r = rng(400 + seed);
            for _ in 0..6 {
                let x: SVector<f64, 1> = random_vector(&mut r, 0.6 * rq.bound);
                check_gradient(&rq, x[0], &h);
            }
            check_gradient(&rq, 1.7 * rq.bound, &h);
        }
    }
}

#[test]
fn rq_f32() {
    check_f32_round_trip::<_, RQ_P>(&RationalQuadratic::<8>::default(), 5, 20, (-6.0, 0.06), 4.0);
}

/// Coupling layers with spline transformers over the event sizes of the issue.
macro_rules! spline_coupling_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        mod $name {
            use super::*;

            const D: usize = $d;
            const A: usize = $d / 2;
            const B: usize = $d - $d / 2;
            const C: usize = $c;

            type RqCoupling<T> = Coupling<RationalQuadratic<8>, FeedForward<T, A, C, 8, 1, 23, B>, D, A, B, 23>;

            fn perturbed<L: Random + Parameters<f64>>(seed: u64, scale: f64) -> L {
                let mut rng = rng(seed);
                let mut layer = L::random(&mut rng);
                perturb(&mut layer, &mut rng, scale);
                layer
            }

            #[test]
            fn rational_quadratic() {
                // The harness wants round trips to 1e-10 and log-dets to 1e-6 by finite differences,
                // which the rounding of z allows only where the spline's slope is not tiny: the
                // spline's own tests cover large parameters with conditioning-aware tolerances.
                check_bijection::<_, D, C>(&perturbed::<RqCoupling<f64>>(1, 0.2), 11);
                check_bijection::<_, D, C>(&perturbed::<RqCoupling<f64>>(2, 0.3), 12);
                let mut torchflows = perturbed::<RqCoupling<f64>>(3, 20.0);
                torchflows.transformer = RationalQuadratic::torchflows();
                check_bijection::<_, D, C>(&torchflows, 13);
            }

            #[test]
            fn zero_parameters_give_the_identity() {
                let mut rq = perturbed::<RqCoupling<f64>>(4, 1.0);
                zero_parameters(&mut rq);
                check_identity::<_, D, C>(&rq);
                check_identity::<_, D, C>(&RqCoupling::<f64>::random(&mut rng(5)));
            }

            #[test]
            fn f32_round_trip() {
                let mut rng = rng(20);
                let mut layer = RqCoupling::<f32>::random(&mut rng);
                perturb(&mut layer, &mut rng, 0.5);
                check_round_trip_f32::<_, D, C>(&layer, 21);
            }
        }
    )*};
}

spline_coupling_tests! {
    d1: 1, 0;
    d1_context: 1, 2;
    d2: 2, 0;
    d2_context: 2, 3;
    d3: 3, 0;
    d10: 10, 0;
    d10_context: 10, 3;
    d64: 64, 0;
}

#[test]
fn coupling_rqnsf_preset() {
    use rand::SeedableRng;
    type Small = flows::CouplingRQNSF!(f64, 3, layers = 2, hidden = 8);
    type Binned = flows::CouplingRQNSF!(f64, 5, bins = 5, hidden = 8, layers = 3);
    type Single = flows::CouplingRQNSF!(f32, 10, context = 2);
    let mut flow = Small::seeded(1);
    let mut r = rng(2);
    perturb(&mut flow, &mut r, 0.2);
    let mut sampler = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
    for _ in 0..20 {
        let (x, log_p) = flow.sample_with_log_prob(&mut sampler);
        assert!((flow.log_prob(&x) - log_p).abs() < 1e-9, "{x:?}");
    }
    let _ = Binned::seeded(4).log_prob(&SVector::from_element(0.3));
    let flow = Single::seeded(5);
    let x = SVector::<f32, 10>::from_element(0.5);
    assert!(
        flow.log_prob_given(&x, &SVector::from_element(1.0))
            .is_finite()
    );
}
