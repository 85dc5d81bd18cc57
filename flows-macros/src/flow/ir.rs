//! The IR of a flow declaration: names resolved, numbers not yet checked against each other.

use proc_macro2::Span;
use syn::{Attribute, Ident, Visibility};

/// A number as the user wrote it, with where.
#[derive(Clone, Copy, Debug)]
pub struct Spanned<V> {
    /// The value.
    pub value: V,
    /// Where it was written.
    pub span: Span,
}

/// A declared flow.
pub struct Flow {
    /// Doc comments and attributes, passed through.
    pub attrs: Vec<Attribute>,
    /// The visibility.
    pub vis: Visibility,
    /// The type's name.
    pub name: Ident,
    /// The scalar type (`f32` or `f64`).
    pub scalar: Ident,
    /// The event shape.
    pub shape: Shape,
    /// The context size (0 when not declared) and where it was declared.
    pub context: Spanned<usize>,
    /// The layers, data side first.
    pub layers: Vec<Layer>,
}

/// The shape of an event.
pub enum Shape {
    /// A vector of `D` elements.
    Vector(Spanned<usize>),
    /// An image `[C, H, W]` (parsed, not yet supported).
    Image,
}

/// One layer (or repeated block) of a flow.
pub enum Layer {
    /// `N * { ... }`: the block, `N` times (an array of identical blocks).
    Repeat {
        /// How many times.
        count: Spanned<usize>,
        /// The block.
        block: Vec<Layer>,
    },
    /// A transformer on every element (parameters from the context, or learned constants).
    Elementwise {
        /// The transformer.
        transformer: Transformer,
        /// The context size this layer states, if any.
        context: Option<Spanned<usize>>,
    },
    /// Activation normalization.
    ActNorm,
    /// Reverses the elements.
    ReversePermutation,
    /// An LU-parameterized invertible linear map.
    Lu,
    /// An explicit permutation `z[i] = x[order[i]]`.
    Permutation {
        /// The order.
        order: Vec<Spanned<usize>>,
        /// Where the permutation was written.
        span: Span,
    },
    /// A coupling layer.
    Coupling(Coupling),
    /// A masked autoregressive layer, or its inverse.
    Autoregressive(Autoregressive),
    /// A layer of the user's own type (checked by rustc, at that type).
    Custom(syn::Type),
}

/// A masked autoregressive layer (MAF) or an inverse one (IAF) with a MADE conditioner.
pub struct Autoregressive {
    /// Inverse (IAF) when true.
    pub inverse: bool,
    /// The transformer.
    pub transformer: Transformer,
    /// The hidden width, and where it was given (the layer's name when it was left out).
    pub hidden: Spanned<usize>,
    /// Hidden layers (at least 1).
    pub layers: usize,
    /// The activation.
    pub activation: Activation,
    /// Whether a width below the MADE rule is accepted.
    pub narrow: bool,
    /// The context size this layer states, if any.
    pub context: Option<Spanned<usize>>,
}

/// A coupling layer.
pub struct Coupling {
    /// The transformer of the target elements.
    pub transformer: Transformer,
    /// Which elements condition and which are transformed.
    pub mask: Mask,
    /// The conditioner transform.
    pub net: Net,
    /// The context size this layer states, if any.
    pub context: Option<Spanned<usize>>,
}

/// A transformer with its options (each read only by the kinds that take it).
#[derive(Clone, Copy)]
pub struct Transformer {
    /// Which.
    pub kind: TransformerKind,
    /// Bins (splines).
    pub bins: usize,
    /// The half-width of the spline's interval, when not the library's default (splines).
    pub bound: Option<f64>,
    /// Hidden units per sigmoidal unit (sigmoidal transformers).
    pub units: usize,
    /// Stacked sigmoidal units (`DeepSigmoid`; 1 for `Sigmoid`).
    pub layers: usize,
}

impl Transformer {
    /// A transformer without options.
    pub fn plain(kind: TransformerKind) -> Self {
        Self {
            kind,
            bins: 0,
            bound: None,
            units: 0,
            layers: 0,
        }
    }

    /// Parameters per element.
    pub fn parameters(&self) -> usize {
        match self.kind {
            TransformerKind::Affine | TransformerKind::InverseAffine => 2,
            TransformerKind::Shift | TransformerKind::Scale => 1,
            TransformerKind::RationalQuadratic => 3 * self.bins - 1,
            TransformerKind::LinearRational => 4 * self.bins,
            TransformerKind::DeepSigmoid | TransformerKind::Sigmoid => 3 * self.units * self.layers,
        }
    }

    /// How the user writes it, with its options.
    pub fn describe(&self) -> String {
        let name = self.kind.name();
        match self.kind {
            TransformerKind::RationalQuadratic | TransformerKind::LinearRational => format!(
                "{name}(bins = {}{})",
                self.bins,
                self.bound
                    .map_or(String::new(), |b| format!(", bound = {b:?}"))
            ),
            TransformerKind::DeepSigmoid => {
                format!("{name}(units = {}, layers = {})", self.units, self.layers)
            }
            TransformerKind::Sigmoid => format!("{name}(units = {})", self.units),
            _ => name.to_string(),
        }
    }
}

/// The transformers `flow!` knows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TransformerKind {
    /// `Affine`: 2 parameters per element.
    Affine,
    /// `Shift`: 1 parameter.
    Shift,
    /// `Scale`: 1 parameter.
    Scale,
    /// `InverseAffine`: 2 parameters.
    InverseAffine,
    /// `RationalQuadratic(bins = K, bound = B)`: `3K - 1` parameters.
    RationalQuadratic,
    /// `LinearRational(bins = K, bound = B)`: `4K` parameters.
    LinearRational,
    /// `DeepSigmoid(units = H, layers = L)`: `3HL` parameters.
    DeepSigmoid,
    /// `Sigmoid(units = H)`: one sigmoidal unit, `3H` parameters.
    Sigmoid,
}

impl TransformerKind {
    /// Every transformer, by name.
    pub const ALL: [(&'static str, TransformerKind); 8] = [
        ("Affine", TransformerKind::Affine),
        ("Shift", TransformerKind::Shift),
        ("Scale", TransformerKind::Scale),
        ("InverseAffine", TransformerKind::InverseAffine),
        ("RationalQuadratic", TransformerKind::RationalQuadratic),
        ("LinearRational", TransformerKind::LinearRational),
        ("DeepSigmoid", TransformerKind::DeepSigmoid),
        ("Sigmoid", TransformerKind::Sigmoid),
    ];

    /// The options it takes, by name.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            TransformerKind::RationalQuadratic | TransformerKind::LinearRational => {
                &["bins", "bound"]
            }
            TransformerKind::DeepSigmoid => &["units", "layers"],
            TransformerKind::Sigmoid => &["units"],
            _ => &[],
        }
    }

    /// The name the user writes.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }
}

/// A coupling mask.
pub struct Mask {
    /// Which.
    pub kind: MaskKind,
    /// Where it was written (the layer's name when it was left out).
    pub span: Span,
}

/// The coupling masks.
pub enum MaskKind {
    /// The first `floor(D/2)` elements condition the rest.
    HalfSplit,
    /// The odd-indexed elements condition the even-indexed ones.
    Alternating,
    /// `Split(a, b)`: the first `a` elements condition the last `b`.
    Split(Spanned<usize>, Spanned<usize>),
    /// Explicit source and/or target index lists (the other is every remaining index).
    Lists {
        /// The source (conditioning) indices, if given.
        source: Option<Vec<Spanned<usize>>>,
        /// The target (transformed) indices, if given.
        target: Option<Vec<Spanned<usize>>>,
    },
}

/// A conditioner transform.
pub struct Net {
    /// Which, with its sizes.
    pub kind: NetKind,
    /// The total output count the user states, if any (checked against the transformer's need).
    pub outputs: Option<Spanned<usize>>,
}

/// The conditioner transforms.
#[derive(Clone, Copy)]
pub enum NetKind {
    /// A multilayer perceptron with `layers` hidden layers of width `hidden`.
    FeedForward {
        /// Hidden width.
        hidden: usize,
        /// Hidden layers (at least 1).
        layers: usize,
        /// Activation type name.
        activation: Activation,
    },
    /// A residual network with `blocks` residual blocks of width `hidden`.
    ResidualFeedForward {
        /// Hidden width.
        hidden: usize,
        /// Residual blocks.
        blocks: usize,
        /// Activation type name.
        activation: Activation,
    },
    /// One affine map.
    Linear,
    /// Learned constants.
    Constant,
}

/// The activations.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `tanh`.
    Tanh,
    /// `max(x, 0)`.
    Relu,
}

impl Activation {
    /// Every activation, by name.
    pub const ALL: [(&'static str, Activation); 2] =
        [("Tanh", Activation::Tanh), ("Relu", Activation::Relu)];

    /// The name the user writes (and the library type's name).
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("?", |(n, _)| n)
    }
}
