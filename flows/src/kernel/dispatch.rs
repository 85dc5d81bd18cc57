//! Picks the instruction set for each kernel call: AVX-512F, else AVX2 with FMA, else the scalar
//! twin. Under `std` the CPU is asked at run time (`is_x86_feature_detected!`, which caches its
//! answer), so a default build runs at full speed; without `std` the build's target features
//! decide. Other architectures always use the scalar twin.

use super::affine::{affine, affine_row};
use super::dense::{dense, dense_bias, dense_bias_fixed};
use super::dense_map::dense_map;
use super::diagonal::{scale_shift, shift_scale};
use super::event::{self, EventMap, EventMlp};
use super::isa::{Isa, Row, Scalar};
use super::masked;
use super::math;
#[cfg(feature = "std")]
use super::peak::fma_loop;
use super::polar::polar;
use super::reverse::reverse_blocks;
use super::spline::{self, Spline};

/// Defines the `f32` entry point `$name` that runs the generic kernel `$kernel` under the best
/// instruction set, and one function per set compiled with that set's target features (generic
/// over the entry's const parameters, if any: one instance per size). The AVX2 set is `Avx2`
/// unless another token of it is named after the kernel (`Avx2Half`).
macro_rules! entry {
    (
        $(#[$doc:meta])* $name:ident $(<$(const $g:ident: $gt:ty),+>)? ($($arg:ident: $t:ty),*)
            $(-> $r:ty)? => $kernel:path $(, $set:ident)?
    ) => {
        $(#[$doc])*
        #[inline]
        pub(crate) fn $name $(<$(const $g: $gt),+>)? ($($arg: $t),*) $(-> $r)? {
            #[cfg(target_arch = "x86_64")]
            {
                use super::x86::Avx512;
                type Avx2Set = avx2_set!($($set)?);

                #[target_feature(enable = "avx512f")]
                fn avx512 $(<$(const $g: $gt),+>)? (isa: Avx512, $($arg: $t),*) $(-> $r)? {
                    $kernel(isa, $($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2 $(<$(const $g: $gt),+>)? (isa: Avx2Set, $($arg: $t),*) $(-> $r)? {
                    $kernel(isa, $($arg),*)
                }

                if let Some(isa) = Avx512::new() {
                    // SAFETY: the token exists only when the CPU has AVX-512F.
                    return unsafe { avx512(isa, $($arg),*) };
                }
                if let Some(isa) = Avx2Set::new() {
                    // SAFETY: the token exists only when the CPU has AVX2 and FMA.
                    return unsafe { avx2(isa, $($arg),*) };
                }
            }
            $kernel(Scalar, $($arg),*)
        }
    };
}

/// The AVX2 token of an [`entry`]: `Avx2`, or the one named.
#[cfg(target_arch = "x86_64")]
macro_rules! avx2_set {
    () => {
        super::x86::Avx2
    };
    ($set:ident) => {
        super::x86::$set
    };
}

/// Runs `f` inside a function compiled for the best instruction set of the CPU (AVX-512F, or
/// AVX2 with FMA), so that the loops of `f`, once inlined there, may be vectorized for it;
/// elsewhere `f` just runs. For plain loops only: Rust never fuses a multiplication and an
/// addition on its own, so the results are the same either way (a test checks one). For the
/// training loops and the normal sampler's coordinates.
#[inline]
pub(crate) fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        use super::x86::{Avx2, Avx512};

        #[target_feature(enable = "avx512f")]
        fn avx512<R>(_: Avx512, f: impl FnOnce() -> R) -> R {
            f()
        }
        #[target_feature(enable = "avx2,fma")]
        fn avx2<R>(_: Avx2, f: impl FnOnce() -> R) -> R {
            f()
        }

        if let Some(isa) = Avx512::new() {
            // SAFETY: the token exists only when the CPU has AVX-512F.
            return unsafe { avx512(isa, f) };
        }
        if let Some(isa) = Avx2::new() {
            // SAFETY: the token exists only when the CPU has AVX2 and FMA.
            return unsafe { avx2(isa, f) };
        }
    }
    f()
}

/// Defines, for each listed function of [`math`], the generic in-place kernel over rows and its
/// `f32` entry point.
macro_rules! unary {
    ($($(#[$doc:meta])* $name:ident => $f:ident;)*) => {$(
        pub(crate) mod $name {
            use super::*;
            /// The kernel over rows, generic over the instruction set.
            #[inline(always)]
            pub(crate) fn kernel<I: Isa>(isa: I, rows: &mut [Row]) {
                // Called by name, not passed as a function value: the call of a function value
                // goes through a shim without the entry's target features, which LLVM may
                // leave out of line, and every intrinsic in it then becomes a call.
                for row in rows {
                    let v = math::$f(isa, isa.load(row));
                    isa.store(v, row);
                }
            }
        }
        entry!($(#[$doc])* $f(rows: &mut [Row]) => $name::kernel);
    )*};
}

unary! {
    /// `e^x` of every lane, in place.
    exp_kernel => exp;
    /// `e^x − 1` of every lane, in place.
    expm1_kernel => expm1;
    /// `ln x` of every lane, in place.
    ln_kernel => ln;
    /// `ln(1 + x)` of every lane, in place.
    ln_1p_kernel => ln_1p;
    /// `tanh x` of every lane, in place.
    tanh_kernel => tanh;
    /// The logistic sigmoid of every lane, in place.
    sigmoid_kernel => sigmoid;
    /// `ln(1 + e^x)` of every lane, in place.
    softplus_kernel => softplus;
}

entry! {
    /// `tanh x` of the first [`SHORT`](super::SHORT) lanes of every row, in place (the others
    /// are left as they are, or computed too): one register under AVX2.
    tanh_short(rows: &mut [Row]) => tanh_kernel::kernel, Avx2Half
}

entry! {
    /// [`affine_rows`] of one row (see [`affine_row`]).
    affine_one(row: &mut Row, params: &[Row; 2], inverse: bool) -> Row => affine_row
}

entry! {
    /// [`affine_rows`] of one row on its first [`SHORT`](super::SHORT) lanes (the others are
    /// left as they are, or mapped too; their log-scales are unspecified): one register under
    /// AVX2 (see [`affine_row`]).
    affine_short(row: &mut Row, params: &[Row; 2], inverse: bool) -> Row => affine_row, Avx2Half
}

entry! {
    /// One event's network and elementwise map in registers, one register under AVX2 (see
    /// [`event::mlp_map`]).
    mlp_map_event<const H: usize, const P: usize, const B: usize>(
        mlp: &EventMlp<'_, f32, H, P, B>,
        map: EventMap,
        inverse: bool,
        target: &mut [f32; B]
    ) -> Option<f32> => event::mlp_map, Avx2Half
}

entry! {
    /// `out[r] += Σ_i weight[i · ld + r] · x[i]` over lane blocks (see [`dense`]).
    dense_rows(weight: &[f32], ld: usize, x: &[Row], out: &mut [Row]) => dense
}

entry! {
    /// The rational-quadratic spline on one lane block (see [`spline::rational_quadratic`]).
    rational_quadratic(
        s: &Spline,
        value: &mut Row,
        params: &[Row],
        scratch: &mut [Row],
        log_det: &mut Row
    ) => spline::rational_quadratic
}

entry! {
    /// `W_j x + b_j` of every layer `(W_j, b_j)` over lane blocks, into consecutive rows (see
    /// [`dense_bias`]).
    dense_bias_rows(layers: &[(&[f32], &[f32])], x: &[Row], out: &mut [Row]) => dense_bias
}

entry! {
    /// `W_j x + b_j` of every layer `(W_j, b_j)` over lane blocks, the sizes fixed at compile time
    /// (see [`dense_bias_fixed`]).
    dense_bias_fixed_rows<const K: usize, const P: usize, const B: usize>(
        layers: &[(&[[f32; P]; K], &[f32; P]); B],
        x: &[Row; K],
        out: &mut [[Row; P]; B]
    ) => dense_bias_fixed
}

entry! {
    /// The rows of several lane blocks mapped under the parameters of their dense layers, the
    /// log-derivatives added (see [`dense_map`]).
    dense_map_rows(
        layers: &[(&[f32], &[f32])],
        x: &[Row],
        rows: &mut [Row],
        map: EventMap,
        inverse: bool,
        log_det: &mut [Row]
    ) => dense_map
}

entry! {
    /// Marsaglia's polar method over rows of candidate points (see [`polar`]).
    polar_rows(u: &[Row], v: &[Row], out: &mut [f32]) -> usize => polar
}

entry! {
    /// A diagonal affine map of rows (see [`scale_shift`]).
    scale_shift_rows(rows: &mut [Row], scale: &[f32], shift: &[f32]) => scale_shift
}

entry! {
    /// A diagonal affine map of rows, shift first (see [`shift_scale`]).
    shift_scale_rows(rows: &mut [Row], shift: &[f32], scale: &[f32]) => shift_scale
}

entry! {
    /// The rows of every block in reverse order, in place (see [`reverse_blocks`]).
    reverse_rows<const N: usize>(blocks: &mut [[Row; N]]) => reverse_blocks
}

entry! {
    /// The affine transformer's map of every row under its parameters, returning the sum of
    /// its log-scales (see [`affine`]).
    affine_rows(rows: &mut [Row], params: &[[Row; 2]], inverse: bool) -> Row => affine
}

entry! {
    /// One event's masked matrix-vector product (see [`masked::masked_matvec`]).
    masked_matvec(weight: &[f32], starts: &[usize], x: &[f32], out: &mut [f32])
        => masked::masked_matvec
}

entry! {
    /// Its reverse mode (see [`masked::masked_matvec_backward`]).
    masked_matvec_backward(
        weight: &[f32],
        grad: &mut [f32],
        starts: &[usize],
        d_y: &[f32],
        x: &[f32],
        d_x: &mut [f32]
    ) => masked::masked_matvec_backward
}

entry! {
    /// Blocks of interleaved rows times one vector (see [`masked::masked_blocks`]).
    masked_blocks(weights: &[&[f32]], lens: &[usize], x: &[f32], out: &mut [f32])
        => masked::masked_blocks
}

entry! {
    /// Their reverse mode (see [`masked::masked_blocks_backward`]).
    masked_blocks_backward(
        weights: &[&[f32]],
        grads: &mut [&mut [f32]],
        lens: &[usize],
        d_out: &[f32],
        x: &[f32],
        d_x: &mut [f32]
    ) => masked::masked_blocks_backward
}

#[cfg(feature = "std")]
entry! {
    /// Register-only multiply-adds (see [`fma_loop`]); returns the FLOPs done.
    fma_peak(rounds: usize, out: &mut Row) -> usize => fma_loop
}
