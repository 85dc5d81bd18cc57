//! The rational-quadratic spline over lane blocks.
//!
//! In `f32` the whole map of a row runs as one vector kernel
//! ([`rational_quadratic`](crate::kernel::rational_quadratic)). In `f64` the transcendental
//! functions of 16 events at once run on the lane kernels: the two softmaxes of the bins (`2K`
//! exponentials), the softplus of the two knot derivatives a value needs and the three logarithms
//! of its log-derivative. The knot search and the rational function, a few multiply-adds per bin,
//! run lane by lane through the per-event code, so both paths compute the same values in the same
//! order (in `f64` they agree to rounding).

use super::knots::{Bin, Scheme, clamp_unit};
use super::rational_quadratic::{eval_terms, log_derivative, solve};
use core::any::Any;

use crate::Real;
use crate::batch::{Block, LANES};
use crate::kernel::{Lanes, Spline, rational_quadratic};

/// Which map of the spline to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    /// Input to output, adding `log dy/dx`.
    Forward,
    /// Output to input, adding `log dx/dy`.
    Inverse,
}

/// `softmax` of every lane over the `K` rows, in place, with the per-event order of operations
/// (the largest logit subtracted first).
fn softmax_rows<T: Real, const K: usize>(rows: &mut [Lanes<T>; K]) {
    let mut max = rows.first().copied().unwrap_or([T::zero(); LANES]);
    for row in rows.iter() {
        for (m, &u) in max.iter_mut().zip(row) {
            if u > *m {
                *m = u;
            }
        }
    }
    for row in rows.iter_mut() {
        for (u, m) in row.iter_mut().zip(&max) {
            *u -= *m;
        }
    }
    T::exp_lanes(rows);
    let mut sum = [T::zero(); LANES];
    for row in rows.iter() {
        for (s, &u) in sum.iter_mut().zip(row) {
            *s += u;
        }
    }
    for row in rows.iter_mut() {
        for (u, s) in row.iter_mut().zip(&sum) {
            *u /= *s;
        }
    }
}

/// The bins of 16 events in structure of arrays: the per-event [`Bin`]s of one row.
struct Bins<T> {
    /// The bin's index, as a value of `T` (exact: `K < 1000`) so that selecting it vectorizes.
    k: Lanes<T>,
    x0: Lanes<T>,
    width: Lanes<T>,
    y0: Lanes<T>,
    height: Lanes<T>,
}

impl<T: Real> Bins<T> {
    /// The bin of each lane's `v` (an input, or an output if `by_output`) among the knots of the
    /// softmax weights `px`, `py`: [`Knots::bin_of`](super::knots::Knots::bin_of) lane-wise,
    /// with the same operations.
    fn locate<const K: usize>(
        scheme: &Scheme<T>,
        b: T,
        px: &[Lanes<T>; K],
        py: &[Lanes<T>; K],
        v: &Lanes<T>,
        by_output: bool,
    ) -> Self {
        let two_b = b + b;
        let mut bins = Self {
            k: [T::zero(); LANES],
            x0: [-b; LANES],
            width: [two_b; LANES],
            y0: [-b; LANES],
            height: [two_b; LANES],
        };
        let spread = T::one() - T::lit(K as f64) * scheme.min_bin;
        let (mut cx, mut cy) = ([T::zero(); LANES], [T::zero(); LANES]);
        for (j, (px, py)) in px.iter().zip(py).enumerate() {
            let left_x: Lanes<T> = core::array::from_fn(|l| two_b * cx[l] - b);
            let left_y: Lanes<T> = core::array::from_fn(|l| two_b * cy[l] - b);
            for l in 0..LANES {
                cx[l] += scheme.min_bin + spread * px[l];
                cy[l] += scheme.min_bin + spread * py[l];
            }
            let last = j + 1 == K;
            let right = |c: &Lanes<T>| -> Lanes<T> {
                core::array::from_fn(|l| if last { b } else { two_b * c[l] - b })
            };
            let (right_x, right_y) = (right(&cx), right(&cy));
            let left = if by_output { &left_y } else { &left_x };
            let index = T::lit(j as f64);
            // Unconditional stores of selects: this loop vectorizes.
            for l in 0..LANES {
                let take = j == 0 || v[l] >= left[l];
                let pick = |new: T, old: T| if take { new } else { old };
                bins.k[l] = pick(index, bins.k[l]);
                bins.x0[l] = pick(left_x[l], bins.x0[l]);
                bins.width[l] = pick(right_x[l] - left_x[l], bins.width[l]);
                bins.y0[l] = pick(left_y[l], bins.y0[l]);
                bins.height[l] = pick(right_y[l] - left_y[l], bins.height[l]);
            }
        }
        bins
    }

    /// The derivatives at each lane's knot `k + offset` (offset 0: the bin's left knot, 1: its
    /// right knot): floored softplus values of the raw derivatives `params`, or the fixed
    /// boundary derivative at the ends.
    fn derivatives<const K: usize, const P: usize>(
        &self,
        scheme: &Scheme<T>,
        params: &Block<T, P>,
    ) -> [Lanes<T>; 2] {
        let mut arguments = [[T::zero(); LANES]; 2];
        let mut interior = [[false; LANES]; 2];
        // Knot i (1 ≤ i ≤ K − 1) has raw derivative u_d[i − 1].
        for i in 1..K {
            let Some(raw) = params.get(scheme.ud_start + i - 1) else {
                continue;
            };
            for (side, (arguments, interior)) in arguments.iter_mut().zip(&mut interior).enumerate()
            {
                // The bins whose knot `side` is knot `i`.
                let bin = T::lit((i - side) as f64);
                for l in 0..LANES {
                    if self.k[l] == bin {
                        arguments[l] = scheme.derivative_argument(raw[l]);
                        interior[l] = true;
                    }
                }
            }
        }
        T::softplus_lanes(&mut arguments);
        core::array::from_fn(|side| {
            core::array::from_fn(|l| {
                if interior[side][l] {
                    scheme.min_derivative + arguments[side][l]
                } else {
                    scheme.boundary_derivative
                }
            })
        })
    }

    /// Lane `l`'s bin with its knot derivatives.
    #[inline]
    fn bin(&self, l: usize, d: &[Lanes<T>; 2]) -> Bin<T> {
        Bin {
            k: self.k[l].to_f64() as usize,
            x0: self.x0[l],
            width: self.width[l],
            y0: self.y0[l],
            height: self.height[l],
            d0: d[0][l],
            d1: d[1][l],
        }
    }
}

/// The spline with `K` bins on `[-bound, bound]` (raw parameters read by `scheme`) over lane
/// blocks: row `values[j]` under the parameters `h[j]`, adding the log-derivatives into `log_det`.
/// `f32` rows go to the vector kernel (`T` is `f32` exactly when the downcasts succeed).
pub(super) fn spline_lanes<T: Real, const K: usize, const P: usize>(
    scheme: &Scheme<T>,
    bound: f64,
    values: &mut [Lanes<T>],
    h: &[Block<T, P>],
    log_det: &mut Lanes<T>,
    direction: Direction,
) {
    if let Some(log_det) = (log_det as &mut dyn Any).downcast_mut::<Lanes<f32>>() {
        let f = |x: T| x.to_f64() as f32;
        let spline = Spline {
            bound: bound as f32,
            min_bin: f(scheme.min_bin),
            min_derivative: f(scheme.min_derivative),
            boundary_derivative: f(scheme.boundary_derivative),
            offset: f(scheme.offset),
            ud_scale: f(scheme.ud_scale),
            ux_in_heights: f(scheme.ux_in_heights),
            uy_scale: f(scheme.uy_scale),
            ud_start: scheme.ud_start,
            inverse: direction == Direction::Inverse,
        };
        let mut scratch = [[[0.0f32; LANES]; K]; 2];
        for (row, params) in values.iter_mut().zip(h) {
            let row = (row as &mut dyn Any).downcast_mut::<Lanes<f32>>();
            let params = (params as &dyn Any).downcast_ref::<Block<f32, P>>();
            if let (Some(row), Some(params)) = (row, params) {
                rational_quadratic(&spline, row, params, scratch.as_flattened_mut(), log_det);
            }
        }
        return;
    }
    let b = T::lit(bound);
    for (row, params) in values.iter_mut().zip(h) {
        let raw = |p: usize| params.get(p).copied().unwrap_or([T::zero(); LANES]);
        let mut px: [Lanes<T>; K] = core::array::from_fn(raw);
        let mut py: [Lanes<T>; K] = core::array::from_fn(|k| {
            let (ux, uy) = (raw(k), raw(K + k));
            core::array::from_fn(|l| scheme.height_logit(ux[l], uy[l]))
        });
        softmax_rows(&mut px);
        softmax_rows(&mut py);
        let bins = Bins::locate(scheme, b, &px, &py, row, direction == Direction::Inverse);
        let d = bins.derivatives::<K, P>(scheme, params);

        // The map, and the terms of its log-derivative (ones outside the interval: log 1 = 0).
        let mut terms = [[T::one(); LANES]; 3];
        for (l, v) in row.iter_mut().enumerate() {
            if v.abs() >= b {
                continue;
            }
            let bin = bins.bin(l, &d);
            let (mapped, t) = match direction {
                Direction::Forward => eval_terms(&bin, clamp_unit((*v - bin.x0) / bin.width)),
                Direction::Inverse => {
                    let xi = solve(&bin, *v);
                    (bin.x0 + xi * bin.width, eval_terms(&bin, xi).1)
                }
            };
            *v = mapped;
            for (term, value) in terms.iter_mut().zip(t) {
                term[l] = value;
            }
        }
        T::ln_lanes(&mut terms);
        for (l, ld) in log_det.iter_mut().enumerate() {
            let d = log_derivative(terms[0][l], terms[1][l], terms[2][l]);
            match direction {
                Direction::Forward => *ld += d,
                Direction::Inverse => *ld += -d,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::SVector;

    use crate::Real;
    use crate::batch::{Block, LANES};
    use crate::transformer::{Parameterization, RationalQuadratic, Transformer};

    /// A deterministic spread of values on `[-1, 1)`.
    fn spread(i: usize) -> f64 {
        ((i * 7919 + 13) % 2003) as f64 / 1001.5 - 1.0
    }

    /// Checks both lane maps of `spline` against the per-event maps on 16 lanes per row: values
    /// across and beyond the interval, its ends, NaN and infinities, under raw parameters of size
    /// `scale`, to the relative tolerance `tol`.
    fn check<T: Real, const K: usize, const P: usize>(
        spline: RationalQuadratic<K>,
        scale: f64,
        tol: f64,
    ) {
        let b = spline.bound;
        let specials = [
            b,
            -b,
            0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.999 * b,
        ];
        for round in 0..8 {
            let values: [T; LANES] = core::array::from_fn(|l| {
                let v = specials
                    .get(l + round * 3)
                    .copied()
                    .unwrap_or(1.2 * b * spread(100 * round + l));
                T::lit(v)
            });
            let h: Block<T, P> = core::array::from_fn(|p| {
                core::array::from_fn(|l| T::lit(scale * spread(p * 31 + l + 977 * round)))
            });
            for inverse in [false, true] {
                let mut lanes = [values];
                let mut log_det = [T::lit(0.25); LANES];
                if inverse {
                    spline.inverse_lanes(&mut lanes, &[h], &mut log_det);
                } else {
                    spline.forward_lanes(&mut lanes, &[h], &mut log_det);
                }
                for l in 0..LANES {
                    let params = SVector::<T, P>::from_fn(|p, _| h[p][l]);
                    let (v, d) = if inverse {
                        spline.inverse(values[l], &params)
                    } else {
                        spline.forward(values[l], &params)
                    };
                    for (what, ours, theirs) in [
                        ("value", lanes[0][l], v),
                        ("log-det", log_det[l], d + T::lit(0.25)),
                    ] {
                        let (a, e) = (ours.to_f64(), theirs.to_f64());
                        let same = a == e
                            || (a.is_nan() && e.is_nan())
                            || (a - e).abs() <= tol * e.abs().max(1.0);
                        assert!(
                            same,
                            "{what}, inverse {inverse}, round {round}, lane {l}: lanes {a}, per event {e} (x = {:?})",
                            values[l]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn lanes_match_the_per_event_spline() {
        check::<f64, 8, 23>(RationalQuadratic::default(), 2.0, 1e-13);
        check::<f64, 8, 23>(RationalQuadratic::default(), 8.0, 1e-13);
        check::<f64, 3, 8>(RationalQuadratic::new(2.0), 1.0, 1e-13);
        check::<f64, 1, 2>(RationalQuadratic::new(1.0), 1.0, 1e-13);
        check::<f64, 8, 23>(RationalQuadratic::torchflows(), 300.0, 1e-13);
        // In `f32` the inverse's log-derivative is only good to a few 1e-5 on either path (at
        // one of these points the per-event value is 2e-5 from the `f64` one, the lanes' 5e-6).
        check::<f32, 8, 23>(RationalQuadratic::default(), 2.0, 1e-4);
        check::<f32, 5, 14>(
            RationalQuadratic {
                bound: 3.0,
                parameterization: Parameterization::Torchflows,
            },
            50.0,
            1e-4,
        );
    }
}
