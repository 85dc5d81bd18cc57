//! Prints this core's practical `f32` FMA peak, as the kernels measure it
//! ([`flows::kernel::fma_peak_flops`]). Run two at once to see whether two threads can double
//! one:
//!
//! ```sh
//! cargo run --release --example fma_peak
//! target/release/examples/fma_peak & target/release/examples/fma_peak; wait
//! ```

fn main() {
    println!("{:.1} GFLOP/s", flows::kernel::fma_peak_flops() / 1e9);
}
