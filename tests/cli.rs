//! End-to-end tests of the `cutover` binary: help text, exit codes and
//! output formats. Help and diagnostics are snapshotted so a change to what
//! users see shows up in review.

// The helpers the other CLI test files share (crates/cli/tests/support).
#[path = "../crates/cli/tests/support/mod.rs"]
mod support;

use support::{cutover, root, text};

#[test]
fn help_of_every_command() {
    for args in [
        &["--help"][..],
        &["check", "--help"],
        &["test", "--help"],
        &["build", "--help"],
        &["diff", "--help"],
        &["fmt", "--help"],
        &["import", "--help"],
        &["compat", "--help"],
        &["rehearse", "--help"],
        &["lsp", "--help"],
        &["explain", "--help"],
        &["debug", "--help"],
    ] {
        let out = cutover(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        insta::assert_snapshot!(format!("help {}", args.join(" ")), text(&out.stdout));
    }
}

#[test]
fn no_arguments_is_a_usage_error() {
    let out = cutover(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage"));
}

#[test]
fn shipped_examples_check_clean() {
    let mut specs: Vec<String> = Vec::new();
    for dir in std::fs::read_dir(root().join("examples")).expect("examples") {
        let dir = dir.expect("entry").path();
        for f in std::fs::read_dir(&dir).into_iter().flatten() {
            let p = f.expect("entry").path();
            if p.extension().is_some_and(|e| e == "cutover") {
                specs.push(p.strip_prefix(root()).unwrap_or(&p).display().to_string());
            }
        }
    }
    specs.sort();
    assert_eq!(specs.len(), 3, "{specs:?}");
    let mut args = vec!["check"];
    args.extend(specs.iter().map(String::as_str));
    let out = cutover(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("0 errors"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn errors_exit_1_with_rendered_diagnostics() {
    let out = cutover(&["check", "tests/check/invalid/E0103-unknown-column.cutover"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn json_format_is_machine_readable() {
    let out = cutover(&[
        "check",
        "--format",
        "json",
        "tests/check/invalid/E0101-unknown-system.cutover",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["summary"]["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "E0101");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["labels"][0]["start"]["line"], 20);
    assert_eq!(d["labels"][0]["start"]["column"], 5);
    assert_eq!(d["help"], "did you mean `legacy`?");
}

#[test]
fn unreadable_file_exits_2() {
    let out = cutover(&["check", "no/such/spec.cutover"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read no/such/spec.cutover"));
}

#[test]
fn explain_every_code_and_reject_unknown_ones() {
    for info in cutover_diagnostics::REGISTRY {
        let out = cutover(&["explain", &info.code.to_lowercase()]);
        assert_eq!(out.status.code(), Some(0), "{}", info.code);
        assert_eq!(text(&out.stdout), info.explanation);
    }
    let out = cutover(&["explain", "E0199"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown diagnostic code `E0199`"));
    let list = cutover(&["explain", "--list"]);
    assert_eq!(list.status.code(), Some(0));
    assert_eq!(
        text(&list.stdout).lines().count(),
        cutover_diagnostics::REGISTRY.len()
    );
}

#[test]
fn debug_prints_ast_and_ir() {
    let ast = cutover(&["debug", "ast", "tests/check/valid/minimal.cutover"]);
    assert_eq!(ast.status.code(), Some(0));
    assert!(text(&ast.stdout).starts_with("Ast {"));
    let ir = cutover(&["debug", "ir", "tests/check/valid/minimal.cutover"]);
    assert_eq!(ir.status.code(), Some(0));
    assert!(text(&ir.stdout).contains("accounts"));
}

#[test]
fn sarif_format_lists_results_with_rules() {
    let out = cutover(&[
        "check",
        "--format",
        "sarif",
        "tests/check/invalid/E0340-pii-unmasked.cutover",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["version"], "2.1.0");
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "E0340");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        25
    );
    // Schema validation against the published SARIF schema runs in tests/run.sh.
}

#[test]
fn test_runs_the_examples_of_every_shipped_spec() {
    let specs = [
        "examples/crm/crm.cutover",
        "examples/ai-platform/ai-platform.cutover",
        "examples/user-management/user-management.cutover",
    ];
    let mut args = vec!["test"];
    args.extend(specs);
    let out = cutover(&args);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(!stdout.contains("FAIL"), "{stdout}");
    // One `ok` line per example written in the specs.
    let written: usize = specs
        .iter()
        .map(|s| {
            let text = std::fs::read_to_string(root().join(s)).expect("spec");
            text.lines().filter(|l| l.starts_with("example \"")).count()
        })
        .sum();
    assert!(written > 30, "{written}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        written,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{written} passed, 0 failed")),
        "{stdout}"
    );
}

#[test]
fn a_failing_example_prints_a_diff_and_exits_1() {
    // The shipped spec with two expectations changed: one row, one rejection.
    let spec = std::fs::read_to_string(root().join("examples/ai-platform/ai-platform.cutover"))
        .expect("spec")
        .replace(
            r#"{ original_source_id: 31, deployment_status: "Pending Review" }"#,
            r#"{ original_source_id: 31, deployment_status: "Pending" }"#,
        )
        .replace(
            r#"expect reject TRN-004 "unknown status code""#,
            r#"expect reject TRN-003 "unknown status code""#,
        );
    let dir = std::env::temp_dir().join(format!("cutover-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("broken-examples.cutover");
    std::fs::write(&path, spec).expect("write spec");
    let out = cutover(&["test", path.to_str().expect("utf-8 path")]);
    let stdout = text(&out.stdout).replace(path.to_str().unwrap_or_default(), "SPEC");
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let failures: String = stdout
        .lines()
        .filter(|l| !l.starts_with("ok "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(failures);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_does_not_run_a_spec_with_errors() {
    let out = cutover(&[
        "test",
        "tests/check/invalid/E0401-example-value-not-a-date.cutover",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0401"), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 spec not run"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn committed_build_outputs_are_current() {
    // examples/*/build holds the generated artifacts for review; they must
    // be what `cutover build` writes today, byte for byte.
    for name in ["crm", "ai-platform", "user-management"] {
        let dir = std::env::temp_dir().join(format!("cutover-build-{name}-{}", std::process::id()));
        let spec = format!("examples/{name}/{name}.cutover");
        let out = cutover(&["build", &spec, "-o", dir.to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let committed = root().join("examples").join(name).join("build");
        let mut compared = 0;
        let mut pending = vec![dir.clone()];
        while let Some(d) = pending.pop() {
            for f in std::fs::read_dir(&d).expect("built directory") {
                let f = f.expect("entry").path();
                if f.is_dir() {
                    pending.push(f);
                    continue;
                }
                let rel = f.strip_prefix(&dir).expect("under the output");
                let want = std::fs::read_to_string(committed.join(rel))
                    .unwrap_or_else(|_| panic!("{name}: {rel:?} is not committed; run cutover build {spec} -o examples/{name}/build"));
                assert!(
                    want == std::fs::read_to_string(&f).expect("fresh"),
                    "{name}: {rel:?} differs from the committed copy; run cutover build {spec} -o examples/{name}/build and review the diff"
                );
                compared += 1;
            }
        }
        assert!(compared >= 10, "{name}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_measured_throughput_drives_the_runbook_estimates() {
    let out = std::env::temp_dir().join(format!("cutover-throughput-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let dir = out.to_string_lossy().to_string();
    let spec = "examples/crm/crm.cutover";
    let o = cutover(&["build", spec, "-o", &dir, "--throughput", "5000"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let runbook = std::fs::read_to_string(out.join("runbook.md")).expect("runbook");
    assert!(
        runbook.contains("| Throughput | 5,000 rows/s (measured by a rehearsal) |"),
        "{runbook}"
    );
    // 1,200,000 customers at 5,000 rows/s: 4 minutes (20,000/s gives 1).
    assert!(
        runbook.contains("| legacy.customers | crm.accounts | accounts | 1,200,000 | 4m |"),
        "{runbook}"
    );
    for bad in ["0", "-3", "NaN"] {
        let flag = format!("--throughput={bad}");
        let o = cutover(&["build", spec, "-o", &dir, &flag]);
        assert_eq!(o.status.code(), Some(2), "--throughput {bad}");
        assert!(
            text(&o.stderr).contains("is not a rate"),
            "{}",
            text(&o.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn rehearse_exit_codes_and_json_report() {
    let ok = cutover(&[
        "rehearse",
        "examples/crm/crm.cutover",
        "--source",
        "examples/crm/data",
        "--report",
        "json",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON report");
    assert_eq!(report["passed"], true);
    assert!(report["maps"].as_array().is_some_and(|m| m.len() == 6));

    let broken = cutover(&[
        "rehearse",
        "examples/crm/crm.cutover",
        "--source",
        "examples/crm/data-broken",
    ]);
    assert_eq!(broken.status.code(), Some(1));
    let out = text(&broken.stdout);
    assert!(
        out.contains("FIRED") && out.contains("restored exactly"),
        "{out}"
    );

    let bad = cutover(&[
        "rehearse",
        "examples/crm/crm.cutover",
        "--source",
        "no/such/dir",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("no/such/dir"),
        "{}",
        text(&bad.stderr)
    );

    let gate = cutover(&[
        "rehearse",
        "examples/crm/crm.cutover",
        "--source",
        "examples/crm/data",
        "--fail-gate",
        "nope",
    ]);
    assert_eq!(gate.status.code(), Some(2));
    assert!(
        text(&gate.stderr).contains("no such gate"),
        "{}",
        text(&gate.stderr)
    );
}
