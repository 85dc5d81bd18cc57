//! Presets by name: `= RealNVP(layers = 6, hidden = 64);` expands to torchflows' layout around
//! the preset's base layer, the same layers (and so the same type) as the library's preset macro
//! of that name (`NICE!`, `RealNVP!`, `CouplingRQNSF!`):
//!
//! ```text
//! ElementwiseAffine, N * { ReversePermutation, <base layer>, ActNorm }, ElementwiseAffine, ActNorm
//! ```

use super::ir::{
    Activation, Autoregressive, Coupling, Layer, Mask, MaskKind, Net, NetKind, Spanned,
    Transformer, TransformerKind,
};
use super::resolve::{
    DEFAULT_BINS, DEFAULT_HIDDEN, DEFAULT_HIDDEN_LAYERS, DEFAULT_SIGMOID_LAYERS, DEFAULT_UNITS,
    Options,
};
use super::syntax::Term;
use crate::errors::Errors;
use crate::suggest;

/// The base layer of a preset.
#[derive(Clone, Copy)]
enum Base {
    /// Half-split couplings with a feed-forward conditioner.
    Coupling(TransformerKind),
    /// Masked autoregressive layers (inverse ones when `true`).
    Autoregressive(TransformerKind, bool),
}

/// The presets by name.
const PRESETS: [(&str, Base); 11] = [
    ("NICE", Base::Coupling(TransformerKind::Shift)),
    ("RealNVP", Base::Coupling(TransformerKind::Affine)),
    (
        "CouplingRQNSF",
        Base::Coupling(TransformerKind::RationalQuadratic),
    ),
    (
        "CouplingLRS",
        Base::Coupling(TransformerKind::LinearRational),
    ),
    (
        "CouplingDeepSF",
        Base::Coupling(TransformerKind::DeepSigmoid),
    ),
    ("MAF", Base::Autoregressive(TransformerKind::Affine, false)),
    (
        "IAF",
        Base::Autoregressive(TransformerKind::InverseAffine, true),
    ),
    (
        "MaskedAutoregressiveRQNSF",
        Base::Autoregressive(TransformerKind::RationalQuadratic, false),
    ),
    (
        "InverseAutoregressiveRQNSF",
        Base::Autoregressive(TransformerKind::RationalQuadratic, true),
    ),
    (
        "MaskedAutoregressiveLRS",
        Base::Autoregressive(TransformerKind::LinearRational, false),
    ),
    (
        "MaskedAutoregressiveDeepSF",
        Base::Autoregressive(TransformerKind::DeepSigmoid, false),
    ),
];

/// The default number of blocks of a preset.
const DEFAULT_BLOCKS: usize = 4;

/// The layers of preset `term`.
pub fn expand(term: &Term, errors: &mut Errors) -> Vec<Layer> {
    let name = term.name.to_string();
    let Some((_, base)) = PRESETS.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        errors.at(
            term.name.span(),
            suggest::unknown("preset", &name, "", &known),
        );
        return Vec::new();
    };
    let kind = match base {
        Base::Coupling(kind) | Base::Autoregressive(kind, _) => *kind,
    };
    // The transformer's size option (`bins` or `units`); a spline's bound is the library's.
    let own = kind
        .options()
        .iter()
        .filter(|k| **k != "bound" && **k != "layers");
    let keys: Vec<&str> = ["layers", "hidden", "hidden_layers"]
        .into_iter()
        .chain(own.copied())
        .collect();
    let options = Options::read(term, &keys, errors);
    for extra in &options.positional {
        errors.at(
            extra.span(),
            format!("name this option: `{name}(layers = ...)`"),
        );
    }
    let span = term.name.span();
    let blocks = options.size("layers", 1, errors).unwrap_or(Spanned {
        value: DEFAULT_BLOCKS,
        span,
    });
    let hidden = options.size("hidden", 1, errors).unwrap_or(Spanned {
        value: DEFAULT_HIDDEN,
        span,
    });
    let layers = options
        .size("hidden_layers", 1, errors)
        .map_or(DEFAULT_HIDDEN_LAYERS, |s| s.value);
    let bins = options
        .size("bins", 1, errors)
        .map_or(DEFAULT_BINS, |s| s.value);
    let units = options
        .size("units", 1, errors)
        .map_or(DEFAULT_UNITS, |s| s.value);
    let transformer = Transformer {
        kind,
        bins,
        bound: None,
        units,
        layers: DEFAULT_SIGMOID_LAYERS,
    };
    let affine = || Layer::Elementwise {
        transformer: Transformer::plain(TransformerKind::Affine),
        context: None,
    };
    let layer = match base {
        Base::Coupling(_) => Layer::Coupling(Coupling {
            transformer,
            mask: Mask {
                kind: MaskKind::HalfSplit,
                span,
            },
            net: Net {
                kind: NetKind::FeedForward {
                    hidden: hidden.value,
                    layers,
                    activation: Activation::Tanh,
                },
                outputs: None,
            },
            context: None,
        }),
        Base::Autoregressive(_, inverse) => Layer::Autoregressive(Autoregressive {
            inverse: *inverse,
            transformer,
            hidden,
            layers,
            activation: Activation::Tanh,
            narrow: false,
            context: None,
        }),
    };
    vec![
        affine(),
        Layer::Repeat {
            count: blocks,
            block: vec![Layer::ReversePermutation, layer, Layer::ActNorm],
        },
        affine(),
        Layer::ActNorm,
    ]
}
