//! Whether two threads run the batch path each as fast as one thread alone. One thread, then two
//! at once (plain threads started together), take `log_prob_batch` over 4096 events each, in
//! batches of 1024 (below the parallel threshold: each runs on its own thread), many times. Only
//! the runs in which every thread had a core the whole time count: its CPU time (Linux'
//! `schedstat`) at least 97 % of its wall time. This machine's scheduler shares the cores between
//! sessions, not threads, so while other sessions work the two-thread figures of
//! `bench_side_by_side` often measure one core's worth; here the two threads count only when both
//! had their core. Prints, per flow, the best and the median time of a thread's 4096 events, alone
//! and two at once: equal times mean that two threads give twice the throughput of one.
//!
//! ```sh
//! cargo run --release --example thread_scaling
//! ```

use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::sync::Barrier;
use std::time::Instant;

use flows::nalgebra::SVector;
use flows::transformer::{Affine, RationalQuadratic};
use flows::{Bijection, Flow, Parameters, Random};
use harness::presets::{Autoregressive, Coupling};
use harness::{perturb, random_vector, rng};

/// Events per thread and run.
const EVENTS: usize = 4096;

/// Events per `log_prob_batch` call: below the parallel threshold, so one call is one thread.
const CALL: usize = 1024;

/// Runs per thread count.
const RUNS: usize = 150;

/// The CPU time of the thread that made it (Linux' `schedstat`).
struct CpuClock(File);

impl CpuClock {
    /// The clock of this thread, if the system has one.
    fn here() -> Option<Self> {
        File::open("/proc/thread-self/schedstat").ok().map(Self)
    }

    /// The thread's CPU time so far, in seconds. Called on its own thread: the yield brings the
    /// count up to date (the kernel adds the running slice at each switch).
    fn seconds(&self) -> Option<f64> {
        std::thread::yield_now();
        let mut stat = [0u8; 96];
        let len = self.0.read_at(&mut stat, 0).ok()?;
        let nanos: u64 = std::str::from_utf8(&stat[..len])
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(nanos as f64 * 1e-9)
    }
}

/// One thread's run over `events`: its wall time, if it had a core the whole time.
fn run_one<const D: usize, B>(
    flow: &Flow<f32, D, 0, B>,
    events: &[SVector<f32, D>],
    start: &Barrier,
) -> Option<f64>
where
    B: Bijection<f32, D, 0> + Sync,
{
    let clock = CpuClock::here()?;
    let mut out = [0.0f32; EVENTS];
    start.wait();
    let cpu = clock.seconds()?;
    let begin = Instant::now();
    for (x, log_p) in events.chunks(CALL).zip(out.chunks_mut(CALL)) {
        flow.log_prob_batch(black_box(x), log_p).ok();
    }
    let wall = begin.elapsed().as_secs_f64();
    (clock.seconds()? - cpu >= 0.97 * wall).then_some(wall)
}

/// The wall times of each thread's [`EVENTS`] events over [`RUNS`] runs of `threads` threads
/// at once, from the runs in which every thread had a core the whole time.
fn times<const D: usize, B>(
    flow: &Flow<f32, D, 0, B>,
    events: &[SVector<f32, D>],
    threads: usize,
) -> Vec<f64>
where
    B: Bijection<f32, D, 0> + Sync,
{
    let mut kept = Vec::new();
    for _ in 0..RUNS {
        let start = Barrier::new(threads);
        let run: Vec<Option<f64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = events
                .chunks(EVENTS)
                .take(threads)
                .map(|mine| scope.spawn(|| run_one(flow, mine, &start)))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().ok().flatten())
                .collect()
        });
        if run.iter().all(Option::is_some) {
            kept.extend(run.into_iter().flatten());
        }
    }
    kept.sort_by(f64::total_cmp);
    kept
}

/// Times a flow of type `B` (parameters perturbed so that no layer is the identity) and prints
/// its line.
fn case<const D: usize, B>(name: &str)
where
    B: Bijection<f32, D, 0> + Parameters<f32> + Random + Sync,
{
    let mut r = rng(1);
    let mut flow = Flow::<f32, D, 0, B>::random(&mut r);
    perturb(&mut flow, &mut r, 0.1);
    let events: Vec<SVector<f32, D>> = (0..2 * EVENTS)
        .map(|_| random_vector(&mut r, 1.0))
        .collect();
    let figures = [1, 2].map(|threads| {
        let kept = times(&flow, &events, threads);
        match (kept.first(), kept.get(kept.len() / 2)) {
            (Some(best), Some(median)) => format!(
                "best {:.3} ms, median {:.3} ms ({} thread runs kept)",
                best * 1e3,
                median * 1e3,
                kept.len()
            ),
            _ => "no run had its cores".to_string(),
        }
    });
    println!(
        "{name} D = {D}, {EVENTS} events per thread: alone {}; two at once {}",
        figures[0], figures[1]
    );
}

fn main() {
    case::<10, Coupling<Affine, 2, 10, 5, 5, 5>>("RealNVP");
    case::<10, Coupling<RationalQuadratic<8>, 23, 10, 5, 5, 10>>("CouplingRQNSF");
    case::<64, Autoregressive<RationalQuadratic<8>, 23, 64, 5>>("MaskedAutoregressiveRQNSF");
}
