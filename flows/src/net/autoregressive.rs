//! Autoregressive conditioner transforms, evaluated one element at a time.

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::ConditionerTransform;
use crate::batch::{Block, LANES};
use crate::gradient::ConditionerGradient;
use crate::kernel::Lanes;
use crate::transformer::Transformer;
use crate::{Parameters, Path, Random, Real};

/// A conditioner transform from a `D`-vector (and the context) to `P` parameters for each of its
/// own `D` elements, where the parameters of element `i` depend only on `x_<i` and the context.
///
/// Besides the one-pass [`eval`](ConditionerTransform::eval) it offers an incremental evaluation
/// for the sequential direction of a [`MaskedAutoregressive`](crate::layer::MaskedAutoregressive)
/// layer, where `x_i` becomes known only after the parameters of element `i` have been used:
///
/// ```text
/// state = start(context)
/// for i in 0..D:
///     h_i = element(state, i)     // depends on x_<i pushed so far
///     x_i = ... h_i ...
///     push(state, i, x_i)
/// ```
///
/// An implementation must give `element(state, i) == eval(x, context).column(i)` once
/// `x_0..x_{i-1}` have been pushed in order.
pub trait AutoregressiveTransform<T: Real, const D: usize, const C: usize, const P: usize>:
    ConditionerTransform<T, D, C, P, D>
{
    /// What the network keeps between steps (on the stack).
    type State;

    /// The state before any element is known.
    fn start(&self, context: &SVector<T, C>) -> Self::State;

    /// The parameters of element `i`, given that `x_0..x_{i-1}` have been pushed.
    fn element(&self, state: &Self::State, i: usize) -> SVector<T, P>;

    /// Records `x_i = value` (elements are pushed in order `0, 1, ...`).
    fn push(&self, state: &mut Self::State, i: usize, value: T);

    /// The one-pass evaluation over a lane block of events with contexts `contexts`, by runs:
    /// for consecutive runs of elements `i..j` covering `0..D`, calls `step(&mut x[i..j], h)`
    /// with their parameters (`h[k][p][l]`: parameter `p` of element `i + k` of event `l`), which
    /// depend on the rows of `x` as they were on entry; `step` may replace the rows it is given.
    ///
    /// Networks with lane-block kernels override this to hand over each run's parameters while
    /// they are in cache; the default computes every element's parameters with
    /// [`eval_lanes`](ConditionerTransform::eval_lanes) and hands them over as one run.
    #[inline]
    fn one_pass_lanes(
        &self,
        x: &mut Block<T, D>,
        contexts: &Block<T, C>,
        mut step: impl FnMut(&mut [Lanes<T>], &[Block<T, P>]),
    ) {
        let mut h = [[[T::zero(); LANES]; P]; D];
        self.eval_lanes(x, contexts, &mut h);
        step(x, &h);
    }

    /// [`one_pass_lanes`](AutoregressiveTransform::one_pass_lanes) over several lane blocks,
    /// `step(b, rows, h)` getting the runs of block `b` (`x[b]`, with contexts `contexts[b]`).
    /// Networks override this to share work between the blocks; the default takes them one at a
    /// time.
    #[inline]
    fn one_pass_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        mut step: impl FnMut(usize, &mut [Lanes<T>], &[Block<T, P>]),
    ) {
        for (b, (x, contexts)) in x.iter_mut().zip(contexts).enumerate() {
            self.one_pass_lanes(x, contexts, |rows, h| step(b, rows, h));
        }
    }

    /// [`one_pass_blocks`](AutoregressiveTransform::one_pass_blocks) with every run mapped
    /// forward by `transformer`, the log-derivatives of block `b` added into `log_det[b]`: the
    /// one-pass direction of a masked autoregressive layer. Networks with a kernel that computes
    /// each element's parameters and maps the element at once override this; the default maps
    /// the runs that `one_pass_blocks` hands over.
    #[inline]
    fn one_pass_map_blocks<Tr: Transformer<T, P>>(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        transformer: &Tr,
        log_det: &mut [Lanes<T>],
    ) {
        self.one_pass_blocks(x, contexts, |b, rows, h| {
            if let Some(log_det) = log_det.get_mut(b) {
                transformer.forward_lanes(rows, h, log_det);
            }
        });
    }

    /// The sequential evaluation over a lane block of events with contexts `contexts`, solving
    /// the rows of `x` in order: for consecutive runs of elements `i..j` covering `0..D`, calls
    /// `step(&mut x[i..j], h)` with their parameters (`h[k][p][l]`: parameter `p` of element
    /// `i + k` of event `l`), which depend only on the rows before `i` as `step` left them;
    /// `step` replaces the rows by the solved elements.
    ///
    /// Networks with lane-block kernels override this and hand over together the elements whose
    /// parameters become known at the same step; the default runs one element at a time over
    /// the incremental evaluation of one event at a time (one state per lane).
    #[inline]
    fn sequential_lanes(
        &self,
        x: &mut Block<T, D>,
        contexts: &Block<T, C>,
        mut step: impl FnMut(&mut [Lanes<T>], &[Block<T, P>]),
    ) {
        let mut states: [Self::State; LANES] =
            core::array::from_fn(|l| self.start(&SVector::from_fn(|k, _| contexts[k][l])));
        for (i, row) in x.iter_mut().enumerate() {
            let mut h = [[T::zero(); LANES]; P];
            for (l, state) in states.iter().enumerate() {
                for (row, v) in h.iter_mut().zip(self.element(state, i).iter()) {
                    row[l] = *v;
                }
            }
            step(core::slice::from_mut(row), core::slice::from_ref(&h));
            if i + 1 < D {
                for (state, &value) in states.iter_mut().zip(row.iter()) {
                    self.push(state, i, value);
                }
            }
        }
    }
}

/// One step of [`AutoregressiveGradient::backward_sequential`]: given the element `i`, its
/// parameters `h_i` and the gradient of `x_i` through the later elements, returns the gradient of
/// `h_i`.
pub type SequentialStep<'a, T, const P: usize> =
    dyn FnMut(usize, &SVector<T, P>, T) -> SVector<T, P> + 'a;

/// An [`AutoregressiveTransform`] with the reverse mode of its sequential evaluation.
pub trait AutoregressiveGradient<T: Real, const D: usize, const C: usize, const P: usize>:
    AutoregressiveTransform<T, D, C, P> + ConditionerGradient<T, D, C, P, D>
{
    /// Reverse mode through the sequential evaluation that ended at `x` (every element known).
    ///
    /// For `i = D − 1` down to 0 it calls `step(i, h_i, d_x_i)` with the parameters `h_i` of
    /// element `i` and `d_x_i`, the loss gradient with respect to `x_i` through the parameters of
    /// the later elements (complete by then); `step` returns the loss gradient with respect to
    /// `h_i`. Adds the parameter gradient into `grad` and returns the context gradient.
    fn backward_sequential(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        step: &mut SequentialStep<'_, T, P>,
        grad: &mut Self,
    ) -> SVector<T, C>;
}

/// Any autoregressive network, evaluated in full at each step: the incremental evaluation of
/// torchflows (`D` full passes in the sequential direction). A reference for tests and
/// benchmarks, and the way to use a network that has no incremental evaluation of its own (its
/// output column `i` must depend only on `x_<i`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FullPass<Net>(pub Net);

/// The state of [`FullPass`]: the inputs known so far (zero beyond) and the context.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FullPassState<T: Real, const D: usize, const C: usize> {
    x: SVector<T, D>,
    context: SVector<T, C>,
}

impl<T: Real, const I: usize, const C: usize, const P: usize, const B: usize, Net>
    ConditionerTransform<T, I, C, P, B> for FullPass<Net>
where
    Net: ConditionerTransform<T, I, C, P, B>,
{
    #[inline]
    fn eval(&self, x: &SVector<T, I>, context: &SVector<T, C>) -> SMatrix<T, P, B> {
        self.0.eval(x, context)
    }
}

impl<T: Real, const D: usize, const C: usize, const P: usize, Net>
    AutoregressiveTransform<T, D, C, P> for FullPass<Net>
where
    Net: ConditionerTransform<T, D, C, P, D>,
{
    type State = FullPassState<T, D, C>;

    fn start(&self, context: &SVector<T, C>) -> Self::State {
        FullPassState {
            x: SVector::zeros(),
            context: *context,
        }
    }

    fn element(&self, state: &Self::State, i: usize) -> SVector<T, P> {
        let h = self.0.eval(&state.x, &state.context);
        h.fixed_columns::<1>(i.min(D.saturating_sub(1)))
            .into_owned()
    }

    fn push(&self, state: &mut Self::State, i: usize, value: T) {
        if let Some(x) = state.x.get_mut(i) {
            *x = value;
        }
    }
}

impl<T: Real, const I: usize, const C: usize, const P: usize, const B: usize, Net>
    ConditionerGradient<T, I, C, P, B> for FullPass<Net>
where
    Net: ConditionerGradient<T, I, C, P, B>,
{
    fn backward(
        &self,
        x: &SVector<T, I>,
        context: &SVector<T, C>,
        d_out: &SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, I>, SVector<T, C>) {
        self.0.backward(x, context, d_out, &mut grad.0)
    }
}

/// One full backward pass per element (`D` in all).
impl<T: Real, const D: usize, const C: usize, const P: usize, Net>
    AutoregressiveGradient<T, D, C, P> for FullPass<Net>
where
    Net: ConditionerGradient<T, D, C, P, D>,
{
    fn backward_sequential(
        &self,
        x: &SVector<T, D>,
        context: &SVector<T, C>,
        step: &mut SequentialStep<'_, T, P>,
        grad: &mut Self,
    ) -> SVector<T, C> {
        let h = self.0.eval(x, context);
        let mut d_x = SVector::<T, D>::zeros();
        let mut d_context = SVector::<T, C>::zeros();
        for (i, column) in h.column_iter().enumerate().rev() {
            let d_h = step(
                i,
                &column.into_owned(),
                d_x.get(i).copied().unwrap_or_default(),
            );
            let mut d_out = SMatrix::<T, P, D>::zeros();
            d_out.set_column(i, &d_h);
            let (dx, dc) = self.0.backward(x, context, &d_out, &mut grad.0);
            d_x += dx;
            d_context += dc;
        }
        d_context
    }
}

impl<T: Real, Net: Parameters<T>> Parameters<T> for FullPass<Net> {
    const COUNT: usize = Net::COUNT;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.0.visit(path, f);
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.0.visit_mut(path, f);
    }
}

impl<Net: Random> Random for FullPass<Net> {
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self(Net::random(rng))
    }
}
