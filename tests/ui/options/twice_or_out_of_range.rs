use flows::flow;

flow! {
    struct Readings: f64 [4] {
        Coupling(Affine, FeedForward(hidden = 8, hidden = 16)),
        Coupling(Affine, FeedForward(hidden = 0, layers = 0)),
        Coupling(Affine, ResidualFeedForward(hidden = -4)),
        0 * { ActNorm },
    }

    struct Moons: f64 [2] = RealNVP(layers = 0, hidden = 2.5);
}

fn main() {
    let _ = Readings::seeded(0);
    let _ = Moons::seeded(0);
}
