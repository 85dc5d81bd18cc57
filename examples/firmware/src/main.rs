//! Runs a RealNVP exported by the host on a Cortex-M4F and prints, over semihosting, the
//! log-densities of fixed inputs, samples from a fixed seed and the peak stack.
//!
//! Output lines (floats as the hex of their IEEE bits, so nothing is lost in printing and no
//! float formatting code is linked):
//!
//! ```text
//! log_prob <i> <bits>
//! sample <i> <bits of x[0]> ... <bits of x[9]> <bits of log p(x)>
//! stack <peak bytes> flow <bytes of the flow in RAM> setup <peak while building and loading>
//!     inference <peak while evaluating and sampling, the flow included>
//! ```
#![no_std]
#![no_main]

mod model;
mod out;
mod parameters;
mod stack;

use cortex_m_rt::entry;
use cortex_m_semihosting::debug;
use flows::nalgebra::SVector;
use flows::rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
use panic_semihosting as _;

use model::{INPUTS, Model, SAMPLE_SEED, SAMPLES};

#[entry]
fn main() -> ! {
    stack::paint();
    let ok = run();
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

/// Loads the flow from flash into RAM, evaluates and samples; false if the image does not fit.
#[inline(never)]
fn run() -> bool {
    let mut flow = build();
    if let Err(error) = parameters::PARAMETERS.load_into(&mut flow) {
        out::text(b"error ");
        out::text(error.reason().as_bytes());
        out::text(b"\n");
        return false;
    }
    // The stack is measured twice: up to here (building and loading the flow), then, painted
    // afresh below this frame (which holds the flow), over the inference alone.
    let setup = stack::peak();
    stack::paint();
    evaluate(&flow);
    let inference = stack::peak();
    out::text(b"stack ");
    out::decimal(setup.max(inference));
    out::text(b" flow ");
    out::decimal(core::mem::size_of::<Model>());
    out::text(b" setup ");
    out::decimal(setup);
    out::text(b" inference ");
    out::decimal(inference);
    out::text(b"\n");
    true
}

/// A flow of the right type; its parameters are overwritten by the load.
#[inline(never)]
fn build() -> Model {
    Model::seeded(0)
}

/// Prints the log-densities of the inputs and the samples of the seed.
#[inline(never)]
fn evaluate(flow: &Model) {
    for (i, input) in INPUTS.iter().enumerate() {
        let log_p = flow.log_prob(&SVector::from(*input));
        out::text(b"log_prob ");
        out::decimal(i);
        out::bits(log_p);
        out::text(b"\n");
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SAMPLE_SEED);
    for i in 0..SAMPLES {
        let (x, log_p) = flow.sample_with_log_prob(&mut rng);
        out::text(b"sample ");
        out::decimal(i);
        for v in x.iter() {
            out::bits(*v);
        }
        out::bits(log_p);
        out::text(b"\n");
    }
}
