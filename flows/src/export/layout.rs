//! The layout hash: every tensor's dotted name and shape, in visiting order.

use crate::{Parameters, Path, Real, Segment};

/// FNV-1a, 64 bits: small, `const`-free of tables, and the same on every platform.
struct Fnv(u64);

impl Fnv {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(Self::PRIME);
        }
    }

    /// Feeds `n` in decimal ASCII, as `Path`'s `Display` prints an index.
    fn decimal(&mut self, mut n: usize) {
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
        self.bytes(digits.get(start..).unwrap_or_default());
    }
}

/// The hash of `parameters`' layout: for each tensor in visiting order, its dotted name (as
/// [`Path`] prints it), then its rows and columns as little-endian `u64`, then a `0xff` byte;
/// hashed with 64-bit FNV-1a. Two flows with the same hash have the same tensors in the same
/// order, so their parameters can be copied one onto the other.
pub fn layout_hash<T: Real, P: Parameters<T>>(parameters: &P) -> u64 {
    let mut hash = Fnv(Fnv::OFFSET);
    parameters.visit(&Path::ROOT, &mut |path, _| {
        let mut first = true;
        path.for_each_segment(&mut |segment| {
            if !first {
                hash.bytes(b".");
            }
            first = false;
            match segment {
                Segment::Name(name) => hash.bytes(name.as_bytes()),
                Segment::Index(index) => hash.decimal(index),
            }
        });
        let [rows, cols] = path.shape().unwrap_or([0, 0]);
        hash.bytes(&(rows as u64).to_le_bytes());
        hash.bytes(&(cols as u64).to_le_bytes());
        hash.bytes(&[0xff]);
    });
    hash.0
}
