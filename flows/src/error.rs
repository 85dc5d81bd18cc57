//! Errors of the fallible constructors and APIs.

use core::fmt;

/// Why a value built from runtime data was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A list had the wrong length.
    Length {
        /// What the list is.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// An index was not below the event size.
    IndexOutOfRange {
        /// What the list is.
        what: &'static str,
        /// The offending index.
        index: usize,
        /// The event size.
        size: usize,
    },
    /// An index appeared twice.
    DuplicateIndex {
        /// What the list is.
        what: &'static str,
        /// The repeated index.
        index: usize,
    },
    /// A value that must be finite (and, for a scale, nonzero with a finite reciprocal) was not.
    NotFinite {
        /// What the value is.
        what: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Length {
                what,
                expected,
                found,
            } => write!(f, "{what} has {found} entries, expected {expected}"),
            Error::IndexOutOfRange { what, index, size } => {
                write!(
                    f,
                    "{what} holds index {index}, out of range for size {size}"
                )
            }
            Error::DuplicateIndex { what, index } => {
                write!(f, "{what} holds index {index} more than once")
            }
            Error::NotFinite { what } => write!(f, "{what} is not finite"),
        }
    }
}

impl core::error::Error for Error {}
