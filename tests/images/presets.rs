//! The multiscale presets on 1x4x4, 2x4x4 and 3x8x8 images: the layout they expand to, round
//! trips, log-dets against the finite-difference Jacobian and gradients against finite
//! differences, at random parameters. The spline preset's gradient check skips the few entries
//! whose differences straddle a knot (`Smoothness::Piecewise`).

use flows::layer::{ChannelActNorm, Conv1x1, Squeeze};
use flows::{Glow, MultiscaleNICE, MultiscaleRQNSF, MultiscaleRealNVP, Parameters, Random};
use harness::gradient::{
    check_bijection_gradient, check_flow_gradient, check_piecewise_bijection_gradient,
};
use harness::{check_bijection, check_round_trip_f32, perturb, rng};

/// A flow drawn from `seed` with every parameter (ActNorm's included) moved by `N(0, scale²)`.
fn random<L: Random + Parameters<f64>>(seed: u64, scale: f64) -> L {
    let mut rng = rng(seed);
    let mut flow = L::random(&mut rng);
    perturb(&mut flow, &mut rng, scale);
    flow
}

type Nice1 = MultiscaleNICE!(f64, [1, 4, 4], levels = 2, blocks = 1, hidden = 3);
type RealNvp1 = MultiscaleRealNVP!(f64, [1, 4, 4], levels = 2, blocks = 1, hidden = 3);
type Rqnsf1 = MultiscaleRQNSF!(f64, [1, 4, 4], levels = 1, blocks = 1, hidden = 3, bins = 4);
type Glow1 = Glow!(f64, [1, 4, 4], blocks = 1, hidden = 3, levels = 2);
type RealNvp2 = MultiscaleRealNVP!(
    f64,
    [2, 4, 4],
    levels = 2,
    blocks = 1,
    hidden = 3,
    context = 2
);
type Glow2 = Glow!(
    f64,
    [2, 4, 4],
    levels = 2,
    blocks = 1,
    hidden = 3,
    hidden_layers = 1
);
type Rqnsf2 = MultiscaleRQNSF!(f64, [2, 4, 4], blocks = 1, hidden = 3, bins = 3);
type RealNvp3 = MultiscaleRealNVP!(f64, [3, 8, 8], levels = 3, blocks = 1, hidden = 3);
type Glow3 = Glow!(f64, [3, 8, 8], levels = 2, blocks = 1, hidden = 3);
/// The smallest Glow on 3x8x8, for the gradient check (every parameter is differenced).
type Glow3Small = Glow!(
    f64,
    [3, 8, 8],
    levels = 1,
    blocks = 1,
    hidden = 2,
    hidden_layers = 1
);
type Nice3 = MultiscaleNICE!(f64, [3, 8, 8], blocks = 1, hidden = 2);

#[test]
fn presets_expand_to_their_layouts() {
    // Glow on 2x4x4, two levels: [checkerboard stage, squeeze, channel stage, factor out
    // [checkerboard stage on 4x2x2]]; every block is [ActNorm, 1x1 convolution, coupling].
    let flow = Glow2::seeded(0);
    let level = &flow.bijection;
    let _: &Squeeze<2, 4, 4, 32> = &level.1;
    let block = &level.0[0].0;
    let _: &ChannelActNorm<f64, 2, 32> = &block.0;
    let _: &Conv1x1<f64, 2, 32> = &block.1;
    let squeezed = &level.2[0].1;
    let _: &Conv1x1<f64, 8, 32> = &squeezed.1;
    let deepest = &level.3.inner[0].0;
    let _: &Conv1x1<f64, 4, 16> = &deepest.1;
    // The channel stage conditions on half of the 8 squeezed channels.
    assert_eq!(squeezed.2.coupling.partition.source().len(), 16);
    // Affine couplings need 2 parameters per element, shift couplings 1: each output
    // convolution of RealNVP has one more 3x3x3 kernel and bias per target channel, over 2
    // couplings of 1 channel (level 1, checkerboard), 2 of 2 channels (level 1, channel-wise,
    // 4 squeezed channels) and 2 of 2 channels (level 2, 2x2x2).
    assert_eq!(
        <RealNvp1 as Parameters<f64>>::COUNT - <Nice1 as Parameters<f64>>::COUNT,
        (9 * 3 + 1) * (2 + 4 + 4)
    );
}

#[test]
fn presets_on_1x4x4() {
    check_bijection::<_, 16, 0>(&random::<Nice1>(1, 0.3).bijection, 1);
    check_bijection::<_, 16, 0>(&random::<RealNvp1>(2, 0.3).bijection, 2);
    check_bijection::<_, 16, 0>(&random::<Rqnsf1>(3, 0.3).bijection, 3);
    check_bijection::<_, 16, 0>(&random::<Glow1>(4, 0.3).bijection, 4);
    check_bijection_gradient::<_, 16, 0>(&random::<RealNvp1>(5, 0.3).bijection, 5);
    check_bijection_gradient::<_, 16, 0>(&random::<Glow1>(6, 0.3).bijection, 6);
    check_flow_gradient(&random::<Nice1>(8, 0.3), 8);
    check_piecewise_bijection_gradient::<_, 16, 0>(&random::<Rqnsf1>(9, 0.3).bijection, 9);
}

#[test]
fn presets_on_2x4x4() {
    check_bijection::<_, 32, 2>(&random::<RealNvp2>(1, 0.3).bijection, 1);
    check_bijection::<_, 32, 0>(&random::<Glow2>(2, 0.3).bijection, 2);
    check_bijection::<_, 32, 0>(&random::<Rqnsf2>(3, 0.3).bijection, 3);
    check_bijection_gradient::<_, 32, 2>(&random::<RealNvp2>(4, 0.2).bijection, 4);
    check_bijection_gradient::<_, 32, 0>(&random::<Glow2>(5, 0.1).bijection, 5);
    check_piecewise_bijection_gradient::<_, 32, 0>(&random::<Rqnsf2>(6, 0.3).bijection, 6);
}

#[test]
fn presets_on_3x8x8() {
    check_bijection::<_, 192, 0>(&random::<RealNvp3>(1, 0.2).bijection, 1);
    check_bijection::<_, 192, 0>(&random::<Glow3>(2, 0.2).bijection, 2);
    check_bijection::<_, 192, 0>(&random::<Nice3>(3, 0.2).bijection, 3);
    check_bijection_gradient::<_, 192, 0>(&random::<Glow3Small>(4, 0.1).bijection, 4);
    let f32_flow = {
        let mut rng = rng(5);
        let mut flow =
            <Glow!(f32, [3, 8, 8], levels = 2, blocks = 1, hidden = 3)>::random(&mut rng);
        perturb(&mut flow, &mut rng, 0.2);
        flow
    };
    check_round_trip_f32::<_, 192, 0>(&f32_flow.bijection, 5);
}

/// Checks that `flow`'s batch log-densities and inverse maps (lane blocks of 16, through the
/// image couplings' lane paths) equal the per-event ones to 1e-12, at 37 events.
fn check_batches<const D: usize, B>(flow: &flows::Flow<f64, D, 0, B>)
where
    B: flows::Bijection<f64, D, 0> + Sync,
{
    use flows::nalgebra::SVector;
    let mut draws = rng(21);
    let xs: Vec<SVector<f64, D>> = (0..37)
        .map(|_| harness::random_vector(&mut draws, 1.0))
        .collect();
    let mut log_p = vec![0.0; xs.len()];
    flow.log_prob_batch(&xs[..], &mut log_p).unwrap();
    let mut back = vec![SVector::<f64, D>::zeros(); xs.len()];
    let mut log_det = vec![0.0; xs.len()];
    flow.inverse_batch_into(&xs[..], &mut back[..], &mut log_det)
        .unwrap();
    let none = SVector::<f64, 0>::zeros();
    for (i, x) in xs.iter().enumerate() {
        let expected = flow.log_prob(x);
        assert!(
            (log_p[i] - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "event {i}: log_prob"
        );
        let (z, ld) = flow.bijection.inverse(x, &none);
        assert!(
            (back[i] - z).amax() <= 1e-12 * z.amax().max(1.0),
            "event {i}: inverse"
        );
        assert!(
            (log_det[i] - ld).abs() <= 1e-12 * ld.abs().max(1.0),
            "event {i}: inverse log-det"
        );
    }
}

#[test]
fn batches_match_single_events() {
    check_batches(&random::<Nice1>(11, 0.3));
    check_batches(&random::<RealNvp1>(12, 0.3));
    check_batches(&random::<Rqnsf1>(13, 0.3));
    check_batches(&random::<Glow1>(14, 0.3));
    check_batches(&random::<Glow3>(15, 0.3));
}
