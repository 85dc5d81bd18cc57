//! Why an exported image does not fit a flow.

use core::fmt;

use super::Scalar;

/// Why [`Image::load_into`](super::Image::load_into) or
/// [`Image::from_bytes`](super::Image::from_bytes) refused an image. The flow is left untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// A byte image does not start with [`MAGIC`](super::MAGIC).
    Magic,
    /// The image was written in another format version.
    Version {
        /// The version this library reads.
        expected: u32,
        /// The version of the image.
        found: u32,
    },
    /// The image holds scalars of another type (or of a type this format does not name).
    Scalar {
        /// The flow's scalar type.
        expected: Scalar,
        /// The image's scalar type.
        found: Scalar,
    },
    /// The image holds another number of parameters than the flow.
    Count {
        /// The flow's parameter count.
        expected: usize,
        /// The image's parameter count.
        found: usize,
    },
    /// The image's data is not as long as its header says (a truncated byte image, or a header
    /// that does not describe its data).
    Length {
        /// The scalars (or bytes, for a byte image) the header calls for.
        expected: usize,
        /// The scalars (or bytes) present.
        found: usize,
    },
    /// The tensors' names and shapes differ: another architecture with the same count.
    Layout {
        /// The flow's layout hash.
        expected: u64,
        /// The image's layout hash.
        found: u64,
    },
}

impl LoadError {
    /// A short reason, without formatting machinery (for firmware that prints no numbers).
    pub const fn reason(&self) -> &'static str {
        match self {
            LoadError::Magic => "not a flows byte image (bad magic)",
            LoadError::Version { .. } => "format version differs",
            LoadError::Scalar { .. } => "scalar type differs",
            LoadError::Count { .. } => "parameter count differs",
            LoadError::Length { .. } => "data length does not match the header",
            LoadError::Layout { .. } => "parameter names or shapes differ (layout hash)",
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())?;
        match self {
            LoadError::Magic => Ok(()),
            LoadError::Version { expected, found } => {
                write!(f, ": image {found}, expected {expected}")
            }
            LoadError::Scalar { expected, found } => {
                write!(f, ": image {found:?}, expected {expected:?}")
            }
            LoadError::Count { expected, found } | LoadError::Length { expected, found } => {
                write!(f, ": image {found}, expected {expected}")
            }
            LoadError::Layout { expected, found } => {
                write!(f, ": image {found:#018x}, expected {expected:#018x}")
            }
        }
    }
}

impl core::error::Error for LoadError {}
