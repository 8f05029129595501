//! The GitHub Actions workflow in docs/ci.md runs here as written: every
//! `run:` step whose `name:` starts with `cutover`, in order, under
//! `bash -e -o pipefail -c` from the repository root, with the freshly
//! built `cutover` first on PATH. Each must exit 0, and the SARIF the check
//! step writes must be SARIF 2.1.0.

mod support;

use std::path::Path;
use std::process::Command;
use support::{root, text, Scratch};

/// A step of the workflow: its name and its `run:` script.
#[derive(Debug)]
struct Step {
    name: String,
    run: Option<String>,
}

/// The one ```yaml block of a Markdown text.
fn yaml_block(markdown: &str) -> String {
    let blocks: Vec<&str> = markdown
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .collect();
    assert_eq!(blocks.len(), 1, "docs/ci.md has one yaml block");
    blocks[0].to_owned()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A scalar as YAML reads it: quotes removed, a trailing comment dropped.
fn scalar(value: &str) -> String {
    let v = value.trim();
    if let Some(q) = v.strip_prefix('"').and_then(|s| s.split('"').next()) {
        return q.to_owned();
    }
    match v.find(" #") {
        Some(i) => v[..i].trim_end().to_owned(),
        None => v.to_owned(),
    }
}

/// The steps of the workflow's one job. Handles the subset of YAML the
/// workflow uses: block mappings and sequences, `key: value` scalars and
/// `run: |` literal blocks.
fn steps(yaml: &str) -> Vec<Step> {
    assert!(!yaml.contains('\t'), "YAML is indented with spaces");
    let lines: Vec<&str> = yaml.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "steps:")
        .expect("a steps: list");
    let item_indent = indent(lines[start + 1]);
    let mut out: Vec<Step> = Vec::new();
    let mut i = start + 1;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            i += 1;
            continue;
        }
        if indent(line) < item_indent {
            break;
        }
        let body = line.trim_start();
        let key_line = if indent(line) == item_indent {
            let rest = body.strip_prefix("- ").expect("a list item");
            out.push(Step {
                name: String::new(),
                run: None,
            });
            rest
        } else {
            body
        };
        let step = out.last_mut().expect("a step");
        let key_indent = line.len() - key_line.len();
        if let Some(v) = key_line.strip_prefix("name:") {
            step.name = scalar(v);
        } else if let Some(v) = key_line.strip_prefix("run:") {
            if v.trim() == "|" {
                let mut script = String::new();
                let mut block_indent = None;
                while i + 1 < lines.len()
                    && (lines[i + 1].trim().is_empty() || indent(lines[i + 1]) > key_indent)
                {
                    i += 1;
                    let l = lines[i];
                    let cut = *block_indent.get_or_insert(indent(l));
                    script.push_str(l.get(cut..).unwrap_or(""));
                    script.push('\n');
                }
                step.run = Some(script);
            } else {
                step.run = Some(scalar(v));
            }
        }
        i += 1;
    }
    out
}

#[test]
fn the_documented_workflow_runs_as_written() {
    let doc = std::fs::read_to_string(root().join("docs/ci.md")).expect("docs/ci.md");
    let all = steps(&yaml_block(&doc));
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    for expected in ["Install Cutover", "Upload diagnostics"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let ours: Vec<&Step> = all
        .iter()
        .filter(|s| s.name.starts_with("cutover") && s.run.is_some())
        .collect();
    let ran: Vec<&str> = ours.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        ran,
        [
            "cutover check",
            "cutover check passed",
            "cutover fmt --check",
            "cutover test",
            "cutover build --check"
        ]
    );

    let bin = Path::new(env!("CARGO_BIN_EXE_cutover"))
        .parent()
        .expect("the binary's directory");
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");
    let temp = Scratch::new("ci-workflow");
    for step in ours {
        let script = step.run.as_deref().unwrap_or_default();
        assert!(
            !script.contains("${{"),
            "{}: GitHub expressions do not run outside GitHub",
            step.name
        );
        let out = Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", script])
            .current_dir(root())
            .env("PATH", &path)
            .env("RUNNER_TEMP", &temp.0)
            .env("NO_COLOR", "1")
            .output()
            .expect("run bash");
        assert_eq!(
            out.status.code(),
            Some(0),
            "step `{}` failed:\n{script}\n--- stdout\n{}\n--- stderr\n{}",
            step.name,
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    let sarif = std::fs::read(temp.path("cutover.sarif")).expect("the check step wrote SARIF");
    let v: serde_json::Value = serde_json::from_slice(&sarif).expect("the SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["tool"]["driver"]["name"], "cutover");
}

#[test]
fn the_step_reader_reads_blocks_and_scalars() {
    let yaml = "jobs:\n  j:\n    steps:\n      - uses: a/b@v1\n      - name: \"cutover one\"\n        run: echo 1 # note\n\n      - name: cutover two\n        run: |\n          a\n            b\n\n          c\n      - name: last\n        with:\n          x: y\n";
    let s = steps(yaml);
    assert_eq!(s.len(), 4, "{s:?}");
    assert_eq!(s[1].name, "cutover one");
    assert_eq!(s[1].run.as_deref(), Some("echo 1"));
    assert_eq!(s[2].run.as_deref(), Some("a\n  b\n\nc\n"));
    assert_eq!(s[3].name, "last");
    assert_eq!(s[3].run, None);
}
