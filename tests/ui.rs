//! Mistakes in `flow!` and `#[derive(Bijection)]` are compile errors that name them: one trybuild
//! case per mistake under `tests/ui/<category>/`, each beside its expected `.stderr`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*/*.rs");
}
