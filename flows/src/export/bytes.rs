//! The byte image: a header of little-endian fields, then the little-endian scalars.
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | [`MAGIC`] |
//! | 4 | 4 | format version, `u32` |
//! | 8 | 4 | scalar type: 1 = `f32`, 2 = `f64`, `u32` |
//! | 12 | 8 | parameter count, `u64` |
//! | 20 | 8 | layout hash, `u64` |
//! | 28 | count x scalar size | the parameters in visiting order |
//!
//! Fields are read with `from_le_bytes` from wherever the bytes lie, so the image needs no
//! alignment and is read in place (from flash with `include_bytes!`).

use super::image::{Header, Image, Scalar};
use super::{FORMAT_VERSION, LoadError};
use crate::Real;

/// The first four bytes of a byte image.
pub const MAGIC: [u8; 4] = *b"FLWS";

/// The length of a byte image's header.
pub const BYTE_HEADER_LEN: usize = 28;

fn field<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], LoadError> {
    bytes
        .get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or(LoadError::Length {
            expected: BYTE_HEADER_LEN,
            found: bytes.len(),
        })
}

impl<'a, T: Real> Image<'a, T> {
    /// Reads a byte image in place: parses the header, checks the magic, the version and that
    /// the bytes hold exactly the scalars the header counts. The flow's checks come at
    /// [`load_into`](Self::load_into).
    ///
    /// # Errors
    /// [`LoadError::Magic`], [`LoadError::Version`], [`LoadError::Scalar`] (a scalar code the
    /// format does not name) or [`LoadError::Length`].
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, LoadError> {
        if field::<4>(bytes, 0)? != MAGIC {
            return Err(LoadError::Magic);
        }
        let version = u32::from_le_bytes(field(bytes, 4)?);
        if version != FORMAT_VERSION {
            return Err(LoadError::Version {
                expected: FORMAT_VERSION,
                found: version,
            });
        }
        let scalar = Scalar::from_code(u32::from_le_bytes(field(bytes, 8)?));
        if scalar == Scalar::Unknown {
            return Err(LoadError::Scalar {
                expected: Scalar::of::<T>(),
                found: scalar,
            });
        }
        let count = u64::from_le_bytes(field(bytes, 12)?);
        let layout = u64::from_le_bytes(field(bytes, 20)?);
        let data = bytes.get(BYTE_HEADER_LEN..).unwrap_or_default();
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let expected = count.saturating_mul(scalar.bytes());
        if data.len() != expected {
            return Err(LoadError::Length {
                expected: BYTE_HEADER_LEN.saturating_add(expected),
                found: bytes.len(),
            });
        }
        Ok(Image::from_parts(
            Header {
                version,
                scalar,
                count,
                layout,
            },
            data,
        ))
    }
}
