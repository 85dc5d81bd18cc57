//! Trainable parameters: a fixed visiting order with stable names, and seeded initialization.
//!
//! A layer's parameters live in fixed-size storage inside it. [`Parameters`] visits them as flat
//! slices in a fixed order, each under a stable dotted name (`layers.3.conditioner.output.0.weight`),
//! without allocating: the name is a [`Path`] of segments on the stack. The optimizer, parameter
//! files and the torchflows importer all walk this order. A gradient has the same layout as the
//! layer it belongs to, so a gradient *is* a value of the layer's own type.

use core::fmt;

use nalgebra::SMatrix;
use rand::Rng;

use crate::Real;

/// One segment of a parameter name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    /// A field name.
    Name(&'a str),
    /// A position in a repeated block.
    Index(usize),
}

/// A parameter name as a linked list of segments on the stack, printed dotted (`a.0.weight`).
///
/// The path handed to a visitor with a tensor also carries the tensor's [shape](Path::shape).
#[derive(Clone, Copy, Debug)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Option<Segment<'a>>,
    shape: Option<[usize; 2]>,
}

impl<'a> Path<'a> {
    /// The empty path, the root of a flow.
    pub const ROOT: Path<'static> = Path {
        parent: None,
        segment: None,
        shape: None,
    };

    /// This path extended by a field name.
    pub fn name(&'a self, name: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Some(Segment::Name(name)),
            shape: None,
        }
    }

    /// This path extended by an index.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Some(Segment::Index(index)),
            shape: None,
        }
    }

    /// This path naming a tensor of `rows x cols` entries, stored column-major (a vector has one
    /// column).
    pub fn with_shape(&self, rows: usize, cols: usize) -> Path<'a> {
        Path {
            shape: Some([rows, cols]),
            ..*self
        }
    }

    /// The `[rows, cols]` of the tensor this path names, when it names one.
    pub fn shape(&self) -> Option<[usize; 2]> {
        self.shape
    }

    /// Calls `f` on each segment, root first.
    pub fn for_each_segment(&self, f: &mut dyn FnMut(Segment<'_>)) {
        if let Some(parent) = self.parent {
            parent.for_each_segment(f);
        }
        if let Some(segment) = self.segment {
            f(segment);
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut result = Ok(());
        self.for_each_segment(&mut |segment| {
            if result.is_err() {
                return;
            }
            if !first {
                result = f.write_str(".");
            }
            first = false;
            result = result.and_then(|()| match segment {
                Segment::Name(name) => f.write_str(name),
                Segment::Index(index) => write!(f, "{index}"),
            });
        });
        result
    }
}

/// Something that owns trainable parameters of scalar type `T`.
pub trait Parameters<T: Real> {
    /// The number of trainable scalars.
    const COUNT: usize;
    /// The bytes those scalars take.
    const BYTES: usize = Self::COUNT * core::mem::size_of::<T>();

    /// Visits every parameter tensor, in a fixed order, under its name below `path`.
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T]));

    /// Visits every parameter tensor mutably, in the same order as [`visit`](Parameters::visit).
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T]));
}

/// Seeded random initialization.
pub trait Random: Sized {
    /// A value drawn from `rng`: the layer's initialization.
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self;
}

impl<T: Real, const R: usize, const K: usize> Parameters<T> for SMatrix<T, R, K> {
    const COUNT: usize = R * K;
    /// Visits the matrix as one tensor (column-major); an empty matrix is not visited.
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        if R * K > 0 {
            f(&path.with_shape(R, K), self.as_slice());
        }
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        if R * K > 0 {
            f(&path.with_shape(R, K), self.as_mut_slice());
        }
    }
}

impl<T: Real, P: Parameters<T>, const N: usize> Parameters<T> for [P; N] {
    const COUNT: usize = P::COUNT * N;
    fn visit(&self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &[T])) {
        for (i, item) in self.iter().enumerate() {
            item.visit(&path.index(i), f);
        }
    }
    fn visit_mut(&mut self, path: &Path<'_>, f: &mut dyn FnMut(&Path<'_>, &mut [T])) {
        for (i, item) in self.iter_mut().enumerate() {
            item.visit_mut(&path.index(i), f);
        }
    }
}

impl<P: Random, const N: usize> Random for [P; N] {
    fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        core::array::from_fn(|_| P::random(rng))
    }
}

/// Implements [`Parameters`] for a struct by visiting the listed fields in order, each under its
/// field name. Fields that are not listed (masks, permutations, options) are not parameters.
///
/// ```text
/// impl_parameters!([T: Real, const O: usize, const I: usize] Dense<T, O, I> {
///     weight: SMatrix<T, O, I>,
///     bias: SVector<T, O>,
/// });
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! impl_parameters {
    ([$($g:tt)*] $ty:ty { $($field:ident : $fty:ty),* $(,)? } $(where $($w:tt)*)?) => {
        impl<$($g)*> $crate::Parameters<T> for $ty $(where $($w)*)? {
            const COUNT: usize = 0 $(+ <$fty as $crate::Parameters<T>>::COUNT)*;
            #[allow(unused_variables)]
            fn visit(
                &self,
                path: &$crate::Path<'_>,
                f: &mut dyn FnMut(&$crate::Path<'_>, &[T]),
            ) {
                $($crate::Parameters::<T>::visit(&self.$field, &path.name(stringify!($field)), f);)*
            }
            #[allow(unused_variables)]
            fn visit_mut(
                &mut self,
                path: &$crate::Path<'_>,
                f: &mut dyn FnMut(&$crate::Path<'_>, &mut [T]),
            ) {
                $($crate::Parameters::<T>::visit_mut(
                    &mut self.$field,
                    &path.name(stringify!($field)),
                    f,
                );)*
            }
        }
    };
}
