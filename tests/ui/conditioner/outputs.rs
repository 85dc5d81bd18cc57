use flows::flow;

flow! {
    struct Readings: f32 [10] {
        // Affine needs 2 parameters for each of the 5 target elements.
        Coupling(Affine, HalfSplit, FeedForward(hidden = 32, outputs = 5)),
        Coupling(Shift, Split(4, 6), Linear(outputs = 6)),
    }
}

fn main() {
    let _ = Readings::seeded(0);
}
