//! Checks the IR's sizes against each other and computes every derived size: split sizes,
//! conditioner inputs and outputs, parameters per element. The result, a [`Plan`], is only built
//! from an IR without mistakes; the generator never re-checks it.

use proc_macro2::Span;

use super::ir::{
    Activation, Autoregressive, Coupling, Flow, Layer, MaskKind, NetKind, Shape, Spanned,
    Transformer,
};
use crate::errors::Errors;

/// A flow with every size known.
pub struct Plan {
    /// The event size.
    pub event: usize,
    /// The context size.
    pub context: usize,
    /// The layers.
    pub steps: Vec<Step>,
}

/// One planned layer.
pub enum Step {
    /// An array of `count` identical blocks.
    Repeat {
        /// How many.
        count: usize,
        /// The block.
        block: Vec<Step>,
    },
    /// A transformer on every element.
    Elementwise(Transformer),
    /// Activation normalization.
    ActNorm,
    /// Reverses the elements.
    ReversePermutation,
    /// An LU-parameterized invertible linear map.
    Lu,
    /// `z[i] = x[order[i]]`.
    Permutation(Vec<usize>),
    /// A coupling layer.
    Coupling(CouplingPlan),
    /// A masked autoregressive layer (or an inverse one) with a MADE conditioner.
    Autoregressive(AutoregressivePlan),
    /// A layer of the user's own type.
    Custom(syn::Type),
}

impl Step {
    /// The user's own layer types in `steps`, at any depth.
    pub fn custom_types(steps: &[Step]) -> Vec<&syn::Type> {
        steps
            .iter()
            .flat_map(|step| match step {
                Step::Custom(ty) => vec![ty],
                Step::Repeat { block, .. } => Step::custom_types(block),
                _ => Vec::new(),
            })
            .collect()
    }
}

/// A masked autoregressive layer with its sizes.
pub struct AutoregressivePlan {
    /// Inverse (IAF) when true.
    pub inverse: bool,
    /// The transformer.
    pub transformer: Transformer,
    /// Hidden width.
    pub hidden: usize,
    /// Hidden layers.
    pub layers: usize,
    /// Activation.
    pub activation: Activation,
    /// Whether a width below the MADE rule was accepted.
    pub narrow: bool,
}

/// A coupling layer with its sizes.
pub struct CouplingPlan {
    /// The transformer.
    pub transformer: Transformer,
    /// The source (conditioning) indices, in the order the conditioner reads them.
    pub source: Vec<usize>,
    /// The target (transformed) indices.
    pub target: Vec<usize>,
    /// The conditioner transform.
    pub net: NetKind,
}

impl CouplingPlan {
    /// Whether the split is `0..A` conditioning `A..D`, the partition's default.
    pub fn is_split(&self) -> bool {
        let a = self.source.len();
        self.source.iter().enumerate().all(|(i, &s)| i == s)
            && self.target.iter().enumerate().all(|(j, &t)| t == a + j)
    }
}

/// The event size the flow is checked with: the declared one, or 1 after a shape mistake (so the
/// layers are still checked and a stub can be emitted).
pub fn event_size(flow: &Flow) -> Option<usize> {
    match flow.shape {
        Shape::Vector(d) => Some(d.value),
        Shape::Image => None,
    }
}

/// Checks `flow`; the plan when it has no mistakes (`errors` holds them otherwise).
pub fn plan(flow: &Flow, errors: &mut Errors) -> Option<Plan> {
    let before = errors.len();
    let event = event_size(flow)?;
    let checker = Checker {
        event,
        context: flow.context,
    };
    let steps = checker.steps(&flow.layers, errors);
    (errors.len() == before).then_some(Plan {
        event,
        context: flow.context.value,
        steps,
    })
}

/// The sizes every layer of one flow shares.
struct Checker {
    event: usize,
    context: Spanned<usize>,
}

impl Checker {
    fn steps(&self, layers: &[Layer], errors: &mut Errors) -> Vec<Step> {
        layers.iter().filter_map(|l| self.step(l, errors)).collect()
    }

    fn step(&self, layer: &Layer, errors: &mut Errors) -> Option<Step> {
        Some(match layer {
            Layer::Repeat { count, block } => Step::Repeat {
                count: count.value,
                block: self.steps(block, errors),
            },
            Layer::Elementwise {
                transformer,
                context,
            } => {
                self.check_context(*context, errors);
                Step::Elementwise(*transformer)
            }
            Layer::ActNorm => Step::ActNorm,
            Layer::ReversePermutation => Step::ReversePermutation,
            Layer::Lu => Step::Lu,
            Layer::Custom(ty) => Step::Custom(ty.clone()),
            Layer::Permutation { order, span } => {
                Step::Permutation(self.permutation(order, *span, errors)?)
            }
            Layer::Coupling(coupling) => Step::Coupling(self.coupling(coupling, errors)?),
            Layer::Autoregressive(layer) => {
                Step::Autoregressive(self.autoregressive(layer, errors)?)
            }
        })
    }

    /// A MADE must be wide enough for every input to condition something, unless `narrow`.
    fn autoregressive(
        &self,
        layer: &Autoregressive,
        errors: &mut Errors,
    ) -> Option<AutoregressivePlan> {
        self.check_context(layer.context, errors);
        let (d, c, h) = (self.event, self.context.value, layer.hidden.value);
        // The MADE width rule (`flows::conditioner::made::min_width`): hidden degrees run over
        // `lowest..=D-1`, one unit each when the width is short, so inputs `j >= lowest + H - 1`
        // (before the last) feed no unit that any output reads.
        let min = d.saturating_sub(1) + usize::from(c > 0);
        if h < min && !layer.narrow {
            let lowest = usize::from(c == 0 && d > 1);
            let first = lowest + h - 1;
            let last = d - 2;
            let inputs = if first == last {
                format!("input {first} would condition nothing")
            } else {
                format!("inputs {first} to {last} would condition nothing")
            };
            let rule = if c > 0 {
                format!("D - 1 + 1 = {min} (event size {d}, with a context)")
            } else {
                format!("D - 1 = {min} (event size {d})")
            };
            errors.at(
                layer.hidden.span,
                format!(
                    "a MADE hidden width of {h} is below {rule}: {inputs}; widen it to at least \
                     {min}, or opt in with `narrow = true`"
                ),
            );
            return None;
        }
        Some(AutoregressivePlan {
            inverse: layer.inverse,
            transformer: layer.transformer,
            hidden: h,
            layers: layer.layers,
            activation: layer.activation,
            narrow: layer.narrow,
        })
    }

    /// A layer's own context size must be the flow's.
    fn check_context(&self, stated: Option<Spanned<usize>>, errors: &mut Errors) {
        let Some(stated) = stated else { return };
        if stated.value != self.context.value {
            let flow = if self.context.value == 0 {
                format!(
                    "the flow has no context (declare it after the event shape: `| context {}`)",
                    stated.value
                )
            } else {
                format!("the flow's context size is {}", self.context.value)
            };
            errors.at(
                stated.span,
                format!(
                    "context sizes disagree: this layer's context size is {}, but {flow}",
                    stated.value
                ),
            );
        }
    }

    /// Marks each listed index in `seen`, reporting indices out of range and indices seen before.
    fn mark(
        &self,
        indices: &[Spanned<usize>],
        what: &str,
        seen: &mut [bool],
        errors: &mut Errors,
    ) -> bool {
        let mut ok = true;
        for index in indices {
            match seen.get_mut(index.value) {
                None => {
                    errors.at(
                        index.span,
                        format!(
                            "{what} index {} is out of range for an event of size {} (indices 0 to {})",
                            index.value,
                            self.event,
                            self.event - 1
                        ),
                    );
                    ok = false;
                }
                Some(true) => {
                    errors.at(
                        index.span,
                        format!("index {} is listed twice in this {what}", index.value),
                    );
                    ok = false;
                }
                Some(slot) => *slot = true,
            }
        }
        ok
    }

    fn permutation(
        &self,
        order: &[Spanned<usize>],
        span: Span,
        errors: &mut Errors,
    ) -> Option<Vec<usize>> {
        let mut seen = vec![false; self.event];
        if !self.mark(order, "permutation", &mut seen, errors) {
            return None;
        }
        let missing: Vec<String> = (0..self.event)
            .filter(|&i| !seen[i])
            .map(|i| i.to_string())
            .collect();
        if !missing.is_empty() {
            let indices = if missing.len() == 1 {
                "index"
            } else {
                "indices"
            };
            errors.at(
                span,
                format!(
                    "this permutation of an event of size {} misses {indices} {}",
                    self.event,
                    missing.join(", ")
                ),
            );
            return None;
        }
        Some(order.iter().map(|i| i.value).collect())
    }

    fn coupling(&self, coupling: &Coupling, errors: &mut Errors) -> Option<CouplingPlan> {
        self.check_context(coupling.context, errors);
        let d = self.event;
        let span = coupling.mask.span;
        let (source, target): (Vec<usize>, Vec<usize>) = match &coupling.mask.kind {
            MaskKind::HalfSplit => ((0..d / 2).collect(), (d / 2..d).collect()),
            MaskKind::Alternating => ((1..d).step_by(2).collect(), (0..d).step_by(2).collect()),
            MaskKind::Split(a, b) => {
                if a.value + b.value != d {
                    errors.at(
                        span,
                        format!(
                            "split sizes {} + {} = {} do not add up to the event size {d}",
                            a.value,
                            b.value,
                            a.value + b.value
                        ),
                    );
                    return None;
                }
                ((0..a.value).collect(), (a.value..d).collect())
            }
            MaskKind::Lists { source, target } => {
                let mut seen = vec![false; d];
                let mut ok = true;
                for list in [source, target].into_iter().flatten() {
                    ok &= self.mark(list, "mask", &mut seen, errors);
                }
                if !ok {
                    return None;
                }
                let rest = || (0..d).filter(|&i| !seen[i]).collect::<Vec<_>>();
                let values =
                    |l: &Vec<Spanned<usize>>| l.iter().map(|i| i.value).collect::<Vec<_>>();
                match (source, target) {
                    (Some(s), Some(t)) => {
                        let missing = rest();
                        if !missing.is_empty() {
                            let list: Vec<String> = missing.iter().map(usize::to_string).collect();
                            errors.at(
                                span,
                                format!(
                                    "split sizes {} + {} = {} do not add up to the event size {d}: index {} is in neither list",
                                    s.len(),
                                    t.len(),
                                    s.len() + t.len(),
                                    list.join(", "),
                                ),
                            );
                            return None;
                        }
                        (values(s), values(t))
                    }
                    (Some(s), None) => (values(s), rest()),
                    (None, Some(t)) => (rest(), values(t)),
                    (None, None) => return None,
                }
            }
        };
        if target.is_empty() {
            errors.at(
                span,
                format!(
                    "this mask leaves nothing to transform: all {d} elements condition and none is transformed"
                ),
            );
            return None;
        }
        let p = coupling.transformer.parameters();
        if let Some(outputs) = coupling.net.outputs {
            let needed = p * target.len();
            if outputs.value != needed {
                errors.at(
                    outputs.span,
                    format!(
                        "the conditioner gives {} outputs, but `{}` on {} target elements needs {p} x {} = {needed}",
                        outputs.value,
                        coupling.transformer.kind.name(),
                        target.len(),
                        target.len(),
                    ),
                );
                return None;
            }
        }
        Some(CouplingPlan {
            transformer: coupling.transformer,
            source,
            target,
            net: coupling.net.kind,
        })
    }
}
