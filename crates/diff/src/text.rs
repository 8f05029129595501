//! Spec fragments as text: source slices normalised so that layout and
//! comments do not count as changes, and the IR's gates, triggers and
//! steps written back the way a spec spells them.

use cutover_diagnostics::Span;
use cutover_ir::{
    CheckKind, ColumnId, Const, Ir, MapId, Metric, Step, TableId, Threshold, Tolerance, Trigger,
};

/// A fragment of a spec: `shown` for people (whitespace runs collapsed to
/// one space, comments removed), `key` for comparing (whitespace kept only
/// where it separates two words), so reformatting changes neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub shown: String,
    pub key: String,
}

/// The normalised source text under `span`; empty when the span does not
/// fall on the text (it always does for a spec's own IR).
pub fn fragment(source: &str, span: Span) -> Fragment {
    let text = source
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    normalise(text)
}

/// See [`Fragment`]. String literals are kept verbatim; `#` comments run to
/// the end of the line.
pub fn normalise(text: &str) -> Fragment {
    let mut shown = String::new();
    let mut key = String::new();
    let mut gap = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            gap = true;
            continue;
        }
        if c == '#' {
            for n in chars.by_ref() {
                if n == '\n' {
                    break;
                }
            }
            gap = true;
            continue;
        }
        if gap && !shown.is_empty() {
            shown.push(' ');
            if key.chars().last().is_some_and(is_word) && is_word(c) {
                key.push(' ');
            }
        }
        gap = false;
        shown.push(c);
        key.push(c);
        if c == '"' {
            // A string literal, escapes included, up to its closing quote.
            while let Some(s) = chars.next() {
                shown.push(s);
                key.push(s);
                if s == '\\' {
                    if let Some(e) = chars.next() {
                        shown.push(e);
                        key.push(e);
                    }
                } else if s == '"' {
                    break;
                }
            }
        }
    }
    Fragment { shown, key }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A constant as a spec writes it.
pub fn constant(c: &Const) -> String {
    match c {
        Const::Text(t) => quoted(t),
        Const::Int(i) => i.to_string(),
        Const::Decimal(d) => d.clone(),
        Const::Bool(b) => b.to_string(),
        Const::Null => "null".to_owned(),
    }
}

/// `"text"` with the spec's escapes: the formatter's quoting.
pub use cutover_syntax::format::quote as quoted;

/// `3d`, `4h`, `90m`, `2w`: a duration in the largest whole unit.
pub fn duration(minutes: f64) -> String {
    for (unit, size) in [("w", 7.0 * 1440.0), ("d", 1440.0), ("h", 60.0)] {
        let n = minutes / size;
        if n >= 1.0 && n.fract() == 0.0 {
            return format!("{n}{unit}");
        }
    }
    format!("{minutes}m")
}

/// `1.5%`, or `10 rows`.
pub fn tolerance(t: Option<Tolerance>) -> String {
    match t {
        None => "none".to_owned(),
        Some(Tolerance::Percent(p)) => format!("{p}%"),
        Some(Tolerance::Rows(n)) => format!("{n} rows"),
    }
}

/// Writes IR back as spec text, with expressions as normalised slices.
pub struct Writer<'a> {
    pub ir: &'a Ir,
    pub source: &'a str,
}

impl Writer<'_> {
    pub fn slice(&self, span: Span) -> String {
        fragment(self.source, span).shown
    }

    fn columns(&self, table: TableId, columns: &[ColumnId]) -> String {
        let path = self.ir.table_path(table);
        match columns {
            [one] => format!("{path}.{}", self.ir.column(*one).name),
            many => {
                let names: Vec<&str> = many
                    .iter()
                    .map(|c| self.ir.column(*c).name.as_str())
                    .collect();
                format!("{path}({})", names.join(", "))
            }
        }
    }

    pub fn map_name(&self, map: MapId) -> String {
        self.ir.map(map).name.clone()
    }

    /// A check without its options: what identifies it in its gate.
    pub fn check(&self, kind: &CheckKind) -> String {
        match kind {
            CheckKind::Unique { table, columns } => {
                format!("unique {}", self.columns(*table, columns))
            }
            CheckKind::NotNull { table, columns } => {
                format!("not_null {}", self.columns(*table, columns))
            }
            CheckKind::Fk { table, columns, to } => match to {
                None => format!("fk {} resolves", self.columns(*table, columns)),
                Some((t, cs)) => format!(
                    "fk {} -> {}",
                    self.columns(*table, columns),
                    self.columns(*t, cs)
                ),
            },
            CheckKind::Checksum {
                source,
                target,
                columns,
            } => {
                let names: Vec<&str> = columns
                    .iter()
                    .map(|c| self.ir.column(*c).name.as_str())
                    .collect();
                format!(
                    "checksum {} -> {} on {}",
                    self.ir.table_path(*source),
                    self.ir.table_path(*target),
                    names.join(", ")
                )
            }
            CheckKind::Sample { rows, map } => match map {
                None => format!("sample {rows} recompute"),
                Some(m) => format!("sample {rows} recompute for {}", self.map_name(*m)),
            },
            CheckKind::Reconcile { map, show } => {
                format!("reconcile {} show {show}", self.map_name(*map))
            }
            CheckKind::AssertRows { table, predicate } => format!(
                "assert {}: {}",
                self.ir.table_path(*table),
                self.slice(predicate.span)
            ),
            CheckKind::Metric(m) => format!(
                "{} {} {}",
                self.metrics(&m.left),
                m.op.symbol(),
                self.metrics(&m.right)
            ),
        }
    }

    pub fn metrics(&self, sum: &[(bool, Metric)]) -> String {
        let mut out = String::new();
        for (i, (plus, m)) in sum.iter().enumerate() {
            // The grammar has no sign before the first term.
            if i > 0 {
                out.push_str(if *plus { " + " } else { " - " });
            }
            out.push_str(&match m {
                Metric::Count {
                    table,
                    filter: None,
                } => format!("count {}", self.ir.table_path(*table)),
                Metric::Count {
                    table,
                    filter: Some(f),
                } => format!(
                    "count({} where {})",
                    self.ir.table_path(*table),
                    self.slice(f.span)
                ),
                Metric::Rejected { table } => format!("rejected {}", self.ir.table_path(*table)),
                Metric::Constant(n) => n.to_string(),
            });
        }
        out
    }

    /// A trigger split in what identifies it (`gate g fails`,
    /// `rejected s.t >`) and its threshold, if it has one.
    pub fn trigger(&self, t: &Trigger) -> (String, Option<String>) {
        match t {
            Trigger::GateFails { gate, .. } => {
                (format!("gate {} fails", self.ir.gate(*gate).name), None)
            }
            Trigger::Metric {
                left, op, right, ..
            } => (
                format!("{} {}", self.metrics(left), op.symbol()),
                Some(match right {
                    Threshold::Percent(p) => format!("{p}%"),
                    Threshold::Metric(m) => self.metrics(m),
                }),
            ),
        }
    }

    pub fn step(&self, s: &Step) -> String {
        match s {
            Step::Load(None) => "load".to_owned(),
            Step::Load(Some(m)) => format!("load {}", self.map_name(*m)),
            Step::Gate(g) => format!("gate {}", self.ir.gate(*g).name),
            Step::Rollback => "rollback".to_owned(),
            Step::Manual(t) => quoted(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_comments_do_not_count() {
        let a = normalise("coalesce( notes ,\n   \"\" )  # why\n");
        let b = normalise("coalesce(notes, \"\")");
        assert_eq!(a.key, b.key);
        assert_eq!(a.shown, "coalesce( notes , \"\" )");
        assert_eq!(b.shown, "coalesce(notes, \"\")");
    }

    #[test]
    fn strings_keep_their_spaces_and_hashes() {
        let a = normalise("\"a  # b\"  ++ x");
        assert_eq!(a.shown, "\"a  # b\" ++ x");
        assert_ne!(a.key, normalise("\"a # b\" ++ x").key);
        // An escaped quote does not end the literal.
        assert_eq!(
            normalise(r#""say \"hi  there\"""#).shown,
            r#""say \"hi  there\"""#
        );
    }

    #[test]
    fn words_stay_apart() {
        assert_eq!(
            normalise("x  not  between 0 and 1").key,
            "x not between 0 and 1"
        );
        assert_eq!(normalise("a + b").key, "a+b");
    }

    #[test]
    fn durations_in_the_largest_whole_unit() {
        assert_eq!(duration(3.0 * 1440.0), "3d");
        assert_eq!(duration(14.0 * 1440.0), "2w");
        assert_eq!(duration(90.0), "90m");
        assert_eq!(duration(36.0 * 60.0), "36h");
    }
}
