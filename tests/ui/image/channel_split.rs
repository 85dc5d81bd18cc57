use flows::flow;

flow! {
    /// A channel-wise coupling needs two channels; squeezing first gives four.
    struct Gray: f32 [1, 8, 8] {
        ActNorm,
        Coupling(Affine, Checkerboard, ConvNet(hidden = 8)),
        Coupling(Affine, ChannelSplit(alternate = true), ConvNet(hidden = 8)),
        Squeeze,
        Coupling(Affine, ChannelSplit),
    }
}

fn main() {}
