use flows::dsl::Layer;
use flows::Bijection;

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [8])]
#[coupling(Affine, Split(3, 4))]
struct Uneven(Layer<Self>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [8])]
#[coupling(Affine, Mask(source = [0, 1, 2], target = [3, 4, 6, 7]))]
struct Gap(Layer<Self>);

fn main() {}
