//! The data sets of the examples, by the protocol of the project's data README: two moons
//! generated in code (seeded), standardized with the training mean and std, split 80/20; and the
//! 8x8 digits of `digits.csv.gz` (see `README.md` here), dequantized with uniform noise and
//! logit-transformed, split 80/20.

#![allow(dead_code)]

use std::io::Read;

use flows::nalgebra::{SVector, Vector2};
use flows::rand::distr::{Distribution, StandardUniform};
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

/// Pixels per digit image (8x8).
pub const PIXELS: usize = 64;

/// The gray levels of a pixel: its values are the integers `0..LEVELS`.
const LEVELS: f64 = 17.0;

/// The margin of the logit transform: `p = MARGIN + (1 - 2 MARGIN) v`.
const MARGIN: f64 = 0.05;

/// One digit image in logit space.
pub type Digit = SVector<f64, PIXELS>;

/// The digits in logit space: the 1,797 images of `digits.csv.gz`, each pixel plus one fixed draw
/// of uniform noise in `[0, 1)` (seeded), divided by 17, mapped by `y = logit(0.05 + 0.9 v)`;
/// shuffled (seeded) and split 80/20. `(train, test)`; see [`digits_log_jacobian`] for the
/// change of variables back to the noisy pixel values.
pub fn digits_split(seed: u64) -> Result<(Vec<Digit>, Vec<Digit>), String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/digits.csv.gz");
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .map_err(|e| format!("{path}: {e}"))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut images = Vec::new();
    for (row, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let values: Vec<f64> = line
            .split(',')
            .take(PIXELS)
            .map(|v| v.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{path}, row {}: {e}", row + 1))?;
        if values.len() != PIXELS {
            return Err(format!(
                "{path}, row {}: fewer than {PIXELS} pixels",
                row + 1
            ));
        }
        images.push(Digit::from_fn(|i, _| {
            let noisy = values[i] + Distribution::<f64>::sample(&StandardUniform, &mut rng);
            let p = MARGIN + (1.0 - 2.0 * MARGIN) * noisy / LEVELS;
            (p / (1.0 - p)).ln()
        }));
    }
    images.shuffle(&mut rng);
    let cut = images.len() * 4 / 5;
    let test = images.split_off(cut);
    Ok((images, test))
}

/// `log |det dy/du|` of the digits' preprocessing at the logit-space point `y`, where `u` are the
/// noisy pixel values in `[0, 17)`: `-log p(u) = -log p(y) - digits_log_jacobian(y)`.
pub fn digits_log_jacobian(y: &SVector<f64, PIXELS>) -> f64 {
    y.iter()
        .map(|&y| {
            let p = 1.0 / (1.0 + (-y).exp());
            ((1.0 - 2.0 * MARGIN) / LEVELS).ln() - p.ln() - (1.0 - p).ln()
        })
        .sum()
}

/// The gray level in `[0, 1]` (0 white, 1 black ink) of a logit-space pixel `y`: the inverse of
/// the preprocessing without the noise, clamped.
pub fn digits_gray_level(y: f64) -> f64 {
    let p = 1.0 / (1.0 + (-y).exp());
    ((p - MARGIN) / (1.0 - 2.0 * MARGIN) * LEVELS / (LEVELS - 1.0)).clamp(0.0, 1.0)
}
