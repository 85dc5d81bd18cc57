use flows::flow;

flow! {
    struct Readings: f64 [4] {
        ActNrom,
        Coupling(Afine, HalfSplit),
        Coupling(Affine, HalfSlpit, FeedForward(hiden = 8, activation = Tahn)),
        Elementwise(Sihft),
    }

    struct Moons: f64 [2] = RealNPV(layers = 2);
}

fn main() {
    let _ = Readings::seeded(0);
    let _ = Moons::seeded(0);
}
