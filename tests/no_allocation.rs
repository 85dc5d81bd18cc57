//! `forward`, `inverse`, `log_prob` and `sample` allocate nothing: a counting global allocator sees
//! no allocation while they run. The count is per thread, so tests running beside each other (and
//! the test harness itself) do not disturb it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flows::nalgebra::SVector;
use flows::{Bijection, RealNVP};
use harness::{perturb, rng};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// The allocations made so far on this thread.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A const-initialized `Cell` needs no allocation and no destructor; during thread teardown
        // the count is simply not taken.
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded with the caller's layout, which satisfies `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System.alloc` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn inference_allocates_nothing() {
    let mut rng = rng(1);
    let mut flow = <RealNVP!(f64, 10, context = 2, layers = 4, hidden = 32)>::random(&mut rng);
    perturb(&mut flow, &mut rng, 0.2);
    let x = SVector::<f64, 10>::from_fn(|i, _| i as f64 * 0.1);
    let context = SVector::<f64, 2>::from([0.5, -0.5]);

    let before = allocations();
    let (z, log_det) = flow.forward(&x, &context);
    let (back, _) = flow.inverse(&z, &context);
    let log_p = flow.log_prob_given(&x, &context);
    let sample = flow.sample_given(&mut rng, &context);
    let (_, sample_log_p) = flow.sample_with_log_prob_given(&mut rng, &context);
    let after = allocations();

    assert!(log_det.is_finite() && log_p.is_finite() && sample_log_p.is_finite());
    assert!((back - x).amax() < 1e-10 && sample.iter().all(|v| v.is_finite()));
    assert_eq!(
        after - before,
        0,
        "inference allocated {} times",
        after - before
    );
}

#[test]
fn the_counter_counts() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 16]);
    assert!(allocations() > before);
    drop(v);
}
