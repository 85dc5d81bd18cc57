use flows::flow;

flow! {
    struct Readings: f64 [4] {
        Permutation([0, 1, 1, 3]),
        Permutation([3, 0, 1]),
        Permutation([0, 1, 2, 4]),
    }
}

fn main() {
    let _ = Readings::seeded(0);
}
