//! Presets by name: `= RealNVP(layers = 6, hidden = 64);` expands to the same layers (and so the
//! same type) as the library's `RealNVP!` macro.

use super::ir::{
    Activation, Coupling, Layer, Mask, MaskKind, Net, NetKind, Spanned, Transformer,
    TransformerKind,
};
use super::resolve::{DEFAULT_HIDDEN, DEFAULT_HIDDEN_LAYERS, Options};
use super::syntax::Term;
use crate::errors::Errors;
use crate::suggest;

/// The presets and the transformer of their couplings.
const PRESETS: [(&str, TransformerKind); 2] = [
    ("NICE", TransformerKind::Shift),
    ("RealNVP", TransformerKind::Affine),
];

/// The default number of blocks of a preset.
const DEFAULT_BLOCKS: usize = 4;

/// The layers of preset `term`:
/// `ElementwiseAffine, N * { ReversePermutation, Coupling(Tr, HalfSplit, FeedForward), ActNorm },
/// ElementwiseAffine, ActNorm`.
pub fn expand(term: &Term, errors: &mut Errors) -> Vec<Layer> {
    let name = term.name.to_string();
    let Some((_, kind)) = PRESETS.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        errors.at(
            term.name.span(),
            suggest::unknown("preset", &name, "", &known),
        );
        return Vec::new();
    };
    let options = Options::read(term, &["layers", "hidden", "hidden_layers"], errors);
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
    let hidden = options
        .size("hidden", 1, errors)
        .map_or(DEFAULT_HIDDEN, |s| s.value);
    let layers = options
        .size("hidden_layers", 1, errors)
        .map_or(DEFAULT_HIDDEN_LAYERS, |s| s.value);
    let affine = || Layer::Elementwise {
        transformer: Transformer {
            kind: TransformerKind::Affine,
        },
        context: None,
    };
    let coupling = Layer::Coupling(Coupling {
        transformer: Transformer { kind: *kind },
        mask: Mask {
            kind: MaskKind::HalfSplit,
            span,
        },
        net: Net {
            kind: NetKind::FeedForward {
                hidden,
                layers,
                activation: Activation::Tanh,
            },
            outputs: None,
        },
        context: None,
    });
    vec![
        affine(),
        Layer::Repeat {
            count: blocks,
            block: vec![Layer::ReversePermutation, coupling, Layer::ActNorm],
        },
        affine(),
        Layer::ActNorm,
    ]
}
