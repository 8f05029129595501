//! IR dumps of the design sketch and every shipped example: a reviewer sees
//! how each spec resolves (ids, types, nullability) and any change to it.

fn dump(path: &std::path::Path) -> String {
    let source = std::fs::read_to_string(path).expect("read spec");
    let ast =
        cutover_syntax::parse(&source).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
    let (ir, diagnostics) = cutover_ir::resolve(&ast);
    assert!(
        diagnostics.is_empty(),
        "{}: {diagnostics:#?}",
        path.display()
    );
    format!("{ir:#?}")
}

#[test]
fn examples() {
    insta::glob!("../../../examples", "*/*.cutover", |path| {
        insta::assert_snapshot!(dump(path));
    });
}

#[test]
fn design_sketch() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/parse/valid/design-sketch.cutover");
    insta::assert_snapshot!(dump(&path));
}
