//! The accuracy and speed benchmark: fits a flow to two moons or to the 8x8 digits by the
//! project's data protocol and prints the test negative log-likelihood (nats for moons, bits per
//! dimension of the noisy pixel values for digits) and the wall time, on one thread.
//!
//! ```sh
//! cargo run --release --example fit -- --data moons --arch realnvp
//! cargo run --release --example fit -- --data digits --arch maf
//! ```
//!
//! `--data moons|digits`, `--arch realnvp|maf|nsf`, and optionally `--epochs N`, `--lr X`,
//! `--batch N`, `--seed N` to override the tuned plan of each pair.

mod data;

use std::process::ExitCode;
use std::time::Instant;

use flows::distribution::DistributionGradient;
use flows::gradient::BijectionGradient;
use flows::nalgebra::SVector;
use flows::train::{FitOptions, TrainingData};
use flows::{Flow, Parameters, flow};

flow! {
    /// Moons, RealNVP: 8 affine-coupling blocks with conditioners of two hidden layers of 32.
    struct MoonsRealNvp: f32 [2] = RealNVP(layers = 8, hidden = 32);

    /// Moons, MAF: 8 masked autoregressive affine blocks (at D = 2, a coupling in disguise).
    struct MoonsMaf: f32 [2] = MAF(layers = 8, hidden = 32);

    /// Moons, NSF: 6 rational-quadratic spline couplings of 8 bins, conditioners of width 64.
    struct MoonsNsf: f32 [2] = CouplingRQNSF(layers = 6, hidden = 64, bins = 8);

    /// Digits, RealNVP: 4 affine-coupling blocks with conditioners of two hidden layers of 64.
    struct DigitsRealNvp: f32 [64] = RealNVP(layers = 4, hidden = 64);

    /// Digits, MAF: 3 masked autoregressive affine blocks with MADE widths of 64 (zuko's size).
    struct DigitsMaf: f32 [64] = MAF(layers = 3, hidden = 64);

    /// Digits, NSF: 2 rational-quadratic spline couplings of 8 bins.
    struct DigitsNsf: f32 [64] = CouplingRQNSF(layers = 2, hidden = 64, bins = 8);
}

/// How to train one (data set, architecture) pair: a learning rate that decays in steps, each
/// step a separate run of [`fit`](flows::train::fit) with fresh Adam moments.
#[derive(Clone, Debug)]
struct Plan {
    /// `(epochs, learning rate)` of each phase, in order.
    phases: Vec<(usize, f64)>,
    /// Samples per optimizer step.
    batch_size: usize,
    /// Seeds the flow's initialization and the shuffling.
    seed: u64,
    /// Hold out the last tenth of the training data to keep each phase's best weights (the test
    /// set is never looked at during training).
    validate: bool,
}

impl Plan {
    /// `epochs` in three phases at `lr`, `lr / 4` and `lr / 16` (half, a third, a sixth).
    fn decaying(epochs: usize, lr: f64, batch_size: usize) -> Self {
        let first = epochs / 2;
        let second = epochs / 3;
        Plan {
            phases: vec![
                (first, lr),
                (second, lr / 4.0),
                (epochs - first - second, lr / 16.0),
            ],
            batch_size,
            seed: 0,
            validate: false,
        }
    }
}

/// The parsed command line.
struct Args {
    data: String,
    arch: String,
    epochs: Option<usize>,
    lr: Option<f64>,
    batch: Option<usize>,
    seed: Option<u64>,
}

const USAGE: &str = "usage: fit --data moons|digits --arch realnvp|maf|nsf \
                     [--epochs N] [--lr X] [--batch N] [--seed N]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: String::new(),
        arch: String::new(),
        epochs: None,
        lr: None,
        batch: None,
        seed: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--data" => args.data = value()?,
            "--arch" => args.arch = value()?,
            "--epochs" => args.epochs = Some(number(value()?)? as usize),
            "--lr" => args.lr = Some(number(value()?)?),
            "--batch" => args.batch = Some(number(value()?)? as usize),
            "--seed" => args.seed = Some(number(value()?)? as u64),
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

/// Loads the data, picks the flow and its plan, fits, and prints the result.
fn run(args: Args) -> Result<(), String> {
    let start = Instant::now();
    let tuned = match (args.data.as_str(), args.arch.as_str()) {
        ("moons", "realnvp" | "maf") => Plan::decaying(60, 1e-2, 256),
        ("moons", "nsf") => Plan::decaying(100, 5e-3, 256),
        ("digits", "realnvp" | "maf") => Plan {
            validate: true,
            ..Plan::decaying(40, 1e-3, 64)
        },
        ("digits", "nsf") => Plan {
            validate: true,
            ..Plan::decaying(40, 5e-4, 64)
        },
        _ => return Err(USAGE.into()),
    };
    let plan = override_plan(tuned, &args);
    let seed = plan.seed;
    let result = match args.data.as_str() {
        "moons" => {
            let (train, test) = data::moons_split(0);
            let (train, test) = (to_f32(&train), to_f32(&test));
            let nll = match args.arch.as_str() {
                "realnvp" => fit_and_test(&mut MoonsRealNvp::seeded(seed).0, &train, &test, &plan),
                "maf" => fit_and_test(&mut MoonsMaf::seeded(seed).0, &train, &test, &plan),
                _ => fit_and_test(&mut MoonsNsf::seeded(seed).0, &train, &test, &plan),
            }?;
            Outcome {
                nll: nll.iter().sum::<f64>() / nll.len() as f64,
                unit: "nats",
            }
        }
        _ => {
            let (train, test) = data::digits_split(0)?;
            let (train32, test32) = (to_f32(&train), to_f32(&test));
            let nll = match args.arch.as_str() {
                "realnvp" => {
                    fit_and_test(&mut DigitsRealNvp::seeded(seed).0, &train32, &test32, &plan)
                }
                "maf" => fit_and_test(&mut DigitsMaf::seeded(seed).0, &train32, &test32, &plan),
                _ => fit_and_test(&mut DigitsNsf::seeded(seed).0, &train32, &test32, &plan),
            }?;
            // Back to the noisy pixel values: -log p(u) = -log p(y) - log |dy/du|, in bits.
            let nats: f64 = nll
                .iter()
                .zip(&test)
                .map(|(nll, y)| nll - data::digits_log_jacobian(y))
                .sum::<f64>()
                / test.len() as f64;
            Outcome {
                nll: nats / (data::PIXELS as f64 * std::f64::consts::LN_2),
                unit: "bits per dim",
            }
        }
    };
    println!(
        "{} {}: test NLL {:.4} {}, wall time {:.2} s (one thread, {} epochs)",
        args.data,
        args.arch,
        result.nll,
        result.unit,
        start.elapsed().as_secs_f64(),
        plan.phases.iter().map(|p| p.0).sum::<usize>()
    );
    Ok(())
}

/// The final figure and its unit.
struct Outcome {
    nll: f64,
    unit: &'static str,
}

/// Applies the command line's overrides to a tuned plan.
fn override_plan(mut plan: Plan, args: &Args) -> Plan {
    if args.epochs.is_some() || args.lr.is_some() {
        let epochs = args
            .epochs
            .unwrap_or_else(|| plan.phases.iter().map(|p| p.0).sum());
        let lr = args.lr.unwrap_or(plan.phases[0].1);
        plan = Plan {
            validate: plan.validate,
            ..Plan::decaying(epochs, lr, plan.batch_size)
        };
    }
    plan.batch_size = args.batch.unwrap_or(plan.batch_size);
    plan.seed = args.seed.unwrap_or(plan.seed);
    plan
}

fn to_f32<const D: usize>(v: &[SVector<f64, D>]) -> Vec<SVector<f32, D>> {
    v.iter().map(|x| x.cast()).collect()
}

/// Fits `flow` to `train` by `plan` (the test set is never looked at during training) and
/// returns the negative log-likelihood of each test point, in nats.
fn fit_and_test<const D: usize, B, Base>(
    flow: &mut Flow<f32, D, 0, B, Base>,
    train: &[SVector<f32, D>],
    test: &[SVector<f32, D>],
    plan: &Plan,
) -> Result<Vec<f64>, String>
where
    B: BijectionGradient<f32, D, 0> + Parameters<f32> + Clone + Send + Sync,
    Base: DistributionGradient<f32, D> + Clone + Send + Sync,
{
    eprintln!(
        "{} parameters, {} training and {} test points",
        <B as Parameters<f32>>::COUNT,
        train.len(),
        test.len()
    );
    let (train, validation) = if plan.validate {
        let (fit, held_out) = train.split_at(train.len() - train.len() / 10);
        (fit, Some(TrainingData::new(held_out)))
    } else {
        (train, None)
    };
    for (phase, &(epochs, learning_rate)) in plan.phases.iter().enumerate() {
        let options = FitOptions {
            epochs,
            learning_rate,
            batch_size: plan.batch_size,
            seed: plan.seed + phase as u64,
            initialize: phase == 0,
            keep_best: plan.validate,
            progress: true,
            ..FitOptions::default()
        };
        let report = flow
            .fit(TrainingData::new(train), validation, &options)
            .map_err(|e| e.to_string())?;
        eprintln!(
            "phase {phase}: lr {learning_rate:.1e}, final train NLL {:.4} nats, {}",
            report.train_loss.last().copied().unwrap_or(f64::NAN),
            report.stop
        );
    }
    Ok(test.iter().map(|x| -f64::from(flow.log_prob(x))).collect())
}
