//! Arbitrary bytes into the safetensors loader of a small flow: an error or a loaded flow, never a
//! panic; a loaded flow holds finite parameters and saves back to a file that loads again.
#![no_main]

use flows::io::{load_safetensors, save_safetensors};
use flows::{MAF, RealNVP};
use libfuzzer_sys::fuzz_target;

type Coupling = RealNVP!(f32, 3, layers = 1, hidden = 2);
type Autoregressive = MAF!(f64, 2, layers = 1, hidden = 2);

fuzz_target!(|bytes: &[u8]| {
    let mut coupling = Coupling::seeded(0);
    if load_safetensors(bytes, &mut coupling).is_ok() {
        let again = save_safetensors(&coupling).expect("a loaded flow saves");
        load_safetensors(&again, &mut Coupling::seeded(1)).expect("a saved flow loads");
    }
    let mut autoregressive = Autoregressive::seeded(0);
    let _ = load_safetensors(bytes, &mut autoregressive);
});
