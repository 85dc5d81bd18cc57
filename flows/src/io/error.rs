//! Why a parameter file does not fit a flow.

use std::fmt;

/// Why a parameter file or map was refused. Every variant that concerns one tensor names it; the
/// flow being loaded is left untouched.
#[derive(Clone, Debug, PartialEq)]
pub enum FileError {
    /// The bytes are not a well-formed file (truncated, a bad header, overlapping data, ...).
    Malformed {
        /// What is wrong, as the parser says it.
        reason: String,
    },
    /// The flow has a tensor the file does not.
    Missing {
        /// The flow's name of the tensor.
        name: String,
    },
    /// The file has a tensor the flow does not.
    Unknown {
        /// The file's name of the tensor.
        name: String,
    },
    /// A tensor has another shape in the file.
    Shape {
        /// The tensor.
        name: String,
        /// The flow's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A tensor has another scalar type in the file.
    Dtype {
        /// The tensor.
        name: String,
        /// The flow's scalar type (`F32` or `F64`).
        expected: &'static str,
        /// The file's scalar type, as the file names it.
        found: String,
    },
    /// A tensor holds another number of values than its shape says (a parameter map built by
    /// hand or deserialized).
    Length {
        /// The tensor.
        name: String,
        /// The product of its shape.
        expected: usize,
        /// The values present.
        found: usize,
    },
    /// A parameter is NaN or infinite, or (in an `F32` tensor of a parameter map) not an `f32`,
    /// or (torchflows import) a raw value whose parameter overflows.
    Value {
        /// The tensor.
        name: String,
        /// The position of the value in the tensor's data (row-major).
        index: usize,
        /// The value.
        value: f64,
    },
    /// The file describes another architecture (torchflows import): another layer, permutation,
    /// mask, MADE degrees or transformer setting than the flow type loading it.
    Layout {
        /// The module (torchflows' name) that differs.
        name: String,
        /// How it differs.
        reason: String,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Malformed { reason } => write!(f, "malformed parameter file: {reason}"),
            FileError::Missing { name } => write!(f, "tensor `{name}` is missing from the file"),
            FileError::Unknown { name } => {
                write!(f, "the file has tensor `{name}`, which the flow does not")
            }
            FileError::Shape {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` has shape {found:?} in the file, expected {expected:?}"
            ),
            FileError::Dtype {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` is {found} in the file, expected {expected}"
            ),
            FileError::Length {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` holds {found} values, its shape calls for {expected}"
            ),
            FileError::Value { name, index, value } => write!(
                f,
                "tensor `{name}` holds {value} at index {index}: not a finite parameter of its type"
            ),
            FileError::Layout { name, reason } => write!(f, "module `{name}`: {reason}"),
        }
    }
}

impl std::error::Error for FileError {}
