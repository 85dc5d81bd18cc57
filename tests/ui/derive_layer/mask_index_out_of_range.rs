use flows::dsl::Layer;
use flows::Bijection;

#[derive(Bijection, Clone, Debug)]
#[bijection(f32, [6], context = 2)]
#[coupling(Affine, Mask(source = [0, 2, 6]), FeedForward(hidden = 16))]
struct Scattered(Layer<Self>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f32, [6])]
#[coupling(Shift, Mask(source = [1, 1]))]
struct Twice(Layer<Self>);

fn main() {}
