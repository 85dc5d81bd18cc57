//! torchflows' transformers: their class names, the layers built on them, and their settings.

use super::{TorchflowsFile, layout};
use crate::io::FileError;
use crate::transformer::{Affine, InverseAffine, MIN_SCALE, RationalQuadratic, Shift};

/// A transformer with a torchflows counterpart.
pub trait TorchflowsTransformer: Sized {
    /// torchflows' class of the transformer.
    const CLASS: &'static str;
    /// torchflows' classes of the layers built on it: elementwise, coupling, masked
    /// autoregressive and inverse masked autoregressive (`""` where torchflows has none).
    const LAYERS: [&'static str; 4];

    /// The transformer of torchflows module `module`, after checking its class and settings.
    ///
    /// # Errors
    /// [`FileError::Layout`] for another transformer class or setting.
    fn read(file: &TorchflowsFile, module: &str) -> Result<Self, FileError>;
}

/// The kinds of layer a transformer is used in, indexing [`TorchflowsTransformer::LAYERS`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Elementwise = 0,
    Coupling = 1,
    Masked = 2,
    InverseMasked = 3,
}

/// Checks module `module`'s class for a layer of `kind` over `Tr` and reads its transformer.
pub(crate) fn read_layer<Tr: TorchflowsTransformer>(
    file: &TorchflowsFile,
    module: &str,
    kind: Kind,
) -> Result<Tr, FileError> {
    let class = Tr::LAYERS.get(kind as usize).copied().unwrap_or("");
    if class.is_empty() {
        return Err(layout(
            module,
            format!("torchflows has no {kind:?} layer over {}", Tr::CLASS),
        ));
    }
    file.expect_class(module, class)?;
    let found = file.fact(module, "transformer")?;
    if found != Tr::CLASS {
        return Err(layout(
            module,
            format!("its transformer is a {found}, expected a {}", Tr::CLASS),
        ));
    }
    Tr::read(file, module)
}

/// Checks that setting `key` of `module` is `expected`.
fn expect_setting(
    file: &TorchflowsFile,
    module: &str,
    key: &str,
    expected: f64,
) -> Result<(), FileError> {
    let found = file.number(module, key)?;
    if found == expected {
        Ok(())
    } else {
        Err(layout(
            module,
            format!("its `{key}` is {found}, expected {expected}"),
        ))
    }
}

/// The affine family: torchflows' `min_scale` must be ours.
macro_rules! affine_transformer {
    ($ty:ty, $class:literal, $layers:expr, $value:expr) => {
        impl TorchflowsTransformer for $ty {
            const CLASS: &'static str = $class;
            const LAYERS: [&'static str; 4] = $layers;
            fn read(file: &TorchflowsFile, module: &str) -> Result<Self, FileError> {
                expect_setting(file, module, "min_scale", MIN_SCALE)?;
                Ok($value)
            }
        }
    };
}

affine_transformer!(
    Affine,
    "Affine",
    [
        "ElementwiseAffine",
        "AffineCoupling",
        "AffineForwardMaskedAutoregressive",
        ""
    ],
    Affine
);
affine_transformer!(
    InverseAffine,
    "InverseAffine",
    [
        "ElementwiseInverseAffine",
        "InverseAffineCoupling",
        "",
        "AffineInverseMaskedAutoregressive"
    ],
    InverseAffine::default()
);

impl TorchflowsTransformer for Shift {
    const CLASS: &'static str = "Shift";
    const LAYERS: [&'static str; 4] = ["ElementwiseShift", "ShiftCoupling", "", ""];
    fn read(_file: &TorchflowsFile, _module: &str) -> Result<Self, FileError> {
        Ok(Shift)
    }
}

/// torchflows' rational-quadratic spline: `K` bins, its bound, and the floors of its scheme
/// (`1e-3` of the interval per bin, `1e-5` per derivative), which
/// [`RationalQuadratic::torchflows`] reproduces.
impl<const K: usize> TorchflowsTransformer for RationalQuadratic<K> {
    const CLASS: &'static str = "RationalQuadratic";
    const LAYERS: [&'static str; 4] = [
        "ElementwiseRQSpline",
        "RQSCoupling",
        "RQSForwardMaskedAutoregressive",
        "RQSInverseMaskedAutoregressive",
    ];
    fn read(file: &TorchflowsFile, module: &str) -> Result<Self, FileError> {
        expect_setting(file, module, "n_bins", K as f64)?;
        expect_setting(file, module, "min_bin_size", 1e-3)?;
        expect_setting(file, module, "min_delta", 1e-5)?;
        let bound = file.number(module, "boundary")?;
        if !(bound.is_finite() && bound > 0.0) {
            return Err(layout(
                module,
                format!("its boundary {bound} is not positive"),
            ));
        }
        Ok(Self {
            bound,
            ..Self::torchflows()
        })
    }
}
