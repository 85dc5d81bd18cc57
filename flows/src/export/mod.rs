//! Export of a flow's parameters into a form a `#![no_std]` program keeps in flash and loads
//! without a heap.
//!
//! An [`Image`] is a [`Header`] and a slice of scalars in the [visiting order](crate::Parameters).
//! A firmware holds one as `static` data (the generated Rust source of
//! [`write_rust_source`], feature `std`) or as bytes (the [byte image](Image::from_bytes), read
//! in place without copying or aligning). [`Image::load_into`] copies the scalars into a flow of
//! the firmware's own type after checking that the layouts agree: the format version, the scalar
//! type, the parameter count and a hash of every tensor's name and shape
//! ([`layout_hash`]). A mismatch is a [`LoadError`] that names the reason, never a flow with its
//! parameters in the wrong places.
//!
//! ```
//! use flows::RealNVP;
//! use flows::export::{Image, LoadError};
//!
//! type Model = RealNVP!(f32, 4, layers = 2, hidden = 8);
//! type Other = RealNVP!(f32, 4, layers = 2, hidden = 9);
//!
//! let trained = Model::seeded(1);
//! let mut data = [0.0_f32; <Model as flows::Parameters<f32>>::COUNT];
//! let image = Image::of(&trained, &mut data);
//!
//! let mut flow = Model::seeded(2);
//! image.load_into(&mut flow).unwrap();
//! let x = flows::nalgebra::SVector::from([0.1, 0.2, 0.3, 0.4]);
//! assert_eq!(flow.log_prob(&x), trained.log_prob(&x));
//!
//! let mut other = Other::seeded(2);
//! assert!(matches!(image.load_into(&mut other), Err(LoadError::Count { .. })));
//! ```
//!
//! The number of scalars and bytes a flow's parameters take are the associated consts
//! [`Parameters::COUNT`](crate::Parameters::COUNT) and
//! [`Parameters::BYTES`](crate::Parameters::BYTES).

mod bytes;
mod error;
mod image;
mod layout;
#[cfg(feature = "std")]
mod source;

pub use bytes::{BYTE_HEADER_LEN, MAGIC};
pub use error::LoadError;
pub use image::{FORMAT_VERSION, Header, Image, Scalar};
pub use layout::layout_hash;
#[cfg(feature = "std")]
pub use source::{write_bytes, write_rust_source};
