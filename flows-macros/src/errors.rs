//! Accumulated, spanned errors: every mistake of one invocation is reported at once.

use proc_macro2::{Span, TokenStream};

/// Collects the errors of one invocation; [`Errors::finish`] turns them into `compile_error!`s.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at `span`.
    pub fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an error spanning all of `tokens` (a type, an expression).
    pub fn spanning(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// The number of errors recorded so far.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// The recorded errors as `compile_error!` invocations (empty when there are none).
    pub fn finish(self) -> TokenStream {
        self.errors
            .into_iter()
            .map(|e| e.to_compile_error())
            .collect()
    }
}
