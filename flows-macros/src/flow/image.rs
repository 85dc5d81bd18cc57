//! Image declarations, `NAME: SCALAR [C, H, W] ...`: the multiscale presets and layer lists of
//! image layers, checked against the image's geometry as it changes through the layers, then
//! generated as one layer type with every size a literal. The newtype around it is generated as
//! for vector flows (a plan of one step, that type).

use proc_macro2::{Span, TokenStream};
use quote::quote;

use super::expand;
use super::ir::{Activation, Flow, Spanned};
use super::resolve::{self, Options};
use super::syntax::{Body, Declaration, Entry, Number, Term, Value};
use super::validate::{Plan, Step};
use crate::errors::Errors;
use crate::suggest;

/// The geometry of an image: channels, height, width.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Geometry {
    c: usize,
    h: usize,
    w: usize,
}

impl Geometry {
    fn size(self) -> usize {
        self.c * self.h * self.w
    }

    fn describe(self) -> String {
        format!("{} x {} x {}", self.c, self.h, self.w)
    }
}

/// The presets: name, transformer (an arm of the library's preset macro) and block kind.
const PRESETS: [(&str, &str, &str); 4] = [
    ("MultiscaleNICE", "Shift", "Normalized"),
    ("MultiscaleRealNVP", "Affine", "Normalized"),
    ("MultiscaleRQNSF", "RationalQuadratic", "Normalized"),
    ("Glow", "Affine", "GlowStep"),
];

/// The layers an image flow takes.
const LAYERS: [&str; 5] = ["ActNorm", "Conv1x1", "Squeeze", "Coupling", "Bijection"];

/// The most levels the library's preset macros nest.
const MAX_LEVELS: usize = 4;

/// Resolves, checks and plans an image declaration: the flow (its shape the flat size) and, when
/// it has no mistakes, a plan of one step, the layer type.
pub fn declaration(mut decl: Declaration, errors: &mut Errors) -> (Flow, Option<Plan>) {
    let before = errors.len();
    let (dims, span) = decl.shape.clone();
    let geometry = shape(&dims, errors);
    let body = std::mem::replace(&mut decl.body, Body::Layers(Vec::new()));
    let size = geometry.map_or(1, Geometry::size);
    decl.shape = (
        vec![Number {
            value: size as f64,
            integer: true,
            span,
        }],
        span,
    );
    let flow = resolve::declaration(decl, errors);
    let Some(geometry) = geometry else {
        return (flow, None);
    };
    let g = Gen {
        scalar: flow.scalar.clone(),
        context: flow.context.value,
    };
    let layers = match &body {
        Body::Preset(term) => g.preset(term, geometry, errors),
        Body::Layers(entries) => g.sequence(entries, geometry, errors).map(|(ty, _)| ty),
    };
    let plan = layers
        .filter(|_| errors.len() == before)
        .and_then(|ty| syn::parse2(ty).ok())
        .map(|ty| Plan {
            event: size,
            context: flow.context.value,
            steps: vec![Step::Custom(ty)],
        });
    (flow, plan)
}

/// The image shape `[C, H, W]`, each at least 1.
fn shape(dims: &[Number], errors: &mut Errors) -> Option<Geometry> {
    let before = errors.len();
    let sizes: Vec<usize> = dims
        .iter()
        .zip(["channels", "the height", "the width"])
        .map(|(n, what)| resolve::size(n, &format!("the image's {what}"), 1, errors).unwrap_or(1))
        .collect();
    (errors.len() == before).then(|| Geometry {
        c: sizes[0],
        h: sizes[1],
        w: sizes[2],
    })
}

/// The sizes every layer of one flow shares.
struct Gen {
    scalar: syn::Ident,
    context: usize,
}

impl Gen {
    /// `= Preset(options)`: the library preset's layers, after checking `levels` against the
    /// shape (or choosing it from the shape).
    fn preset(&self, term: &Term, image: Geometry, errors: &mut Errors) -> Option<TokenStream> {
        let name = term.name.to_string();
        let Some((_, transformer, kind)) = PRESETS.iter().find(|(n, _, _)| *n == name) else {
            let known: Vec<&str> = PRESETS.iter().map(|(n, _, _)| *n).collect();
            errors.at(
                term.name.span(),
                suggest::unknown("image preset", &name, "", &known),
            );
            return None;
        };
        let spline = *transformer == "RationalQuadratic";
        let keys: &[&str] = if spline {
            &["levels", "blocks", "hidden", "hidden_layers", "bins"]
        } else {
            &["levels", "blocks", "hidden", "hidden_layers"]
        };
        let options = Options::read(term, keys, errors);
        for extra in &options.positional {
            errors.at(
                extra.span(),
                format!("name this option: `{name}(levels = ...)`"),
            );
        }
        let levels = match options.size("levels", 1, errors) {
            Some(levels) => check_levels(levels, image, errors)?,
            None => auto_levels(image, term.name.span(), errors)?,
        };
        let mut values = Vec::new();
        for key in ["blocks", "hidden", "hidden_layers", "bins"] {
            if let Some(v) = options.size(key, 1, errors) {
                let key = syn::Ident::new(key, Span::call_site());
                let value = lit(v.value);
                values.push(quote!(#key = #value));
            }
        }
        let context = lit(self.context);
        values.push(quote!(context = #context));
        let (t, kind, transformer) = (
            &self.scalar,
            syn::Ident::new(kind, Span::call_site()),
            syn::Ident::new(transformer, Span::call_site()),
        );
        let (c, h, w, levels) = (lit(image.c), lit(image.h), lit(image.w), lit(levels));
        Some(quote! {
            ::flows::__multiscale_preset!(@scan layers ::flows::preset::#kind, #transformer;
                #t, [#c, #h, #w]; (#levels) [] #(#values),*)
        })
    }

    /// A layer list on an image of geometry `image`: the tuple type of its layers (nested by
    /// twelves) and the geometry after them.
    fn sequence(
        &self,
        entries: &[Entry],
        mut image: Geometry,
        errors: &mut Errors,
    ) -> Option<(TokenStream, Geometry)> {
        let before = errors.len();
        let mut types = Vec::new();
        for entry in entries {
            if let Some((ty, after)) = self.entry(entry, image, errors) {
                types.push(ty);
                image = after;
            }
        }
        (errors.len() == before).then(|| (tuple(types), image))
    }

    /// One entry: its type and the geometry after it.
    fn entry(
        &self,
        entry: &Entry,
        image: Geometry,
        errors: &mut Errors,
    ) -> Option<(TokenStream, Geometry)> {
        match entry {
            Entry::Repeat { count, block } => {
                let count = resolve::size(count, "a repeat count", 1, errors)?;
                let (ty, after) = self.sequence(block, image, errors)?;
                if after != image {
                    errors.at(
                        block_span(block),
                        format!(
                            "a repeated block must keep the image's shape, but this one takes \
                             {} to {}",
                            image.describe(),
                            after.describe()
                        ),
                    );
                    return None;
                }
                let count = lit(count);
                Some((quote!([#ty; #count]), image))
            }
            Entry::Custom(ty) => Some((quote!(#ty), image)),
            Entry::Layer(term) => self.layer(term, image, errors),
        }
    }

    /// One layer of an image flow.
    fn layer(
        &self,
        term: &Term,
        image: Geometry,
        errors: &mut Errors,
    ) -> Option<(TokenStream, Geometry)> {
        let (t, c, d) = (&self.scalar, lit(image.c), lit(image.size()));
        let name = term.name.to_string();
        match name.as_str() {
            "ActNorm" => {
                Options::none(term, errors);
                Some((quote!(::flows::layer::ChannelActNorm<#t, #c, #d>), image))
            }
            "Conv1x1" => {
                Options::none(term, errors);
                Some((quote!(::flows::layer::Conv1x1<#t, #c, #d>), image))
            }
            "Squeeze" => {
                Options::none(term, errors);
                if !image.h.is_multiple_of(2) || !image.w.is_multiple_of(2) {
                    let odd = if !image.h.is_multiple_of(2) {
                        format!("the height {} is odd", image.h)
                    } else {
                        format!("the width {} is odd", image.w)
                    };
                    errors.at(
                        term.name.span(),
                        format!(
                            "`Squeeze` moves each 2x2 block of pixels into channels, so it needs \
                             an even height and width; the image here is {}: {odd}",
                            image.describe()
                        ),
                    );
                    return None;
                }
                let (h, w) = (lit(image.h), lit(image.w));
                let after = Geometry {
                    c: image.c * 4,
                    h: image.h / 2,
                    w: image.w / 2,
                };
                Some((quote!(::flows::layer::Squeeze<#c, #h, #w, #d>), after))
            }
            "Coupling" => self.coupling(term, image, errors).map(|ty| (ty, image)),
            _ => {
                errors.at(
                    term.name.span(),
                    suggest::unknown("image layer", &name, "", &LAYERS),
                );
                None
            }
        }
    }

    /// `Coupling(TRANSFORMER, MASK, ConvNet(...))` on `image`.
    fn coupling(&self, term: &Term, image: Geometry, errors: &mut Errors) -> Option<TokenStream> {
        let options = Options::read(term, &[], errors);
        let mut positional = options.positional.iter();
        let transformer = match positional.next() {
            Some(Value::Term(t)) => resolve::transformer(t, errors)?,
            other => {
                errors.at(
                    other.map_or(term.span, Value::span),
                    "an image coupling is `Coupling(TRANSFORMER, MASK, ConvNet(...))`, e.g. \
                     `Coupling(Affine, Checkerboard)`",
                );
                return None;
            }
        };
        if transformer.bound.is_some() {
            errors.at(
                term.span,
                "image couplings take the transformer's default bound",
            );
        }
        let (mask, alternate, mask_span) = match positional.next() {
            Some(Value::Term(m)) => (m.name.to_string(), alternate(m, errors), m.name.span()),
            None => ("Checkerboard".to_string(), false, term.name.span()),
            Some(other) => {
                errors.at(
                    other.span(),
                    "expected a mask: `Checkerboard` or `ChannelSplit`",
                );
                return None;
            }
        };
        let net = match positional.next() {
            Some(Value::Term(n)) if n.name == "ConvNet" => Some(n),
            None => None,
            Some(other) => {
                errors.at(
                    other.span(),
                    "image couplings take a `ConvNet(hidden = .., layers = .., activation = ..)` \
                     conditioner",
                );
                return None;
            }
        };
        if let Some(extra) = positional.next() {
            errors.at(extra.span(), "an image coupling takes three arguments");
        }
        let (hidden, layers, activation) = match net {
            Some(n) => {
                let o = Options::read(n, &["hidden", "layers", "activation"], errors);
                (
                    o.size("hidden", 1, errors).map_or(16, |s| s.value),
                    o.size("layers", 1, errors).map_or(2, |s| s.value),
                    o.activation(Activation::Tanh, errors),
                )
            }
            None => (16, 2, Activation::Tanh),
        };
        let n = image.h * image.w;
        let (source, canvas, targets) = match mask.as_str() {
            "Checkerboard" => {
                if !image.w.is_multiple_of(2) {
                    errors.at(
                        mask_span,
                        format!(
                            "a checkerboard needs an even width (each row holds as many cells of \
                             each colour); the image here is {}",
                            image.describe()
                        ),
                    );
                    return None;
                }
                (image.size() / 2, image.c, image.c)
            }
            "ChannelSplit" => {
                if image.c < 2 {
                    errors.at(
                        mask_span,
                        format!(
                            "a channel-wise coupling needs at least 2 channels, but the image \
                             here has {} ({}): use `Checkerboard`, or `Squeeze` first",
                            image.c,
                            image.describe()
                        ),
                    );
                    return None;
                }
                let (low, high) = (image.c / 2, image.c - image.c / 2);
                if alternate {
                    (high * n, high, low)
                } else {
                    (low * n, low, high)
                }
            }
            other => {
                errors.at(
                    mask_span,
                    suggest::unknown("image mask", other, "", &["Checkerboard", "ChannelSplit"]),
                );
                return None;
            }
        };
        let p = transformer.parameters();
        let tr = expand::transformer(&transformer);
        let mask = syn::Ident::new(&mask, Span::call_site());
        let t = &self.scalar;
        let act = syn::Ident::new(activation.name(), Span::call_site());
        let (c, h, w, d, nn, x) = (
            lit(image.c),
            lit(image.h),
            lit(image.w),
            lit(image.size()),
            lit(n),
            lit(self.context),
        );
        let (a, b, ci, co, f, l, pp) = (
            lit(source),
            lit(image.size() - source),
            lit(canvas),
            lit(p * targets),
            lit(hidden),
            lit(layers - 1),
            lit(p),
        );
        Some(quote! {
            ::flows::layer::ImageCoupling<
                ::flows::layer::#mask<#alternate>, #tr,
                ::flows::net::ConvNet<#t, ::flows::layer::#mask<#alternate>, #ci, #f, #l, #co, #w, #nn, #x, ::flows::net::#act>,
                #c, #h, #w, #d, #a, #b, #pp,
            >
        })
    }
}

/// The `alternate = true|false` option of a mask.
fn alternate(mask: &Term, errors: &mut Errors) -> bool {
    let options = Options::read(mask, &["alternate"], errors);
    match options.named("alternate") {
        None => false,
        Some(Value::Bool(b, _)) => *b,
        Some(other) => {
            errors.at(other.span(), "`alternate` is `true` or `false`");
            false
        }
    }
}

/// Where a block was written (its first entry's name).
fn block_span(block: &[Entry]) -> Span {
    match block.first() {
        Some(Entry::Layer(term)) => term.span,
        _ => Span::call_site(),
    }
}

/// Checks `levels` against the image: every level but the last halves the height and width,
/// and the last level's checkerboard needs an even width, so both must be divisible by
/// `2^levels` (torchflows' rule).
fn check_levels(levels: Spanned<usize>, image: Geometry, errors: &mut Errors) -> Option<usize> {
    if levels.value > MAX_LEVELS {
        errors.at(
            levels.span,
            format!("at most {MAX_LEVELS} levels, found {}", levels.value),
        );
        return None;
    }
    let factor = 1 << levels.value;
    let bad = [("height", image.h), ("width", image.w)]
        .into_iter()
        .filter(|(_, v)| !v.is_multiple_of(factor))
        .map(|(what, v)| format!("the {what} {v}"))
        .collect::<Vec<_>>();
    if bad.is_empty() {
        return Some(levels.value);
    }
    errors.at(
        levels.span,
        format!(
            "{} levels need the height and width divisible by 2^{} = {factor} (each level halves \
             them), but {} {} not; the image is {}",
            levels.value,
            levels.value,
            bad.join(" and "),
            if bad.len() == 1 { "is" } else { "are" },
            image.describe()
        ),
    );
    None
}

/// torchflows' choice: 3 levels when the height and width are divisible by 8, 2 by 4, 1 by 2.
fn auto_levels(image: Geometry, span: Span, errors: &mut Errors) -> Option<usize> {
    let levels = (1..=3)
        .rev()
        .find(|l| image.h.is_multiple_of(1 << l) && image.w.is_multiple_of(1 << l));
    if levels.is_none() {
        errors.at(
            span,
            format!(
                "a multiscale flow needs an even height and width (at least one level of \
                 checkerboards), but the image is {}",
                image.describe()
            ),
        );
    }
    levels
}

/// Nests `types` in tuples of at most twelve.
fn tuple(types: Vec<TokenStream>) -> TokenStream {
    if types.len() <= 12 {
        return quote!((#(#types,)*));
    }
    let chunks: Vec<TokenStream> = types.chunks(12).map(|c| tuple(c.to_vec())).collect();
    tuple(chunks)
}

/// An unsuffixed literal.
fn lit(n: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(n)
}
