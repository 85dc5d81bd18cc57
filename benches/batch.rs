//! The batch path per preset, with torchflows' layouts and widths (as in
//! `examples/bench_side_by_side.rs`): `log_prob` at batch 1 (the per-event path) and 8192, and
//! `sample` at batch 8192, in `f32` on one thread; with `--features rayon`, the batch-8192 figures
//! on two threads too. Linux shares the cores between sessions (autogroups), not threads: while
//! another session has work, two threads get about one thread's share, so the two-thread figures
//! mean something only on an idle machine (`examples/bench_side_by_side.rs` keeps the calls no
//! other work delayed).
//!
//! `cargo bench --bench batch [--features rayon]`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flows::nalgebra::SVector;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use flows::transformer::{Affine, RationalQuadratic, Shift};
use flows::{Bijection, Flow, Parameters, Random};
use harness::presets::{Autoregressive, Coupling, InverseAutoregressive};
use harness::{perturb, random_vector, rng};

const BATCH: usize = 8192;

/// Where a batch runs: a rayon pool of `threads` threads, or (without rayon) this thread.
struct Runner {
    threads: usize,
    #[cfg(feature = "rayon")]
    pool: rayon::ThreadPool,
}

impl Runner {
    /// One thread, and two with rayon.
    fn all() -> Vec<Runner> {
        #[cfg(feature = "rayon")]
        return [1, 2]
            .into_iter()
            .filter_map(|threads| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .ok()?;
                Some(Runner { threads, pool })
            })
            .collect();
        #[cfg(not(feature = "rayon"))]
        vec![Runner { threads: 1 }]
    }

    /// Runs `f` here.
    fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        #[cfg(feature = "rayon")]
        return self.pool.install(f);
        #[cfg(not(feature = "rayon"))]
        f()
    }
}

/// The benchmarks of one preset.
fn preset<const D: usize, B>(c: &mut Criterion, name: &str, flow: &Flow<f32, D, 0, B>)
where
    B: Bijection<f32, D, 0> + Parameters<f32> + Sync,
{
    let mut r = rng(2);
    let events: Vec<SVector<f32, D>> = (0..BATCH).map(|_| random_vector(&mut r, 1.0)).collect();
    let mut out = vec![0.0f32; BATCH];
    let mut samples: Vec<SVector<f32, D>> = std::iter::repeat_n(SVector::zeros(), BATCH).collect();
    let mut draw = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut group = c.benchmark_group(format!("{name}_d{D}"));
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    group.bench_function("log_prob_batch_1", |b| {
        b.iter(|| flow.log_prob(black_box(&events[0])))
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    for runner in Runner::all() {
        let threads = runner.threads;
        group.bench_function(format!("log_prob_batch_8192_{threads}_threads"), |b| {
            b.iter(|| runner.run(|| flow.log_prob_batch(black_box(&events[..]), &mut out)))
        });
        group.bench_function(format!("sample_batch_8192_{threads}_threads"), |b| {
            b.iter(|| runner.run(|| flow.sample_batch(&mut draw, &mut samples[..], &mut [])))
        });
    }
    group.finish();
}

/// A flow of type `F` with parameters perturbed so that no layer is the identity.
fn make<F: Random + Parameters<f32>>() -> F {
    let mut r = rng(1);
    let mut flow = F::random(&mut r);
    perturb(&mut flow, &mut r, 0.1);
    flow
}

fn benches(c: &mut Criterion) {
    preset(c, "nice", &make::<Coupling<Shift, 1, 10, 5, 5, 4>>());
    preset(c, "nice", &make::<Coupling<Shift, 1, 64, 32, 32, 7>>());
    preset(c, "real_nvp", &make::<Coupling<Affine, 2, 10, 5, 5, 5>>());
    preset(c, "real_nvp", &make::<Coupling<Affine, 2, 64, 32, 32, 9>>());
    preset(c, "maf", &make::<Autoregressive<Affine, 2, 10, 4>>());
    preset(c, "maf", &make::<Autoregressive<Affine, 2, 64, 5>>());
    preset(c, "iaf", &make::<InverseAutoregressive<64, 5>>());
    preset(
        c,
        "coupling_rq",
        &make::<Coupling<RationalQuadratic<8>, 23, 10, 5, 5, 10>>(),
    );
    preset(
        c,
        "autoregressive_rq",
        &make::<Autoregressive<RationalQuadratic<8>, 23, 10, 4>>(),
    );
    preset(
        c,
        "real_nvp_wide",
        &make::<Coupling<Affine, 2, 64, 32, 32, 256>>(),
    );
}

criterion_group!(batch, benches);
criterion_main!(batch);
