//! The main job: fits a RealNVP to two moons, prints the train and test negative log-likelihood,
//! and draws the learned density beside samples from it into `quickstart.png`.
//!
//! Run with `cargo run --release --example quickstart` (a few seconds).

mod data;

use flows::RealNVP;
use flows::nalgebra::Vector2;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use flows::train::{FitOptions, Schedule, TrainingData};
use plotters::prelude::*;

/// RealNVP on 2-D events, in `f32`: 8 coupling blocks with conditioners of two hidden layers of 32.
type Moons = RealNVP!(f32, 2, layers = 8, hidden = 32);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data::MoonsSplit { train, test, .. } = data::MoonsSplit::new(0);
    let to_f32 = |v: &[Vector2<f64>]| -> Vec<Vector2<f32>> { v.iter().map(|x| x.cast()).collect() };
    let (train, test) = (to_f32(&train), to_f32(&test));

    let mut flow = Moons::seeded(0);
    println!(
        "RealNVP on two moons: {} parameters, {} training and {} test points",
        <Moons as flows::Parameters<f32>>::COUNT,
        train.len(),
        test.len()
    );
    // One run whose learning rate anneals on a cosine from 5e-3 to a hundredth of it; the test
    // set is only evaluated, never used to pick weights.
    let options = FitOptions {
        epochs: 40,
        learning_rate: 5e-3,
        schedule: Schedule::Cosine { floor: 0.01 },
        batch_size: 64,
        keep_best: false,
        progress: true,
        ..FitOptions::default()
    };
    let report = flow.fit(TrainingData::new(&train), None, &options)?;
    println!("{report}");
    let nll = |set: &[Vector2<f32>]| {
        -set.iter().map(|x| f64::from(flow.log_prob(x))).sum::<f64>() / set.len() as f64
    };
    println!(
        "train NLL {:.4} nats, test NLL {:.4} nats",
        nll(&train),
        nll(&test)
    );

    let path = "quickstart.png";
    draw(&flow, path)?;
    println!("wrote {path}: the learned density (left) and 4,000 samples from it (right)");
    Ok(())
}

/// The learned density on a grid beside samples; no text, so no font libraries are needed.
fn draw(flow: &Moons, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    const SIZE: u32 = 400;
    const EXTENT: f64 = 2.5;
    let root = BitMapBackend::new(path, (2 * SIZE, SIZE)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(SIZE);
    let to_point = |px: u32, py: u32| {
        let u = (px as f64 + 0.5) / SIZE as f64;
        let v = (py as f64 + 0.5) / SIZE as f64;
        Vector2::new((2.0 * u - 1.0) * EXTENT, (1.0 - 2.0 * v) * EXTENT)
    };
    let densities: Vec<f64> = (0..SIZE * SIZE)
        .map(|k| f64::from(flow.log_prob(&to_point(k % SIZE, k / SIZE).cast())).exp())
        .collect();
    let peak = densities.iter().cloned().fold(0.0, f64::max).max(1e-12);
    for (k, d) in densities.iter().enumerate() {
        let t = (d / peak).clamp(0.0, 1.0);
        let color = ViridisRGB::get_color(t);
        left.draw_pixel(((k as u32 % SIZE) as i32, (k as u32 / SIZE) as i32), &color)?;
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for _ in 0..4_000 {
        let x: Vector2<f64> = flow.sample(&mut rng).cast();
        let px = ((x[0] / EXTENT + 1.0) / 2.0 * SIZE as f64) as i32;
        let py = ((1.0 - x[1] / EXTENT) / 2.0 * SIZE as f64) as i32;
        right.draw(&Circle::new((px, py), 1, BLUE.mix(0.5).filled()))?;
    }
    root.present()?;
    Ok(())
}
