//! `cutover fmt FILE… [--check]`: the canonical layout of specs
//! (`cutover_syntax::format`), written in place only where it changes
//! something; with `--check`, a diff per file instead and nothing written.

use crate::{fatal, read_spec, render, unified_diff, use_color, Color};
use crate::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

pub fn run(files: &[PathBuf], check: bool, color: Color) -> u8 {
    let color = use_color(color, std::io::stderr().is_terminal());
    let mut stdout = std::io::stdout().lock();
    let (mut unreadable, mut broken) = (false, 0usize);
    let mut unformatted: Vec<String> = Vec::new();
    for file in files {
        let spec = match read_spec(file) {
            Ok(s) => s,
            Err(message) => {
                fatal(&message, "check the path and the file's permissions");
                unreadable = true;
                continue;
            }
        };
        let formatted = match &spec.utf8_error {
            Some(d) => Err(vec![d.clone()]),
            None => cutover_syntax::format(&spec.text),
        };
        let formatted = match formatted {
            Ok(f) => f,
            Err(diagnostics) => {
                // Never rewrite what does not parse: the layout would be a
                // guess.
                eprint!(
                    "{}",
                    render::human(&spec.path, &spec.text, &diagnostics, color)
                );
                broken += 1;
                continue;
            }
        };
        if formatted == spec.text {
            continue;
        }
        if check {
            // A closed stdout (`| head`) is not worth a panic.
            let _ = write!(
                stdout,
                "{}",
                unified_diff(
                    &spec.text,
                    &formatted,
                    &spec.path,
                    &format!("{} (formatted)", spec.path)
                )
            );
            unformatted.push(spec.path);
        } else if let Err(e) = std::fs::write(file, &formatted) {
            fatal(
                &format!("cannot write {}: {e}", spec.path),
                "check the file's permissions",
            );
            unreadable = true;
        } else {
            let _ = writeln!(stdout, "formatted {}", spec.path);
        }
    }
    let _ = stdout.flush();
    if broken > 0 {
        eprintln!(
            "cutover fmt: {broken} {} not parse and {} left as {}",
            if broken == 1 { "file does" } else { "files do" },
            if broken == 1 { "was" } else { "were" },
            if broken == 1 { "it was" } else { "they were" },
        );
    }
    if !unformatted.is_empty() {
        let words: Vec<String> = unformatted.iter().map(|p| crate::shell_word(p)).collect();
        eprintln!(
            "cutover fmt --check: {} of {} {} {} not formatted; run: cutover fmt {}",
            unformatted.len(),
            files.len(),
            if files.len() == 1 { "file" } else { "files" },
            if unformatted.len() == 1 { "is" } else { "are" },
            words.join(" ")
        );
    } else if check && broken == 0 && !unreadable {
        eprintln!(
            "cutover fmt --check: {} {} formatted",
            files.len(),
            if files.len() == 1 { "file" } else { "files" }
        );
    }
    if unreadable {
        EXIT_USAGE
    } else if broken > 0 || !unformatted.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
