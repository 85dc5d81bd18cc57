//! Batches of events as slices of vectors or as flat scalar slices (event after event, stride
//! `D`).

use nalgebra::SVector;

use crate::{Error, Real};

/// A batch of `D`-element events to read: `[SVector<T, D>]`, or `[T]` holding the events one
/// after another (stride `D`).
pub trait Events<T: Real, const D: usize> {
    /// The number of events.
    ///
    /// # Errors
    /// [`Error::Length`] when a flat slice's length is not a multiple of `D`.
    fn count(&self) -> Result<usize, Error>;

    /// Copies the events `start..start + out.len()` into `out`; events past the end are left as
    /// they are.
    fn read(&self, start: usize, out: &mut [SVector<T, D>]);

    /// The events `start..start + len` in place, to read without a copy, when the batch holds
    /// them as vectors (`None` otherwise, and when they are not all in the batch).
    fn vectors(&self, start: usize, len: usize) -> Option<&[SVector<T, D>]> {
        let _ = (start, len);
        None
    }
}

/// A batch of `D`-element events to write.
pub trait EventsMut<T: Real, const D: usize>: Events<T, D> {
    /// Writes `from` over the events `start..start + from.len()`; events past the end are not
    /// written.
    fn write(&mut self, start: usize, from: &[SVector<T, D>]);

    /// The events before `mid` and those from `mid` on (all of them and none past the end).
    fn split_events_mut(&mut self, mid: usize) -> (&mut Self, &mut Self);
}

impl<T: Real, const D: usize> Events<T, D> for [SVector<T, D>] {
    fn count(&self) -> Result<usize, Error> {
        Ok(self.len())
    }
    #[inline]
    fn read(&self, start: usize, out: &mut [SVector<T, D>]) {
        for (o, x) in out.iter_mut().zip(self.iter().skip(start)) {
            *o = *x;
        }
    }
    #[inline]
    fn vectors(&self, start: usize, len: usize) -> Option<&[SVector<T, D>]> {
        self.get(start..start.checked_add(len)?)
    }
}

impl<T: Real, const D: usize> EventsMut<T, D> for [SVector<T, D>] {
    #[inline]
    fn write(&mut self, start: usize, from: &[SVector<T, D>]) {
        for (o, x) in self.iter_mut().skip(start).zip(from) {
            *o = *x;
        }
    }
    fn split_events_mut(&mut self, mid: usize) -> (&mut Self, &mut Self) {
        self.split_at_mut(mid.min(self.len()))
    }
}

impl<T: Real, const D: usize> Events<T, D> for [T] {
    fn count(&self) -> Result<usize, Error> {
        if D == 0 || !self.len().is_multiple_of(D) {
            return Err(Error::Length {
                what: "flat events (a multiple of the event size)",
                expected: self.len().checked_div(D).unwrap_or(0) * D,
                found: self.len(),
            });
        }
        Ok(self.len() / D)
    }
    #[inline]
    fn read(&self, start: usize, out: &mut [SVector<T, D>]) {
        let rest = self.get(start.saturating_mul(D)..).unwrap_or_default();
        for (o, x) in out.iter_mut().zip(rest.chunks_exact(D)) {
            o.as_mut_slice().copy_from_slice(x);
        }
    }
}

impl<T: Real, const D: usize> EventsMut<T, D> for [T] {
    #[inline]
    fn write(&mut self, start: usize, from: &[SVector<T, D>]) {
        let rest = self.get_mut(start.saturating_mul(D)..).unwrap_or_default();
        for (o, x) in rest.chunks_exact_mut(D).zip(from) {
            o.copy_from_slice(x.as_slice());
        }
    }
    fn split_events_mut(&mut self, mid: usize) -> (&mut Self, &mut Self) {
        let at = mid.saturating_mul(D).min(self.len());
        self.split_at_mut(at)
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::SVector;

    use super::Events;

    #[test]
    fn vectors_are_read_in_place_when_all_in_the_batch() {
        let events: [SVector<f64, 2>; 3] = core::array::from_fn(|i| SVector::repeat(i as f64));
        let view = Events::vectors(&events[..], 1, 2).unwrap();
        assert!(core::ptr::eq(view, &events[1..]));
        assert!(Events::vectors(&events[..], 2, 2).is_none());
        assert!(Events::vectors(&events[..], usize::MAX, 1).is_none());
        let flat = [0.0; 6];
        assert!(Events::<f64, 2>::vectors(&flat[..], 0, 3).is_none());
    }
}
