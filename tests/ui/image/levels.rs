use flows::flow;

flow! {
    /// 12 rows cannot be halved three times.
    struct Tall: f32 [1, 12, 8] = MultiscaleRealNVP(levels = 3, hidden = 8);

    /// A squeeze of an odd width.
    struct Odd: f32 [2, 4, 6] {
        Squeeze,
        Squeeze,
    }

    /// No level at all fits 5 x 5.
    struct Square: f64 [3, 5, 5] = Glow(blocks = 1);
}

fn main() {}
