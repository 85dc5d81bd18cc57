use flows::flow;

flow! {
    struct Readings: f64 [4] {
        Coupling(LinearRational(bins = 0, bound = -1.0)),
        MaskedAutoregressive(DeepSigmoid(units = 0, layers = 0), hidden = 8),
        Elementwise(Sigmoid(units = 4, layers = 2)),
        Coupling(DeepSigmoid(8)),
        InverseMaskedAutoregressive(LinearRationl(bins = 4), hidden = 8),
    }

    struct Deep: f64 [2] = CouplingDeepSF(bins = 4);
}

fn main() {
    let _ = Readings::seeded(0);
    let _ = Deep::seeded(0);
}
