use flows::flow;

flow! {
    struct Readings: f32 [8] {
        Coupling(Affine, Split(3, 4)),
        Coupling(Affine, Mask(source = [0, 1, 2], target = [3, 4, 6, 7])),
    }
}

fn main() {
    let _ = Readings::seeded(0);
}
