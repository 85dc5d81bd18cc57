//! The two directions of a masked autoregressive layer at `D = 64` with one hidden layer of 64
//! units: the one-pass direction (MAF density), the sequential direction through MADE's
//! incremental evaluation (MAF sampling, IAF density), and the sequential direction by `D` full
//! passes (torchflows' algorithm) for comparison. Per sample, batch of one.
//!
//! `cargo bench --bench autoregressive`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use flows::layer::{AffineMaskedAutoregressive, MaskedAutoregressive};
use flows::nalgebra::SVector;
use flows::net::{FullPass, Made};
use flows::transformer::Affine;
use flows::{Bijection, Random, Real};
use harness::{perturb, random_vector, rng};

const D: usize = 64;
const H: usize = 64;

fn directions<T: Real>(c: &mut Criterion, scalar: &str) {
    let mut rng = rng(1);
    let mut maf = AffineMaskedAutoregressive::<T, D, 0, H, 0>::random(&mut rng);
    perturb(&mut maf, &mut rng, 0.1);
    let full = MaskedAutoregressive::<Affine, FullPass<Made<T, D, 0, H, 0, 2>>, D, 2> {
        transformer: Affine,
        conditioner: FullPass(maf.conditioner),
    };
    let x: SVector<T, D> = random_vector(&mut rng, 1.0);
    let context = SVector::<T, 0>::zeros();
    let mut group = c.benchmark_group(format!("maf_d64_h64_{scalar}"));
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("one_pass_forward", |b| {
        b.iter(|| maf.forward(black_box(&x), black_box(&context)))
    });
    group.bench_function("sequential_inverse", |b| {
        b.iter(|| maf.inverse(black_box(&x), black_box(&context)))
    });
    group.bench_function("sequential_inverse_d_full_passes", |b| {
        b.iter(|| full.inverse(black_box(&x), black_box(&context)))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    directions::<f64>(c, "f64");
    directions::<f32>(c, "f32");
}

criterion_group!(autoregressive, benches);
criterion_main!(autoregressive);
