//! Flat parameter vectors and batch gradients (in parallel with the `rayon` feature).

use crate::{Parameters, Path, Real};

/// Every parameter scalar of `p`, in visiting order, as `f64`.
pub(crate) fn flatten<T: Real, P: Parameters<T>>(p: &P, out: &mut Vec<f64>) {
    out.clear();
    p.visit(&Path::ROOT, &mut |_, values| {
        out.extend(values.iter().map(|v| v.to_f64()));
    });
}

/// Adds every parameter scalar of `p` to `out` (which has the right length).
fn add_flat<T: Real, P: Parameters<T>>(p: &P, out: &mut [f64]) {
    let mut offset = 0;
    p.visit(&Path::ROOT, &mut |_, values| {
        for (o, v) in out[offset..].iter_mut().zip(values) {
            *o += v.to_f64();
        }
        offset += values.len();
    });
}

/// Sets the parameters of `p` from a flat vector.
pub(crate) fn assign<T: Real, P: Parameters<T>>(p: &mut P, flat: &[f64]) {
    let mut offset = 0;
    p.visit_mut(&Path::ROOT, &mut |_, values| {
        for (v, f) in values.iter_mut().zip(&flat[offset..]) {
            *v = T::lit(*f);
        }
        offset += values.len();
    });
}

/// Sets every parameter of `p` to zero.
fn zero<T: Real, P: Parameters<T>>(p: &mut P) {
    p.visit_mut(&Path::ROOT, &mut |_, values| values.fill(T::zero()));
}

/// Sums `per_item(model, item, grad)` over `items`: each call adds one item's gradient into an
/// accumulator `grad` (a zeroed copy of the model, kept in `scratch` between calls so that no
/// batch allocates or copies the model) and returns its loss. Writes the summed gradient, flat,
/// into `grad_out` and returns the summed loss.
///
/// With the `rayon` feature the items are split into one contiguous chunk per thread and the
/// chunks' sums are added in chunk order, so the result depends only on the thread count.
pub(crate) fn batch_gradient<T, M, F>(
    model: &M,
    items: &[usize],
    per_item: F,
    scratch: &mut Vec<Box<M>>,
    grad_out: &mut Vec<f64>,
) -> f64
where
    T: Real,
    M: Parameters<T> + Clone + Send + Sync,
    F: Fn(&M, usize, &mut M) -> f64 + Sync,
{
    #[cfg(feature = "rayon")]
    let size = items
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    #[cfg(not(feature = "rayon"))]
    let size = items.len().max(1);
    let chunks = items.len().div_ceil(size);
    while scratch.len() < chunks {
        scratch.push(Box::new(model.clone()));
    }
    let chunk = |(chunk_items, grad): (&[usize], &mut Box<M>)| {
        zero(grad.as_mut());
        chunk_items
            .iter()
            .map(|&i| per_item(model, i, grad.as_mut()))
            .sum::<f64>()
    };
    #[cfg(feature = "rayon")]
    let losses: Vec<f64> = {
        use rayon::prelude::*;
        items
            .par_chunks(size)
            .zip(scratch.par_iter_mut())
            .map(chunk)
            .collect()
    };
    #[cfg(not(feature = "rayon"))]
    let losses: Vec<f64> = items
        .chunks(size)
        .zip(scratch.iter_mut())
        .map(chunk)
        .collect();
    // The first chunk's sum is written (not added to zeros), the others added.
    let mut sums = scratch[..losses.len()].iter();
    match sums.next() {
        Some(first) => flatten(first.as_ref(), grad_out),
        None => grad_out.clear(),
    }
    grad_out.resize(M::COUNT, 0.0);
    for grad in sums {
        add_flat(grad.as_ref(), grad_out);
    }
    losses.iter().sum()
}
