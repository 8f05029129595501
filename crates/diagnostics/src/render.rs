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

/// One checked file, for [`sarif`].
pub struct FileDiagnostics<'a> {
    pub path: &'a str,
    pub source: &'a str,
    pub diagnostics: &'a [Diagnostic],
}

/// A SARIF 2.1.0 log of every file's diagnostics, for code-review tools
/// that annotate the spec. Columns count Unicode code points, as stated in
/// the run's `columnKind`.
pub fn sarif(files: &[FileDiagnostics<'_>], tool_version: &str) -> serde_json::Value {
    use serde_json::json;
    let rules: Vec<serde_json::Value> = crate::REGISTRY
        .iter()
        .map(|info| {
            let level = match info.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            json!({
                "id": info.code,
                "shortDescription": { "text": info.summary },
                "fullDescription": { "text": info.summary },
                "help": { "text": info.explanation, "markdown": info.explanation },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let mut results = Vec::new();
    for file in files {
        let region = |span: crate::Span| {
            let (start_line, start_column) = line_col(file.source, span.start);
            let (end_line, end_column) = line_col(file.source, span.end.max(span.start));
            json!({
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column.max(if end_line == start_line { start_column } else { 1 }),
            })
        };
        let location = |span: crate::Span, message: Option<&str>| {
            let mut loc = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(file.path) },
                    "region": region(span),
                }
            });
            if let Some(m) = message.filter(|m| !m.is_empty()) {
                loc["message"] = json!({ "text": m });
            }
            loc
        };
        for d in file.diagnostics {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let related: Vec<serde_json::Value> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .enumerate()
                .map(|(i, l)| {
                    let mut loc = location(l.span, Some(&l.message));
                    loc["id"] = json!(i);
                    loc
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": crate::REGISTRY.iter().position(|c| c.code == d.code.as_str()).unwrap_or(0),
                "level": level,
                "message": { "text": text },
                "locations": [location(d.primary_span(), d.labels.iter().find(|l| l.primary).map(|l| l.message.as_str()))],
            });
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cutover",
                "version": tool_version,
                "informationUri": "https://github.com/cutover-dev/cutover",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A relative URI reference for a path: `/` separators, other reserved
/// bytes percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod sarif_tests {
    use super::*;
    use crate::{registry::codes, Span};

    #[test]
    fn sarif_log_has_rules_results_and_regions() {
        let src = "map legacy.custmers -> crm.accounts {}\n";
        let d = Diagnostic::new(codes::UNKNOWN_TABLE, "unknown table")
            .primary(Span::new(11, 19), "here")
            .secondary(Span::new(0, 3), "map")
            .help("did you mean `customers`?");
        let files = [FileDiagnostics {
            path: "specs/my spec.cutover",
            source: src,
            diagnostics: &[d],
        }];
        let log = sarif(&files, "0.1.0");
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().map(Vec::len),
            Some(crate::REGISTRY.len())
        );
        let r = &run["results"][0];
        assert_eq!(r["ruleId"], "E0102");
        assert_eq!(
            run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap_or(0) as usize]["id"],
            "E0102"
        );
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(1), Some(12))
        );
        assert_eq!(region["endColumn"], 20);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "specs/my%20spec.cutover"
        );
        assert_eq!(r["relatedLocations"][0]["message"]["text"], "map");
    }
}
