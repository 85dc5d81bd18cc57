//! `flow!`: syntax -> IR (names resolved) -> plan (sizes checked and derived) -> code.

mod doc;
mod expand;
mod ir;
mod preset;
mod resolve;
mod syntax;
mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;

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
        let flow = resolve::declaration(declaration, &mut errors);
        let plan = validate::plan(&flow, &mut errors);
        let plan = plan.filter(|_| errors.len() == before);
        let event = validate::event_size(&flow).unwrap_or(1);
        output.extend(expand::flow(&flow, plan.as_ref(), event));
    }
    output.extend(errors.finish());
    output
}
