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

/// The standard deviation of the protocol's moons noise.
const MOONS_NOISE: f64 = 0.05;

/// The noiseless points of `n` two moons (scikit-learn's `make_moons`): evenly spaced angles on
/// two interleaved half circles, the outer one first.
fn moon_centers(n: usize) -> Vec<Vector2<f64>> {
    let outer = n / 2;
    let inner = n - outer;
    let angle =
        |i: usize, count: usize| std::f64::consts::PI * i as f64 / (count.max(2) - 1) as f64;
    let outer_points =
        (0..outer).map(|i| Vector2::new(angle(i, outer).cos(), angle(i, outer).sin()));
    let inner_points =
        (0..inner).map(|i| Vector2::new(1.0 - angle(i, inner).cos(), 0.5 - angle(i, inner).sin()));
    outer_points.chain(inner_points).collect()
}

/// Two interleaved half circles (scikit-learn's `make_moons`): `n` points, Gaussian noise of
/// standard deviation `noise`, shuffled; seeded.
pub fn moons(n: usize, noise: f64, seed: u64) -> Vec<Vector2<f64>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut points = moon_centers(n);
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
/// standardized with the training mean and standard deviation.
pub struct MoonsSplit {
    /// The standardized training points.
    pub train: Vec<Vector2<f64>>,
    /// The standardized test points.
    pub test: Vec<Vector2<f64>>,
    /// The training mean, subtracted before dividing by `std`.
    mean: Vector2<f64>,
    /// The training standard deviation.
    std: Vector2<f64>,
}

/// Points in the protocol's two moons.
const MOONS_POINTS: usize = 10_000;

impl MoonsSplit {
    /// The split drawn with `seed`.
    pub fn new(seed: u64) -> Self {
        let points = moons(MOONS_POINTS, MOONS_NOISE, seed);
        let (train, test) = points.split_at(MOONS_POINTS * 4 / 5);
        let n = train.len() as f64;
        let mean = train.iter().sum::<Vector2<f64>>() / n;
        let var = train
            .iter()
            .map(|x| (x - mean).component_mul(&(x - mean)))
            .sum::<Vector2<f64>>()
            / n;
        let std = var.map(f64::sqrt);
        let scale = |x: &Vector2<f64>| (x - mean).component_div(&std);
        Self {
            train: train.iter().map(scale).collect(),
            test: test.iter().map(scale).collect(),
            mean,
            std,
        }
    }

    /// The mean negative log-density, in nats, of standardized `points` under the distribution
    /// the data are drawn from: an equal mixture of isotropic Gaussians (standard deviation
    /// 0.05) around the 10,000 noiseless points, with the standardization's log-Jacobian. It is
    /// what a perfect model would score on `points`: the floor of any fitted flow's NLL there.
    pub fn true_nll(&self, points: &[Vector2<f64>]) -> f64 {
        let centers = moon_centers(MOONS_POINTS);
        let variance = MOONS_NOISE * MOONS_NOISE;
        let log_norm = (2.0 * std::f64::consts::PI * variance).ln() + (MOONS_POINTS as f64).ln();
        let log_jacobian = (self.std.x * self.std.y).ln();
        let nll = |z: &Vector2<f64>| {
            let x = z.component_mul(&self.std) + self.mean;
            let squared = |c: &Vector2<f64>| (x - c).norm_squared();
            // log-sum-exp around the nearest center, so far points do not underflow to 0.
            let nearest = centers.iter().map(squared).fold(f64::INFINITY, f64::min);
            let sum: f64 = centers
                .iter()
                .map(|c| (-(squared(c) - nearest) / (2.0 * variance)).exp())
                .sum();
            nearest / (2.0 * variance) - sum.ln() + log_norm - log_jacobian
        };
        points.iter().map(nll).sum::<f64>() / points.len() as f64
    }
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
