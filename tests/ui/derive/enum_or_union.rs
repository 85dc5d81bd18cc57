use flows::Bijection;
use flows::layer::{ActNorm, ReversePermutation};

#[derive(Bijection)]
#[bijection(f64, [2])]
enum Either {
    Norm(ActNorm<f64, 2>),
    Reverse(ReversePermutation),
}

#[derive(Bijection)]
#[bijection(f64, [2])]
union Overlap {
    reverse: ReversePermutation,
}

fn main() {}
