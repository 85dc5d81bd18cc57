//! Finite-difference checks of the reverse-mode gradients, in `f64`.
//!
//! Each check draws random points and random upstream gradients from a seed, computes the
//! gradient analytically (the layer's own reverse mode) and numerically (a five-point central
//! difference, whose error is `O(h⁴)`), and panics with the names and values of every entry whose
//! relative error exceeds [`TOLERANCE`]. Checked: the inputs, the context and every parameter, in
//! both directions, and the one-pass forms (`*_with_gradient`) against the two-pass ones.
//!
//! The checks do not perturb the layer: pass one with random parameters (the output layers of the
//! networks start at zero, which hides most of the gradient).

use flows::distribution::DistributionGradient;
use flows::gradient::{BijectionGradient, ConditionerGradient, TransformerGradient};
use flows::nalgebra::{SMatrix, SVector};
use flows::{Bijection, Flow, Parameters, Path};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// The largest relative error accepted: `|numeric − analytic| / max(|numeric|, |analytic|, FLOOR)`.
pub const TOLERANCE: f64 = 1e-6;

/// Gradients smaller than this are compared in absolute terms.
const FLOOR: f64 = 1e-4;

/// The finite-difference step.
const STEP: f64 = 1e-3;

/// Random draws per direction.
const DRAWS: usize = 3;

/// The largest share of the entries a [`Smoothness::Piecewise`] check may skip.
const MAX_KINKED: f64 = 0.05;

/// Whether a checked function is smooth, or smooth only between kinks (ReLU units, spline knots),
/// where a finite difference whose stencil straddles a kink is off at first order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Smoothness {
    /// Every entry is compared.
    #[default]
    Smooth,
    /// Each entry is differenced at two step sizes, [`STEP`] and a quarter of it. Where the two
    /// disagree, a kink lies within the stencil and the entry is skipped; the others are compared
    /// as in [`Smoothness::Smooth`]. At most [`MAX_KINKED`] of the entries may be skipped, so a
    /// wrong gradient cannot hide behind the rule.
    Piecewise,
}

/// The derivative of `f` at 0 by the five-point central difference.
pub fn derivative(f: impl FnMut(f64) -> f64) -> f64 {
    derivative_with_step(f, STEP)
}

/// The derivative of `f` at 0 by the five-point central difference of step `h`.
fn derivative_with_step(mut f: impl FnMut(f64) -> f64, h: f64) -> f64 {
    (-f(2.0 * h) + 8.0 * f(h) - 8.0 * f(-h) + f(-2.0 * h)) / (12.0 * h)
}

/// The relative error of `analytic` against `numeric`.
pub fn relative_error(numeric: f64, analytic: f64) -> f64 {
    let scale = numeric.abs().max(analytic.abs()).max(FLOOR);
    let error = (numeric - analytic).abs() / scale;
    if error.is_nan() { f64::INFINITY } else { error }
}

/// Collects the entries that fail and panics with all of them.
#[derive(Default)]
struct Report {
    checked: usize,
    failures: Vec<String>,
    smoothness: Smoothness,
    /// Entries skipped because a kink lies within their stencil.
    kinked: usize,
}

impl Report {
    fn new(smoothness: Smoothness) -> Self {
        Self {
            smoothness,
            ..Self::default()
        }
    }

    /// Compares the finite-difference derivative of `f` at 0 with `analytic`, by the report's
    /// [`Smoothness`].
    fn compare_derivative(
        &mut self,
        what: impl FnOnce() -> String,
        mut f: impl FnMut(f64) -> f64,
        analytic: f64,
    ) {
        match self.smoothness {
            Smoothness::Smooth => self.compare(what, derivative(f), analytic),
            Smoothness::Piecewise => {
                let coarse = derivative_with_step(&mut f, STEP);
                let fine = derivative_with_step(&mut f, STEP / 4.0);
                if relative_error(coarse, fine) > TOLERANCE {
                    self.checked += 1;
                    self.kinked += 1;
                } else {
                    // The coarser difference: kink-free too, and less rounding.
                    self.compare(what, coarse, analytic);
                }
            }
        }
    }

    fn compare(&mut self, what: impl FnOnce() -> String, numeric: f64, analytic: f64) {
        self.checked += 1;
        let error = relative_error(numeric, analytic);
        if error > TOLERANCE {
            self.failures.push(format!(
                "{}: numeric {numeric:.12e}, analytic {analytic:.12e}, relative error {error:.2e}",
                what()
            ));
        }
    }

    fn finish(self, subject: &str) {
        assert!(self.checked > 0, "{subject}: nothing was checked");
        assert!(
            self.kinked as f64 <= MAX_KINKED * self.checked as f64,
            "{subject}: {} of {} entries have a kink within the finite-difference stencil; \
             draw other points or parameters",
            self.kinked,
            self.checked
        );
        if !self.failures.is_empty() {
            let shown = self.failures.len().min(40);
            panic!(
                "{subject}: {} of {} gradient entries off by more than {TOLERANCE:e}:\n{}",
                self.failures.len(),
                self.checked,
                self.failures[..shown].join("\n")
            );
        }
    }
}

/// The names and flat values of every parameter scalar, in visiting order.
pub fn flat_parameters<P: Parameters<f64>>(layer: &P) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    layer.visit(&Path::ROOT, &mut |path, values| {
        for (i, v) in values.iter().enumerate() {
            out.push((format!("{path}[{i}]"), *v));
        }
    });
    out
}

/// A copy of `layer` with every parameter zero: an empty gradient accumulator.
pub fn zeroed<P: Parameters<f64> + Clone>(layer: &P) -> P {
    let mut out = layer.clone();
    out.visit_mut(&Path::ROOT, &mut |_, values| values.fill(0.0));
    out
}

/// A copy of `layer` with `delta` added to its parameter scalar number `index`.
fn nudged<P: Parameters<f64> + Clone>(layer: &P, index: usize, delta: f64) -> P {
    let mut out = layer.clone();
    let mut offset = 0;
    out.visit_mut(&Path::ROOT, &mut |_, values| {
        if (offset..offset + values.len()).contains(&index) {
            values[index - offset] += delta;
        }
        offset += values.len();
    });
    out
}

fn normal<const N: usize>(rng: &mut Xoshiro256PlusPlus) -> SVector<f64, N> {
    SVector::from_fn(|_, _| <f64 as flows::Real>::standard_normal(rng))
}

/// A scalar function of a layer, an input and a context.
type Loss<'a, P, const I: usize, const C: usize> =
    dyn Fn(&P, &SVector<f64, I>, &SVector<f64, C>) -> f64 + 'a;

/// Checks the gradient of a scalar function `loss(layer, input, context)` against the analytic
/// `(d_input, d_context, grad)` at every input, context and parameter entry.
#[allow(clippy::too_many_arguments)]
fn compare_all<P: Parameters<f64> + Clone, const I: usize, const C: usize>(
    report: &mut Report,
    label: &str,
    layer: &P,
    input: &SVector<f64, I>,
    context: &SVector<f64, C>,
    loss: &Loss<'_, P, I, C>,
    d_input: &SVector<f64, I>,
    d_context: &SVector<f64, C>,
    grad: &P,
) {
    for i in 0..I {
        let moved = |h| {
            let mut moved = *input;
            moved[i] += h;
            loss(layer, &moved, context)
        };
        report.compare_derivative(|| format!("{label}: input[{i}]"), moved, d_input[i]);
    }
    for i in 0..C {
        let moved = |h| {
            let mut moved = *context;
            moved[i] += h;
            loss(layer, input, &moved)
        };
        report.compare_derivative(|| format!("{label}: context[{i}]"), moved, d_context[i]);
    }
    for (index, (name, analytic)) in flat_parameters(grad).into_iter().enumerate() {
        let moved = |h| loss(&nudged(layer, index, h), input, context);
        report.compare_derivative(|| format!("{label}: {name}"), moved, analytic);
    }
}

/// Which way a bijection is differentiated.
#[derive(Clone, Copy, Debug)]
enum Direction {
    Forward,
    Inverse,
}

fn apply<B: Bijection<f64, D, C>, const D: usize, const C: usize>(
    layer: &B,
    direction: Direction,
    input: &SVector<f64, D>,
    context: &SVector<f64, C>,
) -> (SVector<f64, D>, f64) {
    match direction {
        Direction::Forward => layer.forward(input, context),
        Direction::Inverse => layer.inverse(input, context),
    }
}

/// Checks [`BijectionGradient`] of `layer` against finite differences, in both directions, at
/// random inputs and contexts drawn from `seed`, with respect to the input, the context and every
/// parameter; and checks that the one-pass `*_with_gradient` methods agree with the two-pass
/// `backward_*` ones and hand the layer's true output to their upstream. Panics with every entry
/// off by more than [`TOLERANCE`].
pub fn check_bijection_gradient<B, const D: usize, const C: usize>(layer: &B, seed: u64)
where
    B: BijectionGradient<f64, D, C> + Parameters<f64> + Clone,
{
    bijection_gradient(layer, seed, Smoothness::Smooth);
}

/// [`check_bijection_gradient`] for a layer that is smooth only between kinks (ReLU networks,
/// rational-quadratic splines): see [`Smoothness::Piecewise`].
pub fn check_piecewise_bijection_gradient<B, const D: usize, const C: usize>(layer: &B, seed: u64)
where
    B: BijectionGradient<f64, D, C> + Parameters<f64> + Clone,
{
    bijection_gradient(layer, seed, Smoothness::Piecewise);
}

fn bijection_gradient<B, const D: usize, const C: usize>(
    layer: &B,
    seed: u64,
    smoothness: Smoothness,
) where
    B: BijectionGradient<f64, D, C> + Parameters<f64> + Clone,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut report = Report::new(smoothness);
    for direction in [Direction::Forward, Direction::Inverse] {
        for draw in 0..DRAWS {
            let input = normal::<D>(&mut rng);
            let context = normal::<C>(&mut rng);
            let d_out = normal::<D>(&mut rng);
            let d_log_det = <f64 as flows::Real>::standard_normal(&mut rng);
            let label = format!("{direction:?} draw {draw}");

            let mut grad = zeroed(layer);
            let mut d_context = SVector::<f64, C>::zeros();
            let d_input = match direction {
                Direction::Forward => layer.backward_forward(
                    &input,
                    &context,
                    &d_out,
                    d_log_det,
                    &mut grad,
                    &mut d_context,
                ),
                Direction::Inverse => layer.backward_inverse(
                    &input,
                    &context,
                    &d_out,
                    d_log_det,
                    &mut grad,
                    &mut d_context,
                ),
            };

            // The one-pass form: same gradients, and the upstream sees the true output.
            let expected = apply(layer, direction, &input, &context);
            let mut seen = None;
            let mut grad_one = zeroed(layer);
            let mut d_context_one = SVector::<f64, C>::zeros();
            let mut upstream = |out: &SVector<f64, D>, ld: f64| {
                seen = Some((*out, ld));
                (d_out, d_log_det)
            };
            let d_input_one = match direction {
                Direction::Forward => layer.forward_with_gradient(
                    &input,
                    &context,
                    &mut upstream,
                    &mut grad_one,
                    &mut d_context_one,
                ),
                Direction::Inverse => layer.inverse_with_gradient(
                    &input,
                    &context,
                    &mut upstream,
                    &mut grad_one,
                    &mut d_context_one,
                ),
            };
            match seen {
                Some((out, ld)) => {
                    for i in 0..D {
                        report.compare(
                            || format!("{label}: upstream saw output[{i}]"),
                            expected.0[i],
                            out[i],
                        );
                    }
                    report.compare(|| format!("{label}: upstream saw log-det"), expected.1, ld);
                }
                None => report
                    .failures
                    .push(format!("{label}: upstream never called")),
            }
            let one_pass = format!("{label} (one pass)");
            for i in 0..D {
                report.compare(
                    || format!("{one_pass}: input[{i}]"),
                    d_input[i],
                    d_input_one[i],
                );
            }
            for i in 0..C {
                report.compare(
                    || format!("{one_pass}: context[{i}]"),
                    d_context[i],
                    d_context_one[i],
                );
            }
            for ((name, two), (_, one)) in flat_parameters(&grad)
                .into_iter()
                .zip(flat_parameters(&grad_one))
            {
                report.compare(|| format!("{one_pass}: {name}"), two, one);
            }

            let loss = |l: &B, x: &SVector<f64, D>, c: &SVector<f64, C>| {
                let (out, ld) = apply(l, direction, x, c);
                d_out.dot(&out) + d_log_det * ld
            };
            compare_all(
                &mut report,
                &label,
                layer,
                &input,
                &context,
                &loss,
                &d_input,
                &d_context,
                &grad,
            );
        }
    }
    report.finish(core::any::type_name::<B>());
}

/// Checks [`ConditionerGradient`] of `net` against finite differences at random inputs,
/// contexts and upstream gradients drawn from `seed`: the inputs, the context and every parameter,
/// and [`eval_with_gradient`](ConditionerGradient::eval_with_gradient) against
/// [`backward`](ConditionerGradient::backward).
pub fn check_conditioner_gradient<
    N,
    const I: usize,
    const C: usize,
    const P: usize,
    const B: usize,
>(
    net: &N,
    seed: u64,
) where
    N: ConditionerGradient<f64, I, C, P, B> + Parameters<f64> + Clone,
{
    conditioner_gradient(net, seed, Smoothness::Smooth);
}

/// [`check_conditioner_gradient`] for a network that is smooth only between kinks (ReLU): see
/// [`Smoothness::Piecewise`].
pub fn check_piecewise_conditioner_gradient<
    N,
    const I: usize,
    const C: usize,
    const P: usize,
    const B: usize,
>(
    net: &N,
    seed: u64,
) where
    N: ConditionerGradient<f64, I, C, P, B> + Parameters<f64> + Clone,
{
    conditioner_gradient(net, seed, Smoothness::Piecewise);
}

fn conditioner_gradient<N, const I: usize, const C: usize, const P: usize, const B: usize>(
    net: &N,
    seed: u64,
    smoothness: Smoothness,
) where
    N: ConditionerGradient<f64, I, C, P, B> + Parameters<f64> + Clone,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut report = Report::new(smoothness);
    for draw in 0..DRAWS {
        let input = normal::<I>(&mut rng);
        let context = normal::<C>(&mut rng);
        let d_out =
            SMatrix::<f64, P, B>::from_fn(|_, _| <f64 as flows::Real>::standard_normal(&mut rng));
        let label = format!("draw {draw}");
        let mut grad = zeroed(net);
        let (d_input, d_context) = net.backward(&input, &context, &d_out, &mut grad);

        let mut grad_one = zeroed(net);
        let expected = net.eval(&input, &context);
        let mut seen = None;
        let (d_input_one, d_context_one) = net.eval_with_gradient(
            &input,
            &context,
            &mut |out| {
                seen = Some(*out);
                d_out
            },
            &mut grad_one,
        );
        match seen {
            Some(out) => {
                for (i, (e, o)) in expected.iter().zip(out.iter()).enumerate() {
                    report.compare(|| format!("{label}: upstream saw output {i}"), *e, *o);
                }
            }
            None => report
                .failures
                .push(format!("{label}: upstream never called")),
        }
        for i in 0..I {
            report.compare(
                || format!("{label} one pass: input[{i}]"),
                d_input[i],
                d_input_one[i],
            );
        }
        for i in 0..C {
            report.compare(
                || format!("{label} one pass: context[{i}]"),
                d_context[i],
                d_context_one[i],
            );
        }
        for ((name, two), (_, one)) in flat_parameters(&grad)
            .into_iter()
            .zip(flat_parameters(&grad_one))
        {
            report.compare(|| format!("{label} one pass: {name}"), two, one);
        }

        let loss = |n: &N, x: &SVector<f64, I>, c: &SVector<f64, C>| {
            n.eval(x, c).component_mul(&d_out).sum()
        };
        compare_all(
            &mut report,
            &label,
            net,
            &input,
            &context,
            &loss,
            &d_input,
            &d_context,
            &grad,
        );
    }
    report.finish(core::any::type_name::<N>());
}

/// Checks [`TransformerGradient`] of `transformer` at `(x, h)` in the forward direction and at
/// `(y, h)` in the inverse direction: the values and log-dets against the
/// [`Transformer`](flows::transformer::Transformer) methods, and every partial derivative
/// against finite differences. Returns the failures (empty if it passes).
pub fn transformer_gradient_errors<Tr, const P: usize>(
    transformer: &Tr,
    x: f64,
    h: &SVector<f64, P>,
) -> Vec<String>
where
    Tr: TransformerGradient<f64, P>,
{
    let mut report = Report::default();
    type Map<Tr, const P: usize> = fn(&Tr, f64, &SVector<f64, P>) -> (f64, f64);
    let directions: [(&str, Map<Tr, P>, _); 2] = [
        (
            "forward",
            Tr::forward,
            Tr::forward_derivatives(transformer, x, h),
        ),
        (
            "inverse",
            Tr::inverse,
            Tr::inverse_derivatives(transformer, x, h),
        ),
    ];
    for (label, map, derivatives) in directions {
        let (value, log_det) = map(transformer, x, h);
        report.compare(
            || format!("{label} at {x}: value"),
            value,
            derivatives.value,
        );
        report.compare(
            || format!("{label} at {x}: log-det"),
            log_det,
            derivatives.log_det,
        );
        let d_value = derivative(|e| map(transformer, x + e, h).0);
        let d_log_det = derivative(|e| map(transformer, x + e, h).1);
        report.compare(
            || format!("{label} at {x}: d value/dx"),
            d_value,
            derivatives.d_value_d_input,
        );
        report.compare(
            || format!("{label} at {x}: d log-det/dx"),
            d_log_det,
            derivatives.d_log_det_d_input,
        );
        for k in 0..P {
            let moved = |e: f64| {
                let mut hh = *h;
                hh[k] += e;
                map(transformer, x, &hh)
            };
            report.compare(
                || format!("{label} at {x}: d value/dh[{k}]"),
                derivative(|e| moved(e).0),
                derivatives.d_value_d_params[k],
            );
            report.compare(
                || format!("{label} at {x}: d log-det/dh[{k}]"),
                derivative(|e| moved(e).1),
                derivatives.d_log_det_d_params[k],
            );
        }
    }
    report.failures
}

/// Checks [`TransformerGradient`] of `transformer` (see [`transformer_gradient_errors`]) at
/// random points `x ~ N(0, 2²)` and parameters `h ~ N(0, 1)` drawn from `seed`. Panics with every
/// failure.
pub fn check_transformer_gradient<Tr, const P: usize>(transformer: &Tr, seed: u64)
where
    Tr: TransformerGradient<f64, P>,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut report = Report::default();
    for _ in 0..20 {
        let x = 2.0 * <f64 as flows::Real>::standard_normal(&mut rng);
        let h = normal::<P>(&mut rng);
        report.checked += 1;
        report
            .failures
            .extend(transformer_gradient_errors(transformer, x, &h));
    }
    report.finish(core::any::type_name::<Tr>());
}

/// Checks the loss gradients of a flow against finite differences at points drawn from `seed`:
/// [`Flow::log_prob_gradient_given`] (maximum likelihood) with respect to the point, the context
/// and every parameter, and [`Flow::sample_gradient_given`] (the reparameterized sampling path)
/// for the loss `a·x + b·log q(x)` with random `a` and `b`.
pub fn check_flow_gradient<B, Base, const D: usize, const C: usize>(
    flow: &Flow<f64, D, C, B, Base>,
    seed: u64,
) where
    B: BijectionGradient<f64, D, C> + Parameters<f64> + Clone,
    Base: DistributionGradient<f64, D> + Clone,
{
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut report = Report::default();
    for draw in 0..DRAWS {
        let x = normal::<D>(&mut rng);
        let context = normal::<C>(&mut rng);
        let weight = 0.5 + draw as f64;
        let mut grad = zeroed(flow);
        let (log_prob, d_x, d_context) =
            flow.log_prob_gradient_given(&x, &context, weight, &mut grad);
        report.compare(
            || format!("log_prob draw {draw}: value"),
            flow.log_prob_given(&x, &context),
            log_prob,
        );
        let loss = |f: &Flow<f64, D, C, B, Base>, x: &SVector<f64, D>, c: &SVector<f64, C>| {
            -weight * f.log_prob_given(x, c)
        };
        let label = format!("log_prob draw {draw}");
        compare_all(
            &mut report,
            &label,
            flow,
            &x,
            &context,
            &loss,
            &d_x,
            &d_context,
            &grad,
        );

        let z = normal::<D>(&mut rng);
        let a = normal::<D>(&mut rng);
        let b = <f64 as flows::Real>::standard_normal(&mut rng);
        let mut grad = zeroed(flow);
        let (d_z, d_context) =
            flow.sample_gradient_given(&z, &context, &mut |_, _| (a, b), &mut grad);
        let loss = |f: &Flow<f64, D, C, B, Base>, z: &SVector<f64, D>, c: &SVector<f64, C>| {
            let base = f.base.log_prob(z);
            let (x, ld) = f.bijection.inverse(z, c);
            a.dot(&x) + b * (base - ld)
        };
        let label = format!("sample draw {draw}");
        compare_all(
            &mut report,
            &label,
            flow,
            &z,
            &context,
            &loss,
            &d_z,
            &d_context,
            &grad,
        );
    }
    report.finish(core::any::type_name::<Flow<f64, D, C, B, Base>>());
}
