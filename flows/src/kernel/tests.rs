//! Every vector set against the scalar twin, and the twin against libm (in `f64`, rounded), over
//! wide ranges and the edge values.

use super::affine::{EXACT_MIN, affine, affine_row, near_alpha, near_exp, near_scale};
use super::dense::{block, dense, dense_bias, dense_bias_fixed};
use super::dense_map::dense_map;
use super::diagonal::{scale_shift, shift_scale};
use super::dispatch::{
    exp_kernel, expm1_kernel, ln_1p_kernel, ln_kernel, sigmoid_kernel, softplus_kernel, tanh_kernel,
};
use super::event::{EventMap, EventMlp, mlp_map};
use super::isa::{Isa, Row, Scalar};
use super::masked::{self, plain};
use super::peak::{chains, fma_loop};
use super::polar::polar;
use super::reverse::reverse;
use super::spline::{Spline, rational_quadratic};
use super::{Kernels, LANES, Lanes, SHORT};

/// Inputs: edge values, a logarithmic sweep of both signs from the smallest subnormal to the
/// largest finite `f32`, and a fine grid over `[-110, 110]`.
fn inputs() -> std::vec::Vec<f32> {
    let mut v = std::vec![
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
        1e-45,
        -1e-45,
        0.5,
        -0.5,
        0.625,
        -0.625,
        88.72283,
        88.7229,
        -87.33654,
        -103.9,
        -104.0,
        -1.0,
        -0.999_999_94,
        1.0,
    ];
    let mut m = 1e-45f64;
    while m < 3.4e38 {
        v.push(m as f32);
        v.push(-m as f32);
        m *= 1.07;
    }
    for k in -110_000..=110_000 {
        v.push(k as f32 * 1e-3);
    }
    while v.len() % LANES != 0 {
        v.push(1.0);
    }
    v
}

/// Rows of `values`.
fn rows(values: &[f32]) -> std::vec::Vec<Row> {
    values
        .chunks_exact(LANES)
        .map(|c| c.try_into().unwrap())
        .collect()
}

/// The error of `got` in units of the last place of `want` (at least those of the smallest
/// normal); 0 when both are the same special value.
fn ulps(got: f32, want: f32) -> f64 {
    if got.is_nan() || want.is_nan() {
        return if got.is_nan() && want.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if got.is_infinite() || want.is_infinite() {
        return if got == want { 0.0 } else { f64::INFINITY };
    }
    let spacing = (want.abs().max(f32::MIN_POSITIVE) as f64) * f32::EPSILON as f64;
    (got as f64 - want as f64).abs() / spacing
}

type Kernel<I> = fn(I, &mut [Row]);

/// A function under test: its name, its kernel (the scalar twin), its libm reference and the
/// error bound of the twin against it, in [`ulps`] (the documented bounds of `Kernels`).
type Function = (&'static str, Kernel<Scalar>, fn(f64) -> f64, f64);

/// The functions under test.
fn functions() -> [Function; 7] {
    [
        ("exp", exp_kernel::kernel::<Scalar>, libm::exp, 1.0),
        ("expm1", expm1_kernel::kernel::<Scalar>, libm::expm1, 1.5),
        ("ln", ln_kernel::kernel::<Scalar>, libm::log, 1.0),
        ("ln_1p", ln_1p_kernel::kernel::<Scalar>, libm::log1p, 1.5),
        ("tanh", tanh_kernel::kernel::<Scalar>, libm::tanh, 2.0),
        (
            "sigmoid",
            sigmoid_kernel::kernel::<Scalar>,
            |x| 1.0 / (1.0 + libm::exp(-x)),
            2.0,
        ),
        (
            "softplus",
            softplus_kernel::kernel::<Scalar>,
            |x| x.max(0.0) + libm::log1p(libm::exp(-x.abs())),
            2.5,
        ),
    ]
}

#[test]
fn the_scalar_twin_is_within_its_bound_of_libm() {
    let xs = inputs();
    for (name, kernel, reference, bound) in functions() {
        let mut got = rows(&xs);
        kernel(Scalar, &mut got);
        let mut worst = (0.0, 0.0f32);
        for (&x, &g) in xs.iter().zip(got.iter().flatten()) {
            let e = ulps(g, reference(x as f64) as f32);
            if e > worst.0 {
                worst = (e, x);
            }
        }
        assert!(
            worst.0 <= bound,
            "{name}: {} ulps at x = {:e} (got {:e}, libm {:e})",
            worst.0,
            worst.1,
            {
                let mut r = [[worst.1; LANES]];
                kernel(Scalar, &mut r);
                r[0][0]
            },
            reference(worst.1 as f64) as f32
        );
    }
}

/// Checks every function of the set `isa` against the scalar twin, to within one ulp (the twin
/// does not fuse its multiply-adds).
fn matches_the_twin<I: Isa>(isa: I, kernels: [Kernel<I>; 7]) {
    let xs = inputs();
    for ((name, twin, _, _), kernel) in functions().into_iter().zip(kernels) {
        let mut want = rows(&xs);
        twin(Scalar, &mut want);
        let mut got = rows(&xs);
        kernel(isa, &mut got);
        for ((&x, &g), &w) in xs
            .iter()
            .zip(got.iter().flatten())
            .zip(want.iter().flatten())
        {
            assert!(ulps(g, w) <= 2.0, "{name}({x:e}): vector {g:e}, twin {w:e}");
        }
    }
}

/// A column-major `rows x cols` matrix with leading dimension `ld`, and inputs.
fn dense_case(ld: usize, cols: usize, seed: u32) -> (std::vec::Vec<f32>, std::vec::Vec<Row>) {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let weight = (0..ld * cols).map(|_| next()).collect();
    let x = (0..cols)
        .map(|_| core::array::from_fn(|_| next()))
        .collect();
    (weight, x)
}

/// Every row count from 0 to 19 (each register block and its tails), leading dimensions above
/// the row count, 0 to 9 inputs: the set `isa` against the twin, the twin against `f64` sums.
fn dense_matches<I: Isa>(isa: I, kernel: fn(I, &[f32], usize, &[Row], &mut [Row])) {
    for rows in 0..20 {
        for cols in 0..10 {
            let ld = rows + cols % 3;
            if ld == 0 {
                continue;
            }
            let (weight, x) = dense_case(ld, cols, (rows * 31 + cols) as u32);
            let start: std::vec::Vec<Row> = (0..rows).map(|r| [r as f32 * 0.25; LANES]).collect();
            let mut twin = start.clone();
            dense(Scalar, &weight, ld, &x, &mut twin);
            let mut got = start.clone();
            kernel(isa, &weight, ld, &x, &mut got);
            for r in 0..rows {
                for l in 0..LANES {
                    let exact: f64 = start[r][l] as f64
                        + (0..cols)
                            .map(|i| weight[i * ld + r] as f64 * x[i][l] as f64)
                            .sum::<f64>();
                    assert!(
                        (twin[r][l] as f64 - exact).abs() < 1e-5,
                        "twin {rows}x{cols}"
                    );
                    assert!(
                        (got[r][l] - twin[r][l]).abs() < 1e-5,
                        "vector {rows}x{cols}"
                    );
                }
            }
        }
    }
    // Sizes that do not fit leave the output alone.
    let (weight, x) = dense_case(4, 3, 9);
    let mut out = [[1.0; LANES]; 5];
    kernel(isa, &weight, 4, &x, &mut out);
    assert_eq!(
        out, [[1.0; LANES]; 5],
        "more rows than the leading dimension"
    );
    let mut out = [[1.0; LANES]; 2];
    kernel(isa, &weight[1..], 4, &x, &mut out);
    assert_eq!(out, [[1.0; LANES]; 2], "a weight of the wrong length");
}

/// The register block of `R` rows and `S` accumulator sets of the set `isa` against `f64` sums,
/// at every offset of the block in a 19-row matrix, for 0 to 13 inputs, starting from the output
/// rows and from a bias.
fn block_matches<I: Isa, const R: usize, const S: usize>(isa: I) {
    let bias = dense_case(19, 1, 5).0;
    for cols in 0..14 {
        for first in 0..=19 - R {
            let (weight, x) = dense_case(19, cols, (cols * 19 + first) as u32);
            let start: std::vec::Vec<Row> = (0..R).map(|r| [r as f32 - 0.5; LANES]).collect();
            for with_bias in [false, true] {
                let mut got = start.clone();
                let b = with_bias.then_some(&bias[..]);
                assert_eq!(
                    block::<I, R, S>(isa, &weight, 19, b, first, &x, &mut got),
                    R
                );
                for r in 0..R {
                    for l in 0..LANES {
                        let from = if with_bias {
                            bias[first + r]
                        } else {
                            start[r][l]
                        };
                        let exact: f64 = from as f64
                            + (0..cols)
                                .map(|i| weight[i * 19 + first + r] as f64 * x[i][l] as f64)
                                .sum::<f64>();
                        assert!(
                            (got[r][l] as f64 - exact).abs() < 1e-5,
                            "block {R}x{S}, {cols} inputs, rows from {first}, bias {with_bias}"
                        );
                    }
                }
            }
        }
    }
    let mut short = [[1.0; LANES]; 1];
    let (weight, x) = dense_case(19, 3, 1);
    assert_eq!(
        block::<I, R, S>(isa, &weight, 19, None, 0, &x, &mut short),
        R
    );
    if R > 1 {
        assert_eq!(short, [[1.0; LANES]], "fewer rows than the block");
    }
    let mut out = [[1.0; LANES]; R];
    block::<I, R, S>(isa, &weight, 19, Some(&bias[..R - 1]), 0, &x, &mut out);
    assert_eq!(out, [[1.0; LANES]; R], "a bias shorter than the block");
}

/// Every register block shape the dense kernel uses, in the set `isa`.
fn blocks_match<I: Isa>(isa: I) {
    block_matches::<I, 16, 1>(isa);
    block_matches::<I, 8, 1>(isa);
    block_matches::<I, 6, 1>(isa);
    block_matches::<I, 4, 1>(isa);
    block_matches::<I, 2, 2>(isa);
    block_matches::<I, 1, 4>(isa);
}

/// The FMA loop of the set `isa` against the recurrence in `f64`: accumulator `k` after `n`
/// rounds of `a ← a / 2 + 1` is `2 + (k − 2) / 2ⁿ`; and its FLOP count.
fn fma_loop_matches<I: Isa>(isa: I, accumulators: usize) {
    for rounds in [0, 1, 2, 3, 7, 30, 1000] {
        let mut out = [f32::NAN; LANES];
        let flops = fma_loop(isa, rounds, &mut out);
        assert_eq!(flops, 2 * LANES * accumulators * rounds);
        let exact: f64 = (0..accumulators)
            .map(|k| 2.0 + (k as f64 - 2.0) / 2f64.powi(rounds as i32))
            .sum();
        for got in out {
            assert!(
                (got as f64 - exact).abs() < 1e-5 * exact.abs().max(1.0),
                "{rounds} rounds"
            );
        }
    }
    let mut out = [0.0; LANES];
    assert_eq!(chains::<I, 2, 3>(isa, 5, &mut out), 2 * LANES * 6 * 5);
}

/// The spline under the set `isa` against the twin, both directions, at 1, 3 and 8 bins and
/// raw parameters of sizes 1 to 300 (the torchflows parameterization among them): values
/// across and beyond the interval, its ends, NaN and infinities.
fn spline_matches<I: Isa>(isa: I) {
    let cases = [
        (8, 2.0, 0.0, 1.0, 1.0),
        (3, 8.0, 0.0, 1.0, 1.0),
        (1, 1.0, 0.0, 1.0, 1.0),
    ];
    let torchflows = (8, 300.0, 1.0, 1e-3, 1e-3);
    for (case, (bins, scale, ux_in_heights, uy_scale, ud_scale)) in
        cases.into_iter().chain([torchflows]).enumerate()
    {
        for inverse in [false, true] {
            let s = Spline {
                bound: 3.0,
                min_bin: 1e-3,
                min_derivative: 1e-3,
                boundary_derivative: 1.0,
                offset: 0.541_324_9,
                ud_scale,
                ux_in_heights,
                uy_scale,
                ud_start: 2 * bins,
                inverse,
            };
            let (values, params) = dense_case(LANES, 3 * bins - 1, case as u32);
            let params: std::vec::Vec<Row> = params.iter().map(|r| r.map(|u| scale * u)).collect();
            let specials = [
                3.0,
                -3.0,
                0.0,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                2.997,
            ];
            let value: Row =
                core::array::from_fn(|l| specials.get(l).copied().unwrap_or(3.5 * values[l]));
            let run = |kernel: &dyn Fn(&mut Row, &mut [Row], &mut Row)| {
                let (mut v, mut ld) = (value, [0.25; LANES]);
                let mut scratch = std::vec![[0.0; LANES]; 2 * bins];
                kernel(&mut v, &mut scratch, &mut ld);
                (v, ld)
            };
            let want =
                run(&|v, scratch, ld| rational_quadratic(Scalar, &s, v, &params, scratch, ld));
            let got = run(&|v, scratch, ld| rational_quadratic(isa, &s, v, &params, scratch, ld));
            for (what, g, w) in [("value", got.0, want.0), ("log-det", got.1, want.1)] {
                for l in 0..LANES {
                    let (g, w) = (g[l], w[l]);
                    let same = g == w
                        || (g.is_nan() && w.is_nan())
                        || (g - w).abs() <= 1e-4 * w.abs().max(1.0);
                    assert!(
                        same,
                        "{what}, case {case}, inverse {inverse}, lane {l}: {g}, twin {w}"
                    );
                }
            }
        }
    }
}

/// Layers of 3, 0, 2 and 5 rows over 0 to 6 inputs, one after another: the set `isa` against
/// `f64` sums; rows past the layers' are left alone, and so are those of a layer that does not
/// fit.
fn dense_bias_matches<I: Isa>(isa: I) {
    for cols in 0..7 {
        let sizes = [3, 0, 2, 5];
        let cases: std::vec::Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(j, &rows)| {
                let (weight, _) = dense_case(rows, cols, (j * 7 + cols) as u32);
                let (bias, x) = dense_case(rows, 1, (j + 3 * cols) as u32);
                (weight, bias, x)
            })
            .collect();
        let x = dense_case(1, cols, cols as u32 + 40).1;
        let layers: std::vec::Vec<(&[f32], &[f32])> = cases
            .iter()
            .map(|(w, b, _)| (w.as_slice(), b.as_slice()))
            .collect();
        let mut got = [[9.0; LANES]; 12];
        dense_bias(isa, &layers, &x, &mut got);
        let mut r = 0;
        for (weight, bias, _) in &cases {
            for (k, &b) in bias.iter().enumerate() {
                for l in 0..LANES {
                    let exact: f64 = b as f64
                        + (0..cols)
                            .map(|i| weight[i * bias.len() + k] as f64 * x[i][l] as f64)
                            .sum::<f64>();
                    assert!(
                        (got[r][l] as f64 - exact).abs() < 1e-5,
                        "{cols} inputs, row {r}"
                    );
                }
                r += 1;
            }
        }
        assert_eq!(got[r..], [[9.0; LANES]; 2], "rows past the layers");
        let mut short = [[9.0; LANES]; 4];
        dense_bias(isa, &layers, &x, &mut short);
        assert_eq!(short[3], [9.0; LANES], "a layer that does not fit");
    }
    let (weight, x) = dense_case(3, 2, 11);
    let bias = [0.5, -1.0, 2.0];
    let mut got = [[9.0; LANES]; 3];
    dense_bias(isa, &[(&weight[1..], &bias[..])], &x, &mut got);
    assert_eq!(
        got,
        bias.map(|b| [b; LANES]),
        "a weight that does not fit: its bias"
    );
    runs_of_small_layers_match(isa);
}

/// Runs of layers of one and two rows, which share register blocks (more than a block's worth of
/// each, a wider layer between, and a layer whose weight does not fit breaking a run: its rows at
/// its bias), against `f64` sums.
fn runs_of_small_layers_match<I: Isa>(isa: I) {
    let mut sizes = std::vec![2; 19];
    sizes.push(3);
    sizes.extend([1; 37]);
    let broken = 23;
    for cols in [0, 1, 5] {
        let cases: std::vec::Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(j, &rows)| {
                let (weight, _) = dense_case(rows, cols, (j * 13 + cols) as u32);
                let (bias, _) = dense_case(rows, 1, (j + 5 * cols) as u32);
                (weight, bias)
            })
            .collect();
        let x = dense_case(1, cols, cols as u32 + 50).1;
        let layers: std::vec::Vec<(&[f32], &[f32])> = cases
            .iter()
            .enumerate()
            .map(|(j, (w, b))| match j {
                j if j == broken => (&w[..w.len().saturating_sub(1)], b.as_slice()),
                _ => (w.as_slice(), b.as_slice()),
            })
            .collect();
        let total: usize = sizes.iter().sum();
        let mut got = std::vec![[9.0; LANES]; total + 1];
        dense_bias(isa, &layers, &x, &mut got);
        let mut r = 0;
        for (j, (weight, bias)) in cases.iter().enumerate() {
            for (k, &b) in bias.iter().enumerate() {
                for l in 0..LANES {
                    let sum = (0..cols)
                        .map(|i| weight[i * bias.len() + k] as f64 * x[i][l] as f64)
                        .sum::<f64>();
                    let exact = b as f64 + if j == broken && cols > 0 { 0.0 } else { sum };
                    assert!(
                        (got[r][l] as f64 - exact).abs() < 1e-5,
                        "{cols} inputs, layer {j}, row {r}"
                    );
                }
                r += 1;
            }
        }
        assert_eq!(got[r], [9.0; LANES], "the row past the layers");
    }
}

/// Rows of inputs and of affine parameters `[u, β]`: scales over the near and far forms, their
/// boundary (`u = −20`) and the edges (NaN, infinities, the largest values), shifts and inputs of
/// both signs.
fn affine_case() -> (std::vec::Vec<Row>, std::vec::Vec<[Row; 2]>) {
    let mut us = std::vec![
        0.0,
        -0.0,
        1e-8,
        -20.0,
        -20.000_002,
        -19.999_998,
        -35.0,
        -300.0,
        60.0,
        180.0,
        200.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN,
    ];
    us.extend((-400..=400).map(|k| k as f32 * 0.1));
    while us.len() % LANES != 0 {
        us.push(0.5);
    }
    let params = rows(&us)
        .into_iter()
        .enumerate()
        .map(|(j, u)| {
            [
                u,
                core::array::from_fn(|l| (j * LANES + l) as f32 * 0.01 - 3.0),
            ]
        })
        .collect();
    let x = (0..us.len() / LANES)
        .map(|j| core::array::from_fn(|l| ((j * 7 + l * 3) % 23) as f32 * 0.5 - 5.0))
        .collect();
    (x, params)
}

/// `got` against `want` to within `ulps` units of the larger of `want` and the terms it sums
/// (`magnitude`), or the smallest normal number (below which values are subnormal, accurate
/// absolutely), plus `slack`; special values exactly.
fn close(got: f32, want: f32, magnitude: f32, ulps: f32, slack: f64) -> bool {
    if !want.is_finite() || !got.is_finite() {
        return got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan());
    }
    let within = (ulps * f32::EPSILON * want.abs().max(magnitude)).max(f32::MIN_POSITIVE);
    f64::from((got - want).abs()) <= f64::from(within) + slack
}

/// An affine map over rows: the kernel's signature without the set.
type AffineMap<'a> = &'a dyn Fn(&mut [Row], &[[Row; 2]], bool) -> Row;

/// The scalar formulas (`transformer::affine_scale`, `f32`'s libm) lane by lane.
fn affine_formulas(rows: &mut [Row], params: &[[Row; 2]], inverse: bool) -> Row {
    let mut total = [0.0; LANES];
    for (row, [u, beta]) in rows.iter_mut().zip(params) {
        for l in 0..LANES {
            let (alpha, log_alpha) = crate::transformer::affine_scale(u[l]);
            row[l] = if inverse {
                (row[l] - beta[l]) / alpha
            } else {
                alpha * row[l] + beta[l]
            };
            total[l] += log_alpha;
        }
    }
    total
}

/// The affine map `got` against `want` lane by lane, in both directions, with its log-scale sums;
/// a row without parameters is left alone. Each value within 8 units of the terms it sums, plus
/// `e_units` units of `e = expm1(u / 2)` carried through the map: the near form's scale
/// `α = 1 + (1 − m) e` cancels for negative `u` (to `e^{u/2}` from `e ≈ −1`), so an error of
/// `δ |e|` in `e` moves `α x + β` by `δ |e x|` and `(x − β) / α` by `δ |e (x − β)| / α²`, however
/// accurate the rest. `e_units` covers the bounds of the `expm1`s on both sides (see `Kernels`).
fn affine_follows(got: AffineMap, want: AffineMap, e_units: f64) {
    let (x, params) = affine_case();
    for inverse in [false, true] {
        let mut mapped = x.clone();
        mapped.push([7.0; LANES]);
        let total = got(&mut mapped, &params, inverse);
        assert_eq!(mapped[x.len()], [7.0; LANES], "a row without parameters");
        let mut reference = x.clone();
        let sum = want(&mut reference, &params, inverse);
        let mut magnitude = [0.0f32; LANES];
        for (((row, [u, beta]), got), want) in x.iter().zip(&params).zip(&mapped).zip(&reference) {
            for l in 0..LANES {
                let (alpha, log_alpha) = crate::transformer::affine_scale(u[l]);
                // `|e| · |∂y/∂e|`, with `|e| / α = |expm1(−v)|` (finite for `v = ∞`).
                let v = f64::from(u[l]) * 0.5;
                let (terms, by_e) = if inverse {
                    (
                        (row[l].abs() + beta[l].abs()) / alpha,
                        libm::expm1(-v).abs() * f64::from((row[l] - beta[l]).abs() / alpha),
                    )
                } else {
                    (
                        (alpha * row[l]).abs() + beta[l].abs(),
                        libm::expm1(v).abs() * f64::from(row[l].abs()),
                    )
                };
                let slack = if v >= crate::transformer::AFFINE_NEAR_MIN {
                    e_units * f64::from(f32::EPSILON) * by_e
                } else {
                    0.0
                };
                assert!(
                    close(got[l], want[l], terms, 8.0, slack),
                    "u = {:e}, x = {}, β = {}, inverse {inverse}: {:e}, want {:e}",
                    u[l],
                    row[l],
                    beta[l],
                    got[l],
                    want[l]
                );
                magnitude[l] += log_alpha.abs();
            }
        }
        for l in 0..LANES {
            assert!(
                close(total[l], sum[l], magnitude[l], 8.0, 0.0),
                "log-scale sum, lane {l}: {:e}, want {:e}",
                total[l],
                sum[l]
            );
        }
    }
}

/// The affine kernel of the set `isa` against the scalar twin, whose `expm1` it matches to
/// within 2 units (see `matches_the_twin`).
fn affine_matches<I: Isa>(isa: I) {
    affine_follows(
        &|rows, params, inverse| affine(isa, rows, params, inverse),
        &|rows, params, inverse| affine(Scalar, rows, params, inverse),
        2.0,
    );
    affine_follows(
        &|rows, params, inverse| {
            by_row(rows, params, inverse, &|row, params, inverse| {
                affine_row(isa, row, params, inverse)
            })
        },
        &|rows, params, inverse| affine(Scalar, rows, params, inverse),
        2.0,
    );
}

/// From [`EXACT_MIN`] up, the near form's correction of the scale rounds away in both
/// directions (the affine kernel skips it there): the corrected factor (`α`, or `1 / α`
/// inverse) and log-scale equal the uncorrected ones (`1 + (1 − m) e` or `w`, and `v`), over a
/// fine grid of `v = u / 2` from [`EXACT_MIN`] to 100, tiny values and infinity.
fn exact_shortcut_holds<I: Isa>(isa: I) {
    let mut vs: std::vec::Vec<f32> = (0..=420_000)
        .map(|k| EXACT_MIN + k as f32 * 2.5e-4)
        .collect();
    vs.extend([
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        1e-8,
        -1e-8,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        88.0,
        f32::INFINITY,
    ]);
    while !vs.len().is_multiple_of(LANES) {
        vs.push(1.0);
    }
    for row in rows(&vs) {
        let v = isa.load(&row);
        let check = |(factor, log_alpha): (I::V, I::V), plain: I::V, inverse: bool| {
            let (mut f, mut l, mut p) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
            isa.store(factor, &mut f);
            isa.store(log_alpha, &mut l);
            isa.store(plain, &mut p);
            for k in 0..LANES {
                assert!(
                    f[k] == p[k] && l[k] == row[k],
                    "v = {:e}, inverse {inverse}: ({:e}, {:e}) against ({:e}, v)",
                    row[k],
                    f[k],
                    l[k],
                    p[k]
                );
            }
        };
        let e = near_exp::<I, false>(isa, v);
        check(near_scale::<I, false>(isa, v, e), near_alpha(isa, e), false);
        let w = near_exp::<I, true>(isa, v);
        check(near_scale::<I, true>(isa, v, w), w, true);
    }
}

#[test]
fn the_exact_shortcut_holds_in_the_twin() {
    exact_shortcut_holds(Scalar);
}

/// Marsaglia's polar method under the set `isa`: the same kept count and bits as the twin (no
/// step is fused), the kept points exactly those inside the unit disc (one on its centre, where
/// `s = 0`, dropped), in order, each variate within 4 units of `f32` rounding of the formula in
/// `f64` from the `f32` radius (whose rounding `ln` amplifies near 1 in any implementation); a
/// row without room for its points is left out.
fn polar_matches<I: Isa>(isa: I) {
    let coordinates = noise(2 * 4 * LANES, 17);
    let (us, vs) = coordinates.split_at(4 * LANES);
    let (mut u, mut v) = (rows(us), rows(vs));
    u[2][3] = 0.0;
    v[2][3] = 0.0;
    let mut out = std::vec![9.0; 2 * 4 * LANES];
    let mut twin = out.clone();
    let kept = polar(isa, &u, &v, &mut out);
    assert_eq!(kept, polar(Scalar, &u, &v, &mut twin));
    let bits = |values: &[f32]| {
        values
            .iter()
            .map(|x| x.to_bits())
            .collect::<std::vec::Vec<_>>()
    };
    assert_eq!(bits(&out[..2 * kept]), bits(&twin[..2 * kept]));
    let epsilon = f64::from(f32::EPSILON);
    let mut k = 0;
    for (&x, &y) in u.as_flattened().iter().zip(v.as_flattened()) {
        let radius = x * x + y * y;
        if !(radius > 0.0 && radius < 1.0) {
            continue;
        }
        let factor = (-2.0 * f64::from(radius).ln() / f64::from(radius)).sqrt();
        let pair = [f64::from(x) * factor, f64::from(y) * factor];
        for (&got, want) in out[2 * k..2 * k + 2].iter().zip(pair) {
            assert!(
                (f64::from(got) - want).abs() <= 4.0 * want.abs() * epsilon,
                "point {k} kept: {got} vs {want}"
            );
        }
        k += 1;
    }
    assert_eq!(kept, k, "the points inside the disc");
    assert!(kept < 4 * LANES - 1, "some points outside the disc");
    let mut short = [9.0; 2 * LANES - 1];
    assert_eq!(polar(isa, &u[..1], &v[..1], &mut short), 0, "no room");
    assert_eq!(short, [9.0; 2 * LANES - 1]);
}

#[test]
fn the_polar_twin_follows_the_formula() {
    polar_matches(Scalar);
}

/// The reciprocal estimate of the set `isa` within `1.5 · 2^-12` of `1 / x` over normal values of
/// both signs and many exponents (the twin's is exact); NaN gives NaN.
fn recip_matches<I: Isa>(isa: I) {
    let mut xs: std::vec::Vec<f32> = (0..LANES * 40)
        .map(|k| {
            (1.0 + k as f32 * 0.173).powi(k as i32 % 23 - 11) * if k % 3 == 0 { -1.0 } else { 1.0 }
        })
        .collect();
    xs[5] = f32::NAN;
    for row in rows(&xs) {
        let mut got = [0.0; LANES];
        isa.store(isa.recip(isa.load(&row)), &mut got);
        assert_eq!(
            Scalar.recip(row).map(f32::to_bits),
            row.map(|x| (1.0 / x).to_bits())
        );
        for (got, x) in got.iter().zip(row) {
            if x.is_nan() {
                assert!(got.is_nan());
            } else {
                let error = (f64::from(*got) * f64::from(x) - 1.0).abs();
                assert!(
                    error <= 1.5 / 4096.0,
                    "1 / {x:e}: {got:e}, off by {error:e}"
                );
            }
        }
    }
}

/// The second half of `row` moved to the first (the rest zero), for the short kernels, which
/// compute the first [`SHORT`] lanes only.
fn high_half(row: &Row) -> Row {
    let mut high = [0.0; LANES];
    high[..SHORT].copy_from_slice(&row[SHORT..]);
    high
}

/// The first [`SHORT`] lanes of `low`, then those of `high`.
fn join(low: &Row, high: &Row) -> Row {
    core::array::from_fn(|l| if l < SHORT { low[l] } else { high[l - SHORT] })
}

/// A short `tanh` kernel (one row, its first [`SHORT`] lanes) against the scalar twin on every
/// input, each row by halves, to within 2 ulps (as `matches_the_twin`).
fn short_tanh_matches(tanh: &dyn Fn(&mut Row)) {
    let xs = inputs();
    let mut want = rows(&xs);
    tanh_kernel::kernel(Scalar, &mut want);
    for (row, want) in rows(&xs).iter_mut().zip(&want) {
        let mut high = high_half(row);
        tanh(row);
        tanh(&mut high);
        for (&g, &w) in join(row, &high).iter().zip(want) {
            assert!(ulps(g, w) <= 2.0, "short tanh: {g:e}, twin {w:e}");
        }
    }
}

/// A short affine kernel (one row, its first [`SHORT`] lanes; see [`short_tanh_matches`])
/// against the scalar twin (see `affine_matches`).
fn short_affine_matches(short: &dyn Fn(&mut Row, &[Row; 2], bool) -> Row) {
    affine_follows(
        &|rows, params, inverse| {
            let mut total = [0.0; LANES];
            for (row, [u, beta]) in rows.iter_mut().zip(params) {
                let mut high = high_half(row);
                let low_sum = short(row, &[*u, *beta], inverse);
                let high_sum = short(&mut high, &[high_half(u), high_half(beta)], inverse);
                *row = join(row, &high);
                for (t, s) in total.iter_mut().zip(join(&low_sum, &high_sum)) {
                    *t += s;
                }
            }
            total
        },
        &|rows, params, inverse| affine(Scalar, rows, params, inverse),
        2.0,
    );
}

/// `rows` mapped one at a time by the one-row affine kernel `one`, the log-scales summed.
fn by_row(
    rows: &mut [Row],
    params: &[[Row; 2]],
    inverse: bool,
    one: &dyn Fn(&mut Row, &[Row; 2], bool) -> Row,
) -> Row {
    let mut total = [0.0; LANES];
    for (row, params) in rows.iter_mut().zip(params) {
        for (t, s) in total.iter_mut().zip(one(row, params, inverse)) {
            *t += s;
        }
    }
    total
}

#[test]
fn the_one_row_twins_match_the_twin() {
    affine_follows(
        &|rows, params, inverse| {
            by_row(rows, params, inverse, &|row, params, inverse| {
                affine_row(Scalar, row, params, inverse)
            })
        },
        &|rows, params, inverse| affine(Scalar, rows, params, inverse),
        2.0,
    );
    short_tanh_matches(&|row| tanh_kernel::kernel(Scalar, core::slice::from_mut(row)));
    short_affine_matches(&|row, params, inverse| affine_row(Scalar, row, params, inverse));
}

#[test]
fn the_affine_twin_follows_the_scalar_formulas() {
    // The twin's `expm1` is within 1.5 units of libm's, `f32`'s libm `expm1` within 1.
    affine_follows(
        &|rows, params, inverse| affine(Scalar, rows, params, inverse),
        &affine_formulas,
        2.5,
    );
}

/// A fused output layer and map: its signature without the set.
type DenseMap<'a> = &'a dyn Fn(&[(&[f32], &[f32])], &[Row], &mut [Row], EventMap, bool, &mut [Row]);

/// The fused output layer and map `got` against the output layer's kernel and the map's run one
/// after the other in the twin (`dense_bias`, then `affine` or the shift), both maps in both
/// directions, on 1 to 5 blocks (pairs and a last one alone) with their own inputs and rows: 9
/// elements reading 0 to 5 of 5 units (with scales on the far and the slow near form), each value
/// within `1e-5` of the larger of 1 and its magnitude, and each block's log-scale sum added to
/// its log-det (subtracted for the inverse) likewise; a row past the layers and the row of a
/// layer whose bias does not fit the map are left alone, and so is everything when the blocks do
/// not divide the rows.
fn dense_map_follows(got: DenseMap<'_>) {
    const H: usize = 5;
    const D: usize = 9;
    let weights: std::vec::Vec<std::vec::Vec<f32>> = (0..D)
        .map(|j| {
            noise(2 * (j % (H + 1)), 30 + j as u32)
                .iter()
                .map(|w| w * 1.5)
                .collect()
        })
        .collect();
    let mut biases: std::vec::Vec<[f32; 2]> = (0..D)
        .map(|j| {
            let b = noise(2, 50 + j as u32);
            [b[0], b[1]]
        })
        .collect();
    biases[1][0] = -30.0;
    biases[2][0] = -12.0;
    for blocks in 1..=5 {
        let seed = 10 * blocks as u32;
        let x: std::vec::Vec<Row> = rows(
            &noise(blocks * H * LANES, 21 + seed)
                .iter()
                .map(|v| v * 2.0)
                .collect::<std::vec::Vec<_>>(),
        );
        // Each block: its `D` rows, then one past the layers.
        let mut targets: std::vec::Vec<Row> = rows(
            &noise(blocks * (D + 1) * LANES, 70 + seed)
                .iter()
                .map(|v| v * 3.0)
                .collect::<std::vec::Vec<_>>(),
        );
        for block in targets.chunks_mut(D + 1) {
            block[D] = [7.0; LANES];
        }
        let log_det = rows(&noise(blocks * LANES, 90 + seed));
        for map in [EventMap::ScaleShift, EventMap::AddShift] {
            let p = map.parameters();
            let layers: std::vec::Vec<(&[f32], &[f32])> = weights
                .iter()
                .zip(&biases)
                .map(|(w, b)| (&w[..w.len() / 2 * p], &b[..p]))
                .collect();
            for inverse in [false, true] {
                let mut mapped = targets.clone();
                let mut totals = log_det.clone();
                got(&layers, &x, &mut mapped, map, inverse, &mut totals);
                let unfit: [(&[f32], &[f32]); 1] = [(&[], &[0.5; 3])];
                let mut rest = vec![[8.0; LANES]; blocks];
                let mut past = log_det.clone();
                got(&unfit, &x, &mut rest, map, inverse, &mut past);
                assert!(
                    rest.iter().all(|row| *row == [8.0; LANES]),
                    "a layer that does not fit the map"
                );
                assert_eq!(past, log_det, "no log-scale from a layer that does not fit");
                let mut uneven = targets[..D].to_vec();
                let mut untouched = log_det.clone();
                untouched.push([0.0; LANES]);
                let mut kept = untouched.clone();
                got(&layers, &x, &mut uneven, map, inverse, &mut kept);
                assert_eq!(uneven, targets[..D], "blocks that do not divide the rows");
                assert_eq!(kept, untouched, "blocks that do not divide the rows");
                for (b, (got, want)) in mapped.chunks(D + 1).zip(targets.chunks(D + 1)).enumerate()
                {
                    assert_eq!(got[D], [7.0; LANES], "block {b}: a row past the layers");
                    let x = &x[b * H..b * H + H];
                    let mut want = want.to_vec();
                    let mut sum = log_det[b];
                    let mut magnitude = [1.0f32; LANES];
                    for l in 0..LANES {
                        magnitude[l] += sum[l].abs();
                    }
                    for ((row, &(weight, bias)), got) in want.iter_mut().zip(&layers).zip(got) {
                        let mut params = [[0.0; LANES]; 2];
                        dense_bias(
                            Scalar,
                            &[(weight, bias)],
                            &x[..weight.len() / p],
                            &mut params[..p],
                        );
                        let log = if p == 2 {
                            affine(Scalar, core::slice::from_mut(row), &[params], inverse)
                        } else {
                            for (v, b) in row.iter_mut().zip(params[0]) {
                                *v = if inverse { *v - b } else { *v + b };
                            }
                            [0.0; LANES]
                        };
                        for l in 0..LANES {
                            sum[l] += if inverse { -log[l] } else { log[l] };
                            magnitude[l] += log[l].abs();
                            let tolerance = 1e-5 * row[l].abs().max(1.0);
                            assert!(
                                (got[l] - row[l]).abs() <= tolerance,
                                "{map:?}, inverse {inverse}, block {b}, lane {l}: {} vs {}",
                                got[l],
                                row[l]
                            );
                        }
                    }
                    for l in 0..LANES {
                        assert!(
                            (totals[b][l] - sum[l]).abs() <= 1e-5 * magnitude[l],
                            "{map:?}, inverse {inverse}, block {b}, log-det, lane {l}: {} vs {}",
                            totals[b][l],
                            sum[l]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_dense_map_twin_follows_the_separate_kernels() {
    dense_map_follows(&|layers, x, rows, map, inverse, log_det| {
        dense_map(Scalar, layers, x, rows, map, inverse, log_det)
    });
}

#[test]
fn the_dense_map_entry_point_follows_the_separate_kernels() {
    dense_map_follows(&|layers, x, rows, map, inverse, log_det| {
        assert!(<f32 as Kernels>::dense_map_lanes(
            layers, x, rows, map, inverse, log_det
        ));
    });
    let mut rows = [[1.0f64; LANES]];
    let mut log_det = [[0.0f64; LANES]];
    let layers: [(&[f64], &[f64]); 1] = [(&[], &[0.5, 0.5])];
    assert!(!<f64 as Kernels>::dense_map_lanes(
        &layers,
        &[],
        &mut rows,
        EventMap::ScaleShift,
        false,
        &mut log_det
    ));
    assert_eq!(
        (rows, log_det),
        ([[1.0; LANES]], [[0.0; LANES]]),
        "no fused kernel for f64: the rows left alone"
    );
}

#[test]
fn the_dense_bias_twin_sums_exactly_enough() {
    dense_bias_matches(Scalar);
}

#[test]
fn the_dense_twin_sums_exactly_enough() {
    dense_matches(Scalar, dense::<Scalar>);
    blocks_match(Scalar);
}

/// `fixed_matches`' kernel under test: `B` layers of `P` rows from `K` inputs.
type Fixed<'a, T, const K: usize, const P: usize, const B: usize> =
    &'a dyn Fn(&[(&[[T; P]; K], &[T; P]); B], &[Lanes<T>; K], &mut [[Lanes<T>; P]; B]);

/// The dense kernel of `B` layers of `P` rows from `K` inputs, sizes fixed at compile time,
/// against `f64` sums within `tolerance`.
fn fixed_matches<T, const K: usize, const P: usize, const B: usize>(
    kernel: Fixed<'_, T, K, P, B>,
    tolerance: f64,
) where
    T: Copy + From<f32> + Into<f64>,
{
    let seed = (K * 100 + P * 10 + B) as u32;
    let mut values = noise(B * P * (K + 1) + K * LANES, seed)
        .into_iter()
        .map(T::from);
    let mut next = || values.next().unwrap_or(T::from(0.0));
    let weights: [[[T; P]; K]; B] =
        core::array::from_fn(|_| core::array::from_fn(|_| core::array::from_fn(|_| next())));
    let biases: [[T; P]; B] = core::array::from_fn(|_| core::array::from_fn(|_| next()));
    let x: [Lanes<T>; K] = core::array::from_fn(|_| core::array::from_fn(|_| next()));
    let layers: [(&[[T; P]; K], &[T; P]); B] = core::array::from_fn(|j| (&weights[j], &biases[j]));
    let mut got = [[[T::from(9.0); LANES]; P]; B];
    kernel(&layers, &x, &mut got);
    for j in 0..B {
        for r in 0..P {
            for l in 0..LANES {
                let exact: f64 = biases[j][r].into()
                    + (0..K)
                        .map(|i| weights[j][i][r].into() * x[i][l].into())
                        .sum::<f64>();
                let got: f64 = got[j][r][l].into();
                assert!(
                    (got - exact).abs() < tolerance,
                    "{B} layers of {P}x{K}: layer {j}, row {r}: {got} vs {exact}"
                );
            }
        }
    }
}

/// [`fixed_matches`] at sizes with one input or one row per layer, without inputs, the presets'
/// conditioner layers at `D = 10`, runs of small layers longer than a shared register block
/// (`layers_block`), more rows than a register block, and past
/// [`FIXED_MAX`](super::FIXED_MAX) (the general kernel), for the kernel `$kernel` (a generic
/// closure body over `|layers, x, out|`).
macro_rules! fixed_shapes {
    ($tolerance:expr, |$l:ident, $x:ident, $o:ident| $kernel:expr) => {
        fixed_matches::<_, 0, 3, 1>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 1, 9, 1>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 9, 1, 1>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 1, 1, 3>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 5, 4, 1>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 4, 1, 5>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 5, 2, 5>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 4, 2, 10>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 3, 1, 17>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 7, 13, 2>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 3, 19, 1>(&|$l, $x, $o| $kernel, $tolerance);
        fixed_matches::<_, 40, 30, 1>(&|$l, $x, $o| $kernel, $tolerance);
    };
}

#[test]
fn the_fixed_dense_twin_sums_exactly_enough() {
    fixed_shapes!(1e-5, |l, x, o| dense_bias_fixed(Scalar, l, x, o));
}

#[test]
fn the_fixed_dense_entry_points_sum_exactly_enough() {
    fixed_shapes!(1e-5, |l, x, o| f32::dense_bias_fixed_lanes(l, x, o));
    fixed_shapes!(1e-12, |l, x, o| f64::dense_bias_fixed_lanes(l, x, o));
}

/// A diagonal affine map of rows (`scale_shift`'s signature).
type ScaleShift<'a, T> = &'a dyn Fn(&mut [Lanes<T>], &[T], &[T]);

/// The diagonal map `map` against the scalar formula `formula(x, a, b)` in `T` (`x · a + b`, or
/// `(x − b) · a`), exactly, on 5 rows with 4 scales `a` and 2 shifts `b`: runs of 2 rows.
fn diagonal_matches<T>(map: ScaleShift<'_, T>, formula: fn(T, T, T) -> T)
where
    T: Copy + From<f32> + PartialEq + core::fmt::Debug,
{
    let values: std::vec::Vec<T> = noise(5 * LANES + 9, 3).into_iter().map(T::from).collect();
    let start: std::vec::Vec<Lanes<T>> = values
        .chunks_exact(LANES)
        .map(|row| core::array::from_fn(|l| row[l]))
        .collect();
    let (scale, shift) = values[5 * LANES..].split_at(4);
    // Runs of as many rows as the shorter of the scales and the shifts (2 here: 5 rows in
    // runs of 2, 2 and 1), and none without scales.
    let shift = &shift[..2];
    let mut got = start.clone();
    map(&mut got, scale, shift);
    for (k, (got, start)) in got.iter().zip(&start).enumerate() {
        let (a, b) = (scale[k % 2], shift[k % 2]);
        assert_eq!(*got, start.map(|x| formula(x, a, b)), "row {k}");
    }
    let mut got = start.clone();
    map(&mut got, &[], shift);
    assert_eq!(got, start, "no scales: the rows left alone");
}

/// `x · a + b` (`scale_shift`'s formula).
fn scaled<T: core::ops::Mul<Output = T> + core::ops::Add<Output = T>>(x: T, a: T, b: T) -> T {
    x * a + b
}

/// `(x − b) · a` (`shift_scale`'s formula).
fn shifted<T: core::ops::Mul<Output = T> + core::ops::Sub<Output = T>>(x: T, a: T, b: T) -> T {
    (x - b) * a
}

/// `reverse_rows` (the reversal of rows of some set, or an entry point) reverses 0 to 11 rows
/// exactly, as the slice's `reverse` does.
fn reversal_matches(reverse_rows: &dyn Fn(&mut [Row])) {
    for n in 0..12 {
        let rows: std::vec::Vec<Row> = (0..n)
            .map(|k| core::array::from_fn(|l| (k * LANES + l) as f32 * 0.5 - 3.0))
            .collect();
        let mut got = rows.clone();
        reverse_rows(&mut got);
        let mut want = rows;
        want.reverse();
        assert_eq!(got, want, "{n} rows");
    }
}

/// `Kernels::reverse_blocks` reverses the rows of each of 0 to 3 blocks of `N` rows exactly, as
/// the slice's `reverse` does block by block.
fn blocks_reversed<T: Kernels + From<f32> + PartialEq + core::fmt::Debug, const N: usize>() {
    for count in 0..4 {
        let blocks: std::vec::Vec<[Lanes<T>; N]> = (0..count)
            .map(|b| {
                core::array::from_fn(|k| {
                    core::array::from_fn(|l| T::from(((b * N + k) * LANES + l) as f32 * 0.5))
                })
            })
            .collect();
        let mut got = blocks.clone();
        T::reverse_blocks(&mut got);
        let mut want = blocks;
        want.iter_mut().for_each(|block| block.reverse());
        assert_eq!(got, want, "{count} blocks of {N} rows");
    }
}

#[test]
fn the_reversal_twin_and_entries_reverse() {
    reversal_matches(&|rows| reverse(Scalar, rows));
    blocks_reversed::<f32, 0>();
    blocks_reversed::<f32, 1>();
    blocks_reversed::<f32, 4>();
    blocks_reversed::<f32, 5>();
    blocks_reversed::<f64, 3>();
}

#[test]
fn the_diagonal_maps_are_the_scalar_formula() {
    diagonal_matches::<f32>(&|rows, a, b| scale_shift(Scalar, rows, a, b), scaled);
    diagonal_matches::<f32>(&|rows, a, b| f32::scale_shift_lanes(rows, a, b), scaled);
    diagonal_matches::<f64>(&|rows, a, b| f64::scale_shift_lanes(rows, a, b), scaled);
    diagonal_matches::<f32>(&|rows, a, b| shift_scale(Scalar, rows, b, a), shifted);
    diagonal_matches::<f32>(&|rows, a, b| f32::shift_scale_lanes(rows, b, a), shifted);
    diagonal_matches::<f64>(&|rows, a, b| f64::shift_scale_lanes(rows, b, a), shifted);
}

#[test]
fn the_fma_loop_twin_follows_the_recurrence() {
    fma_loop_matches(Scalar, Scalar::BLOCK);
}

/// `n` values in `[-1, 1)` from the seed.
fn noise(n: usize, seed: u32) -> std::vec::Vec<f32> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(7);
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Asserts `got` is within `tolerance` of `want` everywhere and equals `untouched` exactly
/// where `masked`.
fn assert_close(what: &str, got: &[f32], want: &[f32], tolerance: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tolerance, "{what}[{i}]: {g} vs {w}");
    }
}

/// One event's network of `H` hidden units (two layers) from 5 inputs and 2 context values to
/// `P` parameters of each of `B` elements, its inputs and its elements, for the fused kernel.
struct EventCase<const H: usize, const P: usize, const B: usize> {
    input: [[f32; H]; 5],
    context_weight: [[f32; H]; 2],
    bias: [f32; H],
    hidden: ([[f32; H]; H], [f32; H]),
    output: [([[f32; P]; H], [f32; P]); B],
    x: [f32; 5],
    context: [f32; 2],
    target: [f32; B],
}

/// `N` values in `[-scale, scale)` from the seed.
fn noise_array<const N: usize>(seed: u32, scale: f32) -> [f32; N] {
    let v = noise(N, seed);
    core::array::from_fn(|i| v[i] * scale)
}

impl<const H: usize, const P: usize, const B: usize> EventCase<H, P, B> {
    /// A case from `seed`: the first parameter of element 1 on the affine scale's far form.
    fn new(seed: u32) -> Self {
        let mut output: [([[f32; P]; H], [f32; P]); B] = core::array::from_fn(|j| {
            let s = seed * 100 + j as u32;
            (
                core::array::from_fn(|k| noise_array(s * 10 + k as u32, 1.5)),
                noise_array(s + 7, 1.0),
            )
        });
        output[1].1[0] = -30.0;
        Self {
            input: core::array::from_fn(|k| noise_array(seed + 11 * k as u32, 1.0)),
            context_weight: core::array::from_fn(|k| noise_array(seed + 3 + 5 * k as u32, 1.0)),
            bias: noise_array(seed + 1, 0.5),
            hidden: (
                core::array::from_fn(|k| noise_array(seed + 13 * k as u32 + 2, 1.0)),
                noise_array(seed + 4, 0.5),
            ),
            output,
            x: noise_array(seed + 5, 2.0),
            context: noise_array(seed + 6, 2.0),
            target: noise_array(seed + 8, 3.0),
        }
    }

    /// Runs `kernel` on this case's network (with its hidden layer, or without when `deep` is
    /// false): the mapped elements and the result.
    fn run(
        &self,
        deep: bool,
        map: EventMap,
        inverse: bool,
        kernel: EventKernel<'_, H, P, B>,
    ) -> ([f32; B], Option<f32>) {
        let hidden = [(&self.hidden.0, &self.hidden.1)];
        let output: [(&[[f32; P]; H], &[f32; P]); B] =
            core::array::from_fn(|j| (&self.output[j].0, &self.output[j].1));
        let mlp = EventMlp {
            inputs: [
                (&self.input[..], &self.x[..]),
                (&self.context_weight[..], &self.context[..]),
            ],
            bias: &self.bias,
            hidden: if deep { &hidden } else { &[] },
            output: &output,
        };
        let mut target = self.target;
        let log_det = kernel(&mlp, map, inverse, &mut target);
        (target, log_det)
    }

    /// The network and the map in `f64` from the formulas: the mapped elements and the sum of
    /// the log-derivatives.
    fn reference(&self, deep: bool, inverse: bool) -> ([f64; B], f64) {
        let layer = |columns: &[[f32; H]], values: &[f64], bias: &[f32; H], h: &mut [f64; H]| {
            for (r, h) in h.iter_mut().enumerate() {
                *h += f64::from(bias[r])
                    + columns
                        .iter()
                        .zip(values)
                        .map(|(c, &v)| f64::from(c[r]) * v)
                        .sum::<f64>();
            }
        };
        let widen = |v: &[f32]| {
            v.iter()
                .map(|&v| f64::from(v))
                .collect::<std::vec::Vec<_>>()
        };
        let mut h = [0.0; H];
        layer(&self.input, &widen(&self.x), &self.bias, &mut h);
        layer(
            &self.context_weight,
            &widen(&self.context),
            &[0.0; H],
            &mut h,
        );
        h = h.map(f64::tanh);
        if deep {
            let mut next = [0.0; H];
            layer(&self.hidden.0, &h, &self.hidden.1, &mut next);
            h = next.map(f64::tanh);
        }
        let mut total = 0.0;
        let mapped = core::array::from_fn(|j| {
            let (weight, bias) = &self.output[j];
            let param = |p: usize| {
                f64::from(bias[p]) + (0..H).map(|k| f64::from(weight[k][p]) * h[k]).sum::<f64>()
            };
            let x = f64::from(self.target[j]);
            let (alpha, log_alpha, beta) = if P == 2 {
                let (alpha, log_alpha) = crate::transformer::affine_scale(param(0));
                (alpha, log_alpha, param(1))
            } else {
                (1.0, 0.0, param(0))
            };
            total += if inverse { -log_alpha } else { log_alpha };
            if inverse {
                (x - beta) / alpha
            } else {
                alpha * x + beta
            }
        });
        (mapped, total)
    }
}

/// The fused kernel's signature.
type EventKernel<'a, const H: usize, const P: usize, const B: usize> =
    &'a dyn Fn(&EventMlp<'_, f32, H, P, B>, EventMap, bool, &mut [f32; B]) -> Option<f32>;

/// `kernel` against the `f64` formulas, with and without a hidden layer, both directions, the
/// affine map (5 and 8 elements, 5 and 8 hidden units) and the shift; and `None`, the elements
/// left alone, for a map of another number of parameters.
fn event_follows(
    affine: EventKernel<'_, 5, 2, 5>,
    wide: EventKernel<'_, 8, 2, 8>,
    shift: EventKernel<'_, 5, 1, 5>,
) {
    fn check<const H: usize, const P: usize, const B: usize>(
        kernel: EventKernel<'_, H, P, B>,
        map: EventMap,
        other: EventMap,
    ) {
        for seed in 1..20 {
            let case = EventCase::<H, P, B>::new(seed);
            for (deep, inverse) in [(false, false), (false, true), (true, false), (true, true)] {
                let (got, log_det) = case.run(deep, map, inverse, kernel);
                let (want, want_log_det) = case.reference(deep, inverse);
                let log_det = log_det.expect("the kernel fits");
                for (j, (&g, &w)) in got.iter().zip(&want).enumerate() {
                    let tolerance = 2e-5 * w.abs().max(1.0) * if j == 1 { 2e5 } else { 1.0 };
                    assert!(
                        (f64::from(g) - w).abs() <= tolerance,
                        "seed {seed}, {map:?}, inverse {inverse}, element {j}: {g} vs {w}"
                    );
                }
                assert!(
                    (f64::from(log_det) - want_log_det).abs() <= 1e-4 * want_log_det.abs().max(1.0),
                    "seed {seed}, {map:?}, inverse {inverse}: log-det {log_det} vs {want_log_det}"
                );
            }
            let (untouched, none) = case.run(true, other, false, kernel);
            assert_eq!((untouched, none), (case.target, None));
        }
    }
    check(affine, EventMap::ScaleShift, EventMap::AddShift);
    check(wide, EventMap::ScaleShift, EventMap::AddShift);
    check(shift, EventMap::AddShift, EventMap::ScaleShift);
}

/// The fused kernel under `isa` against the formulas and against the twin (to a few units of
/// `f32`).
fn event_matches<I: Isa>(isa: I) {
    event_follows(
        &|m, map, inv, t| mlp_map(isa, m, map, inv, t),
        &|m, map, inv, t| mlp_map(isa, m, map, inv, t),
        &|m, map, inv, t| mlp_map(isa, m, map, inv, t),
    );
    for seed in 1..20 {
        let case = EventCase::<5, 2, 5>::new(seed);
        for inverse in [false, true] {
            let (got, log_det) =
                case.run(true, EventMap::ScaleShift, inverse, &|m, map, inv, t| {
                    mlp_map(isa, m, map, inv, t)
                });
            let (want, twin_log_det) =
                case.run(true, EventMap::ScaleShift, inverse, &|m, map, inv, t| {
                    mlp_map(Scalar, m, map, inv, t)
                });
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "{g} vs twin {w}");
            }
            let (log_det, twin_log_det) =
                (log_det.unwrap_or(f32::NAN), twin_log_det.unwrap_or(0.0));
            assert!(
                (log_det - twin_log_det).abs() <= 1e-5,
                "{log_det} vs {twin_log_det}"
            );
        }
    }
}

#[test]
fn the_fused_event_twin_follows_the_formulas() {
    event_matches(Scalar);
}

#[test]
fn the_fused_event_entry_point_follows_the_formulas_where_it_fits() {
    event_follows(
        &<f32 as Kernels>::mlp_map_event,
        &<f32 as Kernels>::mlp_map_event,
        &<f32 as Kernels>::mlp_map_event,
    );
    // Beyond `SHORT` hidden units or elements, and in `f64`: no kernel, nothing touched.
    let case = EventCase::<9, 2, 5>::new(3);
    let (untouched, none) = case.run(
        true,
        EventMap::ScaleShift,
        false,
        &<f32 as Kernels>::mlp_map_event,
    );
    assert_eq!((untouched, none), (case.target, None));
    let case = EventCase::<5, 1, 9>::new(3);
    let (untouched, none) = case.run(
        true,
        EventMap::AddShift,
        false,
        &<f32 as Kernels>::mlp_map_event,
    );
    assert_eq!((untouched, none), (case.target, None));
    let mut target = [1.0f64; 2];
    let output = [(&[[0.0f64; 1]; 1], &[0.5f64; 1]); 2];
    let mlp = EventMlp {
        inputs: [(&[[0.0f64; 1]][..], &[1.0f64][..]), (&[][..], &[][..])],
        bias: &[0.0; 1],
        hidden: &[],
        output: &output,
    };
    assert_eq!(
        <f64 as Kernels>::mlp_map_event(&mlp, EventMap::AddShift, false, &mut target),
        None
    );
    assert_eq!(target, [1.0; 2]);
}

/// `masked_matvec`'s signature.
type Matvec<'a> = &'a dyn Fn(&[f32], &[usize], &[f32], &mut [f32]);
/// `masked_matvec_backward`'s.
type MatvecBackward<'a> = &'a dyn Fn(&[f32], &mut [f32], &[usize], &[f32], &[f32], &mut [f32]);
/// `masked_blocks`'.
type Blocks<'a> = &'a dyn Fn(&[&[f32]], &[usize], &[f32], &mut [f32]);
/// `masked_blocks_backward`'s.
type BlocksBackward<'a> =
    &'a dyn Fn(&[&[f32]], &mut [&mut [f32]], &[usize], &[f32], &[f32], &mut [f32]);

/// The masked kernels of one event's algebra, as a set under test.
struct MaskedKernels<'a> {
    matvec: Matvec<'a>,
    backward: MatvecBackward<'a>,
    blocks: Blocks<'a>,
    blocks_backward: BlocksBackward<'a>,
}

/// The masked kernels against the plain loops: whole rows (the register blocks of one to four
/// rows and more) and not, sorted and unsorted column starts (masked weights zero), block periods
/// that fit a row and one that does not, block lengths that end within a row; the gradients of
/// masked weights must stay exactly as they were.
fn masked_match(kernels: &MaskedKernels<'_>) {
    for (case, (rows, cols)) in [
        (16, 3),
        (64, 64),
        (48, 5),
        (80, 2),
        (10, 4),
        (1, 1),
        (64, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let seed = case as u32 * 10;
        let starts: std::vec::Vec<usize> = (0..cols)
            .map(|k| {
                if case % 2 == 0 {
                    k * rows / cols.max(1)
                } else {
                    (k * 7) % (rows + 1)
                }
            })
            .collect();
        let mut weight = noise(rows * cols, seed);
        let live = |k: usize, r: usize| r >= starts.get(k).copied().unwrap_or(0);
        for (i, w) in weight.iter_mut().enumerate() {
            if !live(i / rows, i % rows) {
                *w = 0.0;
            }
        }
        let (x, out) = (noise(cols, seed + 1), noise(rows, seed + 2));
        let (mut want, mut got) = (out.clone(), out.clone());
        plain::masked_matvec(&weight, &starts, &x, &mut want);
        (kernels.matvec)(&weight, &starts, &x, &mut got);
        assert_close(&std::format!("matvec {rows}x{cols}"), &got, &want, 1e-5);
        let (grad, d_y, d_x) = (
            noise(rows * cols, seed + 3),
            noise(rows, seed + 4),
            noise(cols, seed + 5),
        );
        let (mut want_grad, mut want_d_x) = (grad.clone(), d_x.clone());
        plain::masked_matvec_backward(&weight, &mut want_grad, &starts, &d_y, &x, &mut want_d_x);
        let (mut got_grad, mut got_d_x) = (grad.clone(), d_x.clone());
        (kernels.backward)(&weight, &mut got_grad, &starts, &d_y, &x, &mut got_d_x);
        assert_close(
            &std::format!("d_x {rows}x{cols}"),
            &got_d_x,
            &want_d_x,
            1e-5,
        );
        assert_close(
            &std::format!("grad {rows}x{cols}"),
            &got_grad,
            &want_grad,
            1e-6,
        );
        for (i, (g, g0)) in got_grad.iter().zip(&grad).enumerate() {
            assert!(
                live(i / rows, i % rows) || g == g0,
                "masked gradient {i} written"
            );
        }
    }
    for (case, (period, width)) in [(1, 64), (2, 64), (2, 8), (4, 16), (16, 4), (3, 16), (2, 5)]
        .into_iter()
        .enumerate()
    {
        let (seed, n) = (case as u32 * 10 + 100, period * width);
        let lens: std::vec::Vec<usize> = [0, 1, n / 2 + 1, n - 1, n, 17]
            .iter()
            .map(|l| l % (n + 1))
            .collect();
        let weights: std::vec::Vec<_> =
            (0..lens.len()).map(|b| noise(n, seed + b as u32)).collect();
        let weights: std::vec::Vec<&[f32]> = weights.iter().map(|w| w.as_slice()).collect();
        let (x, out) = (noise(n, seed + 50), noise(period * lens.len(), seed + 51));
        let (mut want, mut got) = (out.clone(), out.clone());
        plain::masked_blocks(&weights, &lens, &x, &mut want);
        (kernels.blocks)(&weights, &lens, &x, &mut got);
        assert_close(&std::format!("blocks {period}x{width}"), &got, &want, 1e-5);
        let grads = noise(n * lens.len(), seed + 52);
        let (d_out, d_x) = (noise(period * lens.len(), seed + 53), noise(n, seed + 54));
        let mut want_grads = grads.clone();
        let mut want_d_x = d_x.clone();
        let mut refs: std::vec::Vec<&mut [f32]> = want_grads.chunks_mut(n.max(1)).collect();
        plain::masked_blocks_backward(&weights, &mut refs, &lens, &d_out, &x, &mut want_d_x);
        let mut got_grads = grads.clone();
        let mut got_d_x = d_x.clone();
        let mut refs: std::vec::Vec<&mut [f32]> = got_grads.chunks_mut(n.max(1)).collect();
        (kernels.blocks_backward)(&weights, &mut refs, &lens, &d_out, &x, &mut got_d_x);
        assert_close(
            &std::format!("blocks d_x {period}x{width}"),
            &got_d_x,
            &want_d_x,
            1e-5,
        );
        assert_close(
            &std::format!("blocks grad {period}x{width}"),
            &got_grads,
            &want_grads,
            1e-6,
        );
        for (i, (g, g0)) in got_grads.iter().zip(&grads).enumerate() {
            assert!(
                i % n.max(1) < lens[i / n.max(1)] || g == g0,
                "masked block gradient {i}"
            );
        }
    }
    masked_refuse_bad_sizes(kernels);
}

/// Sizes that do not agree leave every output as it was: a weight of the wrong length, an input
/// gradient or weight gradient of the wrong length, and blocks that do not divide the output.
fn masked_refuse_bad_sizes(kernels: &MaskedKernels<'_>) {
    let (x, weight) = (noise(3, 1), noise(16 * 3 + 1, 2));
    let mut out = noise(16, 3);
    let before = out.clone();
    (kernels.matvec)(&weight, &[], &x, &mut out);
    assert_eq!(out, before, "matvec with a weight of the wrong length");
    let weight = &weight[..16 * 3];
    for (grad_len, d_x_len) in [(16 * 3 + 1, 3), (16 * 3, 4)] {
        let (mut grad, mut d_x) = (noise(grad_len, 4), noise(d_x_len, 5));
        let (grad_before, d_x_before) = (grad.clone(), d_x.clone());
        (kernels.backward)(weight, &mut grad, &[], &out, &x, &mut d_x);
        assert_eq!(
            grad, grad_before,
            "backward with {grad_len} weight gradients"
        );
        assert_eq!(d_x, d_x_before, "backward with {d_x_len} input gradients");
    }
    let blocks = [&weight[..16], &weight[16..32]];
    let mut out = noise(3, 6);
    let before = out.clone();
    (kernels.blocks)(&blocks, &[16, 16], &x, &mut out);
    assert_eq!(out, before, "two blocks into three values");
    (kernels.blocks)(&[], &[], &x, &mut out);
    assert_eq!(out, before, "no blocks");
    let (mut g0, mut g1, mut d_x) = (noise(16, 7), noise(16, 8), noise(16, 9));
    let (g_before, d_x_before) = (g0.clone(), d_x.clone());
    let mut grads = [g0.as_mut_slice(), g1.as_mut_slice()];
    (kernels.blocks_backward)(
        &blocks,
        &mut grads,
        &[16, 16],
        &out,
        &noise(16, 10),
        &mut d_x,
    );
    assert_eq!(g0, g_before, "blocks backward with three output gradients");
    assert_eq!(
        d_x, d_x_before,
        "blocks backward with three output gradients"
    );
}

/// The masked kernels of the set `isa`.
fn masked_matches<I: Isa>(isa: I) {
    masked_match(&MaskedKernels {
        matvec: &|w, s, x, o| masked::masked_matvec(isa, w, s, x, o),
        backward: &|w, g, s, d_y, x, d_x| masked::masked_matvec_backward(isa, w, g, s, d_y, x, d_x),
        blocks: &|w, l, x, o| masked::masked_blocks(isa, w, l, x, o),
        blocks_backward: &|w, g, l, d, x, d_x| {
            masked::masked_blocks_backward(isa, w, g, l, d, x, d_x)
        },
    });
}

#[test]
fn the_masked_twin_matches_the_plain_loops() {
    masked_matches(Scalar);
}

#[test]
fn the_masked_entry_points_match_the_plain_loops() {
    use super::Kernels;
    masked_match(&MaskedKernels {
        matvec: &f32::masked_matvec,
        backward: &f32::masked_matvec_backward,
        blocks: &f32::masked_blocks,
        blocks_backward: &f32::masked_blocks_backward,
    });
}

/// A loop of `f64` and `f32` arithmetic, conversions, square roots and divisions (Adam's
/// update) gives the same bits under [`vectorized`](super::vectorized) as run plainly.
#[test]
fn vectorized_loops_compute_what_plain_loops_do() {
    let (x, y) = (noise(1003, 11), noise(1003, 12));
    let run = |out: &mut [f32]| {
        for ((o, &x), &y) in out.iter_mut().zip(&x).zip(&y) {
            let m = 0.9 * f64::from(x) + 0.1 * f64::from(y);
            let v = 0.999 * f64::from(y) * f64::from(y) + 0.001 * m * m;
            *o =
                (f64::from(*o) * 0.5) as f32 - (m * 0.01) as f32 / ((v as f32).sqrt() * 1.1 + 1e-8);
        }
    };
    let mut plain = noise(1003, 13);
    let mut vector = plain.clone();
    run(&mut plain);
    super::vectorized(|| run(&mut vector));
    for (p, v) in plain.iter().zip(&vector) {
        assert_eq!(p.to_bits(), v.to_bits(), "{p} vs {v}");
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::super::dispatch::*;
    use super::super::x86::{Avx2, Avx2Half, Avx512};
    use super::*;

    /// The kernels of the set `I`.
    fn kernels<I: Isa>() -> [Kernel<I>; 7] {
        [
            exp_kernel::kernel::<I>,
            expm1_kernel::kernel::<I>,
            ln_kernel::kernel::<I>,
            ln_1p_kernel::kernel::<I>,
            tanh_kernel::kernel::<I>,
            sigmoid_kernel::kernel::<I>,
            softplus_kernel::kernel::<I>,
        ]
    }

    #[test]
    fn avx512_matches_the_twin() {
        let Some(isa) = Avx512::new() else {
            std::eprintln!("no AVX-512F on this CPU: nothing to compare");
            return;
        };
        matches_the_twin(isa, kernels());
        dense_matches(isa, dense::<Avx512>);
        diagonal_matches::<f32>(&|rows, a, b| scale_shift(isa, rows, a, b), scaled);
        diagonal_matches::<f32>(&|rows, a, b| shift_scale(isa, rows, b, a), shifted);
        reversal_matches(&|rows| reverse(isa, rows));
        dense_bias_matches(isa);
        fixed_shapes!(1e-5, |l, x, o| dense_bias_fixed(isa, l, x, o));
        affine_matches(isa);
        exact_shortcut_holds(isa);
        recip_matches(isa);
        polar_matches(isa);
        blocks_match(isa);
        fma_loop_matches(isa, Avx512::BLOCK);
        dense_map_follows(&|layers, x, rows, map, inverse, log_det| {
            dense_map(isa, layers, x, rows, map, inverse, log_det)
        });
        spline_matches(isa);
        masked_matches(isa);
    }

    #[test]
    fn avx2_matches_the_twin() {
        let Some(isa) = Avx2::new() else {
            std::eprintln!("no AVX2 and FMA on this CPU: nothing to compare");
            return;
        };
        matches_the_twin(isa, kernels());
        dense_matches(isa, dense::<Avx2>);
        diagonal_matches::<f32>(&|rows, a, b| scale_shift(isa, rows, a, b), scaled);
        diagonal_matches::<f32>(&|rows, a, b| shift_scale(isa, rows, b, a), shifted);
        reversal_matches(&|rows| reverse(isa, rows));
        dense_bias_matches(isa);
        fixed_shapes!(1e-5, |l, x, o| dense_bias_fixed(isa, l, x, o));
        affine_matches(isa);
        exact_shortcut_holds(isa);
        recip_matches(isa);
        polar_matches(isa);
        blocks_match(isa);
        fma_loop_matches(isa, Avx2::BLOCK);
        dense_map_follows(&|layers, x, rows, map, inverse, log_det| {
            dense_map(isa, layers, x, rows, map, inverse, log_det)
        });
        spline_matches(isa);
        masked_matches(isa);
    }

    #[test]
    fn avx2_half_matches_the_twin() {
        let Some(isa) = Avx2Half::new() else {
            std::eprintln!("no AVX2 and FMA on this CPU: nothing to compare");
            return;
        };
        short_tanh_matches(&|row| tanh_kernel::kernel(isa, core::slice::from_mut(row)));
        short_affine_matches(&|row, params, inverse| affine_row(isa, row, params, inverse));
        event_matches(isa);
        // The second half of a row is left as it is.
        let mut row = [0.25; LANES];
        tanh_kernel::kernel(isa, core::slice::from_mut(&mut row));
        assert_eq!(row[SHORT..], [0.25; SHORT]);
    }

    #[test]
    fn the_short_entry_points_match_the_twin() {
        short_tanh_matches(&|row| {
            <f32 as super::super::Kernels>::tanh_short(core::slice::from_mut(row));
        });
        short_affine_matches(&|row, params, inverse| {
            <f32 as super::super::Kernels>::affine_short(row, params, inverse)
        });
    }

    #[test]
    fn the_dense_and_fma_entry_points_match_the_twin() {
        for rows in [0, 1, 5, 10, 64, 256] {
            for cols in [0, 1, 5, 32, 256] {
                let (weight, x) = dense_case(rows.max(1), cols, (rows + cols) as u32);
                let mut want = std::vec![[0.5; LANES]; rows];
                dense(Scalar, &weight, rows.max(1), &x, &mut want);
                let mut got = std::vec![[0.5; LANES]; rows];
                dense_rows(&weight, rows.max(1), &x, &mut got);
                for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
                    assert!((g - w).abs() < 1e-4, "{rows}x{cols}: entry {g}, twin {w}");
                }
            }
        }
        let mut out = [[0.5; LANES]; 3];
        <f32 as super::super::Kernels>::dense_lanes(&[], 3, &[], &mut out);
        assert_eq!(out, [[0.5; LANES]; 3], "no inputs");
        let (weight, x) = dense_case(3, 2, 5);
        <f32 as super::super::Kernels>::dense_lanes(&weight, 3, &x, &mut out);
        let mut want = [[0.5; LANES]; 3];
        dense(Scalar, &weight, 3, &x, &mut want);
        for (g, w) in out.iter().flatten().zip(want.iter().flatten()) {
            assert!((g - w).abs() < 1e-5, "trait entry {g}, twin {w}");
        }
        let layers: [(&[f32], &[f32]); 2] = [(&weight, &[0.25; 3]), (&weight[..2], &[1.0])];
        let mut got = [[0.0; LANES]; 4];
        <f32 as super::super::Kernels>::dense_bias_lanes(&layers, &x, &mut got);
        let mut want = [[0.0; LANES]; 4];
        dense_bias(Scalar, &layers, &x, &mut want);
        for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
            assert!(
                (g - w).abs() < 1e-5,
                "trait entry with biases {g}, twin {w}"
            );
        }
        let mut out = [0.0; LANES];
        assert!(fma_peak(10, &mut out) >= 2 * LANES * 6 * 10);
        assert!((out[0] - out[LANES - 1]).abs() < 1e-6 && out[0] > 0.0);
    }

    #[test]
    fn the_affine_entry_points_match_the_twin() {
        affine_follows(
            &|rows, params, inverse| {
                <f32 as super::super::Kernels>::affine_lanes(rows, params, inverse)
            },
            &|rows, params, inverse| affine(Scalar, rows, params, inverse),
            2.0,
        );
        affine_follows(
            &|rows, params, inverse| {
                by_row(rows, params, inverse, &|row, params, inverse| {
                    <f32 as super::super::Kernels>::affine_row(row, params, inverse)
                })
            },
            &|rows, params, inverse| affine(Scalar, rows, params, inverse),
            2.0,
        );
    }

    #[test]
    fn the_entry_points_match_the_twin() {
        let xs = inputs();
        let entries: [fn(&mut [Row]); 7] = [exp, expm1, ln, ln_1p, tanh, sigmoid, softplus];
        for ((name, twin, _, _), entry) in functions().into_iter().zip(entries) {
            let mut want = rows(&xs);
            twin(Scalar, &mut want);
            let mut got = rows(&xs);
            entry(&mut got);
            for ((&x, &g), &w) in xs
                .iter()
                .zip(got.iter().flatten())
                .zip(want.iter().flatten())
            {
                assert!(ulps(g, w) <= 2.0, "{name}({x:e}): entry {g:e}, twin {w:e}");
            }
        }
    }
}
