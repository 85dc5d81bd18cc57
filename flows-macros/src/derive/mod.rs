//! `#[derive(Bijection)]`: a struct of bijections composed in field order, or (with a layer
//! attribute) one layer of the flow language.

mod attr;
mod layer;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Index, Member};

use attr::Sizes;

/// Expands the derive: the impls of `Bijection`, `Parameters`, `Random` and (when every field has
/// one) `BijectionGradient`, plus a check per field spanned at its type; or one spanned error.
pub fn expand(input: DeriveInput) -> TokenStream {
    match try_expand(&input) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

fn try_expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(s) => &s.fields,
        Data::Enum(e) => {
            return Err(syn::Error::new(
                e.enum_token.span,
                "`#[derive(Bijection)]` needs a struct: it composes the fields in order, and an \
                 enum has no fixed sequence of layers",
            ));
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "`#[derive(Bijection)]` needs a struct: it composes the fields in order, and a \
                 union holds only one of them",
            ));
        }
    };
    let attr = input
        .attrs
        .iter()
        .find(|a| a.path().is_ident("bijection"))
        .ok_or_else(|| {
            syn::Error::new(
                input.ident.span(),
                "`#[derive(Bijection)]` needs the scalar type and the event size: add \
                 `#[bijection(f32, [4])]` (and `context = N` for a conditional bijection)",
            )
        })?;
    let sizes: Sizes = attr.parse_args()?;
    let layers = layer::attributes(input);
    if !layers.is_empty() {
        return Ok(layer::expand(input, fields, &sizes, &layers));
    }
    let members: Vec<Member> = match fields {
        Fields::Named(named) => named
            .named
            .iter()
            .map(|f| Member::Named(f.ident.clone().expect("named field")))
            .collect(),
        Fields::Unnamed(unnamed) => (0..unnamed.unnamed.len())
            .map(|i| Member::Unnamed(Index::from(i)))
            .collect(),
        Fields::Unit => Vec::new(),
    };
    let types: Vec<&syn::Type> = fields.iter().map(|f| &f.ty).collect();
    Ok(generate(input, &sizes, &members, &types))
}

/// A const generic argument: literals and paths as they are, anything else in braces.
fn const_arg(expr: &syn::Expr) -> TokenStream {
    match expr {
        syn::Expr::Lit(_) | syn::Expr::Path(_) => quote!(#expr),
        _ => quote!({ #expr }),
    }
}

fn generate(
    input: &DeriveInput,
    sizes: &Sizes,
    members: &[Member],
    types: &[&syn::Type],
) -> TokenStream {
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let t = &sizes.scalar;
    let d = const_arg(&sizes.event);
    let c = sizes.context.as_ref().map_or(quote!(0), const_arg);
    let bijection = quote!(::flows::Bijection<#t, #d, #c>);
    let gradient = quote!(::flows::gradient::BijectionGradient<#t, #d, #c>);
    let vector = quote!(::flows::nalgebra::SVector<#t, #d>);
    let context = quote!(::flows::nalgebra::SVector<#t, #c>);
    let predicates = where_clause.map(|w| &w.predicates);
    let bounded = |bound: &TokenStream| quote!(where #predicates #(for<'__a> #types: #bound,)*);
    let where_bijection = bounded(&bijection);
    let where_parameters = bounded(&quote!(::flows::Parameters<#t>));
    let where_random = bounded(&quote!(::flows::Random));
    let where_gradient = bounded(&gradient);

    // One check per field, spanned at its type, so that a field that is not a bijection of these
    // sizes is underlined (the impls above only assume it, so nothing else reports it).
    let checks = types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> __field_is_a_bijection::<#ty>();));
    let check = quote! {
        const _: () = {
            fn __field_is_a_bijection<B: ?Sized + #bijection>() {}
            #[allow(dead_code)]
            fn __check #impl_generics () #where_clause {
                #(#checks)*
            }
        };
    };

    let forward = members.iter().map(|m| {
        quote! {
            let (x, ld) = ::flows::Bijection::<#t, #d, #c>::forward(&self.#m, &x, context);
            log_det += ld;
        }
    });
    let inverse = members.iter().rev().map(|m| {
        quote! {
            let (x, ld) = ::flows::Bijection::<#t, #d, #c>::inverse(&self.#m, &x, context);
            log_det += ld;
        }
    });
    let reversed: Vec<Member> = members.iter().rev().cloned().collect();
    // The calls of a lane method on every member in `order`, on the lanes `x`.
    let lane_calls = |method: &str, order: &[Member]| {
        let method = format_ident!("{method}");
        order
            .iter()
            .map(|m| quote!(::flows::Bijection::<#t, #d, #c>::#method(&self.#m, x, contexts, log_det);))
            .collect::<Vec<_>>()
    };
    let forward_lanes = lane_calls("forward_lanes", members);
    let inverse_lanes = lane_calls("inverse_lanes", &reversed);
    let forward_blocks = lane_calls("forward_blocks", members);
    let inverse_blocks = lane_calls("inverse_blocks", &reversed);
    let names: Vec<String> = members
        .iter()
        .map(|m| match m {
            Member::Named(i) => i.to_string(),
            Member::Unnamed(i) => i.index.to_string(),
        })
        .collect();
    let sizes = Chain {
        gradient: quote!(::flows::gradient::BijectionGradient::<#t, #d, #c>),
        scalar: quote!(#t),
        vector: vector.clone(),
        context: context.clone(),
    };
    let forward_chain = sizes.chain(members, &quote!(forward_with_gradient));
    let inverse_chain = sizes.chain(&reversed, &quote!(inverse_with_gradient));
    let grads: Vec<_> = members.iter().map(grad_ident).collect();
    let split_grad = quote!(let Self { #(#members: #grads,)* } = grad;);
    let upstream_type = quote!(::flows::gradient::Upstream<'_, #t, #d>);
    let randoms = members
        .iter()
        .map(|m| quote!(#m: ::flows::Random::random(rng)));

    quote! {
        #check

        impl #impl_generics #bijection for #name #type_generics #where_bijection {
            #[inline]
            fn forward(&self, x: &#vector, context: &#context) -> (#vector, #t) {
                let x = *x;
                let mut log_det = <#t as ::flows::Real>::lit(0.0);
                #(#forward)*
                (x, log_det)
            }
            #[inline]
            fn inverse(&self, z: &#vector, context: &#context) -> (#vector, #t) {
                let x = *z;
                let mut log_det = <#t as ::flows::Real>::lit(0.0);
                #(#inverse)*
                (x, log_det)
            }
            #[inline]
            fn forward_lanes(
                &self,
                x: &mut ::flows::batch::Block<#t, #d>,
                contexts: &::flows::batch::Block<#t, #c>,
                log_det: &mut [#t; ::flows::batch::LANES],
            ) {
                #(#forward_lanes)*
            }
            #[inline]
            fn inverse_lanes(
                &self,
                x: &mut ::flows::batch::Block<#t, #d>,
                contexts: &::flows::batch::Block<#t, #c>,
                log_det: &mut [#t; ::flows::batch::LANES],
            ) {
                #(#inverse_lanes)*
            }
            #[inline]
            fn forward_blocks(
                &self,
                x: &mut [::flows::batch::Block<#t, #d>],
                contexts: &[::flows::batch::Block<#t, #c>],
                log_det: &mut [[#t; ::flows::batch::LANES]],
            ) {
                #(#forward_blocks)*
            }
            #[inline]
            fn inverse_blocks(
                &self,
                x: &mut [::flows::batch::Block<#t, #d>],
                contexts: &[::flows::batch::Block<#t, #c>],
                log_det: &mut [[#t; ::flows::batch::LANES]],
            ) {
                #(#inverse_blocks)*
            }
            fn initialize_from_data(
                &mut self,
                batch: &mut [#vector],
                context: &dyn Fn(usize) -> #context,
            ) {
                #(::flows::Bijection::<#t, #d, #c>::initialize_from_data(&mut self.#members, batch, context);)*
            }
        }

        impl #impl_generics ::flows::Parameters<#t> for #name #type_generics #where_parameters {
            const COUNT: usize = 0 #(+ <#types as ::flows::Parameters<#t>>::COUNT)*;
            fn visit(&self, path: &::flows::Path<'_>, f: &mut dyn FnMut(&::flows::Path<'_>, &[#t])) {
                #(::flows::Parameters::<#t>::visit(&self.#members, &path.name(#names), f);)*
            }
            fn visit_mut(
                &mut self,
                path: &::flows::Path<'_>,
                f: &mut dyn FnMut(&::flows::Path<'_>, &mut [#t]),
            ) {
                #(::flows::Parameters::<#t>::visit_mut(&mut self.#members, &path.name(#names), f);)*
            }
        }

        impl #impl_generics ::flows::Random for #name #type_generics #where_random {
            fn random<R: ::flows::rand::Rng + ?Sized>(rng: &mut R) -> Self {
                Self { #(#randoms,)* }
            }
        }

        impl #impl_generics #gradient for #name #type_generics #where_gradient {
            ::flows::backward_from_with_gradient!(#t, #d, #c);

            fn forward_with_gradient(
                &self,
                x: &#vector,
                context: &#context,
                upstream: &mut #upstream_type,
                grad: &mut Self,
                d_context: &mut #context,
            ) -> #vector {
                #split_grad
                let before = <#t as ::flows::Real>::lit(0.0);
                #forward_chain.0
            }

            fn inverse_with_gradient(
                &self,
                z: &#vector,
                context: &#context,
                upstream: &mut #upstream_type,
                grad: &mut Self,
                d_context: &mut #context,
            ) -> #vector {
                #split_grad
                let x = z;
                let before = <#t as ::flows::Real>::lit(0.0);
                #inverse_chain.0
            }
        }
    }
}

/// The binding of a field's gradient when `grad` is split into its fields.
fn grad_ident(member: &Member) -> syn::Ident {
    match member {
        Member::Named(name) => format_ident!("__grad_{}", name),
        Member::Unnamed(index) => format_ident!("__grad_{}", index.index),
    }
}

/// The types a gradient chain is written with.
struct Chain {
    gradient: TokenStream,
    scalar: TokenStream,
    vector: TokenStream,
    context: TokenStream,
}

impl Chain {
    /// Reverse mode through `members` in order, in one pass (the continuation form of the
    /// library's composition): each field hands its output to the rest of the chain through
    /// `method` and back-propagates when the rest returns. The expression is
    /// `(d_input, d_log_det)` of the chain from `x` (with log-det `before` so far), the last field
    /// handing its output to `upstream`.
    fn chain(&self, members: &[Member], method: &TokenStream) -> TokenStream {
        let Some((first, rest)) = members.split_first() else {
            return quote!(upstream(x, before));
        };
        let Chain {
            gradient,
            scalar,
            vector,
            context,
        } = self;
        let grad = grad_ident(first);
        let inner = self.chain(rest, method);
        quote! {{
            let mut d_log_det = <#scalar as ::flows::Real>::lit(0.0);
            let mut d_rest_context = <#context>::zeros();
            let d_input = #gradient::#method(
                &self.#first,
                x,
                context,
                &mut |x: &#vector, log_det: #scalar| {
                    let before = before + log_det;
                    let d_context: &mut #context = &mut d_rest_context;
                    let (d_output, d_ld) = #inner;
                    d_log_det = d_ld;
                    (d_output, d_ld)
                },
                #grad,
                d_context,
            );
            *d_context += d_rest_context;
            (d_input, d_log_det)
        }}
    }
}
