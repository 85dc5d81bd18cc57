//! Layers declared by `#[derive(Bijection)]` attributes: the property harness (round trip,
//! log-det against the finite-difference Jacobian, identity at zero parameters, gradients against
//! finite differences) on each form, with and without context.

use flows::dsl::Layer;
use flows::{Bijection, Parameters, Random};
use harness::gradient::check_bijection_gradient;
use harness::{check_bijection, check_identity, perturb, rng, zero_parameters};

/// torchflows' `AffineCoupling` recipe.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [6], context = 2)]
#[coupling(Affine, HalfSplit, ResidualFeedForward(hidden = 8, blocks = 2))]
struct AffineCoupling(Layer<Self>);

/// A spline coupling on the even elements.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [5])]
#[coupling(
    RationalQuadratic(bins = 4, bound = 3.0),
    Alternating,
    FeedForward(hidden = 6, layers = 1)
)]
struct SplineCoupling {
    layer: Layer<Self>,
}

/// A linear-rational coupling on explicit index lists.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [4], context = 1)]
#[coupling(LinearRational(bins = 3), Mask(source = [3, 0], target = [2, 1]), FeedForward(hidden = 5))]
struct ListCoupling(Layer<Self>);

/// A spline MAF layer.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [5])]
#[masked_autoregressive(RationalQuadratic(bins = 3), hidden = 8)]
struct SplineMaf(Layer<Self>);

/// An affine IAF layer with a context.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [3], context = 1)]
#[inverse_masked_autoregressive(InverseAffine, hidden = 4, activation = Relu)]
struct AffineIaf(Layer<Self>);

/// An elementwise affine map, linear in the context.
#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [3], context = 2)]
#[elementwise(Affine)]
struct ContextAffine(Layer<Self>);

/// A layer drawn from `seed` with every parameter moved by `N(0, 0.4²)`.
fn perturbed<L: Random + Parameters<f64>>(seed: u64) -> L {
    let mut rng = rng(seed);
    let mut layer = L::random(&mut rng);
    perturb(&mut layer, &mut rng, 0.4);
    layer
}

/// The harness on a derived layer: bijection and gradients at random parameters, the identity
/// at zero parameters.
fn check<L, const D: usize, const C: usize>(seed: u64)
where
    L: flows::gradient::BijectionGradient<f64, D, C> + Random + Parameters<f64> + Clone,
{
    let layer = perturbed::<L>(seed);
    check_bijection::<_, D, C>(&layer, seed + 1);
    check_bijection_gradient::<_, D, C>(&layer, seed + 2);
    let mut zero = layer;
    zero_parameters(&mut zero);
    check_identity::<_, D, C>(&zero);
}

#[test]
fn affine_coupling() {
    check::<AffineCoupling, 6, 2>(1);
}

#[test]
fn spline_coupling() {
    check::<SplineCoupling, 5, 0>(2);
}

#[test]
fn list_coupling() {
    check::<ListCoupling, 4, 1>(3);
}

#[test]
fn spline_maf() {
    check::<SplineMaf, 5, 0>(4);
}

#[test]
fn affine_iaf() {
    check::<AffineIaf, 3, 1>(5);
}

#[test]
fn context_affine() {
    check::<ContextAffine, 3, 2>(6);
}
