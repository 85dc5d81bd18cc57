//! Import of torchflows 1.2.1 weights (feature `safetensors`).
//!
//! `scripts/torchflows_fixtures.py` exports a torchflows `Flow` over a vector preset as one
//! safetensors file: its `state_dict` in float64, and in the file's metadata the layout facts the
//! state_dict does not hold (each module's class, the permutations, the coupling masks, the
//! transformer settings). [`import`] maps that file onto a flow type of this crate layer by layer
//! ([`Torchflows`]), with torchflows' own parameterizations, and checks every fact on the way: a
//! file of another architecture is a [`FileError::Layout`] naming the module, a tensor of another
//! shape a [`FileError::Shape`], a tensor left over a [`FileError::Unknown`].
//!
//! The flow types that match torchflows' vector presets at their defaults (`n_layers = 2`, one
//! hidden layer per conditioner of torchflows' width) are our presets with those sizes:
//!
//! | torchflows | here (`A = D / 2`, `B = D − A`) |
//! |---|---|
//! | `NICE(D)` | `NICE!(f64, D, layers = 2, hidden_layers = 1, hidden = feed_forward_hidden(A, B))` |
//! | `RealNVP(D)` | `RealNVP!(f64, D, layers = 2, hidden_layers = 1, hidden = feed_forward_hidden(A, 2 * B))` |
//! | `CouplingRQNSF(D)` | `CouplingRQNSF!(f64, D, layers = 2, hidden_layers = 1, hidden = feed_forward_hidden(A, 23 * B))` |
//! | `MAF(D)`, `IAF(D)` | `MAF!`, `IAF!(f64, D, layers = 2, hidden_layers = 1, hidden = made_hidden(D))` |
//! | `MaskedAutoregressiveRQNSF(D)` | `MaskedAutoregressiveRQNSF!(f64, D, layers = 2, hidden_layers = 1, hidden = made_hidden(D))` |
//!
//! torchflows' MADE is narrower than `D − 1` from `D = 6` on (4 units up to `D = 21`), where our
//! presets widen it; there the type is spelled out with [`Made`](crate::net::Made)'s
//! `NARROW = true` ([`AutoregressiveFlow`](crate::preset::AutoregressiveFlow) of
//! [`MaskedAutoregressive`](crate::layer::MaskedAutoregressive)). The spline transformers are set
//! to [`RationalQuadratic::torchflows`](crate::transformer::RationalQuadratic::torchflows) by the
//! import (whatever the type's default). The other parameterizations are the same functions as
//! torchflows': the affine scale `exp(ln(1 − m) + u/2) + m`, computed here as
//! `1 + (1 − m) expm1(u/2)`; torchflows' `ActNorm` (an inverse affine map whose scale is that
//! function of its raw value) becomes our `ActNorm` with `log_scale = ln(scale)`.
//!
//! Loaded flows never initialize from data again: an [`ActNorm`](crate::layer::ActNorm) that
//! has left the identity keeps its parameters in
//! [`initialize_from_data`](crate::Bijection::initialize_from_data).
//!
//! Only unconditional flows are imported (torchflows' MADE ignores the context, so its
//! conditional masked autoregressive layers have no counterpart here).

mod layers;
mod made;
mod transformer;

use std::collections::BTreeSet;

use nalgebra::{SMatrix, SVector};
use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

use super::{Dtype, FileError, ParameterMap};
use crate::{Bijection, Random, Real};

pub use transformer::TorchflowsTransformer;

/// A torchflows export being read: the tensors, the layout facts, and which tensors have been
/// used so far.
#[derive(Debug)]
pub struct TorchflowsFile {
    map: ParameterMap,
    used: BTreeSet<String>,
}

impl TorchflowsFile {
    /// Reads an export of `scripts/torchflows_fixtures.py`.
    ///
    /// # Errors
    /// Those of [`ParameterMap::from_safetensors`], and [`FileError::Layout`] unless the
    /// metadata says `format = torchflows`.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, FileError> {
        let map = ParameterMap::from_safetensors(bytes)?;
        if map.metadata.get("format").map(String::as_str) != Some("torchflows") {
            return Err(FileError::Layout {
                name: String::new(),
                reason: "not a torchflows export (no `format = torchflows` metadata)".into(),
            });
        }
        Ok(Self {
            map,
            used: BTreeSet::new(),
        })
    }

    /// The layout fact `key` of module `module`.
    ///
    /// # Errors
    /// [`FileError::Layout`] if the file does not state it.
    pub fn fact(&self, module: &str, key: &str) -> Result<&str, FileError> {
        self.map
            .metadata
            .get(&format!("{module}.{key}"))
            .map(String::as_str)
            .ok_or_else(|| layout(module, format!("the file does not state its `{key}`")))
    }

    /// Checks that module `module` is of torchflows class `class`.
    ///
    /// # Errors
    /// [`FileError::Layout`] naming both classes.
    pub fn expect_class(&self, module: &str, class: &str) -> Result<(), FileError> {
        let found = self.fact(module, "class")?;
        if found == class {
            Ok(())
        } else {
            Err(layout(module, format!("is a {found}, expected a {class}")))
        }
    }

    /// The values (row-major) of tensor `name`, checked to be float64 of `shape` with finite
    /// values, and marked used.
    ///
    /// # Errors
    /// Those of [`ParameterMap::checked`].
    pub fn tensor(&mut self, name: &str, shape: &[usize]) -> Result<&[f64], FileError> {
        self.used.insert(name.to_owned());
        self.map.checked(name, shape, Dtype::F64)
    }

    /// Tensor `name`, of shape `[R, K]`, as a matrix.
    ///
    /// # Errors
    /// Those of [`tensor`](Self::tensor).
    pub fn matrix<T: Real, const R: usize, const K: usize>(
        &mut self,
        name: &str,
    ) -> Result<SMatrix<T, R, K>, FileError> {
        let data = self.tensor(name, &[R, K])?;
        Ok(SMatrix::from_fn(|i, j| {
            T::lit(data.get(i * K + j).copied().unwrap_or(f64::NAN))
        }))
    }

    /// Tensor `name`, of shape `[R]`, as a vector.
    ///
    /// # Errors
    /// Those of [`tensor`](Self::tensor).
    pub fn vector<T: Real, const R: usize>(
        &mut self,
        name: &str,
    ) -> Result<SVector<T, R>, FileError> {
        let data = self.tensor(name, &[R])?;
        Ok(SVector::from_fn(|i, _| {
            T::lit(data.get(i).copied().unwrap_or(f64::NAN))
        }))
    }

    /// The integers of fact `key` of `module` (space-separated).
    ///
    /// # Errors
    /// [`FileError::Layout`] if the fact is missing or not a list of integers.
    pub fn indices(&self, module: &str, key: &str) -> Result<Vec<usize>, FileError> {
        self.fact(module, key)?
            .split_whitespace()
            .map(|s| {
                s.parse()
                    .map_err(|_| layout(module, format!("`{key}` is not a list of indices")))
            })
            .collect()
    }

    /// The number of fact `key` of `module`.
    ///
    /// # Errors
    /// [`FileError::Layout`] if the fact is missing or not a number.
    pub fn number(&self, module: &str, key: &str) -> Result<f64, FileError> {
        self.fact(module, key)?
            .parse()
            .map_err(|_| layout(module, format!("`{key}` is not a number")))
    }

    /// Marks a tensor that carries nothing (torchflows' `device_buffer`) as used, if present.
    pub fn skip(&mut self, name: &str) {
        self.used.insert(name.to_owned());
    }

    /// Checks that every tensor of the file was used.
    ///
    /// # Errors
    /// [`FileError::Unknown`] naming the first (in sorted order) that was not.
    pub fn finish(&self) -> Result<(), FileError> {
        self.map.check_all_used(&self.used)
    }
}

/// A [`FileError::Layout`] for `module`.
pub(crate) fn layout(module: &str, reason: String) -> FileError {
    FileError::Layout {
        name: module.to_owned(),
        reason,
    }
}

/// A layer, composition or flow whose parameters can be read from a torchflows export.
pub trait Torchflows<T: Real, const D: usize> {
    /// Reads this value from the modules of `file` from `bijection.layers.{next}` on, and
    /// advances `next` past the modules it used.
    ///
    /// # Errors
    /// A [`FileError`] naming the first module or tensor that does not fit.
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError>;
}

/// The name of torchflows module `index` of a preset.
pub(crate) fn module(index: usize) -> String {
    format!("bijection.layers.{index}")
}

/// Imports a torchflows export into a flow of type `Flow<T, D, 0, B>` (see the
/// [module docs](self) for the type of each preset).
///
/// ```no_run
/// use flows::io::torchflows::{self, feed_forward_hidden};
/// use flows::RealNVP;
///
/// // torchflows' `Flow(RealNVP(5))`, exported by scripts/torchflows_fixtures.py.
/// type Model = RealNVP!(f64, 5, layers = 2, hidden_layers = 1, hidden = feed_forward_hidden(2, 6));
/// let bytes = std::fs::read("realnvp_5.safetensors").unwrap();
/// let flow: Model = torchflows::import(&bytes).unwrap();
/// ```
///
/// # Errors
/// The first [`FileError`] met: a malformed file, a module of another class or layout, a tensor
/// of another shape or with a non-finite value, a missing tensor, a tensor left over.
pub fn import<T, const D: usize, B>(bytes: &[u8]) -> Result<crate::Flow<T, D, 0, B>, FileError>
where
    T: Real,
    B: Bijection<T, D, 0> + Random,
    crate::Flow<T, D, 0, B>: Torchflows<T, D>,
{
    let mut file = TorchflowsFile::from_safetensors(bytes)?;
    let mut flow = crate::Flow::<T, D, 0, B>::random(&mut Xoshiro256PlusPlus::seed_from_u64(0));
    flow.read(&mut file, &mut 0)?;
    file.finish()?;
    Ok(flow)
}

/// `floor(scale · log10(n))` without floating point: the largest `k` with `10^k <= n^scale`.
const fn scaled_log10(n: usize, scale: u32) -> usize {
    let power = match (n as u128).checked_pow(scale) {
        Some(p) => p,
        None => u128::MAX,
    };
    let mut k = 0;
    let mut ten = 10u128;
    while ten <= power {
        k += 1;
        ten = match ten.checked_mul(10) {
            Some(t) => t,
            None => return k + 1,
        };
    }
    k
}

/// torchflows' default hidden width of a `FeedForward` conditioner with `inputs` inputs and
/// `outputs` predicted parameters: `max(4, floor(5 log10(max(inputs, outputs))))`.
///
/// ```
/// use flows::io::torchflows::feed_forward_hidden;
/// assert_eq!(feed_forward_hidden(2, 6), 4); // RealNVP at D = 5
/// assert_eq!(feed_forward_hidden(2, 69), 9); // CouplingRQNSF at D = 5
/// ```
pub const fn feed_forward_hidden(inputs: usize, outputs: usize) -> usize {
    let n = if inputs > outputs { inputs } else { outputs };
    let k = scaled_log10(n, 5);
    if k > 4 { k } else { 4 }
}

/// torchflows' default hidden width of a `MADE` over `inputs` inputs:
/// `max(4, floor(3 log10(inputs)))`.
///
/// ```
/// use flows::io::torchflows::made_hidden;
/// assert_eq!((made_hidden(5), made_hidden(21), made_hidden(22), made_hidden(100)), (4, 4, 4, 6));
/// ```
pub const fn made_hidden(inputs: usize) -> usize {
    let k = scaled_log10(inputs, 3);
    if k > 4 { k } else { 4 }
}
