//! One event's masked linear algebra, for the reverse mode of [`Made`](crate::net::Made):
//! matrix-vector products whose columns reach only a tail of the rows (the autoregressive masks
//! with sorted degrees), their reverse mode, and the products of its output blocks, whose `P`
//! parameters of one hidden unit are adjacent (so a block is read with a pattern of period `P`).
//!
//! The vector forms cut the columns and blocks into whole rows of [`LANES`] values and keep a
//! register block of rows of the output (or of the incoming gradient) in registers. A row that
//! holds masked entries is read whole, so **the masked weights must be zero** (then, for finite
//! values, their products add nothing); the gradients of masked weights are never written. Where
//! the sizes are not whole rows (or a block's period does not divide [`LANES`]), they fall back
//! to the [`plain`] loops, which are also the `f64` kernels.

use nalgebra::RealField;

use super::LANES;
use super::isa::{Isa, Row};

/// Every lane's index.
const INDEX: Row = {
    let mut row = [0.0; LANES];
    let mut l = 0;
    while l < LANES {
        row[l] = l as f32;
        l += 1;
    }
    row
};

/// `new` in the lanes `lo..hi`, `old` in the others.
#[inline(always)]
fn blend<I: Isa>(isa: I, lo: usize, hi: usize, new: I::V, old: I::V) -> I::V {
    if lo == 0 && hi >= LANES {
        return new;
    }
    let index = isa.load(&INDEX);
    let above = isa.select(isa.lt(index, isa.splat(lo as f32)), old, new);
    isa.select(isa.lt(index, isa.splat(hi as f32)), above, old)
}

/// The widths a row is folded through, halving from [`LANES`] (constant, so that each step is
/// a few vector additions).
const HALVES: [usize; 4] = [LANES / 2, LANES / 4, LANES / 8, LANES / 16];
const _: () = assert!(LANES == 16, "HALVES halves 16 lanes down to one");

/// Folds a vector onto its first `period` lanes (a power of two up to [`LANES`]): lane `p` of
/// the result sums the lanes `l ≡ p (mod period)`, pairwise.
#[inline(always)]
fn fold<I: Isa>(isa: I, v: I::V, period: usize) -> Row {
    let mut row = [0.0; LANES];
    isa.store(v, &mut row);
    for width in HALVES {
        if width < period {
            break;
        }
        let (low, high) = row.split_at_mut(width);
        for (l, h) in low.iter_mut().zip(high.iter()) {
            *l += *h;
        }
    }
    row
}

/// Whether a pattern of this period repeats within a row (a power of two up to [`LANES`]).
#[inline(always)]
fn fits_rows(period: usize) -> bool {
    period.is_power_of_two() && period <= LANES
}

/// Each lane's index modulo 1, 2, 4, 8 and 16 (the periods that [`fits_rows`]).
const MODULI: [Row; 5] = {
    let mut rows = [[0.0; LANES]; 5];
    let mut m = 0;
    while m < 5 {
        let mut l = 0;
        while l < LANES {
            rows[m][l] = (l % (1 << m)) as f32;
            l += 1;
        }
        m += 1;
    }
    rows
};

/// The pattern `a[l mod P]` over a row, `P = a.len()` (see [`fits_rows`]), made in registers.
#[inline(always)]
fn pattern<I: Isa>(isa: I, a: &[f32]) -> I::V {
    let moduli = MODULI
        .get(a.len().trailing_zeros() as usize)
        .unwrap_or(&[0.0; LANES]);
    let modulo = isa.load(moduli);
    let mut v = isa.splat(0.0);
    for (p, &value) in a.iter().enumerate() {
        v = isa.select(isa.eq(modulo, isa.splat(p as f32)), isa.splat(value), v);
    }
    v
}

/// A slice as whole rows of [`LANES`], if it is.
#[inline(always)]
fn whole_rows(x: &[f32]) -> Option<&[Row]> {
    match x.as_chunks::<LANES>() {
        (rows, []) => Some(rows),
        _ => None,
    }
}

/// [`whole_rows`] of a mutable slice.
#[inline(always)]
fn whole_rows_mut(x: &mut [f32]) -> Option<&mut [Row]> {
    match x.as_chunks_mut::<LANES>() {
        (rows, []) => Some(rows),
        _ => None,
    }
}

/// Calls `$block::<I, R>(first, $args)` over the `$rows` rows of [`LANES`], in register blocks
/// of `R` of them (up to four: eight `ymm` registers under AVX2) from row `first` on; each call
/// returns `R`.
macro_rules! by_blocks {
    ($isa:ty, $rows:expr, $block:ident($($args:expr),*)) => {{
        let rows = $rows;
        let mut first = 0;
        while first < rows {
            first += match rows - first {
                1 => $block::<$isa, 1>(first, $($args),*),
                2 => $block::<$isa, 2>(first, $($args),*),
                3 => $block::<$isa, 3>(first, $($args),*),
                _ => $block::<$isa, 4>(first, $($args),*),
            };
        }
    }};
}

/// Where column `k` starts: `starts[k]`, 0 past the end of `starts`.
#[inline(always)]
fn start(starts: &[usize], k: usize) -> usize {
    starts.get(k).copied().unwrap_or(0)
}

/// Whether a masked product's sizes agree: `rows > 0` output rows and a column-major weight of
/// `rows` rows and `cols` columns.
#[inline(always)]
fn product_fits(rows: usize, cols: usize, weight: usize) -> bool {
    rows != 0 && weight == rows * cols
}

/// Whether a masked product's reverse mode has agreeing sizes: those of [`product_fits`], an
/// input gradient as long as the input and a weight gradient as large as the weight.
#[inline(always)]
fn backward_fits(rows: usize, x: usize, d_x: usize, weight: usize, grad: usize) -> bool {
    product_fits(rows, x, weight) && d_x == x && grad == weight
}

/// The block size `P` of a product of `blocks` output blocks into `len` values, when `P > 0`
/// divides `len` exactly.
#[inline(always)]
fn period(len: usize, blocks: usize) -> Option<usize> {
    len.checked_div(blocks)
        .filter(|&period| period != 0 && period * blocks == len)
}

/// A column-major matrix as whole rows of [`LANES`]: `per_column` of them per column, the
/// column `k` reaching the rows from [`start`]`(starts, k)` on.
#[derive(Clone, Copy)]
struct Columns<'a> {
    rows: &'a [Row],
    per_column: usize,
    starts: &'a [usize],
}

impl<'a> Columns<'a> {
    /// The matrix, when its columns are whole rows.
    #[inline(always)]
    fn new(weight: &'a [f32], rows: usize, starts: &'a [usize]) -> Option<Self> {
        let per_column = rows / LANES;
        (rows.is_multiple_of(LANES) && per_column > 0).then_some(())?;
        Some(Self {
            rows: whole_rows(weight)?,
            per_column,
            starts,
        })
    }

    /// Each column's start and its rows `first..first + R`.
    #[inline(always)]
    fn blocks<const R: usize>(
        self,
        first: usize,
    ) -> impl Iterator<Item = (usize, Option<&'a [Row; R]>)> {
        let starts = self.starts;
        self.rows
            .chunks_exact(self.per_column)
            .enumerate()
            .map(move |(k, column)| {
                let block = column.get(first..).and_then(|c| c.first_chunk::<R>());
                (start(starts, k), block)
            })
    }
}

/// The rows `first..first + R` (of [`LANES`]) of [`masked_matvec`], summed in registers.
#[inline(always)]
fn matvec_block<I: Isa, const R: usize>(
    first: usize,
    isa: I,
    columns: Columns<'_>,
    x: &[f32],
    out: &mut [Row],
) -> usize {
    let Some(out) = out.get_mut(first..).and_then(|o| o.first_chunk_mut::<R>()) else {
        return R;
    };
    let mut acc = out.map(|row| isa.load(&row));
    for ((start, column), &x) in columns.blocks::<R>(first).zip(x) {
        let (Some(column), x) = (column, isa.splat(x)) else {
            continue;
        };
        for (b, (acc, w)) in acc.iter_mut().zip(column).enumerate() {
            if (first + b + 1) * LANES > start {
                *acc = isa.fma(isa.load(w), x, *acc);
            }
        }
    }
    for (o, acc) in out.iter_mut().zip(acc) {
        isa.store(acc, o);
    }
    R
}

/// `out[s_k..] += weight[k · rows + s_k..(k + 1) · rows] · x[k]` for every column `k` of the
/// column-major `weight` (`rows = out.len()` rows, `x.len()` columns), `s_k = starts[k]` (0 past
/// the end of `starts`): a matrix-vector product whose column `k` reaches only the rows
/// `s_k..rows`. The masked weights must be zero (see the [module](self)). Does nothing unless
/// `weight` has `rows · x.len()` values.
#[inline(always)]
pub(crate) fn masked_matvec<I: Isa>(
    isa: I,
    weight: &[f32],
    starts: &[usize],
    x: &[f32],
    out: &mut [f32],
) {
    let rows = out.len();
    if !product_fits(rows, x.len(), weight.len()) {
        return;
    }
    match (Columns::new(weight, rows, starts), whole_rows_mut(out)) {
        (Some(columns), Some(out)) => {
            by_blocks!(I, out.len(), matvec_block(isa, columns, x, out));
        }
        _ => plain::masked_matvec(weight, starts, x, out),
    }
}

/// The rows `first..first + R` (of [`LANES`]) of [`masked_matvec_backward`], with those of `d_y`
/// in registers.
#[inline(always)]
fn backward_block<I: Isa, const R: usize>(
    first: usize,
    isa: I,
    columns: Columns<'_>,
    grad: &mut [Row],
    (d_y, x, d_x): (&[Row], &[f32], &mut [f32]),
) -> usize {
    let Some(d_y) = d_y.get(first..).and_then(|d| d.first_chunk::<R>()) else {
        return R;
    };
    let d_y = d_y.map(|row| isa.load(&row));
    let grads = grad.chunks_exact_mut(columns.per_column);
    let inputs = x.iter().zip(d_x);
    for (((start, column), grad), (&x, d_x)) in columns.blocks::<R>(first).zip(grads).zip(inputs) {
        let grad = grad.get_mut(first..).and_then(|g| g.first_chunk_mut::<R>());
        let (Some(column), Some(grad), x) = (column, grad, isa.splat(x)) else {
            continue;
        };
        let mut sum = isa.splat(0.0);
        for (b, ((w, g), &d_y)) in column.iter().zip(grad.iter_mut()).zip(&d_y).enumerate() {
            let at = (first + b) * LANES;
            if at + LANES > start {
                sum = isa.fma(isa.load(w), d_y, sum);
                let old = isa.load(g);
                let new = isa.fma(d_y, x, old);
                isa.store(blend(isa, start.saturating_sub(at), LANES, new, old), g);
            }
        }
        *d_x += fold(isa, sum, 1)[0];
    }
    R
}

/// Reverse mode of [`masked_matvec`]: adds `Wᵀ d_y` (over the rows each column reaches) into
/// `d_x` and the outer product `d_y xᵀ` into the same entries of `grad` (the others are left
/// alone). The masked weights must be zero (see the [module](self)). Does nothing unless the
/// sizes agree.
#[inline(always)]
pub(crate) fn masked_matvec_backward<I: Isa>(
    isa: I,
    weight: &[f32],
    grad: &mut [f32],
    starts: &[usize],
    d_y: &[f32],
    x: &[f32],
    d_x: &mut [f32],
) {
    let rows = d_y.len();
    if !backward_fits(rows, x.len(), d_x.len(), weight.len(), grad.len()) {
        return;
    }
    let shaped = (Columns::new(weight, rows, starts), whole_rows(d_y));
    let (Some(columns), Some(d_y_rows)) = shaped else {
        return plain::masked_matvec_backward(weight, grad, starts, d_y, x, d_x);
    };
    let Some(grad) = whole_rows_mut(grad) else {
        return;
    };
    let rows = d_y_rows.len();
    by_blocks!(
        I,
        rows,
        backward_block(isa, columns, grad, (d_y_rows, x, &mut *d_x))
    );
}

/// The rows of a block that its first `len` values touch, and the lanes of the last of them
/// that count.
#[inline(always)]
fn touched(len: usize) -> (usize, usize) {
    (
        len.div_ceil(LANES),
        LANES - (len.div_ceil(LANES) * LANES - len),
    )
}

/// `out[b · P + p] += Σ weights[b][m] · x[m]` over `m ≡ p (mod P)`, `m < lens[b]`, for every
/// block `b`, with `P = out.len() / weights.len()`: blocks of `P` rows stored interleaved (each a
/// column-major `P`-row matrix, of which the first `lens[b] / P` columns count) times a vector
/// whose values are each repeated `P` times. Does nothing unless `P` divides `out.len()`.
#[inline(always)]
pub(crate) fn masked_blocks<I: Isa>(
    isa: I,
    weights: &[&[f32]],
    lens: &[usize],
    x: &[f32],
    out: &mut [f32],
) {
    let Some(period) = period(out.len(), weights.len()) else {
        return;
    };
    let all_rows = weights.iter().all(|w| w.len() % LANES == 0);
    let Some(x_rows) = whole_rows(x).filter(|_| fits_rows(period) && all_rows) else {
        return plain::masked_blocks(weights, lens, x, out);
    };
    for ((w, &len), out) in weights.iter().zip(lens).zip(out.chunks_exact_mut(period)) {
        let Some(w) = whole_rows(w) else {
            continue;
        };
        let (rows, last) = touched(len.min(w.len() * LANES).min(x.len()));
        let mut sum = isa.splat(0.0);
        for (r, (w, x)) in w.iter().zip(x_rows).take(rows).enumerate() {
            let product = isa.mul(isa.load(w), isa.load(x));
            let hi = if r + 1 == rows { last } else { LANES };
            sum = isa.add(sum, blend(isa, 0, hi, product, isa.splat(0.0)));
        }
        for (o, s) in out.iter_mut().zip(fold(isa, sum, period)) {
            *o += s;
        }
    }
}

/// Reverse mode of [`masked_blocks`]: adds the gradient with respect to `x` into `d_x` and the
/// weights' gradients into `grads` (over the first `lens[b]` values of each block, the others
/// left alone), given `d_out`. Does nothing unless the block size `P` divides `d_out.len()`.
#[inline(always)]
pub(crate) fn masked_blocks_backward<I: Isa>(
    isa: I,
    weights: &[&[f32]],
    grads: &mut [&mut [f32]],
    lens: &[usize],
    d_out: &[f32],
    x: &[f32],
    d_x: &mut [f32],
) {
    let Some(period) = period(d_out.len(), weights.len()) else {
        return;
    };
    let shaped = (whole_rows(x), whole_rows_mut(d_x), fits_rows(period));
    let shaped = shaped.0.zip(shaped.1).filter(|_| shaped.2);
    let all_rows =
        weights.iter().all(|w| w.len() % LANES == 0) && grads.iter().all(|g| g.len() % LANES == 0);
    let Some((x_rows, d_x_rows)) = shaped.filter(|_| all_rows) else {
        return plain::masked_blocks_backward(weights, grads, lens, d_out, x, d_x);
    };
    let blocks = weights.iter().zip(grads.iter_mut()).zip(lens);
    for (((w, grad), &len), d) in blocks.zip(d_out.chunks_exact(period)) {
        let (Some(w), Some(grad)) = (whole_rows(w), whole_rows_mut(grad)) else {
            continue;
        };
        let (rows, last) = touched(len.min(w.len() * LANES).min(x.len()));
        let d = pattern(isa, d);
        let terms = w
            .iter()
            .zip(grad.iter_mut())
            .zip(x_rows.iter().zip(d_x_rows.iter_mut()));
        for (r, ((w, g), (x, d_x))) in terms.take(rows).enumerate() {
            let hi = if r + 1 == rows { last } else { LANES };
            let (old_g, old_d_x) = (isa.load(g), isa.load(d_x));
            let new_d_x = isa.fma(d, isa.load(w), old_d_x);
            isa.store(blend(isa, 0, hi, new_d_x, old_d_x), d_x);
            isa.store(blend(isa, 0, hi, isa.fma(d, isa.load(x), old_g), old_g), g);
        }
    }
}

/// The kernels of this module as plain loops over any real scalar, one value at a time: the
/// `f64` kernels, and the `f32` ones where the sizes are not whole rows. They read only the
/// entries the masks let through.
pub(crate) mod plain {
    use super::{RealField, backward_fits, period, product_fits, start};

    /// See [`masked_matvec`](super::masked_matvec).
    pub(crate) fn masked_matvec<T: RealField + Copy>(
        weight: &[T],
        starts: &[usize],
        x: &[T],
        out: &mut [T],
    ) {
        let rows = out.len();
        if !product_fits(rows, x.len(), weight.len()) {
            return;
        }
        for (k, (column, &x)) in weight.chunks_exact(rows).zip(x).enumerate() {
            for (o, &w) in out.iter_mut().zip(column).skip(start(starts, k)) {
                *o += w * x;
            }
        }
    }

    /// See [`masked_matvec_backward`](super::masked_matvec_backward).
    pub(crate) fn masked_matvec_backward<T: RealField + Copy>(
        weight: &[T],
        grad: &mut [T],
        starts: &[usize],
        d_y: &[T],
        x: &[T],
        d_x: &mut [T],
    ) {
        let rows = d_y.len();
        if !backward_fits(rows, x.len(), d_x.len(), weight.len(), grad.len()) {
            return;
        }
        let columns = weight.chunks_exact(rows).zip(grad.chunks_exact_mut(rows));
        for (k, ((column, grad), (&x, d_x))) in columns.zip(x.iter().zip(d_x)).enumerate() {
            let mut sum = T::zero();
            let terms = column.iter().zip(grad.iter_mut()).zip(d_y);
            for ((&w, g), &d) in terms.skip(start(starts, k)) {
                *g += d * x;
                sum += w * d;
            }
            *d_x += sum;
        }
    }

    /// See [`masked_blocks`](super::masked_blocks).
    pub(crate) fn masked_blocks<T: RealField + Copy>(
        weights: &[&[T]],
        lens: &[usize],
        x: &[T],
        out: &mut [T],
    ) {
        let Some(period) = period(out.len(), weights.len()) else {
            return;
        };
        for ((w, &len), out) in weights.iter().zip(lens).zip(out.chunks_exact_mut(period)) {
            for (m, (&w, &x)) in w.iter().zip(x).take(len).enumerate() {
                out[m % period] += w * x;
            }
        }
    }

    /// See [`masked_blocks_backward`](super::masked_blocks_backward).
    pub(crate) fn masked_blocks_backward<T: RealField + Copy>(
        weights: &[&[T]],
        grads: &mut [&mut [T]],
        lens: &[usize],
        d_out: &[T],
        x: &[T],
        d_x: &mut [T],
    ) {
        let Some(period) = period(d_out.len(), weights.len()) else {
            return;
        };
        let blocks = weights.iter().zip(grads.iter_mut()).zip(lens);
        for (((w, grad), &len), d) in blocks.zip(d_out.chunks_exact(period)) {
            let terms = w
                .iter()
                .zip(grad.iter_mut())
                .zip(x.iter().zip(d_x.iter_mut()));
            for (m, ((&w, g), (&x, d_x))) in terms.take(len).enumerate() {
                *d_x += d[m % period] * w;
                *g += d[m % period] * x;
            }
        }
    }
}
