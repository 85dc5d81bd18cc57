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
//! `--batch N`, `--clip X` (gradient norm), `--seed N` to override the tuned plan of each pair
//! (one run whose learning rate anneals on a cosine), and `--split N` to draw another moons data
//! set (seed 0 by default; the digits split is fixed).
//!
//! For moons it also prints what the true density scores on the same test points: the floor of
//! any model's test NLL there, which moves by a few hundredths between draws of the test set.

mod data;

use std::process::ExitCode;
use std::time::Instant;

use flows::distribution::DistributionGradient;
use flows::gradient::BijectionGradient;
use flows::nalgebra::SVector;
use flows::train::{FitOptions, Schedule, TrainingData};
use flows::{Flow, Parameters, flow};

flow! {
    /// Moons, RealNVP: 8 affine-coupling blocks with conditioners of two hidden layers of 16
    /// (many narrow blocks learn two moons faster than few wide ones).
    struct MoonsRealNvp: f32 [2] = RealNVP(layers = 8, hidden = 16);

    /// Moons, MAF: 8 masked autoregressive affine blocks (at D = 2, a coupling in disguise).
    struct MoonsMaf: f32 [2] = MAF(layers = 8, hidden = 16);

    /// Moons, NSF: 4 rational-quadratic spline couplings of 8 bins on [-3, 3] (the data are
    /// standardized), in torchflows' preset layout, with ReLU conditioners of two hidden layers
    /// of 64 (zuko's width; tanh conditioners of the same size generalize worse here).
    struct MoonsNsf: f32 [2] {
        ElementwiseAffine,
        4 * {
            ReversePermutation,
            Coupling(
                RationalQuadratic(bins = 8, bound = 3.0),
                HalfSplit,
                FeedForward(hidden = 64, layers = 2, activation = Relu),
            ),
            ActNorm,
        },
        ElementwiseAffine,
        ActNorm,
    }

    /// Digits, RealNVP: 4 affine-coupling blocks with conditioners of two hidden layers of 64.
    struct DigitsRealNvp: f32 [64] = RealNVP(layers = 4, hidden = 64);

    /// Digits, MAF: 3 masked autoregressive affine blocks with MADE widths of 64 (zuko's size).
    struct DigitsMaf: f32 [64] = MAF(layers = 3, hidden = 64);

    /// Digits, NSF: 2 rational-quadratic spline couplings of 8 bins.
    struct DigitsNsf: f32 [64] = CouplingRQNSF(layers = 2, hidden = 64, bins = 8);
}

/// How to train one (data set, architecture) pair: one run of [`fit`](flows::train::fit) whose
/// learning rate anneals on a cosine from `lr` to a hundredth of it.
#[derive(Clone, Debug)]
struct Plan {
    /// Passes over the training data.
    epochs: usize,
    /// The initial learning rate.
    lr: f64,
    /// Samples per optimizer step.
    batch_size: usize,
    /// Clip each batch gradient to this norm.
    clip: Option<f64>,
    /// Seeds the flow's initialization and the shuffling.
    seed: u64,
    /// Hold out the last tenth of the training data to keep the best epoch's weights (the test
    /// set is never looked at during training).
    validate: bool,
}

impl Plan {
    /// `epochs` at `lr` on batches of `batch_size`, without validation.
    fn new(epochs: usize, lr: f64, batch_size: usize) -> Self {
        Plan {
            epochs,
            lr,
            batch_size,
            clip: None,
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
    clip: Option<f64>,
    seed: Option<u64>,
    split: u64,
}

const USAGE: &str = "usage: fit --data moons|digits --arch realnvp|maf|nsf \
                     [--epochs N] [--lr X] [--batch N] [--clip X] [--seed N] [--split N]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: String::new(),
        arch: String::new(),
        epochs: None,
        lr: None,
        batch: None,
        clip: None,
        seed: None,
        split: 0,
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
            "--clip" => args.clip = Some(number(value()?)?),
            "--seed" => args.seed = Some(number(value()?)? as u64),
            "--split" => args.split = number(value()?)? as u64,
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
        ("moons", "realnvp" | "maf") => Plan::new(24, 5e-3, 32),
        ("moons", "nsf") => Plan {
            clip: Some(10.0),
            ..Plan::new(20, 1e-2, 64)
        },
        ("digits", "realnvp") => Plan {
            validate: true,
            ..Plan::new(3, 5e-3, 32)
        },
        ("digits", "maf") => Plan {
            validate: true,
            ..Plan::new(5, 7e-3, 24)
        },
        ("digits", "nsf") => Plan {
            validate: true,
            ..Plan::new(40, 5e-4, 64)
        },
        _ => return Err(USAGE.into()),
    };
    let plan = override_plan(tuned, &args);
    let seed = plan.seed;
    let result = match args.data.as_str() {
        "moons" => {
            let split = data::MoonsSplit::new(args.split);
            let (train, test) = (to_f32(&split.train), to_f32(&split.test));
            let nll = match args.arch.as_str() {
                "realnvp" => fit_and_test(&mut MoonsRealNvp::seeded(seed).0, &train, &test, &plan),
                "maf" => fit_and_test(&mut MoonsMaf::seeded(seed).0, &train, &test, &plan),
                _ => fit_and_test(&mut MoonsNsf::seeded(seed).0, &train, &test, &plan),
            }?;
            Outcome {
                nll: nll.iter().sum::<f64>() / nll.len() as f64,
                unit: "nats",
                floor: Some(split),
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
                floor: None,
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
        plan.epochs
    );
    if let Some(split) = result.floor {
        let floor = split.true_nll(&split.test);
        println!(
            "the true density scores {floor:.4} {} on these test points: {:.4} above it",
            result.unit,
            result.nll - floor
        );
    }
    Ok(())
}

/// The final figure, its unit, and the data whose true density bounds it (moons).
struct Outcome {
    nll: f64,
    unit: &'static str,
    floor: Option<data::MoonsSplit>,
}

/// Applies the command line's overrides to a tuned plan.
fn override_plan(plan: Plan, args: &Args) -> Plan {
    Plan {
        epochs: args.epochs.unwrap_or(plan.epochs),
        lr: args.lr.unwrap_or(plan.lr),
        batch_size: args.batch.unwrap_or(plan.batch_size),
        clip: args.clip.or(plan.clip),
        seed: args.seed.unwrap_or(plan.seed),
        validate: plan.validate,
    }
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
    let options = FitOptions {
        epochs: plan.epochs,
        learning_rate: plan.lr,
        schedule: Schedule::Cosine { floor: 0.01 },
        batch_size: plan.batch_size,
        max_grad_norm: plan.clip,
        seed: plan.seed,
        keep_best: plan.validate,
        progress: true,
        ..FitOptions::default()
    };
    let report = flow
        .fit(TrainingData::new(train), validation, &options)
        .map_err(|e| e.to_string())?;
    let losses: Vec<String> = report
        .train_loss
        .iter()
        .map(|l| format!("{l:.3}"))
        .collect();
    eprintln!(
        "train NLL per epoch (nats): {}; {}",
        losses.join(" "),
        report.stop
    );
    let log_prob = flow.log_prob_vec(test).map_err(|e| e.to_string())?;
    Ok(log_prob.into_iter().map(|lp| -f64::from(lp)).collect())
}
