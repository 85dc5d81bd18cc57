//! Fits a multiscale flow to the 8x8 digits as 1x8x8 images, by the project's data protocol,
//! prints the test bits per dimension of the noisy pixel values, and draws samples into
//! `digits_images.png` (an 8x8 grid of digits).
//!
//! ```sh
//! cargo run --release --example digits_images
//! cargo run --release --example digits_images -- --arch glow --epochs 40
//! ```
//!
//! `--arch realnvp|glow|nice|rqnsf` (default `realnvp`), `--epochs N` (default 40, in three
//! phases of decaying learning rate as `examples/fit.rs`), `--lr X`, `--seed N`.

mod data;

use std::process::ExitCode;
use std::time::Instant;

use flows::distribution::DistributionGradient;
use flows::gradient::BijectionGradient;
use flows::nalgebra::SVector;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use flows::train::{FitOptions, TrainingData};
use flows::{Flow, Glow, MultiscaleNICE, MultiscaleRQNSF, MultiscaleRealNVP, Parameters};
use plotters::prelude::*;

/// Multiscale RealNVP: two levels, two pairs of checkerboard and channel-wise affine couplings per
/// stage, 3x3 convolutional conditioners of 16 channels.
type DigitsRealNvp = MultiscaleRealNVP!(f32, [1, 8, 8], levels = 2, blocks = 2, hidden = 16);
/// Glow: every block `[ChannelActNorm, Conv1x1, affine coupling]`, same sizes.
type DigitsGlow = Glow!(f32, [1, 8, 8], levels = 2, blocks = 2, hidden = 16);
/// Multiscale NICE (additive couplings), same sizes.
type DigitsNice = MultiscaleNICE!(f32, [1, 8, 8], levels = 2, blocks = 2, hidden = 16);
/// Multiscale rational-quadratic splines of 8 bins, one pair per stage.
type DigitsRqnsf = MultiscaleRQNSF!(
    f32,
    [1, 8, 8],
    levels = 2,
    blocks = 1,
    hidden = 16,
    bins = 8
);

/// The command line.
struct Args {
    arch: String,
    epochs: usize,
    lr: f64,
    seed: u64,
}

const USAGE: &str =
    "usage: digits_images [--arch realnvp|glow|nice|rqnsf] [--epochs N] [--lr X] [--seed N]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        arch: "realnvp".into(),
        epochs: 40,
        lr: 1e-3,
        seed: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--arch" => args.arch = value()?,
            "--epochs" => args.epochs = number(value()?)? as usize,
            "--lr" => args.lr = number(value()?)?,
            "--seed" => args.seed = number(value()?)? as u64,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let start = Instant::now();
    let (train, test) = data::digits_split(0)?;
    let to_f32 =
        |v: &[data::Digit]| -> Vec<SVector<f32, 64>> { v.iter().map(|x| x.cast()).collect() };
    let (train32, test32) = (to_f32(&train), to_f32(&test));
    let path = "digits_images.png";
    let nll = match args.arch.as_str() {
        "realnvp" => fit_test_draw(
            &mut DigitsRealNvp::seeded(args.seed),
            &train32,
            &test32,
            &args,
            path,
        ),
        "glow" => fit_test_draw(
            &mut DigitsGlow::seeded(args.seed),
            &train32,
            &test32,
            &args,
            path,
        ),
        "nice" => fit_test_draw(
            &mut DigitsNice::seeded(args.seed),
            &train32,
            &test32,
            &args,
            path,
        ),
        "rqnsf" => fit_test_draw(
            &mut DigitsRqnsf::seeded(args.seed),
            &train32,
            &test32,
            &args,
            path,
        ),
        _ => return Err(USAGE.into()),
    }?;
    // Back to the noisy pixel values: -log p(u) = -log p(y) - log |dy/du|, in bits per pixel.
    let nats: f64 = nll
        .iter()
        .zip(&test)
        .map(|(nll, y)| nll - data::digits_log_jacobian(y))
        .sum::<f64>()
        / test.len() as f64;
    println!(
        "digits as 1x8x8 images, {}: test NLL {:.4} bits per dim, wall time {:.1} s (one thread, {} epochs); samples in {path}",
        args.arch,
        nats / (data::PIXELS as f64 * std::f64::consts::LN_2),
        start.elapsed().as_secs_f64(),
        args.epochs,
    );
    Ok(())
}

/// Fits `flow` in three phases of decaying learning rate (keeping each phase's best weights on a
/// tenth of the training data held out; the test set is never looked at), draws 64 samples into
/// `path`, and returns the negative log-likelihood of each test image in nats.
fn fit_test_draw<B, Base>(
    flow: &mut Flow<f32, 64, 0, B, Base>,
    train: &[SVector<f32, 64>],
    test: &[SVector<f32, 64>],
    args: &Args,
    path: &str,
) -> Result<Vec<f64>, String>
where
    B: BijectionGradient<f32, 64, 0> + Parameters<f32> + Clone + Send + Sync,
    Base: DistributionGradient<f32, 64> + Clone + Send + Sync,
{
    eprintln!(
        "{} parameters, {} training and {} test images",
        <B as Parameters<f32>>::COUNT,
        train.len(),
        test.len()
    );
    let (fit, held_out) = train.split_at(train.len() - train.len() / 10);
    let first = args.epochs / 2;
    let second = args.epochs / 3;
    let phases = [
        (first, args.lr),
        (second, args.lr / 4.0),
        (args.epochs - first - second, args.lr / 16.0),
    ];
    for (phase, &(epochs, learning_rate)) in phases.iter().enumerate() {
        let options = FitOptions {
            epochs,
            learning_rate,
            batch_size: 64,
            seed: args.seed + phase as u64,
            initialize: phase == 0,
            keep_best: true,
            progress: true,
            ..FitOptions::default()
        };
        let report = flow
            .fit(
                TrainingData::new(fit),
                Some(TrainingData::new(held_out)),
                &options,
            )
            .map_err(|e| e.to_string())?;
        eprintln!("phase {phase}: lr {learning_rate:.1e}, {report}");
    }
    draw(flow, path).map_err(|e| format!("{path}: {e}"))?;
    let log_prob = flow.log_prob_vec(test).map_err(|e| e.to_string())?;
    Ok(log_prob.into_iter().map(|lp| -f64::from(lp)).collect())
}

/// An 8x8 grid of samples, each digit 8x8 pixels drawn as 6x6 squares, gray levels from the
/// inverse of the logit preprocessing (white background, dark ink).
fn draw<B, Base>(
    flow: &Flow<f32, 64, 0, B, Base>,
    path: &str,
) -> Result<(), Box<dyn std::error::Error>>
where
    B: BijectionGradient<f32, 64, 0>,
    Base: DistributionGradient<f32, 64>,
{
    const CELL: u32 = 6;
    const DIGIT: u32 = 8 * CELL + 4;
    let root = BitMapBackend::new(path, (8 * DIGIT, 8 * DIGIT)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for k in 0..64u32 {
        let x = flow.sample(&mut rng);
        let (left, top) = ((k % 8) * DIGIT + 2, (k / 8) * DIGIT + 2);
        for (i, y) in x.iter().enumerate() {
            let level = data::digits_gray_level(f64::from(*y));
            let ink = (255.0 * (1.0 - level)) as u8;
            let (px, py) = (left + (i as u32 % 8) * CELL, top + (i as u32 / 8) * CELL);
            root.draw(&Rectangle::new(
                [
                    (px as i32, py as i32),
                    ((px + CELL) as i32, (py + CELL) as i32),
                ],
                RGBColor(ink, ink, ink).filled(),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}
