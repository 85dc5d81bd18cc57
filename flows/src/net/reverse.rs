//! Reverse mode of a (masked) matrix-vector product, shared by the dense layers and MADE.

use core::ops::Range;

use crate::Real;

/// Reverse mode of `y = W x` for a column-major weight matrix `weight` with `rows` rows, of which
/// column `k` reaches only the rows `reach(k)` (all of them for a dense layer): adds `Wᵀ d_y` (over
/// those rows) into `d_x` and the outer product `d_y xᵀ` into the same entries of `grad`, leaving
/// the others untouched. One pass over each column of the weights and of their gradient.
#[inline]
pub(super) fn matvec_backward<T: Real>(
    weight: &[T],
    grad: &mut [T],
    rows: usize,
    reach: impl Fn(usize) -> Range<usize>,
    d_y: &[T],
    x: &[T],
    d_x: &mut [T],
) {
    let columns = weight
        .chunks_exact(rows.max(1))
        .zip(grad.chunks_exact_mut(rows.max(1)));
    let inputs = x.iter().zip(d_x.iter_mut());
    for (k, ((column, grad_column), (&input, d_input))) in columns.zip(inputs).enumerate() {
        let reach = reach(k);
        let (Some(d_y), Some(column), Some(grad_column)) = (
            d_y.get(reach.clone()),
            column.get(reach.clone()),
            grad_column.get_mut(reach),
        ) else {
            continue;
        };
        for (g, &d) in grad_column.iter_mut().zip(d_y) {
            *g += d * input;
        }
        *d_input += dot(column, d_y);
    }
}

/// `a · b`, summed in eight interleaved partial sums so that the compiler can vectorize it (a
/// single running sum is a dependency chain it may not reorder).
#[inline]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    const LANES: usize = 8;
    let mut partial = [T::zero(); LANES];
    let (a_blocks, b_blocks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: T = a_blocks
        .remainder()
        .iter()
        .zip(b_blocks.remainder())
        .fold(T::zero(), |sum, (&x, &y)| sum + x * y);
    for (x, y) in a_blocks.zip(b_blocks) {
        for ((p, &x), &y) in partial.iter_mut().zip(x).zip(y) {
            *p += x * y;
        }
    }
    partial.iter().fold(tail, |sum, &p| sum + p)
}

#[cfg(test)]
mod tests {
    use super::matvec_backward;

    /// Against the definition, with a mask that lets column `k` reach the rows `k..3`.
    #[test]
    fn masked_matvec_backward_matches_the_definition() {
        // 3 x 2, column-major.
        let weight = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut grad = [0.5; 6];
        let (x, d_y) = ([0.25, -2.0], [1.5, -1.0, 3.0]);
        let mut d_x = [10.0, 20.0];
        matvec_backward(&weight, &mut grad, 3, |k| k..3, &d_y, &x, &mut d_x);
        // Column 0 reaches rows 0..3, column 1 rows 1..3.
        assert_eq!(d_x, [10.0 + 1.5 - 2.0 + 9.0, 20.0 - 5.0 + 18.0]);
        assert_eq!(
            grad,
            [
                0.5 + 0.375,
                0.5 - 0.25,
                0.5 + 0.75,
                0.5,
                0.5 + 2.0,
                0.5 - 6.0
            ]
        );
    }

    /// Sums of every length up to 20 (the blocks of eight and their remainder).
    #[test]
    fn dot_covers_blocks_and_remainder() {
        for n in 0..20 {
            let a: Vec<f64> = (0..n).map(|i| i as f64 + 1.0).collect();
            let b: Vec<f64> = (0..n).map(|i| 0.5 - i as f64).collect();
            let expected: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert_eq!(super::dot(&a, &b), expected);
        }
    }
}
