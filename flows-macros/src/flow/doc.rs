//! The rustdoc of a generated flow: its sizes and a table of its layers.

use proc_macro2::TokenStream;
use quote::quote;

use super::ir::NetKind;
use super::validate::{Plan, Step};

/// `#[doc]` attributes with the flow's sizes and one table row per layer.
pub fn table(plan: &Plan, scalar: &str) -> TokenStream {
    let mut lines = vec![
        String::new(),
        format!(
            "Declared with `flows::flow!`: `{scalar}` events of size {}, context size {}, over a \
             standard Gaussian. See `PARAMETER_COUNT` for its size.",
            plan.event, plan.context
        ),
        String::new(),
        "| layer | kind | sizes |".to_string(),
        "|---|---|---|".to_string(),
    ];
    rows(&plan.steps, "", plan.event, &mut lines);
    quote!(#(#[doc = #lines])*)
}

/// Appends the rows of `steps`, numbered below `prefix`.
fn rows(steps: &[Step], prefix: &str, d: usize, lines: &mut Vec<String>) {
    for (i, step) in steps.iter().enumerate() {
        let number = if steps.len() == 1 && !prefix.is_empty() {
            prefix.trim_end_matches('.').to_string()
        } else {
            format!("{prefix}{i}")
        };
        let (kind, sizes) = match step {
            Step::Repeat { count, block } => {
                lines.push(format!(
                    "| {number} | {count} x block | {} layers each |",
                    block.len()
                ));
                rows(block, &format!("{number}.k."), d, lines);
                continue;
            }
            Step::Elementwise(tr) => (
                format!("Elementwise({})", tr.describe()),
                format!("{d} elements, {} parameters each", tr.parameters()),
            ),
            Step::ActNorm => ("ActNorm".into(), format!("{d} elements")),
            Step::ReversePermutation => ("ReversePermutation".into(), format!("{d} elements")),
            Step::Lu => ("LU".into(), format!("{d} x {d} matrix and bias")),
            Step::Custom(ty) => {
                let ty = quote::ToTokens::to_token_stream(ty).to_string();
                (format!("Bijection({ty})"), format!("{d} elements"))
            }
            Step::Permutation(order) => ("Permutation".into(), format!("order {}", indices(order))),
            Step::Coupling(c) => {
                let net = match c.net {
                    NetKind::FeedForward {
                        hidden,
                        layers,
                        activation,
                    } => format!(
                        "FeedForward, {layers} hidden layers of {hidden} ({})",
                        activation.name()
                    ),
                    NetKind::ResidualFeedForward {
                        hidden,
                        blocks,
                        activation,
                    } => format!(
                        "ResidualFeedForward, {blocks} blocks of width {hidden} ({})",
                        activation.name()
                    ),
                    NetKind::Linear => "Linear".into(),
                    NetKind::Constant => "Constant".into(),
                };
                (
                    format!("Coupling({})", c.transformer.describe()),
                    format!(
                        "source {} conditions target {}; {net} giving {} x {} outputs",
                        indices(&c.source),
                        indices(&c.target),
                        c.transformer.parameters(),
                        c.target.len()
                    ),
                )
            }
            Step::Autoregressive(a) => (
                format!(
                    "{}MaskedAutoregressive({})",
                    if a.inverse { "Inverse" } else { "" },
                    a.transformer.describe()
                ),
                format!(
                    "MADE, {} hidden layers of {} ({}{}) giving {} x {d} outputs",
                    a.layers,
                    a.hidden,
                    a.activation.name(),
                    if a.narrow { ", narrow" } else { "" },
                    a.transformer.parameters()
                ),
            ),
        };
        lines.push(format!("| {number} | `{kind}` | {sizes} |"));
    }
}

/// Indices with runs of consecutive ones as ranges: `[0..4, 7, 9..12]`.
fn indices(list: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let mut j = i;
        while j + 1 < list.len() && list[j + 1] == list[j] + 1 {
            j += 1;
        }
        parts.push(if j - i >= 2 {
            format!("{}..{}", list[i], list[j] + 1)
        } else {
            (i..=j)
                .map(|k| list[k].to_string())
                .collect::<Vec<_>>()
                .join(", ")
        });
        i = j + 1;
    }
    format!("[{}]", parts.join(", "))
}
