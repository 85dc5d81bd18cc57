//! Layers: the bijections flows are stacked from.

mod actnorm;
mod coupling;
mod elementwise;
mod permutation;

pub use actnorm::ActNorm;
pub use coupling::Coupling;
pub use elementwise::{Elementwise, ElementwiseAffine, ElementwiseScale, ElementwiseShift};
pub use permutation::{Permutation, ReversePermutation};
