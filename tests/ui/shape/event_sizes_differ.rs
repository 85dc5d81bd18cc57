use flows::Bijection;
use flows::layer::{ActNorm, ElementwiseAffine, ReversePermutation};

#[derive(Bijection)]
#[bijection(f32, [4])]
struct Stack {
    first: ElementwiseAffine<f32, 4, 0>,
    reverse: ReversePermutation,
    norm: ActNorm<f32, 5>,
}

fn main() {}
