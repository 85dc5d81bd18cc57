//! MADE degrees (Germain et al. 2015): which inputs each hidden unit and each output may see.
//!
//! Element `j` of the event (0-based) has degree `j + 1`; the context has degree 0. A hidden unit
//! of degree `g` sees the inputs of degree `<= g` (mask `>=`), a hidden unit of a deeper layer sees
//! the units of the layer below of degree `<= g`, and the parameters of element `i` (degree
//! `i + 1`) see the units of the last hidden layer of degree `< i + 1` (mask `>`). So the
//! parameters of element `i` depend on `x_<i` and on the context only.
//!
//! Hidden degrees run over `1..=D-1` without context and over `0..=D-1` with one (a unit of degree
//! 0 sees only the context, so the parameters of element 0 depend on the context too; torchflows
//! gives the context degrees `D+1..` that reach no output, so its MADE ignores the context). The
//! degrees are spread evenly over the `H` units of every hidden layer as in torchflows (unit `k`
//! has degree `k mod (D - 1) + 1` there), but sorted: the units of one degree are contiguous and
//! the units of lower degree come first. Masks are then ranges, and nothing needs to be stored.
//!
//! **Width rule.** A degree that no hidden unit has cuts a path: with fewer than
//! [`min_width`]`(D, C) = D - 1 + (C > 0)` hidden units, some inputs (or the context) condition
//! nothing. [`Made`](crate::net::Made) rejects such a width at compile time unless it is built
//! with `NARROW = true` (torchflows' own defaults are that narrow: 4 units at `D = 10`, so there
//! `x_5..x_10` condition nothing; the importer of its weights needs the opt-in).

/// The hidden width below which some input or the context conditions nothing: `D - 1`, plus one
/// with a context (`C > 0`). 0 for `D = 1` without context.
pub const fn min_width(event: usize, context: usize) -> usize {
    event.saturating_sub(1) + (context > 0) as usize
}

/// The degrees of the hidden units of a MADE over `event` elements with `context` context values
/// and `hidden` units per hidden layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Degrees {
    /// The lowest hidden degree: 0 with a context (or for `D = 1`), else 1.
    lowest: usize,
    /// How many distinct hidden degrees there are (at least 1).
    distinct: usize,
    /// Every degree has `per_degree` units, the first `extra` degrees one more.
    per_degree: usize,
    extra: usize,
    hidden: usize,
}

impl Degrees {
    /// The degrees for an event of `event` elements, `context` context values and `hidden` units.
    pub const fn new(event: usize, context: usize, hidden: usize) -> Self {
        let lowest = if context > 0 || event <= 1 { 0 } else { 1 };
        let highest = event.saturating_sub(1);
        let distinct = highest + 1 - lowest;
        Self {
            lowest,
            distinct,
            per_degree: hidden / distinct,
            extra: hidden % distinct,
            hidden,
        }
    }

    /// The first hidden unit of degree `>= degree` (`hidden` if there is none). The units of
    /// degree exactly `g` are `first_unit(g)..first_unit(g + 1)`.
    #[inline]
    pub const fn first_unit(&self, degree: usize) -> usize {
        let rank = if degree <= self.lowest {
            0
        } else if degree - self.lowest > self.distinct {
            self.distinct
        } else {
            degree - self.lowest
        };
        let extra = if rank < self.extra { rank } else { self.extra };
        rank * self.per_degree + extra
    }

    /// The degree of hidden unit `unit` (`unit < hidden`).
    pub const fn degree(&self, unit: usize) -> usize {
        let big = self.extra * (self.per_degree + 1);
        let rank = if unit < big {
            unit / (self.per_degree + 1)
        } else {
            match (unit - big).checked_div(self.per_degree) {
                Some(rank) => self.extra + rank,
                None => self.distinct,
            }
        };
        self.lowest + rank
    }

    /// The lowest hidden degree.
    pub const fn lowest(&self) -> usize {
        self.lowest
    }

    /// The highest degree a hidden unit can have (units of higher degree would reach no output).
    pub const fn highest(&self) -> usize {
        self.lowest + self.distinct - 1
    }

    /// The hidden units that event element `input` feeds: `first..hidden`.
    #[inline]
    pub const fn units_fed_by_input(&self, input: usize) -> usize {
        self.first_unit(input + 1)
    }

    /// The hidden units of the last hidden layer the parameters of element `element` read:
    /// `0..end`.
    #[inline]
    pub const fn units_read_by_output(&self, element: usize) -> usize {
        self.first_unit(element + 1)
    }

    /// Whether hidden unit `unit` sees event element `input` (the input mask, `>=`).
    pub const fn input_mask(&self, unit: usize, input: usize) -> bool {
        unit >= self.units_fed_by_input(input)
    }

    /// Whether hidden unit `unit` sees unit `below` of the hidden layer below (`>=`).
    pub const fn hidden_mask(&self, unit: usize, below: usize) -> bool {
        self.degree(unit) >= self.degree(below)
    }

    /// Whether the parameters of element `element` see unit `unit` of the last hidden layer
    /// (the output mask, `>`).
    pub const fn output_mask(&self, element: usize, unit: usize) -> bool {
        unit < self.units_read_by_output(element)
    }
}
