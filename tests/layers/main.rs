//! Property tests of every layer family: one module per family.

mod autoregressive;
mod coupling;
mod elementwise;
mod fit;
mod flow;
mod gradients;
mod splines;
