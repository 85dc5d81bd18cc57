//! Procedural macros of the `flows` crate: [`flow!`] and [`#[derive(Bijection)]`](Bijection).
//!
//! The crate is laid out as the best derive crates are: input is parsed into a small IR, the IR is
//! validated with every error accumulated and spanned, and only a valid IR is turned into code.
//! After a mistake the macro still emits the declared type (a stub without layers), so one
//! mistake gives one error. Use the macros through the `flows` crate, which re-exports them.

mod derive;
mod errors;
mod flow;
mod suggest;

use proc_macro::TokenStream;

/// Declares flow types with static shapes.
///
/// ```text
/// flow! {
///     /// 10-D readings given a 3-D context.
///     pub struct Sensor: f32 [10] | context 3 {
///         ElementwiseAffine,
///         4 * { ReversePermutation, Coupling(Affine, HalfSplit, FeedForward(hidden = 64)), ActNorm },
///         MaskedAutoregressive(RationalQuadratic(bins = 8, bound = 5.0), hidden = 64),
///     }
///     pub struct Moons: f64 [2] = RealNVP(layers = 6, hidden = 64);
/// }
/// ```
///
/// The syntax reference, with an example of every form, is the `flows::dsl` module.
#[proc_macro]
pub fn flow(input: TokenStream) -> TokenStream {
    flow::expand(input.into()).into()
}

/// Composes the fields of a struct, in order, into one bijection: `#[derive(Bijection)]` with
/// `#[bijection(f32, [D])]` or `#[bijection(f32, [D], context = C)]`. With a layer attribute
/// (`#[coupling(...)]`, `#[masked_autoregressive(...)]`, `#[inverse_masked_autoregressive(...)]`,
/// `#[elementwise(...)]`) on a struct with one field `Layer<Self>`, declares that layer instead.
/// See the `flows::dsl` module.
#[proc_macro_derive(
    Bijection,
    attributes(
        bijection,
        coupling,
        masked_autoregressive,
        inverse_masked_autoregressive,
        elementwise
    )
)]
pub fn derive_bijection(input: TokenStream) -> TokenStream {
    match syn::parse(input) {
        Ok(input) => derive::expand(input).into(),
        Err(error) => error.to_compile_error().into(),
    }
}
