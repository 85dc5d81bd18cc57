//! Output over semihosting without `core::fmt`: text, decimal integers, float bits in hex.

use cortex_m_semihosting::hio;

/// Writes `bytes` to the host's standard output (dropped if the host does not listen).
pub fn text(bytes: &[u8]) {
    if let Ok(mut stdout) = hio::hstdout() {
        let _ = stdout.write_all(bytes);
    }
}

/// Writes `n` in decimal.
pub fn decimal(mut n: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    text(digits.get(start..).unwrap_or_default());
}

/// Writes a space and the IEEE bits of `v` as 8 hex digits.
pub fn bits(v: f32) {
    let bits = v.to_bits();
    let mut hex = [b' '; 9];
    for (i, digit) in hex.iter_mut().skip(1).enumerate() {
        let nibble = ((bits >> (28 - 4 * i)) & 0xf) as u8;
        *digit = if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        };
    }
    text(&hex);
}
