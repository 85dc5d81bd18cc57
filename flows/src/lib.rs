//! Normalizing flows with static shapes.
//!
//! A flow is a stack of [bijections](Bijection) over a base distribution. Events are `nalgebra`
//! fixed-size vectors (`SVector<T, D>`, `T` = `f32` or `f64`), shapes are const generics, and every
//! layer owns its parameters in fixed-size storage: a flow is plain data that allocates nothing,
//! and the crate is `#![no_std]` without the `std` feature.
//!
//! Every autoregressive bijection is a [transformer](transformer) (an elementwise invertible map)
//! whose parameters come from a [conditioner transform](net) (a small network) fed by a
//! [conditioner](conditioner) (a coupling partition). Conventions are torchflows':
//! [`forward`](Bijection::forward) maps data to latent and returns `log|det dz/dx|`, and
//! `log p(x) = log p_base(z) + log|det dz/dx|`.
//!
//! ```
//! use flows::RealNVP;
//! use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//!
//! type Moons = RealNVP!(f64, 2, layers = 4, hidden = 32);
//!
//! let flow = Moons::seeded(7);
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
//! let (x, log_p) = flow.sample_with_log_prob(&mut rng);
//! assert!((flow.log_prob(&x) - log_p).abs() < 1e-12);
//! ```
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate self as flows;

pub mod batch;
mod bijection;
mod compose;
pub mod conditioner;
pub mod distribution;
pub mod dsl;
mod error;
pub mod export;
mod flow;
pub mod gradient;
#[cfg(any(feature = "safetensors", feature = "serde"))]
pub mod io;
pub mod kernel;
pub mod layer;
pub mod net;
pub mod params;
pub mod preset;
mod scalar;
#[cfg(feature = "std")]
pub mod train;
pub mod transformer;

pub use bijection::Bijection;
pub use compose::Inverse;
pub use error::Error;
pub use flow::Flow;
pub use params::{Parameters, Path, Random, Segment};
pub use scalar::Real;

pub use flows_macros::{Bijection, flow};

pub use nalgebra;
pub use rand;
