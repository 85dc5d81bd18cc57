//! Variational fitting to an unnormalized density.

use std::time::{Duration, Instant};

use nalgebra::SVector;
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

use super::batch::{assign, batch_gradient, flatten};
use super::fit::{Best, Progress};
use super::{Adam, FitReport, Schedule, StopReason, TrainError};
use crate::distribution::DistributionGradient;
use crate::gradient::BijectionGradient;
use crate::{Flow, Parameters, Real};

/// The options of [`variational_fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct VariationalOptions {
    /// Optimizer steps (one "epoch" each in the report).
    pub steps: usize,
    /// Reparameterized samples per step.
    pub samples: usize,
    /// Adam's step size (at the start, when a [`schedule`](Self::schedule) changes it).
    pub learning_rate: f64,
    /// How the step size changes over the steps.
    pub schedule: Schedule,
    /// Decoupled weight decay (AdamW); 0 is plain Adam.
    pub weight_decay: f64,
    /// Clip each step's gradient to this Euclidean norm.
    pub max_grad_norm: Option<f64>,
    /// Seeds the base draws.
    pub seed: u64,
    /// Stop when the step loss has not improved for this many steps.
    pub patience: Option<usize>,
    /// Restore the weights of the step with the lowest loss at the end (noisy: one step's
    /// estimate).
    pub keep_best: bool,
    /// Stop after this much wall time.
    pub time_limit: Option<Duration>,
    /// Show a progress bar with the running loss (on stderr).
    pub progress: bool,
}

impl Default for VariationalOptions {
    fn default() -> Self {
        Self {
            steps: 500,
            samples: 64,
            learning_rate: 1e-2,
            schedule: Schedule::Constant,
            weight_decay: 0.0,
            max_grad_norm: None,
            seed: 0,
            patience: None,
            keep_best: false,
            time_limit: None,
            progress: false,
        }
    }
}

/// The gradient of `log_density` by central differences (step `1e-5` scaled by `|x|`), for
/// targets without an analytic gradient: `(log p̃(x), ∇ log p̃(x))`, costing `2D + 1` calls.
pub fn finite_difference_gradient<T: Real, const D: usize>(
    log_density: impl Fn(&SVector<T, D>) -> T,
) -> impl Fn(&SVector<T, D>) -> (T, SVector<T, D>) {
    move |x| {
        let mut gradient = SVector::<T, D>::zeros();
        for i in 0..D {
            let step = T::lit(1e-5) * (T::one() + x[i].abs());
            let (mut plus, mut minus) = (*x, *x);
            plus[i] += step;
            minus[i] -= step;
            gradient[i] = (log_density(&plus) - log_density(&minus)) / (step + step);
        }
        (log_density(x), gradient)
    }
}

/// Fits an unconditional `flow` to the unnormalized log-density `target` by maximizing the ELBO
/// `E_q[log p̃(x) − log q(x)]` with reparameterized samples `x = B⁻¹(z)`, `z` from the base.
///
/// `target(x)` returns `(log p̃(x), ∇ log p̃(x))`; wrap a plain log-density in
/// [`finite_difference_gradient`] if it has no analytic gradient. The report's losses are the
/// step estimates of the negative ELBO. A step whose loss or gradient is NaN or infinite stops
/// training and restores the best weights (the initial ones if no step was finite).
///
/// # Errors
/// Before any training: 0 samples per step and out-of-range options.
pub fn variational_fit<T, const D: usize, B, Base, F>(
    flow: &mut Flow<T, D, 0, B, Base>,
    target: F,
    options: &VariationalOptions,
) -> Result<FitReport, TrainError>
where
    T: Real,
    B: BijectionGradient<T, D, 0> + Parameters<T> + Clone + Send + Sync,
    Base: DistributionGradient<T, D> + Clone + Send + Sync,
    F: Fn(&SVector<T, D>) -> (T, SVector<T, D>) + Sync,
{
    let start = Instant::now();
    let bad = |option, requirement| {
        Err(TrainError::BadOption {
            option,
            requirement,
        })
    };
    if options.samples == 0 {
        return bad("samples", "at least 1");
    }
    if !(options.learning_rate.is_finite() && options.learning_rate > 0.0) {
        return bad("learning_rate", "positive and finite");
    }
    if !(options.weight_decay.is_finite() && options.weight_decay >= 0.0) {
        return bad("weight_decay", "non-negative and finite");
    }
    if !options.schedule.is_valid() {
        return bad("schedule", "a cosine floor in [0, 1]");
    }
    let mut initial = Vec::new();
    flatten(flow, &mut initial);
    let mut best = Best::new(initial);
    let mut losses = Vec::new();
    if Flow::<T, D, 0, B, Base>::COUNT == 0 {
        return Ok(best.report(losses, Vec::new(), false, StopReason::NoParameters, start));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let mut adam = Adam::new(options.learning_rate)
        .with_weight_decay(options.weight_decay)
        .with_max_grad_norm(options.max_grad_norm);
    let progress = Progress::new(options.progress, options.steps, "steps");
    let items: Vec<usize> = (0..options.samples).collect();
    let scale = T::lit(1.0 / options.samples as f64);
    let mut grad = Vec::new();
    let mut scratch = Vec::new();
    let mut stop = StopReason::Completed;
    for step in 0..options.steps {
        let draws: Vec<SVector<T, D>> = (0..options.samples)
            .map(|_| flow.base.sample(&mut rng))
            .collect();
        let total = batch_gradient(
            &*flow,
            &items,
            |model: &Flow<T, D, 0, B, Base>, i, g| {
                let mut loss = 0.0;
                model.sample_gradient_given(
                    &draws[i],
                    &SVector::zeros(),
                    &mut |x, log_q| {
                        let (log_target, d_target) = target(x);
                        loss = (log_q - log_target).to_f64();
                        (-d_target * scale, scale)
                    },
                    g,
                );
                loss
            },
            &mut scratch,
            &mut grad,
        );
        let loss = total / options.samples as f64;
        if !loss.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            stop = StopReason::Diverged { epoch: step };
            break;
        }
        losses.push(loss);
        best.offer(step, loss, flow);
        adam.learning_rate = options.learning_rate
            * options
                .schedule
                .factor(step as f64 / options.steps.max(1) as f64);
        adam.step(flow, &mut grad);
        progress.update(|| format!("-ELBO {loss:.4}"));
        if options
            .time_limit
            .is_some_and(|limit| start.elapsed() >= limit)
        {
            stop = StopReason::TimeLimit;
            break;
        }
        if let (Some(patience), Some(best_step)) = (options.patience, best.epoch)
            && step - best_step >= patience
        {
            stop = StopReason::EarlyStopping;
            break;
        }
    }
    progress.finish();
    let diverged = matches!(stop, StopReason::Diverged { .. });
    let restore = diverged || (options.keep_best && best.epoch.is_some());
    if restore {
        assign(flow, &best.weights);
    }
    Ok(best.report(losses, Vec::new(), restore, stop, start))
}

impl<T, const D: usize, B, Base> Flow<T, D, 0, B, Base>
where
    T: Real,
    B: BijectionGradient<T, D, 0> + Parameters<T> + Clone + Send + Sync,
    Base: DistributionGradient<T, D> + Clone + Send + Sync,
{
    /// [`variational_fit`] this flow to `target`.
    ///
    /// # Errors
    /// As [`variational_fit`].
    pub fn variational_fit<F>(
        &mut self,
        target: F,
        options: &VariationalOptions,
    ) -> Result<FitReport, TrainError>
    where
        F: Fn(&SVector<T, D>) -> (T, SVector<T, D>) + Sync,
    {
        variational_fit(self, target, options)
    }
}
