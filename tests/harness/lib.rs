//! The property-test harness.
