//! Adam and AdamW.

use crate::{Parameters, Path, Real};

/// Adam (Kingma and Ba 2015) with decoupled weight decay (AdamW, Loshchilov and Hutter 2019) and
/// optional gradient-norm clipping. The moments are kept in `f64` whatever the flow's scalar.
///
/// The weight decay is 0 by default: torchflows' default of 0.01 measurably hurts its fits.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    /// The step size.
    pub learning_rate: f64,
    /// The decay of the first moment.
    pub beta1: f64,
    /// The decay of the second moment.
    pub beta2: f64,
    /// Added to the root of the second moment.
    pub epsilon: f64,
    /// Decoupled weight decay: each step also subtracts `learning_rate · weight_decay · θ`.
    pub weight_decay: f64,
    /// If set, a gradient whose Euclidean norm exceeds it is scaled down to it.
    pub max_grad_norm: Option<f64>,
    first: Vec<f64>,
    second: Vec<f64>,
    steps: i32,
}

impl Adam {
    /// Adam with the usual constants (`β = (0.9, 0.999)`, `ε = 1e-8`), no weight decay and no
    /// clipping.
    pub fn new(learning_rate: f64) -> Self {
        Self {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            weight_decay: 0.0,
            max_grad_norm: None,
            first: Vec::new(),
            second: Vec::new(),
            steps: 0,
        }
    }

    /// AdamW: Adam with decoupled weight decay.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Clips the gradient to at most this Euclidean norm.
    pub fn with_max_grad_norm(mut self, max_grad_norm: Option<f64>) -> Self {
        self.max_grad_norm = max_grad_norm;
        self
    }

    /// Forgets the moments, as a fresh optimizer.
    pub fn reset(&mut self) {
        self.first.clear();
        self.second.clear();
        self.steps = 0;
    }

    /// One step on `params` given the flat gradient `grad` (in the parameters' visiting order,
    /// one entry per scalar), which is clipped in place first if clipping is on. Returns the
    /// gradient norm before clipping.
    pub fn step<T: Real, P: Parameters<T>>(&mut self, params: &mut P, grad: &mut [f64]) -> f64 {
        if self.first.len() != grad.len() {
            self.first = vec![0.0; grad.len()];
            self.second = vec![0.0; grad.len()];
            self.steps = 0;
        }
        let norm = crate::kernel::vectorized(|| sum_of_squares(grad)).sqrt();
        if let Some(max) = self.max_grad_norm
            && norm > max
        {
            let factor = max / norm;
            grad.iter_mut().for_each(|g| *g *= factor);
        }
        self.steps = self.steps.saturating_add(1);
        let correction1 = 1.0 - self.beta1.powi(self.steps);
        let correction2 = 1.0 - self.beta2.powi(self.steps);
        let step_size = self.learning_rate / correction1;
        let decay = 1.0 - self.learning_rate * self.weight_decay;
        let (beta1, beta2) = (self.beta1, self.beta2);
        // The update's last steps run in the parameters' own precision: what it adds is rounded to
        // it anyway, and `f32` square roots and divisions cost half as much as `f64` ones.
        let (root_correction2, epsilon) = (T::lit(1.0 / correction2.sqrt()), T::lit(self.epsilon));
        let mut offset = 0;
        params.visit_mut(&Path::ROOT, &mut |_, values| {
            let range = offset..offset + values.len();
            offset = range.end;
            let (Some(g), Some(m), Some(v)) = (
                grad.get(range.clone()),
                self.first.get_mut(range.clone()),
                self.second.get_mut(range),
            ) else {
                return;
            };
            // Under the CPU's vector instruction set (the same results, twice the lanes of the
            // baseline's SSE2).
            crate::kernel::vectorized(|| {
                for (((value, &g), m), v) in values.iter_mut().zip(g).zip(m).zip(v) {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let denominator = T::lit(*v).sqrt() * root_correction2 + epsilon;
                    *value = T::lit(value.to_f64() * decay) - T::lit(step_size * *m) / denominator;
                }
            });
        });
        norm
    }
}

/// `Σ x²`, in eight interleaved partial sums (a single running sum is a chain of additions the
/// compiler may not reorder, so it could not vectorize it).
fn sum_of_squares(x: &[f64]) -> f64 {
    const PARTS: usize = 8;
    let (rows, tail) = x.as_chunks::<PARTS>();
    let mut partial = [0.0; PARTS];
    for row in rows {
        for (p, &x) in partial.iter_mut().zip(row) {
            *p += x * x;
        }
    }
    let tail: f64 = tail.iter().map(|x| x * x).sum();
    partial.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::sum_of_squares;

    /// Every length up to 20 (the rows of eight and their tail), against a plain sum.
    #[test]
    fn sum_of_squares_covers_rows_and_tail() {
        let x: [f64; 20] = core::array::from_fn(|i| i as f64 * 0.5 - 4.5);
        for n in 0..=20 {
            let want: f64 = x[..n].iter().map(|x| x * x).sum();
            assert_eq!(sum_of_squares(&x[..n]), want, "{n} values");
        }
    }
}
