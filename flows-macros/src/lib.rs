//! Procedural macros of the `flows` crate.
//!
//! The crate is laid out as the best derive crates are: input is parsed into a small IR, the IR is
//! validated with every error accumulated and spanned, and only a valid IR is turned into code.
//! The `flow!` macro and `#[derive(Bijection)]` grow here.
