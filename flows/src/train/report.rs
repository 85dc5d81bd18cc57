//! What a training run did.

use std::fmt;
use std::time::Duration;

/// Why training stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// All the epochs (or steps) ran.
    Completed,
    /// The monitored loss did not improve for `patience` epochs.
    EarlyStopping,
    /// The time limit was reached.
    TimeLimit,
    /// A loss or gradient was NaN or infinite at this epoch (0-based); the best weights so far
    /// (or the initial ones) were restored.
    Diverged {
        /// The epoch (or step) where it happened.
        epoch: usize,
    },
    /// The flow has no trainable parameters: nothing to do.
    NoParameters,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Completed => f.write_str("completed every epoch"),
            StopReason::EarlyStopping => f.write_str("stopped early: no improvement"),
            StopReason::TimeLimit => f.write_str("reached the time limit"),
            StopReason::Diverged { epoch } => write!(
                f,
                "diverged at epoch {epoch} (non-finite loss); best weights restored"
            ),
            StopReason::NoParameters => f.write_str("no trainable parameters"),
        }
    }
}

/// The record of a [`fit`](super::fit) or [`variational_fit`](super::variational_fit) run.
///
/// Losses are per sample, in nats: the weighted mean negative log-likelihood for `fit`, the
/// negative ELBO estimate (`log q(x) − log p̃(x)`) for `variational_fit`, which has one "epoch"
/// per optimizer step.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// The mean training loss of each epoch (over its batches, with the weights of that epoch).
    pub train_loss: Vec<f64>,
    /// The validation loss after each epoch (empty without validation data).
    pub val_loss: Vec<f64>,
    /// The epoch (0-based) with the lowest monitored loss (validation if given, else training).
    pub best_epoch: Option<usize>,
    /// That loss.
    pub best_loss: Option<f64>,
    /// Whether the weights of the best epoch were restored at the end.
    pub restored_best: bool,
    /// Why training stopped.
    pub stop: StopReason,
    /// The wall time of the run.
    pub elapsed: Duration,
}

impl FitReport {
    /// The number of epochs (or steps) that ran to completion.
    pub fn epochs(&self) -> usize {
        self.train_loss.len()
    }
}

impl fmt::Display for FitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} epochs in {:.2?}, {}",
            self.epochs(),
            self.elapsed,
            self.stop
        )?;
        if let (Some(epoch), Some(loss)) = (self.best_epoch, self.best_loss) {
            write!(f, "; best loss {loss:.4} at epoch {epoch}")?;
            if self.restored_best {
                f.write_str(" (restored)")?;
            }
        }
        Ok(())
    }
}
