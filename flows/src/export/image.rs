//! The image: a header and the parameters in visiting order.

use core::any::TypeId;

use super::LoadError;
use super::layout::layout_hash;
use crate::{Parameters, Path, Real};

/// The version of the image layout this library writes and reads. It changes whenever the
/// header, the byte layout or the layout hash changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// The scalar type of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// `f32`, 4 bytes.
    F32,
    /// `f64`, 8 bytes.
    F64,
    /// A type the format does not name; it matches nothing, not even itself.
    Unknown,
}

impl Scalar {
    /// The scalar type `T`.
    pub fn of<T: Real>() -> Scalar {
        let id = TypeId::of::<T>();
        if id == TypeId::of::<f32>() {
            Scalar::F32
        } else if id == TypeId::of::<f64>() {
            Scalar::F64
        } else {
            Scalar::Unknown
        }
    }

    /// Bytes per scalar (0 for [`Unknown`](Scalar::Unknown)).
    pub const fn bytes(self) -> usize {
        match self {
            Scalar::F32 => 4,
            Scalar::F64 => 8,
            Scalar::Unknown => 0,
        }
    }

    /// The code of this type in a byte image.
    pub const fn code(self) -> u32 {
        match self {
            Scalar::F32 => 1,
            Scalar::F64 => 2,
            Scalar::Unknown => 0,
        }
    }

    /// The type with the byte-image `code`.
    pub const fn from_code(code: u32) -> Scalar {
        match code {
            1 => Scalar::F32,
            2 => Scalar::F64,
            _ => Scalar::Unknown,
        }
    }
}

/// What an image says about its parameters, checked against the flow that loads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The format version ([`FORMAT_VERSION`] when written by this library).
    pub version: u32,
    /// The scalar type.
    pub scalar: Scalar,
    /// The number of scalars ([`Parameters::COUNT`] of the flow written).
    pub count: usize,
    /// The [`layout_hash`] of the flow written.
    pub layout: u64,
}

impl Header {
    /// The header of an image of `parameters`.
    pub fn of<T: Real, P: Parameters<T>>(parameters: &P) -> Header {
        Header {
            version: FORMAT_VERSION,
            scalar: Scalar::of::<T>(),
            count: P::COUNT,
            layout: layout_hash(parameters),
        }
    }

    /// Checks that this header describes the parameters of `parameters`.
    ///
    /// # Errors
    /// The first of [`LoadError::Version`], [`LoadError::Scalar`], [`LoadError::Count`] and
    /// [`LoadError::Layout`] that applies.
    pub fn check<T: Real, P: Parameters<T>>(&self, parameters: &P) -> Result<(), LoadError> {
        if self.version != FORMAT_VERSION {
            return Err(LoadError::Version {
                expected: FORMAT_VERSION,
                found: self.version,
            });
        }
        let scalar = Scalar::of::<T>();
        if self.scalar != scalar || scalar == Scalar::Unknown {
            return Err(LoadError::Scalar {
                expected: scalar,
                found: self.scalar,
            });
        }
        if self.count != P::COUNT {
            return Err(LoadError::Count {
                expected: P::COUNT,
                found: self.count,
            });
        }
        let layout = layout_hash(parameters);
        if self.layout != layout {
            return Err(LoadError::Layout {
                expected: layout,
                found: self.layout,
            });
        }
        Ok(())
    }
}

/// Where an image's scalars are.
#[derive(Clone, Copy, Debug)]
enum Data<'a, T> {
    /// Typed scalars (a `static` array).
    Scalars(&'a [T]),
    /// Little-endian scalars in a byte image, read in place.
    Bytes(&'a [u8]),
}

/// A flow's parameters as data: a [`Header`] and the scalars in visiting order, borrowed from
/// flash (a `static` array or a byte image) or from a buffer. Loading copies them into a flow.
#[derive(Clone, Copy, Debug)]
pub struct Image<'a, T> {
    header: Header,
    data: Data<'a, T>,
}

impl<'a, T: Real> Image<'a, T> {
    /// An image of `data` described by `header`, usable in a `static` (the generated source of
    /// [`write_rust_source`](super::write_rust_source) builds one). Nothing is checked here:
    /// [`load_into`](Self::load_into) checks everything.
    pub const fn new(header: Header, data: &'a [T]) -> Self {
        Image {
            header,
            data: Data::Scalars(data),
        }
    }

    /// The image of `parameters`, with the scalars copied into `buffer`, which should hold
    /// [`Parameters::COUNT`] of them (a shorter one gives an image that loading refuses with
    /// [`LoadError::Length`]).
    pub fn of<P: Parameters<T>>(parameters: &P, buffer: &'a mut [T]) -> Self {
        let mut offset = 0;
        parameters.visit(&Path::ROOT, &mut |_, tensor| {
            let end = offset + tensor.len();
            if let Some(out) = buffer.get_mut(offset..end) {
                out.copy_from_slice(tensor);
            }
            offset = end;
        });
        let used = offset.min(buffer.len());
        Image {
            header: Header::of(parameters),
            data: Data::Scalars(buffer.get(..used).unwrap_or_default()),
        }
    }

    /// An image of little-endian scalars read in place from `data`.
    pub(super) const fn from_parts(header: Header, data: &'a [u8]) -> Self {
        Image {
            header,
            data: Data::Bytes(data),
        }
    }

    /// The header.
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The number of scalars present.
    pub const fn len(&self) -> usize {
        match self.data {
            Data::Scalars(s) => s.len(),
            Data::Bytes(b) => match b.len().checked_div(self.header.scalar.bytes()) {
                Some(n) => n,
                None => 0,
            },
        }
    }

    /// Whether the image holds no scalars.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scalar at `index` (`None` past the end).
    fn get(&self, index: usize) -> Option<T> {
        match self.data {
            Data::Scalars(s) => s.get(index).copied(),
            Data::Bytes(b) => match self.header.scalar {
                Scalar::F32 => {
                    let chunk = b.get(index * 4..index * 4 + 4)?;
                    let bytes: [u8; 4] = chunk.try_into().ok()?;
                    Some(T::lit(f64::from(f32::from_le_bytes(bytes))))
                }
                Scalar::F64 => {
                    let chunk = b.get(index * 8..index * 8 + 8)?;
                    let bytes: [u8; 8] = chunk.try_into().ok()?;
                    Some(T::lit(f64::from_le_bytes(bytes)))
                }
                Scalar::Unknown => None,
            },
        }
    }

    /// Copies the image's scalars into `parameters` after checking the header against it (see
    /// [`Header::check`]) and the data's length against the header. On an error `parameters` is
    /// left untouched. Allocates nothing and cannot panic.
    ///
    /// # Errors
    /// [`LoadError::Version`], [`LoadError::Scalar`], [`LoadError::Count`],
    /// [`LoadError::Length`] or [`LoadError::Layout`]: the first check that fails.
    pub fn load_into<P: Parameters<T>>(&self, parameters: &mut P) -> Result<(), LoadError> {
        self.header.check(parameters)?;
        if self.len() != self.header.count {
            return Err(LoadError::Length {
                expected: self.header.count,
                found: self.len(),
            });
        }
        let mut offset = 0;
        parameters.visit_mut(&Path::ROOT, &mut |_, tensor| {
            for value in tensor.iter_mut() {
                if let Some(v) = self.get(offset) {
                    *value = v;
                }
                offset += 1;
            }
        });
        Ok(())
    }
}
