//! Masked autoregressive presets: MAF and IAF.

use crate::conditioner::made::min_width;
use crate::flow::Flow;
use crate::layer::{ActNorm, ElementwiseAffine, ReversePermutation};

/// One block of an autoregressive preset: `[ReversePermutation, layer, ActNorm]`.
pub type AutoregressiveBlock<T, Layer, const D: usize> = (ReversePermutation, Layer, ActNorm<T, D>);

/// The layers of an autoregressive preset: `N` blocks of the masked autoregressive layer `Layer`
/// between torchflows' elementwise affine and ActNorm layers.
pub type AutoregressiveLayers<T, Layer, const D: usize, const C: usize, const N: usize> = (
    ElementwiseAffine<T, D, C>,
    [AutoregressiveBlock<T, Layer, D>; N],
    ElementwiseAffine<T, D, C>,
    ActNorm<T, D>,
);

/// An autoregressive preset as a flow; see [`AutoregressiveLayers`].
pub type AutoregressiveFlow<T, Layer, const D: usize, const C: usize, const N: usize> =
    Flow<T, D, C, AutoregressiveLayers<T, Layer, D, C, N>>;

/// The MADE width of a preset: the `hidden` option, raised to the
/// [width rule](crate::conditioner::made)'s minimum (`D - 1`, or `D` with a context) when it is
/// smaller, so that every input and the context condition the later elements.
pub const fn made_width(hidden: usize, event: usize, context: usize) -> usize {
    let min = min_width(event, context);
    if hidden < min { min } else { hidden }
}

/// Expands an autoregressive preset macro to its [`AutoregressiveFlow`] type.
#[doc(hidden)]
#[macro_export]
macro_rules! __autoregressive_preset {
    ($layer:ident; $t:ty, $d:expr $(, $key:ident = $value:expr)* $(,)?) => {
        $crate::preset::AutoregressiveFlow<
            $t,
            $crate::layer::$layer<
                $t,
                { $d },
                { $crate::__preset_option!(context; $($key = $value),*) },
                {
                    $crate::preset::made_width(
                        $crate::__preset_option!(hidden; $($key = $value),*),
                        $d,
                        $crate::__preset_option!(context; $($key = $value),*),
                    )
                },
                { $crate::__preset_option!(hidden_layers; $($key = $value),*) - 1 },
            >,
            { $d },
            { $crate::__preset_option!(context; $($key = $value),*) },
            { $crate::__preset_option!(layers; $($key = $value),*) },
        >
    };
}

/// MAF (Papamakarios et al. 2017): [affine masked autoregressive
/// layers](crate::layer::AffineMaskedAutoregressive) with [`Made`](crate::net::Made) conditioners.
/// Density in one pass per layer, sampling in `D` sequential steps (about one pass each).
/// `MAF!(scalar, event size, options...)`; see the [module docs](crate::preset). The MADE width is
/// the `hidden` option raised to the width rule's minimum ([`made_width`]).
///
/// ```
/// use flows::MAF;
///
/// type Sensor = MAF!(f64, 10, context = 3, layers = 3, hidden = 32);
/// let flow = Sensor::seeded(0);
/// let context = nalgebra::SVector::<f64, 3>::new(0.1, -0.2, 0.3);
/// let x = nalgebra::SVector::<f64, 10>::from_element(0.5);
/// assert!(flow.log_prob_given(&x, &context).is_finite());
/// ```
#[macro_export]
macro_rules! MAF {
    ($($args:tt)*) => { $crate::__autoregressive_preset!(AffineMaskedAutoregressive; $($args)*) };
}

/// IAF (Kingma et al. 2016): [affine inverse masked autoregressive
/// layers](crate::layer::AffineInverseMaskedAutoregressive) (torchflows' layout, with
/// `InverseAffine`). Sampling in one pass per layer, density in `D` sequential steps (about one
/// pass each). `IAF!(scalar, event size, options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! IAF {
    ($($args:tt)*) => {
        $crate::__autoregressive_preset!(AffineInverseMaskedAutoregressive; $($args)*)
    };
}
