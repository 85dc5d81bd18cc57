//! Transposes between events (an array of structures: one vector per event) and lane blocks
//! (a structure of arrays: one row of [`LANES`] values per feature), at the entry and exit of
//! every lane path.
//!
//! With AVX2 the features go eight at a time through an in-register 8 x 8 transpose (eight
//! loads, 24 shuffles and eight stores for 64 values, where the scalar twin makes 64 loads and
//! 64 stores); features past the last whole eight go one at a time.

use nalgebra::{SVector, Scalar};

use super::{LANES, Lanes};

/// The lane block of `events`: `block[k][l]` becomes element `k` of event `l` (the scalar
/// twin).
#[inline]
pub(crate) fn to_lanes_twin<T: Scalar + Copy, const N: usize>(
    events: &[SVector<T, N>; LANES],
    block: &mut [Lanes<T>; N],
) {
    for (l, event) in events.iter().enumerate() {
        for (row, v) in block.iter_mut().zip(event.iter()) {
            row[l] = *v;
        }
    }
}

/// Writes the lane block `block` back into `events` (the scalar twin).
#[inline]
pub(crate) fn from_lanes_twin<T: Scalar + Copy, const N: usize>(
    block: &[Lanes<T>; N],
    events: &mut [SVector<T, N>; LANES],
) {
    for (l, event) in events.iter_mut().enumerate() {
        for (v, row) in event.iter_mut().zip(block.iter()) {
            *v = row[l];
        }
    }
}

/// [`to_lanes_twin`] for `f32`, by 8 x 8 transposes when the CPU has AVX2.
#[inline]
pub(crate) fn to_lanes<const N: usize>(
    events: &[SVector<f32, N>; LANES],
    block: &mut [Lanes<f32>; N],
) {
    #[cfg(target_arch = "x86_64")]
    if N >= 8
        && let Some(isa) = super::x86::Avx2::new()
    {
        // SAFETY: the token exists only when the CPU has AVX2.
        unsafe { avx2::to_lanes(isa, events, block) };
        return;
    }
    to_lanes_twin(events, block);
}

/// [`from_lanes_twin`] for `f32`, by 8 x 8 transposes when the CPU has AVX2.
#[inline]
pub(crate) fn from_lanes<const N: usize>(
    block: &[Lanes<f32>; N],
    events: &mut [SVector<f32, N>; LANES],
) {
    #[cfg(target_arch = "x86_64")]
    if N >= 8
        && let Some(isa) = super::x86::Avx2::new()
    {
        // SAFETY: the token exists only when the CPU has AVX2.
        unsafe { avx2::from_lanes(isa, block, events) };
        return;
    }
    from_lanes_twin(block, events);
}

/// The AVX2 transposes.
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use core::arch::x86_64::*;

    use nalgebra::SVector;

    use super::super::x86::Avx2;
    use super::{LANES, Lanes};

    /// Events per 8 x 8 tile.
    const TILE: usize = 8;

    /// The transpose of the 8 x 8 matrix whose rows are `r`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn transpose(r: [__m256; TILE]) -> [__m256; TILE] {
        let t = [
            _mm256_unpacklo_ps(r[0], r[1]),
            _mm256_unpackhi_ps(r[0], r[1]),
            _mm256_unpacklo_ps(r[2], r[3]),
            _mm256_unpackhi_ps(r[2], r[3]),
            _mm256_unpacklo_ps(r[4], r[5]),
            _mm256_unpackhi_ps(r[4], r[5]),
            _mm256_unpacklo_ps(r[6], r[7]),
            _mm256_unpackhi_ps(r[6], r[7]),
        ];
        let s = [
            _mm256_shuffle_ps::<0x44>(t[0], t[2]),
            _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
            _mm256_shuffle_ps::<0x44>(t[1], t[3]),
            _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
            _mm256_shuffle_ps::<0x44>(t[4], t[6]),
            _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
            _mm256_shuffle_ps::<0x44>(t[5], t[7]),
            _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
        ];
        [
            _mm256_permute2f128_ps::<0x20>(s[0], s[4]),
            _mm256_permute2f128_ps::<0x20>(s[1], s[5]),
            _mm256_permute2f128_ps::<0x20>(s[2], s[6]),
            _mm256_permute2f128_ps::<0x20>(s[3], s[7]),
            _mm256_permute2f128_ps::<0x31>(s[0], s[4]),
            _mm256_permute2f128_ps::<0x31>(s[1], s[5]),
            _mm256_permute2f128_ps::<0x31>(s[2], s[6]),
            _mm256_permute2f128_ps::<0x31>(s[3], s[7]),
        ]
    }

    /// [`to_lanes_twin`](super::to_lanes_twin) by 8 x 8 tiles.
    #[target_feature(enable = "avx2")]
    pub(crate) fn to_lanes<const N: usize>(
        _: Avx2,
        events: &[SVector<f32, N>; LANES],
        block: &mut [Lanes<f32>; N],
    ) {
        let whole = N / TILE * TILE;
        for first in (0..LANES).step_by(TILE) {
            for k in (0..whole).step_by(TILE) {
                let rows: [__m256; TILE] = core::array::from_fn(|i| {
                    let event = events[first + i].as_slice();
                    // SAFETY: `k + TILE <= N`, so the eight values read are inside the event.
                    unsafe { _mm256_loadu_ps(event[k..k + TILE].as_ptr()) }
                });
                for (j, column) in transpose(rows).into_iter().enumerate() {
                    let row = &mut block[k + j][first..first + TILE];
                    // SAFETY: `row` holds the eight values written.
                    unsafe { _mm256_storeu_ps(row.as_mut_ptr(), column) };
                }
            }
        }
        for (l, event) in events.iter().enumerate() {
            for (row, v) in block[whole..].iter_mut().zip(&event.as_slice()[whole..]) {
                row[l] = *v;
            }
        }
    }

    /// [`from_lanes_twin`](super::from_lanes_twin) by 8 x 8 tiles.
    #[target_feature(enable = "avx2")]
    pub(crate) fn from_lanes<const N: usize>(
        _: Avx2,
        block: &[Lanes<f32>; N],
        events: &mut [SVector<f32, N>; LANES],
    ) {
        let whole = N / TILE * TILE;
        for first in (0..LANES).step_by(TILE) {
            for k in (0..whole).step_by(TILE) {
                let rows: [__m256; TILE] = core::array::from_fn(|j| {
                    let row = &block[k + j][first..first + TILE];
                    // SAFETY: `row` holds the eight values read.
                    unsafe { _mm256_loadu_ps(row.as_ptr()) }
                });
                for (i, event) in transpose(rows).into_iter().enumerate() {
                    let out = &mut events[first + i].as_mut_slice()[k..k + TILE];
                    // SAFETY: `out` holds the eight values written.
                    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), event) };
                }
            }
        }
        for (l, event) in events.iter_mut().enumerate() {
            for (v, row) in event.as_mut_slice()[whole..]
                .iter_mut()
                .zip(&block[whole..])
            {
                *v = row[l];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct values, so that any misplaced one shows.
    fn events<const N: usize>() -> [SVector<f32, N>; LANES] {
        core::array::from_fn(|l| SVector::from_fn(|k, _| (l * 1000 + k) as f32 + 0.25))
    }

    /// Checks the twin against the definition, the entry points against the twin (bit for bit)
    /// and the round trip, at `N` features.
    fn check<const N: usize>() {
        let events = events::<N>();
        let mut want = [[0.0; LANES]; N];
        to_lanes_twin(&events, &mut want);
        for (l, event) in events.iter().enumerate() {
            for k in 0..N {
                assert_eq!(
                    want[k][l], event[k],
                    "twin, N = {N}, element {k} of event {l}"
                );
            }
        }
        let mut got = [[f32::NAN; LANES]; N];
        to_lanes(&events, &mut got);
        assert_eq!(got, want, "to_lanes, N = {N}");
        let mut back = [SVector::from_element(f32::NAN); LANES];
        from_lanes(&got, &mut back);
        assert_eq!(back, events, "from_lanes, N = {N}");
        let mut twin_back = [SVector::from_element(f32::NAN); LANES];
        from_lanes_twin(&want, &mut twin_back);
        assert_eq!(twin_back, events, "from_lanes_twin, N = {N}");
    }

    #[test]
    fn the_transposes_match_the_twin_at_every_width() {
        check::<0>();
        check::<1>();
        check::<3>();
        check::<7>();
        check::<8>();
        check::<10>();
        check::<16>();
        check::<17>();
        check::<64>();
    }

    /// The AVX2 tiles themselves (the entry points take them only when the CPU has AVX2).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_tiles_match_the_twin() {
        let Some(isa) = super::super::x86::Avx2::new() else {
            return;
        };
        let events = events::<24>();
        let mut want = [[0.0; LANES]; 24];
        to_lanes_twin(&events, &mut want);
        let mut got = [[f32::NAN; LANES]; 24];
        // SAFETY: the token exists only when the CPU has AVX2.
        unsafe { avx2::to_lanes(isa, &events, &mut got) };
        assert_eq!(got, want);
        let mut back = [SVector::from_element(f32::NAN); LANES];
        // SAFETY: as above.
        unsafe { avx2::from_lanes(isa, &got, &mut back) };
        assert_eq!(back, events);
    }
}
