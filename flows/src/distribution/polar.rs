//! Standard normal variates in bulk by Marsaglia's polar method, over lane rows.
//!
//! A candidate is a point `(u, v)` uniform on the square `[−1, 1)²`; it is kept when
//! `0 < s = u² + v² < 1` (a fraction `π/4`), and then `u f` and `v f` with
//! `f = sqrt(−2 ln s / s)` are two independent standard normal variates. Candidates are drawn
//! [`ROWS`] lane rows at a time, the factors of all of them computed over whole rows (the
//! logarithms by the lane kernel, [`Kernels::ln_lanes`](crate::kernel::Kernels)) and the
//! variates of the kept ones packed to the front without branches, where
//! the scalar ziggurat's table lookups and rejections do not vectorize (batch sampling is timed
//! by `cargo bench --bench batch`). The draws are the same for the same generator state, on
//! every target.

use rand::Rng;

use crate::Real;
use crate::batch::LANES;

/// Lane rows of candidate points drawn at a time.
const ROWS: usize = 8;

/// A coordinate uniform on `[−1, 1)` from the `bits` low bits of `word` (a multiple of
/// `2^{1−bits}`).
#[inline(always)]
fn coordinate<T: Real>(word: u64, bits: u32) -> T {
    let scale = 2.0 / (1u64 << bits) as f64;
    T::lit((word & ((1u64 << bits) - 1)) as f64 * scale - 1.0)
}

/// A coordinate uniform on `[−1, 1)` from a 24-bit `field`, computed in `f32` (where every step
/// is exact, so it is [`coordinate`]'s value for 24 bits).
#[inline(always)]
fn coordinate24<T: Real>(field: u64) -> T {
    let field = (field & 0xFF_FFFF) as u32 as f32;
    T::lit(f64::from(field * (2.0 / 16_777_216.0) - 1.0))
}

/// Fills the coordinates `u` and `v` of [`CANDIDATES`] points from `rng`: a 32-bit type takes
/// 24 bits per coordinate (its precision), the eight of four points from three 64-bit words (the
/// words drawn first, then turned into coordinates by a loop the compiler vectorizes for the
/// CPU's set); a wider type takes one word per coordinate (53 bits).
#[inline(always)]
fn candidates<T: Real, R: Rng + ?Sized>(rng: &mut R, u: &mut Rows<T>, v: &mut Rows<T>) {
    let (u, v) = (u.as_flattened_mut(), v.as_flattened_mut());
    if core::mem::size_of::<T>() <= 4 {
        let mut words = [0u64; 3 * CANDIDATES / 4];
        words.iter_mut().for_each(|w| *w = rng.next_u64());
        let convert = || {
            for ((u, v), w) in u
                .chunks_exact_mut(4)
                .zip(v.chunks_exact_mut(4))
                .zip(words.chunks_exact(3))
            {
                let (a, b, c) = (w[0], w[1], w[2]);
                let fields = [
                    a >> 40,
                    a >> 16,
                    (a << 8) | (b >> 56),
                    b >> 32,
                    b >> 8,
                    (b << 16) | (c >> 48),
                    c >> 24,
                    c,
                ];
                for (k, (u, v)) in u.iter_mut().zip(v.iter_mut()).enumerate() {
                    *u = coordinate24(fields[2 * k]);
                    *v = coordinate24(fields[2 * k + 1]);
                }
            }
        };
        crate::kernel::vectorized(convert);
    } else {
        for (u, v) in u.iter_mut().zip(v.iter_mut()) {
            let (a, b) = (rng.next_u64(), rng.next_u64());
            (*u, *v) = (coordinate(a >> 11, 53), coordinate(b >> 11, 53));
        }
    }
}

/// Candidate points drawn at a time.
const CANDIDATES: usize = ROWS * LANES;

/// One coordinate of the candidate points drawn at a time, as lane rows.
type Rows<T> = [[T; LANES]; ROWS];

/// A source of standard normal variates: the variates of the last [`ROWS`] rows of candidates
/// not yet handed out.
pub(crate) struct Normals<T> {
    values: [T; 2 * CANDIDATES],
    next: usize,
    end: usize,
}

impl<T: Real> Normals<T> {
    /// An empty source.
    pub(crate) fn new() -> Self {
        Self {
            values: [T::zero(); 2 * CANDIDATES],
            next: 0,
            end: 0,
        }
    }

    /// Sets every value of `out` to an independent standard normal variate, drawing from `rng`
    /// as needed.
    #[inline]
    pub(crate) fn fill<R: Rng + ?Sized>(&mut self, rng: &mut R, out: &mut [T]) {
        let mut rest = out;
        while !rest.is_empty() {
            if self.next >= self.end {
                self.refill(rng);
            }
            let ready = self.values.get(self.next..self.end).unwrap_or_default();
            let (now, later) = rest.split_at_mut(rest.len().min(ready.len()));
            now.copy_from_slice(&ready[..now.len()]);
            self.next += now.len();
            rest = later;
        }
    }

    /// Draws [`CANDIDATES`] points and keeps the variates of those inside the unit disc, in
    /// order, a point's two variates side by side, by the lane kernel
    /// ([`Kernels::polar_lanes`](crate::kernel::Kernels::polar_lanes)).
    fn refill<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let zero = [T::zero(); LANES];
        let (mut u, mut v): (Rows<T>, Rows<T>) = ([zero; ROWS], [zero; ROWS]);
        candidates(rng, &mut u, &mut v);
        let kept = T::polar_lanes(&u, &v, &mut self.values);
        self.next = 0;
        self.end = 2 * kept;
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    use super::Normals;

    /// `n` variates from seed `seed`, handed out in pieces of `piece` values.
    fn draws<T: crate::Real>(seed: u64, n: usize, piece: usize) -> std::vec::Vec<T> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut normals = Normals::new();
        let mut out = std::vec![T::zero(); n];
        for chunk in out.chunks_mut(piece) {
            normals.fill(&mut rng, chunk);
        }
        out
    }

    /// The empirical moments and the fractions below a few quantiles are those of `N(0, 1)`
    /// within a few standard errors.
    fn check_standard_normal(values: &[f64]) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let second = values.iter().map(|z| z * z).sum::<f64>() / n;
        let fourth = values.iter().map(|z| z.powi(4)).sum::<f64>() / n;
        assert!(mean.abs() < 4.0 / n.sqrt(), "mean {mean}");
        assert!(
            (second - 1.0).abs() < 4.0 * 2f64.sqrt() / n.sqrt(),
            "variance {second}"
        );
        assert!(
            (fourth - 3.0).abs() < 4.0 * 96f64.sqrt() / n.sqrt(),
            "fourth {fourth}"
        );
        // Φ(−2), Φ(−1), Φ(0), Φ(0.5), Φ(1.5), Φ(3).
        for (x, cdf) in [
            (-2.0, 0.022_750_131_948_179),
            (-1.0, 0.158_655_253_931_457),
            (0.0, 0.5),
            (0.5, 0.691_462_461_274_013),
            (1.5, 0.933_192_798_731_142),
            (3.0, 0.998_650_101_968_370),
        ] {
            let below = values.iter().filter(|&&z| z < x).count() as f64 / n;
            let error = 4.0 * (cdf * (1.0 - cdf) / n).sqrt();
            assert!(
                (below - cdf).abs() < error,
                "P(z < {x}) = {below}, not {cdf}"
            );
        }
    }

    #[test]
    fn variates_are_standard_normal() {
        check_standard_normal(&draws::<f64>(1, 400_000, 64));
        let single: std::vec::Vec<f64> = draws::<f32>(2, 400_000, 10)
            .into_iter()
            .map(f64::from)
            .collect();
        check_standard_normal(&single);
    }

    /// Consecutive variates are uncorrelated (the two of a point, and across points).
    #[test]
    fn variates_are_uncorrelated() {
        let values = draws::<f64>(3, 200_001, 64);
        let n = (values.len() - 1) as f64;
        let lag = values.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / n;
        assert!(lag.abs() < 4.0 / n.sqrt(), "lag-1 correlation {lag}");
    }

    /// The same seed gives the same variates however they are handed out.
    #[test]
    fn deterministic_in_any_pieces() {
        let whole = draws::<f64>(4, 1000, 1000);
        assert_eq!(whole, draws::<f64>(4, 1000, 7));
        assert_eq!(whole, draws::<f64>(4, 1000, 1));
        assert_ne!(whole, draws::<f64>(5, 1000, 1000));
        assert!(whole.iter().all(|z| z.is_finite()));
    }
}
