//! Builds a RealNVP over 2-D data, evaluates densities and draws samples.
//!
//! Run with `cargo run --release --example quickstart`.

use flows::flow;
use flows::nalgebra::SVector;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

flow! {
    /// RealNVP on 2-D events: 4 coupling blocks with 64-unit conditioners.
    struct Moons: f64 [2] = RealNVP(layers = 4, hidden = 64);
}

fn main() {
    let flow = Moons::seeded(0);
    println!(
        "RealNVP on [2]: {} parameters ({} bytes)",
        Moons::PARAMETER_COUNT,
        Moons::PARAMETER_BYTES
    );

    for point in [[0.0, 0.0], [1.0, -0.5], [-2.0, 3.0]] {
        let x = SVector::from(point);
        println!("log p({point:?}) = {:.6}", flow.log_prob(&x));
    }

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for _ in 0..5 {
        let (x, log_p) = flow.sample_with_log_prob(&mut rng);
        println!("sample ({:+.4}, {:+.4})  log p = {log_p:.6}", x[0], x[1]);
    }
}
