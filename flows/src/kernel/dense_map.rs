//! A dense output layer and an elementwise map over lane blocks in one pass: each element's
//! parameters are summed in registers from the rows of the layer's input and applied to the
//! element's row at once, never stored. The output layer of a masked autoregressive network and
//! its transformer, where each element reads its own first columns only (the masks' zeros
//! skipped).

use super::LANES;
use super::affine::affine_value;
use super::event::EventMap;
use super::isa::{Isa, Row};

/// Maps every row `rows[j]` by `map` (or its inverse, when `inverse`) under the parameters
/// `W_j x + b_j` of its layer `layers[j] = (W_j, b_j)`: `W_j` column-major with as many rows as
/// the map has parameters (`b_j.len()`) and as many columns as it holds (at most `x.len()` are
/// read). Returns the sum of the log-derivatives of the map applied (`Σ_j log α_j`, negated for
/// the inverse). Rows past the layers, and those of layers whose bias does not have the map's
/// number of parameters, are left alone.
#[inline(always)]
pub(crate) fn dense_map<I: Isa>(
    isa: I,
    layers: &[(&[f32], &[f32])],
    x: &[Row],
    rows: &mut [Row],
    map: EventMap,
    inverse: bool,
) -> Row {
    // One loop per map and direction, with no choice left inside.
    let total = match (map, inverse) {
        (EventMap::AddShift, false) => map_by::<I, 1, false>(isa, layers, x, rows),
        (EventMap::AddShift, true) => map_by::<I, 1, true>(isa, layers, x, rows),
        (EventMap::ScaleShift, false) => map_by::<I, 2, false>(isa, layers, x, rows),
        (EventMap::ScaleShift, true) => map_by::<I, 2, true>(isa, layers, x, rows),
    };
    let mut out = [0.0; LANES];
    let total = if inverse {
        isa.sub(isa.splat(0.0), total)
    } else {
        total
    };
    isa.store(total, &mut out);
    out
}

/// [`dense_map`] with `P` parameters per element (the shift alone when 1, the affine map when 2),
/// inverse when `INVERSE`: the sum of the log-scales, not negated.
#[inline(always)]
fn map_by<I: Isa, const P: usize, const INVERSE: bool>(
    isa: I,
    layers: &[(&[f32], &[f32])],
    x: &[Row],
    rows: &mut [Row],
) -> I::V {
    let mut total = isa.splat(0.0);
    for (&(weight, bias), row) in layers.iter().zip(rows) {
        let Some(bias) = bias.first_chunk::<P>().filter(|_| bias.len() == P) else {
            continue;
        };
        let mut params: [I::V; P] = core::array::from_fn(|p| isa.splat(bias[p]));
        for (column, x) in weight.chunks_exact(P).zip(x) {
            let v = isa.load(x);
            for (acc, &w) in params.iter_mut().zip(column) {
                *acc = isa.fma(isa.splat(w), v, *acc);
            }
        }
        let value = isa.load(row);
        let mapped = match *params.as_slice() {
            [u, beta] => {
                let (mapped, log_alpha) = affine_value(isa, value, [u, beta], INVERSE);
                total = isa.add(total, log_alpha);
                mapped
            }
            [beta] if INVERSE => isa.sub(value, beta),
            [beta] => isa.add(value, beta),
            _ => continue,
        };
        isa.store(mapped, row);
    }
    total
}
