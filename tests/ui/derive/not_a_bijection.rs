use flows::Bijection;
use flows::layer::ActNorm;

#[derive(Bijection)]
#[bijection(f64, [2])]
struct Stack {
    norm: ActNorm<f64, 2>,
    scale: f64,
}

fn main() {}
