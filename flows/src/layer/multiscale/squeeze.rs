//! The squeeze of an image: `(C, H, W) -> (4C, H/2, W/2)`.

use nalgebra::SVector;
use rand::Rng;

use crate::gradient::BijectionGradient;
use crate::{Bijection, Parameters, Path, Random, Real};

/// Moves each 2x2 block of pixels into channels: a `(C, H, W)` image becomes `(4C, H/2, W/2)`,
/// the four stride-2 sub-grids stacked in torchflows' order (`x[.., ::2, ::2]`,
/// `x[.., ::2, 1::2]`, `x[.., 1::2, ::2]`, `x[.., 1::2, 1::2]`, each of all `C` channels):
/// output channel `q·C + c` at `(i, j)` is input channel `c` at `(2i + q / 2, 2j + q mod 2)`.
///
/// A permutation: log-det 0, no parameters. `D = C·H·W`; `H` and `W` must be even (checked at
/// compile time, a backstop for `flow!` and the presets, which compute the sizes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Squeeze<const C: usize, const H: usize, const W: usize, const D: usize>;

impl<const C: usize, const H: usize, const W: usize, const D: usize> Squeeze<C, H, W, D> {
    const SHAPE: () = {
        assert!(D == C * H * W, "Squeeze: the event size must be C * H * W");
        assert!(
            H.is_multiple_of(2) && W.is_multiple_of(2),
            "Squeeze: H and W must be even"
        );
    };

    /// The input index of output element `k`.
    #[inline]
    pub const fn source(k: usize) -> usize {
        let (h2, w2) = (H / 2, W / 2);
        let (channel, pixel) = (k / (h2 * w2), k % (h2 * w2));
        let (q, c) = (channel / C, channel % C);
        let (i, j) = (pixel / w2, pixel % w2);
        c * H * W + (2 * i + q / 2) * W + 2 * j + q % 2
    }

    /// `out[k] = x[source(k)]` (squeeze) or `out[source(k)] = x[k]` (unsqueeze).
    #[inline]
    fn permute<T: Real>(x: &SVector<T, D>, squeeze: bool) -> SVector<T, D> {
        let () = Self::SHAPE;
        let mut out = SVector::<T, D>::zeros();
        for k in 0..D {
            let s = Self::source(k);
            if squeeze {
                out[k] = x[s];
            } else {
                out[s] = x[k];
            }
        }
        out
    }
}

impl<T: Real, const C: usize, const H: usize, const W: usize, const D: usize, const X: usize>
    Bijection<T, D, X> for Squeeze<C, H, W, D>
{
    #[inline]
    fn forward(&self, x: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        (Self::permute(x, true), T::zero())
    }

    #[inline]
    fn inverse(&self, z: &SVector<T, D>, _context: &SVector<T, X>) -> (SVector<T, D>, T) {
        (Self::permute(z, false), T::zero())
    }
}

/// The gradient of a permutation is the upstream gradient permuted back.
impl<T: Real, const C: usize, const H: usize, const W: usize, const D: usize, const X: usize>
    BijectionGradient<T, D, X> for Squeeze<C, H, W, D>
{
    #[inline]
    fn backward_forward(
        &self,
        _x: &SVector<T, D>,
        _context: &SVector<T, X>,
        d_z: &SVector<T, D>,
        _d_log_det: T,
        _grad: &mut Self,
        _d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        Self::permute(d_z, false)
    }

    #[inline]
    fn backward_inverse(
        &self,
        _z: &SVector<T, D>,
        _context: &SVector<T, X>,
        d_x: &SVector<T, D>,
        _d_log_det: T,
        _grad: &mut Self,
        _d_context: &mut SVector<T, X>,
    ) -> SVector<T, D> {
        Self::permute(d_x, true)
    }
}

impl<T: Real, const C: usize, const H: usize, const W: usize, const D: usize> Parameters<T>
    for Squeeze<C, H, W, D>
{
    const COUNT: usize = 0;
    fn visit(&self, _path: &Path<'_>, _f: &mut dyn FnMut(&Path<'_>, &[T])) {}
    fn visit_mut(&mut self, _path: &Path<'_>, _f: &mut dyn FnMut(&Path<'_>, &mut [T])) {}
}

impl<const C: usize, const H: usize, const W: usize, const D: usize> Random
    for Squeeze<C, H, W, D>
{
    fn random<R: Rng + ?Sized>(_rng: &mut R) -> Self {
        Self
    }
}
