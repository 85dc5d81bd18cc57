//! The layers of torchflows' vector presets, their compositions and the flow.

use nalgebra::SVector;

use super::transformer::{Kind, read_layer};
use super::{Torchflows, TorchflowsFile, TorchflowsTransformer, layout, module};
use crate::conditioner::Partition;
use crate::distribution::StandardGaussian;
use crate::io::FileError;
use crate::layer::{ActNorm, Coupling, ReversePermutation};
use crate::net::{Dense, FeedForward, Linear, Tanh};
use crate::transformer::MIN_SCALE;
use crate::{Flow, Real};

/// Reads module `next` with `read` (given the module's name) and advances `next`.
fn next_module<R>(
    next: &mut usize,
    read: impl FnOnce(&str) -> Result<R, FileError>,
) -> Result<R, FileError> {
    let name = module(*next);
    *next += 1;
    read(&name)
}

/// torchflows' affine scale of raw value `u`, literally: `exp(ln(1 − m) + u/2) + m`.
fn torchflows_scale(u: f64) -> f64 {
    ((1.0 - MIN_SCALE).ln() + u / 2.0).exp() + MIN_SCALE
}

/// A torchflows `Flow` of a vector preset: the standard Gaussian base (`loc` 0, `log_scale` 0)
/// and the bijection's modules `bijection.layers.0..` in order, all of them.
impl<T, const D: usize, B> Torchflows<T, D> for Flow<T, D, 0, B, StandardGaussian>
where
    T: Real,
    B: Torchflows<T, D>,
{
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        let class = file.fact("base", "class")?;
        if class != "DiagonalGaussian" {
            return Err(layout(
                "base",
                format!("is a {class}, expected a DiagonalGaussian"),
            ));
        }
        for name in ["base.loc", "base.log_scale"] {
            if let Some(index) = file.tensor(name, &[D])?.iter().position(|&v| v != 0.0) {
                return Err(layout(
                    "base",
                    format!("`{name}` is not zero at {index}: not a standard Gaussian"),
                ));
            }
        }
        file.skip("device_buffer");
        self.bijection.read(file, next)?;
        if let Ok(class) = file.fact(&module(*next), "class") {
            return Err(layout(
                &module(*next),
                format!("a {class} follows the last layer of the flow type"),
            ));
        }
        Ok(())
    }
}

/// Compositions read their parts from consecutive modules.
macro_rules! tuple_torchflows {
    ($($name:ident $index:tt),+) => {
        impl<T: Real, const D: usize, $($name: Torchflows<T, D>),+> Torchflows<T, D> for ($($name,)+) {
            fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
                $(self.$index.read(file, next)?;)+
                Ok(())
            }
        }
    };
}

tuple_torchflows!(L0 0);
tuple_torchflows!(L0 0, L1 1);
tuple_torchflows!(L0 0, L1 1, L2 2);
tuple_torchflows!(L0 0, L1 1, L2 2, L3 3);
tuple_torchflows!(L0 0, L1 1, L2 2, L3 3, L4 4);
tuple_torchflows!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5);
tuple_torchflows!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6);
tuple_torchflows!(L0 0, L1 1, L2 2, L3 3, L4 4, L5 5, L6 6, L7 7);

impl<T: Real, const D: usize, L: Torchflows<T, D>, const N: usize> Torchflows<T, D> for [L; N] {
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        self.iter_mut().try_for_each(|layer| layer.read(file, next))
    }
}

/// `ReversePermutationMatrix`: no parameters; its permutation must be the reverse.
impl<T: Real, const D: usize> Torchflows<T, D> for ReversePermutation {
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        next_module(next, |m| {
            file.expect_class(m, "ReversePermutationMatrix")?;
            let order = file.indices(m, "forward_permutation")?;
            if !order.iter().copied().eq((0..D).rev()) {
                return Err(layout(
                    m,
                    format!("its permutation {order:?} is not the reverse"),
                ));
            }
            file.skip(&format!("{m}.device_buffer"));
            Ok(())
        })
    }
}

/// `ActNorm`: torchflows' `value` is `[u, β]` per element of the map `z = (x − β) / α(u)`, ours
/// `z = (x − shift) exp(−log_scale)`: `shift = β`, `log_scale = ln α(u)`.
impl<T: Real, const D: usize> Torchflows<T, D> for ActNorm<T, D> {
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        next_module(next, |m| {
            file.expect_class(m, "ActNorm")?;
            check_actnorm_transformer(file, m)?;
            let name = format!("{m}.value");
            let value = file.tensor(&name, &[D, 2])?;
            let raw = |i: usize, k: usize| value.get(2 * i + k).copied().unwrap_or(f64::NAN);
            let log_scale =
                SVector::<T, D>::from_fn(|i, _| T::lit(torchflows_scale(raw(i, 0)).ln()));
            if let Some(i) = log_scale.iter().position(|v| !v.is_finite()) {
                // A raw scale so large that the scale overflows.
                return Err(FileError::Value {
                    name,
                    index: 2 * i,
                    value: raw(i, 0),
                });
            }
            self.log_scale = log_scale;
            self.shift = SVector::from_fn(|i, _| T::lit(raw(i, 1)));
            Ok(())
        })
    }
}

/// Checks the transformer facts of an `ActNorm` (an `InverseAffine` with our minimum scale).
fn check_actnorm_transformer(file: &TorchflowsFile, m: &str) -> Result<(), FileError> {
    let found = file.fact(m, "transformer")?;
    if found != "InverseAffine" {
        return Err(layout(
            m,
            format!("its transformer is a {found}, expected an InverseAffine"),
        ));
    }
    <crate::transformer::InverseAffine as TorchflowsTransformer>::read(file, m).map(|_| ())
}

/// Elementwise layers without a context (`ElementwiseAffine`, ...): torchflows' `value` holds the
/// `P` parameters of each element, our per-element biases.
impl<T, Tr, const D: usize, const P: usize> Torchflows<T, D>
    for Coupling<Tr, Linear<T, 0, 0, P, D>, D, 0, D, P>
where
    T: Real,
    Tr: TorchflowsTransformer,
{
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        next_module(next, |m| {
            self.transformer = read_layer(file, m, Kind::Elementwise)?;
            self.partition = Partition::half_split();
            let value = file.matrix::<T, D, P>(&format!("{m}.value"))?;
            for (block, row) in self.conditioner.blocks.iter_mut().zip(value.row_iter()) {
                block.bias = row.transpose();
            }
            Ok(())
        })
    }
}

/// Coupling layers with a feed-forward conditioner (`AffineCoupling`, `ShiftCoupling`,
/// `RQSCoupling`, ...): the split from the file's masks, the conditioner from
/// `conditioner_transform.sequential.{0, 2, ...}` (`nn.Linear` weights, `[outputs, inputs]`;
/// the last one's outputs element-major, `P` per target element).
impl<
    T,
    Tr,
    const D: usize,
    const A: usize,
    const B: usize,
    const H: usize,
    const M: usize,
    const P: usize,
> Torchflows<T, D> for Coupling<Tr, FeedForward<T, A, 0, H, M, P, B, Tanh>, D, A, B, P>
where
    T: Real,
    Tr: TorchflowsTransformer,
{
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        next_module(next, |m| {
            self.transformer = read_layer(file, m, Kind::Coupling)?;
            let source = file.indices(m, "source")?;
            let target = file.indices(m, "target")?;
            self.partition = Partition::new(&source, &target).map_err(|e| {
                layout(
                    m,
                    format!("its split (source {source:?}, target {target:?}) does not fit: {e}"),
                )
            })?;
            let net = format!("{m}.conditioner_transform");
            file.tensor(&format!("{net}.global_theta_flat"), &[0])?;
            let conditioner = &mut self.conditioner;
            let dense = |k: usize| {
                (
                    format!("{net}.sequential.{}.weight", 2 * k),
                    format!("{net}.sequential.{}.bias", 2 * k),
                )
            };
            let (w, b) = dense(0);
            conditioner.input.weight = file.matrix(&w)?;
            conditioner.input.bias = file.vector(&b)?;
            for (k, layer) in conditioner.hidden.iter_mut().enumerate() {
                let (w, b) = dense(k + 1);
                *layer = Dense {
                    weight: file.matrix(&w)?,
                    bias: file.vector(&b)?,
                };
            }
            let (w, b) = dense(M + 1);
            read_blocks(file, &w, &b, &mut conditioner.output)
        })
    }
}

/// Reads an output layer of `B * P` rows (element-major) into `B` blocks of `P` rows.
pub(crate) fn read_blocks<T: Real, const P: usize, const H: usize, const B: usize>(
    file: &mut TorchflowsFile,
    weight: &str,
    bias: &str,
    blocks: &mut [Dense<T, P, H>; B],
) -> Result<(), FileError> {
    let shape = [B * P, H];
    let w = file.tensor(weight, &shape)?.to_vec();
    let b = file.tensor(bias, &[B * P])?.to_vec();
    let at = |data: &[f64], k: usize| T::lit(data.get(k).copied().unwrap_or(f64::NAN));
    for (e, block) in blocks.iter_mut().enumerate() {
        block.weight = nalgebra::SMatrix::from_fn(|p, h| at(&w, (e * P + p) * H + h));
        block.bias = SVector::from_fn(|p, _| at(&b, e * P + p));
    }
    Ok(())
}
