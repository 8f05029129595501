//! Rendering diagnostics at the edge: for people (codespan-reporting, with
//! or without colour) and for machines (JSON).

use crate::{Diagnostic, Severity};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};
use serde::Serialize;

/// Renders diagnostics as codespan-reporting prints them. `color` is off in
/// tests and when output is not a terminal.
pub fn human(path: &str, source: &str, diagnostics: &[Diagnostic], color: bool) -> String {
    let file = SimpleFile::new(path, source);
    let config = term::Config::default();
    let mut out = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    for d in diagnostics {
        // Writing to an in-memory buffer only fails on a span outside the
        // file, which would be a bug in a stage; fall back to plain text.
        if term::emit(&mut out, &config, &file, &to_codespan(d, source.len())).is_err() {
            return plain(diagnostics);
        }
    }
    String::from_utf8_lossy(out.as_slice()).into_owned()
}

/// One line per diagnostic, without source excerpts.
pub fn plain(diagnostics: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diagnostics {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = d.primary_span();
        s.push_str(&format!(
            "{sev}[{}] at {}..{}: {}\n",
            d.code, at.start, at.end, d.message
        ));
        if let Some(help) = &d.help {
            s.push_str(&format!("  help: {help}\n"));
        }
    }
    s
}

fn to_codespan(d: &Diagnostic, len: usize) -> cs::Diagnostic<()> {
    let base = match d.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    let clamp = |r: std::ops::Range<usize>| r.start.min(len)..r.end.min(len);
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary {
                cs::LabelStyle::Primary
            } else {
                cs::LabelStyle::Secondary
            };
            cs::Label::new(style, (), clamp(l.span.range())).with_message(&l.message)
        })
        .collect();
    let mut notes: Vec<String> = d.help.iter().map(|h| format!("help: {h}")).collect();
    notes.extend(d.notes.iter().cloned());
    base.with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub fn line_col(source: &str, offset: u32) -> (usize, usize) {
    let offset = (offset as usize).min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// A position in JSON output.
#[derive(Serialize)]
pub struct JsonPosition {
    pub line: usize,
    pub column: usize,
    pub offset: u32,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    primary: bool,
    start: JsonPosition,
    end: JsonPosition,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    code: &'a str,
    severity: Severity,
    message: &'a str,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    notes: &'a [String],
}

/// The JSON objects for one file's diagnostics (the CLI wraps them in an array).
pub fn json_values(path: &str, source: &str, diagnostics: &[Diagnostic]) -> Vec<serde_json::Value> {
    let pos = |offset: u32| {
        let (line, column) = line_col(source, offset);
        JsonPosition {
            line,
            column,
            offset,
        }
    };
    diagnostics
        .iter()
        .map(|d| {
            let j = JsonDiagnostic {
                file: path,
                code: d.code.as_str(),
                severity: d.severity,
                message: &d.message,
                labels: d
                    .labels
                    .iter()
                    .map(|l| JsonLabel {
                        message: &l.message,
                        primary: l.primary,
                        start: pos(l.span.start),
                        end: pos(l.span.end),
                    })
                    .collect(),
                help: d.help.as_deref(),
                notes: &d.notes,
            };
            serde_json::to_value(j).unwrap_or(serde_json::Value::Null)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{registry::codes, Span};

    #[test]
    fn line_col_counts_chars() {
        let src = "ab\ncé d";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 6), (2, 3)); // after the two-byte é
        assert_eq!(line_col(src, 999), (2, 5));
    }

    #[test]
    fn renders_code_label_and_help() {
        let src = "map legacy.custmers -> crm.accounts {}\n";
        let d = Diagnostic::new(
            codes::UNKNOWN_TABLE,
            "unknown table `custmers` in system `legacy`",
        )
        .primary(Span::new(11, 19), "not a table of `legacy`")
        .help("did you mean `customers`?");
        let text = human("spec.cutover", src, &[d], false);
        insta::assert_snapshot!(text);
    }
}
