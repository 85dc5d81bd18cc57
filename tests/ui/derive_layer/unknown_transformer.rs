use flows::dsl::Layer;
use flows::{Bijection, Random};

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [6])]
#[coupling(Afine, HalfSplit, ResidualFeedForward(hidden = 32))]
struct AffineCoupling(Layer<Self>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [6])]
#[masked_autoregressive(RationalQuadratic(bins = 8), hiden = 8)]
struct SplineMaf(Layer<Self>);

fn main() {
    // The types exist (over an identity stub), so their use reports nothing more.
    let mut rng = <flows::rand::rngs::Xoshiro256PlusPlus as flows::rand::SeedableRng>::seed_from_u64(0);
    let _ = AffineCoupling::random(&mut rng);
    let _ = SplineMaf::random(&mut rng);
}
