//! Image flows declared with `flow!`: presets expand to the library preset's layers (identical
//! outputs with identical parameters), layer lists to the image layers with the geometry of each
//! point, and both are bijections with the right log-dets.

use flows::nalgebra::SVector;
use flows::{Bijection, MultiscaleRealNVP, Parameters, flow};
use harness::gradient::check_bijection_gradient;
use harness::{check_bijection, perturb, rng};

flow! {
    /// Digits as images, in one line.
    struct Digits: f64 [1, 8, 8] = MultiscaleRealNVP(levels = 2, blocks = 1, hidden = 4);

    /// Levels chosen from the shape (8 x 8: three).
    struct Auto: f64 [1, 8, 8] = Glow(blocks = 1, hidden = 2, hidden_layers = 1);

    /// A Glow-like level by hand, with a context.
    struct ByHand: f64 [1, 4, 4] | context 2 {
        ActNorm,
        2 * { Coupling(Affine, Checkerboard, ConvNet(hidden = 4, layers = 1)), Coupling(Affine, Checkerboard(alternate = true)) },
        Squeeze,
        2 * { ActNorm, Conv1x1, Coupling(Affine, ChannelSplit, ConvNet(hidden = 3, activation = Tanh)) },
        Coupling(RationalQuadratic(bins = 4), ChannelSplit(alternate = true)),
    }
}

#[test]
fn a_declared_preset_is_the_library_preset() {
    type Library = MultiscaleRealNVP!(f64, [1, 8, 8], levels = 2, blocks = 1, hidden = 4);
    let mut declared = Digits::seeded(3);
    perturb(&mut declared, &mut rng(1), 0.3);
    let mut library = Library::seeded(0);
    let mut values = Vec::new();
    declared.visit(&flows::Path::ROOT, &mut |_, v| values.extend_from_slice(v));
    let mut offset = 0;
    library.visit_mut(&flows::Path::ROOT, &mut |_, v| {
        v.copy_from_slice(&values[offset..offset + v.len()]);
        offset += v.len();
    });
    assert_eq!(offset, values.len());
    assert_eq!(Digits::PARAMETER_COUNT, <Library as Parameters<f64>>::COUNT);
    let x = SVector::<f64, 64>::from_fn(|i, _| (i as f64 * 0.7).sin());
    assert_eq!(declared.log_prob(&x), library.log_prob(&x));
}

#[test]
fn declared_image_flows_are_bijections() {
    let mut digits = Digits::seeded(1);
    perturb(&mut digits, &mut rng(2), 0.3);
    check_bijection::<_, 64, 0>(&digits, 1);
    let mut auto = Auto::seeded(1);
    perturb(&mut auto, &mut rng(3), 0.3);
    check_bijection::<_, 64, 0>(&auto, 2);
    let mut by_hand = ByHand::seeded(1);
    perturb(&mut by_hand, &mut rng(4), 0.2);
    check_bijection::<_, 16, 2>(&by_hand, 3);
    let (z, _) = by_hand.forward(
        &SVector::from_fn(|i, _| i as f64 / 8.0),
        &SVector::from([1.0, -1.0]),
    );
    assert!(z.iter().all(|v| v.is_finite()));
}

#[test]
fn declared_image_flows_have_gradients() {
    let mut digits = Digits::seeded(1);
    perturb(&mut digits, &mut rng(5), 0.1);
    check_bijection_gradient::<_, 64, 0>(&digits.0.bijection, 4);
}
