//! Maximum-likelihood training.

use std::time::{Duration, Instant};

use nalgebra::SVector;
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

use super::batch::{assign, batch_gradient, flatten};
use super::{Adam, FitReport, Schedule, StopReason, TrainError};
use crate::distribution::DistributionGradient;
use crate::gradient::BijectionGradient;
use crate::{Flow, Parameters, Real};

/// Samples to fit or to validate on: events, and optionally one context and one weight per event.
#[derive(Clone, Copy, Debug)]
pub struct TrainingData<'a, T: Real, const D: usize, const C: usize> {
    /// The events.
    pub x: &'a [SVector<T, D>],
    /// The context of each event (required when `C > 0`).
    pub context: Option<&'a [SVector<T, C>]>,
    /// The weight of each event (1 when absent).
    pub weights: Option<&'a [T]>,
}

impl<'a, T: Real, const D: usize, const C: usize> TrainingData<'a, T, D, C> {
    /// Unweighted events without context.
    pub fn new(x: &'a [SVector<T, D>]) -> Self {
        Self {
            x,
            context: None,
            weights: None,
        }
    }

    /// With one context per event.
    pub fn with_context(mut self, context: &'a [SVector<T, C>]) -> Self {
        self.context = Some(context);
        self
    }

    /// With one weight per event.
    pub fn with_weights(mut self, weights: &'a [T]) -> Self {
        self.weights = Some(weights);
        self
    }

    fn len(&self) -> usize {
        self.x.len()
    }

    fn context(&self, i: usize) -> SVector<T, C> {
        self.context
            .and_then(|c| c.get(i).copied())
            .unwrap_or_else(SVector::zeros)
    }

    fn weight(&self, i: usize) -> T {
        self.weights
            .and_then(|w| w.get(i).copied())
            .unwrap_or_else(T::one)
    }

    /// Checks lengths, finiteness and weights; `what` names the set in errors.
    fn validate(&self, what: [&'static str; 3]) -> Result<(), TrainError> {
        let n = self.len();
        if n == 0 {
            return Err(TrainError::Empty { what: what[0] });
        }
        if let Some(index) = self.x.iter().position(|x| x.iter().any(|v| !v.is_finite())) {
            return Err(TrainError::NonFinite {
                what: what[0],
                index,
            });
        }
        match self.context {
            Some(context) => {
                if context.len() != n {
                    return Err(TrainError::LengthMismatch {
                        what: what[1],
                        expected: n,
                        found: context.len(),
                    });
                }
                if let Some(index) = context
                    .iter()
                    .position(|c| c.iter().any(|v| !v.is_finite()))
                {
                    return Err(TrainError::NonFinite {
                        what: what[1],
                        index,
                    });
                }
            }
            None if C > 0 => {
                return Err(TrainError::LengthMismatch {
                    what: what[1],
                    expected: n,
                    found: 0,
                });
            }
            None => {}
        }
        if let Some(weights) = self.weights {
            if weights.len() != n {
                return Err(TrainError::LengthMismatch {
                    what: what[2],
                    expected: n,
                    found: weights.len(),
                });
            }
            if let Some(index) = weights.iter().position(|w| !w.is_finite()) {
                return Err(TrainError::NonFinite {
                    what: what[2],
                    index,
                });
            }
            if let Some(index) = weights.iter().position(|w| *w < T::zero()) {
                return Err(TrainError::BadWeight {
                    what: what[2],
                    index,
                });
            }
            if weights.iter().all(|w| *w == T::zero()) {
                return Err(TrainError::BadWeight {
                    what: what[2],
                    index: n,
                });
            }
        }
        Ok(())
    }

    /// The weighted mean negative log-likelihood.
    fn mean_nll<B, Base>(&self, flow: &Flow<T, D, C, B, Base>) -> f64
    where
        B: BijectionGradient<T, D, C>,
        Base: DistributionGradient<T, D>,
    {
        let (mut total, mut weight) = (0.0, 0.0);
        for (i, x) in self.x.iter().enumerate() {
            let w = self.weight(i).to_f64();
            total -= w * flow.log_prob_given(x, &self.context(i)).to_f64();
            weight += w;
        }
        total / weight
    }
}

/// The options of [`fit`]. `FitOptions::default()` gives zuko's protocol: 200 epochs of Adam at a
/// learning rate of 1e-3 on shuffled batches of 256, no weight decay, the best epoch's weights
/// kept.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// Passes over the training data.
    pub epochs: usize,
    /// Adam's step size (at the start, when a [`schedule`](Self::schedule) changes it).
    pub learning_rate: f64,
    /// How the step size changes over the planned optimizer steps.
    pub schedule: Schedule,
    /// Decoupled weight decay (AdamW); 0 is plain Adam.
    pub weight_decay: f64,
    /// Clip each batch gradient to this Euclidean norm.
    pub max_grad_norm: Option<f64>,
    /// Samples per optimizer step.
    pub batch_size: usize,
    /// Reshuffle the training data every epoch.
    pub shuffle: bool,
    /// Seeds the shuffling (and nothing else: the flow's initialization is the caller's).
    pub seed: u64,
    /// Stop when the monitored loss (validation if given, else training) has not improved for
    /// this many epochs.
    pub patience: Option<usize>,
    /// Restore the weights of the best epoch at the end.
    pub keep_best: bool,
    /// Stop after this much wall time (checked after every batch).
    pub time_limit: Option<Duration>,
    /// Initialize data-dependent layers (ActNorm) from the first batch before training.
    pub initialize: bool,
    /// Show a progress bar with the running losses (on stderr).
    pub progress: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            epochs: 200,
            learning_rate: 1e-3,
            schedule: Schedule::Constant,
            weight_decay: 0.0,
            max_grad_norm: None,
            batch_size: 256,
            shuffle: true,
            seed: 0,
            patience: None,
            keep_best: true,
            time_limit: None,
            initialize: true,
            progress: false,
        }
    }
}

impl FitOptions {
    fn validate(&self) -> Result<(), TrainError> {
        let bad = |option, requirement| {
            Err(TrainError::BadOption {
                option,
                requirement,
            })
        };
        if self.batch_size == 0 {
            return bad("batch_size", "at least 1");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning_rate", "positive and finite");
        }
        if !self.schedule.is_valid() {
            return bad("schedule", "a cosine floor in [0, 1]");
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad("weight_decay", "non-negative and finite");
        }
        if let Some(max) = self.max_grad_norm
            && !(max.is_finite() && max > 0.0)
        {
            return bad("max_grad_norm", "positive and finite");
        }
        Ok(())
    }
}

/// A progress bar, or nothing.
pub(super) struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub(super) fn new(show: bool, length: usize, unit: &str) -> Self {
        Self(show.then(|| {
            let bar = indicatif::ProgressBar::new(length as u64);
            let template =
                format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}}");
            if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        }))
    }

    pub(super) fn update(&self, message: impl FnOnce() -> String) {
        if let Some(bar) = &self.0 {
            bar.set_message(message());
            bar.inc(1);
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish();
        }
    }
}

/// Tracks the best monitored loss and its weights.
pub(super) struct Best {
    pub(super) epoch: Option<usize>,
    pub(super) loss: f64,
    pub(super) weights: Vec<f64>,
}

impl Best {
    pub(super) fn new(initial: Vec<f64>) -> Self {
        Self {
            epoch: None,
            loss: f64::INFINITY,
            weights: initial,
        }
    }

    /// Records `loss` at `epoch`; true if it is the best so far.
    pub(super) fn offer<T: Real, P: Parameters<T>>(
        &mut self,
        epoch: usize,
        loss: f64,
        model: &P,
    ) -> bool {
        if loss.is_finite() && loss < self.loss {
            self.loss = loss;
            self.epoch = Some(epoch);
            flatten(model, &mut self.weights);
            true
        } else {
            false
        }
    }

    pub(super) fn report(
        &self,
        train_loss: Vec<f64>,
        val_loss: Vec<f64>,
        restored_best: bool,
        stop: StopReason,
        start: Instant,
    ) -> FitReport {
        FitReport {
            train_loss,
            val_loss,
            best_epoch: self.epoch,
            best_loss: self.epoch.map(|_| self.loss),
            restored_best,
            stop,
            elapsed: start.elapsed(),
        }
    }
}

/// Fits `flow` to `train` by maximum likelihood: minimizes the weighted mean negative
/// log-likelihood with Adam(W) on (shuffled) batches, optionally monitoring `validation` after
/// every epoch for early stopping and for the best weights.
///
/// A NaN or infinite batch loss or gradient stops training, restores the best weights so far (the
/// initial ones before the first epoch ends) and is reported as [`StopReason::Diverged`]; it never
/// panics.
///
/// # Errors
/// Before any training: empty data, lists whose lengths disagree (a missing context when
/// `C > 0`), NaN or infinite values, negative or all-zero weights, a batch size of 0 and other
/// out-of-range options.
pub fn fit<T, const D: usize, const C: usize, B, Base>(
    flow: &mut Flow<T, D, C, B, Base>,
    train: TrainingData<'_, T, D, C>,
    validation: Option<TrainingData<'_, T, D, C>>,
    options: &FitOptions,
) -> Result<FitReport, TrainError>
where
    T: Real,
    B: BijectionGradient<T, D, C> + Parameters<T> + Clone + Send + Sync,
    Base: DistributionGradient<T, D> + Clone + Send + Sync,
{
    let start = Instant::now();
    options.validate()?;
    train.validate(["training data", "training context", "training weights"])?;
    if let Some(val) = &validation {
        val.validate([
            "validation data",
            "validation context",
            "validation weights",
        ])?;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    if options.shuffle {
        order.shuffle(&mut rng);
    }
    if options.initialize {
        let first = &order[..options.batch_size.min(order.len())];
        let mut batch: Vec<SVector<T, D>> = first.iter().map(|&i| train.x[i]).collect();
        flow.initialize_from_data_given(&mut batch, &|k| train.context(first[k]));
    }
    let mut initial = Vec::new();
    flatten(flow, &mut initial);
    let mut best = Best::new(initial);
    let (mut train_loss, mut val_loss) = (Vec::new(), Vec::new());
    if Flow::<T, D, C, B, Base>::COUNT == 0 {
        return Ok(best.report(train_loss, val_loss, false, StopReason::NoParameters, start));
    }
    let mut adam = Adam::new(options.learning_rate)
        .with_weight_decay(options.weight_decay)
        .with_max_grad_norm(options.max_grad_norm);
    let progress = Progress::new(options.progress, options.epochs, "epochs");
    let mut grad = Vec::new();
    let mut scratch = Vec::new();
    let mut stop = StopReason::Completed;
    let planned_steps = (options.epochs * train.len().div_ceil(options.batch_size)).max(1);
    let mut steps = 0;
    'epochs: for epoch in 0..options.epochs {
        if options.shuffle && epoch > 0 {
            order.shuffle(&mut rng);
        }
        let (mut epoch_loss, mut epoch_weight) = (0.0, 0.0);
        for batch in order.chunks(options.batch_size) {
            let weight: f64 = batch.iter().map(|&i| train.weight(i).to_f64()).sum();
            if weight <= 0.0 {
                continue;
            }
            let scale = T::lit(1.0 / weight);
            let loss = batch_gradient(
                &*flow,
                batch,
                |model: &Flow<T, D, C, B, Base>, i, g| {
                    let w = train.weight(i);
                    let (log_prob, _, _) =
                        model.log_prob_gradient_given(&train.x[i], &train.context(i), w * scale, g);
                    -(w * log_prob).to_f64()
                },
                &mut scratch,
                &mut grad,
            );
            // A fold rather than `any`: it runs over every value, but as vector code.
            let finite = grad.iter().fold(true, |finite, g| finite & g.is_finite());
            if !loss.is_finite() || !finite {
                stop = StopReason::Diverged { epoch };
                break 'epochs;
            }
            adam.learning_rate = options.learning_rate
                * options.schedule.factor(steps as f64 / planned_steps as f64);
            adam.step(flow, &mut grad);
            steps += 1;
            epoch_loss += loss;
            epoch_weight += weight;
            if options
                .time_limit
                .is_some_and(|limit| start.elapsed() >= limit)
            {
                stop = StopReason::TimeLimit;
                break;
            }
        }
        if stop == StopReason::TimeLimit && epoch_weight == 0.0 {
            break;
        }
        let mean = epoch_loss / epoch_weight;
        train_loss.push(mean);
        let monitored = match &validation {
            Some(val) => {
                let loss = val.mean_nll(flow);
                val_loss.push(loss);
                loss
            }
            None => mean,
        };
        if !monitored.is_finite() {
            stop = StopReason::Diverged { epoch };
            break;
        }
        best.offer(epoch, monitored, flow);
        progress.update(|| match val_loss.last() {
            Some(v) => format!("train {mean:.4} val {v:.4}"),
            None => format!("train {mean:.4}"),
        });
        if stop == StopReason::TimeLimit {
            break;
        }
        if let (Some(patience), Some(best_epoch)) = (options.patience, best.epoch)
            && epoch - best_epoch >= patience
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
    Ok(best.report(train_loss, val_loss, restore, stop, start))
}

impl<T, const D: usize, const C: usize, B, Base> Flow<T, D, C, B, Base>
where
    T: Real,
    B: BijectionGradient<T, D, C> + Parameters<T> + Clone + Send + Sync,
    Base: DistributionGradient<T, D> + Clone + Send + Sync,
{
    /// [`fit`] this flow.
    ///
    /// # Errors
    /// As [`fit`].
    pub fn fit(
        &mut self,
        train: TrainingData<'_, T, D, C>,
        validation: Option<TrainingData<'_, T, D, C>>,
        options: &FitOptions,
    ) -> Result<FitReport, TrainError> {
        fit(self, train, validation, options)
    }
}
