use flows::flow;
use flows::layer::ActNorm;

flow! {
    struct Readings: f32 [4] {
        ActNorm,
        Bijection(ActNorm<f32, 5>),
    }
}

fn main() {
    // Not `Readings::seeded(0)`: its bounds assume the layers are bijections, so a call here would
    // report that again.
    let _ = Readings::PARAMETER_COUNT;
}
