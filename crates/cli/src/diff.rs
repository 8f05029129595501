//! `cutover diff OLD NEW`: what changed in meaning (cutover-diff's summary
//! of the two IRs), then the unified diff of every artifact the two build.
//!
//! Both sides are built under NEW's path and sha256, so the lines that name
//! the spec (script headers, the Python package's name, the batch table's
//! sha) never show as changes: NEW's side is exactly what `cutover build
//! NEW` writes, and OLD's is what it would write had OLD been saved there.
//! Each side uses its default dialects, so a dialect dropped shows as
//! removed files.

use crate::artifacts::{self, Artifact};
use crate::{compile_clean, fatal, print_json, read_spec, unified_diff, ReportFormat};
use crate::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use std::collections::BTreeMap;
use std::path::Path;

/// How an artifact differs.
#[derive(serde::Serialize)]
struct ArtifactDiff {
    path: String,
    /// `added`, `removed` or `changed`.
    status: &'static str,
    diff: String,
}

pub fn run(old: &Path, new: &Path, format: ReportFormat) -> u8 {
    let mut specs = Vec::new();
    for path in [old, new] {
        match read_spec(path) {
            Ok(s) => specs.push(s),
            Err(message) => return fatal(&message, "check the path and the file's permissions"),
        }
    }
    let [a, b] = &specs[..] else {
        return EXIT_USAGE;
    };
    // Both are compiled, so that the errors of both are shown at once.
    let irs = [compile_clean(a, false), compile_clean(b, false)];
    let [Some(ir_a), Some(ir_b)] = &irs else {
        let broken: Vec<&str> = specs
            .iter()
            .zip(&irs)
            .filter(|(_, ir)| ir.is_none())
            .map(|(s, _)| s.path.as_str())
            .collect();
        eprintln!(
            "cutover diff: cannot diff, {} {} errors",
            broken.join(" and "),
            if broken.len() == 1 { "has" } else { "have" }
        );
        return EXIT_USAGE;
    };
    let summary = cutover_diff::compare(
        cutover_diff::Spec {
            ir: ir_a,
            text: &a.text,
        },
        cutover_diff::Spec {
            ir: ir_b,
            text: &b.text,
        },
    );
    let path = b.path.replace('\\', "/");
    let sha = artifacts::sha256_hex(&b.text);
    let mut built = Vec::new();
    for (spec, ir) in [(a, ir_a), (b, ir_b)] {
        let label = artifacts::Label {
            path: &path,
            sha256: &sha,
            text: &spec.text,
        };
        let dialects = artifacts::default_dialects(ir);
        match crate::generate(ir, spec, &label, &dialects, None) {
            Ok(files) => built.push(files),
            Err(code) => {
                if code == EXIT_FINDINGS {
                    eprintln!("cutover diff: cannot diff, {} cannot be built", spec.path);
                }
                return EXIT_USAGE;
            }
        }
    }
    let changes = compare_artifacts(&built[0], &built[1], &a.path, &b.path);
    let same = summary.is_empty() && changes.is_empty();
    match format {
        ReportFormat::Json => print_json(&serde_json::json!({
            "summary": summary,
            "artifacts": changes,
        })),
        ReportFormat::Text => {
            let mut out = String::new();
            if same {
                out.push_str(&format!(
                    "cutover diff: no differences between {} and {}\n",
                    a.path, b.path
                ));
            } else {
                out.push_str(&format!("spec: {} → {}\n", a.path, b.path));
                if summary.is_empty() {
                    out.push_str("  no change of meaning (layout, comments or order)\n");
                } else {
                    out.push_str(&summary.to_text());
                }
                let count = |s: &str| changes.iter().filter(|c| c.status == s).count();
                out.push_str(&format!(
                    "\nartifacts: {} changed, {} added, {} removed\n",
                    count("changed"),
                    count("added"),
                    count("removed")
                ));
                for c in &changes {
                    out.push_str(&format!("  {} {}\n", c.status, c.path));
                }
                for c in &changes {
                    out.push('\n');
                    out.push_str(&c.diff);
                }
            }
            // A closed stdout (`| head`) is not worth a panic.
            use std::io::Write;
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
        }
    }
    if same {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

/// The artifacts that differ: NEW's in build order, then those only OLD
/// has.
fn compare_artifacts(
    old: &[Artifact],
    new: &[Artifact],
    old_path: &str,
    new_path: &str,
) -> Vec<ArtifactDiff> {
    let old_by_path: BTreeMap<&str, &Artifact> = old.iter().map(|f| (f.path.as_str(), f)).collect();
    let new_by_path: BTreeMap<&str, &Artifact> = new.iter().map(|f| (f.path.as_str(), f)).collect();
    let from = |p: &str| format!("{p} (built from {old_path})");
    let to = |p: &str| format!("{p} (built from {new_path})");
    let mut out = Vec::new();
    for f in new {
        let (status, before, header) = match old_by_path.get(f.path.as_str()) {
            Some(o) if o.text == f.text => continue,
            Some(o) => ("changed", o.text.as_str(), from(&f.path)),
            None => (
                "added",
                "",
                format!("{} (not built from {old_path})", f.path),
            ),
        };
        out.push(ArtifactDiff {
            path: f.path.clone(),
            status,
            diff: unified_diff(before, &f.text, &header, &to(&f.path)),
        });
    }
    for f in old {
        if !new_by_path.contains_key(f.path.as_str()) {
            out.push(ArtifactDiff {
                path: f.path.clone(),
                status: "removed",
                diff: unified_diff(
                    &f.text,
                    "",
                    &from(&f.path),
                    &format!("{} (not built from {new_path})", f.path),
                ),
            });
        }
    }
    out
}
