//! Masked autoregressive layers (MAF), their inverses (IAF) and the MADE network, over the event
//! sizes of the issue, with and without context, at random parameters.

use flows::batch::{Block, LANES};
use flows::conditioner::made::{Degrees, min_width};
use flows::layer::{
    AffineInverseMaskedAutoregressive, AffineMaskedAutoregressive, InverseMaskedAutoregressive,
    MaskedAutoregressive,
};
use flows::nalgebra::SVector;
use flows::net::{AutoregressiveTransform, ConditionerTransform, FullPass, Made, Relu, Tanh};
use flows::rand::rngs::Xoshiro256PlusPlus;
use flows::transformer::{Affine, InverseAffine, Scale, Shift, Transformer};
use flows::{Bijection, Inverse, Parameters, Path, Random};
use harness::{
    check_bijection, check_identity, check_round_trip_f32, perturb, random_vector, rng,
    zero_parameters,
};

fn perturbed<L: Random + Parameters<f64>>(seed: u64, scale: f64) -> L {
    let mut rng = rng(seed);
    let mut layer = L::random(&mut rng);
    perturb(&mut layer, &mut rng, scale);
    layer
}

/// torchflows' sequential inverse: `D` full passes of the network, each on the `x` known so far.
fn naive_inverse<Tr, Net, const D: usize, const C: usize, const P: usize>(
    transformer: &Tr,
    net: &Net,
    z: &SVector<f64, D>,
    context: &SVector<f64, C>,
) -> (SVector<f64, D>, f64)
where
    Tr: Transformer<f64, P>,
    Net: ConditionerTransform<f64, D, C, P, D>,
{
    let mut x = *z;
    let mut log_det = 0.0;
    for i in 0..D {
        let h = net.eval(&x, context);
        let (value, ld) = transformer.inverse(z[i], &h.column(i).into_owned());
        x[i] = value;
        log_det += ld;
    }
    (x, log_det)
}

/// A lane block of `N`-vectors drawn like [`random_vector`] at scale `scale`.
fn random_block<const N: usize>(rng: &mut Xoshiro256PlusPlus, scale: f64) -> Block<f64, N> {
    let events: [SVector<f64, N>; LANES] = core::array::from_fn(|_| random_vector(rng, scale));
    core::array::from_fn(|k| core::array::from_fn(|l| events[l][k]))
}

/// Event `l` of the lane block `block`.
fn lane<const N: usize>(block: &Block<f64, N>, l: usize) -> SVector<f64, N> {
    SVector::from_fn(|k, _| block[k][l])
}

/// The largest difference of `a` from `b` relative to `|b|`, against a floor of 1.
fn relative<const N: usize>(a: &SVector<f64, N>, b: &SVector<f64, N>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// The lane-block sequential direction of `layer` (MAF sampling, and IAF density through
/// [`Inverse`]) against `D` full passes per event, and the one-pass lane direction back to the
/// start, to 1e-12 (relative, against a floor of 1: the lane kernels' `tanh` differs from the
/// per-event one by a few ulps, which `D` sequential steps amplify).
fn check_sequential_lanes<Tr, Net, const D: usize, const C: usize, const P: usize>(
    layer: &MaskedAutoregressive<Tr, Net, D, P>,
    seed: u64,
) where
    Tr: Transformer<f64, P>,
    Net: AutoregressiveTransform<f64, D, C, P> + Copy,
{
    let mut rng = rng(seed);
    let z = random_block::<D>(&mut rng, 1.5);
    let contexts = random_block::<C>(&mut rng, 1.0);
    let start = [0.25; LANES];
    let (mut x, mut log_det) = (z, start);
    layer.inverse_lanes(&mut x, &contexts, &mut log_det);
    let (mut y, mut log_det_iaf) = (z, start);
    Inverse(*layer).forward_lanes(&mut y, &contexts, &mut log_det_iaf);
    for l in 0..LANES {
        let (reference, reference_ld) = naive_inverse(
            &layer.transformer,
            &layer.conditioner,
            &lane(&z, l),
            &lane(&contexts, l),
        );
        for (name, got, ld) in [
            ("MAF sampling", &x, log_det[l]),
            ("IAF density", &y, log_det_iaf[l]),
        ] {
            let error = relative(&lane(got, l), &reference);
            assert!(error <= 1e-12, "{name}, lane {l}: {error:e} at {reference}");
            let ld_error = (ld - start[l] - reference_ld).abs() / reference_ld.abs().max(1.0);
            assert!(ld_error <= 1e-12, "{name} log-det, lane {l}: {ld_error:e}");
        }
    }
    let mut back = x;
    layer.forward_lanes(&mut back, &contexts, &mut log_det);
    for l in 0..LANES {
        let error = relative(&lane(&back, l), &lane(&z, l));
        assert!(error <= 1e-12, "round trip, lane {l}: {error:e}");
        assert!(
            (log_det[l] - start[l]).abs() <= 1e-10,
            "round-trip log-det, lane {l}"
        );
    }
}

/// For each event size `D` and context size `C`, a module of tests.
macro_rules! autoregressive_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        mod $name {
            use super::*;

            const D: usize = $d;
            const C: usize = $c;
            /// The smallest width the rule allows, and a wider one.
            const NARROWEST: usize = min_width(D, C);
            const H: usize = D + 3;

            type Maf = AffineMaskedAutoregressive<f64, D, C, H, 0>;
            type MafDeep = AffineMaskedAutoregressive<f64, D, C, NARROWEST, 2>;
            type Iaf = AffineInverseMaskedAutoregressive<f64, D, C, H, 1>;
            type ShiftRelu = MaskedAutoregressive<Shift, Made<f64, D, C, H, 1, 1, Relu>, D, 1>;
            type InverseScale = InverseMaskedAutoregressive<Scale, Made<f64, D, C, H, 0, 1>, D, 1>;
            type MafF32 = AffineMaskedAutoregressive<f32, D, C, H, 1>;
            type Net = Made<f64, D, C, H, 1, 2>;
            /// Narrower than the event (`H < D` from `D = 2` on): the explicit opt-in.
            type NarrowDeep = MaskedAutoregressive<
                Affine,
                Made<f64, D, C, { D.div_ceil(2) }, 2, 2, Tanh, true>,
                D,
                2,
            >;

            #[test]
            fn affine() {
                check_bijection::<_, D, C>(&perturbed::<Maf>(1, 0.3), 11);
            }

            #[test]
            fn affine_deep_narrowest() {
                check_bijection::<_, D, C>(&perturbed::<MafDeep>(2, 0.3), 12);
            }

            #[test]
            fn inverse_affine() {
                check_bijection::<_, D, C>(&perturbed::<Iaf>(3, 0.3), 13);
            }

            #[test]
            fn shift_relu() {
                check_bijection::<_, D, C>(&perturbed::<ShiftRelu>(4, 0.3), 14);
            }

            #[test]
            fn inverse_scale() {
                check_bijection::<_, D, C>(&perturbed::<InverseScale>(5, 0.3), 15);
            }

            #[test]
            fn round_trip_f32() {
                let mut rng = rng(6);
                let mut layer = MafF32::random(&mut rng);
                perturb(&mut layer, &mut rng, 0.3);
                check_round_trip_f32::<_, D, C>(&layer, 16);
            }

            #[test]
            fn identity_at_zero_parameters() {
                let mut maf = perturbed::<MafDeep>(7, 0.5);
                zero_parameters(&mut maf);
                check_identity::<_, D, C>(&maf);
                let mut iaf = perturbed::<Iaf>(8, 0.5);
                zero_parameters(&mut iaf);
                check_identity::<_, D, C>(&iaf);
                // The initialization (output layer at zero) is the identity too.
                check_identity::<_, D, C>(&Maf::random(&mut rng(9)));
            }

            /// Entry `(i, j)` of the Jacobian of element `i`'s parameters with respect to `x_j` is
            /// exactly zero for `j >= i` and nonzero for `j < i` (every earlier input conditions
            /// every later element, which the width rule guarantees).
            #[test]
            fn made_jacobian_is_strictly_lower_triangular() {
                // Noise of scale 1/sqrt(D) keeps the hidden units out of saturation, where a
                // single path through the masks could vanish numerically.
                let scale = 1.0 / (D as f64).sqrt();
                for (seed, net) in [(21, perturbed::<Net>(20, scale)), (23, perturbed::<Net>(22, scale))] {
                    let mut rng = rng(seed);
                    let x: SVector<f64, D> = random_vector(&mut rng, 1.0);
                    let context: SVector<f64, C> = random_vector(&mut rng, 1.0);
                    let base = net.eval(&x, &context);
                    for j in 0..D {
                        let mut plus = x;
                        plus[j] += 1e-3;
                        let mut minus = x;
                        minus[j] -= 1e-3;
                        let (up, down) = (net.eval(&plus, &context), net.eval(&minus, &context));
                        for i in 0..D {
                            let change = (up.column(i) - down.column(i)).abs().max();
                            if j >= i {
                                assert!(
                                    up.column(i) == base.column(i) && down.column(i) == base.column(i),
                                    "parameters of element {i} depend on x_{j}: change {change:e}"
                                );
                            } else {
                                assert!(change > 1e-12, "x_{j} does not condition element {i}");
                            }
                        }
                    }
                }
            }

            /// The context conditions the parameters of every element, element 0 included.
            #[test]
            fn context_changes_every_element() {
                if C == 0 {
                    return;
                }
                let net = perturbed::<Net>(30, 0.5);
                let mut rng = rng(31);
                let x: SVector<f64, D> = random_vector(&mut rng, 1.0);
                let c1: SVector<f64, C> = random_vector(&mut rng, 1.0);
                let c2: SVector<f64, C> = random_vector(&mut rng, 1.0);
                let (h1, h2) = (net.eval(&x, &c1), net.eval(&x, &c2));
                for i in 0..D {
                    let change = (h1.column(i) - h2.column(i)).abs().max();
                    assert!(change > 1e-6, "the context does not condition element {i}");
                }
                let layer = perturbed::<Maf>(32, 0.5);
                assert_ne!(layer.forward(&x, &c1).0, layer.forward(&x, &c2).0);
            }

            /// The incremental sequential direction agrees with `D` full passes (torchflows'
            /// algorithm) to 1e-12, in both MAF sampling and IAF density evaluation.
            #[test]
            fn sequential_matches_naive_reference() {
                let maf = perturbed::<AffineMaskedAutoregressive<f64, D, C, H, 1>>(40, 0.5);
                let iaf = perturbed::<Iaf>(41, 0.5);
                let full = MaskedAutoregressive::<Affine, FullPass<Net>, D, 2> {
                    transformer: Affine,
                    conditioner: FullPass(maf.conditioner),
                };
                let mut rng = rng(42);
                for _ in 0..4 {
                    let z: SVector<f64, D> = random_vector(&mut rng, 1.5);
                    let context: SVector<f64, C> = random_vector(&mut rng, 1.0);
                    let (x, ld) = maf.inverse(&z, &context);
                    for (name, (reference, reference_ld)) in [
                        ("naive", naive_inverse(&Affine, &maf.conditioner, &z, &context)),
                        ("full pass", full.inverse(&z, &context)),
                    ] {
                        let error = (x - reference).abs().max();
                        assert!(error <= 1e-12, "MAF sampling vs {name}: {error:e}");
                        assert!((ld - reference_ld).abs() <= 1e-12, "MAF log-det vs {name}");
                    }
                    let (y, ld) = iaf.forward(&z, &context);
                    let (reference, reference_ld) =
                        naive_inverse(&InverseAffine::default(), &iaf.0.conditioner, &z, &context);
                    let error = (y - reference).abs().max();
                    assert!(error <= 1e-12, "IAF density vs naive: {error:e}");
                    assert!((ld - reference_ld).abs() <= 1e-12, "IAF log-det vs naive");
                }
            }

            /// The lane-block sequential direction (the incremental evaluation over lane rows)
            /// agrees with `D` full passes per event to 1e-12, for wide, narrow (`H < D`) and
            /// deep MADEs, another activation and transformer, and through the one-event-at-a-time
            /// default of other networks ([`FullPass`]).
            #[test]
            fn sequential_lanes_match_naive_reference() {
                check_sequential_lanes(&perturbed::<Maf>(140, 0.3), 141);
                check_sequential_lanes(&perturbed::<MafDeep>(142, 0.3), 143);
                check_sequential_lanes(&perturbed::<NarrowDeep>(144, 0.3), 145);
                check_sequential_lanes(&perturbed::<ShiftRelu>(146, 0.3), 147);
                let maf = perturbed::<AffineMaskedAutoregressive<f64, D, C, H, 1>>(148, 0.3);
                let full = MaskedAutoregressive::<Affine, FullPass<Net>, D, 2> {
                    transformer: Affine,
                    conditioner: FullPass(maf.conditioner),
                };
                check_sequential_lanes(&full, 149);
            }

            /// The incremental state gives the one-pass parameters once the inputs are pushed.
            #[test]
            fn incremental_state_matches_eval() {
                let net = perturbed::<Made<f64, D, C, NARROWEST, 2, 3>>(50, 0.5);
                let mut rng = rng(51);
                let x: SVector<f64, D> = random_vector(&mut rng, 1.0);
                let context: SVector<f64, C> = random_vector(&mut rng, 1.0);
                let h = net.eval(&x, &context);
                let mut state = net.start(&context);
                for i in 0..D {
                    assert_eq!(net.element(&state, i), h.column(i).into_owned(), "element {i}");
                    net.push(&mut state, i, x[i]);
                }
            }

            /// The one-pass lane evaluation (the masks' zero blocks skipped, the output blocks of
            /// runs of elements stacked) gives every element's parameters of every event to
            /// 1e-12, for a wide, a deep and a narrow (`H < D`) network.
            #[test]
            fn eval_lanes_matches_eval() {
                fn check<Net: ConditionerTransform<f64, D, C, 3, D> + Random + Parameters<f64>>(
                    seed: u64,
                ) {
                    let net = perturbed::<Net>(seed, 0.5);
                    let mut rng = rng(seed + 1);
                    let x = random_block::<D>(&mut rng, 1.5);
                    let contexts = random_block::<C>(&mut rng, 1.0);
                    let mut h = [[[0.0; LANES]; 3]; D];
                    net.eval_lanes(&x, &contexts, &mut h);
                    for l in 0..LANES {
                        let reference = net.eval(&lane(&x, l), &lane(&contexts, l));
                        for (i, column) in reference.column_iter().enumerate() {
                            for (p, &r) in column.iter().enumerate() {
                                let error = (h[i][p][l] - r).abs() / r.abs().max(1.0);
                                assert!(error <= 1e-12, "element {i}, parameter {p}: {error:e}");
                            }
                        }
                    }
                }
                check::<Made<f64, D, C, H, 0, 3>>(54);
                check::<Made<f64, D, C, NARROWEST, 2, 3>>(56);
                check::<Made<f64, D, C, 5, 0, 3, Tanh, true>>(58);
            }

            /// Perturbing every visited weight leaves the masked ones at zero.
            #[test]
            fn masked_weights_stay_zero() {
                let net = perturbed::<Net>(60, 1.0);
                let degrees = Degrees::new(D, C, H);
                for (k, row) in net.input().weight.row_iter().enumerate() {
                    for (j, &w) in row.iter().enumerate() {
                        assert_eq!(w == 0.0, !degrees.input_mask(k, j), "input weight ({k}, {j})");
                    }
                }
                for (k, row) in net.hidden()[0].weight.row_iter().enumerate() {
                    for (l, &w) in row.iter().enumerate() {
                        assert_eq!(w == 0.0, !degrees.hidden_mask(k, l), "hidden weight ({k}, {l})");
                    }
                }
                for (i, block) in net.output().iter().enumerate() {
                    for (k, column) in block.weight.column_iter().enumerate() {
                        let zero = column.iter().all(|&w| w == 0.0);
                        assert_eq!(zero, !degrees.output_mask(i, k), "output weight ({i}, {k})");
                    }
                }
            }
        }
    )*};
}

autoregressive_tests! {
    d1: 1, 0;
    d1_context: 1, 2;
    d2: 2, 0;
    d2_context: 2, 2;
    d3: 3, 0;
    d3_context: 3, 2;
    d10: 10, 0;
    d10_context: 10, 3;
    d64: 64, 0;
    d64_context: 64, 2;
}

/// Without context the hidden degrees are torchflows' (unit `k` of `H` has degree
/// `k mod (D - 1) + 1`), sorted; with one, degree 0 (context only) joins them.
#[test]
fn degrees_are_torchflows_sorted() {
    for (d, h) in [
        (2, 4),
        (3, 4),
        (10, 4),
        (10, 9),
        (10, 23),
        (64, 64),
        (64, 130),
    ] {
        let degrees = Degrees::new(d, 0, h);
        let mut ours: Vec<usize> = (0..h).map(|k| degrees.degree(k)).collect();
        let theirs: Vec<usize> = {
            let mut v: Vec<usize> = (0..h).map(|k| k % (d - 1) + 1).collect();
            v.sort_unstable();
            v
        };
        assert!(ours.windows(2).all(|w| w[0] <= w[1]), "degrees not sorted");
        ours.sort_unstable();
        assert_eq!(ours, theirs, "D = {d}, H = {h}");
        for g in 0..=d + 1 {
            let first = degrees.first_unit(g);
            assert_eq!(
                first,
                (0..h).filter(|&k| degrees.degree(k) < g).count(),
                "first unit {g}"
            );
        }
    }
    let with_context = Degrees::new(10, 3, 25);
    let counts: Vec<usize> = (0..10)
        .map(|g| (0..25).filter(|&k| with_context.degree(k) == g).count())
        .collect();
    assert_eq!(counts, [3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
    assert_eq!(
        (
            min_width(1, 0),
            min_width(1, 2),
            min_width(10, 0),
            min_width(10, 1)
        ),
        (0, 1, 9, 10)
    );
}

/// torchflows' own narrow default (4 hidden units at `D = 10`) needs the explicit opt-in; it is a
/// valid bijection in which `x_5..x_10` condition nothing.
#[test]
fn narrow_opt_in() {
    type Narrow = MaskedAutoregressive<Affine, Made<f64, 10, 0, 4, 0, 2, Tanh, true>, 10, 2>;
    let layer = perturbed::<Narrow>(70, 0.5);
    check_bijection::<_, 10, 0>(&layer, 71);
    let x: SVector<f64, 10> = random_vector(&mut rng(72), 1.0);
    let mut moved = x;
    moved[6] += 1.0;
    let context = SVector::<f64, 0>::zeros();
    assert_eq!(
        layer.conditioner.eval(&x, &context),
        layer.conditioner.eval(&moved, &context)
    );
}

/// NaN inputs give NaN outputs, never a panic, in both directions.
#[test]
fn nan_propagates() {
    let layer = perturbed::<AffineMaskedAutoregressive<f64, 5, 1, 8, 1>>(80, 0.5);
    let mut x = SVector::<f64, 5>::from_element(0.5);
    x[2] = f64::NAN;
    let context = SVector::<f64, 1>::from_element(0.1);
    assert!(layer.forward(&x, &context).0[2].is_nan());
    assert!(layer.inverse(&x, &context).0[4].is_nan());
    assert!(
        layer
            .forward(&x, &SVector::from_element(f64::NAN))
            .1
            .is_nan()
    );
}

/// The parameter names are those of the full weight matrices.
#[test]
fn parameter_names() {
    let layer = perturbed::<AffineMaskedAutoregressive<f64, 3, 2, 4, 1>>(90, 0.1);
    let mut names = Vec::new();
    layer.visit(&Path::ROOT, &mut |path, values| {
        names.push((path.to_string(), values.len()))
    });
    let expected = [
        ("conditioner.input.weight", 12),
        ("conditioner.input.context_weight", 8),
        ("conditioner.input.bias", 4),
        ("conditioner.hidden.0.weight", 16),
        ("conditioner.hidden.0.bias", 4),
        ("conditioner.output.0.weight", 8),
        ("conditioner.output.0.bias", 2),
        ("conditioner.output.1.weight", 8),
        ("conditioner.output.1.bias", 2),
        ("conditioner.output.2.weight", 8),
        ("conditioner.output.2.bias", 2),
    ];
    let expected: Vec<(String, usize)> =
        expected.iter().map(|(n, l)| (n.to_string(), *l)).collect();
    assert_eq!(names, expected);
    assert_eq!(
        <AffineMaskedAutoregressive<f64, 3, 2, 4, 1> as Parameters<f64>>::COUNT,
        74
    );
}

/// Gradients of MADE and of both directions of the layers against finite differences, and the
/// sequential reverse mode against `D` full backward passes.
macro_rules! gradient_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        mod $name {
            use super::*;
            use flows::gradient::BijectionGradient;
            use harness::gradient::{check_bijection_gradient, check_conditioner_gradient};

            const D: usize = $d;
            const C: usize = $c;
            const H: usize = D + 2;

            #[test]
            fn made() {
                check_conditioner_gradient::<_, D, C, 2, D>(
                    &perturbed::<Made<f64, D, C, H, 1, 2>>(100, 0.4),
                    101,
                );
                check_conditioner_gradient::<_, D, C, 1, D>(
                    &perturbed::<Made<f64, D, C, H, 0, 1, Relu>>(102, 0.4),
                    103,
                );
            }

            #[test]
            fn maf_and_iaf() {
                check_bijection_gradient::<_, D, C>(
                    &perturbed::<AffineMaskedAutoregressive<f64, D, C, H, 1>>(110, 0.4),
                    111,
                );
                check_bijection_gradient::<_, D, C>(
                    &perturbed::<AffineInverseMaskedAutoregressive<f64, D, C, H, 0>>(112, 0.4),
                    113,
                );
                check_bijection_gradient::<_, D, C>(
                    &perturbed::<MaskedAutoregressive<Shift, Made<f64, D, C, H, 2, 1, Relu>, D, 1>>(
                        114, 0.4,
                    ),
                    115,
                );
            }

            #[test]
            fn sequential_reverse_matches_full_passes() {
                let maf = perturbed::<AffineMaskedAutoregressive<f64, D, C, H, 1>>(120, 0.4);
                let full = MaskedAutoregressive::<Affine, FullPass<Made<f64, D, C, H, 1, 2>>, D, 2> {
                    transformer: Affine,
                    conditioner: FullPass(maf.conditioner),
                };
                let mut rng = rng(121);
                let z: SVector<f64, D> = random_vector(&mut rng, 1.0);
                let context: SVector<f64, C> = random_vector(&mut rng, 1.0);
                let d_x: SVector<f64, D> = random_vector(&mut rng, 1.0);
                let mut grad = maf;
                zero_parameters(&mut grad);
                let mut grad_full = full;
                zero_parameters(&mut grad_full);
                let (mut d_c, mut d_c_full) = (SVector::zeros(), SVector::zeros());
                let d_z = maf.backward_inverse(&z, &context, &d_x, 0.7, &mut grad, &mut d_c);
                let d_z_full =
                    full.backward_inverse(&z, &context, &d_x, 0.7, &mut grad_full, &mut d_c_full);
                assert!((d_z - d_z_full).abs().max() <= 1e-12, "d_z");
                assert!((d_c - d_c_full).abs().max() <= 1e-12, "d_context");
                let (a, b) = (harness::gradient::flat_parameters(&grad), harness::gradient::flat_parameters(&grad_full));
                for ((name, x), (_, y)) in a.iter().zip(&b) {
                    assert!((x - y).abs() <= 1e-12, "{name}: {x} vs {y}");
                }
            }
        }
    )*};
}

gradient_tests! {
    gradient_d1: 1, 0;
    gradient_d1_context: 1, 2;
    gradient_d2: 2, 0;
    gradient_d3_context: 3, 2;
    gradient_d10: 10, 0;
    gradient_d10_context: 10, 3;
}

/// The presets: torchflows' layout around MAF and IAF layers, at random parameters.
macro_rules! preset_tests {
    ($($name:ident: $d:literal, $c:literal;)*) => {$(
        #[test]
        fn $name() {
            let mut rng = rng(130);
            let mut maf = <flows::MAF!(f64, $d, context = $c, layers = 2, hidden = 8)>::random(&mut rng);
            perturb(&mut maf.bijection, &mut rng, 0.2);
            check_bijection::<_, $d, $c>(&maf.bijection, 131);
            let mut iaf = <flows::IAF!(f64, $d, context = $c, layers = 2, hidden_layers = 1)>::random(&mut rng);
            perturb(&mut iaf.bijection, &mut rng, 0.1);
            check_bijection::<_, $d, $c>(&iaf.bijection, 132);
            harness::gradient::check_flow_gradient(&maf, 133);
        }
    )*};
}

preset_tests! {
    preset_d1: 1, 0;
    preset_d2_context: 2, 2;
    preset_d10: 10, 0;
    preset_d10_context: 10, 3;
}

/// A width below the rule's minimum is raised to it; the default width is 64 with two hidden
/// layers, and four blocks.
#[test]
fn preset_widths() {
    type Narrow = flows::MAF!(f64, 10, hidden = 4);
    type NarrowLayer = AffineMaskedAutoregressive<f64, 10, 0, 9, 1>;
    let flow = Narrow::seeded(0);
    let _: &flows::preset::AutoregressiveLayers<f64, NarrowLayer, 10, 0, 4> = &flow.bijection;
    type Default64 = flows::IAF!(f32, 64, context = 1);
    let iaf = Default64::seeded(1);
    let _: &AffineInverseMaskedAutoregressive<f32, 64, 1, 64, 1> = &iaf.bijection.1[0].1;
    type Wide = flows::IAF!(f32, 80, context = 1, layers = 1, hidden_layers = 1);
    let wide = Wide::seeded(2);
    let _: &AffineInverseMaskedAutoregressive<f32, 80, 1, 80, 0> = &wide.bijection.1[0].1;
}
