//! The data sets of the examples, by the protocol of the project's data README: two moons
//! generated in code (seeded), standardized with the training mean and std, split 80/20.

#![allow(dead_code)]

use flows::nalgebra::Vector2;
use flows::rand::seq::SliceRandom;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};

/// Two interleaved half circles (scikit-learn's `make_moons`): `n` points, Gaussian noise of
/// standard deviation `noise`, shuffled; seeded.
pub fn moons(n: usize, noise: f64, seed: u64) -> Vec<Vector2<f64>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let outer = n / 2;
    let inner = n - outer;
    let mut points: Vec<Vector2<f64>> = Vec::with_capacity(n);
    for i in 0..outer {
        let t = std::f64::consts::PI * i as f64 / (outer.max(2) - 1) as f64;
        points.push(Vector2::new(t.cos(), t.sin()));
    }
    for i in 0..inner {
        let t = std::f64::consts::PI * i as f64 / (inner.max(2) - 1) as f64;
        points.push(Vector2::new(1.0 - t.cos(), 0.5 - t.sin()));
    }
    points.shuffle(&mut rng);
    for p in &mut points {
        let e = Vector2::new(
            <f64 as flows::Real>::standard_normal(&mut rng),
            <f64 as flows::Real>::standard_normal(&mut rng),
        );
        *p += noise * e;
    }
    points
}

/// The protocol's two moons: 10,000 points, noise 0.05, the first 80 % for training, both parts
/// standardized with the training mean and standard deviation. `(train, test)`.
pub fn moons_split(seed: u64) -> (Vec<Vector2<f64>>, Vec<Vector2<f64>>) {
    let points = moons(10_000, 0.05, seed);
    let (train, test) = points.split_at(8_000);
    let n = train.len() as f64;
    let mean = train.iter().sum::<Vector2<f64>>() / n;
    let var = train
        .iter()
        .map(|x| (x - mean).component_mul(&(x - mean)))
        .sum::<Vector2<f64>>()
        / n;
    let std = var.map(f64::sqrt);
    let scale = |x: &Vector2<f64>| (x - mean).component_div(&std);
    (
        train.iter().map(scale).collect(),
        test.iter().map(scale).collect(),
    )
}
