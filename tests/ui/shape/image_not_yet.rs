use flows::flow;

flow! {
    struct Digits: f32 [1, 28, 28] {
        ActNorm,
    }

    struct Wrong: f32 [16, 16] {
        ActNorm,
    }

    struct Half: f16 [4] {
        ActNorm,
    }
}

fn main() {}
