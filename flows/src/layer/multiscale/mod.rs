//! Layers of multiscale image flows.
//!
//! An image event has `C` channels of `H x W` pixels and is stored as the flat vector the
//! [`Bijection`](crate::Bijection) contract uses, `D = C·H·W` elements, channel-major and
//! row-major within a channel (element `c·H·W + h·W + w`). The layers carry the geometry as
//! const parameters beside `D` (`C`, `H`, `W` here are channels and pixels; the context size of
//! the contract is `X` in these layers). Nothing computes a size from const parameters: the
//! presets and `flow!` write every size as a literal, and the layers check them against each
//! other at compile time as a backstop.
//!
//! - [`Squeeze`]: `(C, H, W) -> (4C, H/2, W/2)`;
//! - [`ImageMask`] ([`Checkerboard`], [`ChannelSplit`], each with its alternate) and
//!   [`ImageCoupling`], with the [`ConvNet`](crate::net::ConvNet) conditioner;
//! - [`ChannelActNorm`] and the invertible 1x1 convolution [`Conv1x1`];
//! - [`FactorOut`]: half of the squeezed channels skip the deeper levels.

mod actnorm;
mod conv1x1;
mod coupling;
mod factor;
mod mask;
mod squeeze;

pub use actnorm::ChannelActNorm;
pub use conv1x1::Conv1x1;
pub use coupling::ImageCoupling;
pub use factor::FactorOut;
pub use mask::{ChannelSplit, Checkerboard, ImageMask, MaskType};
pub use squeeze::Squeeze;
