//! Learning-rate schedules.

/// How the learning rate changes over a fit, as a factor of
/// [`FitOptions::learning_rate`](super::FitOptions::learning_rate) applied at every optimizer
/// step.
///
/// ```
/// use flows::train::Schedule;
///
/// let cosine = Schedule::Cosine { floor: 0.01 };
/// assert_eq!(cosine.factor(0.0), 1.0);
/// assert!((cosine.factor(0.5) - 0.505).abs() < 1e-12);
/// assert!((cosine.factor(1.0) - 0.01).abs() < 1e-12);
/// assert_eq!(Schedule::Constant.factor(0.7), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Schedule {
    /// The same rate throughout.
    #[default]
    Constant,
    /// Cosine annealing (Loshchilov and Hutter 2017) from the full rate down to `floor` times it
    /// at the last step.
    Cosine {
        /// The final factor, in `[0, 1]`.
        floor: f64,
    },
}

impl Schedule {
    /// The factor at `progress`, the fraction of the planned optimizer steps already taken
    /// (clamped to `[0, 1]`).
    pub fn factor(&self, progress: f64) -> f64 {
        match *self {
            Schedule::Constant => 1.0,
            Schedule::Cosine { floor } => {
                let t = progress.clamp(0.0, 1.0);
                floor + (1.0 - floor) * 0.5 * (1.0 + (core::f64::consts::PI * t).cos())
            }
        }
    }

    /// Whether the schedule's own numbers are in range.
    pub(super) fn is_valid(&self) -> bool {
        match *self {
            Schedule::Constant => true,
            Schedule::Cosine { floor } => (0.0..=1.0).contains(&floor),
        }
    }
}
