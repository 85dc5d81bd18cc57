//! Parameter files: save and load any flow's parameters by name (features `safetensors` and
//! `serde`), and import weights trained with torchflows (feature `safetensors`).
//!
//! Every flow, layer and composition is [`Parameters`](crate::Parameters): it visits its
//! tensors in a fixed order under stable dotted names (`1.0.1.conditioner.output.0.weight`). A
//! [`ParameterMap`] holds them by name; it is written and read as a safetensors file
//! (`save_safetensors`, `load_safetensors`; feature `safetensors`) or through serde (feature
//! `serde`). Loading checks every tensor's
//! name, shape and scalar type and every value before it changes anything, and refuses a file
//! with a [`FileError`] that names the first tensor that does not fit: never a panic, never a
//! flow with a parameter out of place. Round trips are bit-exact.
//!
//! Tensors are stored as PyTorch lays them out: a vector as `[n]`, a matrix as `[rows, cols]` in
//! row-major order (a dense layer's weight is `[outputs, inputs]`).
//!
//! The module `torchflows` (feature `safetensors`) maps the `state_dict` of a torchflows 1.2.1
//! preset onto the equivalent flow type here.

mod error;
mod map;
#[cfg(feature = "safetensors")]
mod safetensors;
#[cfg(feature = "safetensors")]
pub mod torchflows;

pub use error::FileError;
pub use map::{Dtype, ParameterMap, Tensor};
#[cfg(feature = "safetensors")]
pub use safetensors::{load_safetensors, save_safetensors};
