//! Training (feature `std`): Adam and AdamW, maximum-likelihood [`fit`] and [`variational_fit`].
//!
//! Gradients are exact (each layer's reverse mode, see [`gradient`](crate::gradient)); a batch's
//! gradient is the sum of its samples' gradients, computed in parallel with the `rayon` feature
//! (one chunk per thread, summed in a fixed order: deterministic for a given seed and thread
//! count).
//!
//! ```
//! use flows::RealNVP;
//! use flows::nalgebra::Vector2;
//! use flows::train::{FitOptions, TrainingData};
//!
//! let data: Vec<Vector2<f64>> =
//!     (0..200).map(|i| Vector2::new((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos())).collect();
//! let mut flow = <RealNVP!(f64, 2, layers = 2, hidden = 8)>::seeded(0);
//! let options = FitOptions { epochs: 5, batch_size: 50, ..FitOptions::default() };
//! let report = flow.fit(TrainingData::new(&data), None, &options).unwrap();
//! assert_eq!(report.train_loss.len(), 5);
//! assert!(report.train_loss[4] < report.train_loss[0]);
//! ```

mod batch;
mod error;
mod fit;
mod optimizer;
mod report;
mod schedule;
mod variational;

pub use error::TrainError;
pub use fit::{FitOptions, TrainingData, fit};
pub use optimizer::Adam;
pub use report::{FitReport, StopReason};
pub use schedule::Schedule;
pub use variational::{VariationalOptions, finite_difference_gradient, variational_fit};
