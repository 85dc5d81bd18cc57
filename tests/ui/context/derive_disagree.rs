use flows::Bijection;
use flows::layer::{ActNorm, ElementwiseAffine};

#[derive(Bijection)]
#[bijection(f32, [4], context = 2)]
struct Conditional {
    first: ElementwiseAffine<f32, 4, 3>,
    norm: ActNorm<f32, 4>,
}

fn main() {}
