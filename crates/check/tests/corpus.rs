//! The diagnostics corpus: each file under tests/check/invalid names its
//! code on the first line (`# expect: E0101`); compiling it must report that
//! code, and the rendered diagnostics are snapshotted. Every shipped example
//! and every valid parser case compiles with no errors.

use cutover_diagnostics::render;

fn expected_code(source: &str, path: &std::path::Path) -> String {
    source
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .unwrap_or_else(|| panic!("{}: first line must be `# expect: CODE`", path.display()))
        .trim()
        .to_owned()
}

#[test]
fn invalid_specs_report_their_code() {
    insta::glob!("../../../tests/check/invalid", "*.cutover", |path| {
        let source = std::fs::read_to_string(path).expect("read corpus file");
        let expected = expected_code(&source, path);
        let compiled = cutover_check::compile(&source);
        let codes: Vec<&str> = compiled
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(
            codes.contains(&expected.as_str()),
            "{}: expected {expected}, got {codes:?}",
            path.display()
        );
        // One root cause, one diagnostic: the corpus files each hold one mistake.
        assert_eq!(
            codes.len(),
            1,
            "{}: expected only {expected}, got {codes:?}",
            path.display()
        );
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("spec");
        insta::assert_snapshot!(render::human(name, &source, &compiled.diagnostics, false));
    });
}

#[test]
fn every_registered_code_has_a_corpus_case() {
    let mut covered = std::collections::BTreeSet::new();
    for dir in ["../../tests/check/invalid", "../../tests/parse/invalid"] {
        for entry in std::fs::read_dir(dir).expect("corpus dir") {
            let path = entry.expect("entry").path();
            let source = std::fs::read_to_string(&path).expect("read");
            covered.insert(expected_code(&source, &path));
        }
    }
    // E0001 (bytes that are not UTF-8) and E0006 (size) are input-level:
    // the CLI tests and the syntax crate's tests trigger them. E0381 comes
    // from `cutover build` (crates/cli/tests/bad_input.rs).
    let elsewhere = ["E0001", "E0006", "E0381"];
    for info in cutover_diagnostics::REGISTRY {
        assert!(
            covered.contains(info.code) || elsewhere.contains(&info.code),
            "{} has no spec in tests/check/invalid or tests/parse/invalid",
            info.code
        );
    }
}

#[test]
fn examples_and_valid_specs_compile_without_findings() {
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    for dir in std::fs::read_dir("../../examples").expect("examples dir") {
        let dir = dir.expect("entry").path();
        if dir.is_dir() {
            paths.extend(
                std::fs::read_dir(&dir)
                    .expect("example dir")
                    .filter_map(|e| {
                        let p = e.ok()?.path();
                        (p.extension()? == "cutover").then_some(p)
                    }),
            );
        }
    }
    assert!(
        paths.len() >= 3,
        "expected the three shipped examples, found {paths:?}"
    );
    // tests/parse/valid holds syntax cases (the DESIGN.md sketch among them),
    // not complete specs; tests/check/valid holds specs that pass every check.
    for entry in std::fs::read_dir("../../tests/check/valid").expect("valid dir") {
        paths.push(entry.expect("entry").path());
    }
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("read");
        let compiled = cutover_check::compile(&source);
        // The shipped examples are the specs users copy: no warnings either.
        assert!(
            compiled.diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            render::human(
                &path.display().to_string(),
                &source,
                &compiled.diagnostics,
                false
            )
        );
    }
}
