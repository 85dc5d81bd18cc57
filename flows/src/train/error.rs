//! Why training refused to start.

use core::fmt;

/// Bad input to [`fit`](super::fit) or [`variational_fit`](super::variational_fit), found before
/// any training step.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// A data set has no samples.
    Empty {
        /// Which data set.
        what: &'static str,
    },
    /// Two lists that go together have different lengths.
    LengthMismatch {
        /// Which list.
        what: &'static str,
        /// The number of samples.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A value is NaN or infinite.
    NonFinite {
        /// Which list.
        what: &'static str,
        /// The index of the offending sample.
        index: usize,
    },
    /// A sample weight is negative, or all the weights are zero.
    BadWeight {
        /// Which list.
        what: &'static str,
        /// The index of the offending weight (the length when they are all zero).
        index: usize,
    },
    /// An option is out of range.
    BadOption {
        /// The option.
        option: &'static str,
        /// What it must be.
        requirement: &'static str,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Empty { what } => write!(f, "{what} is empty"),
            TrainError::LengthMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what} has {found} entries but there are {expected} samples"
            ),
            TrainError::NonFinite { what, index } => {
                write!(f, "{what}: entry {index} is NaN or infinite")
            }
            TrainError::BadWeight { what, index } => {
                write!(
                    f,
                    "{what}: weight {index} is negative, or all weights are zero"
                )
            }
            TrainError::BadOption {
                option,
                requirement,
            } => write!(f, "option `{option}` must be {requirement}"),
        }
    }
}

impl std::error::Error for TrainError {}
