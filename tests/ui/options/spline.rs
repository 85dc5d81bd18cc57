use flows::flow;

flow! {
    struct Readings: f64 [4] {
        Coupling(RationalQuadratic(bins = 0, bound = -5.0)),
        MaskedAutoregressive(RationalQuadratic(bins = 8, bins = 4, bound = 0), hidden = 8),
        MaskedAutoregressive(Affine, hidden = 8, narrow = yes),
    }
}

fn main() {
    let _ = Readings::seeded(0);
}
