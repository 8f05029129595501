//! `cutover diff OLD NEW`: the summary of what changed in meaning and the
//! diff of every artifact, as text and as JSON; exit 0 same, 1 different,
//! 2 when a spec cannot be read, has errors or cannot be built.
//!
//! fixtures/diff/new.cutover is old.cutover with a transform, a lookup
//! entry, a gate's severity and tolerance, a rollback threshold and a phase
//! duration changed, and a map removed.

mod support;

use support::{cutover, text, Scratch};

const OLD: &str = "crates/cli/tests/fixtures/diff/old.cutover";
const NEW: &str = "crates/cli/tests/fixtures/diff/new.cutover";

#[test]
fn text_summary_then_artifact_diffs() {
    let out = cutover(&["diff", OLD, NEW]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    insta::assert_snapshot!(shorten_long_lines(&text(&out.stdout)));
}

/// plan.json holds each script on one line of many kilobytes; the snapshot
/// keeps the start of such lines and their length.
fn shorten_long_lines(s: &str) -> String {
    s.lines()
        .map(|l| {
            let chars = l.chars().count();
            if chars > 2000 {
                let head: String = l.chars().take(80).collect();
                format!("{head}… ({chars} characters)\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

#[test]
fn json_summary_and_artifacts() {
    let out = cutover(&["diff", OLD, NEW, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    // Each artifact's diff is the one the text output prints; the snapshot
    // keeps its headers and size, the text snapshot its lines.
    let shown = text(&cutover(&["diff", OLD, NEW]).stdout);
    for a in v["artifacts"].as_array_mut().expect("artifacts") {
        let diff = a["diff"].as_str().expect("a diff").to_owned();
        assert!(shown.contains(&diff), "{}", a["path"]);
        let head: Vec<&str> = diff.lines().take(2).collect();
        a["diff"] = format!("{} … ({} lines)", head.join(" / "), diff.lines().count()).into();
    }
    insta::assert_json_snapshot!(v);
}

#[test]
fn identical_specs_exit_0() {
    let out = cutover(&["diff", OLD, OLD]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("cutover diff: no differences between {OLD} and {OLD}\n")
    );
    let json = cutover(&["diff", OLD, OLD, "--format", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["artifacts"], serde_json::json!([]));
    assert_eq!(v["summary"]["maps"]["changed"], serde_json::json!([]));
}

#[test]
fn a_copy_under_another_name_is_the_same() {
    // Built under NEW's path and sha256 on both sides: the spec's name and
    // hash, written into every artifact, are not a change.
    let scratch = Scratch::new("diff-copy");
    let spec = std::fs::read_to_string(support::root().join(OLD)).expect("spec");
    let copy = scratch.write("renamed.cutover", &spec);
    let out = cutover(&["diff", OLD, &copy]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_spec_with_errors_or_unreadable_exits_2() {
    let bad = "tests/check/invalid/E0101-unknown-system.cutover";
    let out = cutover(&["diff", OLD, bad]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("E0101"), "{stderr}");
    assert!(
        stderr.ends_with(&format!("cutover diff: cannot diff, {bad} has errors\n")),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "");

    let out = cutover(&["diff", "no/such/old.cutover", NEW]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read no/such/old.cutover"));
}
