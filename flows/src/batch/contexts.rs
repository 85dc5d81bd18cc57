//! The contexts of a batch: one for every event, or one shared by all.

use nalgebra::SVector;

use crate::{Error, Real};

/// The contexts of a batch of events.
#[derive(Debug)]
pub enum Contexts<'a, T: Real, const C: usize> {
    /// One context for every event of the batch.
    Shared(&'a SVector<T, C>),
    /// The context of each event, in order (as many as there are events).
    Each(&'a [SVector<T, C>]),
}

impl<T: Real, const C: usize> Clone for Contexts<'_, T, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Real, const C: usize> Copy for Contexts<'_, T, C> {}

impl<'a, T: Real, const C: usize> Contexts<'a, T, C> {
    /// Checks that these contexts serve a batch of `events` events.
    ///
    /// # Errors
    /// [`Error::Length`] when per-event contexts are not exactly `events` many.
    pub fn check(&self, events: usize) -> Result<(), Error> {
        match self {
            Contexts::Shared(_) => Ok(()),
            Contexts::Each(each) => super::check_length("contexts", events, each.len()),
        }
    }

    /// The contexts of events `start..start + len` (clamped to the contexts given).
    pub fn range(&self, start: usize, len: usize) -> Self {
        match *self {
            Contexts::Shared(shared) => Contexts::Shared(shared),
            Contexts::Each(each) => {
                let start = start.min(each.len());
                let end = start.saturating_add(len).min(each.len());
                Contexts::Each(each.get(start..end).unwrap_or_default())
            }
        }
    }

    /// The contexts in event order (endless for a shared context).
    pub fn iter(&self) -> ContextsIter<'a, T, C> {
        match *self {
            Contexts::Shared(shared) => ContextsIter::Shared(shared),
            Contexts::Each(each) => ContextsIter::Each(each.iter()),
        }
    }
}

/// The iterator of [`Contexts::iter`].
#[derive(Clone, Debug)]
pub enum ContextsIter<'a, T: Real, const C: usize> {
    /// The shared context, again and again.
    Shared(&'a SVector<T, C>),
    /// Each event's context.
    Each(core::slice::Iter<'a, SVector<T, C>>),
}

impl<'a, T: Real, const C: usize> Iterator for ContextsIter<'a, T, C> {
    type Item = &'a SVector<T, C>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            ContextsIter::Shared(shared) => Some(*shared),
            ContextsIter::Each(each) => each.next(),
        }
    }
}
