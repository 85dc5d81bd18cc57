//! Spline and sigmoidal coupling presets: their transformer's parameter count follows the `bins`
//! option (splines) or the `units` option (sigmoidal).

/// Expands a coupling preset whose transformer is `$tr<n>`, `n` the option `$field` (`bins` or
/// `units`), with `$per_bin * n $extra` parameters per element.
#[doc(hidden)]
#[macro_export]
macro_rules! __binned_coupling_preset {
    ([$($tr:tt)*], $field:ident, $per_bin:literal, [$($extra:tt)*]; $t:ty, $d:expr $(, $key:ident = $value:expr)* $(,)?) => {
        $crate::__coupling_preset!(
            $($tr)*<{ $crate::preset::Options { $($key: $value,)* ..$crate::preset::Options::DEFAULT }.$field }>,
            $per_bin * $crate::preset::Options { $($key: $value,)* ..$crate::preset::Options::DEFAULT }.$field
                $($extra)*;
            $t, $d $(, $key = $value)*
        )
    };
}

/// Neural spline flow (Durkan et al. 2019): half-split couplings with the
/// [rational-quadratic spline](crate::transformer::RationalQuadratic) (`bins` bins, 8 by default,
/// on `[-5, 5]`). `CouplingRQNSF!(scalar, event size, options...)`; see the
/// [module docs](crate::preset).
///
/// ```
/// use flows::CouplingRQNSF;
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
///
/// type Spline = CouplingRQNSF!(f64, 3, layers = 2, hidden = 16, bins = 6);
/// let flow = Spline::seeded(0);
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let (x, log_p) = flow.sample_with_log_prob(&mut rng);
/// assert!((flow.log_prob(&x) - log_p).abs() < 1e-10);
/// ```
#[macro_export]
macro_rules! CouplingRQNSF {
    ($($args:tt)*) => {
        $crate::__binned_coupling_preset!([$crate::transformer::RationalQuadratic], bins, 3, [- 1]; $($args)*)
    };
}

/// Linear rational spline flow (Dolatabadi et al. 2020): half-split couplings with the
/// [linear-rational spline](crate::transformer::LinearRational) (`bins` bins, 8 by default, on
/// `[-5, 5]`; `4 bins` parameters per element). `CouplingLRS!(scalar, event size, options...)`;
/// see the [module docs](crate::preset).
#[macro_export]
macro_rules! CouplingLRS {
    ($($args:tt)*) => {
        $crate::__binned_coupling_preset!([$crate::transformer::LinearRational], bins, 4, []; $($args)*)
    };
}

/// Deep sigmoidal flow (Huang et al. 2018): half-split couplings with the
/// [deep sigmoidal transformer](crate::transformer::DeepSigmoid) of torchflows' `CouplingDeepSF`
/// (two stacked units of `units` hidden units each, 8 by default; `6 units` parameters per
/// element), with its log-det computed correctly. `CouplingDeepSF!(scalar, event size,
/// options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! CouplingDeepSF {
    ($($args:tt)*) => {
        $crate::__binned_coupling_preset!([$crate::transformer::DeepSigmoid], units, 6, []; $($args)*)
    };
}

/// Expands a masked autoregressive preset (`$layer` is `MaskedAutoregressive` or
/// `InverseMaskedAutoregressive`) whose transformer is `$tr<n>`, `n` the option `$field`, with
/// `$per * n $extra` parameters per element and [`Made`](crate::net::Made) conditioners of the
/// preset's [MADE width](crate::preset::made_width).
#[doc(hidden)]
#[macro_export]
macro_rules! __transformer_autoregressive_preset {
    ($layer:ident, [$($tr:tt)*], $field:ident, $per:literal, [$($extra:tt)*]; $t:ty, $d:expr $(, $key:ident = $value:expr)* $(,)?) => {
        $crate::preset::AutoregressiveFlow<
            $t,
            $crate::layer::$layer<
                $($tr)*<{ $crate::__preset_option!($field; $($key = $value),*) }>,
                $crate::net::Made<
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
                    { $per * $crate::__preset_option!($field; $($key = $value),*) $($extra)* },
                >,
                { $d },
                { $per * $crate::__preset_option!($field; $($key = $value),*) $($extra)* },
            >,
            { $d },
            { $crate::__preset_option!(context; $($key = $value),*) },
            { $crate::__preset_option!(layers; $($key = $value),*) },
        >
    };
}

/// Masked autoregressive neural spline flow: [masked autoregressive
/// layers](crate::layer::MaskedAutoregressive) with the [rational-quadratic
/// spline](crate::transformer::RationalQuadratic) (`bins` bins). Density in one pass per layer,
/// sampling in `D` sequential steps. `MaskedAutoregressiveRQNSF!(scalar, event size,
/// options...)`; see the [module docs](crate::preset).
#[macro_export]
macro_rules! MaskedAutoregressiveRQNSF {
    ($($args:tt)*) => {
        $crate::__transformer_autoregressive_preset!(
            MaskedAutoregressive, [$crate::transformer::RationalQuadratic], bins, 3, [- 1]; $($args)*
        )
    };
}

/// Inverse autoregressive neural spline flow: [inverse masked autoregressive
/// layers](crate::layer::InverseMaskedAutoregressive) with the [rational-quadratic
/// spline](crate::transformer::RationalQuadratic). Sampling in one pass per layer, density in `D`
/// sequential steps. `InverseAutoregressiveRQNSF!(scalar, event size, options...)`.
#[macro_export]
macro_rules! InverseAutoregressiveRQNSF {
    ($($args:tt)*) => {
        $crate::__transformer_autoregressive_preset!(
            InverseMaskedAutoregressive, [$crate::transformer::RationalQuadratic], bins, 3, [- 1]; $($args)*
        )
    };
}

/// Masked autoregressive linear rational spline flow: [masked autoregressive
/// layers](crate::layer::MaskedAutoregressive) with the [linear-rational
/// spline](crate::transformer::LinearRational) (`bins` bins). `MaskedAutoregressiveLRS!(scalar,
/// event size, options...)`.
#[macro_export]
macro_rules! MaskedAutoregressiveLRS {
    ($($args:tt)*) => {
        $crate::__transformer_autoregressive_preset!(
            MaskedAutoregressive, [$crate::transformer::LinearRational], bins, 4, []; $($args)*
        )
    };
}

/// Masked autoregressive deep sigmoidal flow: [masked autoregressive
/// layers](crate::layer::MaskedAutoregressive) with the [deep sigmoidal
/// transformer](crate::transformer::DeepSigmoid) (two units of `units` hidden units).
/// `MaskedAutoregressiveDeepSF!(scalar, event size, options...)`.
#[macro_export]
macro_rules! MaskedAutoregressiveDeepSF {
    ($($args:tt)*) => {
        $crate::__transformer_autoregressive_preset!(
            MaskedAutoregressive, [$crate::transformer::DeepSigmoid], units, 6, []; $($args)*
        )
    };
}
