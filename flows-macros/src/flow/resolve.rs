//! From the term tree to the IR: names are resolved (with did-you-mean for unknown ones), options
//! are read once each and range-checked. Every mistake is recorded; nothing stops at the first.

use syn::Ident;

use super::ir::{
    Activation, Autoregressive, Coupling, Flow, Layer, Mask, MaskKind, Net, NetKind, Shape,
    Spanned, Transformer, TransformerKind,
};
use super::preset;
use super::syntax::{Arg, Body, Declaration, Entry, Number, Term, Value};
use crate::errors::Errors;
use crate::suggest;

/// The layer names `flow!` knows.
pub const LAYERS: [&str; 12] = [
    "Bijection",
    "Coupling",
    "MaskedAutoregressive",
    "InverseMaskedAutoregressive",
    "Elementwise",
    "ElementwiseAffine",
    "ElementwiseShift",
    "ElementwiseScale",
    "ActNorm",
    "ReversePermutation",
    "Permutation",
    "LU",
];
/// Layer names of the design that the library does not have yet.
const PLANNED_LAYERS: [&str; 3] = ["Squeeze", "ChannelCoupling", "Convolution1x1"];
/// The coupling masks.
const MASKS: [&str; 4] = ["HalfSplit", "Alternating", "Split", "Mask"];
/// The conditioner transforms.
const NETS: [&str; 4] = ["FeedForward", "ResidualFeedForward", "Linear", "Constant"];
/// The default hidden width of a conditioner.
pub const DEFAULT_HIDDEN: usize = 64;
/// The default number of hidden layers of a feed-forward conditioner.
pub const DEFAULT_HIDDEN_LAYERS: usize = 2;
/// The default number of bins of a spline.
pub const DEFAULT_BINS: usize = 8;
/// The default number of hidden units of a sigmoidal transformer.
pub const DEFAULT_UNITS: usize = 8;
/// The default number of stacked units of `DeepSigmoid`.
pub const DEFAULT_SIGMOID_LAYERS: usize = 2;

/// Resolves one declaration; `None` when it cannot be given meaning at all.
pub fn declaration(decl: Declaration, errors: &mut Errors) -> Flow {
    scalar(&decl.scalar, errors);
    let (dims, shape_span) = decl.shape;
    let shape = match dims.as_slice() {
        [d] => Shape::Vector(vector_size(d, errors)),
        [_, _, _] => {
            // `flow!` routes image shapes to its image module; this is a derived layer's shape.
            errors.at(
                shape_span,
                "image events `[C, H, W]` are declared with `flow!`; a derived layer takes a \
                 vector shape `[D]`",
            );
            Shape::Image
        }
        _ => {
            errors.at(
                shape_span,
                format!(
                    "an event shape is `[D]` (a vector) or `[C, H, W]` (an image), found {} \
                     dimensions",
                    dims.len()
                ),
            );
            Shape::Image
        }
    };
    let context = match decl.context {
        Some(n) => Spanned {
            value: size(&n, "the context size", 0, errors).unwrap_or(0),
            span: n.span,
        },
        None => Spanned {
            value: 0,
            span: decl.name.span(),
        },
    };
    let layers = match decl.body {
        Body::Layers(entries) => entries.iter().filter_map(|e| entry(e, errors)).collect(),
        Body::Preset(term) => preset::expand(&term, errors),
    };
    Flow {
        attrs: decl.attrs,
        vis: decl.vis,
        name: decl.name,
        scalar: decl.scalar,
        shape,
        context,
        layers,
    }
}

/// Checks that the scalar type is `f32` or `f64`.
pub fn scalar(scalar: &Ident, errors: &mut Errors) {
    if scalar != "f32" && scalar != "f64" {
        errors.at(
            scalar.span(),
            format!("the scalar type must be `f32` or `f64`, found `{scalar}`"),
        );
    }
}

/// The size of a vector event: a whole number of at least 1 (1 after a mistake, so the layers
/// are still checked).
pub fn vector_size(d: &Number, errors: &mut Errors) -> Spanned<usize> {
    let value = match d.size() {
        Some(0) => {
            errors.at(
                d.span,
                "a zero-sized event: an event needs at least one element",
            );
            1
        }
        Some(value) => value,
        None => {
            errors.at(d.span, "the event size must be a whole number");
            1
        }
    };
    Spanned {
        value,
        span: d.span,
    }
}

/// One entry of a layer list.
fn entry(item: &Entry, errors: &mut Errors) -> Option<Layer> {
    match item {
        Entry::Repeat { count, block, .. } => {
            let block = block.iter().filter_map(|e| entry(e, errors)).collect();
            let value = size(count, "a repeat count", 1, errors)?;
            Some(Layer::Repeat {
                count: Spanned {
                    value,
                    span: count.span,
                },
                block,
            })
        }
        Entry::Layer(term) => layer(term, errors),
        Entry::Custom(ty) => Some(Layer::Custom(ty.clone())),
    }
}

/// One layer term.
pub fn layer(term: &Term, errors: &mut Errors) -> Option<Layer> {
    let name = term.name.to_string();
    match name.as_str() {
        "ActNorm" | "ReversePermutation" | "LU" => {
            Options::none(term, errors);
            Some(match name.as_str() {
                "ActNorm" => Layer::ActNorm,
                "LU" => Layer::Lu,
                _ => Layer::ReversePermutation,
            })
        }
        "Permutation" => {
            let options = Options::read(term, &["order"], errors);
            let list = options
                .named("order")
                .or_else(|| options.positional.first())
                .and_then(|v| index_list(v, "a permutation", errors));
            if list.is_none() && options.named("order").is_none() && options.positional.is_empty() {
                errors.at(
                    term.span,
                    "`Permutation` needs its order, e.g. `Permutation([2, 0, 1])`",
                );
            }
            Some(Layer::Permutation {
                order: list?,
                span: term.span,
            })
        }
        "Elementwise" | "ElementwiseAffine" | "ElementwiseShift" | "ElementwiseScale" => {
            let options = Options::read(term, &["context"], errors);
            let context = options.size("context", 0, errors);
            let transformer = match name.strip_prefix("Elementwise").unwrap_or_default() {
                "" => match options.positional.first() {
                    Some(Value::Term(t)) => transformer(t, errors)?,
                    Some(other) => {
                        errors.at(other.span(), "expected a transformer, e.g. `Affine`");
                        return None;
                    }
                    None => {
                        errors.at(
                            term.span,
                            "`Elementwise` needs a transformer, e.g. `Elementwise(Affine)`",
                        );
                        return None;
                    }
                },
                suffix => {
                    let kind = TransformerKind::ALL.iter().find(|(n, _)| *n == suffix)?.1;
                    Transformer::plain(kind)
                }
            };
            Some(Layer::Elementwise {
                transformer,
                context,
            })
        }
        "Coupling" => coupling(term, errors).map(Layer::Coupling),
        "Bijection" => {
            errors.at(
                term.span,
                "`Bijection` takes a type: `Bijection(path::to::Layer)`",
            );
            None
        }
        "MaskedAutoregressive" | "InverseMaskedAutoregressive" => {
            autoregressive(term, errors).map(Layer::Autoregressive)
        }
        _ if PLANNED_LAYERS.contains(&name.as_str()) => {
            errors.at(
                term.name.span(),
                format!("the `{name}` layer is not yet supported by `flow!`"),
            );
            None
        }
        _ => {
            errors.at(
                term.name.span(),
                suggest::unknown("layer", &name, "", &LAYERS),
            );
            None
        }
    }
}

/// `Coupling(transformer, mask?, conditioner?, context = N?)`.
fn coupling(term: &Term, errors: &mut Errors) -> Option<Coupling> {
    let options = Options::read(term, &["context"], errors);
    let context = options.size("context", 0, errors);
    let mut positional = options.positional.iter();
    let transformer = match positional.next() {
        Some(Value::Term(t)) => transformer(t, errors),
        Some(other) => {
            errors.at(other.span(), "expected a transformer, e.g. `Affine`");
            None
        }
        None => {
            errors.at(
                term.span,
                "`Coupling` needs a transformer, e.g. `Coupling(Affine, HalfSplit, FeedForward(hidden = 64))`",
            );
            None
        }
    };
    let mut mask: Option<Mask> = None;
    let mut net: Option<Net> = None;
    let mut ok = true;
    for value in positional {
        let Value::Term(t) = value else {
            errors.at(
                value.span(),
                "expected a coupling mask or a conditioner transform",
            );
            ok = false;
            continue;
        };
        let name = t.name.to_string();
        if MASKS.contains(&name.as_str()) {
            if mask.is_some() {
                errors.at(t.span, "this coupling already has a mask");
            }
            match self::mask(t, errors) {
                Some(m) => mask = Some(m),
                None => ok = false,
            }
        } else if NETS.contains(&name.as_str()) {
            if net.is_some() {
                errors.at(t.span, "this coupling already has a conditioner transform");
            }
            match self::net(t, errors) {
                Some(n) => net = Some(n),
                None => ok = false,
            }
        } else {
            let known: Vec<&str> = MASKS.iter().chain(NETS.iter()).copied().collect();
            errors.at(
                t.name.span(),
                suggest::unknown("coupling mask or conditioner transform", &name, "", &known),
            );
            ok = false;
        }
    }
    let transformer = transformer?;
    ok.then(|| Coupling {
        transformer,
        mask: mask.unwrap_or(Mask {
            kind: MaskKind::HalfSplit,
            span: term.name.span(),
        }),
        net: net.unwrap_or_else(default_net),
        context,
    })
}

/// The conditioner a coupling gets when none is named.
pub fn default_net() -> Net {
    Net {
        kind: NetKind::FeedForward {
            hidden: DEFAULT_HIDDEN,
            layers: DEFAULT_HIDDEN_LAYERS,
            activation: Activation::Tanh,
        },
        outputs: None,
    }
}

/// `MaskedAutoregressive(transformer, hidden = H, layers = L, activation = A, narrow = true,
/// context = C)` and `InverseMaskedAutoregressive(...)`.
fn autoregressive(term: &Term, errors: &mut Errors) -> Option<Autoregressive> {
    let keys = ["hidden", "layers", "activation", "narrow", "context"];
    let options = Options::read(term, &keys, errors);
    let before = errors.len();
    let context = options.size("context", 0, errors);
    let hidden = options.size("hidden", 1, errors).unwrap_or(Spanned {
        value: DEFAULT_HIDDEN,
        span: term.name.span(),
    });
    let layers = options
        .size("layers", 1, errors)
        .map_or(DEFAULT_HIDDEN_LAYERS, |s| s.value);
    let activation = options.activation(Activation::Tanh, errors);
    let narrow = match options.named("narrow") {
        None => false,
        Some(Value::Bool(value, _)) => *value,
        Some(other) => {
            errors.at(other.span(), "`narrow` is `true` or `false`");
            false
        }
    };
    let transformer = match options.positional.as_slice() {
        [Value::Term(t)] => transformer(t, errors),
        [] => {
            errors.at(
                term.span,
                format!(
                    "`{}` needs a transformer, e.g. `{}(Affine, hidden = 64)`",
                    term.name, term.name
                ),
            );
            None
        }
        [first, ..] => {
            errors.at(
                first.span(),
                "expected one transformer, e.g. `Affine`, then named options",
            );
            None
        }
    };
    let transformer = transformer?;
    (errors.len() == before).then_some(Autoregressive {
        inverse: term.name != "MaskedAutoregressive",
        transformer,
        hidden,
        layers,
        activation,
        narrow,
        context,
    })
}

/// A transformer term, its options named, each checked.
pub fn transformer(term: &Term, errors: &mut Errors) -> Option<Transformer> {
    let name = term.name.to_string();
    let Some((_, kind)) = TransformerKind::ALL.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = TransformerKind::ALL.iter().map(|(n, _)| *n).collect();
        errors.at(
            term.name.span(),
            suggest::unknown("transformer", &name, "", &known),
        );
        return None;
    };
    let keys = kind.options();
    if keys.is_empty() {
        Options::none(term, errors);
        return Some(Transformer::plain(*kind));
    }
    let options = Options::read(term, keys, errors);
    let before = errors.len();
    for extra in &options.positional {
        errors.at(
            extra.span(),
            format!("name this option: `{name}({} = ...)`", keys[0]),
        );
    }
    let bins = options
        .size("bins", 1, errors)
        .map_or(DEFAULT_BINS, |s| s.value);
    let units = options
        .size("units", 1, errors)
        .map_or(DEFAULT_UNITS, |s| s.value);
    let layers = match kind {
        TransformerKind::Sigmoid => 1,
        _ => options
            .size("layers", 1, errors)
            .map_or(DEFAULT_SIGMOID_LAYERS, |s| s.value),
    };
    let bound = match options.named("bound") {
        None => None,
        Some(Value::Number(n)) if n.value > 0.0 => Some(n.value),
        Some(Value::Number(n)) => {
            errors.at(
                n.span,
                format!(
                    "`bound` (the half-width of the spline's interval) must be positive, found {}",
                    n.value
                ),
            );
            None
        }
        Some(other) => {
            errors.at(other.span(), "`bound` must be a number");
            None
        }
    };
    (errors.len() == before).then_some(Transformer {
        kind: *kind,
        bins,
        bound,
        units,
        layers,
    })
}

/// A mask term.
fn mask(term: &Term, errors: &mut Errors) -> Option<Mask> {
    let span = term.span;
    let kind = match term.name.to_string().as_str() {
        "HalfSplit" | "Alternating" => {
            Options::none(term, errors);
            if term.name == "HalfSplit" {
                MaskKind::HalfSplit
            } else {
                MaskKind::Alternating
            }
        }
        "Split" => {
            let options = Options::read(term, &[], errors);
            let sizes: Vec<_> = options
                .positional
                .iter()
                .map(|v| match v {
                    Value::Number(n) => size(n, "a split size", 0, errors).map(|value| Spanned {
                        value,
                        span: n.span,
                    }),
                    other => {
                        errors.at(other.span(), "expected a split size");
                        None
                    }
                })
                .collect();
            match sizes.as_slice() {
                [Some(a), Some(b)] => MaskKind::Split(*a, *b),
                [_, _] => return None,
                _ => {
                    errors.at(
                        span,
                        "`Split` takes two sizes: `Split(a, b)`, the first `a` elements condition the last `b`",
                    );
                    return None;
                }
            }
        }
        _ => {
            let options = Options::read(term, &["source", "target"], errors);
            let source = options
                .named("source")
                .map(|v| index_list(v, "a mask", errors));
            let target = options
                .named("target")
                .map(|v| index_list(v, "a mask", errors));
            for extra in &options.positional {
                errors.at(
                    extra.span(),
                    "name the list: `Mask(source = [...])` or `Mask(target = [...])`",
                );
            }
            if source.is_none() && target.is_none() {
                errors.at(
                    span,
                    "`Mask` needs `source = [...]` (the conditioning indices), `target = [...]` (the transformed ones) or both",
                );
                return None;
            }
            if matches!(source, Some(None)) || matches!(target, Some(None)) {
                return None;
            }
            MaskKind::Lists {
                source: source.flatten(),
                target: target.flatten(),
            }
        }
    };
    Some(Mask { kind, span })
}

/// A conditioner transform term.
fn net(term: &Term, errors: &mut Errors) -> Option<Net> {
    let name = term.name.to_string();
    let keys: &[&str] = match name.as_str() {
        "FeedForward" => &["hidden", "layers", "activation", "outputs"],
        "ResidualFeedForward" => &["hidden", "blocks", "activation", "outputs"],
        _ => &["outputs"],
    };
    let options = Options::read(term, keys, errors);
    for extra in &options.positional {
        errors.at(
            extra.span(),
            format!("name this option: `{name}({} = ...)`", keys[0]),
        );
    }
    let outputs = options.size("outputs", 1, errors);
    let before = errors.len();
    let kind = match name.as_str() {
        "FeedForward" => {
            let checked_hidden = options.size("hidden", 1, errors);
            let layers = options.size("layers", 1, errors);
            let activation = options.activation(Activation::Tanh, errors);
            NetKind::FeedForward {
                hidden: checked_hidden.map_or(DEFAULT_HIDDEN, |s| s.value),
                layers: layers.map_or(DEFAULT_HIDDEN_LAYERS, |s| s.value),
                activation,
            }
        }
        "ResidualFeedForward" => {
            let checked_hidden = options.size("hidden", 1, errors);
            let blocks = options.size("blocks", 1, errors);
            let activation = options.activation(Activation::Relu, errors);
            NetKind::ResidualFeedForward {
                hidden: checked_hidden.map_or(DEFAULT_HIDDEN, |s| s.value),
                blocks: blocks.map_or(2, |s| s.value),
                activation,
            }
        }
        "Linear" => NetKind::Linear,
        _ => NetKind::Constant,
    };
    (errors.len() == before).then_some(Net { kind, outputs })
}

/// A list of indices `[i, j, ...]`.
fn index_list(value: &Value, what: &str, errors: &mut Errors) -> Option<Vec<Spanned<usize>>> {
    let Value::List(items, _) = value else {
        errors.at(
            value.span(),
            format!("expected the indices of {what} as a list `[i, j, ...]`"),
        );
        return None;
    };
    let before = errors.len();
    let list: Vec<_> = items
        .iter()
        .filter_map(|n| {
            size(n, "an index", 0, errors).map(|value| Spanned {
                value,
                span: n.span,
            })
        })
        .collect();
    (errors.len() == before).then_some(list)
}

/// `n` as a size of at least `min`, with an error naming `what` otherwise.
pub fn size(n: &Number, what: &str, min: usize, errors: &mut Errors) -> Option<usize> {
    match n.size() {
        Some(v) if v >= min => Some(v),
        Some(v) => {
            errors.at(n.span, format!("{what} must be at least {min}, found {v}"));
            None
        }
        None => {
            errors.at(
                n.span,
                format!(
                    "{what} must be a whole number of at least {min}, found {}",
                    n.value
                ),
            );
            None
        }
    }
}

/// The arguments of a term, each named option at most once and known.
pub struct Options {
    named: Vec<(Ident, Value)>,
    /// The positional arguments, in order.
    pub positional: Vec<Value>,
}

impl Options {
    /// Reads `term`'s arguments: unknown names and repeated ones are errors (and dropped).
    pub fn read(term: &Term, allowed: &[&str], errors: &mut Errors) -> Options {
        let mut named: Vec<(Ident, Value)> = Vec::new();
        let mut positional = Vec::new();
        for arg in &term.args {
            match arg {
                Arg::Named(key, value) => {
                    let k = key.to_string();
                    if !allowed.contains(&k.as_str()) {
                        let place = format!(" of `{}`", term.name);
                        errors.at(key.span(), suggest::unknown("option", &k, &place, allowed));
                    } else if named.iter().any(|(n, _)| *n == k) {
                        errors.at(key.span(), format!("the option `{k}` is given twice"));
                    } else {
                        named.push((key.clone(), value.clone()));
                    }
                }
                Arg::Positional(value) => positional.push(value.clone()),
            }
        }
        Options { named, positional }
    }

    /// Reads the arguments of a term that takes none: each one is an error.
    pub fn none(term: &Term, errors: &mut Errors) {
        let options = Options::read(term, &[], errors);
        if let Some(first) = options.positional.first() {
            errors.at(first.span(), format!("`{}` takes no arguments", term.name));
        }
    }

    /// The value of option `key`, if given.
    pub fn named(&self, key: &str) -> Option<&Value> {
        self.named.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The `activation` option, `default` when not given (or after an error).
    pub fn activation(&self, default: Activation, errors: &mut Errors) -> Activation {
        match self.named("activation") {
            None => default,
            Some(Value::Term(t)) => {
                let found = t.name.to_string();
                match Activation::ALL.iter().find(|(n, _)| *n == found) {
                    Some((_, a)) => *a,
                    None => {
                        let known: Vec<&str> = Activation::ALL.iter().map(|(n, _)| *n).collect();
                        errors.at(
                            t.name.span(),
                            suggest::unknown("activation", &found, "", &known),
                        );
                        default
                    }
                }
            }
            Some(other) => {
                errors.at(
                    other.span(),
                    "expected an activation, e.g. `Tanh` or `Relu`",
                );
                default
            }
        }
    }

    /// Option `key` as a size of at least `min`, if given (an error when it is not a size).
    pub fn size(&self, key: &str, min: usize, errors: &mut Errors) -> Option<Spanned<usize>> {
        match self.named(key)? {
            Value::Number(n) => size(n, &format!("`{key}`"), min, errors).map(|value| Spanned {
                value,
                span: n.span,
            }),
            other => {
                errors.at(other.span(), format!("`{key}` must be a number"));
                None
            }
        }
    }
}
