//! Fast smoke tests of training: the loss goes down, bad input is refused, divergence is caught.

use flows::RealNVP;
use flows::nalgebra::Vector2;
use flows::train::{
    FitOptions, Schedule, StopReason, TrainError, TrainingData, VariationalOptions,
};

type Small = RealNVP!(f64, 2, layers = 2, hidden = 8);

/// A noisy ring, seeded.
fn ring(n: usize, seed: u64) -> Vec<Vector2<f64>> {
    let mut rng = harness::rng(seed);
    (0..n)
        .map(|_| {
            let v: Vector2<f64> = harness::random_vector(&mut rng, 1.0);
            let angle = v[0] * 3.0;
            Vector2::new(2.0 * angle.cos(), 2.0 * angle.sin())
                + 0.2 * Vector2::new(v[1], v[0] * v[1])
        })
        .collect()
}

#[test]
fn a_few_epochs_lower_the_loss() {
    let (train, val) = (ring(400, 1), ring(100, 2));
    let mut flow = Small::seeded(0);
    let options = FitOptions {
        epochs: 8,
        batch_size: 64,
        learning_rate: 5e-3,
        ..FitOptions::default()
    };
    let report = flow
        .fit(
            TrainingData::new(&train),
            Some(TrainingData::new(&val)),
            &options,
        )
        .unwrap();
    assert_eq!(report.stop, StopReason::Completed);
    assert_eq!(report.train_loss.len(), 8);
    assert_eq!(report.val_loss.len(), 8);
    assert!(
        report.train_loss[7] < report.train_loss[0] - 0.1,
        "{:?}",
        report.train_loss
    );
    assert!(
        report.val_loss[7] < report.val_loss[0],
        "{:?}",
        report.val_loss
    );
    let best = report.best_epoch.unwrap();
    let val_nll = -val.iter().map(|x| flow.log_prob(x)).sum::<f64>() / val.len() as f64;
    assert!(
        (val_nll - report.val_loss[best]).abs() < 1e-9,
        "best weights not restored"
    );

    // The same seed gives the same run.
    let mut again = Small::seeded(0);
    let repeat = again
        .fit(
            TrainingData::new(&train),
            Some(TrainingData::new(&val)),
            &options,
        )
        .unwrap();
    assert_eq!(repeat.train_loss, report.train_loss);
}

#[test]
fn weights_and_context_are_used() {
    let train = ring(200, 3);
    let weights: Vec<f64> = (0..200)
        .map(|i| if i % 2 == 0 { 2.0 } else { 0.0 })
        .collect();
    let context: Vec<flows::nalgebra::Vector1<f64>> = train
        .iter()
        .map(|x| flows::nalgebra::Vector1::new(x[0].signum()))
        .collect();
    let mut flow = <RealNVP!(f64, 2, context = 1, layers = 2, hidden = 8)>::seeded(1);
    let options = FitOptions {
        epochs: 4,
        batch_size: 50,
        learning_rate: 5e-3,
        ..FitOptions::default()
    };
    let data = TrainingData::new(&train)
        .with_context(&context)
        .with_weights(&weights);
    let report = flow.fit(data, None, &options).unwrap();
    assert!(
        report.train_loss[3] < report.train_loss[0],
        "{:?}",
        report.train_loss
    );
    let missing = flow.fit(TrainingData::new(&train), None, &options);
    assert!(
        matches!(missing, Err(TrainError::LengthMismatch { .. })),
        "{missing:?}"
    );
}

#[test]
fn bad_input_is_refused_before_training() {
    let data = ring(10, 4);
    let mut flow = Small::seeded(2);
    let before = flow.clone();
    let options = FitOptions::default();
    let empty: Vec<Vector2<f64>> = Vec::new();
    let err = flow
        .fit(TrainingData::new(&empty), None, &options)
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::Empty {
            what: "training data"
        }
    );
    let mut nan = data.clone();
    nan[3][1] = f64::NAN;
    let err = flow
        .fit(TrainingData::new(&nan), None, &options)
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::NonFinite {
            what: "training data",
            index: 3
        }
    );
    let short = [1.0; 9];
    let err = flow
        .fit(
            TrainingData::new(&data).with_weights(&short),
            None,
            &options,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        TrainError::LengthMismatch {
            expected: 10,
            found: 9,
            ..
        }
    ));
    let zero_batch = FitOptions {
        batch_size: 0,
        ..FitOptions::default()
    };
    let err = flow
        .fit(TrainingData::new(&data), None, &zero_batch)
        .unwrap_err();
    assert!(err.to_string().contains("batch_size"), "{err}");
    let bad_schedule = FitOptions {
        schedule: Schedule::Cosine { floor: 1.5 },
        ..FitOptions::default()
    };
    let err = flow
        .fit(TrainingData::new(&data), None, &bad_schedule)
        .unwrap_err();
    assert!(err.to_string().contains("schedule"), "{err}");
    let mut bad_val = data.clone();
    bad_val[0][0] = f64::INFINITY;
    let err = flow
        .fit(
            TrainingData::new(&data),
            Some(TrainingData::new(&bad_val)),
            &options,
        )
        .unwrap_err();
    assert_eq!(
        err,
        TrainError::NonFinite {
            what: "validation data",
            index: 0
        }
    );
    assert_eq!(
        flow.bijection, before.bijection,
        "a refused fit changed the flow"
    );
}

#[test]
fn a_non_finite_loss_stops_and_restores() {
    let mut data = ring(64, 5);
    let mut flow = Small::seeded(3);
    let options = FitOptions {
        epochs: 3,
        batch_size: 16,
        shuffle: false,
        initialize: false,
        ..FitOptions::default()
    };
    let good = flow.clone();
    data[40] = Vector2::new(1e200, -1e200);
    let report = flow.fit(TrainingData::new(&data), None, &options).unwrap();
    assert_eq!(report.stop, StopReason::Diverged { epoch: 0 });
    assert!(report.restored_best);
    assert_eq!(
        flow.bijection, good.bijection,
        "initial weights not restored"
    );
}

#[test]
fn early_stopping_and_time_limit() {
    let data = ring(100, 6);
    // Validation data elsewhere: fitting the training data soon makes it worse.
    let elsewhere: Vec<Vector2<f64>> = data
        .iter()
        .map(|x| x * 0.2 + Vector2::new(4.0, 0.0))
        .collect();
    let mut flow = Small::seeded(4);
    let options = FitOptions {
        epochs: 1000,
        batch_size: 20,
        learning_rate: 1e-2,
        patience: Some(3),
        ..FitOptions::default()
    };
    let report = flow
        .fit(
            TrainingData::new(&data),
            Some(TrainingData::new(&elsewhere)),
            &options,
        )
        .unwrap();
    assert_eq!(report.stop, StopReason::EarlyStopping, "{report}");
    assert_eq!(report.epochs(), report.best_epoch.unwrap() + 4);
    let options = FitOptions {
        epochs: 1_000_000,
        time_limit: Some(std::time::Duration::from_millis(50)),
        ..FitOptions::default()
    };
    let report = flow.fit(TrainingData::new(&data), None, &options).unwrap();
    assert_eq!(report.stop, StopReason::TimeLimit);
}

#[test]
fn variational_fit_finds_a_gaussian() {
    let mean = Vector2::new(1.0, -2.0);
    let std = Vector2::new(0.5, 2.0);
    let target = |x: &Vector2<f64>| {
        let u = (x - mean).component_div(&std);
        (-0.5 * u.norm_squared(), -u.component_div(&std))
    };
    let mut flow = Small::seeded(5);
    let options = VariationalOptions {
        steps: 300,
        samples: 32,
        learning_rate: 2e-2,
        ..VariationalOptions::default()
    };
    let report = flow.variational_fit(target, &options).unwrap();
    assert_eq!(report.stop, StopReason::Completed);
    let mut rng = harness::rng(9);
    let samples: Vec<Vector2<f64>> = (0..4000).map(|_| flow.sample(&mut rng)).collect();
    let m = samples.iter().sum::<Vector2<f64>>() / 4000.0;
    let s = (samples
        .iter()
        .map(|x| (x - m).component_mul(&(x - m)))
        .sum::<Vector2<f64>>()
        / 4000.0)
        .map(f64::sqrt);
    assert!((m - mean).norm() < 0.2, "mean {m}");
    assert!((s - std).norm() < 0.3, "std {s}");
    // The gradient-free wrapper agrees with the analytic gradient.
    let numeric = flows::train::finite_difference_gradient(|x: &Vector2<f64>| target(x).0);
    let x = Vector2::new(0.3, 0.7);
    assert!((numeric(&x).1 - target(&x).1).norm() < 1e-6);
}
