//! The batch methods give the same results on any number of threads (the `rayon` feature): the
//! threads share a batch in pieces that depend on their timing, and every result must not.

#![cfg(feature = "rayon")]

use flows::batch::{Contexts, PARALLEL_MIN};
use flows::nalgebra::SVector;
use flows::{MAF, RealNVP};
use harness::{perturb, random_vector, rng};

/// Events per batch: enough to be shared, not a whole number of chunks or lane blocks.
const N: usize = 2 * PARALLEL_MIN + 1000 + 37;

/// Everything a flow's batch methods give for one batch: log-densities, both directions with
/// their log-dets, and samples with their log-densities.
type Results<const D: usize> = (
    Vec<f64>,
    Vec<SVector<f64, D>>,
    Vec<f64>,
    Vec<SVector<f64, D>>,
    Vec<f64>,
    Vec<SVector<f64, D>>,
    Vec<f64>,
);

/// The results of `flow`'s batch methods on `events` (under per-event `contexts`) on a pool of
/// `threads` threads.
fn results<const D: usize, const C: usize, B>(
    flow: &flows::Flow<f64, D, C, B>,
    events: &[SVector<f64, D>],
    contexts: &[SVector<f64, C>],
    threads: usize,
) -> Results<D>
where
    B: flows::Bijection<f64, D, C> + Sync,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let n = events.len();
        let each = || Contexts::Each(contexts);
        let mut log_p = vec![0.0; n];
        flow.log_prob_batch_given(events, each(), &mut log_p)
            .unwrap();
        let (mut z, mut z_ld) = (vec![SVector::zeros(); n], vec![0.0; n]);
        flow.forward_batch_into_given(events, each(), &mut z[..], &mut z_ld)
            .unwrap();
        let (mut x, mut x_ld) = (vec![SVector::zeros(); n], vec![0.0; n]);
        flow.inverse_batch_into_given(events, each(), &mut x[..], &mut x_ld)
            .unwrap();
        let (mut s, mut s_lp) = (vec![SVector::zeros(); n], vec![0.0; n]);
        flow.sample_batch_given(&mut rng(7), each(), &mut s[..], &mut s_lp)
            .unwrap();
        (log_p, z, z_ld, x, x_ld, s, s_lp)
    })
}

/// Checks that `flow` gives the same results on 1, 2 and 3 threads, and that the results are those
/// of the per-event methods.
fn check<const D: usize, const C: usize, B>(flow: &flows::Flow<f64, D, C, B>)
where
    B: flows::Bijection<f64, D, C> + Sync,
{
    let mut draws = rng(3);
    let events: Vec<SVector<f64, D>> = (0..N).map(|_| random_vector(&mut draws, 1.0)).collect();
    let contexts: Vec<SVector<f64, C>> = (0..N).map(|_| random_vector(&mut draws, 1.0)).collect();
    let one = results(flow, &events, &contexts, 1);
    for threads in [2, 3] {
        for _ in 0..3 {
            assert!(
                results(flow, &events, &contexts, threads) == one,
                "{threads} threads differ from one"
            );
        }
    }
    let (log_p, z, z_ld, x, x_ld, samples, sample_lp) = one;
    for i in 0..N {
        let (e, c) = (&events[i], &contexts[i]);
        assert!(
            (log_p[i] - flow.log_prob_given(e, c)).abs() < 1e-12,
            "log_prob {i}"
        );
        let (fz, fld) = flows::Bijection::forward(flow, e, c);
        assert!(
            (z[i] - fz).amax() < 1e-12 && (z_ld[i] - fld).abs() < 1e-12,
            "forward {i}"
        );
        let (ix, ild) = flows::Bijection::inverse(flow, e, c);
        assert!(
            (x[i] - ix).amax() < 1e-12 && (x_ld[i] - ild).abs() < 1e-12,
            "inverse {i}"
        );
        let lp = flow.log_prob_given(&samples[i], c);
        assert!((sample_lp[i] - lp).abs() < 1e-9, "sample {i}");
    }
}

#[test]
fn coupling_flow_is_the_same_on_any_threads() {
    let mut r = rng(1);
    let mut flow = <RealNVP!(f64, 5, context = 2, layers = 2, hidden = 8)>::random(&mut r);
    perturb(&mut flow, &mut r, 0.2);
    check(&flow);
}

#[test]
fn autoregressive_flow_is_the_same_on_any_threads() {
    let mut r = rng(2);
    let mut flow = <MAF!(f64, 4, context = 1, layers = 2, hidden = 8)>::random(&mut r);
    perturb(&mut flow, &mut r, 0.2);
    check(&flow);
}
