//! `test_transforms.py`: a pytest test per `example` block of the spec,
//! run through the engine as `cutover test` runs them through the
//! evaluator.

use crate::expr::Block;
use crate::expr::{python_name, string, Py};
use crate::lit::Lit;
use crate::transforms::{docstring, Names};
use cutover_eval::Value;
use cutover_ir::{Expectation, Ir, Row};

fn row_dict(py: &Py<'_>, ir: &Ir, row: &Row) -> Lit {
    Lit::Dict(
        row.values
            .iter()
            .map(|(c, v, _)| {
                let col = ir.column(*c);
                let value = Value::from_const(v, col.ty.kind).unwrap_or(Value::Null);
                (
                    string(&col.name),
                    Lit::Atom(py.constant(&value, col.ty.kind)),
                )
            })
            .collect(),
    )
}

/// The test module.
pub fn tests(ir: &Ir, header: &str) -> String {
    let py = Py::new(ir);
    let mut names = Names::default();
    let mut defs = Vec::new();
    for ex in &ir.examples {
        let map = ir.map(ex.map);
        let name = names.unique(&format!("test_{}", python_name(&ex.name)));
        let mut b = Block::new(1);
        docstring(
            &mut b,
            &format!("example {} for {}.", string(&ex.name), map.name),
        );
        b.push(format!("m = MAPS[{}]", string(&map.name)));
        let mut given: Vec<Lit> = vec![Lit::Tuple(Vec::new()); map.sources.len()];
        let mut per_source: Vec<Vec<Lit>> = vec![Vec::new(); map.sources.len()];
        for (source, rows) in &ex.given {
            if let Some(list) = per_source.get_mut(*source as usize) {
                for r in rows {
                    list.push(Lit::Call(
                        "complete".into(),
                        vec![
                            Lit::Atom("m".into()),
                            Lit::Atom(source.to_string()),
                            row_dict(&py, ir, r),
                        ],
                    ));
                }
            }
        }
        for (slot, rows) in given.iter_mut().zip(per_source) {
            *slot = Lit::List(rows);
        }
        b.lines.extend(Lit::List(given).statement(1, "given = "));
        b.push("out = run_example(m, given, NOW)");
        match &ex.expect {
            Expectation::Rows(rows) => {
                let expect = Lit::List(rows.iter().map(|r| row_dict(&py, ir, r)).collect());
                b.lines.extend(
                    Lit::Call(
                        "check_rows".into(),
                        vec![Lit::Atom("m".into()), Lit::Atom("out".into()), expect],
                    )
                    .statement(1, ""),
                );
            }
            Expectation::Reject { rule, reason, .. } => {
                b.lines.extend(
                    Lit::Call(
                        "check_reject".into(),
                        vec![
                            Lit::Atom("m".into()),
                            Lit::Atom("out".into()),
                            Lit::Atom(string(reason)),
                            Lit::Atom(rule.as_deref().map(string).unwrap_or_else(|| "None".into())),
                        ],
                    )
                    .statement(1, ""),
                );
            }
            // Runs the map: it must not raise.
            Expectation::Nothing => {}
        }
        defs.push(format!("def {name}() -> None:\n{}\n", b.lines.join("\n")));
    }
    let mut out = String::new();
    out.push_str(header);
    out.push_str("\nfrom __future__ import annotations\n\nimport datetime\n\n");
    let constants = py.constants.borrow();
    if !constants.is_empty() {
        out.push_str("from . import cutover_runtime as rt\n");
    }
    let used = |f: &str| defs.iter().any(|d| d.contains(&format!("{f}(")));
    let mut engine: Vec<&str> = ["check_reject", "check_rows", "complete", "run_example"]
        .into_iter()
        .filter(|f| used(f))
        .collect();
    engine.sort_unstable();
    if !engine.is_empty() {
        out.push_str(&format!("from .engine import {}\n", engine.join(", ")));
    }
    if !defs.is_empty() {
        out.push_str("from .transforms import MAPS\n");
    }
    out.push_str("\n# The run's clock, as `cutover test` uses it.\nNOW = datetime.datetime.now(datetime.timezone.utc)\n");
    for (name, e) in constants.iter() {
        out.push_str(&format!("{name} = {e}\n"));
    }
    for d in defs {
        out.push_str("\n\n");
        out.push_str(&d);
    }
    out
}
