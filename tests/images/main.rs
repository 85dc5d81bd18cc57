//! Property tests of multiscale image flows: the layers, the presets, and image flows declared
//! with `flow!`.

mod dsl;
mod layers;
mod presets;
