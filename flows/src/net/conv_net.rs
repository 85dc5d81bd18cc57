//! The convolutional conditioner transform of image couplings.

use core::marker::PhantomData;

use nalgebra::{SMatrix, SVector};
use rand::Rng;

use super::{Activation, ConditionerTransform, Conv3x3, Relu};
use crate::gradient::ConditionerGradient;
use crate::layer::MaskType;
use crate::{Random, Real, impl_parameters};

/// A convolutional network from the source part of an image to the transformer's parameters of
/// every target element, for the image mask `M` on images `W` pixels wide and `N` pixels per
/// channel (`N / W` rows).
///
/// The source elements are drawn on a `CI`-channel input image where the mask puts them (the
/// whole image with the target pixels zeroed for a checkerboard; the source channels for a
/// channel split); then a 3x3 convolution to `F` hidden channels (plus a context term, the same
/// at every pixel), `L` more 3x3 convolutions of `F` channels, each followed by the activation
/// `Act` (ReLU by default, as torchflows' convolutional conditioners), and a 3x3 convolution to
/// `CO = P · (target channels)` output channels. Target element `j` reads its `P` parameters
/// from the output channels of its channel at its pixel. Static shapes throughout, zero padding,
/// no allocation. The output convolution starts at zero, so the coupling starts at the
/// transformer's zero parameters.
///
/// With a [`bound`](Self::bound) `b` every output is `b·tanh(u / 2)` (torchflows'
/// `sigmoid(u)·2b − b`, its convolutional conditioners use `b = 2`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvNet<
    T: Real,
    M,
    const CI: usize,
    const F: usize,
    const L: usize,
    const CO: usize,
    const W: usize,
    const N: usize,
    const X: usize,
    Act = Relu,
> {
    /// The input convolution.
    pub input: Conv3x3<T, F, CI>,
    /// The weights of the context in the first hidden layer.
    pub context: SMatrix<T, F, X>,
    /// The hidden convolutions.
    pub hidden: [Conv3x3<T, F, F>; L],
    /// The output convolution.
    pub output: Conv3x3<T, CO, F>,
    /// The bound `b` of the outputs, if any (not a trained parameter).
    pub bound: Option<T>,
    marker: PhantomData<(M, Act)>,
}

/// A hidden layer's pre-activation and activation.
type Hidden<T, const F: usize, const N: usize> = (SMatrix<T, F, N>, SMatrix<T, F, N>);

impl<
    T: Real,
    M: MaskType,
    const CI: usize,
    const F: usize,
    const L: usize,
    const CO: usize,
    const W: usize,
    const N: usize,
    const X: usize,
    Act: Activation,
> ConvNet<T, M, CI, F, L, CO, W, N, X, Act>
{
    /// The same network with its outputs bounded to `(−b, b)`.
    pub fn with_bound(mut self, b: T) -> Self {
        self.bound = Some(b);
        self
    }

    /// Checks the sizes against the mask (post-monomorphization; `flow!` and the presets compute
    /// them, so this is a backstop).
    const fn check<const A: usize, const P: usize, const B: usize>() {
        assert!(
            W > 0 && N.is_multiple_of(W),
            "ConvNet: N must be a multiple of the width W"
        );
        assert!(
            CI == M::MASK.canvas_channels(A, N),
            "ConvNet: the input channels do not match the mask's source part"
        );
        assert!(
            CO == P * M::MASK.target_channels(B, N),
            "ConvNet: the output channels must be P times the target channels"
        );
    }

    /// The input image of the source elements `x`.
    #[inline]
    fn canvas<const A: usize>(x: &SVector<T, A>) -> SMatrix<T, CI, N> {
        let mut canvas = SMatrix::<T, CI, N>::zeros();
        for (i, v) in x.iter().enumerate() {
            let (c, p) = M::MASK.canvas(i, N / W, W);
            canvas[(c, p)] = *v;
        }
        canvas
    }

    /// The first hidden layer's pre-activation.
    #[inline]
    fn first(&self, canvas: &SMatrix<T, CI, N>, context: &SVector<T, X>) -> SMatrix<T, F, N> {
        let mut pre = self.input.apply(canvas, W);
        let shift = self.context * context;
        for mut column in pre.column_iter_mut() {
            column += &shift;
        }
        pre
    }

    /// `(pre-activation, activation)`.
    #[inline]
    fn activate(pre: SMatrix<T, F, N>) -> Hidden<T, F, N> {
        (pre, pre.map(Act::apply))
    }

    /// The output's value and derivative with respect to the raw output `u`.
    #[inline]
    fn bounded(&self, u: T) -> (T, T) {
        match self.bound {
            Some(b) => {
                let t = (u / T::lit(2.0)).tanh();
                (b * t, b / T::lit(2.0) * (T::one() - t * t))
            }
            None => (u, T::one()),
        }
    }
}

impl<
    T,
    M,
    const CI: usize,
    const F: usize,
    const L: usize,
    const CO: usize,
    const W: usize,
    const N: usize,
    const X: usize,
    Act,
    const A: usize,
    const P: usize,
    const B: usize,
> ConditionerTransform<T, A, X, P, B> for ConvNet<T, M, CI, F, L, CO, W, N, X, Act>
where
    T: Real,
    M: MaskType,
    Act: Activation,
{
    #[inline]
    fn eval(&self, x: &SVector<T, A>, context: &SVector<T, X>) -> SMatrix<T, P, B> {
        const { Self::check::<A, P, B>() };
        let mut h = self.first(&Self::canvas(x), context).map(Act::apply);
        for layer in &self.hidden {
            h = layer.apply(&h, W).map(Act::apply);
        }
        let raw = self.output.apply(&h, W);
        SMatrix::from_fn(|q, j| {
            let (c, p) = M::MASK.output(j, N / W, W);
            self.bounded(raw[(c * P + q, p)]).0
        })
    }
}

impl<
    T,
    M,
    const CI: usize,
    const F: usize,
    const L: usize,
    const CO: usize,
    const W: usize,
    const N: usize,
    const X: usize,
    Act,
    const A: usize,
    const P: usize,
    const B: usize,
> ConditionerGradient<T, A, X, P, B> for ConvNet<T, M, CI, F, L, CO, W, N, X, Act>
where
    T: Real,
    M: MaskType,
    Act: Activation,
{
    fn backward(
        &self,
        x: &SVector<T, A>,
        context: &SVector<T, X>,
        d_out: &SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, A>, SVector<T, X>) {
        self.eval_with_gradient(x, context, &mut |_| *d_out, grad)
    }

    /// Keeps every hidden layer's pre-activation and activation on the stack between the passes.
    fn eval_with_gradient(
        &self,
        x: &SVector<T, A>,
        context: &SVector<T, X>,
        upstream: &mut dyn FnMut(&SMatrix<T, P, B>) -> SMatrix<T, P, B>,
        grad: &mut Self,
    ) -> (SVector<T, A>, SVector<T, X>) {
        const { Self::check::<A, P, B>() };
        let canvas = Self::canvas(x);
        let first = Self::activate(self.first(&canvas, context));
        let mut layers = [first; L];
        let mut h = first.1;
        for (layer, slot) in self.hidden.iter().zip(layers.iter_mut()) {
            *slot = Self::activate(layer.apply(&h, W));
            h = slot.1;
        }
        let raw = self.output.apply(&h, W);
        let out = SMatrix::<T, P, B>::from_fn(|q, j| {
            let (c, p) = M::MASK.output(j, N / W, W);
            self.bounded(raw[(c * P + q, p)]).0
        });
        let d_out = upstream(&out);
        let mut d_raw = SMatrix::<T, CO, N>::zeros();
        for j in 0..B {
            let (c, p) = M::MASK.output(j, N / W, W);
            for q in 0..P {
                d_raw[(c * P + q, p)] = d_out[(q, j)] * self.bounded(raw[(c * P + q, p)]).1;
            }
        }
        let mut d_h = self.output.backward(&h, &d_raw, W, &mut grad.output);
        for k in (0..L).rev() {
            let d_pre = layers[k]
                .0
                .zip_map(&layers[k].1, |pre, post| Act::derivative(pre, post))
                .component_mul(&d_h);
            let below = if k == 0 { &first.1 } else { &layers[k - 1].1 };
            d_h = self.hidden[k].backward(below, &d_pre, W, &mut grad.hidden[k]);
        }
        let d_pre = first
            .0
            .zip_map(&first.1, |pre, post| Act::derivative(pre, post))
            .component_mul(&d_h);
        let d_canvas = self.input.backward(&canvas, &d_pre, W, &mut grad.input);
        let d_shift = d_pre.column_sum();
        grad.context.ger(T::one(), &d_shift, context, T::one());
        let d_x = SVector::<T, A>::from_fn(|i, _| {
            let (c, p) = M::MASK.canvas(i, N / W, W);
            d_canvas[(c, p)]
        });
        (d_x, self.context.tr_mul(&d_shift))
    }
}

impl<
    T: Real,
    M,
    const CI: usize,
    const F: usize,
    const L: usize,
    const CO: usize,
    const W: usize,
    const N: usize,
    const X: usize,
    Act,
> Random for ConvNet<T, M, CI, F, L, CO, W, N, X, Act>
{
    /// Hidden layers drawn from `rng` (PyTorch's default), the output layer and the context
    /// weights at zero, no bound.
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self {
            input: Conv3x3::random(rng),
            context: SMatrix::zeros(),
            hidden: core::array::from_fn(|_| Conv3x3::random(rng)),
            output: Conv3x3::zeros(),
            bound: None,
            marker: PhantomData,
        }
    }
}

impl_parameters!([
    T: Real, M, const CI: usize, const F: usize, const L: usize, const CO: usize, const W: usize,
    const N: usize, const X: usize, Act
] ConvNet<T, M, CI, F, L, CO, W, N, X, Act> {
    input: Conv3x3<T, F, CI>,
    context: SMatrix<T, F, X>,
    hidden: [Conv3x3<T, F, F>; L],
    output: Conv3x3<T, CO, F>,
});
