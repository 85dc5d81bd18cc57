//! `flow!` and `#[derive(Bijection)]` against the same flows built by hand.

use flows::gradient::BijectionGradient;
use flows::layer::{ActNorm, Coupling, ElementwiseAffine, ReversePermutation};
use flows::net::{FeedForward, Linear};
use flows::transformer::{Affine, Shift};
use flows::{Bijection, Parameters, Random, RealNVP, flow};
use nalgebra::SVector;

flow! {
    /// Five readings given a two-element context.
    pub struct Sensor: f64 [5] | context 2 {
        ElementwiseAffine,
        3 * { ReversePermutation, Coupling(Affine, HalfSplit, FeedForward(hidden = 8)), ActNorm },
        Coupling(Shift, Mask(source = [4, 0]), Linear),
    }

    /// RealNVP in one line.
    struct Moons: f64 [2] = RealNVP(layers = 3, hidden = 16);
}

type Block = (
    ReversePermutation,
    Coupling<Affine, FeedForward<f64, 2, 2, 8, 1, 2, 3>, 5, 2, 3, 2>,
    ActNorm<f64, 5>,
);
type ByHand = (
    ElementwiseAffine<f64, 5, 2>,
    [Block; 3],
    Coupling<Shift, Linear<f64, 2, 2, 1, 3>, 5, 2, 3, 1>,
);

#[test]
fn declared_and_hand_built_flows_agree() {
    let declared = Sensor::seeded(3);
    let mut rng = <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(3);
    let mut by_hand: ByHand = (
        Random::random(&mut rng),
        Random::random(&mut rng),
        Coupling::with_partition(
            flows::conditioner::Partition::from_source(&[4, 0]).unwrap(),
            &mut rng,
        ),
    );
    // Same parameters, visited in the same order under the same names.
    let mut declared_params = Vec::new();
    declared.visit(&flows::Path::ROOT, &mut |p, v| {
        declared_params.push((p.to_string(), v.to_vec()))
    });
    let mut hand_params = Vec::new();
    by_hand.visit(&flows::Path::ROOT, &mut |p, v| {
        hand_params.push((p.to_string(), v.to_vec()))
    });
    assert_eq!(declared_params, hand_params);
    assert_eq!(Sensor::PARAMETER_COUNT, <ByHand as Parameters<f64>>::COUNT);
    assert_eq!(Sensor::PARAMETER_BYTES, 8 * Sensor::PARAMETER_COUNT);

    // Nonzero output layers, so that every conditioner matters.
    let mut k = 0.0;
    let mut perturb = |_: &flows::Path<'_>, v: &mut [f64]| {
        for x in v {
            k += 1.0;
            *x += 0.01 * (k * 0.7f64).sin();
        }
    };
    let mut declared = declared;
    declared.visit_mut(&flows::Path::ROOT, &mut perturb);
    let mut k = 0.0;
    by_hand.visit_mut(&flows::Path::ROOT, &mut |_, v| {
        for x in v {
            k += 1.0;
            *x += 0.01 * (k * 0.7f64).sin();
        }
    });
    let x = SVector::from([0.3, -1.2, 0.8, 2.0, -0.4]);
    let c = SVector::from([0.5, -0.5]);
    assert_eq!(declared.forward(&x, &c), by_hand.forward(&x, &c));
    let (z, _) = declared.forward(&x, &c);
    assert_eq!(declared.inverse(&z, &c), by_hand.inverse(&z, &c));
    assert!((declared.inverse(&z, &c).0 - x).norm() < 1e-10);
    assert!(declared.log_prob_given(&x, &c).is_finite());
}

#[test]
fn a_preset_is_the_library_preset() {
    let declared = Moons::seeded(9);
    let preset: RealNVP!(f64, 2, layers = 3, hidden = 16) = flows::Flow::seeded(9);
    // The same type inside, so the same parameters.
    let inner: &RealNVP!(f64, 2, layers = 3, hidden = 16) = &declared.0;
    let x = SVector::from([0.25, -0.5]);
    assert_eq!(inner.log_prob(&x), preset.log_prob(&x));
    assert_eq!(declared.log_prob(&x), preset.log_prob(&x));
}

/// Two layers by field name.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [3])]
struct Pair {
    norm: ActNorm<f64, 3>,
    reverse: ReversePermutation,
    shift: ElementwiseAffine<f64, 3, 0>,
}

#[test]
fn derived_bijection_composes_fields_in_order() {
    let mut pair =
        Pair::random(&mut <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(0));
    pair.norm.shift = SVector::from([1.0, 2.0, 3.0]);
    pair.norm.log_scale = SVector::from([0.1, 0.2, 0.3]);
    let x = SVector::from([1.0, 0.0, -1.0]);
    let c = SVector::<f64, 0>::zeros();
    let by_hand = (pair.norm, pair.reverse, pair.shift);
    assert_eq!(pair.forward(&x, &c), by_hand.forward(&x, &c));
    assert_eq!(pair.inverse(&x, &c), by_hand.inverse(&x, &c));
    let mut names = Vec::new();
    pair.visit(&flows::Path::ROOT, &mut |p, _| names.push(p.to_string()));
    assert_eq!(names[0], "norm.shift");
    assert_eq!(names.last().unwrap(), "shift.conditioner.blocks.2.bias");
    assert_eq!(<Pair as Parameters<f64>>::COUNT, 6 + 6);
}

/// `d(log_det + sum(z)) / dx` and the parameter gradient through `forward_with_gradient`.
fn gradient_of<B: BijectionGradient<f64, 3, 0> + Random + Parameters<f64>>(
    b: &B,
    x: &SVector<f64, 3>,
) -> (SVector<f64, 3>, Vec<f64>) {
    let mut grad =
        B::random(&mut <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1));
    grad.visit_mut(&flows::Path::ROOT, &mut |_, v| v.fill(0.0));
    let mut d_context = SVector::<f64, 0>::zeros();
    let d_x = b.forward_with_gradient(
        x,
        &SVector::zeros(),
        &mut |_, _| (SVector::from([1.0, 2.0, 3.0]), 1.0),
        &mut grad,
        &mut d_context,
    );
    let mut params = Vec::new();
    grad.visit(&flows::Path::ROOT, &mut |_, v| params.extend_from_slice(v));
    (d_x, params)
}

#[test]
fn derived_and_declared_gradients_are_those_of_the_composition() {
    let mut pair =
        Pair::random(&mut <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(0));
    let mut k = 0.0;
    pair.visit_mut(&flows::Path::ROOT, &mut |_, v| {
        for x in v {
            k += 1.0;
            *x = 0.1 * (k * 1.3f64).sin();
        }
    });
    let x = SVector::from([0.4, -0.3, 1.1]);
    let tuple = (pair.norm, pair.reverse, pair.shift);
    assert_eq!(gradient_of(&pair, &x), gradient_of(&tuple, &x));

    // Through `backward_inverse` too.
    let mut g1 = pair.clone();
    g1.visit_mut(&flows::Path::ROOT, &mut |_, v| v.fill(0.0));
    let mut g2 = tuple;
    g2.visit_mut(&flows::Path::ROOT, &mut |_, v| v.fill(0.0));
    let d = SVector::from([0.5, -1.0, 2.0]);
    let mut c1 = SVector::<f64, 0>::zeros();
    let mut c2 = SVector::<f64, 0>::zeros();
    let a = pair.backward_inverse(&x, &SVector::zeros(), &d, 0.7, &mut g1, &mut c1);
    let b = tuple.backward_inverse(&x, &SVector::zeros(), &d, 0.7, &mut g2, &mut c2);
    assert_eq!(a, b);
    assert_eq!(g1.norm.log_scale, g2.0.log_scale);

    flow! { struct Three: f64 [3] { ActNorm, ReversePermutation, ElementwiseAffine } }
    let mut three = Three::seeded(0);
    three.0.bijection = tuple;
    assert_eq!(gradient_of(&three, &x), gradient_of(&tuple, &x));
}

flow! {
    /// Every autoregressive and spline form.
    pub struct Autoregressive: f64 [4] | context 1 {
        MaskedAutoregressive(Affine, hidden = 8),
        InverseMaskedAutoregressive(InverseAffine, hidden = 3, layers = 1, activation = Relu, narrow = true),
        Coupling(RationalQuadratic(bins = 4, bound = 3.0), Alternating, ResidualFeedForward(hidden = 8, blocks = 1)),
        MaskedAutoregressive(RationalQuadratic(bins = 3), hidden = 6),
    }

    struct Spline: f64 [3] = CouplingRQNSF(layers = 2, hidden = 16, bins = 6);
    struct Maf: f32 [5] = MAF(layers = 2, hidden = 8);
    struct Iaf: f32 [5] = IAF(layers = 2, hidden = 8);
}

#[test]
fn autoregressive_and_spline_layers_are_the_library_layers() {
    use flows::Inverse;
    use flows::layer::MaskedAutoregressive;
    use flows::net::{Made, Relu, ResidualFeedForward, Tanh};
    use flows::transformer::{InverseAffine, RationalQuadratic};
    type ByHand = (
        MaskedAutoregressive<Affine, Made<f64, 4, 1, 8, 1, 2>, 4, 2>,
        Inverse<MaskedAutoregressive<InverseAffine, Made<f64, 4, 1, 3, 0, 2, Relu, true>, 4, 2>>,
        Coupling<RationalQuadratic<4>, ResidualFeedForward<f64, 2, 1, 8, 1, 11, 2>, 4, 2, 2, 11>,
        MaskedAutoregressive<RationalQuadratic<3>, Made<f64, 4, 1, 6, 1, 8, Tanh>, 4, 8>,
    );
    let declared = Autoregressive::seeded(5);
    let mut rng = <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(5);
    let mut by_hand: ByHand = (
        Random::random(&mut rng),
        Random::random(&mut rng),
        Coupling::with_partition(
            flows::conditioner::Partition::new(&[1, 3], &[0, 2]).unwrap(),
            &mut rng,
        ),
        Random::random(&mut rng),
    );
    by_hand.2.transformer = RationalQuadratic::new(3.0);
    assert_eq!(declared.0.bijection, by_hand);
    assert_eq!(
        Autoregressive::PARAMETER_COUNT,
        <ByHand as Parameters<f64>>::COUNT
    );

    let spline = Spline::seeded(2);
    let preset: flows::CouplingRQNSF!(f64, 3, layers = 2, hidden = 16, bins = 6) =
        flows::Flow::seeded(2);
    assert_eq!(spline.0.bijection, preset.bijection);
    let x = SVector::from([0.5, -1.0, 2.0]);
    assert_eq!(spline.log_prob(&x), preset.log_prob(&x));

    let maf = Maf::seeded(1);
    let iaf = Iaf::seeded(1);
    let x = SVector::from([0.5f32, -1.0, 2.0, 0.0, 1.0]);
    assert!(maf.log_prob(&x).is_finite() && iaf.log_prob(&x).is_finite());
}

flow! {
    /// More layers than one tuple holds: nested tuples of at most 12.
    struct Long: f64 [2] {
        ActNorm, ReversePermutation, ActNorm, ReversePermutation, ActNorm, ReversePermutation,
        ActNorm, ReversePermutation, ActNorm, ReversePermutation, ActNorm, ReversePermutation,
        ActNorm, ElementwiseShift,
    }

    /// No layers: the identity.
    struct Identity: f32 [3] {}
}

#[test]
fn long_and_empty_layer_lists() {
    let mut long = Long::seeded(0);
    let mut names = Vec::new();
    long.visit(&flows::Path::ROOT, &mut |p, _| names.push(p.to_string()));
    assert_eq!(names.first().unwrap(), "0.0.shift");
    assert_eq!(names.last().unwrap(), "1.1.conditioner.blocks.1.bias");
    let mut batch = vec![SVector::from([1.0, 2.0]), SVector::from([3.0, 5.0])];
    long.initialize_from_data(&mut batch);
    let x = SVector::from([0.5, 0.25]);
    let (z, _) = long.forward(&x, &SVector::zeros());
    assert!((long.inverse(&z, &SVector::zeros()).0 - x).norm() < 1e-12);

    let identity = Identity::seeded(0);
    let x = SVector::from([1.0f32, 2.0, 3.0]);
    assert_eq!(identity.forward(&x, &SVector::zeros()), (x, 0.0));
    assert_eq!(Identity::PARAMETER_COUNT, 0);
}

flow! {
    /// Layers of the user's own types: a derived struct and a declared flow.
    struct Composed: f64 [3] {
        Bijection(Pair),
        2 * { Bijection(Inner), ReversePermutation },
    }

    struct Inner: f64 [3] { ActNorm, ElementwiseAffine }
}

#[test]
fn user_types_compose_inside_flow() {
    let mut composed = Composed::seeded(4);
    let mut k = 0.0;
    composed.visit_mut(&flows::Path::ROOT, &mut |_, v| {
        for x in v {
            k += 1.0;
            *x = 0.1 * (k * 0.9f64).cos();
        }
    });
    let (pair, blocks) = composed.0.bijection.clone();
    let x = SVector::from([0.3, -0.6, 0.9]);
    let c = SVector::<f64, 0>::zeros();
    let (mut z, mut log_det) = pair.forward(&x, &c);
    for (inner, reverse) in &blocks {
        let (next, ld) = (inner.clone(), *reverse).forward(&z, &c);
        z = next;
        log_det += ld;
    }
    let (declared_z, declared_log_det) = composed.forward(&x, &c);
    assert_eq!(declared_z, z);
    assert!((declared_log_det - log_det).abs() < 1e-14);
    let mut names = Vec::new();
    composed.visit(&flows::Path::ROOT, &mut |p, _| names.push(p.to_string()));
    assert_eq!(names[0], "0.norm.shift");
    assert!(names.contains(&"1.1.0.0.log_scale".to_string()));
}

#[test]
fn a_declared_flow_trains_through_its_flow() {
    use flows::train::{FitOptions, TrainingData};
    let data: Vec<SVector<f64, 2>> = (0..64)
        .map(|i| {
            let t = f64::from(i) * 0.1;
            SVector::from([t.sin(), 0.5 * t.cos()])
        })
        .collect();
    let mut moons = Moons::seeded(0);
    let before = moons.clone();
    let options = FitOptions {
        epochs: 2,
        batch_size: 16,
        ..FitOptions::default()
    };
    let report = moons.fit(TrainingData::new(&data), None, &options).unwrap();
    assert!(!format!("{report:?}").is_empty());
    let x = SVector::from([0.1, 0.2]);
    assert_ne!(moons.log_prob(&x), before.log_prob(&x));
}

flow! {
    /// LU layers around a coupling.
    struct Mixing: f64 [4] { LU, Coupling(Affine), LU }
}

#[test]
fn an_lu_layer_is_the_library_layer() {
    use flows::layer::LuLinear;
    type ByHand = (
        LuLinear<f64, 4>,
        Coupling<Affine, FeedForward<f64, 2, 0, 64, 1, 2, 2>, 4, 2, 2, 2>,
        LuLinear<f64, 4>,
    );
    let declared = Mixing::seeded(2);
    let by_hand: &ByHand = &declared.0.bijection;
    assert_eq!(by_hand.0, LuLinear::identity());
    assert_eq!(Mixing::PARAMETER_COUNT, <ByHand as Parameters<f64>>::COUNT);
}

flow! {
    /// The linear-rational spline and the sigmoidal transformers wherever a transformer goes.
    struct Sigmoidal: f64 [4] | context 1 {
        Elementwise(LinearRational(bins = 3)),
        Coupling(LinearRational(bins = 4, bound = 3.0), Alternating, FeedForward(hidden = 8)),
        MaskedAutoregressive(DeepSigmoid(units = 3), hidden = 8),
        InverseMaskedAutoregressive(LinearRational(bins = 2), hidden = 6),
        Coupling(Sigmoid(units = 2), HalfSplit, Linear),
        Elementwise(DeepSigmoid(units = 2, layers = 3)),
        InverseMaskedAutoregressive(Sigmoid(units = 4), hidden = 5, layers = 1),
    }

    struct Lrs: f64 [3] = CouplingLRS(layers = 2, hidden = 8, bins = 5);
    struct DeepSf: f64 [3] = CouplingDeepSF(layers = 2, hidden = 8, units = 4);
    struct MaRqnsf: f64 [3] = MaskedAutoregressiveRQNSF(layers = 2, hidden = 8, bins = 3);
    struct IaRqnsf: f64 [3] = InverseAutoregressiveRQNSF(layers = 2, hidden = 8, bins = 3);
    struct MaLrs: f64 [3] = MaskedAutoregressiveLRS(layers = 2, hidden = 8, bins = 3);
    struct MaDeepSf: f64 [3] = MaskedAutoregressiveDeepSF(layers = 2, hidden = 8, units = 2);
}

#[test]
fn linear_rational_and_sigmoidal_layers_are_the_library_layers() {
    use flows::Inverse;
    use flows::layer::{Elementwise, MaskedAutoregressive};
    use flows::net::Made;
    use flows::transformer::{DeepSigmoid, LinearRational, Sigmoid};
    type ByHand = (
        Elementwise<f64, LinearRational<3>, 4, 1, 12>,
        Coupling<LinearRational<4>, FeedForward<f64, 2, 1, 8, 1, 16, 2>, 4, 2, 2, 16>,
        MaskedAutoregressive<DeepSigmoid<3, 2>, Made<f64, 4, 1, 8, 1, 18>, 4, 18>,
        Inverse<MaskedAutoregressive<LinearRational<2>, Made<f64, 4, 1, 6, 1, 8>, 4, 8>>,
        Coupling<Sigmoid<2>, Linear<f64, 2, 1, 6, 2>, 4, 2, 2, 6>,
        Elementwise<f64, DeepSigmoid<2, 3>, 4, 1, 18>,
        Inverse<MaskedAutoregressive<Sigmoid<4>, Made<f64, 4, 1, 5, 0, 12>, 4, 12>>,
    );
    let declared = Sigmoidal::seeded(6);
    let mut rng = <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(6);
    let mut by_hand: ByHand = (
        Random::random(&mut rng),
        Coupling::with_partition(
            flows::conditioner::Partition::new(&[1, 3], &[0, 2]).unwrap(),
            &mut rng,
        ),
        Random::random(&mut rng),
        Random::random(&mut rng),
        Random::random(&mut rng),
        Random::random(&mut rng),
        Random::random(&mut rng),
    );
    by_hand.1.transformer = LinearRational::new(3.0);
    assert_eq!(declared.0.bijection, by_hand);
    assert_eq!(
        Sigmoidal::PARAMETER_COUNT,
        <ByHand as Parameters<f64>>::COUNT
    );
    let x = SVector::from([0.3, -0.7, 1.1, 0.2]);
    let c = SVector::from([0.4]);
    let (z, log_det) = declared.forward(&x, &c);
    let (back, inverse_log_det) = declared.inverse(&z, &c);
    assert!((back - x).norm() < 1e-9 && (log_det + inverse_log_det).abs() < 1e-9);
}

#[test]
fn linear_rational_and_sigmoidal_presets_are_the_library_presets() {
    use flows::{
        CouplingDeepSF, CouplingLRS, Flow, InverseAutoregressiveRQNSF, MaskedAutoregressiveDeepSF,
        MaskedAutoregressiveLRS, MaskedAutoregressiveRQNSF,
    };
    let lrs: CouplingLRS!(f64, 3, layers = 2, hidden = 8, bins = 5) = Flow::seeded(1);
    assert_eq!(Lrs::seeded(1).0.bijection, lrs.bijection);
    let deep: CouplingDeepSF!(f64, 3, layers = 2, hidden = 8, units = 4) = Flow::seeded(1);
    assert_eq!(DeepSf::seeded(1).0.bijection, deep.bijection);
    let ma: MaskedAutoregressiveRQNSF!(f64, 3, layers = 2, hidden = 8, bins = 3) = Flow::seeded(1);
    assert_eq!(MaRqnsf::seeded(1).0.bijection, ma.bijection);
    let ia: InverseAutoregressiveRQNSF!(f64, 3, layers = 2, hidden = 8, bins = 3) = Flow::seeded(1);
    assert_eq!(IaRqnsf::seeded(1).0.bijection, ia.bijection);
    let ma: MaskedAutoregressiveLRS!(f64, 3, layers = 2, hidden = 8, bins = 3) = Flow::seeded(1);
    assert_eq!(MaLrs::seeded(1).0.bijection, ma.bijection);
    let ma: MaskedAutoregressiveDeepSF!(f64, 3, layers = 2, hidden = 8, units = 2) =
        Flow::seeded(1);
    assert_eq!(MaDeepSf::seeded(1).0.bijection, ma.bijection);
}

/// A coupling declared by attributes.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [6], context = 2)]
#[coupling(Affine, Mask(source = [5, 0]), ResidualFeedForward(hidden = 8, blocks = 1))]
struct DeclaredCoupling(flows::dsl::Layer<Self>);

flow! {
    /// The same coupling as a one-layer flow.
    struct SameCoupling: f64 [6] | context 2 {
        Coupling(Affine, Mask(source = [5, 0]), ResidualFeedForward(hidden = 8, blocks = 1)),
    }
}

#[test]
fn a_layer_declared_by_attributes_is_the_library_layer() {
    use flows::net::{Relu, ResidualFeedForward};
    let mut rng = <rand::rngs::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(3);
    let declared = DeclaredCoupling::random(&mut rng);
    let by_hand: &Coupling<Affine, ResidualFeedForward<f64, 2, 2, 8, 1, 2, 4, Relu>, 6, 2, 4, 2> =
        &declared.0;
    assert_eq!(by_hand.partition.source(), &[5, 0]);
    assert_eq!(*by_hand, SameCoupling::seeded(3).0.bijection);
    let mut names = Vec::new();
    declared.visit(&flows::Path::ROOT, &mut |p, _| names.push(p.to_string()));
    assert_eq!(names[0], "conditioner.input.weight");
    assert_eq!(
        <DeclaredCoupling as Parameters<f64>>::COUNT,
        SameCoupling::PARAMETER_COUNT
    );
}
