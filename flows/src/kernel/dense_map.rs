//! A dense output layer and an elementwise map over lane blocks in one pass: each element's
//! parameters are summed in registers from the rows of the layer's input and applied to the
//! element's row at once, never stored. The output layer of a masked autoregressive network and
//! its transformer, where each element reads its own first columns only (the masks' zeros
//! skipped). Blocks are taken two at a time, element by element: each weight is read once for
//! both, and the two blocks' chains of dependent operations (the sums, the exponential, the map)
//! overlap.

use super::affine::affine_value;
use super::event::EventMap;
use super::isa::{Isa, Row};

/// Maps the rows of several lane blocks, one block per entry of `log_det`: `x` holds the inputs
/// of the layers block after block (as many rows each), `rows` the blocks' rows likewise. Row `j`
/// of each block is mapped by `map` (or its inverse, when `inverse`) under the parameters
/// `W_j x + b_j` of its layer `layers[j] = (W_j, b_j)` from the block's inputs `x`: `W_j`
/// column-major with as many rows as the map has parameters (`b_j.len()`) and as many columns
/// as it holds (at most one per input row are read). Adds the sum of the log-derivatives of the
/// map applied to the block's row of `log_det` (`Σ_j log α_j`, subtracted for the inverse).
/// Rows past the layers, and those of layers whose bias does not have the map's number of
/// parameters, are left alone; so is everything unless `log_det.len()` divides the lengths of
/// `x` and `rows`.
#[inline(always)]
pub(crate) fn dense_map<I: Isa>(
    isa: I,
    layers: &[(&[f32], &[f32])],
    x: &[Row],
    rows: &mut [Row],
    map: EventMap,
    inverse: bool,
    log_det: &mut [Row],
) {
    let blocks = log_det.len();
    if blocks == 0 || !x.len().is_multiple_of(blocks) || !rows.len().is_multiple_of(blocks) {
        return;
    }
    let (inputs, len) = (x.len() / blocks, rows.len() / blocks);
    let blocks = Blocks {
        layers,
        x,
        inputs,
        rows,
        len,
    };
    // One loop per map and direction, with no choice left inside.
    match (map, inverse) {
        (EventMap::AddShift, false) => blocks.map::<I, 1, false>(isa, log_det),
        (EventMap::AddShift, true) => blocks.map::<I, 1, true>(isa, log_det),
        (EventMap::ScaleShift, false) => blocks.map::<I, 2, false>(isa, log_det),
        (EventMap::ScaleShift, true) => blocks.map::<I, 2, true>(isa, log_det),
    }
}

/// The arguments of [`dense_map`]: the layers, the inputs (`inputs` rows per block) and the
/// rows (`len` per block).
struct Blocks<'a, 'b> {
    layers: &'a [(&'a [f32], &'a [f32])],
    x: &'a [Row],
    inputs: usize,
    rows: &'b mut [Row],
    len: usize,
}

impl Blocks<'_, '_> {
    /// [`dense_map`] with `P` parameters per element (the shift alone when 1, the affine map
    /// when 2), inverse when `INVERSE`: [`TOGETHER`] blocks at a time, then the rest one by one.
    #[inline(always)]
    fn map<I: Isa, const P: usize, const INVERSE: bool>(self, isa: I, log_det: &mut [Row]) {
        let mut x = self.x.chunks(self.inputs.max(1));
        let mut rows = self.rows.chunks_mut(self.len.max(1));
        let (together, rest) = log_det.as_chunks_mut::<TOGETHER>();
        for log_det in together {
            together_by::<I, P, INVERSE, TOGETHER>(isa, self.layers, &mut x, &mut rows, log_det);
        }
        for log_det in rest.as_chunks_mut::<1>().0 {
            together_by::<I, P, INVERSE, 1>(isa, self.layers, &mut x, &mut rows, log_det);
        }
    }
}

/// The blocks that [`dense_map`] maps together.
const TOGETHER: usize = 2;

/// Maps the next `K` blocks of `x` and `rows` together (both hold them: [`dense_map`] checks
/// that there are as many as log-dets), their log-derivatives added to (or, when `INVERSE`,
/// subtracted from) `log_det`.
#[inline(always)]
fn together_by<'a, I: Isa, const P: usize, const INVERSE: bool, const K: usize>(
    isa: I,
    layers: &[(&[f32], &[f32])],
    x: &mut impl Iterator<Item = &'a [Row]>,
    rows: &mut impl Iterator<Item = &'a mut [Row]>,
    log_det: &mut [Row; K],
) {
    let inputs: [&[Row]; K] = core::array::from_fn(|_| x.next().unwrap_or(&[]));
    let blocks: [&mut [Row]; K] = core::array::from_fn(|_| rows.next().unwrap_or(&mut []));
    let totals = map_by::<I, P, INVERSE, K>(isa, layers, inputs, blocks);
    for (log_det, total) in log_det.iter_mut().zip(totals) {
        let old = isa.load(log_det);
        let new = if INVERSE {
            isa.sub(old, total)
        } else {
            isa.add(old, total)
        };
        isa.store(new, log_det);
    }
}

/// The map of `K` blocks, element by element (see [`Blocks::map`]): the sums of their
/// log-scales, not negated.
#[inline(always)]
fn map_by<I: Isa, const P: usize, const INVERSE: bool, const K: usize>(
    isa: I,
    layers: &[(&[f32], &[f32])],
    x: [&[Row]; K],
    mut rows: [&mut [Row]; K],
) -> [I::V; K] {
    let mut total = [isa.splat(0.0); K];
    let len = rows.iter().map(|rows| rows.len()).min().unwrap_or(0);
    let inputs = x.iter().map(|x| x.len()).min().unwrap_or(0);
    for (j, &(weight, bias)) in layers.iter().enumerate().take(len) {
        let Some(bias) = bias.first_chunk::<P>().filter(|_| bias.len() == P) else {
            continue;
        };
        let mut from_bias = [isa.splat(0.0); P];
        for (p, &b) in from_bias.iter_mut().zip(bias) {
            *p = isa.splat(b);
        }
        let mut params = [from_bias; K];
        for (c, column) in weight.chunks_exact(P).enumerate().take(inputs) {
            for (params, x) in params.iter_mut().zip(x) {
                let v = isa.load(&x[c]);
                for (acc, &w) in params.iter_mut().zip(column) {
                    *acc = isa.fma(isa.splat(w), v, *acc);
                }
            }
        }
        for ((params, rows), total) in params.iter().zip(&mut rows).zip(&mut total) {
            let row = &mut rows[j];
            let value = isa.load(row);
            let mapped = match *params.as_slice() {
                [u, beta] => {
                    let (mapped, log_alpha) = affine_value(isa, value, [u, beta], INVERSE);
                    *total = isa.add(*total, log_alpha);
                    mapped
                }
                [beta] if INVERSE => isa.sub(value, beta),
                [beta] => isa.add(value, beta),
                _ => continue,
            };
            isa.store(mapped, row);
        }
    }
    total
}
