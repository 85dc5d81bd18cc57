//! Times our flows with torchflows' preset layouts (and a wide variant) and prints one JSON object
//! per line, for `benches/torchflows_side_by_side.py`, which times the same architectures in
//! torchflows and prints the ratios. Run on its own:
//!
//! ```sh
//! cargo run --release --features rayon --example bench_side_by_side [-- --quick]
//! ```
//!
//! Every figure is the best of several timed repetitions (the minimum is the least disturbed by
//! other work on a shared machine). The batch-8192 calls are timed one by one, one and two
//! threads in alternation, and each figure is the best undisturbed call (its threads never waited
//! for a core, by Linux' run-queue wait, and each took part) when there is one: fields
//! `log_prob_8192_waited` and `sample_8192_waited` are the largest wait among the calls the
//! figures come from, as a fraction of the call (0: no other work delayed them; above 0, the
//! two-thread figures measure the machine's load more than the flow).
//! `f32`, untrained flows with parameters perturbed by N(0, 0.1²) so that no layer is the
//! identity. Without the `rayon` feature the two-thread figures are left out.

use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use flows::layer::{Coupling, InverseMaskedAutoregressive, MaskedAutoregressive};
use flows::nalgebra::SVector;
use flows::net::{FeedForward, Made, Tanh};
use flows::preset::PresetLayers;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use flows::transformer::{Affine, RationalQuadratic, Shift};
use flows::{Flow, Random};
use harness::{perturb, random_vector, rng};

const BATCH: usize = 8192;

/// The base layer of torchflows' coupling presets: `Tr` with `P` parameters per element, a
/// half-split coupling, one hidden layer of `H` units.
type CouplingLayer<
    Tr,
    const P: usize,
    const D: usize,
    const A: usize,
    const B: usize,
    const H: usize,
> = Coupling<Tr, FeedForward<f32, A, 0, H, 0, P, B>, D, A, B, P>;

/// The base layer of torchflows' masked autoregressive presets: a MADE of one hidden layer of `H`
/// units (narrow widths allowed, as torchflows has them).
type Autoregressive<Tr, const P: usize, const D: usize, const H: usize> =
    MaskedAutoregressive<Tr, Made<f32, D, 0, H, 0, P, Tanh, true>, D, P>;

/// The inverse of [`Autoregressive`] with the affine transformer (IAF).
type InverseAutoregressive<const D: usize, const H: usize> =
    InverseMaskedAutoregressive<Affine, Made<f32, D, 0, H, 0, 2, Tanh, true>, D, 2>;

/// Every preset here has torchflows' 2 blocks.
const BLOCKS: usize = 2;

/// The best time per call of `f` over `reps` repetitions of at least `span` each.
fn best(reps: usize, span: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let mut calls = 1usize;
    loop {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        if start.elapsed() >= span / 4 {
            break;
        }
        calls *= 2;
    }
    (0..reps)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed().as_secs_f64() / calls as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// A pool of threads the batch methods run on (without rayon, the calling thread), with the
/// `schedstat` files (Linux) of its threads and of the thread that made it (which calls it and
/// waits for the results), to read how long they ran and waited for a core.
struct Pool {
    #[cfg(feature = "rayon")]
    threads: rayon::ThreadPool,
    workers: Vec<File>,
    caller: Option<File>,
}

/// The scheduler's account of a pool so far, in seconds (Linux' `schedstat`; nothing elsewhere):
/// how long each of its threads ran, and how long they and the caller waited for a core.
struct Usage {
    ran: Vec<f64>,
    waited: f64,
}

impl Pool {
    /// A pool of `threads` threads, if there can be one.
    fn new(threads: usize) -> Option<Self> {
        #[cfg(feature = "rayon")]
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .ok()?;
        #[cfg(not(feature = "rayon"))]
        if threads != 1 {
            return None;
        }
        let open = || File::open("/proc/thread-self/schedstat").ok();
        let mut pool = Self {
            #[cfg(feature = "rayon")]
            threads,
            workers: Vec::new(),
            caller: open(),
        };
        pool.workers = pool.on_each(open).into_iter().flatten().collect();
        Some(pool)
    }

    /// Runs `f` on the pool.
    fn run<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        #[cfg(feature = "rayon")]
        return self.threads.install(f);
        #[cfg(not(feature = "rayon"))]
        f()
    }

    /// Runs `f` on each of the pool's threads.
    fn on_each<R: Send>(&self, f: impl Fn() -> R + Sync) -> Vec<R> {
        #[cfg(feature = "rayon")]
        return self.threads.broadcast(|_| f());
        #[cfg(not(feature = "rayon"))]
        vec![f()]
    }

    /// The pool's usage so far. The kernel counts a thread's wait once it runs again and its time
    /// on a core when it yields it, so every thread first yields.
    fn usage(&self) -> Usage {
        self.on_each(std::thread::yield_now);
        let read = |file: &File| {
            let mut stat = [0u8; 96];
            let len = file.read_at(&mut stat, 0).ok()?;
            let mut fields = std::str::from_utf8(&stat[..len]).ok()?.split_whitespace();
            let mut next = || Some(fields.next()?.parse::<u64>().ok()? as f64 * 1e-9);
            Some((next()?, next()?))
        };
        let times: Vec<(f64, f64)> = self.workers.iter().filter_map(read).collect();
        let caller = self.caller.as_ref().and_then(read);
        Usage {
            ran: times.iter().map(|t| t.0).collect(),
            waited: times.iter().chain(&caller).map(|t| t.1).sum(),
        }
    }
}

/// A batch call to time, and the pool it runs on.
type Batch<'a> = (&'a Pool, Box<dyn FnMut() + 'a>);

/// A time per call, and how long its pool's threads and caller waited for a core during it (a
/// fraction of the call).
#[derive(Clone, Copy)]
struct Timed {
    seconds: f64,
    waited: f64,
}

/// The best call of each of `fs` over `reps` rounds, each round calling every function in turn
/// for at least `span`, each call timed alone: the fastest of the undisturbed calls, or of all
/// calls when none was. A call is undisturbed when its pool's threads and caller waited for a
/// core less than 2 % of it, and every thread of the pool ran at least half of it: the scheduler
/// shares the cores between sessions, not threads, so while other sessions have work two threads
/// get little more than one core, and a call during which they waited measures the machine, not
/// the flow (nor does one that a thread woken too late left to the other: waking a core of a
/// virtual machine can take longer than the call). Functions compared with each other (one thread
/// against two) see the same disturbances of a shared machine.
fn best_undisturbed(reps: usize, span: Duration, fs: &mut [Batch<'_>]) -> Vec<Timed> {
    let worst = Timed {
        seconds: f64::INFINITY,
        waited: f64::INFINITY,
    };
    let mut best = vec![(worst, worst); fs.len()];
    for (_, f) in fs.iter_mut() {
        f();
    }
    for _ in 0..reps {
        for ((pool, f), (undisturbed, any)) in fs.iter_mut().zip(&mut best) {
            let round = Instant::now();
            while round.elapsed() < span {
                let before = pool.usage();
                let start = Instant::now();
                f();
                let seconds = start.elapsed().as_secs_f64();
                let after = pool.usage();
                let call = Timed {
                    seconds,
                    waited: (after.waited - before.waited) / seconds,
                };
                let all_ran =
                    (after.ran.iter().zip(&before.ran)).all(|(a, b)| a - b >= seconds / 2.0);
                if call.waited < 0.02 && all_ran && call.seconds < undisturbed.seconds {
                    *undisturbed = call;
                }
                if call.seconds < any.seconds {
                    *any = call;
                }
            }
        }
    }
    best.into_iter()
        .map(|(undisturbed, any)| {
            if undisturbed.seconds.is_finite() {
                undisturbed
            } else {
                any
            }
        })
        .collect()
}

/// Runs `f` on a pool of `threads` threads.
fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Option<R> {
    Pool::new(threads).map(|pool| pool.run(f))
}

/// The figures of one flow: batch-1 latencies in seconds, and (log_prob, sample) per batch of
/// [`BATCH`] on one and on two threads.
struct Figures {
    log_prob_1: f64,
    sample_1: f64,
    one: Option<(Timed, Timed)>,
    two: Option<(Timed, Timed)>,
}

impl Figures {
    /// Times `flow` on `events`.
    fn of<const D: usize, B>(
        flow: &Flow<f32, D, 0, B>,
        events: &[SVector<f32, D>],
        reps: usize,
        span: Duration,
    ) -> Self
    where
        B: flows::Bijection<f32, D, 0> + Sync + Send,
    {
        let x = events[0];
        let out = vec![0.0f32; events.len()];
        let samples: Vec<SVector<f32, D>> =
            std::iter::repeat_n(SVector::zeros(), events.len()).collect();
        let mut draw = Xoshiro256PlusPlus::seed_from_u64(2);
        let log_prob_1 = best(reps, span, || {
            black_box(flow.log_prob(black_box(&x)));
        });
        let sample_1 = best(reps, span, || {
            black_box(flow.sample(&mut draw));
        });
        // One and two threads timed in alternation, so that their ratio is not a change of load.
        let pools = [Pool::new(1), Pool::new(2)];
        let mut outs = [out.clone(), out];
        let mut drawn = [samples.clone(), samples];
        let mut draws = [draw.clone(), draw];
        let mut timed: Vec<Batch<'_>> = Vec::new();
        let buffers = outs.iter_mut().zip(drawn.iter_mut().zip(&mut draws));
        for (pool, (out, (samples, draw))) in pools.iter().zip(buffers) {
            if let Some(pool) = pool {
                timed.push((
                    pool,
                    Box::new(move || {
                        pool.run(|| flow.log_prob_batch(black_box(events), out).ok());
                    }),
                ));
                timed.push((
                    pool,
                    Box::new(move || {
                        pool.run(|| flow.sample_batch(draw, &mut samples[..], &mut []).ok());
                    }),
                ));
            }
        }
        let times = best_undisturbed(reps, span, &mut timed);
        let mut pairs = times.chunks(2).map(|t| (t[0], t[1]));
        let [one, two] = [0, 1].map(|k| pools[k].as_ref().and_then(|_| pairs.next()));
        Self {
            log_prob_1,
            sample_1,
            one,
            two,
        }
    }

    /// The figures as JSON fields whose names start with `prefix`; the `waited` fields are the
    /// largest wait for a core among the batch calls the figures of `log_prob` (and `sample`) come
    /// from, one and two threads (a fraction of the call): 0 when no other work delayed them.
    fn json(&self, prefix: &str) -> String {
        let rate = |t: Option<(Timed, Timed)>, pick: fn((Timed, Timed)) -> Timed| {
            t.map_or("null".to_string(), |t| {
                format!("{:.1}", BATCH as f64 / pick(t).seconds)
            })
        };
        let waited = |pick: fn((Timed, Timed)) -> Timed| {
            [self.one, self.two]
                .into_iter()
                .flatten()
                .map(|t| pick(t).waited)
                .fold(0.0, f64::max)
        };
        format!(
            "\"{prefix}log_prob_1_ns\": {:.1}, \"{prefix}sample_1_ns\": {:.1}, \
             \"{prefix}log_prob_8192_per_s\": {}, \"{prefix}sample_8192_per_s\": {}, \
             \"{prefix}log_prob_8192_per_s_2threads\": {}, \"{prefix}sample_8192_per_s_2threads\": {}, \
             \"{prefix}log_prob_8192_waited\": {:.3}, \"{prefix}sample_8192_waited\": {:.3}",
            self.log_prob_1 * 1e9,
            self.sample_1 * 1e9,
            rate(self.one, |t| t.0),
            rate(self.one, |t| t.1),
            rate(self.two, |t| t.0),
            rate(self.two, |t| t.1),
            waited(|t| t.0),
            waited(|t| t.1),
        )
    }
}

/// Times one preset with base layer `L` and `N` blocks, as trained (all layers) and in its
/// inference form ([`Flow::folded`]), and prints its JSON line.
fn case<const D: usize, const N: usize, L>(name: &str, variant: &str, quick: bool)
where
    L: flows::Bijection<f32, D, 0> + flows::Parameters<f32> + Random + Clone + Sync + Send,
{
    let (reps, span) = if quick {
        (3, Duration::from_millis(60))
    } else {
        (7, Duration::from_millis(250))
    };
    let mut r = rng(1);
    let mut flow = Flow::<f32, D, 0, PresetLayers<f32, L, D, N>>::random(&mut r);
    perturb(&mut flow, &mut r, 0.1);
    let events: Vec<SVector<f32, D>> = (0..BATCH).map(|_| random_vector(&mut r, 1.0)).collect();
    let layers = Figures::of(&flow, &events, reps, span);
    let folded = flow
        .folded()
        .map(|folded| Figures::of(&folded, &events, reps, span));
    println!(
        "{{\"arch\": \"{name}\", \"variant\": \"{variant}\", \"dim\": {D}, \"parameters\": {}, {}{}}}",
        <PresetLayers<f32, L, D, N> as flows::Parameters<f32>>::COUNT,
        layers.json(""),
        folded.map_or(String::new(), |f| format!(", {}", f.json("folded_"))),
    );
}

/// The FLOP rate of the dense kernel alone on one core, in GFLOP/s: a 256 x 256 matrix times
/// lane blocks of 16 events (what a large SGEMM measures, at the dense layers' block shape).
fn dense_256(quick: bool) -> f64 {
    const N: usize = 256;
    let weight = weights(N * N);
    let x = rows(N);
    let mut out = vec![[0.0f32; 16]; N];
    let time = best_short(quick, || {
        <f32 as flows::kernel::Kernels>::dense_lanes(&weight, N, black_box(&x), &mut out);
    });
    black_box(&out);
    (2 * N * N * 16) as f64 / time / 1e9
}

/// The FLOP rate of the wide conditioner's dense layers alone on one core, in GFLOP/s: its input
/// layer (32 -> `H`) and its 32 output blocks (`H` -> 2 each) with their biases, the kernel calls
/// the coupling makes, on one lane block (no activation, transformer or other layer between).
fn conditioner_dense<const H: usize>(quick: bool) -> f64 {
    const I: usize = 32;
    const P: usize = 2;
    const B: usize = 32;
    let input = weights(H * I);
    let bias = weights(H);
    let blocks: Vec<Vec<f32>> = (0..B).map(|_| weights(P * H)).collect();
    let block_bias = weights(P);
    let output: Vec<(&[f32], &[f32])> = blocks.iter().map(|w| (&w[..], &block_bias[..])).collect();
    let x = rows(I);
    let mut h = rows(H);
    let mut out = rows(P * B);
    let time = best_short(quick, || {
        <f32 as flows::kernel::Kernels>::dense_bias_lanes(
            &[(&input, &bias)],
            black_box(&x),
            &mut h,
        );
        <f32 as flows::kernel::Kernels>::dense_bias_lanes(&output, black_box(&h), &mut out);
    });
    black_box(&out);
    (2 * (I * H + H * P * B) * 16) as f64 / time / 1e9
}

/// `n` small weights.
fn weights(n: usize) -> Vec<f32> {
    (0..n).map(|k| (k % 7) as f32 * 1e-3).collect()
}

/// `n` rows of a lane block.
fn rows(n: usize) -> Vec<[f32; 16]> {
    (0..n).map(|k| [k as f32 * 1e-3; 16]).collect()
}

/// The best time per call of a short kernel call `f` (many calls per repetition).
fn best_short(quick: bool, f: impl FnMut()) -> f64 {
    let reps = if quick { 30 } else { 100 };
    best(reps, Duration::from_millis(4), f)
}

/// The wide conditioner (D = 64, hidden 256): the FLOP rate of the coupling conditioners'
/// dense layers in a RealNVP at batch 8192 (their FLOPs over the whole `log_prob` time), against
/// the core's FMA peak ([`flows::kernel::fma_peak_flops`]), the dense kernel's rate on a large
/// matrix and that of the conditioner's dense layers alone ([`conditioner_dense`]), all measured
/// in the same run on one thread.
fn wide(quick: bool) {
    const D: usize = 64;
    const H: usize = 256;
    type Wide =
        Flow<f32, D, 0, PresetLayers<f32, CouplingLayer<Affine, 2, D, 32, 32, H>, D, BLOCKS>>;
    let (reps, span) = if quick {
        (3, Duration::from_millis(60))
    } else {
        (7, Duration::from_millis(250))
    };
    let mut r = rng(3);
    let mut flow = Wide::random(&mut r);
    perturb(&mut flow, &mut r, 0.1);
    let events: Vec<SVector<f32, D>> = (0..BATCH).map(|_| random_vector(&mut r, 1.0)).collect();
    let mut out = vec![0.0f32; BATCH];
    // The FLOP rate from calls of SHORT events (about a millisecond each), many times: on a shared
    // machine the best of short repetitions is the least disturbed, as for the peak.
    const SHORT: usize = 256;
    let (time, short, peak, dense, layers) = on_threads(1, || {
        let time = best(reps, span, || {
            flow.log_prob_batch(black_box(&events[..]), &mut out).ok();
        });
        let short = best(10 * reps, Duration::from_millis(4), || {
            flow.log_prob_batch(black_box(&events[..SHORT]), &mut out[..SHORT])
                .ok();
        });
        let peak = flows::kernel::fma_peak_flops() / 1e9;
        (
            time,
            short,
            peak,
            dense_256(quick),
            conditioner_dense::<H>(quick),
        )
    })
    .unwrap_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN));
    // Per coupling: 32 -> 256 -> 64 multiply-adds, two couplings, two FLOPs each.
    let flops = 2.0 * 2.0 * (32 * H + H * 64) as f64 * SHORT as f64;
    let conditioner = flops / short / 1e9;
    println!(
        "{{\"arch\": \"RealNVP\", \"variant\": \"wide\", \"dim\": {D}, \"hidden\": {H}, \
         \"log_prob_8192_per_s\": {:.1}, \"conditioner_gflops\": {conditioner:.2}, \
         \"dense_256x256_gflops\": {dense:.2}, \"peak_gflops\": {peak:.2}, \
         \"conditioner_of_peak\": {:.3}, \"conditioner_dense_gflops\": {layers:.2}, \
         \"conditioner_dense_of_peak\": {:.3}}}",
        BATCH as f64 / time,
        conditioner / peak,
        layers / peak
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let only: Option<String> = std::env::args().skip_while(|a| a != "--only").nth(1);
    let run = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    let d = "torchflows";
    if run("NICE") {
        case::<10, BLOCKS, CouplingLayer<Shift, 1, 10, 5, 5, 4>>("NICE", d, quick);
        case::<64, BLOCKS, CouplingLayer<Shift, 1, 64, 32, 32, 7>>("NICE", d, quick);
    }
    if run("RealNVP") {
        case::<10, BLOCKS, CouplingLayer<Affine, 2, 10, 5, 5, 5>>("RealNVP", d, quick);
        case::<64, BLOCKS, CouplingLayer<Affine, 2, 64, 32, 32, 9>>("RealNVP", d, quick);
    }
    if run("MAF") {
        case::<10, BLOCKS, Autoregressive<Affine, 2, 10, 4>>("MAF", d, quick);
        case::<64, BLOCKS, Autoregressive<Affine, 2, 64, 5>>("MAF", d, quick);
    }
    if run("IAF") {
        case::<64, BLOCKS, InverseAutoregressive<64, 5>>("IAF", d, quick);
    }
    if run("CouplingRQNSF") {
        case::<10, BLOCKS, CouplingLayer<RationalQuadratic<8>, 23, 10, 5, 5, 10>>(
            "CouplingRQNSF",
            d,
            quick,
        );
        case::<64, BLOCKS, CouplingLayer<RationalQuadratic<8>, 23, 64, 32, 32, 14>>(
            "CouplingRQNSF",
            d,
            quick,
        );
    }
    if run("MaskedAutoregressiveRQNSF") {
        case::<10, BLOCKS, Autoregressive<RationalQuadratic<8>, 23, 10, 4>>(
            "MaskedAutoregressiveRQNSF",
            d,
            quick,
        );
        case::<64, BLOCKS, Autoregressive<RationalQuadratic<8>, 23, 64, 5>>(
            "MaskedAutoregressiveRQNSF",
            d,
            quick,
        );
    }
    if run("wide") {
        wide(quick);
    }
}
