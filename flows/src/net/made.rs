//! The masked autoencoder for distribution estimation (MADE, Germain et al. 2015).

use core::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::made_incremental::MadeState;
use super::{Activation, AutoregressiveTransform, ConditionerTransform, Dense, InputDense, Tanh};
use crate::batch::Block;
use crate::conditioner::made::{Degrees, min_width};
use crate::kernel::Lanes;
use crate::transformer::Transformer;
use crate::{Parameters, Path, Random, Real};

/// A masked feed-forward network from `D` inputs and `C` context values to `P` parameters for
/// each of the `D` elements, where the parameters of element `i` depend only on `x_<i` and the
/// context: an input layer to `H` units, `M` more hidden layers of width `H` (`M + 1` hidden
/// layers in all, torchflows' `MADE(n_layers = M + 2)`), each followed by the activation `Act`
/// (tanh by default), and a linear output that starts at zero.
///
/// The masks follow the [degrees](crate::conditioner::made): the context reaches every hidden
/// unit, and so every element's parameters (unlike torchflows' MADE, which ignores the context).
/// They are not stored: weights visited as parameters are the full matrices (torchflows' layout,
/// split into one output block per element), and masked entries are kept at exactly zero (after
/// every [`visit_mut`](Parameters::visit_mut) too); evaluation never reads them.
///
/// **Width rule**: `H >= D - 1` without context, `H >= D` with one
/// ([`min_width`](crate::conditioner::made::min_width)), else some inputs condition nothing; a
/// narrower width fails to compile (a post-monomorphization error, on `cargo build`) unless
/// `NARROW = true`.
///
/// ```compile_fail
/// use flows::net::{Made, Tanh};
/// use flows::nalgebra::SVector;
/// use flows::net::ConditionerTransform;
///
/// // torchflows' default width at D = 10: x_5..x_10 would condition nothing.
/// let made = Made::<f64, 10, 0, 4, 0, 2>::zeros();
/// let _ = made.eval(&SVector::zeros(), &SVector::zeros());
/// ```
///
/// ```
/// use flows::net::{ConditionerTransform, Made, Tanh};
/// use flows::nalgebra::SVector;
///
/// let narrow = Made::<f64, 10, 0, 4, 0, 2, Tanh, true>::zeros(); // explicit opt-in
/// let wide = Made::<f64, 10, 2, 10, 0, 2>::zeros(); // H >= D with a context
/// let h = wide.eval(&SVector::zeros(), &SVector::zeros());
/// assert_eq!(h, narrow.eval(&SVector::zeros(), &SVector::zeros()));
/// ```
///
/// Besides the one-pass evaluation it is an [`AutoregressiveTransform`]: the sequential direction
/// keeps every hidden layer's pre-activations and adds to them as each `x_i` becomes known (one
/// column of the input weights per step, and in deeper layers only the columns of the units
/// that have just become final), then evaluates only the `P` output rows of element `i`. The
/// whole sequential pass costs about one full pass, for one event and, through the lane-block
/// kernels, for a lane block of events
/// ([`sequential_lanes`](AutoregressiveTransform::sequential_lanes)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Made<
    T: Real,
    const D: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const P: usize,
    Act = Tanh,
    const NARROW: bool = false,
> {
    pub(super) input: InputDense<T, H, D, C>,
    pub(super) hidden: [Dense<T, H, H>; M],
    pub(super) output: [Dense<T, P, H>; D],
    activation: PhantomData<Act>,
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
    /// The hidden degrees.
    pub const DEGREES: Degrees = Degrees::new(D, C, H);

    /// The first hidden unit that each input feeds: column `j` of the input weights is zero
    /// above it.
    pub(super) const INPUT_STARTS: [usize; D] = {
        let mut starts = [0; D];
        let mut j = 0;
        while j < D {
            starts[j] = Self::DEGREES.units_fed_by_input(j);
            j += 1;
        }
        starts
    };

    /// How many weights of each output block count: `P` for each unit of the last hidden layer
    /// that the element's parameters see (the first ones of the block, column-major).
    pub(super) const OUTPUT_SEEN: [usize; D] = {
        let mut seen = [0; D];
        let mut i = 0;
        while i < D {
            seen[i] = P * Self::DEGREES.units_read_by_output(i);
            i += 1;
        }
        seen
    };

    /// The first unit above that each hidden unit feeds (the first of its degree): column `k`
    /// of a hidden layer's weights is zero above it.
    pub(super) const HIDDEN_STARTS: [usize; H] = {
        let mut starts = [0; H];
        let mut k = 0;
        while k < H {
            starts[k] = Self::DEGREES.first_unit(Self::DEGREES.degree(k));
            k += 1;
        }
        starts
    };

    pub(super) const WIDE_ENOUGH: () = assert!(
        NARROW || H >= min_width(D, C),
        "MADE hidden width H must be at least D - 1 (D with a context), or some inputs condition \
         nothing; widen it, or opt in with NARROW = true"
    );

    /// The network with every weight and bias zero (every element's parameters are zero).
    pub fn zeros() -> Self {
        let () = Self::WIDE_ENOUGH;
        Self {
            input: InputDense::zeros(),
            hidden: [Dense::zeros(); M],
            output: [Dense::zeros(); D],
            activation: PhantomData,
        }
    }

    /// The network with the given layers; masked weights are set to zero.
    pub fn from_layers(
        input: InputDense<T, H, D, C>,
        hidden: [Dense<T, H, H>; M],
        output: [Dense<T, P, H>; D],
    ) -> Self {
        let () = Self::WIDE_ENOUGH;
        let mut made = Self {
            input,
            hidden,
            output,
            activation: PhantomData,
        };
        made.zero_masked();
        made
    }

    /// The input layer: `weight` (`H x D`, entry `(k, j)` zero unless unit `k` sees `x_j`),
    /// `context_weight` (`H x C`, unmasked) and `bias`.
    pub fn input(&self) -> &InputDense<T, H, D, C> {
        &self.input
    }

    /// The hidden-to-hidden layers (entry `(k, l)` zero unless unit `k` sees unit `l` below).
    pub fn hidden(&self) -> &[Dense<T, H, H>; M] {
        &self.hidden
    }

    /// The output blocks: block `i` (`P x H`) gives the parameters of element `i`; its columns
    /// of the units it may not see are zero.
    pub fn output(&self) -> &[Dense<T, P, H>; D] {
        &self.output
    }

    /// Sets every masked weight to zero.
    fn zero_masked(&mut self) {
        let degrees = Self::DEGREES;
        for (j, column) in self
            .input
            .weight
            .as_mut_slice()
            .chunks_exact_mut(H.max(1))
            .enumerate()
        {
            let end = degrees.units_fed_by_input(j);
            column.iter_mut().take(end).for_each(|w| *w = T::zero());
        }
        for layer in &mut self.hidden {
            for (k, column) in layer
                .weight
                .as_mut_slice()
                .chunks_exact_mut(H.max(1))
                .enumerate()
            {
                let end = degrees.first_unit(degrees.degree(k));
                column.iter_mut().take(end).for_each(|w| *w = T::zero());
            }
        }
        for (i, block) in self.output.iter_mut().enumerate() {
            let start = degrees.units_read_by_output(i) * P;
            let weights = block.weight.as_mut_slice();
            weights.iter_mut().skip(start).for_each(|w| *w = T::zero());
        }
    }

    /// The parameters of element `i` from the activations `last` of the last hidden layer (only
    /// the units it may see are read).
    #[inline]
    pub(super) fn output_at(&self, i: usize, last: &SVector<T, H>) -> SVector<T, P> {
        SVector::from(self.output_values(i, last.as_slice()))
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
> AutoregressiveTransform<T, D, C, P> for Made<T, D, C, H, M, P, Act, NARROW>
{
    type State = MadeState<T, H, M>;

    #[inline]
    fn start(&self, context: &SVector<T, C>) -> Self::State {
        self.start_values(context.as_slice())
    }

    #[inline]
    fn element(&self, state: &Self::State, i: usize) -> SVector<T, P> {
        SVector::from(self.output_values(i, state.last()))
    }

    #[inline]
    fn push(&self, state: &mut Self::State, i: usize, value: T) {
        self.push_values(state, i, value);
    }

    /// The hidden layers over the lane block, then the parameters of up to sixteen elements at
    /// a time, each run's output blocks stacked into one kernel call (the masks' zero blocks
    /// skipped).
    #[inline]
    fn one_pass_lanes(
        &self,
        x: &mut Block<T, D>,
        contexts: &Block<T, C>,
        mut step: impl FnMut(&mut [Lanes<T>], &[Block<T, P>]),
    ) {
        self.runs_blocks(
            core::slice::from_mut(x),
            core::slice::from_ref(contexts),
            |_, rows, h| step(rows, h),
        );
    }

    /// [`one_pass_lanes`](AutoregressiveTransform::one_pass_lanes)'s evaluation over every
    /// block, its buffers and stacked output blocks made once for all.
    #[inline]
    fn one_pass_blocks(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        step: impl FnMut(usize, &mut [Lanes<T>], &[Block<T, P>]),
    ) {
        self.runs_blocks(x, contexts, step);
    }

    /// The fused kernel of the output layer and the map
    /// ([`Kernels::dense_map_lanes`](crate::kernel::Kernels::dense_map_lanes)) when the kernels
    /// are vector code and have one for the transformer; otherwise the runs of
    /// [`one_pass_blocks`](AutoregressiveTransform::one_pass_blocks), each mapped by the
    /// transformer's lane kernel.
    #[inline]
    fn one_pass_map_blocks<Tr: Transformer<T, P>>(
        &self,
        x: &mut [Block<T, D>],
        contexts: &[Block<T, C>],
        transformer: &Tr,
        log_det: &mut [Lanes<T>],
    ) {
        match transformer.event_map(false) {
            Some((map, inverse)) if T::VECTORIZED && map.parameters() == P => {
                self.mapped_blocks(x, contexts, map, inverse, log_det);
            }
            _ => self.runs_blocks(x, contexts, |b, rows, h| {
                if let Some(log_det) = log_det.get_mut(b) {
                    transformer.forward_lanes(rows, h, log_det);
                }
            }),
        }
    }

    /// The same incremental evaluation over lane rows, through the lane-block kernels, handing
    /// over together the elements whose parameters are known at once.
    #[inline]
    fn sequential_lanes(
        &self,
        x: &mut Block<T, D>,
        contexts: &Block<T, C>,
        step: impl FnMut(&mut [Lanes<T>], &[Block<T, P>]),
    ) {
        self.solve_lanes(x, contexts, step);
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
> ConditionerTransform<T, D, C, P, D> for Made<T, D, C, H, M, P, Act, NARROW>
{
    #[inline]
    fn eval(&self, x: &SVector<T, D>, context: &SVector<T, C>) -> SMatrix<T, P, D> {
        let mut state = self.start(context);
        for (i, &value) in x.iter().enumerate() {
            self.push(&mut state, i, value);
        }
        let mut out = SMatrix::<T, P, D>::zeros();
        for (i, column) in out.column_iter_mut().enumerate() {
            let h = self.element(&state, i);
            column.into_iter().zip(h.iter()).for_each(|(o, v)| *o = *v);
        }
        out
    }

    /// The network over a lane block, reading only the weights the masks leave non-zero (but
    /// whole blocks of them: an infinite input can make the parameters of a few elements
    /// before those it conditions NaN, where [`eval`](ConditionerTransform::eval) keeps it out
    /// of them).
    #[inline]
    fn eval_lanes(&self, x: &Block<T, D>, contexts: &Block<T, C>, out: &mut [Block<T, P>; D]) {
        self.all_lanes(x, contexts, out);
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
> Random for Made<T, D, C, H, M, P, Act, NARROW>
{
    /// Input and hidden layers uniform on `±1/sqrt(fan_in)` (PyTorch's default), then masked;
    /// the output layer zero.
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::from_layers(
            InputDense::random(rng),
            Random::random(rng),
            [Dense::zeros(); D],
        )
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
> Parameters<T> for Made<T, D, C, H, M, P, Act, NARROW>
{
    const COUNT: usize = <InputDense<T, H, D, C> as Parameters<T>>::COUNT
        + <[Dense<T, H, H>; M] as Parameters<T>>::COUNT
        + <[Dense<T, P, H>; D] as Parameters<T>>::COUNT;

    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        self.input.visit(&path.name("input"), f);
        self.hidden.visit(&path.name("hidden"), f);
        self.output.visit(&path.name("output"), f);
    }

    /// Visits every weight matrix in full, then sets the masked entries back to zero.
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        self.input.visit_mut(&path.name("input"), f);
        self.hidden.visit_mut(&path.name("hidden"), f);
        self.output.visit_mut(&path.name("output"), f);
        self.zero_masked();
    }
}
