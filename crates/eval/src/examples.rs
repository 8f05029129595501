//! Spec examples: `given` rows run through their map and compared with
//! `expect` rows or an expected rejection.
//!
//! An expected row names only the columns it checks. Rows match in order
//! or, failing that, as a multiset (each expected row pairs with a
//! different actual row), since row order is not part of a map's meaning.

use crate::expr::Engine;
use crate::map::{MapOutput, Rows};
use crate::value::{compare, Value};
use chrono::NaiveDateTime;
use cutover_diagnostics::{codes, Diagnostic, Span};
use cutover_ir::{ColumnId, Example, Expectation, Ir, Row, TableId};
use std::cmp::Ordering;

/// The result of one example.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleReport {
    pub name: String,
    /// The map's name.
    pub map: String,
    pub span: Span,
    pub outcome: Outcome,
}

/// Whether an example passed, and if not, what differed.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Passed,
    Failed {
        message: String,
        /// A unified diff of expected (`-`) against actual (`+`).
        diff: Option<String>,
    },
}

/// Example values that do not convert to their column's type (E0401), and
/// `given` rows that leave a not-null source column empty (E0402).
pub fn example_diagnostics(ir: &Ir) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for ex in &ir.examples {
        let m = ir.map(ex.map);
        for (source, rows) in &ex.given {
            let Some(s) = m.sources.get(*source as usize) else {
                continue;
            };
            for row in rows {
                check_values(ir, row, &mut out);
                for c in &ir.table(s.table).columns {
                    let col = ir.column(*c);
                    let given = row
                        .values
                        .iter()
                        .find(|(id, _, _)| id == c)
                        .map(|(_, v, _)| v);
                    let empty = matches!(given, None | Some(cutover_ir::Const::Null));
                    if !col.ty.nullable && empty {
                        let d = Diagnostic::new(
                            codes::EXAMPLE_MISSING_VALUE,
                            format!(
                                "this `given` row leaves `{}` empty, but it is not null",
                                ir.column_path(*c)
                            ),
                        )
                        .primary(row.span, format!("no value for `{}`", col.name))
                        .help(format!(
                            "give it a value, for example `{}: …`; a real source row always has one",
                            col.name
                        ));
                        out.push(d);
                    }
                }
            }
        }
        if let Expectation::Rows(rows) = &ex.expect {
            for row in rows {
                check_values(ir, row, &mut out);
            }
        }
    }
    out
}

fn check_values(ir: &Ir, row: &Row, out: &mut Vec<Diagnostic>) {
    for (c, v, span) in &row.values {
        let col = ir.column(*c);
        if let Err(f) = Value::from_const(v, col.ty.kind) {
            let d = Diagnostic::new(
                codes::EXAMPLE_VALUE,
                format!("this value does not fit `{}`", ir.column_path(*c)),
            )
            .primary(*span, format!("{f}"))
            .help(format!(
                "`{}` is {}; write the value in that type's form (docs/functions.md, \"Casts\")",
                col.name, col.ty.kind
            ));
            out.push(d);
        }
    }
}

/// Builds the rows of a table from example rows: unnamed columns are NULL.
fn table_rows(engine: &Engine<'_>, table: TableId, rows: &[Row]) -> Rows {
    let ir = engine.ir;
    let width = ir.table(table).columns.len();
    rows.iter()
        .map(|r| {
            let mut values = vec![Value::Null; width];
            for (c, v, _) in &r.values {
                values[engine.position[c.index()]] =
                    Value::from_const(v, ir.column(*c).ty.kind).unwrap_or(Value::Null);
            }
            values
        })
        .collect()
}

/// Runs every example of the spec. The IR must have passed the checks
/// (including [`example_diagnostics`]).
pub fn run_examples(ir: &Ir, now: NaiveDateTime) -> Vec<ExampleReport> {
    let engine = Engine::new(ir, now);
    ir.examples
        .iter()
        .map(|ex| ExampleReport {
            name: ex.name.clone(),
            map: ir.map(ex.map).name.clone(),
            span: ex.span,
            outcome: run_example(&engine, ex),
        })
        .collect()
}

fn run_example(engine: &Engine<'_>, ex: &Example) -> Outcome {
    let ir = engine.ir;
    let m = ir.map(ex.map);
    let mut inputs: Vec<Rows> = vec![Vec::new(); m.sources.len()];
    for (source, rows) in &ex.given {
        if let Some(s) = m.sources.get(*source as usize) {
            inputs[*source as usize].extend(table_rows(engine, s.table, rows));
        }
    }
    let out = engine.run_map(ex.map, &inputs);
    match &ex.expect {
        Expectation::Nothing => Outcome::Passed,
        Expectation::Rows(expected) => compare_rows(engine, m.target, expected, &out),
        Expectation::Reject { rule, reason, .. } => {
            compare_reject(engine, m.target, rule.as_deref(), reason, &out)
        }
    }
}

/// Whether an actual value is what the example expects. Floats agree when
/// they agree to 15 significant digits, so `0.1 + 0.2` matches `0.3`.
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Float(x), Value::Float(y)) => format!("{x:.14e}") == format!("{y:.14e}"),
        (e, a) => compare(e, a) == Some(Ordering::Equal),
    }
}

type Expected = Vec<(ColumnId, Value)>;

fn matches(engine: &Engine<'_>, e: &Expected, row: &[Value]) -> bool {
    e.iter().all(|(c, v)| {
        row.get(engine.position[c.index()])
            .is_some_and(|a| same(v, a))
    })
}

fn render(engine: &Engine<'_>, cols: &[ColumnId], row: &[Value]) -> String {
    let fields: Vec<String> = cols
        .iter()
        .map(|c| {
            let v = row
                .get(engine.position[c.index()])
                .map(Value::display)
                .unwrap_or_else(|| "null".into());
            format!("{}: {v}", engine.ir.column(*c).name)
        })
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

fn render_rejection(engine: &Engine<'_>, r: &crate::map::Rejection) -> String {
    let col = r
        .column
        .map(|c| format!(" (computing `{}`)", engine.ir.column(c).name))
        .unwrap_or_default();
    match &r.rule {
        Some(rule) => format!("reject {rule} {}{col}", crate::value::quote(&r.reason)),
        None => format!("reject {}{col}", crate::value::quote(&r.reason)),
    }
}

fn unified(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

fn compare_rows(
    engine: &Engine<'_>,
    target: TableId,
    expected: &[Row],
    out: &MapOutput,
) -> Outcome {
    let ir = engine.ir;
    let want: Vec<Expected> = expected
        .iter()
        .map(|r| {
            r.values
                .iter()
                .map(|(c, v, _)| {
                    (
                        *c,
                        Value::from_const(v, ir.column(*c).ty.kind).unwrap_or(Value::Null),
                    )
                })
                .collect()
        })
        .collect();
    let in_order = want.len() == out.rows.len()
        && want
            .iter()
            .zip(&out.rows)
            .all(|(e, a)| matches(engine, e, a));
    if in_order && out.rejected.is_empty() {
        return Outcome::Passed;
    }
    // Any order: pair each expected row with a different actual row (a
    // maximum bipartite matching, so no valid pairing is missed).
    if want.len() == out.rows.len() && out.rejected.is_empty() {
        let fits: Vec<Vec<usize>> = want
            .iter()
            .map(|e| {
                (0..out.rows.len())
                    .filter(|&i| matches(engine, e, &out.rows[i]))
                    .collect()
            })
            .collect();
        if perfect_matching(&fits, out.rows.len()) {
            return Outcome::Passed;
        }
    }
    // Show each actual row with the columns its expected row names.
    let mut every: Vec<ColumnId> = Vec::new();
    for e in &want {
        for (c, _) in e {
            if !every.contains(c) {
                every.push(*c);
            }
        }
    }
    if every.is_empty() {
        every = ir.table(target).columns.clone();
    }
    let cols = |i: usize| -> Vec<ColumnId> {
        match want.get(i) {
            Some(e) if !e.is_empty() => e.iter().map(|(c, _)| *c).collect(),
            _ => every.clone(),
        }
    };
    let mut exp_text = String::new();
    for e in &want {
        let cs: Vec<ColumnId> = e.iter().map(|(c, _)| *c).collect();
        let row: Vec<Value> = {
            let mut r = vec![Value::Null; ir.table(target).columns.len()];
            for (c, v) in e {
                r[engine.position[c.index()]] = v.clone();
            }
            r
        };
        exp_text.push_str(&render(engine, &cs, &row));
        exp_text.push('\n');
    }
    let mut act_text = String::new();
    for (i, a) in out.rows.iter().enumerate() {
        act_text.push_str(&render(engine, &cols(i), a));
        act_text.push('\n');
    }
    for r in &out.rejected {
        act_text.push_str(&render_rejection(engine, r));
        act_text.push('\n');
    }
    let message = if !out.rejected.is_empty() {
        format!(
            "expected {} row{}, but the map rejected {} and produced {}",
            want.len(),
            if want.len() == 1 { "" } else { "s" },
            out.rejected.len(),
            out.rows.len()
        )
    } else if want.len() != out.rows.len() {
        format!(
            "expected {} rows, the map produced {}",
            want.len(),
            out.rows.len()
        )
    } else {
        "the rows differ".to_owned()
    };
    Outcome::Failed {
        message,
        diff: Some(unified(&exp_text, &act_text)),
    }
}

/// Whether every left node can be paired with a distinct right node
/// (Kuhn's augmenting paths; examples are small).
fn perfect_matching(edges: &[Vec<usize>], right: usize) -> bool {
    fn augment(
        l: usize,
        edges: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &r in &edges[l] {
            if seen[r] {
                continue;
            }
            seen[r] = true;
            if owner[r].is_none_or(|o| augment(o, edges, seen, owner)) {
                owner[r] = Some(l);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; right];
    (0..edges.len()).all(|l| augment(l, edges, &mut vec![false; right], &mut owner))
}

fn compare_reject(
    engine: &Engine<'_>,
    target: TableId,
    rule: Option<&str>,
    reason: &str,
    out: &MapOutput,
) -> Outcome {
    let fits = |r: &crate::map::Rejection| {
        r.reason == reason && rule.is_none_or(|want| r.rule.as_deref() == Some(want))
    };
    if out.rows.is_empty() && !out.rejected.is_empty() && out.rejected.iter().all(fits) {
        return Outcome::Passed;
    }
    let expected = match rule {
        Some(r) => format!("reject {r} {}\n", crate::value::quote(reason)),
        None => format!("reject {}\n", crate::value::quote(reason)),
    };
    let ir = engine.ir;
    let mut actual = String::new();
    for r in &out.rejected {
        actual.push_str(&render_rejection(engine, r));
        actual.push('\n');
    }
    let cols = &ir.table(target).columns;
    for row in &out.rows {
        actual.push_str(&render(engine, cols, row));
        actual.push('\n');
    }
    let message = if out.rejected.is_empty() && out.rows.is_empty() {
        "expected a rejection, but the map produced no row and rejected none (a `where` or an inner join left the rows out)".to_owned()
    } else if out.rejected.is_empty() {
        format!(
            "expected a rejection, but the map produced {} row{}",
            out.rows.len(),
            if out.rows.len() == 1 { "" } else { "s" }
        )
    } else {
        "the rejection differs".to_owned()
    };
    Outcome::Failed {
        message,
        diff: Some(unified(&expected, &actual)),
    }
}

#[cfg(test)]
mod tests {
    use super::perfect_matching;

    #[test]
    fn matching_finds_a_pairing_greedy_misses() {
        // Expected row 0 fits actual 0 and 1; row 1 fits only actual 0.
        assert!(perfect_matching(&[vec![0, 1], vec![0]], 2));
        assert!(!perfect_matching(&[vec![0], vec![0]], 2));
        assert!(perfect_matching(&[], 0));
    }
}
