use flows::flow;

flow! {
    struct Wrong: f32 [16, 16] {
        ActNorm,
    }

    struct Half: f16 [4] {
        ActNorm,
    }
}

fn main() {}
