//! `cutover build --check`: the generated files compared with a directory
//! of committed ones, writing nothing.
//!
//! The build owns every file it writes, and every file under the subtrees
//! it writes whole: `DIR/python/` and `DIR/sql/<dialect>/` for each dialect
//! built. A file there that it no longer writes (a renamed package, a
//! script dropped) is stale. Other files in DIR (a README beside the
//! runbook, the SQL of a dialect not asked for) are left alone, and so are
//! `__pycache__` folders and hidden files, which running or browsing the
//! package leaves.

use crate::artifacts::{self, Artifact};
use crate::{fatal, unified_diff, BuildArgs, EXIT_FINDINGS, EXIT_OK};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

/// Why a file is not current.
enum State {
    Changed,
    Missing,
    Stale,
}

impl State {
    fn word(&self) -> &'static str {
        match self {
            State::Changed => "changed",
            State::Missing => "missing",
            State::Stale => "stale",
        }
    }
}

/// Compares `files` with `args.out`, printing a diff per file that is not
/// current; the exit code.
pub fn run(args: &BuildArgs<'_>, spec: &str, dialects: &[String], files: &[Artifact]) -> u8 {
    let out = args.out;
    let mut stdout = std::io::stdout().lock();
    let mut not_current: Vec<(String, State)> = Vec::new();
    for f in files {
        let target = f.under(out);
        let shown = target.display();
        let (committed, state, label) = match std::fs::read(&target) {
            Ok(bytes) if bytes == f.text.as_bytes() => continue,
            Ok(bytes) => (
                String::from_utf8_lossy(&bytes).into_owned(),
                State::Changed,
                "committed",
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (String::new(), State::Missing, "missing")
            }
            Err(e) => {
                return fatal(
                    &format!("cannot read {shown}: {e}"),
                    "check the output path",
                )
            }
        };
        // A closed stdout (`| head`) is not worth a panic.
        let _ = write!(
            stdout,
            "{}",
            unified_diff(
                &committed,
                &f.text,
                &format!("{shown} ({label})"),
                &format!("{shown} (from {spec})"),
            )
        );
        not_current.push((f.path.clone(), state));
    }
    let written: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut owned = vec!["python".to_owned()];
    owned.extend(dialects.iter().map(|d| format!("sql/{d}")));
    let mut found = Vec::new();
    for root in &owned {
        if let Err(m) = walk(out, root, &mut found) {
            return fatal(&m, "check the output path");
        }
    }
    found.sort();
    for rel in found {
        if !written.contains(rel.as_str()) {
            let _ = writeln!(
                stdout,
                "stale {}: {spec} no longer builds it",
                artifacts::under(out, &rel).display()
            );
            not_current.push((rel, State::Stale));
        }
    }
    let _ = stdout.flush();
    if not_current.is_empty() {
        println!(
            "cutover build --check: {} files current in {}",
            files.len(),
            out.display()
        );
        return EXIT_OK;
    }
    const SHOWN: usize = 10;
    let mut list: Vec<String> = not_current
        .iter()
        .take(SHOWN)
        .map(|(p, s)| format!("{p} ({})", s.word()))
        .collect();
    if not_current.len() > SHOWN {
        list.push(format!("and {} more", not_current.len() - SHOWN));
    }
    let stale = not_current
        .iter()
        .filter(|(_, s)| matches!(s, State::Stale))
        .count();
    eprintln!(
        "cutover build --check: {} of {} files in {} are not current: {}",
        not_current.len(),
        files.len() + stale,
        out.display(),
        list.join(", ")
    );
    eprintln!("regenerate with: {}", args.command());
    if stale > 0 {
        eprintln!("and delete the stale files: build writes files, it never deletes them");
    }
    EXIT_FINDINGS
}

/// Every file under `out/root`, as `/`-separated paths relative to `out`;
/// nothing when that folder does not exist.
fn walk(out: &Path, root: &str, found: &mut Vec<String>) -> Result<(), String> {
    let dir = artifacts::under(out, root);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "__pycache__" {
            continue;
        }
        let rel = format!("{root}/{name}");
        let is_dir = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?
            .is_dir();
        if is_dir {
            walk(out, &rel, found)?;
        } else {
            found.push(rel);
        }
    }
    Ok(())
}
