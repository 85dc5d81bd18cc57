//! Coupling presets: NICE and RealNVP (and every coupling preset with another transformer).

use crate::flow::Flow;
use crate::layer::{ActNorm, Coupling, ElementwiseAffine, ReversePermutation};
use crate::net::FeedForward;

/// One block of a coupling preset: `[ReversePermutation, coupling, ActNorm]`.
pub type CouplingBlock<
    T,
    Tr,
    const P: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const C: usize,
    const H: usize,
    const M: usize,
> = (
    ReversePermutation,
    Coupling<Tr, FeedForward<T, A, C, H, M, P, B>, D, A, B, P>,
    ActNorm<T, D>,
);

/// The layers of a coupling preset with transformer `Tr` (`P` parameters per element), half-split
/// couplings of `A` source and `B` target elements, feed-forward conditioners of `M + 1` hidden
/// layers of width `H`, and `N` blocks.
pub type CouplingLayers<
    T,
    Tr,
    const P: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const N: usize,
> = (
    ElementwiseAffine<T, D, C>,
    [CouplingBlock<T, Tr, P, D, A, B, C, H, M>; N],
    ElementwiseAffine<T, D, C>,
    ActNorm<T, D>,
);

/// A coupling preset as a flow; see [`CouplingLayers`].
pub type CouplingFlow<
    T,
    Tr,
    const P: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const C: usize,
    const H: usize,
    const M: usize,
    const N: usize,
> = Flow<T, D, C, CouplingLayers<T, Tr, P, D, A, B, C, H, M, N>>;

/// One field of the options given to a preset macro, as a const expression.
#[doc(hidden)]
#[macro_export]
macro_rules! __preset_option {
    ($field:ident; $($key:ident = $value:expr),*) => {{
        #[allow(clippy::needless_update)]
        const OPTIONS: $crate::preset::Options =
            $crate::preset::Options { $($key: $value,)* ..$crate::preset::Options::DEFAULT };
        OPTIONS.$field
    }};
}

/// Expands a coupling preset macro to its [`CouplingFlow`] type.
#[doc(hidden)]
#[macro_export]
macro_rules! __coupling_preset {
    ($tr:ty, $p:expr; $t:ty, $d:expr $(, $key:ident = $value:expr)* $(,)?) => {
        $crate::preset::CouplingFlow<
            $t,
            $tr,
            { $p },
            { $d },
            { $d / 2 },
            { $d - $d / 2 },
            { $crate::__preset_option!(context; $($key = $value),*) },
            { $crate::__preset_option!(hidden; $($key = $value),*) },
            { $crate::__preset_option!(hidden_layers; $($key = $value),*) - 1 },
            { $crate::__preset_option!(layers; $($key = $value),*) },
        >
    };
}

/// NICE (Dinh et al. 2014): additive ([`Shift`](crate::transformer::Shift)) half-split couplings.
/// `NICE!(scalar, event size, options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! NICE {
    ($($args:tt)*) => { $crate::__coupling_preset!($crate::transformer::Shift, 1; $($args)*) };
}

/// RealNVP (Dinh et al. 2016): [affine](crate::transformer::Affine) half-split couplings.
/// `RealNVP!(scalar, event size, options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! RealNVP {
    ($($args:tt)*) => { $crate::__coupling_preset!($crate::transformer::Affine, 2; $($args)*) };
}
