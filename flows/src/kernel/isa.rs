//! The instruction sets the kernels are written over: operations on a block of [`LANES`] `f32`
//! lanes, and the portable scalar twin every vector set is tested against.
//!
//! A kernel is written once, generic over [`Isa`]; each vector set is a token type that exists
//! only when the CPU supports it, so its operations are safe to call, and a kernel runs at full
//! speed when it is instantiated inside a function compiled for that set (see
//! [`dispatch`](super::dispatch)).

use super::LANES;

/// One lane block of `f32` values, in memory.
pub(crate) type Row = [f32; LANES];

/// Operations on [`LANES`] `f32` lanes at once. Comparisons are ordered (false when a lane is
/// NaN); `min` and `max` return the second operand when either is NaN (x86's rule).
pub(crate) trait Isa: Copy {
    /// A lane block in registers.
    type V: Copy;
    /// A lane mask.
    type M: Copy;
    /// Lane blocks that fit the vector registers with room to spare for one more block and a
    /// broadcast value: the dense kernel's largest register block of rows (8, 6 or 16 by
    /// [`largest_block`](super::dense::largest_block)'s rule).
    const BLOCK: usize;
    /// Loads a row.
    fn load(self, x: &Row) -> Self::V;
    /// Stores a row.
    fn store(self, v: Self::V, out: &mut Row);
    /// Every lane `x`.
    fn splat(self, x: f32) -> Self::V;
    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a − b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a / b`.
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `1 / a` to within `1.5 · 2^-12` relatively, for normal results: the set's estimate (exact
    /// in the scalar twin).
    fn recip(self, a: Self::V) -> Self::V;
    /// `a · b + c` (fused where the set has it).
    fn fma(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `√a`, correctly rounded (NaN for `a < 0`).
    fn sqrt(self, a: Self::V) -> Self::V;
    /// The lane-wise minimum (`b` when either is NaN).
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    /// The lane-wise maximum (`b` when either is NaN).
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    /// `|a|` (clears the sign bit).
    fn abs(self, a: Self::V) -> Self::V;
    /// The bits of `a` shifted left by 23, into the exponent field: `2^(k − 127)` when
    /// `a = 1.5 · 2²³ + k` for an integer `k` in `[1, 254]`.
    fn shift_to_exponent(self, a: Self::V) -> Self::V;
    /// `a` with its sign flipped where `s` has its sign bit set.
    fn flip_sign(self, a: Self::V, s: Self::V) -> Self::V;
    /// For a positive normal `a`: `(e, m)` with `a = m · 2^e`, `m` in `[√½, √2)`.
    fn split_exponent(self, a: Self::V) -> (Self::V, Self::V);
    /// `a < b`.
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    /// `a == b`.
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    /// Lanes where `a` is NaN.
    fn is_nan(self, a: Self::V) -> Self::M;
    /// `either | or`.
    fn or(self, either: Self::M, or: Self::M) -> Self::M;
    /// `then` where `mask` is set, else `otherwise`.
    fn select(self, mask: Self::M, then: Self::V, otherwise: Self::V) -> Self::V;
    /// Whether any lane of `mask` is set.
    fn any(self, mask: Self::M) -> bool;
    /// Writes the lanes of `a` and `b` where `keep` is set to the front of `out`, in lane order,
    /// each lane's two values side by side (`a_l, b_l`), and returns how many lanes were kept;
    /// the rest of the first `2 · LANES` values of `out` may be overwritten. Writes nothing and
    /// returns 0 unless `out` holds `2 · LANES` values.
    #[inline(always)]
    fn pack_pairs(self, keep: Self::M, a: Self::V, b: Self::V, out: &mut [f32]) -> usize {
        let Some(out) = out.first_chunk_mut::<{ 2 * LANES }>() else {
            return 0;
        };
        let (mut first, mut second, mut kept) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
        self.store(a, &mut first);
        self.store(b, &mut second);
        self.store(
            self.select(keep, self.splat(1.0), self.splat(0.0)),
            &mut kept,
        );
        let mut count = 0;
        for ((&a, &b), &k) in first.iter().zip(&second).zip(&kept) {
            // `count <= l < LANES`: in bounds.
            if let Some(pair) = out.get_mut(2 * count..2 * count + 2) {
                pair.copy_from_slice(&[a, b]);
            }
            count += usize::from(k != 0.0);
        }
        count
    }
}

/// The bits of `√½` in `f32`, where [`Isa::split_exponent`]'s mantissas begin.
pub(crate) const SQRT_HALF_BITS: u32 = 0x3F35_04F3;

/// The portable scalar twin: every operation one lane at a time, in plain Rust (`a · b + c`
/// unfused). Runs everywhere; the tests compare every vector set against it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scalar;

/// Applies `f` to every lane of the arguments.
macro_rules! lanes {
    (|$($a:ident),+| $body:expr) => {
        core::array::from_fn(|l| { $(let $a = $a[l];)+ $body })
    };
}

impl Isa for Scalar {
    type V = Row;
    type M = [bool; LANES];
    const BLOCK: usize = 8;
    #[inline(always)]
    fn load(self, x: &Row) -> Row {
        *x
    }
    #[inline(always)]
    fn store(self, v: Row, out: &mut Row) {
        *out = v;
    }
    #[inline(always)]
    fn splat(self, x: f32) -> Row {
        [x; LANES]
    }
    #[inline(always)]
    fn add(self, a: Row, b: Row) -> Row {
        lanes!(|a, b| a + b)
    }
    #[inline(always)]
    fn sub(self, a: Row, b: Row) -> Row {
        lanes!(|a, b| a - b)
    }
    #[inline(always)]
    fn mul(self, a: Row, b: Row) -> Row {
        lanes!(|a, b| a * b)
    }
    #[inline(always)]
    fn div(self, a: Row, b: Row) -> Row {
        lanes!(|a, b| a / b)
    }
    #[inline(always)]
    fn recip(self, a: Row) -> Row {
        lanes!(|a| 1.0 / a)
    }
    #[inline(always)]
    fn fma(self, a: Row, b: Row, c: Row) -> Row {
        lanes!(|a, b, c| a * b + c)
    }
    #[inline(always)]
    fn sqrt(self, a: Row) -> Row {
        lanes!(|a| libm::sqrtf(a))
    }
    #[inline(always)]
    fn min(self, a: Row, b: Row) -> Row {
        lanes!(|a, b| if a < b { a } else { b })
    }
    #[inline(always)]
    fn max(self, a: Row, b: Row) -> Row {
        lanes!(|a, b| if a > b { a } else { b })
    }
    #[inline(always)]
    fn abs(self, a: Row) -> Row {
        lanes!(|a| f32::from_bits(a.to_bits() & 0x7FFF_FFFF))
    }
    #[inline(always)]
    fn shift_to_exponent(self, a: Row) -> Row {
        lanes!(|a| f32::from_bits(a.to_bits() << 23))
    }
    #[inline(always)]
    fn flip_sign(self, a: Row, s: Row) -> Row {
        lanes!(|a, s| f32::from_bits(a.to_bits() ^ (s.to_bits() & 0x8000_0000)))
    }
    #[inline(always)]
    fn split_exponent(self, a: Row) -> (Row, Row) {
        // The bits of a less those of √½: the exponent above it, and the mantissa's offset.
        let offset = |a: f32| a.to_bits().wrapping_sub(SQRT_HALF_BITS) as i32;
        (
            lanes!(|a| (offset(a) >> 23) as f32),
            lanes!(|a| f32::from_bits((offset(a) as u32 & 0x007F_FFFF) + SQRT_HALF_BITS)),
        )
    }
    #[inline(always)]
    fn lt(self, a: Row, b: Row) -> [bool; LANES] {
        lanes!(|a, b| a < b)
    }
    #[inline(always)]
    fn eq(self, a: Row, b: Row) -> [bool; LANES] {
        lanes!(|a, b| a == b)
    }
    #[inline(always)]
    fn is_nan(self, a: Row) -> [bool; LANES] {
        lanes!(|a| a.is_nan())
    }
    #[inline(always)]
    fn or(self, either: [bool; LANES], or: [bool; LANES]) -> [bool; LANES] {
        lanes!(|either, or| either | or)
    }
    #[inline(always)]
    fn select(self, mask: [bool; LANES], then: Row, otherwise: Row) -> Row {
        lanes!(|mask, then, otherwise| if mask { then } else { otherwise })
    }
    #[inline(always)]
    fn any(self, mask: [bool; LANES]) -> bool {
        mask.iter().any(|&m| m)
    }
}
