//! Property tests of every layer family: one module per family.

mod autoregressive;
mod batch;
mod coupling;
mod deep_sigmoid;
mod derived;
mod elementwise;
mod fit;
mod flow;
mod gradients;
mod linear_rational;
mod lu;
mod splines;
