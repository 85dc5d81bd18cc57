//! Arbitrary bytes into the torchflows importer (a RealNVP and a narrow MAF): an error or a flow,
//! never a panic.
#![no_main]

use flows::io::torchflows;
use flows::layer::MaskedAutoregressive;
use flows::net::{Made, Tanh};
use flows::preset::AutoregressiveFlow;
use flows::transformer::Affine;
use flows::{CouplingRQNSF, RealNVP};
use libfuzzer_sys::fuzz_target;

type Coupling = RealNVP!(f64, 2, layers = 1, hidden_layers = 1, hidden = 4);
type Spline = CouplingRQNSF!(f64, 2, layers = 1, hidden_layers = 1, hidden = 2, bins = 2);
type Narrow = AutoregressiveFlow<
    f64,
    MaskedAutoregressive<Affine, Made<f64, 4, 0, 2, 0, 2, Tanh, true>, 4, 2>,
    4,
    0,
    1,
>;

fuzz_target!(|bytes: &[u8]| {
    let _: Result<Coupling, _> = torchflows::import(bytes);
    let _: Result<Spline, _> = torchflows::import(bytes);
    let _: Result<Narrow, _> = torchflows::import(bytes);
});
