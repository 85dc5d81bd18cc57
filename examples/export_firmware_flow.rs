//! Prepares the flow the firmware example runs (`examples/firmware/`): builds the RealNVP of
//! `examples/firmware/src/model.rs`, fits it to synthetic data, writes its parameters as Rust
//! source into `examples/firmware/src/parameters.rs`, and prints the host's results for the
//! firmware's inputs and seed in the firmware's output format.
//!
//! ```sh
//! cargo run --release --example export_firmware_flow              # export, print results
//! cargo run --release --example export_firmware_flow -- --check   # fail if the export is stale
//! cargo run --release --example export_firmware_flow -- --compare qemu.txt  # check firmware
//! ```
//!
//! `--compare` reads the firmware's output and fails unless every value is within 1e-5 of the
//! host's (relative to the value's magnitude when that exceeds 1).

#[path = "firmware/src/model.rs"]
mod model;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use flows::nalgebra::SVector;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use flows::train::{FitOptions, TrainingData};
use flows::{Parameters, Real};

use model::{D, INPUTS, Model, SAMPLE_SEED, SAMPLES};

/// The tolerance of `--compare`.
const TOLERANCE: f64 = 1e-5;

/// The flow the firmware runs: the preset fitted by maximum likelihood to a synthetic, skewed and
/// correlated 10-D data set (deterministic: fixed seeds, one thread).
fn trained() -> Model {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let data: Vec<SVector<f32, D>> = (0..2000)
        .map(|_| {
            let z: SVector<f32, D> = SVector::from_fn(|_, _| f32::standard_normal(&mut rng));
            SVector::from_fn(|i, _| {
                let next = z[(i + 1) % D];
                0.5 * z[i] + 0.4 * next * next - 0.4 + i as f32 * 0.1
            })
        })
        .collect();
    let mut flow = Model::seeded(1);
    let options = FitOptions {
        epochs: 15,
        learning_rate: 2e-3,
        batch_size: 128,
        seed: 3,
        progress: false,
        ..FitOptions::default()
    };
    let report = flow
        .fit(TrainingData::new(&data), None, &options)
        .expect("the synthetic data set is valid");
    eprintln!(
        "fitted {} epochs: train NLL {:.4} nats",
        report.epochs(),
        report.train_loss.last().copied().unwrap_or(f64::NAN)
    );
    flow
}

/// The host's results, one line each, in the firmware's format (without the `stack` line).
fn results(flow: &Model) -> Vec<(String, Vec<f32>)> {
    let mut lines = Vec::new();
    for (i, input) in INPUTS.iter().enumerate() {
        lines.push((
            format!("log_prob {i}"),
            vec![flow.log_prob(&SVector::from(*input))],
        ));
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SAMPLE_SEED);
    for i in 0..SAMPLES {
        let (x, log_p) = flow.sample_with_log_prob(&mut rng);
        let mut values: Vec<f32> = x.iter().copied().collect();
        values.push(log_p);
        lines.push((format!("sample {i}"), values));
    }
    lines
}

fn source(flow: &Model) -> String {
    let mut out = Vec::new();
    flows::export::write_rust_source(flow, "PARAMETERS", &mut out).expect("writes to memory");
    String::from_utf8(out).expect("the source is UTF-8")
}

/// Compares the firmware's output in `path` with the host's `expected` lines.
fn compare(path: &Path, expected: &[(String, Vec<f32>)]) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut worst = 0.0_f64;
    for (key, host) in expected {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .ok_or_else(|| format!("the firmware printed no `{key}` line"))?;
        let firmware: Vec<f32> = line
            .split_whitespace()
            .skip(2)
            .map(|w| u32::from_str_radix(w, 16).map(f32::from_bits))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("`{line}`: {e}"))?;
        if firmware.len() != host.len() {
            return Err(format!(
                "`{key}`: {} values, expected {}",
                firmware.len(),
                host.len()
            ));
        }
        for (&f, &h) in firmware.iter().zip(host) {
            let (f, h) = (f64::from(f), f64::from(h));
            let error = (f - h).abs() / h.abs().max(1.0);
            worst = worst.max(error);
            println!("{key}: firmware {f:+.9e} host {h:+.9e} error {error:.2e}");
            if error.is_nan() || error > TOLERANCE {
                return Err(format!(
                    "`{key}`: firmware {f} and host {h} differ by {error:e}"
                ));
            }
        }
    }
    println!(
        "firmware and host agree on {} lines: largest error {worst:.2e} (tolerance {TOLERANCE:e})",
        expected.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let target =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/src/parameters.rs");
    let flow = trained();
    let expected = results(&flow);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--compare", path] => match compare(Path::new(path), &expected) {
            Ok(()) => ExitCode::SUCCESS,
            Err(reason) => {
                eprintln!("firmware and host disagree: {reason}");
                ExitCode::FAILURE
            }
        },
        ["--check"] => {
            if std::fs::read_to_string(&target).ok() == Some(source(&flow)) {
                println!("{} is up to date", target.display());
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "{} is stale: run `cargo run --release --example export_firmware_flow`",
                    target.display()
                );
                ExitCode::FAILURE
            }
        }
        [] => {
            std::fs::write(&target, source(&flow)).expect("the firmware crate is writable");
            println!(
                "wrote {} parameters ({} bytes) to {}",
                <Model as Parameters<f32>>::COUNT,
                <Model as Parameters<f32>>::BYTES,
                target.display()
            );
            for (key, values) in &expected {
                let bits: Vec<String> = values
                    .iter()
                    .map(|v| format!("{:08x}", v.to_bits()))
                    .collect();
                let decimal: Vec<String> = values.iter().map(|v| format!("{v:+.6}")).collect();
                println!("{key} {}    # {}", bits.join(" "), decimal.join(" "));
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: export_firmware_flow [--check | --compare FIRMWARE_OUTPUT]");
            ExitCode::FAILURE
        }
    }
}
