//! What the host and the firmware agree on: the model type, the inputs and the seed. The host
//! example includes this file (`#[path]`), so both sides read the same definitions.

/// RealNVP over 10-D `f32` events: 4 coupling blocks, conditioners of two hidden layers of 32.
pub type Model = flows::RealNVP!(f32, 10, layers = 4, hidden = 32);

/// The event size.
pub const D: usize = 10;

/// The points whose log-density both sides evaluate.
pub const INPUTS: [[f32; D]; 4] = [
    [0.0; D],
    [0.5, -1.0, 0.25, 2.0, -0.75, 1.5, -2.0, 0.1, 0.0, -0.3],
    [1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0],
    [-3.0, 2.5, -0.5, 0.75, 3.0, -1.25, 0.6, -2.2, 1.8, -0.9],
];

/// The seed of the sampler (`Xoshiro256PlusPlus::seed_from_u64`).
pub const SAMPLE_SEED: u64 = 2024;

/// How many samples both sides draw.
pub const SAMPLES: usize = 4;
