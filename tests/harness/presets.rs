//! torchflows' preset flows at its default widths, for the benchmarks and the timing examples:
//! `f32`, no context, 2 blocks, as the side-by-side benchmark times them.

use flows::layer::{InverseMaskedAutoregressive, MaskedAutoregressive};
use flows::net::{Made, Tanh};
use flows::preset::{AutoregressiveFlow, CouplingFlow};
use flows::transformer::Affine;

/// torchflows' coupling presets (one hidden layer of `H` units, 2 blocks).
pub type Coupling<
    Tr,
    const P: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const H: usize,
> = CouplingFlow<f32, Tr, P, D, A, B, 0, H, 0, 2>;

/// torchflows' masked autoregressive presets (a narrow MADE of `H` units, 2 blocks).
pub type Autoregressive<Tr, const P: usize, const D: usize, const H: usize> = AutoregressiveFlow<
    f32,
    MaskedAutoregressive<Tr, Made<f32, D, 0, H, 0, P, Tanh, true>, D, P>,
    D,
    0,
    2,
>;

/// IAF with torchflows' layout.
pub type InverseAutoregressive<const D: usize, const H: usize> = AutoregressiveFlow<
    f32,
    InverseMaskedAutoregressive<Affine, Made<f32, D, 0, H, 0, 2, Tanh, true>, D, 2>,
    D,
    0,
    2,
>;
