use flows::dsl::Layer;
use flows::Bijection;

const D: usize = 4;

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [D])]
#[coupling(Affine)]
struct NotALiteral(Layer<Self>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [4])]
#[coupling(Affine)]
struct NotTheLayer(flows::layer::ActNorm<f64, 4>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [4])]
#[coupling(Affine)]
#[masked_autoregressive(Affine, hidden = 8)]
struct TwoLayers(Layer<Self>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [10])]
#[masked_autoregressive(Affine, hidden = 4)]
struct Narrow(Layer<Self>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [4], context = 2)]
#[coupling(Affine, HalfSplit, context = 3)]
struct OtherContext(Layer<Self>);

#[derive(Bijection, Clone, Debug)]
#[bijection(f64, [0])]
#[elementwise(Affine)]
struct Empty(Layer<Self>);

fn main() {}
