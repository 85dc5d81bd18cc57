use flows::flow;

flow! {
    struct Readings: f32 [6] {
        Coupling(Affine, Mask(source = [0, 2, 6])),
        Coupling(Affine, Mask(target = [1, 9])),
    }
}

fn main() {
    // The type exists (as a stub), so its use reports nothing more.
    let flow = Readings::seeded(0);
    let _ = flow.log_prob(&nalgebra::SVector::from([0.0; 6]));
}
