//! `90_rollback.sql`: returns the loaded target tables exactly to their
//! state before the newest load, by the spec's strategy, and never touches
//! a source table. The load script (30_load.sql) records each batch in
//! `batches` and, for `restore_snapshot`, takes the snapshots made by
//! [`snapshot_statements`].

use crate::dialect::Dialect;
use crate::schema::{target_tables, BATCH_COLUMN};
use cutover_ir::{Ir, RollbackStrategy, TableId};
use std::fmt::Write;

/// The tables the maps load, parents first.
pub fn loaded_tables(ir: &Ir) -> Vec<TableId> {
    target_tables(ir)
        .into_iter()
        .filter(|t| ir.maps.iter().any(|m| m.target == *t))
        .collect()
}

/// The strategy the spec declares; without one, `delete_batch`, which
/// removes only rows the load inserted.
pub fn strategy(ir: &Ir) -> RollbackStrategy {
    ir.rollback
        .as_ref()
        .and_then(|r| r.strategy)
        .unwrap_or(RollbackStrategy::DeleteBatch)
}

fn snapshot_table(ir: &Ir, d: &dyn Dialect, t: TableId) -> String {
    let table = ir.table(t);
    d.meta_table(&format!(
        "snapshot__{}__{}",
        ir.system(table.system).name,
        table.name
    ))
}

fn qualified(ir: &Ir, d: &dyn Dialect, t: TableId) -> String {
    let table = ir.table(t);
    d.table(&ir.system(table.system).name, &table.name)
}

/// Copies of every loaded table, taken by the load before it writes
/// (`restore_snapshot`); a second load replaces them.
pub fn snapshot_statements(ir: &Ir, d: &dyn Dialect) -> String {
    let mut out = String::new();
    for t in loaded_tables(ir) {
        let snap = snapshot_table(ir, d, t);
        let _ = writeln!(out, "DROP TABLE IF EXISTS {snap};");
        let _ = writeln!(
            out,
            "CREATE TABLE {snap} AS SELECT * FROM {};",
            qualified(ir, d, t)
        );
    }
    out
}

/// The rollback script's statements (without the header).
pub fn rollback(ir: &Ir, d: &dyn Dialect) -> String {
    let id = |s: &str| d.ident(s);
    let batches = d.meta_table("batches");
    // The batch being rolled back: the newest one loaded, or still loading
    // (a runner that commits as it goes and was stopped part-way).
    let batch = format!(
        "(SELECT max({}) FROM {batches} WHERE {} IN ('loading', 'loaded'))",
        id("batch_id"),
        id("status")
    );
    let tables = loaded_tables(ir);
    let mut out = String::new();
    let strategy = strategy(ir);
    let _ = writeln!(
        out,
        "-- Strategy: {}. Touches only the target tables the maps load and\n-- Cutover's own tables; no source table is read or written.\n",
        match strategy {
            RollbackStrategy::Truncate => "truncate (the target was empty before the load)",
            RollbackStrategy::DeleteBatch => "delete_batch (remove the rows of the newest loaded batch)",
            RollbackStrategy::RestoreSnapshot => "restore_snapshot (put back the copies the load took)",
        }
    );
    out.push_str("BEGIN;\n\n");
    // Children first, so no foreign key ever points at a removed row.
    for t in tables.iter().rev() {
        let target = qualified(ir, d, *t);
        let _ = match strategy {
            RollbackStrategy::DeleteBatch => writeln!(
                out,
                "DELETE FROM {target} WHERE {} = {batch};",
                id(BATCH_COLUMN)
            ),
            RollbackStrategy::Truncate | RollbackStrategy::RestoreSnapshot => {
                writeln!(out, "DELETE FROM {target};")
            }
        };
    }
    if strategy == RollbackStrategy::RestoreSnapshot {
        out.push('\n');
        // Parents first, so every restored reference finds its row.
        for t in &tables {
            let cols: Vec<String> = ir
                .table(*t)
                .columns
                .iter()
                .map(|c| id(&ir.column(*c).name))
                .chain([id(BATCH_COLUMN)])
                .collect();
            let cols = cols.join(", ");
            let _ = writeln!(
                out,
                "INSERT INTO {} ({cols}) SELECT {cols} FROM {};",
                qualified(ir, d, *t),
                snapshot_table(ir, d, *t)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nDELETE FROM {} WHERE {} = {batch};",
        d.meta_table("quarantine"),
        id("batch_id")
    );
    let _ = writeln!(
        out,
        "UPDATE {batches} SET {} = 'rolled_back', {} = {} WHERE {} = {batch};",
        id("status"),
        id("finished_at"),
        d.now(),
        id("batch_id")
    );
    out.push_str("\nCOMMIT;\n");
    out
}
