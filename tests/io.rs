//! Parameter files: bit-exact round trips through safetensors and serde, and every kind of bad
//! file refused with an error that names the tensor.

use flows::io::{Dtype, FileError, ParameterMap, Tensor, load_safetensors, save_safetensors};
use flows::layer::ActNorm;
use flows::nalgebra::SVector;
use flows::{
    CouplingRQNSF, IAF, MAF, MaskedAutoregressiveRQNSF, NICE, Parameters, Path, Real, RealNVP, flow,
};

flow! {
    /// A declared flow with a context, a spline and a MADE.
    struct Declared: f64 [3] | context 2 {
        ElementwiseAffine,
        2 * { ReversePermutation, Coupling(Affine, HalfSplit, FeedForward(hidden = 6)), ActNorm },
        MaskedAutoregressive(RationalQuadratic(bins = 4, bound = 3.0), hidden = 5),
    }
}

/// A flow away from its initialization: every parameter moved by a different irrational amount,
/// so that no two parameters are equal and none is at a round value.
fn trained<T: Real, P: Parameters<T>>(mut flow: P) -> P {
    let mut k = 0.0;
    flow.visit_mut(&Path::ROOT, &mut |_, tensor| {
        for v in tensor {
            k += 1.0;
            *v += T::lit(0.3 * f64::sin(k * 1.618_033_988_7) + 1e-3 / k);
        }
    });
    flow
}

/// Every parameter's bits, with its name, in visiting order.
fn bits<T: Real, P: Parameters<T>>(flow: &P) -> Vec<(String, Vec<u64>)> {
    let mut out = Vec::new();
    flow.visit(&Path::ROOT, &mut |path, tensor| {
        let values = tensor.iter().map(|v| v.to_f64().to_bits()).collect();
        out.push((path.to_string(), values));
    });
    out
}

/// Saves a trained `P` and loads it into a differently seeded one through safetensors and through
/// JSON; both must reproduce every parameter bit for bit.
fn round_trip<T: Real, P: Parameters<T>>(trained: P, mut other: P, mut third: P) {
    let expected = bits(&trained);
    assert_ne!(bits(&other), expected, "the target must start different");

    let bytes = save_safetensors(&trained).unwrap();
    load_safetensors(&bytes, &mut other).unwrap();
    assert_eq!(bits(&other), expected);

    let json = serde_json::to_string(&ParameterMap::of(&trained)).unwrap();
    let map: ParameterMap = serde_json::from_str(&json).unwrap();
    map.load_into(&mut third).unwrap();
    assert_eq!(bits(&third), expected);
}

macro_rules! round_trips {
    ($($name:ident: $ty:ty;)*) => {$(
        #[test]
        fn $name() {
            round_trip(trained(<$ty>::seeded(1)), <$ty>::seeded(2), <$ty>::seeded(3));
        }
    )*};
}

round_trips! {
    real_nvp_f64: RealNVP!(f64, 5, layers = 3, hidden = 8);
    real_nvp_f32: RealNVP!(f32, 5, layers = 3, hidden = 8);
    nice_f32: NICE!(f32, 4, layers = 2, hidden = 4, hidden_layers = 1);
    maf_f64: MAF!(f64, 4, layers = 2, hidden = 6, context = 2);
    iaf_f32: IAF!(f32, 3, layers = 2, hidden = 4);
    rqnsf_f64: CouplingRQNSF!(f64, 3, layers = 2, hidden = 5, bins = 4);
    ma_rqnsf_f32: MaskedAutoregressiveRQNSF!(f32, 3, layers = 1, hidden = 4, bins = 3);
    declared_f64: Declared;
}

#[test]
fn a_single_layer_round_trips_and_evaluates_the_same() {
    let layer = trained::<f64, _>(ActNorm::<f64, 3>::identity());
    let mut loaded = ActNorm::<f64, 3>::identity();
    load_safetensors(&save_safetensors(&layer).unwrap(), &mut loaded).unwrap();
    assert_eq!(loaded, layer);
}

#[test]
fn loaded_flows_compute_bit_for_bit_what_the_saved_ones_did() {
    type Model = CouplingRQNSF!(f32, 4, layers = 2, hidden = 8);
    let saved = trained::<f32, _>(Model::seeded(5));
    let mut loaded = Model::seeded(6);
    load_safetensors(&save_safetensors(&saved).unwrap(), &mut loaded).unwrap();
    for k in 0..20 {
        let t = k as f32 * 0.37;
        let x = SVector::from([t.sin() * 3.0, t.cos(), -t, 0.5 - t * 0.1]);
        assert_eq!(loaded.log_prob(&x).to_bits(), saved.log_prob(&x).to_bits());
    }
}

type Model = RealNVP!(f64, 4, layers = 2, hidden = 6);

fn saved_map() -> ParameterMap {
    ParameterMap::of(&trained::<f64, _>(Model::seeded(1)))
}

/// Loads `map` into a fresh model, expects an error, and checks the model was left untouched.
fn refused(map: &ParameterMap) -> FileError {
    let mut flow = Model::seeded(9);
    let before = bits(&flow);
    let error = map.load_into(&mut flow).unwrap_err();
    assert_eq!(
        bits(&flow),
        before,
        "a refused file must not change the flow"
    );
    // The safetensors path refuses it the same way (or, for a map it cannot write, earlier).
    // (Compared as text: a NaN in the error is not equal to itself.)
    if let Ok(bytes) = map.to_safetensors() {
        let again = load_safetensors(&bytes, &mut flow).unwrap_err();
        assert_eq!(format!("{again:?}"), format!("{error:?}"));
        assert_eq!(bits(&flow), before);
    }
    error
}

const WEIGHT: &str = "1.0.1.conditioner.input.weight";

#[test]
fn tensor_names_are_stable_and_shapes_are_pytorch_layouts() {
    let map = saved_map();
    // Input weight of the first coupling's conditioner: 6 hidden units from 2 source elements.
    assert_eq!(map.tensors[WEIGHT].shape, vec![6, 2]);
    assert_eq!(map.tensors["1.0.1.conditioner.input.bias"].shape, vec![6]);
    assert_eq!(map.tensors["3.shift"].shape, vec![4]);
    // Row-major: entry (i, j) of the weight is data[i * 2 + j].
    let flow = trained::<f64, _>(Model::seeded(1));
    let w = flow.bijection.1[0].1.conditioner.input.weight;
    assert_eq!(map.tensors[WEIGHT].data[2 + 1], w[(1, 1)]);
    assert_eq!(map.tensors[WEIGHT].data[2 * 2], w[(2, 0)]);
}

#[test]
fn an_unknown_tensor_is_named() {
    let mut map = saved_map();
    let extra = Tensor {
        dtype: Dtype::F64,
        shape: vec![1],
        data: vec![0.5],
    };
    map.tensors.insert("9.stray".into(), extra);
    assert_eq!(
        refused(&map),
        FileError::Unknown {
            name: "9.stray".into()
        }
    );
}

#[test]
fn a_missing_tensor_is_named() {
    let mut map = saved_map();
    map.tensors.remove("3.log_scale");
    let error = refused(&map);
    assert_eq!(
        error,
        FileError::Missing {
            name: "3.log_scale".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "tensor `3.log_scale` is missing from the file"
    );
}

#[test]
fn a_wrong_shape_is_named_with_both_shapes() {
    let wider = ParameterMap::of(&<RealNVP!(f64, 4, layers = 2, hidden = 7)>::seeded(1));
    let error = refused(&wider);
    assert_eq!(
        error,
        FileError::Shape {
            name: "1.0.1.conditioner.input.weight".into(),
            expected: vec![6, 2],
            found: vec![7, 2],
        }
    );
    assert!(error.to_string().contains("[7, 2]"));
}

#[test]
fn a_transposed_matrix_is_a_wrong_shape() {
    let mut map = saved_map();
    map.tensors.get_mut(WEIGHT).unwrap().shape = vec![2, 6];
    assert!(matches!(refused(&map), FileError::Shape { name, .. } if name == WEIGHT));
}

#[test]
fn a_wrong_scalar_type_is_named() {
    let narrow = ParameterMap::of(&trained::<f32, _>(
        <RealNVP!(f32, 4, layers = 2, hidden = 6)>::seeded(1),
    ));
    let error = refused(&narrow);
    assert!(
        matches!(&error, FileError::Dtype { expected: "F64", found, .. } if found == "F32"),
        "{error}"
    );
}

#[test]
fn nan_and_infinite_parameters_are_named_with_their_position() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut map = saved_map();
        map.tensors.get_mut("3.shift").unwrap().data[2] = bad;
        match refused(&map) {
            FileError::Value { name, index, value } => {
                assert_eq!((name.as_str(), index), ("3.shift", 2));
                assert_eq!(value.to_bits(), bad.to_bits());
            }
            other => panic!("{other}"),
        }
    }
}

#[test]
fn a_value_that_is_not_an_f32_is_refused_in_an_f32_tensor() {
    let mut map = ParameterMap::of(&<RealNVP!(f32, 4, layers = 2, hidden = 6)>::seeded(1));
    map.tensors.get_mut("3.shift").unwrap().data[1] = 0.1;
    let mut flow = <RealNVP!(f32, 4, layers = 2, hidden = 6)>::seeded(1);
    assert!(matches!(
        map.load_into(&mut flow),
        Err(FileError::Value { index: 1, .. })
    ));
    assert!(matches!(map.to_safetensors(), Err(FileError::Value { .. })));
}

#[test]
fn data_that_does_not_fill_its_shape_is_refused() {
    let mut map = saved_map();
    map.tensors.get_mut("3.shift").unwrap().data.pop();
    assert_eq!(
        refused(&map),
        FileError::Length {
            name: "3.shift".into(),
            expected: 4,
            found: 3
        }
    );
}

#[test]
fn the_first_mismatch_in_visiting_order_is_reported() {
    let mut map = saved_map();
    map.tensors.remove("3.shift");
    map.tensors
        .get_mut("0.conditioner.blocks.0.bias")
        .unwrap()
        .data[0] = f64::NAN;
    assert!(
        matches!(refused(&map), FileError::Value { name, .. } if name == "0.conditioner.blocks.0.bias")
    );
}

#[test]
fn every_truncation_of_a_file_is_refused_as_malformed() {
    let bytes = save_safetensors(&trained::<f64, _>(Model::seeded(1))).unwrap();
    let mut flow = Model::seeded(2);
    let before = bits(&flow);
    for len in 0..bytes.len() {
        match load_safetensors(&bytes[..len], &mut flow) {
            Err(FileError::Malformed { reason }) => assert!(!reason.is_empty()),
            other => panic!("a file cut to {len} bytes gave {other:?}"),
        }
    }
    assert_eq!(bits(&flow), before);
}

#[test]
fn garbage_and_foreign_dtypes_are_refused() {
    let mut flow = Model::seeded(2);
    for bytes in [
        &b""[..],
        b"\xff\xff\xff\xff\xff\xff\xff\xff{}",
        b"\x02\x00\x00\x00\x00\x00\x00\x00{}",
        b"\x02\x00\x00\x00\x00\x00\x00\x00[]",
        b"\x04\x00\x00\x00\x00\x00\x00\x00{\"a\"",
    ] {
        assert!(
            matches!(
                load_safetensors(bytes, &mut flow),
                Err(FileError::Missing { .. } | FileError::Malformed { .. })
            ),
            "{bytes:?}"
        );
    }
    let header = br#"{"3.shift":{"dtype":"I32","shape":[4],"data_offsets":[0,16]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0; 16]);
    let error = load_safetensors(&bytes, &mut flow).unwrap_err();
    assert!(
        matches!(&error, FileError::Dtype { name, found, .. } if name == "3.shift" && found == "I32"),
        "{error}"
    );
}

#[test]
fn json_of_a_parameter_map_reads_as_documented() {
    let map: ParameterMap = serde_json::from_str(
        r#"{"tensors": {"shift": {"dtype": "F64", "shape": [2], "data": [0.25, -1.5]},
                        "log_scale": {"dtype": "F64", "shape": [2], "data": [0.0, 0.5]}}}"#,
    )
    .unwrap();
    let mut layer = ActNorm::<f64, 2>::identity();
    map.load_into(&mut layer).unwrap();
    assert_eq!(layer.shift, SVector::from([0.25, -1.5]));
    assert_eq!(layer.log_scale, SVector::from([0.0, 0.5]));
    // JSON has no NaN: a null is a deserialization error, not a NaN parameter.
    let bad = r#"{"tensors": {"shift": {"dtype": "F64", "shape": [1], "data": [null]}}}"#;
    assert!(serde_json::from_str::<ParameterMap>(bad).is_err());
}

#[test]
fn metadata_survives_a_safetensors_round_trip() {
    let mut map = saved_map();
    map.metadata.insert("trained_on".into(), "moons".into());
    let back = ParameterMap::from_safetensors(&map.to_safetensors().unwrap()).unwrap();
    assert_eq!(back, map);
}

#[test]
fn a_shape_whose_size_overflows_is_refused_not_wrapped() {
    let mut map = saved_map();
    map.tensors.insert(
        "huge".into(),
        Tensor {
            dtype: Dtype::F64,
            shape: vec![usize::MAX, 3],
            data: vec![1.0; 3],
        },
    );
    assert!(matches!(
        map.to_safetensors(),
        Err(FileError::Length { name, expected: usize::MAX, found: 3 }) if name == "huge"
    ));
    assert!(matches!(refused(&map), FileError::Unknown { name } if name == "huge"));
}
