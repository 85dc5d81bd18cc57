//! The token-level grammar of `flow!`: declarations, layer entries and the generic term tree
//! `Name`, `Name(arg, key = value, ...)` that every layer, transformer, mask and network shares.
//! Names are not resolved here; [`super::resolve`] gives them meaning.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    Attribute, Ident, LitBool, LitFloat, LitInt, Token, Visibility, braced, bracketed,
    parenthesized,
};

/// Everything inside `flow! { ... }`: one or more declarations.
pub struct Input {
    /// The declarations, in order.
    pub items: Vec<Declaration>,
}

/// `#[attrs] vis struct Name: scalar [shape] | context N { layers }` or `... = Preset(options);`.
pub struct Declaration {
    /// Doc comments and attributes, passed through.
    pub attrs: Vec<Attribute>,
    /// The visibility, passed through.
    pub vis: Visibility,
    /// The type's name.
    pub name: Ident,
    /// The scalar type's name (`f32` or `f64`).
    pub scalar: Ident,
    /// The event shape: its dimensions and the span of the brackets.
    pub shape: (Vec<Number>, Span),
    /// The context size, if declared.
    pub context: Option<Number>,
    /// The layers.
    pub body: Body,
}

/// The layers of a declaration.
pub enum Body {
    /// `{ entry, entry, ... }`.
    Layers(Vec<Entry>),
    /// `= Preset(options);`.
    Preset(Term),
}

/// One entry of a layer list.
pub enum Entry {
    /// `N * { entries }`.
    Repeat {
        /// How many times.
        count: Number,
        /// The repeated entries.
        block: Vec<Entry>,
    },
    /// A layer.
    Layer(Term),
    /// `Bijection(Type)`: a layer of the user's own type.
    Custom(syn::Type),
}

/// `Name` or `Name(args)`.
#[derive(Clone)]
pub struct Term {
    /// The name.
    pub name: Ident,
    /// The arguments, if parenthesized.
    pub args: Vec<Arg>,
    /// The span of the whole term.
    pub span: Span,
}

/// One argument of a term.
#[derive(Clone)]
pub enum Arg {
    /// `key = value`.
    Named(Ident, Value),
    /// `value`.
    Positional(Value),
}

/// A value: a term, a number or a list of numbers.
#[derive(Clone)]
pub enum Value {
    /// A nested term.
    Term(Term),
    /// A number.
    Number(Number),
    /// `[n, n, ...]`.
    List(Vec<Number>, Span),
    /// `true` or `false`.
    Bool(bool, Span),
}

/// A numeric literal, possibly negated.
#[derive(Clone, Copy)]
pub struct Number {
    /// Its value.
    pub value: f64,
    /// Whether it was written as an integer.
    pub integer: bool,
    /// Where it was written.
    pub span: Span,
}

impl Number {
    /// The value as a size, if it is a non-negative integer.
    pub fn size(&self) -> Option<usize> {
        (self.integer && self.value >= 0.0).then_some(self.value as usize)
    }
}

impl Value {
    /// Where the value was written.
    pub fn span(&self) -> Span {
        match self {
            Value::Term(t) => t.span,
            Value::Number(n) => n.span,
            Value::List(_, span) | Value::Bool(_, span) => *span,
        }
    }
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(input.parse()?);
        }
        Ok(Self { items })
    }
}

impl Parse for Declaration {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let scalar = input.parse()?;
        let content;
        let bracket = bracketed!(content in input);
        let dims = content.parse_terminated(Number::parse, Token![,])?;
        let shape = (dims.into_iter().collect(), bracket.span.join());
        let context = if input.peek(Token![|]) {
            input.parse::<Token![|]>()?;
            let keyword: Ident = input.parse()?;
            if keyword != "context" {
                return Err(syn::Error::new(
                    keyword.span(),
                    format!("expected `context` after `|`, found `{keyword}`"),
                ));
            }
            Some(input.parse()?)
        } else {
            None
        };
        let body = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let preset = input.parse()?;
            input.parse::<Token![;]>()?;
            Body::Preset(preset)
        } else {
            let content;
            braced!(content in input);
            Body::Layers(parse_entries(&content)?)
        };
        Ok(Self {
            attrs,
            vis,
            name,
            scalar,
            shape,
            context,
            body,
        })
    }
}

/// Comma-separated entries up to the end of `input`.
fn parse_entries(input: ParseStream) -> syn::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    while !input.is_empty() {
        if input.peek(LitInt) {
            let count = input.parse()?;
            input.parse::<Token![*]>()?;
            let content;
            braced!(content in input);
            entries.push(Entry::Repeat {
                count,
                block: parse_entries(&content)?,
            });
        } else {
            let fork = input.fork();
            let name: Ident = fork.parse()?;
            if name == "Bijection" && fork.peek(syn::token::Paren) {
                input.parse::<Ident>()?;
                let content;
                parenthesized!(content in input);
                entries.push(Entry::Custom(content.parse()?));
            } else {
                entries.push(Entry::Layer(input.parse()?));
            }
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(entries)
}

impl Parse for Term {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        let mut span = name.span();
        let mut args = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            span = span.join(paren.span.close()).unwrap_or(span);
            for arg in content.parse_terminated(Arg::parse, Token![,])? {
                args.push(arg);
            }
        }
        Ok(Self { name, args, span })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) {
            let key = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(Arg::Named(key, input.parse()?))
        } else {
            Ok(Arg::Positional(input.parse()?))
        }
    }
}

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let items = content.parse_terminated(Number::parse, Token![,])?;
            Ok(Value::List(
                items.into_iter().collect(),
                bracket.span.join(),
            ))
        } else if input.peek(LitBool) {
            let lit: LitBool = input.parse()?;
            Ok(Value::Bool(lit.value, lit.span))
        } else if input.peek(Ident) {
            Ok(Value::Term(input.parse()?))
        } else {
            Ok(Value::Number(input.parse()?))
        }
    }
}

impl Parse for Number {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let minus: Option<Token![-]> = input.parse()?;
        let sign = if minus.is_some() { -1.0 } else { 1.0 };
        let (value, integer, span) = if input.peek(LitInt) {
            let lit: LitInt = input.parse()?;
            (lit.base10_parse::<f64>()?, true, lit.span())
        } else if input.peek(LitFloat) {
            let lit: LitFloat = input.parse()?;
            (lit.base10_parse::<f64>()?, false, lit.span())
        } else {
            return Err(input.error("expected a number"));
        };
        let span = minus.map_or(span, |m| m.span().join(span).unwrap_or(span));
        Ok(Self {
            value: sign * value,
            integer,
            span,
        })
    }
}
