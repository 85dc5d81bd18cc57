//! Static coupling partitions.

use nalgebra::SVector;

use crate::{Error, Real};

/// A split of `D` event indices into `A` source indices (passed through, conditioning) and `B`
/// target indices (transformed), `A + B = D`, each index exactly once.
///
/// [`Partition::half_split`] is torchflows' `HalfSplit`: the first `floor(D/2)` elements condition
/// the last `ceil(D/2)`. Any other split comes from [`Partition::new`] (fallible, for runtime
/// data) or [`Partition::from_source`]. `A = 0` is allowed: the conditioner then sees only the
/// context and is a learned constant without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition<const D: usize, const A: usize, const B: usize> {
    source: [usize; A],
    target: [usize; B],
}

impl<const D: usize, const A: usize, const B: usize> Partition<D, A, B> {
    const SIZES_ADD_UP: () = assert!(
        A + B == D,
        "coupling split sizes must add up to the event size"
    );
    const TARGET_NOT_EMPTY: () = assert!(B > 0, "a coupling must leave something to transform");

    /// Source `0..A`, target `A..D`. With `A = floor(D/2)` this is torchflows' `HalfSplit`.
    pub const fn half_split() -> Self {
        let () = Self::SIZES_ADD_UP;
        let () = Self::TARGET_NOT_EMPTY;
        let mut source = [0; A];
        let mut target = [0; B];
        let mut i = 0;
        while i < A {
            source[i] = i;
            i += 1;
        }
        let mut j = 0;
        while j < B {
            target[j] = A + j;
            j += 1;
        }
        Self { source, target }
    }

    /// The split with the given source indices (in the order the conditioner reads them); the
    /// target is every other index in increasing order.
    ///
    /// # Errors
    /// [`Error::Length`] unless `source.len() == A`, [`Error::IndexOutOfRange`] for an index
    /// `>= D`, [`Error::DuplicateIndex`] for an index given twice.
    pub fn from_source(source: &[usize]) -> Result<Self, Error> {
        let () = Self::SIZES_ADD_UP;
        let () = Self::TARGET_NOT_EMPTY;
        let mut seen = [false; D];
        check_indices("coupling source", source, A, &mut seen)?;
        let mut target = [0; B];
        let mut unseen = seen
            .iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(i, _)| i);
        for t in &mut target {
            *t = unseen.next().unwrap_or_default();
        }
        let mut src = [0; A];
        src.copy_from_slice(source);
        Ok(Self {
            source: src,
            target,
        })
    }

    /// The split with explicit source and target lists.
    ///
    /// # Errors
    /// As [`from_source`](Self::from_source), for either list; an index in both lists is a
    /// duplicate.
    pub fn new(source: &[usize], target: &[usize]) -> Result<Self, Error> {
        let () = Self::SIZES_ADD_UP;
        let () = Self::TARGET_NOT_EMPTY;
        let mut seen = [false; D];
        check_indices("coupling source", source, A, &mut seen)?;
        check_indices("coupling target", target, B, &mut seen)?;
        let mut src = [0; A];
        src.copy_from_slice(source);
        let mut tgt = [0; B];
        tgt.copy_from_slice(target);
        Ok(Self {
            source: src,
            target: tgt,
        })
    }

    /// The split with the given lists, unchecked: the caller guarantees that together they hold
    /// every index below `D` once (the image masks, whose tests check it).
    pub(crate) const fn from_lists(source: [usize; A], target: [usize; B]) -> Self {
        Self { source, target }
    }

    /// The source indices.
    pub const fn source(&self) -> &[usize; A] {
        &self.source
    }

    /// The target indices.
    pub const fn target(&self) -> &[usize; B] {
        &self.target
    }

    /// Whether this is the [half split](Self::half_split) layout: source `0..A`, target `A..D`,
    /// each in order.
    #[inline]
    pub fn is_half_split(&self) -> bool {
        let in_order = |indices: &[usize], first: usize| {
            indices.iter().enumerate().all(|(k, &i)| i == first + k)
        };
        in_order(&self.source, 0) && in_order(&self.target, A)
    }

    /// The source elements of `x`, in source order.
    #[inline]
    pub fn gather_source<T: Real>(&self, x: &SVector<T, D>) -> SVector<T, A> {
        // `get` rather than indexing: every index is below `D` by construction, and this way the
        // inference path holds no panic branch (the firmware example checks it).
        let mut out = SVector::<T, A>::zeros();
        for (o, &s) in out.iter_mut().zip(&self.source) {
            if let Some(&v) = x.as_slice().get(s) {
                *o = v;
            }
        }
        out
    }
}

impl<const D: usize, const A: usize, const B: usize> Default for Partition<D, A, B> {
    fn default() -> Self {
        Self::half_split()
    }
}

/// Checks that `indices` has `len` entries, each `< seen.len()` and not yet seen, marking them.
pub(crate) fn check_indices(
    what: &'static str,
    indices: &[usize],
    len: usize,
    seen: &mut [bool],
) -> Result<(), Error> {
    if indices.len() != len {
        return Err(Error::Length {
            what,
            expected: len,
            found: indices.len(),
        });
    }
    let size = seen.len();
    for &index in indices {
        let slot = seen
            .get_mut(index)
            .ok_or(Error::IndexOutOfRange { what, index, size })?;
        if *slot {
            return Err(Error::DuplicateIndex { what, index });
        }
        *slot = true;
    }
    Ok(())
}
