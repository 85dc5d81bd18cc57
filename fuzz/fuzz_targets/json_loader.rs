//! Arbitrary bytes as a JSON parameter map into a small flow: an error, never a panic.
#![no_main]

use flows::RealNVP;
use flows::io::ParameterMap;
use libfuzzer_sys::fuzz_target;

type Model = RealNVP!(f64, 2, layers = 1, hidden = 2);

fuzz_target!(|bytes: &[u8]| {
    if let Ok(map) = serde_json::from_slice::<ParameterMap>(bytes) {
        let _ = map.load_into(&mut Model::seeded(0));
        let _ = map.to_safetensors();
    }
});
