//! The parameter map: a flow's tensors by name, owned, and checked when loaded.

use std::any::TypeId;
use std::collections::{BTreeMap, BTreeSet};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::FileError;
use crate::{Parameters, Path, Real};

/// The scalar type of a stored tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Dtype {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

impl Dtype {
    /// The type a flow over `T` stores: `F32` for `f32`, `F64` otherwise.
    pub fn of<T: Real>() -> Dtype {
        if TypeId::of::<T>() == TypeId::of::<f32>() {
            Dtype::F32
        } else {
            Dtype::F64
        }
    }

    /// The name files use (`"F32"`, `"F64"`).
    pub const fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
        }
    }

    /// Whether `value` is a parameter this type holds exactly: finite, and an `f32` for `F32`.
    fn holds(self, value: f64) -> bool {
        value.is_finite() && (self == Dtype::F64 || f64::from(value as f32) == value)
    }
}

/// One tensor: its scalar type, its shape (`[n]` for a vector, `[rows, cols]` for a matrix, as
/// PyTorch lays out an `nn.Linear` weight) and its values in row-major order, each held as an
/// `f64` (exactly, for both types).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Tensor {
    /// The scalar type of the flow it came from (or is for).
    pub dtype: Dtype,
    /// The shape.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<f64>,
}

/// The number of values a tensor of `shape` holds; `None` if it overflows.
pub(crate) fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

/// The file shape of a tensor the flow visits as `[rows, cols]` (column-major): a vector is
/// one-dimensional.
pub(crate) fn file_shape([rows, cols]: [usize; 2]) -> Vec<usize> {
    if cols == 1 {
        vec![rows]
    } else {
        vec![rows, cols]
    }
}

/// A flow's parameters by name: every tensor the flow [visits](Parameters::visit), under its
/// dotted name, with free-form string metadata beside them. This is the owned form both file
/// formats go through: safetensors (`to_safetensors`, feature `safetensors`) and
/// any serde format (feature `serde`; a JSON object `{"tensors": {name: {"dtype", "shape",
/// "data"}}, "metadata": {...}}`).
///
/// [`load_into`](ParameterMap::load_into) checks every name, shape, scalar type and value before
/// it changes anything, and the error names the first tensor that does not fit.
///
/// ```
/// use flows::RealNVP;
/// use flows::io::{FileError, ParameterMap};
///
/// type Model = RealNVP!(f64, 3, layers = 2, hidden = 8);
/// let trained = Model::seeded(1);
/// let map = ParameterMap::of(&trained);
///
/// let mut flow = Model::seeded(2);
/// map.load_into(&mut flow).unwrap();
/// let x = flows::nalgebra::SVector::from([0.1, 0.2, 0.3]);
/// assert_eq!(flow.log_prob(&x), trained.log_prob(&x));
///
/// let mut wider = <RealNVP!(f64, 3, layers = 2, hidden = 9)>::seeded(2);
/// assert!(matches!(map.load_into(&mut wider), Err(FileError::Shape { .. })));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ParameterMap {
    /// The tensors by name.
    pub tensors: BTreeMap<String, Tensor>,
    /// Free-form metadata (a safetensors file's `__metadata__`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub metadata: BTreeMap<String, String>,
}

impl ParameterMap {
    /// The parameters of `parameters`, each tensor under its dotted name.
    pub fn of<T: Real, P: Parameters<T>>(parameters: &P) -> Self {
        let dtype = Dtype::of::<T>();
        let mut tensors = BTreeMap::new();
        parameters.visit(&Path::ROOT, &mut |path, values| {
            let [rows, cols] = path.shape().unwrap_or([values.len(), 1]);
            // Column-major to row-major.
            let data = (0..rows * cols)
                .map(|k| {
                    values
                        .get((k % cols) * rows + k / cols)
                        .map_or(f64::NAN, |v| v.to_f64())
                })
                .collect();
            let shape = file_shape([rows, cols]);
            tensors.insert(path.to_string(), Tensor { dtype, shape, data });
        });
        Self {
            tensors,
            metadata: BTreeMap::new(),
        }
    }

    /// The values of tensor `name`, after checking that it is present with `shape`, scalar type
    /// `dtype`, as many values as the shape calls for, each finite and of its type.
    ///
    /// # Errors
    /// [`FileError::Missing`], [`FileError::Shape`], [`FileError::Dtype`],
    /// [`FileError::Length`] or [`FileError::Value`].
    pub fn checked(&self, name: &str, shape: &[usize], dtype: Dtype) -> Result<&[f64], FileError> {
        let tensor = self.tensors.get(name).ok_or_else(|| FileError::Missing {
            name: name.to_owned(),
        })?;
        if tensor.shape != shape {
            return Err(FileError::Shape {
                name: name.to_owned(),
                expected: shape.to_vec(),
                found: tensor.shape.clone(),
            });
        }
        if tensor.dtype != dtype {
            return Err(FileError::Dtype {
                name: name.to_owned(),
                expected: dtype.name(),
                found: tensor.dtype.name().to_owned(),
            });
        }
        let count = element_count(shape).unwrap_or(usize::MAX);
        if tensor.data.len() != count {
            return Err(FileError::Length {
                name: name.to_owned(),
                expected: count,
                found: tensor.data.len(),
            });
        }
        match tensor.data.iter().position(|&v| !dtype.holds(v)) {
            Some(index) => Err(FileError::Value {
                name: name.to_owned(),
                index,
                value: tensor.data.get(index).copied().unwrap_or(f64::NAN),
            }),
            None => Ok(&tensor.data),
        }
    }

    /// The first name (in sorted order) not in `used`.
    ///
    /// # Errors
    /// [`FileError::Unknown`] naming it.
    pub(crate) fn check_all_used(&self, used: &BTreeSet<String>) -> Result<(), FileError> {
        match self.tensors.keys().find(|name| !used.contains(*name)) {
            Some(name) => Err(FileError::Unknown { name: name.clone() }),
            None => Ok(()),
        }
    }

    /// Copies the map into `parameters` after checking every tensor of `parameters` in visiting
    /// order (present, same shape, the scalar type of `T`, finite values) and then that the map
    /// holds no other tensor. On an error `parameters` is unchanged. The copy is exact: a map
    /// [`of`](Self::of) a flow loads back bit for bit.
    ///
    /// # Errors
    /// The first failing check of the first tensor that fails one, in visiting order:
    /// [`FileError::Missing`], [`FileError::Shape`], [`FileError::Dtype`],
    /// [`FileError::Length`] or [`FileError::Value`]; then [`FileError::Unknown`].
    pub fn load_into<T: Real, P: Parameters<T>>(
        &self,
        parameters: &mut P,
    ) -> Result<(), FileError> {
        let dtype = Dtype::of::<T>();
        let mut used = BTreeSet::new();
        let mut result = Ok(());
        parameters.visit(&Path::ROOT, &mut |path, values| {
            if result.is_ok() {
                let name = path.to_string();
                let shape = file_shape(path.shape().unwrap_or([values.len(), 1]));
                result = self.checked(&name, &shape, dtype).map(|_| ());
                used.insert(name);
            }
        });
        result?;
        self.check_all_used(&used)?;
        parameters.visit_mut(&Path::ROOT, &mut |path, values| {
            let [rows, cols] = path.shape().unwrap_or([values.len(), 1]);
            let Some(tensor) = self.tensors.get(&path.to_string()) else {
                return;
            };
            // Row-major to column-major.
            for (k, value) in values.iter_mut().enumerate() {
                if let Some(&v) = tensor.data.get((k % rows) * cols + k / rows) {
                    *value = T::lit(v);
                }
            }
        });
        Ok(())
    }
}
