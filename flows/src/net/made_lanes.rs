//! [`Made`]'s evaluation over a lane block, reading only the blocks of weights its masks leave
//! non-zero.
//!
//! With the hidden units sorted by degree, the masks are triangular: the units of degree `g` see
//! the inputs `x_<g` only, so a block of units needs only the first columns of the input weights
//! (a narrow network's units see only the first few inputs), and the parameters of a run of
//! elements read only the first units of the last hidden layer. The output blocks of a run of
//! elements are stacked into one matrix (`P` rows per element), so that one kernel call computes
//! them all in register blocks across elements.

use super::{Activation, Made};
use crate::Real;
use crate::batch::{Block, LANES};
use crate::kernel::{EventMap, Lanes};

/// The most elements whose parameters are computed in one kernel call, and handed over at once
/// (they are kept on the stack).
pub(super) const RUN: usize = 16;

/// The rows of hidden units whose activations one call computes, at most, over several blocks
/// (up to 8): the rows of one block of a narrow layer are too few to keep the core busy through
/// the activation's long chain of dependent operations.
const BATCH_ROWS: usize = 32;

/// The rows of hidden units that one call of the input layer's kernel computes: each block of
/// rows reads the input columns that its highest unit sees.
const UNIT_BLOCK: usize = 8;

/// Output blocks of fewer rows than this are stacked into one matrix: each alone would fill
/// less than the dense kernel's register blocks.
const STACK_BELOW: usize = 6;

/// The elements of a run of the one-pass evaluation whose blocks are stacked (up to [`RUN`]),
/// and of one whose blocks of [`STACK_BELOW`] rows or more each fill register blocks alone
/// (fewer: the parameters are kept on the stack, zeroed first).
const SHORT_RUN: usize = 4;

/// A run's output blocks of [`Made`] stacked into one matrix (`P` rows per element), and the run
/// they are of: its first element and its length.
pub(super) struct Stacked<T, const H: usize, const P: usize> {
    run: Option<(usize, usize)>,
    weight: [[[T; P]; RUN]; H],
    bias: [[T; P]; RUN],
}

impl<
    T: Real,
    const D: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    Act: Activation,
    const NARROW: bool,
> Made<T, D, C, H, M, P, Act, NARROW>
{
    /// The activations of the last hidden layer over lane blocks of inputs `x` and contexts,
    /// into `h` (one block each, as many as `x` has): each layer over every block, then its
    /// activation over all their rows in one call.
    #[inline]
    fn hidden_blocks(&self, x: &[Block<T, D>], contexts: &[Block<T, C>], h: &mut [Block<T, H>]) {
        let input = &self.input;
        let weight = input.weight.as_slice();
        for ((x, contexts), h) in x.iter().zip(contexts).zip(h.iter_mut()) {
            if C == 0 && H <= UNIT_BLOCK {
                // One block of units and no context: one kernel call, from the biases.
                let seen = Self::DEGREES.degree(H.saturating_sub(1)).min(D - 1);
                if let (Some(weight), Some(x)) = (weight.get(..H * seen), x.get(..seen)) {
                    T::dense_bias_lanes(&[(weight, input.bias.as_slice())], x, h);
                }
                continue;
            }
            // The biases, then the context (a kernel call only when there is one).
            for (row, &bias) in h.iter_mut().zip(input.bias.iter()) {
                *row = [bias; LANES];
            }
            if C > 0 {
                T::dense_lanes(input.context_weight.as_slice(), H, contexts, h);
            }
            for (b, rows) in h.chunks_mut(UNIT_BLOCK).enumerate() {
                let first = b * UNIT_BLOCK;
                // The inputs the highest unit of the block sees (`x_<g` at degree `g`): at most
                // `D - 1`, so the columns from row `first` fit the matrix.
                let seen = Self::DEGREES.degree(first + rows.len() - 1).min(D - 1);
                if let (Some(weight), Some(x)) =
                    (weight.get(first..first + H * seen), x.get(..seen))
                {
                    T::dense_lanes(weight, H, x, rows);
                }
            }
        }
        Act::apply_lanes(h.as_flattened_mut());
        for layer in &self.hidden {
            for h in h.iter_mut() {
                let below = *h;
                layer.apply_lanes(&below, h);
            }
            Act::apply_lanes(h.as_flattened_mut());
        }
    }

    /// The parameters `h` of the elements from `first` (`h.len()` of them, at most [`RUN`]) from
    /// the activations `last` of the last hidden layer, in one kernel call: the columns of the
    /// units the last element of the run reads (the others' weights there are zero), and the
    /// output blocks of more than one element, when they have fewer than [`STACK_BELOW`] rows,
    /// stacked into one matrix, kept in `stacked` for the next call on the same run.
    #[inline]
    pub(super) fn outputs_lanes(
        &self,
        first: usize,
        last: &[Lanes<T>],
        h: &mut [Block<T, P>],
        stacked: &mut Option<Stacked<T, H, P>>,
    ) {
        let units = Self::DEGREES.units_read_by_output((first + h.len()).saturating_sub(1));
        let (Some(blocks), Some(last)) =
            (self.output.get(first..first + h.len()), last.get(..units))
        else {
            return;
        };
        let out = h.as_flattened_mut();
        if blocks.len() == 1 || P >= STACK_BELOW {
            let mut layers: [(&[T], &[T]); RUN] = [(&[], &[]); RUN];
            for (layer, block) in layers.iter_mut().zip(blocks) {
                let weight = block.weight.as_slice();
                *layer = (
                    weight.get(..P * units).unwrap_or(weight),
                    block.bias.as_slice(),
                );
            }
            T::dense_bias_lanes(layers.get(..blocks.len()).unwrap_or_default(), last, out);
            return;
        }
        let rows = P * blocks.len();
        let stacked = stacked.get_or_insert_with(|| Stacked {
            run: None,
            weight: [[[T::zero(); P]; RUN]; H],
            bias: [[T::zero(); P]; RUN],
        });
        let weight = stacked.weight.as_flattened_mut().as_flattened_mut();
        if stacked.run != Some((first, blocks.len())) {
            stacked.run = Some((first, blocks.len()));
            for (j, (block, bias)) in blocks.iter().zip(&mut stacked.bias).enumerate() {
                bias.copy_from_slice(block.bias.as_slice());
                let columns = block.weight.as_slice().chunks_exact(P.max(1)).take(units);
                for (k, column) in columns.enumerate() {
                    if let Some(to) = weight.get_mut(k * rows + j * P..k * rows + j * P + P) {
                        to.copy_from_slice(column);
                    }
                }
            }
        }
        let (Some(weight), Some(bias)) = (
            weight.get(..rows * units),
            stacked.bias.as_flattened().get(..rows),
        ) else {
            return;
        };
        T::dense_bias_lanes(&[(weight, bias)], last, out);
    }

    /// The one-pass evaluation over lane blocks (see
    /// [`one_pass_blocks`](crate::net::AutoregressiveTransform::one_pass_blocks)): the hidden
    /// layers of several blocks at a time (see [`each_block`](Self::each_block)), then for each
    /// block the parameters of up to [`RUN`] elements at a time ([`SHORT_RUN`] when their
    /// blocks are not stacked), handed to `step` with their rows while they are in cache. The
    /// buffers are made once for all the blocks; so are the stacked output blocks when a block
    /// is one run (`D` at most [`RUN`]; otherwise each run restacks its own).
    #[inline]
    pub(super) fn runs_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        step: impl FnMut(usize, &mut [Lanes<T>], &[Block<T, P>]),
    ) {
        // The parameter buffer holds one run: the `D` elements when they are fewer.
        if P >= STACK_BELOW {
            self.runs_of::<SHORT_RUN>(x, contexts, step);
        } else if 0 < D && D < RUN {
            self.runs_of::<D>(x, contexts, step);
        } else {
            self.runs_of::<RUN>(x, contexts, step);
        }
    }

    /// [`runs_blocks`](Self::runs_blocks) by runs of `N` elements.
    #[inline]
    fn runs_of<const N: usize>(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        mut step: impl FnMut(usize, &mut [Lanes<T>], &[Block<T, P>]),
    ) {
        let mut h = [[[T::zero(); LANES]; P]; N];
        let mut stacked = None;
        self.each_block(x, contexts, |b, x, last| {
            for (r, rows) in x.chunks_mut(N).enumerate() {
                let h = &mut h[..rows.len()];
                self.outputs_lanes(r * N, last, h, &mut stacked);
                step(b, rows, h);
            }
        });
    }

    /// The one-pass evaluation over lane blocks with the map `map` (its inverse when `inverse`)
    /// of every element in the fused kernel of the output layer and the map
    /// ([`Kernels::dense_map_lanes`](crate::kernel::Kernels::dense_map_lanes)), each element's
    /// output block read over the units it sees only; the log-derivatives of block `b` are added
    /// into `log_det[b]`. Does nothing to a block where the kernels have no fused kernel.
    #[inline]
    pub(super) fn mapped_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        map: EventMap,
        inverse: bool,
        log_det: &mut [Lanes<T>],
    ) {
        let layers: [(&[T], &[T]); D] = core::array::from_fn(|j| {
            let weight = self.output[j].weight.as_slice();
            (
                weight.get(..Self::OUTPUT_SEEN[j]).unwrap_or(weight),
                self.output[j].bias.as_slice(),
            )
        });
        self.each_batch(x, contexts, |first, x, hidden| {
            if let Some(log_det) = log_det.get_mut(first..first + x.len()) {
                T::dense_map_lanes(
                    &layers,
                    hidden.as_flattened(),
                    x.as_flattened_mut(),
                    map,
                    inverse,
                    log_det,
                );
            }
        });
    }

    /// Calls `each(b, x[b], last)` for every block `b` with the activations `last` of its last
    /// hidden layer (see [`each_batch`](Self::each_batch)).
    #[inline]
    fn each_block(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        mut each: impl FnMut(usize, &mut Block<T, D>, &[Lanes<T>]),
    ) {
        self.each_batch(x, contexts, |first, x, hidden| {
            for (k, (x, last)) in x.iter_mut().zip(hidden).enumerate() {
                each(first + k, x, last);
            }
        });
    }

    /// Calls `each(first, batch, hidden)` for consecutive batches of the blocks of `x` (`first`
    /// the index of the batch's first block) with the activations `hidden` of their last hidden
    /// layer, computed together: as many blocks as [`BATCH_ROWS`] rows of units hold, up to 8
    /// (one when `x` is one block).
    #[inline]
    fn each_batch(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        each: impl FnMut(usize, &mut [Block<T, D>], &[Block<T, H>]),
    ) {
        if x.len() <= 1 || 2 * H > BATCH_ROWS {
            self.batches_by::<1>(x, contexts, each);
        } else if 4 * H > BATCH_ROWS {
            self.batches_by::<2>(x, contexts, each);
        } else if 8 * H > BATCH_ROWS {
            self.batches_by::<4>(x, contexts, each);
        } else {
            self.batches_by::<8>(x, contexts, each);
        }
    }

    /// [`each_batch`](Self::each_batch) by batches of `K` blocks.
    #[inline]
    fn batches_by<const K: usize>(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        mut each: impl FnMut(usize, &mut [Block<T, D>], &[Block<T, H>]),
    ) {
        let mut hidden = [[[T::zero(); LANES]; H]; K];
        let batches = x.chunks_mut(K.max(1)).zip(contexts.chunks(K.max(1)));
        for (c, (x, contexts)) in batches.enumerate() {
            let hidden = &mut hidden[..x.len()];
            self.hidden_blocks(x, contexts, hidden);
            each(c * K, x, hidden);
        }
    }

    /// Every element's parameters over a lane block, into `out` (see
    /// [`eval_lanes`](crate::net::ConditionerTransform::eval_lanes)).
    #[inline]
    pub(super) fn all_lanes(
        &self,
        x: &Block<T, D>,
        contexts: &Block<T, C>,
        out: &mut [Block<T, P>; D],
    ) {
        let mut last = [[[T::zero(); LANES]; H]];
        self.hidden_blocks(
            core::slice::from_ref(x),
            core::slice::from_ref(contexts),
            &mut last,
        );
        let mut stacked = None;
        for (r, h) in out.chunks_mut(RUN).enumerate() {
            self.outputs_lanes(r * RUN, &last[0], h, &mut stacked);
        }
    }
}
