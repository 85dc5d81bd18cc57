//! torchflows 1.2.1 weights imported and evaluated here, against torchflows' own outputs.
//!
//! The fixtures in `tests/fixtures/torchflows/` come from `scripts/torchflows_fixtures.py` (real
//! torchflows, float64): per model the exported `state_dict` with its layout facts, inputs (some
//! far beyond the spline bound), and torchflows' `log_prob` and forward `z` and log-det. Run with
//! `--nocapture` to see each model's largest relative error.

use std::path::Path;

use flows::io::torchflows::{self, feed_forward_hidden as ff, made_hidden};
use flows::io::{FileError, ParameterMap, Tensor, save_safetensors};
use flows::layer::MaskedAutoregressive;
use flows::nalgebra::SVector;
use flows::net::{Made, Tanh};
use flows::preset::AutoregressiveFlow;
use flows::transformer::{Affine, RationalQuadratic};
use flows::{
    Bijection, CouplingRQNSF, Flow, IAF, MAF, MaskedAutoregressiveRQNSF, NICE, Random, RealNVP,
};
use serde_json::Value;

/// The tolerance of the issue: relative, in f64.
const TOLERANCE: f64 = 1e-10;

fn fixture(name: &str) -> (Vec<u8>, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torchflows");
    let bytes = std::fs::read(dir.join(format!("{name}.safetensors"))).unwrap();
    let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    (bytes, serde_json::from_str(&json).unwrap())
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// `|a − b| / |b|` for scalars; for vectors the largest difference over the largest entry.
fn relative(ours: &[f64], theirs: &[f64]) -> f64 {
    let diff = ours
        .iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let scale = theirs.iter().map(|b| b.abs()).fold(0.0, f64::max);
    if diff == 0.0 { 0.0 } else { diff / scale }
}

/// Imports fixture `name` as `Flow<f64, D, 0, B>` and compares every output; returns the largest
/// relative error.
fn compare<const D: usize, B>(name: &str) -> f64
where
    B: Bijection<f64, D, 0> + Random,
    Flow<f64, D, 0, B>: torchflows::Torchflows<f64, D>,
{
    let (bytes, record) = fixture(name);
    assert_eq!(record["torchflows_version"], "1.2.1");
    let flow: Flow<f64, D, 0, B> = torchflows::import(&bytes).unwrap();
    let log_prob = numbers(&record["log_prob"]);
    let log_det = numbers(&record["log_det"]);
    let xs = record["x"].as_array().unwrap();
    let zs = record["z"].as_array().unwrap();
    assert!(xs.len() >= 15, "{name}: too few inputs");
    let mut worst: f64 = 0.0;
    for (k, (x, z)) in xs.iter().zip(zs).enumerate() {
        let x = SVector::<f64, D>::from_iterator(numbers(x));
        let (our_z, our_log_det) = flow.forward(&x, &SVector::zeros());
        let errors = [
            ("log_prob", relative(&[flow.log_prob(&x)], &log_prob[k..=k])),
            ("log_det", relative(&[our_log_det], &log_det[k..=k])),
            ("z", relative(our_z.as_slice(), &numbers(z))),
        ];
        for (what, error) in errors {
            assert!(
                error <= TOLERANCE,
                "{name}: {what} at input {k} ({x:?}) is off by {error:e} relative"
            );
            worst = worst.max(error);
        }
    }
    println!(
        "{name}: {} inputs, largest relative error {worst:.2e}",
        xs.len()
    );
    worst
}

/// torchflows' MAF or MA-RQNSF layer with a MADE narrower than `D − 1` (its default from
/// `D = 6` on), which our presets would widen.
type NarrowMaf<const D: usize, const H: usize, const M: usize, const N: usize> = AutoregressiveFlow<
    f64,
    MaskedAutoregressive<Affine, Made<f64, D, 0, H, M, 2, Tanh, true>, D, 2>,
    D,
    0,
    N,
>;

macro_rules! fixtures {
    ($($name:ident: $d:literal, $flow:ty;)*) => {$(
        #[test]
        fn $name() {
            compare::<$d, <$flow as HasBijection>::B>(stringify!($name));
        }
    )*};
}

/// The bijection type of a flow type.
trait HasBijection {
    type B;
}

impl<const D: usize, B> HasBijection for Flow<f64, D, 0, B> {
    type B = B;
}

fixtures! {
    nice_2: 2, NICE!(f64, 2, layers = 2, hidden_layers = 1, hidden = ff(1, 1));
    nice_5: 5, NICE!(f64, 5, layers = 2, hidden_layers = 1, hidden = ff(2, 3));
    realnvp_2: 2, RealNVP!(f64, 2, layers = 2, hidden_layers = 1, hidden = ff(1, 2));
    realnvp_5: 5, RealNVP!(f64, 5, layers = 2, hidden_layers = 1, hidden = ff(2, 6));
    realnvp_5_layers3_hidden7: 5, RealNVP!(f64, 5, layers = 3, hidden_layers = 1, hidden = 7);
    maf_2: 2, MAF!(f64, 2, layers = 2, hidden_layers = 1, hidden = made_hidden(2));
    maf_5: 5, MAF!(f64, 5, layers = 2, hidden_layers = 1, hidden = made_hidden(5));
    maf_10: 10, NarrowMaf<10, { made_hidden(10) }, 0, 2>;
    maf_5_layers3_hidden3_deep: 5, NarrowMaf<5, 3, 1, 3>;
    iaf_2: 2, IAF!(f64, 2, layers = 2, hidden_layers = 1, hidden = made_hidden(2));
    iaf_5: 5, IAF!(f64, 5, layers = 2, hidden_layers = 1, hidden = made_hidden(5));
    coupling_rqnsf_2: 2, CouplingRQNSF!(f64, 2, layers = 2, hidden_layers = 1, hidden = ff(1, 23));
    coupling_rqnsf_5: 5, CouplingRQNSF!(f64, 5, layers = 2, hidden_layers = 1, hidden = ff(2, 69));
    coupling_rqnsf_5_layers3_hidden6: 5, CouplingRQNSF!(f64, 5, layers = 3, hidden_layers = 1, hidden = 6);
    ma_rqnsf_2: 2, MaskedAutoregressiveRQNSF!(f64, 2, layers = 2, hidden_layers = 1, hidden = made_hidden(2));
    ma_rqnsf_5: 5, MaskedAutoregressiveRQNSF!(f64, 5, layers = 2, hidden_layers = 1, hidden = made_hidden(5));
    maf_3: 3, Maf3;
    iaf_3: 3, IAF!(f64, 3, layers = 2, hidden_layers = 1, hidden = made_hidden(3));
    ma_rqnsf_3: 3, MaskedAutoregressiveRQNSF!(f64, 3, layers = 2, hidden_layers = 1, hidden = made_hidden(3));
    maf_5_hidden10: 5, MAF!(f64, 5, layers = 2, hidden_layers = 1, hidden = 10);
}

type Maf3 = MAF!(
    f64,
    3,
    layers = 2,
    hidden_layers = 1,
    hidden = made_hidden(3)
);
type RealNvp5 = RealNVP!(f64, 5, layers = 2, hidden_layers = 1, hidden = ff(2, 6));
type Spline5 = CouplingRQNSF!(f64, 5, layers = 2, hidden_layers = 1, hidden = ff(2, 69));

/// Imports fixture bytes as `F`, expecting an error.
fn refused<const D: usize, B>(bytes: &[u8]) -> FileError
where
    B: Bijection<f64, D, 0> + Random,
    Flow<f64, D, 0, B>: torchflows::Torchflows<f64, D>,
{
    match torchflows::import::<f64, D, B>(bytes) {
        Ok(_) => panic!("imported"),
        Err(error) => error,
    }
}

/// Fixture `name` with `edit` applied to its tensors and facts.
fn tampered(name: &str, edit: impl FnOnce(&mut ParameterMap)) -> Vec<u8> {
    let mut map = ParameterMap::from_safetensors(&fixture(name).0).unwrap();
    edit(&mut map);
    map.to_safetensors().unwrap()
}

fn layout_error(error: &FileError, module: &str, words: &str) {
    match error {
        FileError::Layout { name, reason } => {
            assert_eq!(name, module, "{error}");
            assert!(reason.contains(words), "{error}");
        }
        other => panic!("expected a layout error, got {other}"),
    }
}

#[test]
fn another_architecture_is_refused_naming_the_module() {
    let (bytes, _) = fixture("realnvp_5");
    type Nice5 = NICE!(f64, 5, layers = 2, hidden_layers = 1, hidden = 4);
    let error = refused::<5, <Nice5 as HasBijection>::B>(&bytes);
    layout_error(
        &error,
        "bijection.layers.2",
        "AffineCoupling, expected a ShiftCoupling",
    );

    type Deeper = RealNVP!(f64, 5, layers = 3, hidden_layers = 1, hidden = 4);
    let error = refused::<5, <Deeper as HasBijection>::B>(&bytes);
    layout_error(
        &error,
        "bijection.layers.7",
        "expected a ReversePermutationMatrix",
    );

    type Shallower = RealNVP!(f64, 5, layers = 1, hidden_layers = 1, hidden = 4);
    let error = refused::<5, <Shallower as HasBijection>::B>(&bytes);
    layout_error(&error, "bijection.layers.4", "expected a ElementwiseAffine");

    let (maf, _) = fixture("maf_5");
    type Iaf5 = IAF!(f64, 5, layers = 2, hidden_layers = 1, hidden = 4);
    let error = refused::<5, <Iaf5 as HasBijection>::B>(&maf);
    layout_error(
        &error,
        "bijection.layers.2",
        "expected a AffineInverseMaskedAutoregressive",
    );

    let (spline, _) = fixture("coupling_rqnsf_5");
    type FourBins = CouplingRQNSF!(f64, 5, layers = 2, hidden_layers = 1, hidden = 9, bins = 4);
    let error = refused::<5, <FourBins as HasBijection>::B>(&spline);
    layout_error(&error, "bijection.layers.2", "`n_bins` is 8, expected 4");
}

#[test]
fn a_wider_made_than_torchflows_is_a_wrong_shape() {
    // Our preset widens the MADE to D - 1 = 9; torchflows' has 4 units.
    type Wide = MAF!(f64, 10, layers = 2, hidden_layers = 1, hidden = 4);
    let error = refused::<10, <Wide as HasBijection>::B>(&fixture("maf_10").0);
    assert!(
        matches!(&error, FileError::Shape { expected, found, .. } if expected == &[9, 10] && found == &[4, 10]),
        "{error}"
    );
}

#[test]
fn tampered_layout_facts_are_refused() {
    let reversed = tampered("realnvp_5", |map| {
        map.metadata.insert(
            "bijection.layers.4.forward_permutation".into(),
            "0 1 2 3 4".into(),
        );
    });
    let error = refused::<5, <RealNvp5 as HasBijection>::B>(&reversed);
    layout_error(&error, "bijection.layers.4", "is not the reverse");

    let split = tampered("realnvp_5", |map| {
        map.metadata
            .insert("bijection.layers.2.source".into(), "0 0".into());
    });
    let error = refused::<5, <RealNvp5 as HasBijection>::B>(&split);
    layout_error(&error, "bijection.layers.2", "does not fit");

    let base = tampered("realnvp_5", |map| {
        map.tensors.get_mut("base.loc").unwrap().data[1] = 0.5;
    });
    let error = refused::<5, <RealNvp5 as HasBijection>::B>(&base);
    layout_error(&error, "base", "not a standard Gaussian");

    let mask = tampered("maf_3", |map| {
        let mask = map
            .tensors
            .get_mut("bijection.layers.5.conditioner_transform.sequential.2.mask");
        let mask = mask.unwrap();
        let last = mask.data.len() - 1;
        mask.data[last] = 1.0 - mask.data[last];
    });
    let error = refused::<3, <Maf3 as HasBijection>::B>(&mask);
    layout_error(&error, "bijection.layers.5", "differs from our MADE mask");

    let ours = save_safetensors(&RealNvp5::seeded(0)).unwrap();
    let error = refused::<5, <RealNvp5 as HasBijection>::B>(&ours);
    layout_error(&error, "", "not a torchflows export");
}

#[test]
fn bad_tensors_are_named() {
    type B = <RealNvp5 as HasBijection>::B;
    let value = "bijection.layers.3.value";
    let nan = tampered("realnvp_5", |map| {
        map.tensors.get_mut(value).unwrap().data[3] = f64::NAN
    });
    assert!(
        matches!(refused::<5, B>(&nan), FileError::Value { name, index: 3, .. } if name == value)
    );

    let missing = tampered("realnvp_5", |map| {
        map.tensors.remove(value);
    });
    assert!(matches!(refused::<5, B>(&missing), FileError::Missing { name } if name == value));

    let extra = tampered("realnvp_5", |map| {
        let tensor = Tensor {
            dtype: flows::io::Dtype::F64,
            shape: vec![1],
            data: vec![1.0],
        };
        map.tensors
            .insert("bijection.layers.2.stray".into(), tensor);
    });
    assert!(
        matches!(refused::<5, B>(&extra), FileError::Unknown { name } if name == "bijection.layers.2.stray")
    );

    // A raw ActNorm scale whose scale overflows: finite in the file, infinite once converted.
    let overflow = tampered("realnvp_5", |map| {
        map.tensors.get_mut(value).unwrap().data[2] = 1e4
    });
    assert!(
        matches!(refused::<5, B>(&overflow), FileError::Value { name, index: 2, .. } if name == value)
    );

    let (bytes, _) = fixture("realnvp_5");
    for len in [0, 7, 8, 100, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            matches!(refused::<5, B>(&bytes[..len]), FileError::Malformed { .. }),
            "{len}"
        );
    }
}

#[test]
fn the_spline_fixtures_exercise_torchflows_constants_and_both_sides_of_the_bound() {
    let (bytes, record) = fixture("coupling_rqnsf_5");
    let flow: Spline5 = torchflows::import(&bytes).unwrap();
    let (mut inside, mut outside) = (0, 0);
    let mut native = flow.clone();
    for block in &mut native.bijection.1 {
        block.1.transformer = RationalQuadratic::new(50.0);
    }
    let mut moved = 0.0_f64;
    for x in record["x"].as_array().unwrap() {
        let x = SVector::<f64, 5>::from_iterator(numbers(x));
        // What each coupling's spline sees: its target elements after the layers before it.
        let mut y = Bijection::<f64, 5, 0>::forward(&flow.bijection.0, &x, &SVector::zeros()).0;
        for block in &flow.bijection.1 {
            y = Bijection::<f64, 5, 0>::forward(&block.0, &y, &SVector::zeros()).0;
            for &t in block.1.partition.target() {
                if y[t].abs() >= 50.0 {
                    outside += 1
                } else {
                    inside += 1
                }
            }
            y = Bijection::<f64, 5, 0>::forward(&block.1, &y, &SVector::zeros()).0;
            y = Bijection::<f64, 5, 0>::forward(&block.2, &y, &SVector::zeros()).0;
        }
        moved = moved.max(relative(&[native.log_prob(&x)], &[flow.log_prob(&x)]));
    }
    assert!(
        inside > 0 && outside > 0,
        "inside {inside}, outside {outside}"
    );
    // The native reading of the same raw parameters is another spline: the fixture tells them apart.
    assert!(moved > 1e-6, "{moved}");
}

#[test]
fn an_imported_flow_does_not_initialize_from_data_again() {
    let (bytes, record) = fixture("realnvp_5");
    let imported: RealNvp5 = torchflows::import(&bytes).unwrap();
    let mut trained = imported.clone();
    let mut batch: Vec<SVector<f64, 5>> = record["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| SVector::from_iterator(numbers(x)))
        .collect();
    trained.initialize_from_data(&mut batch);
    assert_eq!(trained.bijection.3, imported.bijection.3);
    assert_eq!(trained.bijection.1[0].2, imported.bijection.1[0].2);
    // A fresh flow does initialize: its last ActNorm leaves the identity.
    let mut fresh = RealNvp5::seeded(0);
    fresh.initialize_from_data(&mut batch.clone());
    assert_ne!(fresh.bijection.3, flows::layer::ActNorm::identity());
}
