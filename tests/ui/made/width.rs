use flows::flow;

flow! {
    struct Readings: f64 [10] {
        MaskedAutoregressive(Affine, hidden = 4),
        // The explicit opt-in accepts the narrow width.
        MaskedAutoregressive(Affine, hidden = 4, narrow = true),
    }

    struct Conditional: f64 [10] | context 2 {
        InverseMaskedAutoregressive(InverseAffine, hidden = 9),
    }
}

fn main() {
    let _ = Readings::seeded(0);
    let _ = Conditional::seeded(0);
}
