//! Runs every map of the shipped examples over their sample data (and the
//! deliberately broken data sets) and snapshots what the evaluator loads and
//! rejects. These figures are what the SQL and Python backends must
//! reproduce, row for row.

use chrono::NaiveDate;
use cutover_eval::{csv, Engine, Rows};
use cutover_ir::{Ir, Role};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

fn summary(ir: &Ir, data: &Path) -> String {
    let now = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid");
    let engine = Engine::new(ir, now);
    let mut tables: BTreeMap<u32, Rows> = BTreeMap::new();
    for (i, t) in ir.tables.iter().enumerate() {
        if ir.system(t.system).role != Role::Source {
            continue;
        }
        let file = data.join(format!("{}.csv", t.name));
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let rows = csv::table_rows(ir, cutover_ir::TableId(i as u32), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        tables.insert(i as u32, rows);
    }
    let mut out = String::new();
    let order = cutover_check::load_order(ir).expect("no cycle");
    for map in order {
        let m = ir.map(map);
        let inputs: Vec<Rows> = m
            .sources
            .iter()
            .map(|s| tables.get(&s.table.0).cloned().unwrap_or_default())
            .collect();
        let result = engine.run_map(map, &inputs);
        let _ = writeln!(
            out,
            "{}: {} source rows -> {} target rows, {} rejected, {} left out",
            m.name,
            inputs[0].len(),
            result.rows.len(),
            result.rejected.len(),
            result.left_out.len()
        );
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for r in &result.rejected {
            let key = match &r.rule {
                Some(rule) => format!("{rule} {}", r.reason),
                None => r.reason.clone(),
            };
            *reasons.entry(key).or_default() += 1;
        }
        for (reason, n) in reasons {
            let _ = writeln!(out, "  rejected {n}: {reason}");
        }
        // The first rows in full, so a change of meaning shows in review.
        let cols = &ir.table(m.target).columns;
        for row in result.rows.iter().take(2) {
            let fields: Vec<String> = cols
                .iter()
                .zip(row)
                .map(|(c, v)| format!("{}: {}", ir.column(*c).name, v.display()))
                .collect();
            let _ = writeln!(out, "  {{ {} }}", fields.join(", "));
        }
    }
    out
}

#[test]
fn shipped_sample_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    for (spec, sets) in [
        ("crm", &["data", "data-broken", "data-broken-preflight"][..]),
        ("ai-platform", &["data", "data-broken"][..]),
        ("user-management", &["data"][..]),
    ] {
        let text =
            std::fs::read_to_string(root.join(spec).join(format!("{spec}.cutover"))).expect("spec");
        let compiled = cutover_check::compile(&text);
        assert!(!compiled.has_errors(), "{spec} has errors");
        let ir = compiled.ir.expect("ir");
        for set in sets {
            let dir = root.join(spec).join(set);
            assert!(dir.is_dir(), "{}", dir.display());
            insta::assert_snapshot!(format!("{spec}-{set}"), summary(&ir, &dir));
        }
    }
}
