//! [`Made`]'s incremental evaluation, written once for one event (a scalar per hidden unit) and
//! for a lane block of events (a row of [`LANES`](crate::batch::LANES) values per hidden unit).
//!
//! The state holds every hidden layer's pre-activations, or activations once final. Pushing
//! `x_i` adds column `i` of the input weights to the units it feeds (those of degree `> i`); the
//! units of degree `i + 1` then have all their inputs: they are activated, and their columns of
//! the next layer's weights are added to the units above of degree `>= i + 1`, and so on up. The
//! parameters of element `i` read the units of the last layer of degree `<= i`. Over a whole
//! sequential pass every weight the masks allow is read once: about one forward pass in all
//! (torchflows runs `D` full passes).

use super::made_lanes::RUN;
use super::{Activation, Made};
use crate::Real;
use crate::batch::{Block, LANES};
use crate::kernel::Lanes;

/// The values of one quantity (a hidden unit, an input, a parameter) over the events evaluated
/// together: a scalar for one event, a lane row for a lane block.
pub(crate) trait Values<T: Real>: Copy {
    /// The same value for every event.
    fn splat(value: T) -> Self;
    /// `out[r] += Σ_k weight[k · ld + r] · x[k]` for `r < out.len()`: `weight` is column-major
    /// with leading dimension `ld ≥ out.len()` and `x.len()` columns. Does nothing unless
    /// `weight.len() == ld · x.len()`.
    fn dense(weight: &[T], ld: usize, x: &[Self], out: &mut [Self]);
    /// The activation of every value, in place.
    fn activate<Act: Activation>(values: &mut [Self]);
}

impl<T: Real> Values<T> for T {
    #[inline(always)]
    fn splat(value: T) -> Self {
        value
    }
    #[inline(always)]
    fn dense(weight: &[T], ld: usize, x: &[T], out: &mut [T]) {
        if out.len() > ld || weight.len() != ld * x.len() || ld == 0 {
            return;
        }
        for (column, &x) in weight.chunks_exact(ld).zip(x) {
            for (o, &w) in out.iter_mut().zip(column) {
                *o += w * x;
            }
        }
    }
    #[inline(always)]
    fn activate<Act: Activation>(values: &mut [T]) {
        for v in values {
            *v = Act::apply(*v);
        }
    }
}

/// A lane block: the [`Kernels`](crate::kernel::Kernels) lane functions.
impl<T: Real> Values<T> for Lanes<T> {
    #[inline(always)]
    fn splat(value: T) -> Self {
        [value; crate::batch::LANES]
    }
    /// Skips the kernel call when there is nothing to add (most steps of a narrow MADE).
    #[inline(always)]
    fn dense(weight: &[T], ld: usize, x: &[Self], out: &mut [Self]) {
        if !out.is_empty() && !x.is_empty() {
            T::dense_lanes(weight, ld, x, out);
        }
    }
    #[inline(always)]
    fn activate<Act: Activation>(values: &mut [Self]) {
        Act::apply_lanes(values);
    }
}

/// The state of [`Made`]'s incremental evaluation over one event (`U = T`) or a lane block
/// (`U = Lanes<T>`): for each hidden layer, the activations of the units whose inputs are all
/// known and the partial pre-activations of the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MadeState<U, const H: usize, const M: usize> {
    first: [U; H],
    deeper: [[U; H]; M],
}

impl<U, const H: usize, const M: usize> MadeState<U, H, M> {
    /// The last hidden layer.
    #[inline]
    pub(super) fn last(&self) -> &[U; H] {
        self.deeper.last().unwrap_or(&self.first)
    }
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
    /// The state before any element is known, at the context `context` (`C` values): the
    /// biases and the context's contributions, with the units that see only the context final.
    #[inline]
    pub(super) fn start_values<U: Values<T>>(&self, context: &[U]) -> MadeState<U, H, M> {
        let () = Self::WIDE_ENOUGH;
        let mut first = core::array::from_fn(|k| U::splat(self.input.bias[k]));
        U::dense(self.input.context_weight.as_slice(), H, context, &mut first);
        let mut state = MadeState {
            first,
            deeper: core::array::from_fn(|l| {
                core::array::from_fn(|k| {
                    U::splat(self.hidden.get(l).map_or(T::zero(), |d| d.bias[k]))
                })
            }),
        };
        self.finalize(&mut state, 0);
        state
    }

    /// The parameters of element `i` from the activations `last` of the last hidden layer (only
    /// the units it may see are read).
    #[inline]
    pub(super) fn output_values<U: Values<T>>(&self, i: usize, last: &[U]) -> [U; P] {
        let Some(block) = self.output.get(i) else {
            return [U::splat(T::zero()); P];
        };
        let end = Self::DEGREES.units_read_by_output(i);
        let mut out = core::array::from_fn(|p| U::splat(block.bias[p]));
        if let (Some(weight), Some(last)) =
            (block.weight.as_slice().get(..P * end), last.get(..end))
        {
            U::dense(weight, P, last, &mut out);
        }
        out
    }

    /// The end of the run of elements from `first` whose parameters read the same hidden units,
    /// and so are all known once `x_<first` is (pushing one of them feeds only units the others
    /// do not read): up to the first element that reads more, at most [`RUN`] elements.
    #[inline]
    fn run_end(first: usize) -> usize {
        let last = D.min(first + RUN);
        let units = Self::DEGREES.units_read_by_output(first);
        (first + 1..last)
            .find(|&j| Self::DEGREES.units_read_by_output(j) != units)
            .unwrap_or(last)
    }

    /// The sequential evaluation over a lane block (see
    /// [`sequential_lanes`](crate::net::AutoregressiveTransform::sequential_lanes)), by runs of
    /// elements whose parameters are known at once: in a narrow network (`H < D`) every element
    /// after the highest hidden degree reads the same units, so its elements go to `step`
    /// [`RUN`] at a time.
    #[inline]
    pub(super) fn solve_lanes(
        &self,
        x: &mut Block<T, D>,
        contexts: &Block<T, C>,
        mut step: impl FnMut(&mut [Lanes<T>], &[Block<T, P>]),
    ) {
        let mut state = self.start_values(contexts);
        let mut h = [[[T::zero(); LANES]; P]; RUN];
        let mut stacked = None;
        let mut first = 0;
        while first < D {
            let end = Self::run_end(first);
            let (Some(rows), Some(h)) = (x.get_mut(first..end), h.get_mut(..end - first)) else {
                return;
            };
            self.outputs_lanes(first, state.last(), h, &mut stacked);
            step(rows, h);
            for (i, &row) in (first..end).zip(rows.iter()) {
                if i + 1 < D {
                    self.push_values(&mut state, i, row);
                }
            }
            first = end;
        }
    }

    /// Records `x_i = value`: adds it to the units of the first layer it feeds, then finalizes
    /// the units of degree `i + 1`.
    #[inline]
    pub(super) fn push_values<U: Values<T>>(
        &self,
        state: &mut MadeState<U, H, M>,
        i: usize,
        value: U,
    ) {
        let from = Self::DEGREES.units_fed_by_input(i);
        let column = self.input.weight.as_slice().get(i * H + from..(i + 1) * H);
        if let (Some(column), Some(units)) = (column, state.first.get_mut(from..)) {
            U::dense(column, H - from, core::slice::from_ref(&value), units);
        }
        self.finalize(state, i + 1);
    }

    /// Marks the units of degree `degree` final in every hidden layer: applies the activation to
    /// them, and adds their contributions to the units above that see them (degree `>= degree`).
    #[inline]
    fn finalize<U: Values<T>>(&self, state: &mut MadeState<U, H, M>, degree: usize) {
        let degrees = Self::DEGREES;
        let (lo, hi) = (degrees.first_unit(degree), degrees.first_unit(degree + 1));
        if lo >= hi {
            return;
        }
        let MadeState { first, deeper } = state;
        let activate = |layer: &mut [U; H]| {
            if let Some(units) = layer.get_mut(lo..hi) {
                U::activate::<Act>(units);
            }
        };
        activate(first);
        let mut below: &[U; H] = first;
        for (layer, current) in self.hidden.iter().zip(deeper.iter_mut()) {
            let columns = layer.weight.as_slice().chunks_exact(H.max(1)).zip(below);
            for (column, unit) in columns.take(hi).skip(lo) {
                if let (Some(column), Some(units)) = (column.get(lo..), current.get_mut(lo..)) {
                    U::dense(column, H - lo, core::slice::from_ref(unit), units);
                }
            }
            activate(current);
            below = current;
        }
    }
}
