//! The parser corpus: every file under tests/parse/valid parses (its AST is
//! snapshotted) and every file under tests/parse/invalid fails with the
//! code named on its first line (its rendered diagnostics are snapshotted).
//! Adding a case means adding a file.

use cutover_diagnostics::render;

#[test]
fn valid_specs_parse() {
    insta::glob!("../../../tests/parse/valid", "*.cutover", |path| {
        let source = std::fs::read_to_string(path).expect("read corpus file");
        match cutover_syntax::parse(&source) {
            Ok(ast) => insta::assert_debug_snapshot!(ast),
            Err(d) => panic!(
                "{}:\n{}",
                path.display(),
                render::human("spec", &source, &d, false)
            ),
        }
    });
}

#[test]
fn invalid_specs_fail_with_their_code() {
    insta::glob!("../../../tests/parse/invalid", "*.cutover", |path| {
        let source = std::fs::read_to_string(path).expect("read corpus file");
        let expected = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: first line must be `# expect: CODE`", path.display()))
            .trim()
            .to_owned();
        let diagnostics = match cutover_syntax::parse(&source) {
            Ok(_) => panic!("{} parsed, but should fail with {expected}", path.display()),
            Err(d) => d,
        };
        assert!(
            diagnostics.iter().any(|d| d.code.as_str() == expected),
            "{}: expected {expected}, got {:?}",
            path.display(),
            diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
        );
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("spec");
        insta::assert_snapshot!(render::human(name, &source, &diagnostics, false));
    });
}
