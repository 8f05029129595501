//! `10_schema.sql`: the target tables with their keys, constraints and
//! foreign-key indexes, plus Cutover's quarantine and batch tables.

use crate::dialect::Dialect;
use crate::expr::{SqlExpr, Unsupported};
use cutover_ir::{Ir, Role, TableId};
use std::fmt::Write;

/// The column every loaded row carries: the batch that inserted it, so a
/// `delete_batch` rollback removes exactly that batch (NULL for rows the
/// target held before).
pub const BATCH_COLUMN: &str = "cutover_batch_id";

/// Target tables parents first, so every `REFERENCES` names a table that
/// exists; a table's reference to itself does not order it.
pub fn target_tables(ir: &Ir) -> Vec<TableId> {
    let targets: Vec<TableId> = (0..ir.tables.len())
        .map(|i| TableId(i as u32))
        .filter(|t| ir.system(ir.table(*t).system).role == Role::Target)
        .collect();
    let mut placed: Vec<TableId> = Vec::with_capacity(targets.len());
    let mut state = vec![0u8; ir.tables.len()];
    fn visit(ir: &Ir, t: TableId, state: &mut [u8], placed: &mut Vec<TableId>) {
        if state[t.index()] != 0 {
            return; // placed, or on the path: a cycle (E0325) keeps spec order
        }
        state[t.index()] = 1;
        for fk in &ir.table(t).foreign_keys {
            if fk.table != t {
                visit(ir, fk.table, state, placed);
            }
        }
        state[t.index()] = 2;
        placed.push(t);
    }
    for t in &targets {
        visit(ir, *t, &mut state, &mut placed);
    }
    placed.retain(|t| targets.contains(t));
    placed
}

/// The schema script's statements (without the header).
pub fn schema(ir: &Ir, d: &dyn Dialect) -> Result<String, Unsupported> {
    let mut out = String::new();
    let tables = target_tables(ir);
    if d.transactional_ddl() {
        out.push_str("BEGIN;\n\n");
    }
    let mut namespaces: Vec<&str> = Vec::new();
    for t in &tables {
        let sys = &ir.system(ir.table(*t).system).name;
        if !namespaces.contains(&sys.as_str()) {
            namespaces.push(sys);
        }
    }
    namespaces.push("cutover");
    for ns in namespaces {
        if let Some(stmt) = d.create_namespace(ns) {
            let _ = writeln!(out, "{stmt}");
        }
    }
    out.push('\n');
    let runtime = d.runtime();
    if !runtime.is_empty() {
        out.push_str(&runtime);
        out.push('\n');
    }
    meta_tables(d, &mut out);
    if ir.maps.iter().any(|m| m.batch.is_some()) {
        checkpoints_table(d, &mut out);
    }
    if ir.maps.iter().any(|m| m.incremental.is_some()) {
        watermarks_table(d, &mut out);
    }
    for t in tables {
        table(ir, d, t, &mut out)?;
    }
    for t in crate::sync::synced_tables(ir) {
        undo_table(ir, d, t, &mut out);
    }
    if d.transactional_ddl() {
        out.push_str("COMMIT;\n");
    }
    Ok(out)
}

fn meta_tables(d: &dyn Dialect, out: &mut String) {
    let id = |s: &str| d.ident(s);
    let _ = writeln!(
        out,
        "-- One row per load run; every loaded row carries its batch id.\n\
         CREATE TABLE IF NOT EXISTS {} (\n  {} {} PRIMARY KEY,\n  {} {} NOT NULL,\n  {} {} NOT NULL,\n  {} {},\n  {} {} NOT NULL\n){};\n",
        d.meta_table("batches"),
        id("batch_id"),
        d.column_type(cutover_ir::TypeKind::BigInt),
        id("spec_sha256"),
        d.column_type(cutover_ir::TypeKind::Text),
        id("started_at"),
        d.instant_type(),
        id("finished_at"),
        d.instant_type(),
        id("status"),
        d.column_type(cutover_ir::TypeKind::Text),
        d.table_options(),
    );
    let text = d.column_type(cutover_ir::TypeKind::Text);
    let _ = writeln!(
        out,
        "-- Rows a map rejected: never lost, each with its rule and reason.\n\
         CREATE TABLE IF NOT EXISTS {} (\n  {} {} PRIMARY KEY,\n  {} {} NOT NULL,\n  {} {text} NOT NULL,\n  {} {text} NOT NULL,\n  {} {text},\n  {} {text},\n  {} {text},\n  {} {text} NOT NULL,\n  {} {text},\n  {} {} NOT NULL\n){};\n",
        d.meta_table("quarantine"),
        id("quarantine_id"),
        d.serial_key(),
        id("batch_id"),
        d.column_type(cutover_ir::TypeKind::BigInt),
        id("map_name"),
        id("source_table"),
        id("source_key"),
        id("rule_id"),
        id("column_name"),
        id("reason"),
        id("source_row"),
        id("quarantined_at"),
        d.instant_type(),
        d.table_options(),
    );
    // A rerun looks every rejected row up by map and source key.
    let _ = writeln!(
        out,
        "{}\n",
        d.meta_index(
            "quarantine",
            "quarantine_source_key",
            &[id("map_name"), id("source_key")]
        )
    );
}

/// `batch N by col`: one row per committed chunk of a map, so that a
/// stopped load resumes after the last one.
fn checkpoints_table(d: &dyn Dialect, out: &mut String) {
    let id = |s: &str| d.ident(s);
    let text = d.column_type(cutover_ir::TypeKind::Text);
    let bigint = d.column_type(cutover_ir::TypeKind::BigInt);
    let _ = writeln!(
        out,
        "-- Chunks of `batch` maps committed: the last key of each, its rows and when.\n\
         CREATE TABLE IF NOT EXISTS {} (\n  {} {bigint} NOT NULL,\n  {} {text} NOT NULL,\n  {} {bigint} NOT NULL,\n  {} {text} NOT NULL,\n  {} {bigint} NOT NULL,\n  {} {} NOT NULL,\n  PRIMARY KEY ({}, {}, {})\n){};\n",
        d.meta_table("checkpoints"),
        id("batch_id"),
        id("map_name"),
        id("chunk"),
        id("last_key"),
        id("rows"),
        id("committed_at"),
        d.instant_type(),
        id("batch_id"),
        id("map_name"),
        id("chunk"),
        d.table_options(),
    );
}

/// `incremental` maps: the watermark of each load and sync, with the rows
/// each sync upserted and deleted.
fn watermarks_table(d: &dyn Dialect, out: &mut String) {
    let id = |s: &str| d.ident(s);
    let text = d.column_type(cutover_ir::TypeKind::Text);
    let bigint = d.column_type(cutover_ir::TypeKind::BigInt);
    let _ = writeln!(
        out,
        "-- The watermark of each load and sync of an `incremental` map: the largest\n-- value of its column when the load or sync began.\n\
         CREATE TABLE IF NOT EXISTS {} (\n  {} {text} NOT NULL,\n  {} {bigint} NOT NULL,\n  {} {text},\n  {} {} NOT NULL,\n  {} {bigint} NOT NULL,\n  {} {bigint} NOT NULL,\n  PRIMARY KEY ({}, {})\n){};\n",
        d.meta_table("watermarks"),
        id("map_name"),
        id("batch_id"),
        id("watermark"),
        id("recorded_at"),
        d.instant_type(),
        id("upserted"),
        id("deleted"),
        id("map_name"),
        id("batch_id"),
        d.table_options(),
    );
}

/// The before-images a sync keeps of the rows it changes in a target
/// table, so that `91_sync_rollback.sql` can undo it: the table's columns
/// (all nullable: an insert keeps only its key), the batch column, the
/// sync, and the operation.
fn undo_table(ir: &Ir, d: &dyn Dialect, t: TableId, out: &mut String) {
    let id = |s: &str| d.ident(s);
    let mut lines: Vec<String> = ir
        .table(t)
        .columns
        .iter()
        .map(|c| {
            let col = ir.column(*c);
            format!("{} {}", id(&col.name), d.column_type(col.ty.kind))
        })
        .collect();
    lines.push(format!(
        "{} {}",
        id(BATCH_COLUMN),
        d.column_type(cutover_ir::TypeKind::BigInt)
    ));
    lines.push(format!(
        "{} {} NOT NULL",
        id("cutover_sync_id"),
        d.column_type(cutover_ir::TypeKind::BigInt)
    ));
    lines.push(format!(
        "{} {} NOT NULL",
        id("cutover_op"),
        d.column_type(cutover_ir::TypeKind::Text)
    ));
    let _ = writeln!(
        out,
        "-- Before-images of the rows syncs change in {}.\nCREATE TABLE IF NOT EXISTS {} (\n  {}\n){};\n",
        ir.table_path(t),
        crate::sync::undo_table(ir, d, t),
        lines.join(",\n  "),
        d.table_options(),
    );
}

fn table(ir: &Ir, d: &dyn Dialect, t: TableId, out: &mut String) -> Result<(), Unsupported> {
    let table = ir.table(t);
    let sys = &ir.system(table.system).name;
    let by_name = |_: u32, c: cutover_ir::ColumnId| d.ident(&ir.column(c).name);
    let sql = SqlExpr {
        ir,
        dialect: d,
        column: &by_name,
    };
    let mut lines: Vec<String> = Vec::new();
    for c in &table.columns {
        let col = ir.column(*c);
        let mut line = format!("{} {}", d.ident(&col.name), d.column_type(col.ty.kind));
        if !col.ty.nullable {
            line.push_str(" NOT NULL");
        }
        if let Some(def) = &col.default {
            let _ = write!(line, " DEFAULT ({})", sql.compile(def)?);
        }
        let mut checks = d.type_checks(&col.name, col.ty.kind);
        for ch in &col.checks {
            checks.push(sql.compile(ch)?);
        }
        for ch in checks {
            let _ = write!(line, " CHECK ({ch})");
        }
        lines.push(line);
    }
    lines.push(format!(
        "{} {}",
        d.ident(BATCH_COLUMN),
        d.column_type(cutover_ir::TypeKind::BigInt)
    ));
    let cols = |ids: &[cutover_ir::ColumnId]| -> String {
        ids.iter()
            .map(|c| d.ident(&ir.column(*c).name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !table.primary_key.is_empty() {
        lines.push(format!("PRIMARY KEY ({})", cols(&table.primary_key)));
    }
    for u in &table.uniques {
        lines.push(format!("UNIQUE ({})", cols(u)));
    }
    for c in &table.columns {
        if ir.column(*c).unique && !table.uniques.iter().any(|u| u == &[*c]) {
            lines.push(format!("UNIQUE ({})", cols(&[*c])));
        }
    }
    for ch in &table.checks {
        lines.push(format!("CHECK ({})", sql.compile(ch)?));
    }
    for fk in &table.foreign_keys {
        let parent = ir.table(fk.table);
        lines.push(format!(
            "FOREIGN KEY ({}) REFERENCES {} ({})",
            cols(&fk.columns),
            d.references(&ir.system(parent.system).name, &parent.name),
            cols(&fk.ref_columns)
        ));
    }
    let _ = writeln!(
        out,
        "CREATE TABLE IF NOT EXISTS {} (\n  {}\n){};",
        d.table(sys, &table.name),
        lines.join(",\n  "),
        d.table_options()
    );
    // Foreign keys are not indexed by the databases themselves; loads and
    // the `fk … resolves` gates join on them.
    for fk in &table.foreign_keys {
        let names: Vec<String> = fk
            .columns
            .iter()
            .map(|c| ir.column(*c).name.clone())
            .collect();
        let index = format!("{}_{}_fk", table.name, names.join("_"));
        let quoted: Vec<String> = names.iter().map(|n| d.ident(n)).collect();
        let _ = writeln!(out, "{}", d.create_index(sys, &table.name, &index, &quoted));
    }
    let _ = writeln!(
        out,
        "{}",
        d.create_index(
            sys,
            &table.name,
            &format!("{}_{BATCH_COLUMN}", table.name),
            &[d.ident(BATCH_COLUMN)]
        )
    );
    out.push('\n');
    Ok(())
}
