//! Each layer family on its own: `forward_batch` and `inverse_batch` over 8192 events (the lane
//! path) and `forward` on one event (the per-event path), in `f32` on one thread, with random
//! parameters. The presets are timed in `batch.rs`; the elementwise kernels are inside these.
//!
//! `cargo bench --bench layers [-- FILTER]`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flows::batch::Contexts;
use flows::layer::{
    ActNorm, ChannelActNorm, ChannelSplit, Checkerboard, Conv1x1, Coupling, ElementwiseAffine,
    ImageCoupling, InverseMaskedAutoregressive, LuLinear, MaskedAutoregressive, Permutation,
    ReversePermutation, Squeeze,
};
use flows::nalgebra::SVector;
use flows::net::{ConvNet, FeedForward, Made, Tanh};
use flows::transformer::{Affine, RationalQuadratic, Shift};
use flows::{Bijection, Parameters, Random};
use harness::{perturb, random_vector, rng};

const BATCH: usize = 8192;

/// A half-split coupling of `D = 2A` events whose conditioner has one hidden layer of `H`.
type HalfCoupling<Tr, const P: usize, const D: usize, const A: usize, const H: usize> =
    Coupling<Tr, FeedForward<f32, A, 0, H, 0, P, A>, D, A, A, P>;

/// A masked autoregressive layer with one hidden MADE layer of `H` units.
type Autoregressive<Tr, const P: usize, const D: usize, const H: usize> =
    MaskedAutoregressive<Tr, Made<f32, D, 0, H, 0, P, Tanh, true>, D, P>;

/// An affine checkerboard coupling on 3x8x8 images with 16 hidden channels.
type BoardCoupling = ImageCoupling<
    Checkerboard,
    Affine,
    ConvNet<f32, Checkerboard, 3, 16, 1, 6, 8, 64, 0, Tanh>,
    3,
    8,
    8,
    192,
    96,
    96,
    2,
>;

/// A channel-split affine coupling on 4x8x8 images with 16 hidden channels.
type ChannelCoupling = ImageCoupling<
    ChannelSplit,
    Affine,
    ConvNet<f32, ChannelSplit, 2, 16, 1, 4, 8, 64, 0, Tanh>,
    4,
    8,
    8,
    256,
    128,
    128,
    2,
>;

/// A layer of type `L` with parameters perturbed so that it is not the identity.
fn make<L: Random + Parameters<f32>>() -> L {
    let mut r = rng(1);
    let mut layer = L::random(&mut r);
    perturb(&mut layer, &mut r, 0.1);
    layer
}

/// The benchmarks of one layer.
fn layer<const D: usize, L>(c: &mut Criterion, name: &str, layer: &L)
where
    L: Bijection<f32, D, 0>,
{
    let mut r = rng(2);
    let events: Vec<SVector<f32, D>> = (0..BATCH).map(|_| random_vector(&mut r, 1.0)).collect();
    let mut work = events.clone();
    let mut log_det = vec![0.0f32; BATCH];
    let none = SVector::<f32, 0>::zeros();
    let mut group = c.benchmark_group(format!("{name}_d{D}"));
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    group.bench_function("forward_1", |b| {
        b.iter(|| layer.forward(black_box(&events[0]), &none))
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("forward_batch_8192", |b| {
        b.iter(|| {
            work.copy_from_slice(&events);
            layer.forward_batch(&mut work, Contexts::Shared(&none), &mut log_det)
        })
    });
    group.bench_function("inverse_batch_8192", |b| {
        b.iter(|| {
            work.copy_from_slice(&events);
            layer.inverse_batch(&mut work, Contexts::Shared(&none), &mut log_det)
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    layer(
        c,
        "elementwise_affine",
        &make::<ElementwiseAffine<f32, 64, 0>>(),
    );
    layer(c, "actnorm", &make::<ActNorm<f32, 64>>());
    layer::<64, _>(c, "reverse_permutation", &ReversePermutation);
    layer(c, "permutation", &make::<Permutation<64>>());
    layer(c, "lu_linear", &make::<LuLinear<f32, 64>>());
    layer(
        c,
        "shift_coupling",
        &make::<HalfCoupling<Shift, 1, 64, 32, 32>>(),
    );
    layer(
        c,
        "affine_coupling",
        &make::<HalfCoupling<Affine, 2, 64, 32, 32>>(),
    );
    layer(
        c,
        "rq_coupling",
        &make::<HalfCoupling<RationalQuadratic<8>, 23, 64, 32, 32>>(),
    );
    layer(c, "maf", &make::<Autoregressive<Affine, 2, 64, 32>>());
    layer(
        c,
        "iaf",
        &make::<InverseMaskedAutoregressive<Affine, Made<f32, 64, 0, 32, 0, 2, Tanh, true>, 64, 2>>(
        ),
    );
    layer(
        c,
        "rq_autoregressive",
        &make::<Autoregressive<RationalQuadratic<8>, 23, 64, 32>>(),
    );
    layer(c, "squeeze", &Squeeze::<3, 8, 8, 192>);
    layer(c, "channel_actnorm", &make::<ChannelActNorm<f32, 3, 192>>());
    layer(c, "conv1x1", &make::<Conv1x1<f32, 3, 192>>());
    layer(c, "checkerboard_coupling", &make::<BoardCoupling>());
    layer(c, "channel_coupling", &make::<ChannelCoupling>());
}

criterion_group!(layers, benches);
criterion_main!(layers);
