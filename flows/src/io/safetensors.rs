//! safetensors files (feature `safetensors`): one tensor per parameter tensor, little-endian, in
//! the flow's own scalar type, so that a round trip is bit-exact.

use std::collections::HashMap;

use safetensors::{Dtype as FileDtype, SafeTensors, tensor::TensorView};

use super::map::element_count;
use super::{Dtype, FileError, ParameterMap, Tensor};
use crate::{Parameters, Real};

impl ParameterMap {
    /// The map as a safetensors file: each tensor in its own scalar type (`F32` values written
    /// as `f32`), the metadata as `__metadata__`.
    ///
    /// # Errors
    /// [`FileError::Length`] for a tensor whose data does not fill its shape,
    /// [`FileError::Value`] for an `F32` tensor holding a value that is not an `f32`, and
    /// [`FileError::Malformed`] if the safetensors writer refuses the header.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, FileError> {
        let mut buffers = Vec::with_capacity(self.tensors.len());
        for (name, tensor) in &self.tensors {
            let count = element_count(&tensor.shape).unwrap_or(usize::MAX);
            if tensor.data.len() != count {
                return Err(FileError::Length {
                    name: name.clone(),
                    expected: count,
                    found: tensor.data.len(),
                });
            }
            let bytes: Vec<u8> = match tensor.dtype {
                Dtype::F64 => tensor.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                Dtype::F32 => {
                    if let Some(index) = tensor
                        .data
                        .iter()
                        .position(|&v| f64::from(v as f32) != v && !v.is_nan())
                    {
                        return Err(FileError::Value {
                            name: name.clone(),
                            index,
                            value: tensor.data.get(index).copied().unwrap_or(f64::NAN),
                        });
                    }
                    tensor
                        .data
                        .iter()
                        .flat_map(|&v| (v as f32).to_le_bytes())
                        .collect()
                }
            };
            buffers.push((name, tensor, bytes));
        }
        let malformed = |e: safetensors::SafeTensorError| FileError::Malformed {
            reason: e.to_string(),
        };
        let mut views = Vec::with_capacity(buffers.len());
        for (name, tensor, bytes) in &buffers {
            let dtype = match tensor.dtype {
                Dtype::F32 => FileDtype::F32,
                Dtype::F64 => FileDtype::F64,
            };
            views.push((
                name.as_str(),
                TensorView::new(dtype, tensor.shape.clone(), bytes).map_err(malformed)?,
            ));
        }
        let metadata = (!self.metadata.is_empty()).then(|| {
            self.metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<HashMap<_, _>>()
        });
        safetensors::serialize(views, metadata).map_err(malformed)
    }

    /// Reads a safetensors file. Every tensor must be `F32` or `F64`; nothing is checked against
    /// a flow yet (that is [`load_into`](Self::load_into)).
    ///
    /// # Errors
    /// [`FileError::Malformed`] for bytes that are not a well-formed safetensors file (truncated,
    /// a bad header, offsets that do not tile the data), [`FileError::Dtype`] naming a tensor of
    /// another scalar type.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, FileError> {
        let file = SafeTensors::deserialize(bytes).map_err(|e| FileError::Malformed {
            reason: e.to_string(),
        })?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| FileError::Malformed {
            reason: e.to_string(),
        })?;
        let mut map = ParameterMap::default();
        if let Some(metadata) = header.metadata() {
            map.metadata = metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
        }
        for (name, view) in file.iter() {
            let (dtype, data): (Dtype, Vec<f64>) = match view.dtype() {
                FileDtype::F32 => (
                    Dtype::F32,
                    view.data()
                        .chunks_exact(4)
                        .map(|b| {
                            b.try_into()
                                .map_or(f64::NAN, |b| f64::from(f32::from_le_bytes(b)))
                        })
                        .collect(),
                ),
                FileDtype::F64 => (
                    Dtype::F64,
                    view.data()
                        .chunks_exact(8)
                        .map(|b| b.try_into().map_or(f64::NAN, f64::from_le_bytes))
                        .collect(),
                ),
                other => {
                    return Err(FileError::Dtype {
                        name: name.to_owned(),
                        expected: "F32 or F64",
                        found: other.to_string(),
                    });
                }
            };
            let shape = view.shape().to_vec();
            map.tensors
                .insert(name.to_owned(), Tensor { dtype, shape, data });
        }
        Ok(map)
    }
}

/// `parameters` as a safetensors file (see [`ParameterMap::to_safetensors`]).
///
/// ```
/// use flows::MAF;
///
/// type Model = MAF!(f32, 4, layers = 2, hidden = 8);
/// let trained = Model::seeded(3);
/// let bytes = flows::io::save_safetensors(&trained).unwrap();
///
/// let mut flow = Model::seeded(4);
/// flows::io::load_safetensors(&bytes, &mut flow).unwrap();
/// let x = flows::nalgebra::SVector::from([0.1, -0.2, 0.3, 0.0]);
/// assert_eq!(flow.log_prob(&x).to_bits(), trained.log_prob(&x).to_bits());
///
/// let error = flows::io::load_safetensors(&bytes[..bytes.len() - 1], &mut flow).unwrap_err();
/// assert!(error.to_string().starts_with("malformed parameter file"));
/// ```
///
/// # Errors
/// [`FileError::Malformed`] if the safetensors writer refuses the header (it does not for a
/// flow's parameters).
pub fn save_safetensors<T: Real, P: Parameters<T>>(parameters: &P) -> Result<Vec<u8>, FileError> {
    ParameterMap::of(parameters).to_safetensors()
}

/// Loads a safetensors file into `parameters`, checking it first (see
/// [`ParameterMap::from_safetensors`] and [`ParameterMap::load_into`]); on an error
/// `parameters` is unchanged.
///
/// # Errors
/// The first of [`FileError::Malformed`], [`FileError::Missing`], [`FileError::Shape`],
/// [`FileError::Dtype`], [`FileError::Value`] and [`FileError::Unknown`] that applies, naming the
/// tensor.
pub fn load_safetensors<T: Real, P: Parameters<T>>(
    bytes: &[u8],
    parameters: &mut P,
) -> Result<(), FileError> {
    ParameterMap::from_safetensors(bytes)?.load_into(parameters)
}
