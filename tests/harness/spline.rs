//! Edge cases every spline transformer's tests share: the spline passes through its knots, and
//! maps back exactly at and around them.

use flows::nalgebra::SVector;
use flows::transformer::{LinearRational, RationalQuadratic, Transformer};

/// A spline whose knots can be read.
pub trait Knots<const P: usize>: Transformer<f64, P> {
    /// Knot `i` under raw parameters `h`: `(x_i, y_i, derivative)`; `None` past the last.
    fn knot(&self, h: &SVector<f64, P>, i: usize) -> Option<(f64, f64, f64)>;
}

/// Implements [`Knots`] through the splines' own `knot` methods.
macro_rules! knots {
    ($($spline:ident),*) => {$(
        impl<const K: usize, const P: usize> Knots<P> for $spline<K> {
            fn knot(&self, h: &SVector<f64, P>, i: usize) -> Option<(f64, f64, f64)> {
                $spline::knot(self, h, i)
            }
        }
    )*};
}

knots!(RationalQuadratic, LinearRational);

/// Offsets around a point at which the round trip is checked: from a thousandth to on it.
pub const OFFSETS: [f64; 7] = [-1e-3, -1e-7, -1e-12, 0.0, 1e-12, 1e-7, 1e-3];

/// Checks that `spline` under `h` passes through each of its knots, `f(x_i) = y_i` within 1e-12
/// and `f⁻¹(y_i) = x_i` within 1e-10 (relative), and returns the knots' positions `x_i`.
pub fn check_on_knots<S: Knots<P>, const P: usize>(spline: &S, h: &SVector<f64, P>) -> Vec<f64> {
    let mut positions = Vec::new();
    while let Some((x, y, _)) = spline.knot(h, positions.len()) {
        let i = positions.len();
        let (fy, _) = spline.forward(x, h);
        assert!(
            (fy - y).abs() <= 1e-12 * (1.0 + y.abs()),
            "knot {i}: f({x}) = {fy}, not {y}"
        );
        let (fx, _) = spline.inverse(y, h);
        assert!(
            (fx - x).abs() <= 1e-10 * (1.0 + x.abs()),
            "knot {i}: inverse({y}) = {fx}, not {x}"
        );
        positions.push(x);
    }
    assert!(positions.len() >= 2, "a spline has at least two knots");
    positions
}

/// Checks the round trip `x -> f(x) -> x` at `point + offset` for every point and offset: within
/// 1e-10 (relative) plus the rounding of `f(x)` magnified by the inverse's slope.
pub fn check_round_trips_around<S: Transformer<f64, P>, const P: usize>(
    spline: &S,
    h: &SVector<f64, P>,
    points: &[f64],
    offsets: &[f64],
) {
    for &point in points {
        for &offset in offsets {
            let at = point + offset;
            let (y, log_det) = spline.forward(at, h);
            let (back, _) = spline.inverse(y, h);
            let rounding = 4.0 * f64::EPSILON * (1.0 + y.abs()) / log_det.exp();
            assert!(
                (back - at).abs() <= 1e-10 * (1.0 + at.abs()) + rounding,
                "round trip at {point} + {offset:e}: error {:e}, h = {h:?}",
                back - at
            );
        }
    }
}
