//! Property tests of multiscale image flows: the layers, then the presets.

mod layers;
mod presets;
