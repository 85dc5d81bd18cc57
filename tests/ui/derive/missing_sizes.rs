use flows::Bijection;
use flows::layer::ActNorm;

#[derive(Bijection)]
struct Stack {
    norm: ActNorm<f64, 2>,
}

#[derive(Bijection)]
#[bijection(f64, [2], contxt = 1)]
struct Other {
    norm: ActNorm<f64, 2>,
}

fn main() {}
