//! One event's coupling in registers: a small tanh network from the conditioning values to the
//! parameters of the target elements, then the elementwise map of the targets, every element a
//! lane of one register (up to [`SHORT`](super::SHORT) of them), with no store between the
//! steps. One call per coupling: the layers' multiply-adds, the activations' and the scales'
//! exponentials are one dependent chain per event, and calls of separate kernels would each load
//! and store it.

use super::LANES;
use super::affine::affine_value;
use super::isa::{Isa, Row};
use super::math;

/// The elementwise maps of [`Kernels::mlp_map_event`](super::Kernels::mlp_map_event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventMap {
    /// `x + β` under one parameter `β` per element, the log-derivative 0:
    /// [`Shift`](crate::transformer::Shift).
    AddShift,
    /// `α x + β` under two parameters `[u, β]` per element, `α` from `u`:
    /// [`Affine`](crate::transformer::Affine).
    ScaleShift,
}

impl EventMap {
    /// The parameters of each element: 1 for [`AddShift`](EventMap::AddShift), 2 for
    /// [`ScaleShift`](EventMap::ScaleShift).
    pub const fn parameters(self) -> usize {
        match self {
            Self::AddShift => 1,
            Self::ScaleShift => 2,
        }
    }
}

/// A multilayer perceptron with a tanh after each hidden layer, as
/// [`Kernels::mlp_map_event`](super::Kernels::mlp_map_event) reads it: every weight matrix as
/// its columns (`nalgebra`'s storage), `H` hidden units, `P` outputs for each of `B` elements.
#[derive(Clone, Copy, Debug)]
pub struct EventMlp<'a, T, const H: usize, const P: usize, const B: usize> {
    /// The input layer's weight columns, each with the values they multiply (zipped): the
    /// inputs' and the context's.
    pub inputs: [(&'a [[T; H]], &'a [T]); 2],
    /// The input layer's bias.
    pub bias: &'a [T; H],
    /// The hidden-to-hidden layers in order: weight columns and bias.
    pub hidden: &'a [(&'a [[T; H]; H], &'a [T; H])],
    /// The output layer of each element: weight columns and bias (no activation).
    pub output: &'a [(&'a [[T; P]; H], &'a [T; P]); B],
}

/// The first lanes of a row from `values`, the others zero.
#[inline(always)]
fn padded<I: Isa>(isa: I, values: impl IntoIterator<Item = f32>) -> I::V {
    let mut row: Row = [0.0; LANES];
    for (r, v) in row.iter_mut().zip(values) {
        *r = v;
    }
    isa.load(&row)
}

/// `tanh(bias + Σ_k columns[k] · below[k])` over the units as lanes.
#[inline(always)]
fn hidden_layer<I: Isa, const H: usize>(
    isa: I,
    inputs: &[(&[[f32; H]], &[f32])],
    bias: &[f32; H],
) -> I::V {
    let mut h = padded(isa, bias.iter().copied());
    for (columns, values) in inputs {
        for (column, &x) in columns.iter().zip(*values) {
            h = isa.fma(padded(isa, column.iter().copied()), isa.splat(x), h);
        }
    }
    math::tanh(isa, h)
}

/// The lanes of `v`.
#[inline(always)]
fn lanes_of<I: Isa>(isa: I, v: I::V) -> Row {
    let mut row = [0.0; LANES];
    isa.store(v, &mut row);
    row
}

/// The network `mlp` at its inputs, then `map` (or its inverse, when `inverse`) of `target`
/// under its outputs, element `j` in lane `j`: returns the sum of the log-derivatives (of the
/// map applied: `Σ_j log α_j`, summed in element order, negated for the inverse), or `None`
/// (leaving `target` alone) when `P` is not the map's number of parameters. The caller keeps `H`
/// and `B` within the lanes the set computes.
#[inline(always)]
pub(crate) fn mlp_map<I: Isa, const H: usize, const P: usize, const B: usize>(
    isa: I,
    mlp: &EventMlp<'_, f32, H, P, B>,
    map: EventMap,
    inverse: bool,
    target: &mut [f32; B],
) -> Option<f32> {
    if P != map.parameters() {
        return None;
    }
    let mut h = hidden_layer(isa, &mlp.inputs, mlp.bias);
    for (weight, bias) in mlp.hidden {
        let below = lanes_of(isa, h);
        h = hidden_layer(isa, &[(&weight[..], &below[..])], bias);
    }
    let below = lanes_of(isa, h);
    // Parameter `p` of every element: lane `j` from element `j`'s output layer (entries by
    // `get`, all within bounds: no panic branch).
    let entry =
        |values: Option<&[f32; P]>, p: usize| values.and_then(|v| v.get(p)).copied().unwrap_or(0.0);
    let mut params: [I::V; P] =
        core::array::from_fn(|p| padded(isa, mlp.output.iter().map(|(_, b)| entry(Some(b), p))));
    for (k, &x) in below.iter().enumerate().take(H) {
        for (p, acc) in params.iter_mut().enumerate() {
            let column = padded(isa, mlp.output.iter().map(|(w, _)| entry(w.get(k), p)));
            *acc = isa.fma(column, isa.splat(x), *acc);
        }
    }
    let x = padded(isa, target.iter().copied());
    let (mapped, log_det) = match *params.as_slice() {
        [u, beta] => affine_value(isa, x, [u, beta], inverse),
        [beta] if inverse => (isa.sub(x, beta), isa.splat(0.0)),
        [beta] => (isa.add(x, beta), isa.splat(0.0)),
        _ => return None,
    };
    let mapped = lanes_of(isa, mapped);
    for (t, y) in target.iter_mut().zip(mapped) {
        *t = y;
    }
    let total = lanes_of(isa, log_det)
        .iter()
        .take(B)
        .fold(0.0, |total, &l| total + l);
    Some(if inverse { -total } else { total })
}
