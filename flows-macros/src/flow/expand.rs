//! Code generation from a checked [`Plan`]: the layer types (tuples for sequences, arrays for
//! repeated blocks, library layers with every size filled in), their initialization, and the
//! named newtype with its impls. Nothing here checks anything.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::doc;
use super::ir::{Activation, Flow, NetKind, Transformer, TransformerKind};
use super::validate::{AutoregressivePlan, CouplingPlan, Plan, Step};

/// The most layers one tuple holds (the library composes tuples up to this size).
const TUPLE_MAX: usize = 12;

/// The flow type for `flow` with the layers of `plan`, or a stub without layers when `plan` is
/// `None` (after an error), so that code using the type does not report errors of its own.
pub fn flow(flow: &Flow, plan: Option<&Plan>, event: usize) -> TokenStream {
    let scalar = &flow.scalar;
    let scalar = if scalar == "f32" || scalar == "f64" {
        quote!(#scalar)
    } else {
        quote!(f64)
    };
    let g = Gen {
        scalar: scalar.clone(),
        event,
        context: flow.context.value,
    };
    let empty = Vec::new();
    let steps = plan.map_or(&empty, |p| &p.steps);
    let layers = g.sequence_type(steps);
    let init = g.sequence_init(steps).unwrap_or_else(random);
    let docs = plan.map(|p| doc::table(p, &flow.scalar.to_string()));
    let attrs = &flow.attrs;
    let vis = &flow.vis;
    let name = &flow.name;
    let (d, c) = (lit(event), lit(flow.context.value));
    let inner = quote!(::flows::Flow<#scalar, #d, #c, #layers>);
    let unconditional = (flow.context.value == 0).then(|| {
        quote! {
            /// Data-dependent initialization (ActNorm layers set themselves from `batch`);
            /// `batch` is left mapped to the latent space.
            pub fn initialize_from_data(&mut self, batch: &mut [::flows::nalgebra::SVector<#scalar, #d>]) {
                self.0.initialize_from_data(batch);
            }
        }
    });
    let vector = quote!(::flows::nalgebra::SVector<#scalar, #d>);
    let context = quote!(::flows::nalgebra::SVector<#scalar, #c>);
    // The user's own layer types are checked here, each at its own token, so that a type that is
    // not a bijection of the flow's sizes gives one error there; the `Bijection` impl below only
    // assumes it (a higher-ranked bound is checked where it is used, not here).
    let customs = Step::custom_types(steps);
    let checks = customs
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> __layer::<#ty>();));
    let check = (!customs.is_empty()).then(|| {
        quote! {
            const _: () = {
                fn __layer<B: ?Sized + ::flows::Bijection<#scalar, #d, #c>>() {}
                #[allow(dead_code)]
                fn __check() {
                    #(#checks)*
                }
            };
        }
    });
    let assumption = (!customs.is_empty())
        .then(|| quote!(for<'a> #layers: ::flows::Bijection<#scalar, #d, #c>,));
    let assume = assumption.as_ref().map(|a| quote!(where #a));
    quote! {
        #check

        #(#attrs)*
        #docs
        #[derive(Clone, Debug)]
        #vis struct #name(pub #inner);

        impl #name {
            /// The number of trainable scalars.
            pub const PARAMETER_COUNT: usize = <#layers as ::flows::Parameters<#scalar>>::COUNT;
            /// The bytes the trainable scalars take.
            pub const PARAMETER_BYTES: usize = <#layers as ::flows::Parameters<#scalar>>::BYTES;
            /// The event size.
            pub const EVENT_SIZE: usize = #d;
            /// The context size (0 for an unconditional flow).
            pub const CONTEXT_SIZE: usize = #c;
        }

        impl #name #assume {
            /// A flow initialized from `rng`.
            pub fn random<R: ::flows::rand::Rng + ?Sized>(rng: &mut R) -> Self {
                let layers: #layers = #init;
                Self(::flows::Flow::<#scalar, #d, #c, #layers>::new(
                    layers,
                    ::core::default::Default::default(),
                ))
            }

            /// A flow initialized deterministically from `seed` (the same on every platform).
            pub fn seeded(seed: u64) -> Self {
                Self::random(&mut <::flows::rand::rngs::Xoshiro256PlusPlus
                    as ::flows::rand::SeedableRng>::seed_from_u64(seed))
            }

            #unconditional
        }

        impl ::core::ops::Deref for #name {
            type Target = #inner;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl ::core::ops::DerefMut for #name {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }

        impl ::flows::Bijection<#scalar, #d, #c> for #name #assume {
            #[inline]
            fn forward(&self, x: &#vector, context: &#context) -> (#vector, #scalar) {
                ::flows::Bijection::forward(&self.0, x, context)
            }
            #[inline]
            fn inverse(&self, z: &#vector, context: &#context) -> (#vector, #scalar) {
                ::flows::Bijection::inverse(&self.0, z, context)
            }
            fn forward_batch(
                &self,
                events: &mut [#vector],
                contexts: ::flows::batch::Contexts<'_, #scalar, #c>,
                log_det: &mut [#scalar],
            ) -> ::core::result::Result<(), ::flows::Error> {
                ::flows::Bijection::forward_batch(&self.0, events, contexts, log_det)
            }
            fn inverse_batch(
                &self,
                events: &mut [#vector],
                contexts: ::flows::batch::Contexts<'_, #scalar, #c>,
                log_det: &mut [#scalar],
            ) -> ::core::result::Result<(), ::flows::Error> {
                ::flows::Bijection::inverse_batch(&self.0, events, contexts, log_det)
            }
            #[inline]
            fn forward_lanes(
                &self,
                x: &mut ::flows::batch::Block<#scalar, #d>,
                contexts: &::flows::batch::Block<#scalar, #c>,
                log_det: &mut [#scalar; ::flows::batch::LANES],
            ) {
                ::flows::Bijection::forward_lanes(&self.0, x, contexts, log_det)
            }
            #[inline]
            fn inverse_lanes(
                &self,
                z: &mut ::flows::batch::Block<#scalar, #d>,
                contexts: &::flows::batch::Block<#scalar, #c>,
                log_det: &mut [#scalar; ::flows::batch::LANES],
            ) {
                ::flows::Bijection::inverse_lanes(&self.0, z, contexts, log_det)
            }
            #[inline]
            fn forward_blocks(
                &self,
                x: &mut [::flows::batch::Block<#scalar, #d>],
                contexts: &[::flows::batch::Block<#scalar, #c>],
                log_det: &mut [[#scalar; ::flows::batch::LANES]],
            ) {
                ::flows::Bijection::forward_blocks(&self.0, x, contexts, log_det)
            }
            #[inline]
            fn inverse_blocks(
                &self,
                z: &mut [::flows::batch::Block<#scalar, #d>],
                contexts: &[::flows::batch::Block<#scalar, #c>],
                log_det: &mut [[#scalar; ::flows::batch::LANES]],
            ) {
                ::flows::Bijection::inverse_blocks(&self.0, z, contexts, log_det)
            }
            fn initialize_from_data(
                &mut self,
                batch: &mut [#vector],
                context: &dyn Fn(usize) -> #context,
            ) {
                ::flows::Bijection::initialize_from_data(&mut self.0, batch, context);
            }
        }

        impl ::flows::Parameters<#scalar> for #name {
            const COUNT: usize = <#layers as ::flows::Parameters<#scalar>>::COUNT;
            fn visit(&self, path: &::flows::Path<'_>, f: &mut dyn FnMut(&::flows::Path<'_>, &[#scalar])) {
                ::flows::Parameters::visit(&self.0, path, f);
            }
            fn visit_mut(
                &mut self,
                path: &::flows::Path<'_>,
                f: &mut dyn FnMut(&::flows::Path<'_>, &mut [#scalar]),
            ) {
                ::flows::Parameters::visit_mut(&mut self.0, path, f);
            }
        }

        impl ::flows::Random for #name #assume {
            fn random<R: ::flows::rand::Rng + ?Sized>(rng: &mut R) -> Self {
                #name::random(rng)
            }
        }

        impl ::flows::gradient::BijectionGradient<#scalar, #d, #c> for #name
        where
            for<'a> #inner: ::flows::gradient::BijectionGradient<#scalar, #d, #c>,
            #assumption
        {
            ::flows::backward_from_with_gradient!(#scalar, #d, #c);

            #[inline]
            fn forward_with_gradient(
                &self,
                x: &#vector,
                context: &#context,
                upstream: &mut ::flows::gradient::Upstream<'_, #scalar, #d>,
                grad: &mut Self,
                d_context: &mut #context,
            ) -> #vector {
                self.0.forward_with_gradient(x, context, upstream, &mut grad.0, d_context)
            }

            #[inline]
            fn inverse_with_gradient(
                &self,
                z: &#vector,
                context: &#context,
                upstream: &mut ::flows::gradient::Upstream<'_, #scalar, #d>,
                grad: &mut Self,
                d_context: &mut #context,
            ) -> #vector {
                self.0.inverse_with_gradient(z, context, upstream, &mut grad.0, d_context)
            }
        }
    }
}

/// The type and the initialization (over `rng`) of the layers of `plan`.
pub fn layer(scalar: &syn::Ident, plan: &Plan) -> (TokenStream, TokenStream) {
    let g = Gen {
        scalar: quote!(#scalar),
        event: plan.event,
        context: plan.context,
    };
    let init = g.sequence_init(&plan.steps).unwrap_or_else(random);
    (g.sequence_type(&plan.steps), init)
}

/// `Random::random(rng)`, the initialization of a layer without a custom one.
fn random() -> TokenStream {
    quote!(::flows::Random::random(rng))
}

/// The sizes shared by the layers of one flow.
struct Gen {
    scalar: TokenStream,
    event: usize,
    context: usize,
}

impl Gen {
    /// The type of a sequence of layers: one layer as itself, up to [`TUPLE_MAX`] as a tuple,
    /// more as a tuple of tuples; none as an empty array (the identity).
    fn sequence_type(&self, steps: &[Step]) -> TokenStream {
        match steps {
            [] => quote!([::flows::layer::ReversePermutation; 0]),
            [one] => self.step_type(one),
            _ => chunks(steps, |chunk| {
                let types = chunk.iter().map(|s| self.step_type(s));
                quote!((#(#types,)*))
            }),
        }
    }

    /// The initialization of a sequence, `None` when every layer takes `Random::random`.
    fn sequence_init(&self, steps: &[Step]) -> Option<TokenStream> {
        let inits: Vec<Option<TokenStream>> = steps.iter().map(|s| self.step_init(s)).collect();
        if inits.iter().all(Option::is_none) {
            return None;
        }
        if let [one] = inits.as_slice() {
            return one.clone();
        }
        let inits: Vec<TokenStream> = inits
            .into_iter()
            .map(|i| i.unwrap_or_else(random))
            .collect();
        Some(chunks(&inits, |chunk| quote!((#(#chunk,)*))))
    }

    fn step_type(&self, step: &Step) -> TokenStream {
        let (t, d, c) = (&self.scalar, lit(self.event), lit(self.context));
        match step {
            Step::Repeat { count, block } => {
                let (block, count) = (self.sequence_type(block), lit(*count));
                quote!([#block; #count])
            }
            Step::Elementwise(tr) => {
                let (tr, p) = (transformer(tr), lit(tr.parameters()));
                quote!(::flows::layer::Elementwise<#t, #tr, #d, #c, #p>)
            }
            Step::ActNorm => quote!(::flows::layer::ActNorm<#t, #d>),
            Step::ReversePermutation => quote!(::flows::layer::ReversePermutation),
            Step::Lu => quote!(::flows::layer::LuLinear<#t, #d>),
            Step::Custom(ty) => quote!(#ty),
            Step::Permutation(_) => quote!(::flows::layer::Permutation<#d>),
            Step::Autoregressive(plan) => self.autoregressive_type(plan),
            Step::Coupling(plan) => {
                let (a, b) = (lit(plan.source.len()), lit(plan.target.len()));
                let p = lit(plan.transformer.parameters());
                let tr = transformer(&plan.transformer);
                let net = self.net_type(plan);
                quote!(::flows::layer::Coupling<#tr, #net, #d, #a, #b, #p>)
            }
        }
    }

    fn autoregressive_type(&self, plan: &AutoregressivePlan) -> TokenStream {
        let (t, d, c) = (&self.scalar, lit(self.event), lit(self.context));
        let (h, m) = (lit(plan.hidden), lit(plan.layers - 1));
        let p = lit(plan.transformer.parameters());
        let (tr, act, narrow) = (
            transformer(&plan.transformer),
            activation(plan.activation),
            plan.narrow,
        );
        let layer = quote! {
            ::flows::layer::MaskedAutoregressive<
                #tr, ::flows::net::Made<#t, #d, #c, #h, #m, #p, #act, #narrow>, #d, #p
            >
        };
        if plan.inverse {
            quote!(::flows::Inverse<#layer>)
        } else {
            layer
        }
    }

    fn net_type(&self, plan: &CouplingPlan) -> TokenStream {
        let (t, c) = (&self.scalar, lit(self.context));
        let (a, b) = (lit(plan.source.len()), lit(plan.target.len()));
        let p = lit(plan.transformer.parameters());
        match plan.net {
            NetKind::FeedForward {
                hidden,
                layers,
                activation,
            } => {
                let (hidden, m, act) = (lit(hidden), lit(layers - 1), self::activation(activation));
                quote!(::flows::net::FeedForward<#t, #a, #c, #hidden, #m, #p, #b, #act>)
            }
            NetKind::ResidualFeedForward {
                hidden,
                blocks,
                activation,
            } => {
                let (hidden, blocks, act) =
                    (lit(hidden), lit(blocks), self::activation(activation));
                quote!(::flows::net::ResidualFeedForward<#t, #a, #c, #hidden, #blocks, #p, #b, #act>)
            }
            NetKind::Linear => quote!(::flows::net::Linear<#t, #a, #c, #p, #b>),
            NetKind::Constant => quote!(::flows::net::Constant<#t, #p, #b>),
        }
    }

    /// The initialization of a layer: [`Gen::partition_init`], then the transformer's options
    /// when they are not its defaults.
    fn step_init(&self, step: &Step) -> Option<TokenStream> {
        let (transformer, field) = match step {
            Step::Elementwise(tr) => (tr, quote!(transformer)),
            Step::Coupling(plan) => (&plan.transformer, quote!(transformer)),
            Step::Autoregressive(plan) if plan.inverse => {
                (&plan.transformer, quote!(0.transformer))
            }
            Step::Autoregressive(plan) => (&plan.transformer, quote!(transformer)),
            _ => return self.partition_init(step),
        };
        let Some(value) = transformer_value(transformer) else {
            return self.partition_init(step);
        };
        let ty = self.step_type(step);
        let init = self.partition_init(step).unwrap_or_else(random);
        Some(quote! {{
            let mut layer: #ty = #init;
            layer.#field = #value;
            layer
        }})
    }

    /// The initialization of layers whose structure is a value: repeated blocks that hold one,
    /// explicit permutations and couplings with a mask other than a split.
    fn partition_init(&self, step: &Step) -> Option<TokenStream> {
        let d = lit(self.event);
        match step {
            Step::Repeat { block, .. } => {
                let block = self.sequence_init(block)?;
                Some(quote!(::core::array::from_fn(|_| #block)))
            }
            Step::Permutation(order) => Some({
                let order = order.iter().map(|&i| lit(i));
                quote! {
                    ::flows::layer::Permutation::<#d>::new(&[#(#order),*]).expect("checked by flow!")
                }
            }),
            Step::Coupling(plan) if !plan.is_split() => {
                let (a, b) = (lit(plan.source.len()), lit(plan.target.len()));
                let source = plan.source.iter().map(|&i| lit(i));
                let target = plan.target.iter().map(|&i| lit(i));
                let ty = self.step_type(step);
                Some(quote! {
                    <#ty>::with_partition(
                        ::flows::conditioner::Partition::<#d, #a, #b>::new(&[#(#source),*], &[#(#target),*])
                            .expect("checked by flow!"),
                        rng,
                    )
                })
            }
            _ => None,
        }
    }
}

/// `items` as one tuple built by `tuple`, or as a tuple of such tuples of at most [`TUPLE_MAX`].
fn chunks<I>(items: &[I], tuple: impl Fn(&[I]) -> TokenStream) -> TokenStream {
    if items.len() <= TUPLE_MAX {
        return tuple(items);
    }
    let parts = items.chunks(TUPLE_MAX).map(&tuple);
    quote!((#(#parts,)*))
}

/// A size as an unsuffixed literal, as the user would write it (`64`, not `64usize`).
fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

/// The library type of a transformer.
pub(super) fn transformer(transformer: &Transformer) -> TokenStream {
    let name = format_ident!("{}", transformer.kind.name(), span = Span::call_site());
    let (bins, units, layers) = (
        lit(transformer.bins),
        lit(transformer.units),
        lit(transformer.layers),
    );
    match transformer.kind {
        TransformerKind::RationalQuadratic | TransformerKind::LinearRational => {
            quote!(::flows::transformer::#name<#bins>)
        }
        TransformerKind::DeepSigmoid => quote!(::flows::transformer::#name<#units, #layers>),
        TransformerKind::Sigmoid => quote!(::flows::transformer::#name<#units>),
        _ => quote!(::flows::transformer::#name),
    }
}

/// The value of a transformer whose options differ from its type's default.
fn transformer_value(transformer: &Transformer) -> Option<TokenStream> {
    let bound = transformer.bound?;
    let ty = self::transformer(transformer);
    Some(quote!(<#ty>::new(#bound)))
}

/// The library path of an activation.
fn activation(kind: Activation) -> TokenStream {
    let name = format_ident!("{}", kind.name());
    quote!(::flows::net::#name)
}
