//! Image coupling masks: which pixels of a `(C, H, W)` image condition and which are transformed.

use crate::conditioner::Partition;

/// A coupling mask of an image of `C` channels of `H x W` pixels, stored channel-major and
/// row-major within a channel (event index `c·H·W + h·W + w`).
///
/// Source elements (which condition) and target elements (which are transformed) are listed in
/// increasing event index. Each mask also says where an element sits on the convolutional
/// conditioner's input and output images ([`canvas`](Self::canvas), [`output`](Self::output)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageMask {
    /// A true checkerboard: pixels with `(h + w) mod 2 = 1` condition the others (`0` when
    /// `alternate`). Needs an even `W`. The conditioner sees the whole image with the target
    /// pixels zeroed and predicts the parameters of every target pixel where it stands.
    ///
    /// torchflows' `Checkerboard` selects `(h·W + w) mod 2`, which is vertical stripes whenever
    /// `W` is even.
    Checkerboard {
        /// The other parity.
        alternate: bool,
    },
    /// The first `floor(C/2)` channels condition the others (torchflows'
    /// `ChannelWiseHalfSplit`); with `alternate`, the last `C - floor(C/2)` condition the first
    /// `floor(C/2)`. Needs `C >= 2`. The conditioner sees the source channels only.
    ChannelSplit {
        /// Source and target swapped.
        alternate: bool,
    },
}

impl ImageMask {
    /// The number of source elements of a `(c, h, w)` image.
    pub const fn source_len(self, c: usize, h: usize, w: usize) -> usize {
        match self {
            Self::Checkerboard { .. } => c * h * w / 2,
            Self::ChannelSplit { alternate: false } => c / 2 * h * w,
            Self::ChannelSplit { alternate: true } => (c - c / 2) * h * w,
        }
    }

    /// Whether the mask fits a `(c, h, w)` image and leaves something on both sides.
    pub const fn fits(self, c: usize, h: usize, w: usize) -> bool {
        match self {
            Self::Checkerboard { .. } => c > 0 && h > 0 && w > 0 && w.is_multiple_of(2),
            Self::ChannelSplit { .. } => c >= 2 && h > 0 && w > 0,
        }
    }

    /// The event index of source element `i` (`i < source_len`).
    pub const fn source(self, i: usize, c: usize, h: usize, w: usize) -> usize {
        let n = h * w;
        match self {
            Self::Checkerboard { alternate } => checkerboard(i, !alternate, w, n),
            Self::ChannelSplit { alternate: false } => i,
            Self::ChannelSplit { alternate: true } => c / 2 * n + i,
        }
    }

    /// The event index of target element `j` (`j < c·h·w − source_len`).
    pub const fn target(self, j: usize, c: usize, h: usize, w: usize) -> usize {
        let n = h * w;
        match self {
            Self::Checkerboard { alternate } => checkerboard(j, alternate, w, n),
            Self::ChannelSplit { alternate: false } => c / 2 * n + j,
            Self::ChannelSplit { alternate: true } => j,
        }
    }

    /// Where source element `i` sits on the conditioner's input image: `(channel, pixel)`, the
    /// pixel row-major in `h x w`.
    pub const fn canvas(self, i: usize, h: usize, w: usize) -> (usize, usize) {
        let n = h * w;
        match self {
            Self::Checkerboard { alternate } => split(checkerboard(i, !alternate, w, n), n),
            Self::ChannelSplit { .. } => split(i, n),
        }
    }

    /// Where target element `j` sits on the conditioner's output image: `(channel, pixel)`; its
    /// parameters are output channels `channel·P .. channel·P + P` at that pixel.
    pub const fn output(self, j: usize, h: usize, w: usize) -> (usize, usize) {
        let n = h * w;
        match self {
            Self::Checkerboard { alternate } => split(checkerboard(j, alternate, w, n), n),
            Self::ChannelSplit { .. } => split(j, n),
        }
    }

    /// The channels of the conditioner's input image, for `a` source elements over `n` pixels
    /// per channel.
    pub const fn canvas_channels(self, a: usize, n: usize) -> usize {
        match self {
            Self::Checkerboard { .. } => 2 * a / n,
            Self::ChannelSplit { .. } => a / n,
        }
    }

    /// The target channels (output channels over parameters per element), for `b` target
    /// elements over `n` pixels per channel.
    pub const fn target_channels(self, b: usize, n: usize) -> usize {
        match self {
            Self::Checkerboard { .. } => 2 * b / n,
            Self::ChannelSplit { .. } => b / n,
        }
    }

    /// The coupling partition of a `(C, H, W)` image of `D` elements into `A` source and `B`
    /// target elements.
    ///
    /// # Panics
    /// At compile time (a post-monomorphization error) when the sizes do not match the mask;
    /// `flow!` and the presets compute them, so this is only a backstop.
    pub const fn partition<
        const C: usize,
        const H: usize,
        const W: usize,
        const D: usize,
        const A: usize,
        const B: usize,
    >(
        self,
    ) -> Partition<D, A, B> {
        assert!(
            self.fits(C, H, W),
            "the mask does not fit the image (checkerboard: W even; channel split: C >= 2)"
        );
        assert!(D == C * H * W, "the event size must be C * H * W");
        assert!(
            A == self.source_len(C, H, W),
            "the source size does not match the mask"
        );
        assert!(
            A + B == D,
            "source and target sizes must add up to the event size"
        );
        let mut source = [0; A];
        let mut i = 0;
        while i < A {
            source[i] = self.source(i, C, H, W);
            i += 1;
        }
        let mut target = [0; B];
        let mut j = 0;
        while j < B {
            target[j] = self.target(j, C, H, W);
            j += 1;
        }
        Partition::from_lists(source, target)
    }
}

/// Element `k` of the checkerboard cells of parity `odd` (`(h + w) mod 2 = 1` when `odd`), in
/// increasing event index: `n / 2` per channel, `w / 2` per row.
const fn checkerboard(k: usize, odd: bool, w: usize, n: usize) -> usize {
    let half_row = w / 2;
    let channel = k / (n / 2);
    let in_channel = k % (n / 2);
    let row = in_channel / half_row;
    let column = 2 * (in_channel % half_row) + (row + odd as usize) % 2;
    channel * n + row * w + column
}

/// `(index / n, index % n)`.
const fn split(index: usize, n: usize) -> (usize, usize) {
    (index / n, index % n)
}

/// A mask as a type, for the layers and conditioners that carry it statically.
pub trait MaskType: Copy + Default + core::fmt::Debug + Send + Sync + 'static {
    /// The mask.
    const MASK: ImageMask;
}

/// The [checkerboard](ImageMask::Checkerboard) mask as a type; `Checkerboard<true>` is its
/// alternate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checkerboard<const ALTERNATE: bool = false>;

impl<const ALTERNATE: bool> MaskType for Checkerboard<ALTERNATE> {
    const MASK: ImageMask = ImageMask::Checkerboard {
        alternate: ALTERNATE,
    };
}

/// The [channel-wise half split](ImageMask::ChannelSplit) as a type; `ChannelSplit<true>` is its
/// alternate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelSplit<const ALTERNATE: bool = false>;

impl<const ALTERNATE: bool> MaskType for ChannelSplit<ALTERNATE> {
    const MASK: ImageMask = ImageMask::ChannelSplit {
        alternate: ALTERNATE,
    };
}
