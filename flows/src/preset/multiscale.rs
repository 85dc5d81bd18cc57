//! Multiscale image presets: MultiscaleNICE, MultiscaleRealNVP, MultiscaleRQNSF and Glow.

use crate::flow::Flow;
use crate::layer::{
    ChannelActNorm, ChannelSplit, Checkerboard, Conv1x1, FactorOut, ImageCoupling, MaskType,
    Squeeze,
};
use crate::net::{ConvNet, Tanh};

/// What one block of a multiscale preset holds around its coupling.
pub trait BlockKind {
    /// The block of an image coupling `Coupling` of a `C`-channel image of `D` elements.
    type Block<T: crate::Real, Coupling, const C: usize, const D: usize>;
}

/// `[ChannelActNorm, coupling]`: torchflows' normalized couplings (MultiscaleNICE, RealNVP and
/// RQNSF).
#[derive(Clone, Copy, Debug, Default)]
pub struct Normalized;

impl BlockKind for Normalized {
    type Block<T: crate::Real, Coupling, const C: usize, const D: usize> =
        (ChannelActNorm<T, C, D>, Coupling);
}

/// `[ChannelActNorm, Conv1x1, coupling]`: a step of Glow.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlowStep;

impl BlockKind for GlowStep {
    type Block<T: crate::Real, Coupling, const C: usize, const D: usize> =
        (ChannelActNorm<T, C, D>, Conv1x1<T, C, D>, Coupling);
}

/// One block of kind `K` around the coupling of mask `M` on a `(C, H, W)` image with a tanh
/// convolutional conditioner (`CI` input, `F` hidden and `CO` output channels, `L + 1` hidden
/// layers, `N = H·W`, context `X`), transformer `Tr` of `P` parameters, `A` source and `B` target
/// elements.
pub type MaskedBlock<
    T,
    K,
    M,
    Tr,
    const P: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const N: usize,
    const A: usize,
    const B: usize,
    const CI: usize,
    const CO: usize,
    const F: usize,
    const L: usize,
    const X: usize,
> = <K as BlockKind>::Block<
    T,
    ImageCoupling<M, Tr, ConvNet<T, M, CI, F, L, CO, W, N, X, Tanh>, C, H, W, D, A, B, P>,
    C,
    D,
>;

/// `S` pairs of blocks of mask `M<false>` and its alternate `M<true>`, for a mask family given
/// by [`MaskFamily`].
pub type Stage<
    T,
    K,
    Fam,
    Tr,
    const P: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const N: usize,
    const A: usize,
    const CI: usize,
    const CO: usize,
    const F: usize,
    const L: usize,
    const X: usize,
    const S: usize,
> = [(
    MaskedBlock<T, K, <Fam as MaskFamily>::Plain, Tr, P, C, H, W, D, N, A, A, CI, CO, F, L, X>,
    MaskedBlock<T, K, <Fam as MaskFamily>::Alternate, Tr, P, C, H, W, D, N, A, A, CI, CO, F, L, X>,
); S];

/// A mask and its alternate.
pub trait MaskFamily {
    /// The mask.
    type Plain: MaskType;
    /// Its alternate.
    type Alternate: MaskType;
}

/// The checkerboards.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checkerboards;

impl MaskFamily for Checkerboards {
    type Plain = Checkerboard<false>;
    type Alternate = Checkerboard<true>;
}

/// The channel-wise half splits.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChannelSplits;

impl MaskFamily for ChannelSplits {
    type Plain = ChannelSplit<false>;
    type Alternate = ChannelSplit<true>;
}

/// The last level of a multiscale preset: a checkerboard stage on the `(C, H, W)` image
/// (`HALF = D/2`, `CO = P·C`).
pub type LastLevel<
    T,
    K,
    Tr,
    const P: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const N: usize,
    const HALF: usize,
    const CO: usize,
    const F: usize,
    const L: usize,
    const X: usize,
    const S: usize,
> = Stage<T, K, Checkerboards, Tr, P, C, H, W, D, N, HALF, C, CO, F, L, X, S>;

/// A level of a multiscale preset on a `(C, H, W)` image: a checkerboard stage, a
/// [`Squeeze`] to `(C4, H2, W2) = (4C, H/2, W/2)`, a channel-wise stage there, and `Deeper` (the
/// next levels) on the last `HALF = D/2` elements, the last `C2 = 2C` squeezed channels; the
/// first `2C` are factored out. `CO = P·C` and `CO2 = P·C2` are the conditioners' outputs,
/// `N = H·W` and `N4 = N/4` the pixels per channel.
pub type Level<
    T,
    K,
    Tr,
    Deeper,
    const P: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const D: usize,
    const N: usize,
    const HALF: usize,
    const CO: usize,
    const C4: usize,
    const H2: usize,
    const W2: usize,
    const N4: usize,
    const C2: usize,
    const CO2: usize,
    const F: usize,
    const L: usize,
    const X: usize,
    const S: usize,
> = (
    Stage<T, K, Checkerboards, Tr, P, C, H, W, D, N, HALF, C, CO, F, L, X, S>,
    Squeeze<C, H, W, D>,
    Stage<T, K, ChannelSplits, Tr, P, C4, H2, W2, D, N4, HALF, C2, CO2, F, L, X, S>,
    FactorOut<Deeper, D, HALF, HALF>,
);

/// A multiscale preset as a flow of `D` elements with context `X`.
pub type MultiscaleFlow<T, const D: usize, const X: usize, Levels> = Flow<T, D, X, Levels>;

/// The options of the multiscale preset macros; a struct so that an unknown option name is a
/// compile error. `levels` is read by the macros themselves (a literal 1 to 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageOptions {
    /// Context size.
    pub context: usize,
    /// Pairs of couplings (a mask and its alternate) in each stage.
    pub blocks: usize,
    /// Hidden channels of each convolutional conditioner.
    pub hidden: usize,
    /// Hidden layers of each conditioner (at least 1).
    pub hidden_layers: usize,
    /// Bins of each spline (`MultiscaleRQNSF!` only).
    pub bins: usize,
}

impl ImageOptions {
    /// The defaults.
    pub const DEFAULT: ImageOptions = ImageOptions {
        context: 0,
        blocks: 2,
        hidden: 16,
        hidden_layers: 2,
        bins: 8,
    };
}

/// One field of the options given to a multiscale preset macro, as a const expression.
#[doc(hidden)]
#[macro_export]
macro_rules! __image_option {
    ($field:ident; $($key:ident = $value:expr),*) => {{
        #[allow(clippy::needless_update)]
        const OPTIONS: $crate::preset::ImageOptions =
            $crate::preset::ImageOptions { $($key: $value,)* ..$crate::preset::ImageOptions::DEFAULT };
        OPTIONS.$field
    }};
}

/// Expands a multiscale preset macro: takes `levels = N` out of the options (2 when absent), then
/// builds the levels from the image shape.
#[doc(hidden)]
#[macro_export]
macro_rules! __multiscale_preset {
    // Scan the options for `levels`, keeping the others.
    (@scan $mode:ident $kind:ty, $tr:ident; $t:ty, [$c:expr, $h:expr, $w:expr]; ($($l:tt)?) [$($kept:tt)*]
        levels = $levels:tt $(, $($rest:tt)*)?) => {
        $crate::__multiscale_preset!(@scan $mode $kind, $tr; $t, [$c, $h, $w]; ($levels) [$($kept)*]
            $($($rest)*)?)
    };
    (@scan $mode:ident $kind:ty, $tr:ident; $t:ty, [$c:expr, $h:expr, $w:expr]; ($($l:tt)?) [$($kept:tt)*]
        $key:ident = $value:expr $(, $($rest:tt)*)?) => {
        $crate::__multiscale_preset!(@scan $mode $kind, $tr; $t, [$c, $h, $w]; ($($l)?)
            [$($kept)* $key = $value,] $($($rest)*)?)
    };
    (@scan $mode:ident $kind:ty, $tr:ident; $t:ty, [$c:expr, $h:expr, $w:expr]; ($levels:tt)
        [$($key:ident = $value:expr,)*]) => {
        $crate::__multiscale_preset!(@wrap $mode; $t, [$c, $h, $w]; $($key = $value),*;
            $crate::__multiscale_preset!(@level $levels; $kind,
                $crate::__multiscale_preset!(@transformer $tr; $($key = $value),*),
                $crate::__multiscale_preset!(@parameters $tr; $($key = $value),*);
                $t, [$c, $h, $w]; $($key = $value),*))
    };
    // The flow, or only its layers (for `flow!`).
    (@wrap flow; $t:ty, [$c:expr, $h:expr, $w:expr]; $($key:ident = $value:expr),*; $levels:ty) => {
        $crate::preset::MultiscaleFlow<
            $t,
            { ($c) * ($h) * ($w) },
            { $crate::__image_option!(context; $($key = $value),*) },
            $levels,
        >
    };
    (@wrap layers; $t:ty, [$c:expr, $h:expr, $w:expr]; $($key:ident = $value:expr),*; $levels:ty) => {
        $levels
    };
    (@scan $mode:ident $kind:ty, $tr:ident; $t:ty, [$c:expr, $h:expr, $w:expr]; () [$($kept:tt)*]) => {
        $crate::__multiscale_preset!(@scan $mode $kind, $tr; $t, [$c, $h, $w]; (2) [$($kept)*])
    };
    (@level 1; $kind:ty, $tr:ty, $p:expr; $t:ty, [$c:expr, $h:expr, $w:expr]; $($key:ident = $value:expr),*) => {
        $crate::preset::LastLevel<
            $t, $kind, $tr, { $p }, { $c }, { $h }, { $w },
            { ($c) * ($h) * ($w) }, { ($h) * ($w) }, { ($c) * ($h) * ($w) / 2 }, { ($p) * ($c) },
            { $crate::__image_option!(hidden; $($key = $value),*) },
            { $crate::__image_option!(hidden_layers; $($key = $value),*) - 1 },
            { $crate::__image_option!(context; $($key = $value),*) },
            { $crate::__image_option!(blocks; $($key = $value),*) },
        >
    };
    (@level $levels:tt; $kind:ty, $tr:ty, $p:expr; $t:ty, [$c:expr, $h:expr, $w:expr]; $($key:ident = $value:expr),*) => {
        $crate::preset::Level<
            $t, $kind, $tr,
            $crate::__multiscale_preset!(@deeper $levels; $kind, $tr, $p; $t,
                [($c) * 2, ($h) / 2, ($w) / 2]; $($key = $value),*),
            { $p }, { $c }, { $h }, { $w },
            { ($c) * ($h) * ($w) }, { ($h) * ($w) }, { ($c) * ($h) * ($w) / 2 }, { ($p) * ($c) },
            { ($c) * 4 }, { ($h) / 2 }, { ($w) / 2 }, { ($h) * ($w) / 4 }, { ($c) * 2 },
            { ($p) * ($c) * 2 },
            { $crate::__image_option!(hidden; $($key = $value),*) },
            { $crate::__image_option!(hidden_layers; $($key = $value),*) - 1 },
            { $crate::__image_option!(context; $($key = $value),*) },
            { $crate::__image_option!(blocks; $($key = $value),*) },
        >
    };
    (@transformer Shift; $($options:tt)*) => { $crate::transformer::Shift };
    (@transformer Affine; $($options:tt)*) => { $crate::transformer::Affine };
    (@transformer RationalQuadratic; $($options:tt)*) => {
        $crate::transformer::RationalQuadratic<{ $crate::__image_option!(bins; $($options)*) }>
    };
    (@parameters Shift; $($options:tt)*) => { 1 };
    (@parameters Affine; $($options:tt)*) => { 2 };
    (@parameters RationalQuadratic; $($options:tt)*) => {
        3 * $crate::__image_option!(bins; $($options)*) - 1
    };
    (@deeper 2; $($rest:tt)*) => { $crate::__multiscale_preset!(@level 1; $($rest)*) };
    (@deeper 3; $($rest:tt)*) => { $crate::__multiscale_preset!(@level 2; $($rest)*) };
    (@deeper 4; $($rest:tt)*) => { $crate::__multiscale_preset!(@level 3; $($rest)*) };
}

/// Multiscale NICE: additive ([`Shift`](crate::transformer::Shift)) image couplings.
/// `MultiscaleNICE!(scalar, [C, H, W], options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! MultiscaleNICE {
    ($t:ty, [$c:expr, $h:expr, $w:expr] $(, $($options:tt)*)?) => {
        $crate::__multiscale_preset!(@scan flow $crate::preset::Normalized, Shift;
            $t, [$c, $h, $w]; () [] $($($options)*)?)
    };
}

/// Multiscale RealNVP (Dinh et al. 2016): [affine](crate::transformer::Affine) image couplings.
/// `MultiscaleRealNVP!(scalar, [C, H, W], options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! MultiscaleRealNVP {
    ($t:ty, [$c:expr, $h:expr, $w:expr] $(, $($options:tt)*)?) => {
        $crate::__multiscale_preset!(@scan flow $crate::preset::Normalized, Affine;
            $t, [$c, $h, $w]; () [] $($($options)*)?)
    };
}

/// Multiscale rational-quadratic neural spline flow: [spline](crate::transformer::RationalQuadratic)
/// image couplings of `bins` bins. `MultiscaleRQNSF!(scalar, [C, H, W], options...)`; see the
/// [module docs](crate::preset).
#[macro_export]
macro_rules! MultiscaleRQNSF {
    ($t:ty, [$c:expr, $h:expr, $w:expr] $(, $($options:tt)*)?) => {
        $crate::__multiscale_preset!(@scan flow $crate::preset::Normalized, RationalQuadratic;
            $t, [$c, $h, $w]; () [] $($($options)*)?)
    };
}

/// Glow (Kingma and Dhariwal 2018): every block at every level is `[ChannelActNorm, Conv1x1,
/// affine coupling]`. `Glow!(scalar, [C, H, W], options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! Glow {
    ($t:ty, [$c:expr, $h:expr, $w:expr] $(, $($options:tt)*)?) => {
        $crate::__multiscale_preset!(@scan flow $crate::preset::GlowStep, Affine;
            $t, [$c, $h, $w]; () [] $($($options)*)?)
    };
}
