//! Reverse-mode gradients of every transformer, network, layer and preset against finite
//! differences, with random parameters, with and without context.

use flows::conditioner::Partition;
use flows::layer::{
    ActNorm, Coupling, ElementwiseAffine, ElementwiseScale, ElementwiseShift, Permutation,
    ReversePermutation,
};
use flows::net::{Constant, FeedForward, Linear, Relu, ResidualFeedForward, Tanh};
use flows::transformer::{Affine, InverseAffine, Scale, Shift};
use flows::{Inverse, NICE, Parameters, Random, RealNVP};
use harness::gradient::{
    check_bijection_gradient, check_conditioner_gradient, check_flow_gradient,
    check_transformer_gradient, relative_error, transformer_gradient_errors,
};

/// A layer drawn from `seed` with every parameter moved by `N(0, scale²)`.
fn random<L: Random + Parameters<f64>>(seed: u64, scale: f64) -> L {
    let mut rng = harness::rng(seed);
    let mut layer = L::random(&mut rng);
    harness::perturb(&mut layer, &mut rng, scale);
    layer
}

#[test]
fn transformers() {
    check_transformer_gradient(&Affine, 1);
    check_transformer_gradient(&Shift, 2);
    check_transformer_gradient(&Scale, 3);
    check_transformer_gradient(&InverseAffine::default(), 4);
}

#[test]
fn the_checker_catches_a_wrong_derivative() {
    /// Affine with the derivative of the value with respect to the shift off by a factor 2.
    #[derive(Clone, Copy, Default)]
    struct Wrong;
    impl flows::transformer::Transformer<f64, 2> for Wrong {
        fn forward(&self, x: f64, h: &flows::nalgebra::SVector<f64, 2>) -> (f64, f64) {
            flows::transformer::Transformer::forward(&Affine, x, h)
        }
        fn inverse(&self, y: f64, h: &flows::nalgebra::SVector<f64, 2>) -> (f64, f64) {
            flows::transformer::Transformer::inverse(&Affine, y, h)
        }
    }
    use flows::gradient::TransformerGradient;
    impl TransformerGradient<f64, 2> for Wrong {
        fn forward_derivatives(
            &self,
            x: f64,
            h: &flows::nalgebra::SVector<f64, 2>,
        ) -> flows::gradient::Derivatives<f64, 2> {
            let mut d = Affine.forward_derivatives(x, h);
            d.d_value_d_params[1] *= 2.0;
            d
        }
        fn inverse_derivatives(
            &self,
            y: f64,
            h: &flows::nalgebra::SVector<f64, 2>,
        ) -> flows::gradient::Derivatives<f64, 2> {
            Affine.inverse_derivatives(y, h)
        }
    }
    let errors =
        transformer_gradient_errors(&Wrong, 0.3, &flows::nalgebra::Vector2::new(0.2, -0.1));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(relative_error(1.0, 1.0 + 2e-6) > harness::gradient::TOLERANCE);

    let caught = std::panic::catch_unwind(|| {
        let layer: Coupling<Wrong, Linear<f64, 1, 0, 2, 1>, 2, 1, 1, 2> = Coupling {
            transformer: Wrong,
            partition: Partition::half_split(),
            conditioner: random(5, 0.5),
        };
        check_bijection_gradient::<_, 2, 0>(&layer, 5);
    });
    assert!(
        caught.is_err(),
        "a wrong coupling gradient passed the check"
    );
}

#[test]
fn networks() {
    check_conditioner_gradient::<Linear<f64, 3, 2, 2, 4>, 3, 2, 2, 4>(&random(1, 0.5), 1);
    check_conditioner_gradient::<Linear<f64, 3, 0, 2, 4>, 3, 0, 2, 4>(&random(2, 0.5), 2);
    check_conditioner_gradient::<Linear<f64, 0, 2, 1, 3>, 0, 2, 1, 3>(&random(3, 0.5), 3);
    check_conditioner_gradient::<Constant<f64, 2, 3>, 3, 2, 2, 3>(&random(4, 0.5), 4);
    check_conditioner_gradient::<FeedForward<f64, 3, 2, 6, 1, 2, 4>, 3, 2, 2, 4>(
        &random(5, 0.5),
        5,
    );
    check_conditioner_gradient::<FeedForward<f64, 3, 0, 6, 2, 3, 2>, 3, 0, 3, 2>(
        &random(6, 0.5),
        6,
    );
    check_conditioner_gradient::<FeedForward<f64, 2, 1, 5, 0, 2, 2>, 2, 1, 2, 2>(
        &random(7, 0.5),
        7,
    );
    check_conditioner_gradient::<FeedForward<f64, 3, 2, 6, 1, 2, 4, Relu>, 3, 2, 2, 4>(
        &random(8, 0.5),
        8,
    );
    check_conditioner_gradient::<ResidualFeedForward<f64, 3, 2, 6, 2, 2, 4>, 3, 2, 2, 4>(
        &random(9, 0.5),
        9,
    );
    check_conditioner_gradient::<ResidualFeedForward<f64, 3, 0, 5, 1, 2, 3, Tanh>, 3, 0, 2, 3>(
        &random(10, 0.5),
        10,
    );
}

type AffineCoupling<const C: usize> =
    Coupling<Affine, FeedForward<f64, 2, C, 6, 1, 2, 3>, 5, 2, 3, 2>;

#[test]
fn coupling_layers() {
    check_bijection_gradient::<AffineCoupling<0>, 5, 0>(&random(1, 0.5), 1);
    check_bijection_gradient::<AffineCoupling<2>, 5, 2>(&random(2, 0.5), 2);
    let mut scattered: AffineCoupling<2> = random(3, 0.5);
    scattered.partition = Partition::from_source(&[4, 1]).unwrap();
    check_bijection_gradient::<_, 5, 2>(&scattered, 3);
    type Additive = Coupling<Shift, ResidualFeedForward<f64, 2, 1, 5, 1, 1, 2, Tanh>, 4, 2, 2, 1>;
    check_bijection_gradient::<Additive, 4, 1>(&random(4, 0.5), 4);
    type Iaf = Coupling<InverseAffine, Linear<f64, 1, 2, 2, 2>, 3, 1, 2, 2>;
    check_bijection_gradient::<Iaf, 3, 2>(&random(5, 0.5), 5);
}

#[test]
fn elementwise_and_actnorm() {
    check_bijection_gradient::<ElementwiseAffine<f64, 3, 0>, 3, 0>(&random(1, 0.5), 1);
    check_bijection_gradient::<ElementwiseAffine<f64, 3, 2>, 3, 2>(&random(2, 0.5), 2);
    check_bijection_gradient::<ElementwiseShift<f64, 3, 1>, 3, 1>(&random(3, 0.5), 3);
    check_bijection_gradient::<ElementwiseScale<f64, 3, 0>, 3, 0>(&random(4, 0.5), 4);
    check_bijection_gradient::<ActNorm<f64, 4>, 4, 0>(&random(5, 0.5), 5);
    check_bijection_gradient::<ActNorm<f64, 4>, 4, 2>(&random(6, 0.5), 6);
}

#[test]
fn permutations() {
    check_bijection_gradient::<ReversePermutation, 4, 0>(&ReversePermutation, 1);
    check_bijection_gradient::<_, 4, 1>(&Permutation::<4>::new(&[2, 0, 3, 1]).unwrap(), 2);
}

#[test]
fn compositions() {
    type Block<const C: usize> = (ReversePermutation, AffineCoupling<C>, ActNorm<f64, 5>);
    check_bijection_gradient::<Block<0>, 5, 0>(&random(1, 0.5), 1);
    check_bijection_gradient::<[Block<2>; 3], 5, 2>(&random(2, 0.3), 2);
    check_bijection_gradient::<(ElementwiseAffine<f64, 5, 1>,), 5, 1>(&random(3, 0.5), 3);
    check_bijection_gradient::<Inverse<Block<1>>, 5, 1>(&random(4, 0.5), 4);
    check_bijection_gradient::<[ActNorm<f64, 2>; 0], 2, 0>(&[], 5);
    type Long = (
        ActNorm<f64, 2>,
        ReversePermutation,
        ActNorm<f64, 2>,
        ElementwiseShift<f64, 2, 0>,
        ActNorm<f64, 2>,
        ReversePermutation,
        ActNorm<f64, 2>,
        ElementwiseScale<f64, 2, 0>,
        ActNorm<f64, 2>,
        ReversePermutation,
        Inverse<ActNorm<f64, 2>>,
        ElementwiseAffine<f64, 2, 0>,
    );
    check_bijection_gradient::<Long, 2, 0>(&random(6, 0.5), 6);
}

#[test]
fn presets() {
    type Nvp = RealNVP!(f64, 3, layers = 2, hidden = 5);
    type NvpContext = RealNVP!(f64, 4, context = 2, layers = 2, hidden = 4);
    type Nice = NICE!(f64, 3, context = 1, layers = 2, hidden = 4);
    check_bijection_gradient::<Nvp, 3, 0>(&random(1, 0.3), 1);
    check_bijection_gradient::<NvpContext, 4, 2>(&random(2, 0.3), 2);
    check_bijection_gradient::<Nice, 3, 1>(&random(3, 0.3), 3);
    check_flow_gradient(&random::<Nvp>(4, 0.3), 4);
    check_flow_gradient(&random::<NvpContext>(5, 0.3), 5);
}
