//! Exported images: round trips, and every layout mismatch refused with its reason.

use flows::export::{Header, Image, LoadError, Scalar, write_bytes, write_rust_source};
use flows::layer::{ActNorm, ReversePermutation};
use flows::nalgebra::SVector;
use flows::{Flow, Parameters, RealNVP};

type Model = RealNVP!(f32, 4, layers = 2, hidden = 8);
/// The same over `f64`.
type Wide = RealNVP!(f64, 4, layers = 2, hidden = 8);
/// Another parameter count.
type Wider = RealNVP!(f32, 4, layers = 2, hidden = 9);

const N: usize = <Model as Parameters<f32>>::COUNT;

/// A flow away from the identity (a seeded preset starts at it): every parameter shifted.
fn trained<T: flows::Real, P: Parameters<T>>(mut flow: P) -> P {
    let mut k = 0.0;
    flow.visit_mut(&flows::Path::ROOT, &mut |_, tensor| {
        for v in tensor {
            k += 1.0;
            *v += T::lit(0.1 * f64::sin(k));
        }
    });
    flow
}

fn x() -> SVector<f32, 4> {
    SVector::from([0.3, -1.2, 0.7, 2.0])
}

#[test]
fn typed_image_round_trips() {
    let trained = trained(Model::seeded(1));
    let mut data = [0.0; N];
    let image = Image::of(&trained, &mut data);
    assert_eq!(image.len(), N);
    let mut flow = Model::seeded(2);
    assert_ne!(flow.log_prob(&x()), trained.log_prob(&x()));
    image.load_into(&mut flow).unwrap();
    assert_eq!(flow.log_prob(&x()), trained.log_prob(&x()));
}

#[test]
fn byte_image_round_trips_in_place() {
    let trained = trained(Wide::seeded(3));
    let mut bytes = Vec::new();
    write_bytes(&trained, &mut bytes).unwrap();
    assert_eq!(
        bytes.len(),
        flows::export::BYTE_HEADER_LEN + <Wide as Parameters<f64>>::BYTES
    );
    // Misaligned on purpose: the image is read in place from any address.
    let mut shifted = vec![0u8];
    shifted.extend_from_slice(&bytes);
    let image = Image::<f64>::from_bytes(&shifted[1..]).unwrap();
    let mut flow = Wide::seeded(4);
    image.load_into(&mut flow).unwrap();
    let x = SVector::from([0.3, -1.2, 0.7, 2.0]);
    assert_eq!(flow.log_prob(&x), trained.log_prob(&x));
}

#[test]
fn mismatches_are_errors_and_leave_the_flow_untouched() {
    let trained = trained(Model::seeded(1));
    let mut data = [0.0; N];
    let header = *Image::of(&trained, &mut data).header();
    let image = Image::new(header, &data);
    let mut flow = Model::seeded(2);
    let before = flow.log_prob(&x());

    let version = Image::new(
        Header {
            version: 99,
            ..header
        },
        &data,
    );
    assert!(matches!(
        version.load_into(&mut flow),
        Err(LoadError::Version { found: 99, .. })
    ));

    let scalar = Image::new(
        Header {
            scalar: Scalar::F64,
            ..header
        },
        &data,
    );
    assert!(matches!(
        scalar.load_into(&mut flow),
        Err(LoadError::Scalar {
            expected: Scalar::F32,
            found: Scalar::F64
        })
    ));

    let short = Image::new(header, &data[..N - 1]);
    assert!(matches!(
        short.load_into(&mut flow),
        Err(LoadError::Length { .. })
    ));

    let layout = Image::new(
        Header {
            layout: header.layout ^ 1,
            ..header
        },
        &data,
    );
    assert!(matches!(
        layout.load_into(&mut flow),
        Err(LoadError::Layout { .. })
    ));

    let mut wider = Wider::seeded(0);
    let count = image.load_into(&mut wider);
    assert!(matches!(count, Err(LoadError::Count { .. })));
    assert!(
        count
            .unwrap_err()
            .to_string()
            .contains("parameter count differs")
    );

    assert_eq!(flow.log_prob(&x()), before);
}

#[test]
fn same_count_other_layout_is_refused() {
    // Same number of parameters, different tensors: the hash of names and shapes differs.
    type A = Flow<f32, 4, 0, (ActNorm<f32, 4>, ActNorm<f32, 4>)>;
    type B = Flow<f32, 4, 0, (ActNorm<f32, 4>, ReversePermutation, ActNorm<f32, 4>)>;
    let a = A::seeded(0);
    let mut b = B::seeded(0);
    assert_eq!(<A as Parameters<f32>>::COUNT, <B as Parameters<f32>>::COUNT);
    let mut data = [0.0; <A as Parameters<f32>>::COUNT];
    let image = Image::of(&a, &mut data);
    assert!(matches!(
        image.load_into(&mut b),
        Err(LoadError::Layout { .. })
    ));
}

#[test]
fn bad_byte_images_are_errors() {
    let mut bytes = Vec::new();
    write_bytes(&Model::seeded(1), &mut bytes).unwrap();
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert_eq!(
        Image::<f32>::from_bytes(&bad).unwrap_err(),
        LoadError::Magic
    );
    assert!(matches!(
        Image::<f32>::from_bytes(&bytes[..bytes.len() - 1]),
        Err(LoadError::Length { .. })
    ));
    assert!(matches!(
        Image::<f32>::from_bytes(&bytes[..10]),
        Err(LoadError::Length { .. })
    ));
    let mut bad = bytes.clone();
    bad[4] = 7;
    assert!(matches!(
        Image::<f32>::from_bytes(&bad),
        Err(LoadError::Version { found: 7, .. })
    ));
    // An f32 image into an f64 flow.
    let image = Image::<f64>::from_bytes(&bytes).unwrap();
    let mut flow = Wide::seeded(0);
    assert!(matches!(
        image.load_into(&mut flow),
        Err(LoadError::Scalar { .. })
    ));
}

#[test]
fn rust_source_holds_every_value_bit_for_bit() {
    let mut flow = Model::seeded(1);
    flow.visit_mut(&flows::Path::ROOT, &mut |_, t| {
        if let Some(v) = t.first_mut() {
            *v = 1.0e-7_f32 + 3.0;
        }
    });
    let mut source = Vec::new();
    write_rust_source(&flow, "P", &mut source).unwrap();
    let source = String::from_utf8(source).unwrap();
    let mut data = [0.0; N];
    let _ = Image::of(&flow, &mut data);
    let written: Vec<f32> = source
        .lines()
        .skip_while(|l| !l.starts_with("static P_DATA"))
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("//") && !l.starts_with("];"))
        .flat_map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .map(|w| w.parse::<f32>().unwrap())
        .collect();
    assert_eq!(written.len(), N);
    assert!(
        written
            .iter()
            .zip(&data)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}
