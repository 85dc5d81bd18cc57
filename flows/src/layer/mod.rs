//! Layers: the bijections flows are stacked from.

mod actnorm;
mod autoregressive;
mod coupling;
mod diagonal;
mod elementwise;
mod lu;
mod lu_matrix;
pub mod multiscale;
mod permutation;

pub use actnorm::ActNorm;
pub use autoregressive::{
    AffineInverseMaskedAutoregressive, AffineMaskedAutoregressive, InverseMaskedAutoregressive,
    MaskedAutoregressive,
};
pub use coupling::Coupling;
pub use diagonal::Diagonal;
pub use elementwise::{Elementwise, ElementwiseAffine, ElementwiseScale, ElementwiseShift};
pub use lu::LuLinear;
pub use lu_matrix::LuMatrix;
pub use multiscale::{
    ChannelActNorm, ChannelSplit, Checkerboard, Conv1x1, FactorOut, ImageCoupling, ImageMask,
    MaskType, Squeeze,
};
pub use permutation::{Permutation, ReversePermutation};
