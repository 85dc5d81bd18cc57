//! The `flow!` language and `#[derive(Bijection)]`: a syntax reference with an example of every
//! form.
//!
//! # `flow!`
//!
//! [`flow!`](crate::flow) declares named flow types with static shapes. The macro computes every
//! derived size (split sizes, conditioner inputs and outputs, parameters per element) and checks
//! them against each other, so a shape or mask mistake is a compile error at the token that makes
//! it, under `cargo check`.
//!
//! ```
//! use flows::flow;
//! use flows::nalgebra::SVector;
//!
//! flow! {
//!     /// 10-D readings given a 3-D context.
//!     pub struct Sensor: f32 [10] | context 3 {
//!         ElementwiseAffine,
//!         4 * { ReversePermutation, Coupling(Affine, HalfSplit, FeedForward(hidden = 64)), ActNorm },
//!         MaskedAutoregressive(RationalQuadratic(bins = 8, bound = 5.0), hidden = 64),
//!     }
//!
//!     /// RealNVP in one line.
//!     pub struct Moons: f64 [2] = RealNVP(layers = 6, hidden = 64);
//! }
//!
//! let sensor = Sensor::seeded(0);
//! let log_p = sensor.log_prob_given(&SVector::from([0.1; 10]), &SVector::from([1.0, 0.0, -1.0]));
//! assert!(log_p.is_finite());
//! assert!(Sensor::PARAMETER_COUNT > 0);
//! assert_eq!(Sensor::PARAMETER_BYTES, 4 * Sensor::PARAMETER_COUNT);
//!
//! let moons = Moons::seeded(0);
//! assert!(moons.log_prob(&SVector::from([0.5, -0.5])).is_finite());
//! ```
//!
//! ## Declarations
//!
//! One `flow!` holds any number of declarations:
//!
//! ```text
//! #[attributes] /// doc comments
//! VISIBILITY struct NAME: SCALAR [D] | context C { LAYER, LAYER, ... }
//! VISIBILITY struct NAME: SCALAR [D] | context C = PRESET(OPTION = VALUE, ...);
//! ```
//!
//! - `SCALAR` is `f32` or `f64`; `[D]` is the event size (at least 1), or `[C, H, W]` an image of
//!   `C` channels of `H x W` pixels (see [Images](#images)).
//! - `| context C` is optional (no context when left out).
//! - Doc comments and attributes are passed to the generated type; its rustdoc adds a table of its
//!   layers and their sizes.
//!
//! ## Layers
//!
//! | layer | form | options (defaults) |
//! |---|---|---|
//! | coupling | `Coupling(TRANSFORMER, MASK, CONDITIONER)` | mask `HalfSplit`, conditioner `FeedForward`; `context = C` |
//! | masked autoregressive (MAF) | `MaskedAutoregressive(TRANSFORMER, ...)` | `hidden = 64`, `layers = 2`, `activation = Tanh`, `narrow = false`, `context = C` |
//! | inverse masked autoregressive (IAF) | `InverseMaskedAutoregressive(TRANSFORMER, ...)` | as MAF |
//! | elementwise | `Elementwise(TRANSFORMER)`, `ElementwiseAffine`, `ElementwiseShift`, `ElementwiseScale` | `context = C` |
//! | activation normalization | `ActNorm` | |
//! | permutations | `ReversePermutation`, `Permutation([2, 0, 1])` | |
//! | LU linear map ([`LuLinear`](crate::layer::LuLinear)) | `LU` | |
//! | repeated block | `N * { LAYER, LAYER, ... }` | |
//! | a layer of your own type | `Bijection(path::to::Type)` | |
//!
//! `Bijection(TYPE)` takes any type that is a [`Bijection`](crate::Bijection) of the flow's sizes
//! and implements [`Parameters`](crate::Parameters), [`Random`](crate::Random), `Clone` and `Debug`:
//! another declared flow, a struct with `#[derive(Bijection)]`, a library layer the macro has no
//! form for. A type of other sizes is underlined, with the sizes it was expected to have.
//!
//! A layer's `context = C` states the context size it expects; it must be the flow's. A repeated
//! block is an array of `N` identical blocks (one type, one copy of its code). The MADE of an
//! autoregressive layer needs a hidden width of at least `D - 1` (`D` with a context) so that every
//! input conditions something; `narrow = true` accepts a narrower one (torchflows' defaults are
//! that narrow).
//!
//! ### Transformers
//!
//! | form | parameters per element |
//! |---|---|
//! | `Affine` | 2 |
//! | `InverseAffine` | 2 |
//! | `Shift` | 1 |
//! | `Scale` | 1 |
//! | `RationalQuadratic(bins = 8, bound = 5.0)` | `3 * bins - 1` |
//! | `LinearRational(bins = 8, bound = 5.0)` | `4 * bins` |
//! | `DeepSigmoid(units = 8, layers = 2)` | `3 * units * layers` |
//! | `Sigmoid(units = 8)` (one sigmoidal unit) | `3 * units` |
//!
//! Options are named and checked: `bins`, `units` and `layers` are at least 1, `bound` (the
//! half-width of the spline's interval `[-bound, bound]`, 5 by default) is positive. Every
//! transformer goes wherever a transformer does: couplings, masked and inverse masked
//! autoregressive layers, `Elementwise(...)`.
//!
//! ### Coupling masks
//!
//! | form | source (conditions) | target (transformed) |
//! |---|---|---|
//! | `HalfSplit` | the first `floor(D/2)` elements | the rest |
//! | `Alternating` | the odd-indexed elements | the even-indexed ones |
//! | `Split(a, b)` | the first `a` elements (`a + b = D`) | the last `b` |
//! | `Mask(source = [i, ...])` | the listed indices, in that order | every other index |
//! | `Mask(target = [i, ...])` | every other index | the listed indices |
//! | `Mask(source = [...], target = [...])` | both lists, which must cover `0..D` once | |
//!
//! ### Conditioner transforms
//!
//! | form | options (defaults) |
//! |---|---|
//! | `FeedForward(...)` | `hidden = 64`, `layers = 2` (hidden layers), `activation = Tanh` |
//! | `ResidualFeedForward(...)` | `hidden = 64`, `blocks = 2`, `activation = Relu` |
//! | `Linear` | |
//! | `Constant` | |
//!
//! Each also takes `outputs = N`, the total output count you expect; the macro checks it against
//! what the transformer needs (`parameters per element x target elements`).
//!
//! ```
//! flows::flow! {
//!     struct EveryForm: f64 [6] | context 2 {
//!         Elementwise(Shift, context = 2),
//!         Coupling(Affine, Alternating, ResidualFeedForward(hidden = 16, blocks = 1)),
//!         Coupling(Scale, Split(2, 4), Linear(outputs = 4)),
//!         Coupling(InverseAffine, Mask(source = [5, 0]), Constant),
//!         Coupling(Affine, Mask(source = [0, 1, 2], target = [5, 4, 3])),
//!         Permutation([1, 2, 3, 4, 5, 0]),
//!         LU,
//!         2 * { InverseMaskedAutoregressive(InverseAffine, hidden = 8, activation = Relu), ActNorm },
//!         MaskedAutoregressive(Affine, hidden = 3, layers = 1, narrow = true),
//!         Coupling(LinearRational(bins = 4, bound = 3.0), Alternating),
//!         MaskedAutoregressive(DeepSigmoid(units = 4, layers = 2), hidden = 8),
//!         Elementwise(Sigmoid(units = 2)),
//!     }
//! }
//! let flow = EveryForm::seeded(1);
//! let context = flows::nalgebra::SVector::from([0.5, -0.5]);
//! let x = flows::nalgebra::SVector::from([0.1, 0.2, 0.3, -0.1, -0.2, -0.3]);
//! let (z, log_det) = flows::Bijection::forward(&flow, &x, &context);
//! let (back, inverse_log_det) = flows::Bijection::inverse(&flow, &z, &context);
//! assert!((back - x).norm() < 1e-9 && (log_det + inverse_log_det).abs() < 1e-9);
//! ```
//!
//! ## Presets
//!
//! `= PRESET(options);` declares torchflows' layout around the preset's base layer:
//! `ElementwiseAffine, N * { ReversePermutation, BASE, ActNorm }, ElementwiseAffine, ActNorm`. The
//! presets are the same types as the library's preset macros of the same names (the
//! autoregressive ones when `hidden` is at least the MADE rule's width, which the library's raise
//! to it).
//!
//! | preset | base layer | options (defaults) |
//! |---|---|---|
//! | `NICE` | `Coupling(Shift)` | `layers = 4` (blocks), `hidden = 64`, `hidden_layers = 2` |
//! | `RealNVP` | `Coupling(Affine)` | as `NICE` |
//! | `CouplingRQNSF` | `Coupling(RationalQuadratic(bins))` | as `NICE`, and `bins = 8` |
//! | `CouplingLRS` | `Coupling(LinearRational(bins))` | as `NICE`, and `bins = 8` |
//! | `CouplingDeepSF` | `Coupling(DeepSigmoid(units))` | as `NICE`, and `units = 8` |
//! | `MAF` | `MaskedAutoregressive(Affine)` | as `NICE` |
//! | `IAF` | `InverseMaskedAutoregressive(InverseAffine)` | as `NICE` |
//! | `MaskedAutoregressiveRQNSF` | `MaskedAutoregressive(RationalQuadratic(bins))` | as `CouplingRQNSF` |
//! | `InverseAutoregressiveRQNSF` | `InverseMaskedAutoregressive(RationalQuadratic(bins))` | as `CouplingRQNSF` |
//! | `MaskedAutoregressiveLRS` | `MaskedAutoregressive(LinearRational(bins))` | as `CouplingLRS` |
//! | `MaskedAutoregressiveDeepSF` | `MaskedAutoregressive(DeepSigmoid(units))` | as `CouplingDeepSF` |
//!
//! ## What a declaration generates
//!
//! `struct NAME(pub Flow<SCALAR, D, C, LAYERS>)`, where `LAYERS` is a tuple of library layers (an
//! array for each repeated block) with every size filled in. It dereferences to its
//! [`Flow`](crate::Flow) (`log_prob`, `sample`, `sample_with_log_prob`, their `_given` forms for a
//! context, the loss gradients), and has
//!
//! - `NAME::seeded(seed)` and `NAME::random(rng)` (masks and spline bounds set as declared);
//! - `NAME::PARAMETER_COUNT`, `NAME::PARAMETER_BYTES`, `NAME::EVENT_SIZE`, `NAME::CONTEXT_SIZE`;
//! - `Clone`, `Debug`, [`Bijection`](crate::Bijection), [`Parameters`](crate::Parameters) (named by
//!   position: `1.0.conditioner.input.weight` is the first block's conditioner),
//!   [`Random`](crate::Random) and [`BijectionGradient`](crate::gradient::BijectionGradient).
//!
//! ## Mistakes
//!
//! Every mistake of one invocation is reported at once, each once, at the token that makes it;
//! the type is still declared (without layers) so that code using it reports nothing more. The
//! macro names the mistake and the numbers: a mask index out of range or listed twice, a mask that
//! leaves nothing to transform, split sizes that do not add up to the event size, a MADE narrower
//! than `D - 1` (and which inputs would then condition nothing), a conditioner's output count
//! against the transformer's need, a layer's context size against the flow's, a permutation that
//! repeats or misses an index, an unknown layer, transformer, mask, conditioner, activation, preset
//! or option (with a did-you-mean suggestion), an option given twice or out of range, a zero-sized
//! event. The cases are pinned by the UI tests under `tests/ui/`.
//!
//! ## Images
//!
//! An image flow, `[C, H, W]`, is a flow over the flat `C·H·W` event (channel-major, row-major
//! within a channel) whose layers know the geometry, which `Squeeze` changes as the list goes on:
//!
//! | layer | form | options (defaults) |
//! |---|---|---|
//! | per-channel activation normalization | `ActNorm` | |
//! | invertible 1x1 convolution (LU) | `Conv1x1` | |
//! | squeeze, `(C, H, W) -> (4C, H/2, W/2)` | `Squeeze` | |
//! | image coupling | `Coupling(TRANSFORMER, MASK, ConvNet(...))` | mask `Checkerboard`, conditioner `ConvNet` |
//! | repeated block (keeping the shape) | `N * { LAYER, ... }` | |
//! | a layer of your own type | `Bijection(path::to::Type)` | |
//!
//! Masks: `Checkerboard` (`(h + w) mod 2`, needs an even width) and `ChannelSplit` (the first
//! half of the channels conditions the rest, needs 2 channels), each with `alternate = true`.
//! `ConvNet(hidden = 16, layers = 2, activation = Tanh)`: 3x3 convolutions with `hidden` channels,
//! `layers` hidden layers. Presets: `MultiscaleNICE`, `MultiscaleRealNVP`, `MultiscaleRQNSF`,
//! `Glow`, with the options of the [library's macros](crate::preset#multiscale-image-presets)
//! (`levels`, `blocks`, `hidden`, `hidden_layers`, `bins`); without `levels` the shape chooses
//! (3 when the height and width are divisible by 8, 2 by 4, 1 by 2, as torchflows).
//!
//! ```
//! flows::flow! {
//!     /// The digits as images.
//!     struct Digits: f32 [1, 8, 8] = MultiscaleRealNVP(levels = 2, hidden = 16);
//!
//!     /// One level by hand.
//!     struct Level: f64 [2, 4, 4] {
//!         2 * { ActNorm, Coupling(Affine, Checkerboard), Coupling(Affine, Checkerboard(alternate = true)) },
//!         Squeeze,
//!         2 * { ActNorm, Conv1x1, Coupling(Affine, ChannelSplit, ConvNet(hidden = 8)) },
//!     }
//! }
//! let level = Level::seeded(0);
//! assert!(level.log_prob(&flows::nalgebra::SVector::from([0.5; 32])).is_finite());
//! # let _ = Digits::seeded(0);
//! ```
//!
//! The macro checks the geometry at each layer: a `Squeeze` of an odd height or width, a
//! checkerboard of an odd width, a channel-wise coupling of one channel, `levels` that do not
//! divide the height and width by `2^levels`, a repeated block that changes the shape are errors
//! that name the numbers, at the token that makes them.
//!
//! # `#[derive(Bijection)]`
//!
//! On a struct whose fields are bijections, with the sizes in a `#[bijection(SCALAR, [D])]` (or
//! `#[bijection(SCALAR, [D], context = C)]`) attribute: `forward` applies the fields in order and
//! sums their log-dets, `inverse` applies them in reverse order, parameters are visited under the
//! field names, initialization draws the fields in order, and gradients are chained. A field that
//! is not a bijection of those sizes is underlined, with the sizes it was expected to have.
//!
//! ```
//! use flows::layer::{ActNorm, ElementwiseAffine, ReversePermutation};
//! use flows::{Bijection, Parameters, Random};
//!
//! #[derive(Bijection, Clone, Debug)]
//! #[bijection(f64, [3])]
//! struct Normalize {
//!     norm: ActNorm<f64, 3>,
//!     reverse: ReversePermutation,
//!     affine: ElementwiseAffine<f64, 3, 0>,
//! }
//!
//! let layer = Normalize::random(&mut <flows::rand::rngs::Xoshiro256PlusPlus
//!     as flows::rand::SeedableRng>::seed_from_u64(0));
//! let mut names = Vec::new();
//! layer.visit(&flows::Path::ROOT, &mut |path, _| names.push(path.to_string()));
//! assert_eq!(names[0], "norm.shift");
//! ```
//!
//! ## Layers declared by attributes
//!
//! A struct with one field, [`Layer<Self>`](Layer), and a layer attribute beside the sizes *is*
//! that layer: the Rust form of a torchflows class such as `AffineCoupling`, built from a
//! transformer, a conditioner and a conditioner transform. The attribute's arguments are those of
//! the `flow!` layer of the same name (see [Layers](#layers)), checked by the same validator, so a
//! mask or shape mistake is the same compile error at the same token:
//!
//! | attribute | declares |
//! |---|---|
//! | `#[coupling(TRANSFORMER, MASK, CONDITIONER)]` | a coupling layer |
//! | `#[masked_autoregressive(TRANSFORMER, hidden = H, ...)]` | a masked autoregressive layer (MADE) |
//! | `#[inverse_masked_autoregressive(TRANSFORMER, hidden = H, ...)]` | an inverse masked autoregressive layer |
//! | `#[elementwise(TRANSFORMER)]` | a transformer on every element |
//!
//! The sizes in `#[bijection(...)]` are then number literals (the macro computes the split sizes
//! and conditioner widths from them). The layer's parameters are visited under the library
//! layer's own names (`conditioner.input.weight`), and `random` sets its mask and transformer
//! options as declared. It composes like any layer: as a field of another derived struct, in a
//! tuple, or in `flow!` as `Bijection(Name)`.
//!
//! ```
//! use flows::dsl::Layer;
//! use flows::nalgebra::SVector;
//! use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
//! use flows::{Bijection, Random};
//!
//! /// torchflows' `AffineCoupling` recipe: `Affine` on the second half, conditioned on the first
//! /// half and a 2-element context through a residual network.
//! #[derive(Bijection, Clone, Debug)]
//! #[bijection(f64, [6], context = 2)]
//! #[coupling(Affine, HalfSplit, ResidualFeedForward(hidden = 32, blocks = 2))]
//! struct AffineCoupling(Layer<Self>);
//!
//! /// A spline MAF layer on explicit sizes.
//! #[derive(Bijection, Clone, Debug)]
//! #[bijection(f32, [5])]
//! #[masked_autoregressive(RationalQuadratic(bins = 6, bound = 4.0), hidden = 16)]
//! struct SplineMaf {
//!     layer: Layer<Self>,
//! }
//!
//! /// Two of them with a permutation between, composed in field order.
//! #[derive(Bijection, Clone, Debug)]
//! #[bijection(f64, [6], context = 2)]
//! struct Block {
//!     first: AffineCoupling,
//!     reverse: flows::layer::ReversePermutation,
//!     second: AffineCoupling,
//! }
//!
//! let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
//! let block = Block::random(&mut rng);
//! let (x, context) = (SVector::from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), SVector::from([1.0, -1.0]));
//! let (z, log_det) = block.forward(&x, &context);
//! assert!((block.inverse(&z, &context).0 - x).norm() < 1e-12 && log_det.is_finite());
//! let maf = SplineMaf::random(&mut rng);
//! assert_eq!(maf.layer.transformer.bound, 4.0);
//! ```

/// A layer declared by an attribute of `#[derive(Bijection)]`: the library type the attribute
/// stands for. The derive implements it; see [`Layer`].
pub trait DeclaredLayer {
    /// The library layer, every size filled in.
    type Layer;
}

/// The layer a struct declares by a `#[derive(Bijection)]` attribute: its one field is
/// `Layer<Self>`. See the [module docs](self#layers-declared-by-attributes).
///
/// ```
/// use flows::dsl::Layer;
/// use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
/// use flows::{Bijection, Random};
///
/// #[derive(Bijection, Clone, Debug)]
/// #[bijection(f32, [4])]
/// #[coupling(Shift, Alternating, Linear)]
/// struct AdditiveCoupling(Layer<Self>);
///
/// let coupling = AdditiveCoupling::random(&mut Xoshiro256PlusPlus::seed_from_u64(0));
/// let layer: &flows::layer::Coupling<_, flows::net::Linear<f32, 2, 0, 1, 2>, 4, 2, 2, 1> =
///     &coupling.0;
/// assert_eq!(layer.partition.target(), &[0, 2]);
/// ```
pub type Layer<S> = <S as DeclaredLayer>::Layer;

/// The README, whose example runs as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct Readme;
