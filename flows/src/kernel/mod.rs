//! The hot loops: dense layers and transcendental functions over lane blocks of
//! [`LANES`] events (structure of arrays: one row of `LANES` values per feature).
//!
//! For `f32` every kernel is written once over an instruction set (`isa.rs`) and runs with
//! AVX-512F or AVX2 + FMA on x86-64 (detected at run time under `std`, from the target
//! features otherwise) and as a portable scalar twin everywhere else; the tests compare every
//! vector set with the twin and the twin with libm. For `f64` the kernels are plain loops.
//! The `unsafe` code of the crate lives here: in the vector sets (`x86.rs`), their entry points
//! (`dispatch.rs`), the dense kernel's unchecked weight reads (`dense.rs`) and the AVX2 transposes
//! (`transpose.rs`).
//!
//! Accuracy of the `f32` functions against libm: see the [`Kernels`] methods.

mod affine;
mod dense;
mod dense_map;
mod diagonal;
mod dispatch;
mod event;
mod isa;
mod masked;
mod math;
// The peak measurement needs a clock: `std` only (and the tests).
#[cfg(feature = "std")]
mod peak;
mod polar;
mod reverse;
mod spline;
#[cfg(test)]
mod tests;
mod transpose;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use crate::batch::LANES;
pub(crate) use dispatch::rational_quadratic;
pub(crate) use dispatch::vectorized;
pub use event::{EventMap, EventMlp};
pub(crate) use spline::Spline;

use nalgebra::SVector;

/// One row of a lane block: one value per event.
pub type Lanes<T> = [T; LANES];

/// The lanes of a row that the short kernels ([`Kernels::tanh_short`],
/// [`Kernels::affine_short`]) compute: one AVX2 register, for the few values of one event.
pub const SHORT: usize = LANES / 2;

/// The practical peak of `f32` fused multiply-adds on the calling thread's core, in FLOP/s:
/// the best of 50 runs of 2¹⁸ rounds of the dense kernel's largest register block of
/// independent multiply-adds, from registers only, under the instruction set the kernels use.
/// For benchmarks, to put the dense layers' rate in proportion.
#[cfg(feature = "std")]
pub fn fma_peak_flops() -> f64 {
    let mut out = [0.0; LANES];
    let mut best = 0.0f64;
    for _ in 0..50 {
        let start = std::time::Instant::now();
        let flops = dispatch::fma_peak(1 << 18, &mut out);
        best = best.max(flops as f64 / start.elapsed().as_secs_f64());
    }
    best
}

/// The lane-block kernels of a scalar type (`f32`: vectorized; `f64`: plain loops).
///
/// Accuracy of the `f32` versions against libm, over their whole domains (tested), in units of
/// `|result| · f32::EPSILON` (at least those of the smallest normal number): within 1 for `exp`
/// and `ln`, 1.5 for `expm1` and `ln_1p`, 2 for `tanh` and `sigmoid`, 2.5 for `softplus`.
/// NaN gives NaN; `exp(−inf) = 0`, `exp(inf) = inf`; `ln(0) = −inf`, `ln(x < 0)` is NaN;
/// `ln_1p(−1) = −inf`; `tanh(±inf) = ±1`; `sigmoid(±inf)` is 1 or 0; `softplus(inf) = inf`.
/// Subnormal results (below 1.2e-38) are accurate to a few units of the smallest subnormal
/// rather than relatively.
pub trait Kernels: Copy + Default + Sized {
    /// Whether the lane kernels are vector code: then one padded row of a few values costs about
    /// as much as one scalar call, and per-event paths run their elements as the lanes of a row.
    /// (`f64`'s kernels are loops of scalar calls, where padding would only add work.)
    const VECTORIZED: bool;

    /// `out[r] += Σ_i weight[i · ld + r] · x[i]` for every lane and `r < out.len()`: `weight` is
    /// a column-major matrix (`nalgebra`'s layout) with leading dimension `ld ≥ out.len()` and
    /// `x.len()` columns. Does nothing unless `weight.len() == ld · x.len()`.
    fn dense_lanes(weight: &[Self], ld: usize, x: &[Lanes<Self>], out: &mut [Lanes<Self>]);
    /// `W_j x + b_j` for each layer `(W_j, b_j)` of `layers` in turn, into consecutive rows of
    /// `out` (`b_j.len()` rows each; `W_j` column-major with as many rows and `x.len()`
    /// columns), in one call: a dense layer, or the output blocks of a conditioner. Rows past
    /// the layers' are left alone, and so are those of the layers after the first that does not
    /// fit `out`; a layer whose weight does not fit leaves its rows at its bias.
    fn dense_bias_lanes(layers: &[(&[Self], &[Self])], x: &[Lanes<Self>], out: &mut [Lanes<Self>]);
    /// [`dense_bias_lanes`](Kernels::dense_bias_lanes) with every size fixed at compile time:
    /// `out[j] = W_j x + b_j` for each of the `B` layers `(W_j, b_j)` of `P` rows from `K`
    /// inputs (`W_j` column-major, `nalgebra`'s storage of an `SMatrix<_, P, K>`). For `f32`
    /// layers of at most [`FIXED_MAX`] weights in all, a kernel unrolled for the sizes (no loop
    /// or size bookkeeping, which costs more than the multiply-adds of small layers).
    #[inline]
    fn dense_bias_fixed_lanes<const K: usize, const P: usize, const B: usize>(
        layers: &[(&[[Self; P]; K], &[Self; P]); B],
        x: &[Lanes<Self>; K],
        out: &mut [[Lanes<Self>; P]; B],
    ) {
        by_slices(layers, x, out);
    }
    /// Maps the rows of several lane blocks, one block per entry of `log_det` (`x` and `rows`
    /// hold the blocks one after the other, as many rows each): row `j` of each block by `map`
    /// (forward, or inverse when `inverse`) under the parameters `W_j x + b_j` of its layer
    /// `layers[j] = (W_j, b_j)` from the block's rows of `x` (`W_j` column-major with as many
    /// rows as the map has parameters, its columns the first of `x`: the output blocks of a
    /// masked network, each reading the units its element sees), in one pass with no parameter
    /// stored; adds the sum of the log-derivatives of the map applied to the block's row of
    /// `log_det` (subtracts it for the inverse), as [`mlp_map_event`](Kernels::mlp_map_event)
    /// does for one event. Rows past the layers, and those of layers whose bias does not have
    /// the map's number of parameters, are left alone, and so is everything unless
    /// `log_det.len()` divides the lengths of `x` and `rows`. `false`, with everything left
    /// alone, when there is no fused kernel (`f64`). `f32` sums each parameter in registers
    /// from the bias, column by column, and maps the row as [`affine_lanes`](Kernels::affine_lanes)
    /// does, two blocks at a time (each weight read once for both, their chains overlapping).
    #[inline]
    fn dense_map_lanes(
        layers: &[(&[Self], &[Self])],
        x: &[Lanes<Self>],
        rows: &mut [Lanes<Self>],
        map: EventMap,
        inverse: bool,
        log_det: &mut [Lanes<Self>],
    ) -> bool {
        let _ = (layers, x, rows, map, inverse, log_det);
        false
    }
    /// `rows[k] = rows[k] · scale[j] + shift[j]` in every lane, `j = k mod n` (a diagonal affine
    /// map of runs of `n` rows, `n` the length of the shorter of `scale` and `shift`: the lane
    /// blocks of `n` elements one after the other, in one call), the product and the sum each
    /// rounded as in the scalar formula. Nothing without scales.
    fn scale_shift_lanes(rows: &mut [Lanes<Self>], scale: &[Self], shift: &[Self]);
    /// `rows[k] = (rows[k] − shift[j]) · scale[j]` in every lane, over runs of rows as
    /// [`scale_shift_lanes`](Kernels::scale_shift_lanes), the difference and the product each
    /// rounded as in the scalar formula.
    fn shift_scale_lanes(rows: &mut [Lanes<Self>], shift: &[Self], scale: &[Self]);
    /// Reverses the order of the rows of every lane block of `blocks` in place (the reverse
    /// permutation of the blocks' elements, in one call; `f32` moves whole rows through vector
    /// registers).
    #[inline]
    fn reverse_blocks<const N: usize>(blocks: &mut [[Lanes<Self>; N]]) {
        blocks.iter_mut().for_each(|block| block.reverse());
    }
    /// The affine transformer over lane rows: maps every row `rows[j]` under its parameters
    /// `params[j] = [u, β]`, forward (`α x + β`) or, when `inverse`, inverse (`(x − β) / α`),
    /// with the scale `α` of [`Affine`](crate::transformer::Affine), and returns `Σ_j log α_j`
    /// of every lane (rows without parameters are left alone). The values of the scalar
    /// formulas; `f32` computes each row in registers in one pass, and its inverse multiplies by
    /// `1 / α` from one exponential, without a division (within a few units of the formulas'
    /// values, and more accurate where their `α = 1 + (1 − m) expm1(u / 2)` cancels).
    fn affine_lanes(
        rows: &mut [Lanes<Self>],
        params: &[[Lanes<Self>; 2]],
        inverse: bool,
    ) -> Lanes<Self>;
    /// The lane block of `events`: `block[k][l]` becomes element `k` of event `l`.
    fn to_lanes<const N: usize>(events: &[SVector<Self, N>; LANES], block: &mut [Lanes<Self>; N]);
    /// Writes the lane block `block` back into `events`, the inverse of
    /// [`to_lanes`](Kernels::to_lanes).
    fn from_lanes<const N: usize>(block: &[Lanes<Self>; N], events: &mut [SVector<Self, N>; LANES]);
    /// One event's masked matrix-vector product (not a lane block): `out[s_k..] += W[s_k.., k] ·
    /// x[k]` for every column `k` of the column-major `weight` (`out.len()` rows, `x.len()`
    /// columns), whose column `k` reaches only the rows from `s_k = starts[k]` on (0 past the end
    /// of `starts`: an unmasked column). Does nothing unless `weight` has `out.len() · x.len()`
    /// values. The `f32` kernel reads whole rows of [`LANES`] around `s_k`: the masked weights
    /// must be zero (their products with finite values then add nothing).
    fn masked_matvec(weight: &[Self], starts: &[usize], x: &[Self], out: &mut [Self]);
    /// Reverse mode of [`masked_matvec`](Kernels::masked_matvec): adds `Wᵀ d_y` (over the rows
    /// each column reaches) into `d_x` and the outer product `d_y xᵀ` into the same entries of
    /// `grad`, leaving the others alone (`d_y.len()` rows). Does nothing unless the sizes agree.
    fn masked_matvec_backward(
        weight: &[Self],
        grad: &mut [Self],
        starts: &[usize],
        d_y: &[Self],
        x: &[Self],
        d_x: &mut [Self],
    );
    /// `out[b · P + p] += Σ weights[b][m] · x[m]` over `m ≡ p (mod P)` and `m < lens[b]` (within
    /// both slices), for every block `b`, with `P = out.len() / weights.len()`: blocks of `P`
    /// rows each, stored interleaved (column-major), of which only the first `lens[b] / P`
    /// columns count, times a vector whose values are each repeated `P` times (the output blocks
    /// of a [`Made`](crate::net::Made)). The values past `lens[b]` may be read (`f32` reads
    /// whole rows of [`LANES`]) but count for nothing. Does nothing unless `P` divides
    /// `out.len()`.
    fn masked_blocks(weights: &[&[Self]], lens: &[usize], x: &[Self], out: &mut [Self]);
    /// Reverse mode of [`masked_blocks`](Kernels::masked_blocks): given `d_out`, adds the
    /// gradient with respect to `x` into `d_x` and each block's weight gradient into `grads`
    /// (over its first `lens[b]` values; the others are left alone).
    fn masked_blocks_backward(
        weights: &[&[Self]],
        grads: &mut [&mut [Self]],
        lens: &[usize],
        d_out: &[Self],
        x: &[Self],
        d_x: &mut [Self],
    );
    /// `e^x` in place.
    fn exp_lanes(rows: &mut [Lanes<Self>]);
    /// `e^x − 1` in place.
    fn expm1_lanes(rows: &mut [Lanes<Self>]);
    /// `ln x` in place.
    fn ln_lanes(rows: &mut [Lanes<Self>]);
    /// `ln(1 + x)` in place.
    fn ln_1p_lanes(rows: &mut [Lanes<Self>]);
    /// `tanh x` in place.
    fn tanh_lanes(rows: &mut [Lanes<Self>]);
    /// `1 / (1 + e^−x)` in place.
    fn sigmoid_lanes(rows: &mut [Lanes<Self>]);
    /// `ln(1 + e^x)` in place.
    fn softplus_lanes(rows: &mut [Lanes<Self>]);
    /// Marsaglia's polar method on the candidate points `(u, v)`, one per lane: for those with
    /// `0 < s < 1`, `s = u² + v²`, the variates `u · f` and `v · f` with `f = sqrt(−2 ln s / s)`
    /// (each step rounded as in that formula, `ln` as [`ln_lanes`](Kernels::ln_lanes)) are
    /// written to the front of `out` in order, a point's two side by side; returns how many
    /// points were kept. Each row needs room for all its points' variates (`2 · LANES` values)
    /// past the kept ones; rows without it are left out.
    fn polar_lanes(u: &[Lanes<Self>], v: &[Lanes<Self>], out: &mut [Self]) -> usize;

    /// [`tanh_lanes`](Kernels::tanh_lanes) of the first [`SHORT`] lanes of every row (the
    /// others are left as they are, or computed too): for one event's values, where `f32`
    /// under AVX2 computes one register instead of two.
    #[inline]
    fn tanh_short(rows: &mut [Lanes<Self>]) {
        Self::tanh_lanes(rows);
    }
    /// [`affine_lanes`](Kernels::affine_lanes) of one row (`f32`: its exponential kept in
    /// registers, where the rows of a block are buffered): one event's elements as lanes.
    #[inline]
    fn affine_row(row: &mut Lanes<Self>, params: &[Lanes<Self>; 2], inverse: bool) -> Lanes<Self> {
        Self::affine_lanes(
            core::slice::from_mut(row),
            core::slice::from_ref(params),
            inverse,
        )
    }
    /// [`affine_lanes`](Kernels::affine_lanes) of one row on its first [`SHORT`] lanes (the
    /// others are left as they are, or mapped too; their log-scales are unspecified), as
    /// [`tanh_short`](Kernels::tanh_short).
    #[inline]
    fn affine_short(
        row: &mut Lanes<Self>,
        params: &[Lanes<Self>; 2],
        inverse: bool,
    ) -> Lanes<Self> {
        Self::affine_row(row, params, inverse)
    }

    /// Whether [`mlp_map_event`](Kernels::mlp_map_event) has a fused kernel for `hidden` units
    /// and `elements` elements (then it runs for a map of as many parameters as `P`): callers
    /// check this before they gather the network's weights for it.
    #[inline]
    fn fuses(hidden: usize, elements: usize) -> bool {
        let _ = (hidden, elements);
        false
    }

    /// One event's network `mlp` (a tanh after each hidden layer) at its inputs, then `map` of
    /// the elements `target` under its outputs (column `j`, the `P` outputs of element `j`),
    /// forward or, when `inverse`, inverse; returns the sum of the log-derivatives. `None`, with
    /// `target` left alone, when there is no fused kernel: for `f64`, and for `f32` beyond
    /// [`SHORT`] hidden units or elements or when `P` is not the map's number of parameters.
    /// `f32` runs the layers, the activations and the map as one register of lanes each (the
    /// elements as lanes), one call in all (see the kernel tests for its agreement with the
    /// separate steps).
    #[inline]
    fn mlp_map_event<const H: usize, const P: usize, const B: usize>(
        _mlp: &EventMlp<'_, Self, H, P, B>,
        _map: EventMap,
        _inverse: bool,
        _target: &mut [Self; B],
    ) -> Option<Self> {
        None
    }

    /// Runs the lane kernel `kernel` over `values` as rows of [`LANES`] (the last row padded
    /// with zeros).
    #[inline]
    fn by_rows(values: &mut [Self], kernel: impl Fn(&mut [Lanes<Self>])) {
        for chunk in values.chunks_mut(LANES) {
            let mut row = [Self::default(); LANES];
            for (r, v) in row.iter_mut().zip(chunk.iter()) {
                *r = *v;
            }
            kernel(core::slice::from_mut(&mut row));
            for (v, r) in chunk.iter_mut().zip(row) {
                *v = r;
            }
        }
    }

    /// `e^x` of every value in place (by [`exp_lanes`](Kernels::exp_lanes) on padded rows when
    /// [`VECTORIZED`](Kernels::VECTORIZED), else one value at a time).
    fn exp_slice(values: &mut [Self]);
}

/// The most weights (`K · P · B`) for which [`Kernels::dense_bias_fixed_lanes`] runs the
/// unrolled `f32` kernel: about the size of torchflows' preset conditioners at `D = 64`; wider
/// layers run the general kernel, whose loops cost little next to their multiply-adds.
pub const FIXED_MAX: usize = 1024;

/// [`Kernels::dense_bias_fixed_lanes`] by [`Kernels::dense_bias_lanes`].
#[inline]
fn by_slices<T: Kernels, const K: usize, const P: usize, const B: usize>(
    layers: &[(&[[T; P]; K], &[T; P]); B],
    x: &[Lanes<T>; K],
    out: &mut [[Lanes<T>; P]; B],
) {
    let layers: [(&[T], &[T]); B] =
        core::array::from_fn(|j| (layers[j].0.as_flattened(), &layers[j].1[..]));
    T::dense_bias_lanes(&layers, x, out.as_flattened_mut());
}

/// `rows[k] = map(rows[k], scale[j], shift[j])` in every lane, `j = k mod n` over runs of `n`
/// rows (`n` the length of the shorter of `scale` and `shift`): `f64`'s diagonal maps.
#[inline]
fn by_runs(
    rows: &mut [Lanes<f64>],
    scale: &[f64],
    shift: &[f64],
    map: impl Fn(f64, f64, f64) -> f64,
) {
    let n = scale.len().min(shift.len());
    if n == 0 {
        return;
    }
    for run in rows.chunks_mut(n) {
        for ((row, &a), &b) in run.iter_mut().zip(scale).zip(shift) {
            for v in row.iter_mut() {
                *v = map(*v, a, b);
            }
        }
    }
}

impl Kernels for f32 {
    const VECTORIZED: bool = true;
    #[inline]
    fn to_lanes<const N: usize>(events: &[SVector<f32, N>; LANES], block: &mut [Lanes<f32>; N]) {
        transpose::to_lanes(events, block);
    }
    #[inline]
    fn from_lanes<const N: usize>(block: &[Lanes<f32>; N], events: &mut [SVector<f32, N>; LANES]) {
        transpose::from_lanes(block, events);
    }
    #[inline]
    fn exp_slice(values: &mut [f32]) {
        Self::by_rows(values, Self::exp_lanes);
    }
    #[inline]
    fn dense_lanes(weight: &[f32], ld: usize, x: &[Lanes<f32>], out: &mut [Lanes<f32>]) {
        // Nothing to add without inputs: a conditioner without context (`Block<f32, 0>`) makes
        // no call at all.
        if !x.is_empty() {
            dispatch::dense_rows(weight, ld, x, out);
        }
    }
    #[inline]
    fn dense_bias_lanes(layers: &[(&[f32], &[f32])], x: &[Lanes<f32>], out: &mut [Lanes<f32>]) {
        dispatch::dense_bias_rows(layers, x, out);
    }
    #[inline]
    fn dense_bias_fixed_lanes<const K: usize, const P: usize, const B: usize>(
        layers: &[(&[[f32; P]; K], &[f32; P]); B],
        x: &[Lanes<f32>; K],
        out: &mut [[Lanes<f32>; P]; B],
    ) {
        if K * P * B <= FIXED_MAX {
            dispatch::dense_bias_fixed_rows(layers, x, out);
        } else {
            by_slices(layers, x, out);
        }
    }
    #[inline]
    fn dense_map_lanes(
        layers: &[(&[f32], &[f32])],
        x: &[Lanes<f32>],
        rows: &mut [Lanes<f32>],
        map: EventMap,
        inverse: bool,
        log_det: &mut [Lanes<f32>],
    ) -> bool {
        dispatch::dense_map_rows(layers, x, rows, map, inverse, log_det);
        true
    }
    #[inline]
    fn scale_shift_lanes(rows: &mut [Lanes<f32>], scale: &[f32], shift: &[f32]) {
        dispatch::scale_shift_rows(rows, scale, shift);
    }
    #[inline]
    fn shift_scale_lanes(rows: &mut [Lanes<f32>], shift: &[f32], scale: &[f32]) {
        dispatch::shift_scale_rows(rows, shift, scale);
    }
    #[inline]
    fn reverse_blocks<const N: usize>(blocks: &mut [[Lanes<f32>; N]]) {
        dispatch::reverse_rows(blocks);
    }
    #[inline]
    fn affine_lanes(
        rows: &mut [Lanes<f32>],
        params: &[[Lanes<f32>; 2]],
        inverse: bool,
    ) -> Lanes<f32> {
        dispatch::affine_rows(rows, params, inverse)
    }
    #[inline]
    fn affine_row(row: &mut Lanes<f32>, params: &[Lanes<f32>; 2], inverse: bool) -> Lanes<f32> {
        dispatch::affine_one(row, params, inverse)
    }
    #[inline]
    fn affine_short(row: &mut Lanes<f32>, params: &[Lanes<f32>; 2], inverse: bool) -> Lanes<f32> {
        dispatch::affine_short(row, params, inverse)
    }
    #[inline]
    fn masked_matvec(weight: &[f32], starts: &[usize], x: &[f32], out: &mut [f32]) {
        dispatch::masked_matvec(weight, starts, x, out);
    }
    #[inline]
    fn masked_matvec_backward(
        weight: &[f32],
        grad: &mut [f32],
        starts: &[usize],
        d_y: &[f32],
        x: &[f32],
        d_x: &mut [f32],
    ) {
        dispatch::masked_matvec_backward(weight, grad, starts, d_y, x, d_x);
    }
    #[inline]
    fn masked_blocks(weights: &[&[f32]], lens: &[usize], x: &[f32], out: &mut [f32]) {
        dispatch::masked_blocks(weights, lens, x, out);
    }
    #[inline]
    fn masked_blocks_backward(
        weights: &[&[f32]],
        grads: &mut [&mut [f32]],
        lens: &[usize],
        d_out: &[f32],
        x: &[f32],
        d_x: &mut [f32],
    ) {
        dispatch::masked_blocks_backward(weights, grads, lens, d_out, x, d_x);
    }
    #[inline]
    fn exp_lanes(rows: &mut [Lanes<f32>]) {
        dispatch::exp(rows);
    }
    #[inline]
    fn expm1_lanes(rows: &mut [Lanes<f32>]) {
        dispatch::expm1(rows);
    }
    #[inline]
    fn ln_lanes(rows: &mut [Lanes<f32>]) {
        dispatch::ln(rows);
    }
    #[inline]
    fn polar_lanes(u: &[Lanes<f32>], v: &[Lanes<f32>], out: &mut [f32]) -> usize {
        dispatch::polar_rows(u, v, out)
    }
    #[inline]
    fn ln_1p_lanes(rows: &mut [Lanes<f32>]) {
        dispatch::ln_1p(rows);
    }
    #[inline]
    fn tanh_lanes(rows: &mut [Lanes<f32>]) {
        dispatch::tanh(rows);
    }
    #[inline]
    fn tanh_short(rows: &mut [Lanes<f32>]) {
        dispatch::tanh_short(rows);
    }
    #[inline]
    fn fuses(hidden: usize, elements: usize) -> bool {
        hidden <= SHORT && elements <= SHORT
    }
    #[inline]
    fn mlp_map_event<const H: usize, const P: usize, const B: usize>(
        mlp: &EventMlp<'_, f32, H, P, B>,
        map: EventMap,
        inverse: bool,
        target: &mut [f32; B],
    ) -> Option<f32> {
        if Self::fuses(H, B) {
            dispatch::mlp_map_event(mlp, map, inverse, target)
        } else {
            None
        }
    }
    #[inline]
    fn sigmoid_lanes(rows: &mut [Lanes<f32>]) {
        dispatch::sigmoid(rows);
    }
    #[inline]
    fn softplus_lanes(rows: &mut [Lanes<f32>]) {
        dispatch::softplus(rows);
    }
}

/// Applies `f` to every lane of `rows`.
#[inline]
fn each(rows: &mut [Lanes<f64>], f: impl Fn(f64) -> f64) {
    for v in rows.iter_mut().flatten() {
        *v = f(*v);
    }
}

impl Kernels for f64 {
    const VECTORIZED: bool = false;
    #[inline]
    fn to_lanes<const N: usize>(events: &[SVector<f64, N>; LANES], block: &mut [Lanes<f64>; N]) {
        transpose::to_lanes_twin(events, block);
    }
    #[inline]
    fn from_lanes<const N: usize>(block: &[Lanes<f64>; N], events: &mut [SVector<f64, N>; LANES]) {
        transpose::from_lanes_twin(block, events);
    }
    #[inline]
    fn exp_slice(values: &mut [f64]) {
        values.iter_mut().for_each(|v| *v = libm::exp(*v));
    }
    #[inline]
    fn dense_lanes(weight: &[f64], ld: usize, x: &[Lanes<f64>], out: &mut [Lanes<f64>]) {
        if out.len() > ld || weight.len() != ld * x.len() || ld == 0 {
            return;
        }
        for (column, row) in weight.chunks_exact(ld).zip(x) {
            for (o, w) in out.iter_mut().zip(column) {
                for (o, x) in o.iter_mut().zip(row) {
                    *o += w * x;
                }
            }
        }
    }
    #[inline]
    fn dense_bias_lanes(layers: &[(&[f64], &[f64])], x: &[Lanes<f64>], out: &mut [Lanes<f64>]) {
        let mut rest = out;
        for &(weight, bias) in layers {
            let Some((rows, tail)) = rest.split_at_mut_checked(bias.len()) else {
                return;
            };
            for (row, &b) in rows.iter_mut().zip(bias) {
                *row = [b; LANES];
            }
            Self::dense_lanes(weight, bias.len(), x, rows);
            rest = tail;
        }
    }
    #[inline]
    fn scale_shift_lanes(rows: &mut [Lanes<f64>], scale: &[f64], shift: &[f64]) {
        by_runs(rows, scale, shift, |x, a, b| x * a + b);
    }
    #[inline]
    fn shift_scale_lanes(rows: &mut [Lanes<f64>], shift: &[f64], scale: &[f64]) {
        by_runs(rows, scale, shift, |x, a, b| (x - b) * a);
    }
    #[inline]
    fn affine_lanes(
        rows: &mut [Lanes<f64>],
        params: &[[Lanes<f64>; 2]],
        inverse: bool,
    ) -> Lanes<f64> {
        let mut total = [0.0; LANES];
        for (row, [u, beta]) in rows.iter_mut().zip(params) {
            for (((x, &u), &beta), total) in row.iter_mut().zip(u).zip(beta).zip(&mut total) {
                let (alpha, log_alpha) = crate::transformer::affine_scale(u);
                *x = if inverse {
                    (*x - beta) / alpha
                } else {
                    alpha * *x + beta
                };
                *total += log_alpha;
            }
        }
        total
    }
    #[inline]
    fn masked_matvec(weight: &[f64], starts: &[usize], x: &[f64], out: &mut [f64]) {
        masked::plain::masked_matvec(weight, starts, x, out);
    }
    #[inline]
    fn masked_matvec_backward(
        weight: &[f64],
        grad: &mut [f64],
        starts: &[usize],
        d_y: &[f64],
        x: &[f64],
        d_x: &mut [f64],
    ) {
        masked::plain::masked_matvec_backward(weight, grad, starts, d_y, x, d_x);
    }
    #[inline]
    fn masked_blocks(weights: &[&[f64]], lens: &[usize], x: &[f64], out: &mut [f64]) {
        masked::plain::masked_blocks(weights, lens, x, out);
    }
    #[inline]
    fn masked_blocks_backward(
        weights: &[&[f64]],
        grads: &mut [&mut [f64]],
        lens: &[usize],
        d_out: &[f64],
        x: &[f64],
        d_x: &mut [f64],
    ) {
        masked::plain::masked_blocks_backward(weights, grads, lens, d_out, x, d_x);
    }
    #[inline]
    fn exp_lanes(rows: &mut [Lanes<f64>]) {
        each(rows, libm::exp);
    }
    #[inline]
    fn expm1_lanes(rows: &mut [Lanes<f64>]) {
        each(rows, libm::expm1);
    }
    #[inline]
    fn ln_lanes(rows: &mut [Lanes<f64>]) {
        each(rows, libm::log);
    }
    #[inline]
    fn polar_lanes(u: &[Lanes<f64>], v: &[Lanes<f64>], out: &mut [f64]) -> usize {
        let mut kept = 0;
        for (u, v) in u.iter().zip(v) {
            if out.len() < 2 * (kept + LANES) {
                break;
            }
            for (&u, &v) in u.iter().zip(v) {
                let s = u * u + v * v;
                let factor = libm::sqrt(-2.0 * libm::log(s) / s);
                if s > 0.0 && s < 1.0 {
                    out[2 * kept] = u * factor;
                    out[2 * kept + 1] = v * factor;
                    kept += 1;
                }
            }
        }
        kept
    }
    #[inline]
    fn ln_1p_lanes(rows: &mut [Lanes<f64>]) {
        each(rows, libm::log1p);
    }
    #[inline]
    fn tanh_lanes(rows: &mut [Lanes<f64>]) {
        each(rows, libm::tanh);
    }
    #[inline]
    fn sigmoid_lanes(rows: &mut [Lanes<f64>]) {
        each(rows, |x| 1.0 / (1.0 + libm::exp(-x)));
    }
    #[inline]
    fn softplus_lanes(rows: &mut [Lanes<f64>]) {
        each(rows, |x| x.max(0.0) + libm::log1p(libm::exp(-x.abs())));
    }
}
