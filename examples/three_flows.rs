//! Three 8-layer flows on 64-dimensional events, declared with `flow!`: the compile-cost check of
//! the macro (each repeated block is one array type, so its code is generated once, not per layer).
//!
//! Run with `cargo run --release --example three_flows`.

use flows::flow;
use flows::nalgebra::SVector;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

flow! {
    /// RealNVP: 8 blocks of affine couplings with 64-unit conditioners.
    struct Coupled: f32 [64] = RealNVP(layers = 8, hidden = 64);

    /// MAF: 8 blocks of masked autoregressive layers.
    struct Autoregressive: f32 [64] = MAF(layers = 8, hidden = 64);

    /// Spline couplings given a 4-D context, layer by layer.
    struct Splines: f32 [64] | context 4 {
        ElementwiseAffine,
        8 * {
            ReversePermutation,
            Coupling(RationalQuadratic(bins = 8), HalfSplit, FeedForward(hidden = 64)),
            ActNorm,
        },
    }
}

fn main() {
    // The flows are plain data (about 2.5 MB of parameters together), built by value: an
    // unoptimized build copies them through the stack, so give it room.
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .expect("spawn")
        .join()
        .expect("run");
}

fn run() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let coupled = Coupled::seeded(1);
    let autoregressive = Autoregressive::seeded(2);
    let splines = Splines::seeded(3);
    let context = SVector::from([0.5, -0.5, 1.0, 0.0]);
    for (name, count) in [
        ("RealNVP", Coupled::PARAMETER_COUNT),
        ("MAF", Autoregressive::PARAMETER_COUNT),
        ("splines", Splines::PARAMETER_COUNT),
    ] {
        println!("{name}: {count} parameters");
    }
    let (x, log_p) = coupled.sample_with_log_prob(&mut rng);
    println!(
        "RealNVP sample: log p = {log_p:.4} (recomputed {:.4})",
        coupled.log_prob(&x)
    );
    let (x, log_p) = autoregressive.sample_with_log_prob(&mut rng);
    println!(
        "MAF sample: log p = {log_p:.4} (recomputed {:.4})",
        autoregressive.log_prob(&x)
    );
    let (x, log_p) = splines.sample_with_log_prob_given(&mut rng, &context);
    println!(
        "spline sample: log p = {log_p:.4} (recomputed {:.4})",
        splines.log_prob_given(&x, &context)
    );
}
