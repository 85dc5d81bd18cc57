use flows::flow;

flow! {
    struct Readings: f32 [6] {
        Coupling(Affine, Mask(source = [0, 2, 2])),
        Coupling(Affine, Mask(source = [0, 1], target = [1, 2, 3, 4, 5])),
    }
}

fn main() {
    let _ = Readings::seeded(0);
}
