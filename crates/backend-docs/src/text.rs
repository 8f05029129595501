//! Text helpers of the documents: the spec's own text of a span, Markdown
//! table cells and code spans, durations and row counts in words.

use cutover_diagnostics::Span;

/// The spec's text of a span on one line (runs of whitespace as one space).
pub fn spec_text(spec: &str, span: Span) -> String {
    let text = spec
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text for a GFM table cell: pipes escaped, on one line.
pub fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A code span for a table cell (the pipe escaped as GFM tables need, even
/// inside code): fenced with enough backticks for the text's own.
pub fn code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!(
        "{fence}{pad}{}{pad}{fence}",
        text.replace('|', "\\|").replace(['\n', '\r'], " ")
    )
}

/// Text that Markdown shows as written outside tables: its punctuation
/// that would start emphasis, links or HTML escaped.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Minutes as `3d 4h`, `2h 5m`, `45m`, `30s` (a rounded, readable figure).
pub fn duration(minutes: f64) -> String {
    if !minutes.is_finite() || minutes <= 0.0 {
        return "0m".into();
    }
    if minutes < 1.0 {
        return format!("{}s", (minutes * 60.0).ceil() as u64);
    }
    let total = minutes.ceil() as u64;
    let (d, h, m) = (total / 1440, total % 1440 / 60, total % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 && d == 0 {
        parts.push(format!("{m}m"));
    }
    if parts.is_empty() {
        parts.push(format!("{d}d"));
    }
    parts.join(" ")
}

/// A whole number with thousands separators: `1,500,000`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate of rows per second: `20,000 rows/s`.
pub fn rate(per_second: f64) -> String {
    format!("{} rows/s", count(per_second.round().max(0.0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(0.5), "30s");
        assert_eq!(duration(45.0), "45m");
        assert_eq!(duration(125.0), "2h 5m");
        assert_eq!(duration(3.0 * 1440.0 + 240.0), "3d 4h");
        assert_eq!(duration(2880.0), "2d");
        assert_eq!(duration(0.0), "0m");
    }

    #[test]
    fn cells_and_code_spans_survive_a_table() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(code("x || y"), "`x \\|\\| y`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(count(1_500_000), "1,500,000");
        assert_eq!(count(999), "999");
        assert_eq!(plain("*not* [a] link"), "\\*not\\* \\[a\\] link");
    }
}
