//! Conditioners: which inputs may inform which outputs.
//!
//! A coupling layer splits the event into a *source* part that passes unchanged and conditions the
//! transform of the *target* part. [`Partition`] holds such a split with static sizes.

pub(crate) mod partition;

pub use partition::Partition;
