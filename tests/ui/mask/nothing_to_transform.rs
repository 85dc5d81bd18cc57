use flows::flow;

flow! {
    struct Readings: f32 [3] {
        Coupling(Affine, Mask(source = [2, 0, 1])),
        Coupling(Shift, Split(3, 0)),
    }
}

fn main() {
    let _ = Readings::seeded(0);
}
