//! Presets: torchflows' architectures, with defaults that fit real data.
//!
//! Every preset has torchflows' layer layout
//!
//! ```text
//! ElementwiseAffine, N x [ReversePermutation, <base layer>, ActNorm], ElementwiseAffine, ActNorm
//! ```
//!
//! over a [`StandardGaussian`](crate::distribution::StandardGaussian). Name one with its macro,
//! which works in type position and computes every derived size from the event size:
//!
//! ```
//! use flows::RealNVP;
//!
//! type Moons = RealNVP!(f64, 2);
//! type Sensor = RealNVP!(f32, 10, context = 3, layers = 6, hidden = 64);
//!
//! let flow = Moons::seeded(0);
//! let x = flows::nalgebra::SVector::from([0.5, -0.25]);
//! assert!(flow.log_prob(&x).is_finite());
//! # let _ = Sensor::seeded(0);
//! ```
//!
//! Options (each optional, in any order; an unknown name is a compile error):
//!
//! | option | meaning | default |
//! |---|---|---|
//! | `context` | context size | 0 |
//! | `layers` | number of `[permutation, base layer, ActNorm]` blocks | 4 |
//! | `hidden` | hidden width of each conditioner | 64 |
//! | `hidden_layers` | hidden layers of each conditioner | 2 |
//! | `bins` | bins of each spline (spline presets only; others ignore it) | 8 |
//! | `units` | hidden units of each sigmoidal unit (DeepSF presets only; others ignore it) | 8 |
//!
//! torchflows' defaults (`layers = 2`, a hidden width of `max(4, 5 log10 n)`: 5 at `D = 10`) fit
//! two moons barely better than a Gaussian; ours are those of zuko, which fit it well.
//!
//! | macro | base layer |
//! |---|---|
//! | [`NICE!`](crate::NICE) | additive half-split coupling |
//! | [`RealNVP!`](crate::RealNVP) | affine half-split coupling |
//! | [`MAF!`](crate::MAF) | affine masked autoregressive layer ([`Made`](crate::net::Made) conditioner) |
//! | [`IAF!`](crate::IAF) | affine inverse masked autoregressive layer |
//!
//! In `MAF!` and `IAF!` the MADE width is `hidden` raised to `D - 1` (`D` with a context) when it
//! is smaller ([`made_width`]), so every input conditions the later elements whatever the options.

//! # Multiscale image presets
//!
//! `MultiscaleNICE!`, `MultiscaleRealNVP!`, `MultiscaleRQNSF!` and `Glow!` take the scalar type
//! and the image shape `[C, H, W]`, and flow over the flat `C·H·W` event (channel-major, row-major
//! within a channel):
//!
//! ```
//! use flows::{Glow, MultiscaleRealNVP};
//!
//! type Digits = MultiscaleRealNVP!(f32, [1, 8, 8], levels = 2, blocks = 2, hidden = 16);
//! type Small = Glow!(f64, [3, 4, 4], levels = 1, blocks = 1, hidden = 4);
//!
//! let flow = Small::seeded(0);
//! let x = flows::nalgebra::SVector::<f64, 48>::from_fn(|i, _| (i as f64).sin());
//! assert!(flow.log_prob(&x).is_finite());
//! # let _ = Digits::seeded(0);
//! ```
//!
//! Each level of a `(C, H, W)` image is torchflows' layout with factoring out:
//!
//! ```text
//! blocks x [checkerboard block, alternate checkerboard block]          on (C, H, W)
//! Squeeze                                                             to (4C, H/2, W/2)
//! blocks x [channel-wise block, alternate channel-wise block]          on (4C, H/2, W/2)
//! FactorOut: the first 2C channels are done; the last 2C go to the next level (2C, H/2, W/2)
//! ```
//!
//! and the last level is its checkerboard stage alone. A block is `[ChannelActNorm, coupling]`
//! ([`Normalized`]), or `[ChannelActNorm, Conv1x1, coupling]` in `Glow!` ([`GlowStep`]) at every
//! level. Couplings have [`ConvNet`](crate::net::ConvNet) conditioners with tanh activations.
//!
//! | option | meaning | default |
//! |---|---|---|
//! | `levels` | levels, a literal 1 to 4; `H` and `W` must be divisible by `2^levels` | 2 |
//! | `context` | context size | 0 |
//! | `blocks` | pairs of blocks (a mask and its alternate) per stage | 2 |
//! | `hidden` | hidden channels of each conditioner | 16 |
//! | `hidden_layers` | hidden 3x3 convolutions of each conditioner | 2 |
//! | `bins` | bins of each spline (`MultiscaleRQNSF!` only) | 8 |

mod autoregressive;
mod coupling;
pub mod folded;
mod multiscale;
mod spline;

pub use autoregressive::{
    AutoregressiveBlock, AutoregressiveFlow, AutoregressiveLayers, made_width,
};
pub use coupling::{CouplingBlock, CouplingFlow, CouplingLayers};
pub use folded::{Folded, FoldedFlow, PresetLayers};
pub use multiscale::{
    BlockKind, ChannelSplits, Checkerboards, GlowStep, ImageOptions, LastLevel, Level, MaskFamily,
    MaskedBlock, MultiscaleFlow, Normalized, Stage,
};

/// The options of a preset macro; a struct so that an unknown option name is a compile error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Context size.
    pub context: usize,
    /// Number of `[permutation, base layer, ActNorm]` blocks.
    pub layers: usize,
    /// Hidden width of each conditioner.
    pub hidden: usize,
    /// Hidden layers of each conditioner (at least 1).
    pub hidden_layers: usize,
    /// Bins of each spline (spline presets only).
    pub bins: usize,
    /// Hidden units of each deep sigmoidal unit (sigmoidal presets only).
    pub units: usize,
}

impl Options {
    /// The defaults.
    pub const DEFAULT: Options = Options {
        context: 0,
        layers: 4,
        hidden: 64,
        hidden_layers: 2,
        bins: 8,
        units: 8,
    };
}
