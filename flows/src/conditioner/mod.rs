//! Conditioners: which inputs may inform which outputs.
//!
//! A coupling layer splits the event into a *source* part that passes unchanged and conditions the
//! transform of the *target* part. [`Partition`] holds such a split with static sizes. A masked
//! autoregressive layer lets element `i` be conditioned by `x_<i`: [`made`] assigns the degrees
//! that say which inputs each unit of its network may see.

pub mod made;
pub(crate) mod partition;

pub use partition::Partition;
