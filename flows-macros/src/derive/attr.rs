//! The `#[bijection(scalar, [D], context = C)]` attribute of `#[derive(Bijection)]`.

use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Token, Type, bracketed};

use crate::suggest;

/// The sizes a derived bijection works at.
pub struct Sizes {
    /// The scalar type.
    pub scalar: Type,
    /// The event size.
    pub event: Expr,
    /// The context size (`0` when not given).
    pub context: Option<Expr>,
}

impl Parse for Sizes {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let scalar = input.parse()?;
        input.parse::<Token![,]>()?;
        let content;
        bracketed!(content in input);
        let event = content.parse()?;
        if !content.is_empty() {
            return Err(content.error(
                "`#[derive(Bijection)]` takes a vector event `[D]`; image events are not yet supported",
            ));
        }
        let mut context = None;
        while input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "context" {
                return Err(syn::Error::new(
                    key.span(),
                    suggest::unknown(
                        "option",
                        &key.to_string(),
                        " of `#[bijection]`",
                        &["context"],
                    ),
                ));
            }
            if context.is_some() {
                return Err(syn::Error::new(
                    key.span(),
                    "the option `context` is given twice",
                ));
            }
            input.parse::<Token![=]>()?;
            context = Some(input.parse()?);
        }
        Ok(Self {
            scalar,
            event,
            context,
        })
    }
}
