//! The layers of multiscale image flows on 1x4x4, 2x4x4 and 3x8x8 images, with and without
//! context: masks, squeeze, per-channel ActNorm, 1x1 convolution, the convolutional conditioner
//! and image couplings, factoring out. Round trips, log-dets against the finite-difference
//! Jacobian, identities at zero parameters, and gradients against finite differences.

use flows::Bijection;
use flows::conditioner::Partition;
use flows::layer::{
    ChannelActNorm, ChannelSplit, Checkerboard, Conv1x1, FactorOut, ImageCoupling, ImageMask,
    LuMatrix, Squeeze,
};
use flows::nalgebra::{SMatrix, SVector};
use flows::net::{Conv3x3, ConvNet, Relu, Tanh};
use flows::transformer::{Affine, RationalQuadratic, Shift};
use flows::{Parameters, Random};
use harness::gradient::{
    check_bijection_gradient, check_conditioner_gradient, check_piecewise_bijection_gradient,
    check_piecewise_conditioner_gradient,
};
use harness::{check_bijection, check_identity, perturb, rng, zero_parameters};

/// A layer drawn from `seed` with every parameter moved by `N(0, scale²)`.
fn random<L: Random + Parameters<f64>>(seed: u64, scale: f64) -> L {
    let mut rng = rng(seed);
    let mut layer = L::random(&mut rng);
    perturb(&mut layer, &mut rng, scale);
    layer
}

/// Checks that `mask` splits a `(c, h, w)` image into two lists that cover it once, that the
/// conditioner positions are where the elements are, and returns `(source, target)`.
fn lists(mask: ImageMask, c: usize, h: usize, w: usize) -> (Vec<usize>, Vec<usize>) {
    let d = c * h * w;
    let a = mask.source_len(c, h, w);
    let source: Vec<usize> = (0..a).map(|i| mask.source(i, c, h, w)).collect();
    let target: Vec<usize> = (0..d - a).map(|j| mask.target(j, c, h, w)).collect();
    let mut all: Vec<usize> = source.iter().chain(&target).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..d).collect::<Vec<_>>(), "{mask:?} on {c}x{h}x{w}");
    assert!(source.windows(2).all(|p| p[0] < p[1]) && target.windows(2).all(|p| p[0] < p[1]));
    (source, target)
}

#[test]
fn checkerboard_is_a_checkerboard_on_every_shape() {
    for (c, h, w) in [(1, 4, 4), (2, 4, 4), (3, 8, 8), (2, 3, 2)] {
        for alternate in [false, true] {
            let mask = ImageMask::Checkerboard { alternate };
            let (source, target) = lists(mask, c, h, w);
            let parity = |i: usize| (i % (h * w) / w + i % w) % 2;
            let odd = usize::from(!alternate);
            assert!(
                source.iter().all(|&i| parity(i) == odd),
                "{mask:?} {c}x{h}x{w}"
            );
            assert!(target.iter().all(|&i| parity(i) != odd));
            // The conditioner sees every element where it stands.
            for (i, &s) in source.iter().enumerate() {
                let (channel, pixel) = mask.canvas(i, h, w);
                assert_eq!(channel * h * w + pixel, s);
            }
            for (j, &t) in target.iter().enumerate() {
                let (channel, pixel) = mask.output(j, h, w);
                assert_eq!(channel * h * w + pixel, t);
            }
            assert_eq!(mask.canvas_channels(source.len(), h * w), c);
            assert_eq!(mask.target_channels(target.len(), h * w), c);
        }
    }
    // Row 0 of a 4x4 channel: torchflows' mask is (1, 3) in every row; ours alternates.
    let (source, _) = lists(ImageMask::Checkerboard { alternate: false }, 1, 4, 4);
    assert_eq!(source, [1, 3, 4, 6, 9, 11, 12, 14]);
}

#[test]
fn channel_split_halves_the_channels() {
    for (c, h, w) in [(2, 4, 4), (3, 8, 8), (4, 2, 2)] {
        let n = h * w;
        let (source, target) = lists(ImageMask::ChannelSplit { alternate: false }, c, h, w);
        assert_eq!(source, (0..c / 2 * n).collect::<Vec<_>>());
        assert_eq!(target, (c / 2 * n..c * n).collect::<Vec<_>>());
        let (source, target) = lists(ImageMask::ChannelSplit { alternate: true }, c, h, w);
        assert_eq!(source, (c / 2 * n..c * n).collect::<Vec<_>>());
        assert_eq!(target, (0..c / 2 * n).collect::<Vec<_>>());
    }
    assert!(!ImageMask::ChannelSplit { alternate: false }.fits(1, 4, 4));
    assert!(!ImageMask::Checkerboard { alternate: false }.fits(1, 4, 3));
}

#[test]
fn mask_partitions_are_valid_partitions() {
    let p = ImageMask::Checkerboard { alternate: true }.partition::<3, 8, 8, 192, 96, 96>();
    assert_eq!(Partition::<192, 96, 96>::new(p.source(), p.target()), Ok(p));
    let p = ImageMask::ChannelSplit { alternate: true }.partition::<3, 8, 8, 192, 128, 64>();
    assert_eq!(
        Partition::<192, 128, 64>::new(p.source(), p.target()),
        Ok(p)
    );
}

#[test]
fn squeeze_takes_the_sub_grids_in_torchflows_order() {
    // One 4x4 channel holding its own indices: channel q of the output is sub-grid q.
    let x = SVector::<f64, 16>::from_fn(|i, _| i as f64);
    let (z, log_det) = Squeeze::<1, 4, 4, 16>.forward(&x, &SVector::<f64, 0>::zeros());
    let expected = [
        0, 2, 8, 10, // x[::2, ::2]
        1, 3, 9, 11, // x[::2, 1::2]
        4, 6, 12, 14, // x[1::2, ::2]
        5, 7, 13, 15, // x[1::2, 1::2]
    ];
    assert_eq!(z.iter().map(|v| *v as usize).collect::<Vec<_>>(), expected);
    assert_eq!(log_det, 0.0);
    // Two channels: output channel q·C + c is sub-grid q of channel c.
    let x = SVector::<f64, 32>::from_fn(|i, _| i as f64);
    let (z, _) = Squeeze::<2, 4, 4, 32>.forward(&x, &SVector::<f64, 0>::zeros());
    assert_eq!(z[4], 16.0); // channel 1 = sub-grid 0 of input channel 1
    assert_eq!(z[8], 1.0); // channel 2 = sub-grid 1 of input channel 0
}

#[test]
fn squeeze_round_trips_with_gradients() {
    check_bijection::<_, 16, 0>(&Squeeze::<1, 4, 4, 16>, 1);
    check_bijection::<_, 32, 2>(&Squeeze::<2, 4, 4, 32>, 2);
    check_bijection::<_, 192, 0>(&Squeeze::<3, 8, 8, 192>, 3);
    check_bijection_gradient::<_, 32, 1>(&Squeeze::<2, 4, 4, 32>, 4);
    check_bijection_gradient::<_, 192, 0>(&Squeeze::<3, 8, 8, 192>, 5);
}

#[test]
fn conv3x3_is_a_zero_padded_cross_correlation() {
    let conv: Conv3x3<f64, 2, 3> = random(1, 0.3);
    let (h, w) = (3, 4);
    let x = SMatrix::<f64, 3, 12>::from_fn(|c, p| (c * 12 + p) as f64 * 0.1 - 1.0);
    let y = conv.apply(&x, w);
    for o in 0..2 {
        for row in 0..h {
            for column in 0..w {
                let mut expected = conv.bias[o];
                for dy in 0..3 {
                    for dx in 0..3 {
                        let (r, c) = (row as isize + dy - 1, column as isize + dx - 1);
                        if r < 0 || c < 0 || r >= h as isize || c >= w as isize {
                            continue;
                        }
                        for i in 0..3 {
                            expected += conv.weight[(dy * 3 + dx) as usize][(o, i)]
                                * x[(i, r as usize * w + c as usize)];
                        }
                    }
                }
                let got = y[(o, row * w + column)];
                assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
            }
        }
    }
}

#[test]
fn channel_actnorm_normalizes_each_channel_and_round_trips() {
    let layer: ChannelActNorm<f64, 3, 192> = random(1, 0.5);
    check_bijection::<_, 192, 0>(&layer, 1);
    check_bijection_gradient::<_, 192, 2>(&layer, 2);
    check_identity::<_, 16, 0>(&ChannelActNorm::<f64, 1, 16>::identity());
    let mut batch: Vec<SVector<f64, 32>> = (0..20)
        .map(|k| {
            SVector::from_fn(|i, _| {
                if i < 16 {
                    3.0 + (k * i % 7) as f64
                } else {
                    -2.0 * (k % 3) as f64
                }
            })
        })
        .collect();
    let mut norm = ChannelActNorm::<f64, 2, 32>::identity();
    Bijection::<f64, 32, 0>::initialize_from_data(&mut norm, &mut batch, &|_| SVector::zeros());
    for c in 0..2 {
        let values: Vec<f64> = batch
            .iter()
            .flat_map(|x| x.iter().skip(16 * c).take(16).copied())
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var =
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
        assert!(
            mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12,
            "channel {c}: {mean}, {var}"
        );
    }
}

#[test]
fn conv1x1_has_log_det_h_w_log_det_m() {
    let layer: Conv1x1<f64, 3, 192> = random(1, 0.4);
    check_bijection::<_, 192, 0>(&layer, 1);
    check_bijection_gradient::<_, 48, 0>(&random::<Conv1x1<f64, 3, 48>>(2, 0.4), 2);
    check_bijection_gradient::<_, 32, 1>(&random::<Conv1x1<f64, 2, 32>>(3, 0.4), 3);
    check_bijection::<_, 16, 0>(&random::<Conv1x1<f64, 1, 16>>(4, 0.4), 4);
    // The log-det is 64 times that of the 3x3 matrix, whatever the input.
    let x = SVector::<f64, 192>::from_fn(|i, _| (i as f64).sin());
    let (_, log_det) = layer.forward(&x, &SVector::<f64, 0>::zeros());
    let exact = harness::log_abs_det(&layer.weight.to_matrix());
    assert!(
        (log_det - 64.0 * exact).abs() < 1e-10,
        "{log_det} vs 64 x {exact}"
    );
    check_identity::<_, 48, 0>(&Conv1x1::<f64, 3, 48>::new(LuMatrix::identity()));
}

/// Conditioners, couplings and their gradients for one image shape `(C, H, W)` and context
/// size `X`, with 4 hidden channels and one hidden-to-hidden convolution.
macro_rules! image_couplings {
    ($($name:ident: $c:literal, $h:literal, $w:literal, $x:literal;)*) => {$(
        mod $name {
            use super::*;

            const C: usize = $c;
            const H: usize = $h;
            const W: usize = $w;
            const N: usize = $h * $w;
            const D: usize = $c * $h * $w;
            const X: usize = $x;

            // ReLU (the default) and tanh; the ReLU gradient checks skip the few entries whose
            // finite differences straddle a kink (`Smoothness::Piecewise`).
            type Board<const ALT: bool, Act = Relu> = ImageCoupling<
                Checkerboard<ALT>, Affine, ConvNet<f64, Checkerboard<ALT>, C, 4, 1, { 2 * C }, W, N, X, Act>,
                C, H, W, D, { D / 2 }, { D / 2 }, 2,
            >;
            type BoardNet<Act = Tanh> = ConvNet<f64, Checkerboard<true>, C, 3, 1, C, W, N, X, Act>;

            #[test]
            fn checkerboard_couplings() {
                check_bijection::<_, D, X>(&random::<Board<false>>(1, 0.3), 1);
                check_bijection::<_, D, X>(&random::<Board<true>>(2, 0.3), 2);
                check_bijection_gradient::<_, D, X>(&random::<Board<true, Tanh>>(3, 0.3), 3);
                check_piecewise_bijection_gradient::<_, D, X>(&random::<Board<false>>(6, 0.3), 6);
                let mut zero = random::<Board<false>>(4, 0.3);
                zero_parameters(&mut zero);
                check_identity::<_, D, X>(&zero);
            }

            #[test]
            fn checkerboard_conditioner_gradient() {
                let net = random::<BoardNet>(5, 0.3).with_bound(1.5);
                check_conditioner_gradient::<_, { D / 2 }, X, 1, { D / 2 }>(&net, 5);
                let relu = random::<BoardNet<Relu>>(6, 0.3).with_bound(1.5);
                check_piecewise_conditioner_gradient::<_, { D / 2 }, X, 1, { D / 2 }>(&relu, 6);
            }
        }
    )*};
}

image_couplings! {
    board_1x4x4: 1, 4, 4, 0;
    board_2x4x4: 2, 4, 4, 2;
    board_3x8x8: 3, 8, 8, 0;
}

/// Channel-wise couplings for one shape with `C >= 2`.
macro_rules! channel_couplings {
    ($($name:ident: $c:literal, $h:literal, $w:literal, $x:literal;)*) => {$(
        mod $name {
            use super::*;

            const C: usize = $c;
            const H: usize = $h;
            const W: usize = $w;
            const N: usize = $h * $w;
            const D: usize = $c * $h * $w;
            const X: usize = $x;
            const LOW: usize = $c / 2;
            const HIGH: usize = $c - $c / 2;

            type Split = ImageCoupling<
                ChannelSplit, Shift, ConvNet<f64, ChannelSplit, LOW, 4, 1, HIGH, W, N, X>,
                C, H, W, D, { LOW * N }, { HIGH * N }, 1,
            >;
            type Alternate = ImageCoupling<
                ChannelSplit<true>, Affine,
                ConvNet<f64, ChannelSplit<true>, HIGH, 3, 0, { 2 * LOW }, W, N, X, Tanh>,
                C, H, W, D, { HIGH * N }, { LOW * N }, 2,
            >;
            type Spline = ImageCoupling<
                ChannelSplit, RationalQuadratic<4>,
                ConvNet<f64, ChannelSplit, LOW, 3, 1, { 11 * HIGH }, W, N, X>,
                C, H, W, D, { LOW * N }, { HIGH * N }, 11,
            >;

            #[test]
            fn channel_couplings() {
                check_bijection::<_, D, X>(&random::<Split>(1, 0.3), 1);
                check_bijection::<_, D, X>(&random::<Alternate>(2, 0.3), 2);
                check_bijection::<_, D, X>(&random::<Spline>(3, 0.3), 3);
                check_bijection_gradient::<_, D, X>(&random::<Alternate>(4, 0.3), 4);
                let mut zero = random::<Split>(5, 0.3);
                zero_parameters(&mut zero);
                check_identity::<_, D, X>(&zero);
            }
        }
    )*};
}

channel_couplings! {
    split_2x4x4: 2, 4, 4, 1;
    split_3x8x8: 3, 8, 8, 0;
}

#[test]
fn factor_out_maps_only_the_tail() {
    type Inner = Conv1x1<f64, 2, 16>;
    let layer = FactorOut::<Inner, 32, 16, 16> {
        inner: random(1, 0.4),
    };
    check_bijection::<_, 32, 0>(&layer, 1);
    check_bijection_gradient::<_, 32, 1>(&layer, 2);
    let x = SVector::<f64, 32>::from_fn(|i, _| i as f64);
    let (z, _) = layer.forward(&x, &SVector::<f64, 0>::zeros());
    assert_eq!(z.fixed_rows::<16>(0), x.fixed_rows::<16>(0));
    assert_ne!(z.fixed_rows::<16>(16), x.fixed_rows::<16>(16));
}
