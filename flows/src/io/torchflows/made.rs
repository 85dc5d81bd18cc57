//! Masked autoregressive layers: torchflows' MADE, its hidden units reordered by degree.
//!
//! torchflows gives hidden unit `k` the degree `k mod (D − 1) + 1`; our [`Made`] sorts the units
//! by degree (so every mask is a range). The degrees are read from the file's first mask (a unit
//! of degree `g` sees `g` inputs), sorted stably, checked against [`Made::DEGREES`], and every
//! weight, bias and mask is permuted accordingly; each mask must then be exactly ours.

use nalgebra::{SMatrix, SVector};

use super::layers::read_blocks;
use super::transformer::{Kind, read_layer};
use super::{Torchflows, TorchflowsFile, TorchflowsTransformer, layout, module};
use crate::io::FileError;
use crate::layer::MaskedAutoregressive;
use crate::net::{Dense, InputDense, Made, Tanh};
use crate::{Inverse, Real};

/// A torchflows `MADE` (`conditioner_transform.sequential.{0, 2, ...}`, each `MaskedLinear` with
/// its `mask` buffer) as our [`Made`].
fn read_made<
    T,
    const D: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    const NARROW: bool,
>(
    file: &mut TorchflowsFile,
    m: &str,
) -> Result<Made<T, D, 0, H, M, P, Tanh, NARROW>, FileError>
where
    T: Real,
{
    let net = format!("{m}.conditioner_transform");
    file.tensor(&format!("{net}.global_theta_flat"), &[0])?;
    let name = |k: usize, what: &str| format!("{net}.sequential.{}.{what}", 2 * k);
    let degrees = Made::<T, D, 0, H, M, P, Tanh, NARROW>::DEGREES;

    // torchflows' degree of each hidden unit, and our position of each: `order[new] = old`.
    let first_mask = file.tensor(&name(0, "mask"), &[H, D])?.to_vec();
    let degree: Vec<usize> = first_mask
        .chunks_exact(D.max(1))
        .map(|row| row.iter().filter(|&&v| v != 0.0).count())
        .collect();
    let mut order: Vec<usize> = (0..H).collect();
    order.sort_by_key(|&k| degree.get(k).copied().unwrap_or(0));
    let sorted: Vec<usize> = order
        .iter()
        .map(|&k| degree.get(k).copied().unwrap_or(0))
        .collect();
    let ours: Vec<usize> = (0..H).map(|k| degrees.degree(k)).collect();
    if sorted != ours {
        return Err(layout(
            m,
            format!("its MADE hidden degrees {degree:?} are not torchflows' for D = {D}, H = {H}"),
        ));
    }
    let old = |new: usize| order.get(new).copied().unwrap_or(0);

    // Every mask, permuted, must be ours.
    let check = |file: &mut TorchflowsFile,
                 k: usize,
                 shape: [usize; 2],
                 ours: &dyn Fn(usize, usize) -> bool,
                 row_of: &dyn Fn(usize) -> usize,
                 col_of: &dyn Fn(usize) -> usize|
     -> Result<(), FileError> {
        let mask_name = name(k, "mask");
        let mask = file.tensor(&mask_name, &shape)?;
        for r in 0..shape[0] {
            for c in 0..shape[1] {
                let theirs = mask
                    .get(row_of(r) * shape[1] + col_of(c))
                    .is_some_and(|&v| v != 0.0);
                if theirs != ours(r, c) {
                    return Err(layout(
                        m,
                        format!(
                            "`{mask_name}` differs from our MADE mask at ({r}, {c}) after reordering"
                        ),
                    ));
                }
            }
        }
        Ok(())
    };
    let same = |i: usize| i;
    check(
        file,
        0,
        [H, D],
        &|u, j| degrees.input_mask(u, j),
        &old,
        &same,
    )?;
    for k in 1..=M {
        check(
            file,
            k,
            [H, H],
            &|u, l| degrees.hidden_mask(u, l),
            &old,
            &old,
        )?;
    }
    check(
        file,
        M + 1,
        [D * P, H],
        &|r, u| degrees.output_mask(r / P.max(1), u),
        &same,
        &old,
    )?;

    // The weights, permuted the same way.
    let w0 = file.tensor(&name(0, "weight"), &[H, D])?.to_vec();
    let b0 = file.tensor(&name(0, "bias"), &[H])?.to_vec();
    let at = |data: &[f64], k: usize| T::lit(data.get(k).copied().unwrap_or(f64::NAN));
    let input = InputDense {
        weight: SMatrix::from_fn(|u, j| at(&w0, old(u) * D + j)),
        context_weight: SMatrix::zeros(),
        bias: SVector::from_fn(|u, _| at(&b0, old(u))),
    };
    let mut hidden = [Dense::<T, H, H>::zeros(); M];
    for (k, layer) in hidden.iter_mut().enumerate() {
        let w = file.tensor(&name(k + 1, "weight"), &[H, H])?.to_vec();
        let b = file.tensor(&name(k + 1, "bias"), &[H])?.to_vec();
        layer.weight = SMatrix::from_fn(|u, l| at(&w, old(u) * H + old(l)));
        layer.bias = SVector::from_fn(|u, _| at(&b, old(u)));
    }
    let mut output = [Dense::<T, P, H>::zeros(); D];
    read_blocks(
        file,
        &name(M + 1, "weight"),
        &name(M + 1, "bias"),
        &mut output,
    )?;
    for block in &mut output {
        let w = block.weight;
        block.weight = SMatrix::from_fn(|p, u| w[(p, old(u))]);
    }
    Ok(Made::from_layers(input, hidden, output))
}

/// Masked autoregressive layers (`AffineForwardMaskedAutoregressive`,
/// `RQSForwardMaskedAutoregressive`) without a context.
impl<T, Tr, const D: usize, const H: usize, const M: usize, const P: usize, const NARROW: bool>
    Torchflows<T, D> for MaskedAutoregressive<Tr, Made<T, D, 0, H, M, P, Tanh, NARROW>, D, P>
where
    T: Real,
    Tr: TorchflowsTransformer,
{
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        let m = module(*next);
        *next += 1;
        self.transformer = read_layer(file, &m, Kind::Masked)?;
        self.conditioner = read_made(file, &m)?;
        Ok(())
    }
}

/// Inverse masked autoregressive layers (`AffineInverseMaskedAutoregressive`, the layer of IAF,
/// and `RQSInverseMaskedAutoregressive`): the same layer with its directions swapped, as in
/// torchflows.
impl<T, Tr, const D: usize, const H: usize, const M: usize, const P: usize, const NARROW: bool>
    Torchflows<T, D>
    for Inverse<MaskedAutoregressive<Tr, Made<T, D, 0, H, M, P, Tanh, NARROW>, D, P>>
where
    T: Real,
    Tr: TorchflowsTransformer,
{
    fn read(&mut self, file: &mut TorchflowsFile, next: &mut usize) -> Result<(), FileError> {
        let m = module(*next);
        *next += 1;
        self.0.transformer = read_layer(file, &m, Kind::InverseMasked)?;
        self.0.conditioner = read_made(file, &m)?;
        Ok(())
    }
}
