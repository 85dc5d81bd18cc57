use flows::flow;

flow! {
    struct Nothing: f32 [0] {
        ActNorm,
    }
}

fn main() {
    let _ = Nothing::seeded(0);
}
