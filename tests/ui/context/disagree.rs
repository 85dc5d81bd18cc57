use flows::flow;

flow! {
    struct Sensor: f32 [4] | context 3 {
        ElementwiseAffine(context = 3),
        Coupling(Affine, FeedForward(hidden = 16), context = 2),
    }

    struct Plain: f32 [4] {
        Elementwise(Shift, context = 1),
    }
}

fn main() {
    let sensor = Sensor::seeded(0);
    let _ = sensor.log_prob_given(&nalgebra::SVector::zeros(), &nalgebra::SVector::from([0.0; 3]));
    let _ = Plain::seeded(0);
}
