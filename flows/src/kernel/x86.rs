//! The x86-64 vector sets: AVX-512F (one register per lane block) and AVX2 with FMA (two, or
//! one on half a block).
//!
//! Each set is a token that can only be made when the CPU supports it ([`Avx512::new`],
//! [`Avx2::new`]): that is the invariant every `unsafe` block here relies on.

use core::arch::x86_64::*;

use super::LANES;
use super::isa::{Isa, Row, SQRT_HALF_BITS};

/// [`SQRT_HALF_BITS`] as an `i32` lane.
const SQRT_HALF: i32 = SQRT_HALF_BITS as i32;

/// AVX-512F, proven present by construction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

/// AVX2 and FMA, proven present by construction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

/// [`Avx2`] on the first half of every lane block only, one register: for the values of one
/// event, where a whole block would be mostly padding (the rest of a row is left as it is).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2Half(());

impl Avx512 {
    /// The token, when the CPU has AVX-512F (at run time under `std`, else when the build
    /// targets it).
    #[inline]
    pub(crate) fn new() -> Option<Self> {
        #[cfg(feature = "std")]
        let present = std::arch::is_x86_feature_detected!("avx512f");
        #[cfg(not(feature = "std"))]
        let present = cfg!(target_feature = "avx512f");
        present.then_some(Self(()))
    }
}

impl Avx2 {
    /// The token, when the CPU has AVX2 and FMA (at run time under `std`, else when the build
    /// targets them).
    #[inline]
    pub(crate) fn new() -> Option<Self> {
        #[cfg(feature = "std")]
        let present = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma");
        #[cfg(not(feature = "std"))]
        let present = cfg!(all(target_feature = "avx2", target_feature = "fma"));
        present.then_some(Self(()))
    }
}

impl Avx2Half {
    /// The token, when the CPU has AVX2 and FMA (see [`Avx2::new`]).
    #[inline]
    pub(crate) fn new() -> Option<Self> {
        Avx2::new().map(|_| Self(()))
    }
}

/// Implements an operation of the token `$isa` by the intrinsic expression `$body`.
macro_rules! op {
    ($(#[$doc:meta])* $name:ident($($a:ident: $t:ty),*) -> $r:ty = $body:expr) => {
        $(#[$doc])*
        #[inline(always)]
        fn $name(self, $($a: $t),*) -> $r {
            // SAFETY: the token exists only when the CPU has this instruction set (see `new`),
            // and every pointer comes from a reference to a whole row.
            unsafe { $body }
        }
    };
}

impl Isa for Avx512 {
    type V = __m512;
    type M = __mmask16;
    /// 16 of the 32 `zmm` registers.
    const BLOCK: usize = 16;
    op!(load(x: &Row) -> __m512 = _mm512_loadu_ps(x.as_ptr()));
    op!(store(v: __m512, out: &mut Row) -> () = _mm512_storeu_ps(out.as_mut_ptr(), v));
    op!(splat(x: f32) -> __m512 = _mm512_set1_ps(x));
    op!(add(a: __m512, b: __m512) -> __m512 = _mm512_add_ps(a, b));
    op!(sub(a: __m512, b: __m512) -> __m512 = _mm512_sub_ps(a, b));
    op!(mul(a: __m512, b: __m512) -> __m512 = _mm512_mul_ps(a, b));
    op!(div(a: __m512, b: __m512) -> __m512 = _mm512_div_ps(a, b));
    op!(recip(a: __m512) -> __m512 = _mm512_rcp14_ps(a));
    op!(fma(a: __m512, b: __m512, c: __m512) -> __m512 = _mm512_fmadd_ps(a, b, c));
    op!(sqrt(a: __m512) -> __m512 = _mm512_sqrt_ps(a));
    op!(min(a: __m512, b: __m512) -> __m512 = _mm512_min_ps(a, b));
    op!(max(a: __m512, b: __m512) -> __m512 = _mm512_max_ps(a, b));
    op!(abs(a: __m512) -> __m512 = _mm512_castsi512_ps(_mm512_and_si512(
        _mm512_castps_si512(a),
        _mm512_set1_epi32(0x7FFF_FFFF)
    )));
    op!(shift_to_exponent(a: __m512) -> __m512 =
        _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_castps_si512(a))));
    op!(flip_sign(a: __m512, s: __m512) -> __m512 = _mm512_castsi512_ps(_mm512_xor_si512(
        _mm512_castps_si512(a),
        _mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32(i32::MIN))
    )));
    op!(split_exponent(a: __m512) -> (__m512, __m512) = {
        let offset = _mm512_sub_epi32(_mm512_castps_si512(a), _mm512_set1_epi32(SQRT_HALF));
        let m = _mm512_add_epi32(
            _mm512_and_si512(offset, _mm512_set1_epi32(0x007F_FFFF)),
            _mm512_set1_epi32(SQRT_HALF),
        );
        (_mm512_cvtepi32_ps(_mm512_srai_epi32::<23>(offset)), _mm512_castsi512_ps(m))
    });
    op!(lt(a: __m512, b: __m512) -> __mmask16 = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b));
    op!(eq(a: __m512, b: __m512) -> __mmask16 = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(a, b));
    op!(is_nan(a: __m512) -> __mmask16 = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a));
    #[inline(always)]
    fn or(self, either: __mmask16, or: __mmask16) -> __mmask16 {
        either | or
    }
    op!(select(mask: __mmask16, then: __m512, otherwise: __m512) -> __m512 =
        _mm512_mask_blend_ps(mask, otherwise, then));
    #[inline(always)]
    fn any(self, mask: __mmask16) -> bool {
        mask != 0
    }
    /// The kept lanes of each compressed to the front (`vcompressps`), then interleaved.
    #[inline(always)]
    fn pack_pairs(self, keep: __mmask16, a: __m512, b: __m512, out: &mut [f32]) -> usize {
        let Some(out) = out.first_chunk_mut::<{ 2 * LANES }>() else {
            return 0;
        };
        // SAFETY: the token exists only when the CPU has AVX-512F, and `out` holds the 32
        // values the two stores write.
        unsafe {
            let (a, b) = (
                _mm512_maskz_compress_ps(keep, a),
                _mm512_maskz_compress_ps(keep, b),
            );
            let low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
            let high =
                _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
            _mm512_storeu_ps(out.as_mut_ptr(), _mm512_permutex2var_ps(a, low, b));
            _mm512_storeu_ps(
                out.as_mut_ptr().add(LANES),
                _mm512_permutex2var_ps(a, high, b),
            );
        }
        keep.count_ones() as usize
    }
}

/// Applies the AVX2 expression `$body` to both halves of the lane blocks (`||`: a value for
/// both).
macro_rules! halves {
    (|| $body:expr) => {
        [$body; 2]
    };
    (|$($a:ident),+| $body:expr) => {
        [
            { $(let $a = $a[0];)+ $body },
            { $(let $a = $a[1];)+ $body },
        ]
    };
}

/// The AVX2 expression `$body` on one register (what [`halves`] does to each half).
macro_rules! single {
    (|$($a:ident),+| $body:expr) => {
        $body
    };
    (|| $body:expr) => {
        $body
    };
}

/// The operations of an AVX2 set whose blocks are `$v` (one `__m256` or two), each intrinsic
/// expression applied by `$each` ([`halves`] or [`single`]): every operation but `load`,
/// `store` and the block size.
macro_rules! avx2_ops {
    ($v:ty, $each:ident) => {
        op!(splat(x: f32) -> $v = $each!(|| _mm256_set1_ps(x)));
        op!(add(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_add_ps(a, b)));
        op!(sub(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_sub_ps(a, b)));
        op!(mul(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_mul_ps(a, b)));
        op!(div(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_div_ps(a, b)));
        op!(recip(a: $v) -> $v = $each!(|a| _mm256_rcp_ps(a)));
        op!(fma(a: $v, b: $v, c: $v) -> $v = $each!(|a, b, c| _mm256_fmadd_ps(a, b, c)));
        op!(sqrt(a: $v) -> $v = $each!(|a| _mm256_sqrt_ps(a)));
        op!(min(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_min_ps(a, b)));
        op!(max(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_max_ps(a, b)));
        op!(abs(a: $v) -> $v = $each!(|a| _mm256_castsi256_ps(_mm256_and_si256(
            _mm256_castps_si256(a),
            _mm256_set1_epi32(0x7FFF_FFFF)
        ))));
        op!(shift_to_exponent(a: $v) -> $v = $each!(|a| _mm256_castsi256_ps(
            _mm256_slli_epi32::<23>(_mm256_castps_si256(a))
        )));
        op!(flip_sign(a: $v, s: $v) -> $v =
            $each!(|a, s| _mm256_xor_ps(a, _mm256_and_ps(s, _mm256_set1_ps(-0.0)))));
        op!(split_exponent(a: $v) -> ($v, $v) = {
            let offset = $each!(|a| _mm256_sub_epi32(
                _mm256_castps_si256(a),
                _mm256_set1_epi32(SQRT_HALF)
            ));
            let e = $each!(|offset| _mm256_cvtepi32_ps(_mm256_srai_epi32::<23>(offset)));
            let m = $each!(|offset| _mm256_castsi256_ps(_mm256_add_epi32(
                _mm256_and_si256(offset, _mm256_set1_epi32(0x007F_FFFF)),
                _mm256_set1_epi32(SQRT_HALF)
            )));
            (e, m)
        });
        op!(lt(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_cmp_ps::<_CMP_LT_OQ>(a, b)));
        op!(eq(a: $v, b: $v) -> $v = $each!(|a, b| _mm256_cmp_ps::<_CMP_EQ_OQ>(a, b)));
        op!(is_nan(a: $v) -> $v = $each!(|a| _mm256_cmp_ps::<_CMP_UNORD_Q>(a, a)));
        op!(or(either: $v, or: $v) -> $v = $each!(|either, or| _mm256_or_ps(either, or)));
        op!(select(mask: $v, then: $v, otherwise: $v) -> $v =
            $each!(|mask, then, otherwise| _mm256_blendv_ps(otherwise, then, mask)));
    };
}

const HALF: usize = LANES / 2;

impl Isa for Avx2 {
    type V = [__m256; 2];
    type M = [__m256; 2];
    /// 12 of the 16 `ymm` registers (8 rows would need 19 with the input row and a broadcast).
    const BLOCK: usize = 6;
    op!(load(x: &Row) -> [__m256; 2] =
        [_mm256_loadu_ps(x.as_ptr()), _mm256_loadu_ps(x.as_ptr().add(HALF))]);
    op!(store(v: [__m256; 2], out: &mut Row) -> () = {
        _mm256_storeu_ps(out.as_mut_ptr(), v[0]);
        _mm256_storeu_ps(out.as_mut_ptr().add(HALF), v[1]);
    });
    avx2_ops!([__m256; 2], halves);
    op!(any(mask: [__m256; 2]) -> bool =
        _mm256_movemask_ps(_mm256_or_ps(mask[0], mask[1])) != 0);
}

impl Isa for Avx2Half {
    type V = __m256;
    type M = __m256;
    /// 8 of the 16 `ymm` registers.
    const BLOCK: usize = 8;
    op!(
        /// The first half of the row.
        load(x: &Row) -> __m256 = _mm256_loadu_ps(x.as_ptr()));
    op!(
        /// Into the first half of the row; the second is left as it is.
        store(v: __m256, out: &mut Row) -> () = _mm256_storeu_ps(out.as_mut_ptr(), v));
    avx2_ops!(__m256, single);
    op!(any(mask: __m256) -> bool = _mm256_movemask_ps(mask) != 0);
}
