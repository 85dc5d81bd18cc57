//! `flow!`: syntax -> IR (names resolved) -> plan (sizes checked and derived) -> code.

mod doc;
mod expand;
mod image;
mod ir;
mod preset;
pub mod resolve;
pub mod syntax;
mod validate;

use proc_macro2::TokenStream;
use syn::{Ident, Visibility};

use crate::errors::Errors;
pub use ir::Spanned;

/// Expands `flow! { ... }`: every declaration's type (a stub without layers after a mistake) and
/// every mistake of the invocation as a spanned `compile_error!`.
pub fn expand(input: TokenStream) -> TokenStream {
    let input: syntax::Input = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let mut output = TokenStream::new();
    for declaration in input.items {
        let before = errors.len();
        // Image shapes `[C, H, W]` have their own layers and presets.
        let (flow, plan) = if declaration.shape.0.len() == 3 {
            image::declaration(declaration, &mut errors)
        } else {
            let flow = resolve::declaration(declaration, &mut errors);
            let plan = validate::plan(&flow, &mut errors);
            (flow, plan)
        };
        let plan = plan.filter(|_| errors.len() == before);
        let event = validate::event_size(&flow).unwrap_or(1);
        output.extend(expand::flow(&flow, plan.as_ref(), event));
    }
    output.extend(errors.finish());
    output
}

/// One layer of the flow language on its own, for the attribute form of `#[derive(Bijection)]`:
/// `term` (`Coupling(...)`, `MaskedAutoregressive(...)`, ...) is resolved, checked and generated
/// exactly as a layer of a flow of these sizes. Returns the layer's type and its initialization
/// (an expression over `rng`), or `None` after a mistake (recorded in `errors`).
pub fn layer(
    term: &syntax::Term,
    scalar: &Ident,
    event: Spanned<usize>,
    context: Spanned<usize>,
    errors: &mut Errors,
) -> Option<(TokenStream, TokenStream)> {
    let before = errors.len();
    let layer = resolve::layer(term, errors)?;
    let flow = ir::Flow {
        attrs: Vec::new(),
        vis: Visibility::Inherited,
        name: term.name.clone(),
        scalar: scalar.clone(),
        shape: ir::Shape::Vector(event),
        context,
        layers: vec![layer],
    };
    let plan = validate::plan(&flow, errors).filter(|_| errors.len() == before)?;
    Some(expand::layer(scalar, &plan))
}
