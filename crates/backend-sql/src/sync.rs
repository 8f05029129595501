//! Incremental syncs of `incremental by col` maps, after the initial load:
//! `32_sync.sql` upserts the source rows changed since the last watermark
//! and removes the rows the spec says are deleted; `91_sync_rollback.sql`
//! undoes the newest sync from the before-images it kept.
//!
//! A watermark is the largest value of the map's column in the source,
//! taken before the rows are read: by the load (30_load.sql) and by each
//! sync. A sync reads the rows whose column is at or past the last
//! watermark, less the spec's `skew`: at, because rows sharing the
//! watermark's value may commit after it was taken (reading a row twice is
//! harmless, the upsert is idempotent); less the skew, because a row
//! written by a server whose clock lags carries a value already passed.
//!
//! One sync is one transaction and one batch (`status` `syncing`, then
//! `synced`): the rows it writes carry its batch id, its watermarks and
//! rejected rows too. Upserts run parents first; deletions children first.
//! A row the map rejects is quarantined and its target row left as it was.

use crate::dialect::Dialect;
use crate::expr::{Compiler, Unsupported};
use crate::load::{
    begin_transaction, clock, current_batch, indent, map_order, plan, qualified, start_time,
};
use crate::schema::BATCH_COLUMN;
use cutover_ir::{Deletes, Expr, ExprKind, Incremental, Ir, MapId, TableId, Type, TypeKind};
use std::fmt::Write;

/// The undo table of a target table: its columns, the batch column, and
/// the sync and operation each before-image belongs to.
pub fn undo_table(ir: &Ir, d: &dyn Dialect, t: TableId) -> String {
    let table = ir.table(t);
    d.meta_table(&format!(
        "undo_{}_{}",
        ir.system(table.system).name,
        table.name
    ))
}

/// The target tables that incremental maps write, parents first.
pub fn synced_tables(ir: &Ir) -> Vec<TableId> {
    crate::rollback::loaded_tables(ir)
        .into_iter()
        .filter(|t| {
            ir.maps
                .iter()
                .any(|m| m.target == *t && m.incremental.is_some())
        })
        .collect()
}

/// Rows for the watermarks table, one per incremental map: the largest
/// value of its column now, as text, for the current batch. Taken before
/// the rows are read.
pub fn record_watermarks(ir: &Ir, d: &dyn Dialect) -> String {
    let id = |s: &str| d.ident(s);
    let mut out = String::new();
    for m in &ir.maps {
        let Some(inc) = &m.incremental else { continue };
        let _ = writeln!(
            out,
            "INSERT INTO {} ({}, {}, {}, {}, {}, {})\nSELECT {}, {}, CAST(max(s.{}) AS {}), {}, 0, 0\n  FROM {} AS s\n WHERE NOT EXISTS (SELECT 1 FROM {} AS w WHERE w.{} = {} AND w.{} = {});",
            d.meta_table("watermarks"),
            id("map_name"),
            id("batch_id"),
            id("watermark"),
            id("recorded_at"),
            id("upserted"),
            id("deleted"),
            d.text(&m.name),
            current_batch(d),
            id(&ir.column(inc.column).name),
            d.column_type(TypeKind::Text),
            start_time(d),
            qualified(ir, d, m.source()),
            d.meta_table("watermarks"),
            id("map_name"),
            d.text(&m.name),
            id("batch_id"),
            current_batch(d),
        );
    }
    out
}

/// The last watermark of a map before the current batch, as the column's
/// type, less the skew.
fn since(ir: &Ir, d: &dyn Dialect, map: &cutover_ir::Map, inc: &Incremental) -> String {
    let id = |s: &str| d.ident(s);
    let kind = ir.column(inc.column).ty.kind;
    let last = format!(
        "(SELECT CAST(w.{} AS {}) FROM {} AS w WHERE w.{} = {} AND w.{} < {} ORDER BY w.{} DESC LIMIT 1)",
        id("watermark"),
        d.column_type(kind),
        d.meta_table("watermarks"),
        id("map_name"),
        d.text(&map.name),
        id("batch_id"),
        current_batch(d),
        id("batch_id"),
    );
    less_skew(d, last, kind, inc)
}

/// A watermark `last` (of the column's type) less the map's `skew`: the
/// bound of the rows a sync reads again.
pub fn less_skew(d: &dyn Dialect, last: String, kind: TypeKind, inc: &Incremental) -> String {
    if inc.skew_seconds == 0 {
        last
    } else {
        d.minus_seconds(&last, kind, inc.skew_seconds)
    }
}

/// `expr` with its type: a `bool` built from others.
fn boolean(kind: ExprKind, span: cutover_diagnostics::Span) -> Expr {
    Expr {
        kind,
        ty: Type {
            kind: TypeKind::Bool,
            nullable: true,
        },
        span,
    }
}

fn literal(b: bool, span: cutover_diagnostics::Span) -> Expr {
    boolean(ExprKind::Literal(cutover_ir::Const::Bool(b)), span)
}

/// `if cond then a else b`: NULL counts as false, as in `where`.
fn choose(cond: &Expr, a: Expr, b: Expr) -> Expr {
    boolean(
        ExprKind::If {
            cond: Box::new(cond.clone()),
            then: Box::new(a),
            otherwise: Box::new(b),
        },
        cond.span,
    )
}

/// The map with another `where`: the rows to upsert (the map's own `where`
/// holds and the deletion flag does not) or the rows whose target row goes
/// (the flag holds, or the map's `where` no longer does).
fn with_filter(ir: &Ir, map: MapId, upsert: bool) -> Option<Ir> {
    let m = ir.map(map);
    let inc = m.incremental.as_ref()?;
    let flag = match &inc.deletes {
        Some(Deletes::When(e)) => Some(e),
        _ => None,
    };
    let filter = match (upsert, &m.filter, flag) {
        (true, f, None) => f.clone(),
        (true, None, Some(flag)) => Some(choose(
            flag,
            literal(false, flag.span),
            literal(true, flag.span),
        )),
        (true, Some(f), Some(flag)) => Some(choose(flag, literal(false, flag.span), f.clone())),
        (false, None, None) => return None,
        (false, Some(f), None) => Some(choose(f, literal(false, f.span), literal(true, f.span))),
        (false, None, Some(flag)) => Some(choose(
            flag,
            literal(true, flag.span),
            literal(false, flag.span),
        )),
        (false, Some(f), Some(flag)) => Some(choose(
            flag,
            literal(true, flag.span),
            choose(f, literal(false, f.span), literal(true, f.span)),
        )),
    };
    let mut ir = ir.clone();
    ir.maps[map.0 as usize].filter = filter;
    Some(ir)
}

/// `32_sync.sql`.
pub fn sync(ir: &Ir, d: &dyn Dialect, spec_sha256: &str) -> Result<String, Unsupported> {
    let id = |s: &str| d.ident(s);
    let batches = d.meta_table("batches");
    let mut out = begin_transaction(d);
    let _ = writeln!(
        out,
        "\n-- A sync is a batch: the rows it writes carry its id.\nINSERT INTO {batches} ({}, {}, {}, {}) VALUES ((SELECT COALESCE(max({}), 0) + 1 FROM {batches}), {}, {}, 'syncing');\n\n-- The new watermarks, before any row is read.\n{}",
        id("batch_id"),
        id("spec_sha256"),
        id("started_at"),
        id("status"),
        id("batch_id"),
        d.text(spec_sha256),
        start_time(d),
        record_watermarks(ir, d),
    );
    let order = map_order(ir);
    // Upserts, parents first.
    for &m in &order {
        let map = ir.map(m);
        let Some(inc) = &map.incremental else {
            continue;
        };
        let upsert_ir = with_filter(ir, m, true).unwrap_or_else(|| ir.clone());
        let compiler = Compiler::new(&upsert_ir, d, clock(d));
        let changed = changed_rows(&upsert_ir, d, &compiler, m, inc)?;
        upsert(ir, d, m, &changed, &mut out);
    }
    // Deletions, children first.
    for &m in order.iter().rev() {
        let map = ir.map(m);
        let Some(inc) = &map.incremental else {
            continue;
        };
        if let Some(gone_ir) = with_filter(ir, m, false) {
            let compiler = Compiler::new(&gone_ir, d, clock(d));
            let gone = changed_rows(&gone_ir, d, &compiler, m, inc)?;
            remove_stage(ir, d, m, &gone, &mut out);
        }
        if matches!(inc.deletes, Some(Deletes::Missing { .. })) {
            let compiler = Compiler::new(ir, d, clock(d));
            remove_missing(ir, d, &compiler, m, &mut out).map_err(|u| u.at(map.span))?;
        }
    }
    let _ = writeln!(
        out,
        "UPDATE {batches} SET {} = 'synced', {} = {} WHERE {} = {};\n\nCOMMIT;",
        id("status"),
        id("finished_at"),
        start_time(d),
        id("batch_id"),
        current_batch(d),
    );
    Ok(out)
}

/// The stage query of the rows of `map` changed since the last watermark
/// (with the map's `where` as `ir` has it).
fn changed_rows(
    ir: &Ir,
    d: &dyn Dialect,
    compiler: &Compiler<'_>,
    map: MapId,
    inc: &Incremental,
) -> Result<String, Unsupported> {
    let m = ir.map(map);
    let p = plan(ir, d, compiler, map, true).map_err(|u| u.at(m.span))?;
    let col = d.ident(&format!("c0_{}", ir.column(inc.column).name));
    // Before the first watermark (no load recorded one) every row counts.
    let layer = format!(
        "SELECT *\n  FROM (\n{}\n  ) AS {}\n WHERE {SINCE} IS NULL OR {col} >= {SINCE}",
        indent(&p.layer_a),
        d.ident("cutover_a"),
    );
    Ok(p.stage_select(d, ir, &layer))
}

/// Where the bound of a sync goes in its stage query
/// ([`Dialect::create_stage_since`]).
pub const SINCE: &str = "\u{1}cutover_since\u{1}";

/// The stage of the rows of `map` changed since the last watermark.
fn changed_stage(ir: &Ir, d: &dyn Dialect, name: &str, select: &str, map: MapId) -> String {
    let m = ir.map(map);
    let Some(inc) = &m.incremental else {
        return d.create_stage(name, select);
    };
    d.create_stage_since(
        name,
        select,
        &since(ir, d, m, inc),
        &d.column_type(ir.column(inc.column).ty.kind),
    )
}

fn key_match(ir: &Ir, d: &dyn Dialect, t: TableId, a: &str, b: &str) -> String {
    ir.table(t)
        .primary_key
        .iter()
        .map(|c| {
            let n = d.ident(&ir.column(*c).name);
            format!("{a}.{n} = {b}.{n}")
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The quoted names of a table's primary key columns.
fn key_columns(ir: &Ir, d: &dyn Dialect, t: TableId) -> Vec<String> {
    ir.table(t)
        .primary_key
        .iter()
        .map(|c| d.ident(&ir.column(*c).name))
        .collect()
}

fn columns(ir: &Ir, d: &dyn Dialect, t: TableId) -> Vec<String> {
    ir.table(t)
        .columns
        .iter()
        .map(|c| d.ident(&ir.column(*c).name))
        .collect()
}

/// Statements that keep before-images of the target rows `rows` (a
/// condition over alias `t`) under `op`.
fn keep_before(ir: &Ir, d: &dyn Dialect, t: TableId, rows: &str, op: &str) -> String {
    let id = |s: &str| d.ident(s);
    let cols = columns(ir, d, t);
    let t_cols: Vec<String> = cols.iter().map(|c| format!("t.{c}")).collect();
    format!(
        "INSERT INTO {} ({}, {}, {}, {})\nSELECT {}, t.{}, {}, {}\n  FROM {} AS t\n WHERE {rows};",
        undo_table(ir, d, t),
        cols.join(", "),
        id(BATCH_COLUMN),
        id("cutover_sync_id"),
        id("cutover_op"),
        t_cols.join(", "),
        id(BATCH_COLUMN),
        current_batch(d),
        d.text(op),
        qualified(ir, d, t),
    )
}

fn upsert(ir: &Ir, d: &dyn Dialect, map: MapId, changed: &str, out: &mut String) {
    let m = ir.map(map);
    let _ = writeln!(
        out,
        "-- sync map {}: {} -> {}, rows changed since the last watermark\nDROP TABLE IF EXISTS {};\n{}",
        m.name,
        ir.table_path(m.source()),
        ir.table_path(m.target),
        d.ident("cutover_stage"),
        changed_stage(ir, d, "cutover_stage", changed, map)
    );
    out.push_str(&apply_upsert(ir, d, map));
}

/// The statements that apply the stage `cutover_stage` (the target's
/// columns, and the source key, rule, column, reason and source row of
/// each rejected row) to the target, and drop it. The Python runner fills
/// the same stage from rows it computed and runs these.
pub fn apply_upsert(ir: &Ir, d: &dyn Dialect, map: MapId) -> String {
    let id = |s: &str| d.ident(s);
    let m = ir.map(map);
    let t = m.target;
    let stage = id("cutover_stage");
    let reason = id("cutover_reason");
    let target = qualified(ir, d, t);
    let cols = columns(ir, d, t);
    let quarantine = d.meta_table("quarantine");
    let mut out = String::new();
    // Rejected: quarantined once per map and source key, the target row
    // left as it was.
    let _ = writeln!(
        out,
        "INSERT INTO {quarantine} ({}, {}, {}, {}, {}, {}, {}, {}, {})\nSELECT {}, {}, {}, r.{}, r.{}, r.{}, r.{reason}, r.{}, {}\n  FROM {stage} AS r\n WHERE r.{reason} IS NOT NULL\n   AND NOT EXISTS (SELECT 1 FROM {quarantine} AS q WHERE q.{} = {} AND q.{} = r.{} AND q.{} = r.{reason});",
        id("batch_id"),
        id("map_name"),
        id("source_table"),
        id("source_key"),
        id("rule_id"),
        id("column_name"),
        id("reason"),
        id("source_row"),
        id("quarantined_at"),
        current_batch(d),
        d.text(&m.name),
        d.text(&ir.table_path(m.source())),
        id("cutover_source_key"),
        id("cutover_rule"),
        id("cutover_column"),
        id("cutover_source_row"),
        clock(d),
        id("map_name"),
        d.text(&m.name),
        id("source_key"),
        id("cutover_source_key"),
        id("reason"),
    );
    let matched = key_match(ir, d, t, "t", "s");
    let _ = writeln!(
        out,
        "{}",
        keep_before(
            ir,
            d,
            t,
            &format!("EXISTS (SELECT 1 FROM {stage} AS s WHERE s.{reason} IS NULL AND {matched})"),
            "update"
        )
    );
    let pk = key_columns(ir, d, t);
    let s_pk: Vec<String> = pk.iter().map(|c| format!("s.{c}")).collect();
    let _ = writeln!(
        out,
        "INSERT INTO {} ({}, {}, {})\nSELECT {}, {}, {}\n  FROM {stage} AS s\n WHERE s.{reason} IS NULL AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {matched});",
        undo_table(ir, d, t),
        pk.join(", "),
        id("cutover_sync_id"),
        id("cutover_op"),
        s_pk.join(", "),
        current_batch(d),
        d.text("insert"),
    );
    let set: Vec<String> = cols
        .iter()
        .filter(|c| !pk.contains(c))
        .map(|c| format!("{c} = s.{c}"))
        .chain(std::iter::once(format!(
            "{} = {}",
            id(BATCH_COLUMN),
            current_batch(d)
        )))
        .collect();
    let _ = writeln!(
        out,
        "UPDATE {target} AS t SET {}\n  FROM {stage} AS s\n WHERE s.{reason} IS NULL AND {matched};",
        set.join(", "),
    );
    let s_cols: Vec<String> = cols.iter().map(|c| format!("s.{c}")).collect();
    let _ = writeln!(
        out,
        "INSERT INTO {target} ({}, {})\nSELECT {}, {}\n  FROM {stage} AS s\n WHERE s.{reason} IS NULL AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {matched});",
        cols.join(", "),
        id(BATCH_COLUMN),
        s_cols.join(", "),
        current_batch(d),
    );
    let _ = writeln!(
        out,
        "UPDATE {} SET {} = (SELECT count(*) FROM {stage} AS s WHERE s.{reason} IS NULL) WHERE {} = {} AND {} = {};\nDROP TABLE {stage};\n",
        d.meta_table("watermarks"),
        id("upserted"),
        id("map_name"),
        d.text(&m.name),
        id("batch_id"),
        current_batch(d),
    );
    out
}

/// Removes the target rows of the changed source rows `gone` selects
/// (deleted by the flag, or out of the map's `where`), keeping their
/// before-images.
fn remove_stage(ir: &Ir, d: &dyn Dialect, map: MapId, gone: &str, out: &mut String) {
    let m = ir.map(map);
    let _ = writeln!(
        out,
        "-- sync map {}: rows deleted at the source or no longer selected\nDROP TABLE IF EXISTS {};\n{}",
        m.name,
        d.ident("cutover_gone"),
        changed_stage(ir, d, "cutover_gone", gone, map),
    );
    out.push_str(&apply_removal(ir, d, map));
}

/// [`apply_removal`] when the map removes rows a sync reads (a `where`,
/// or `deletes when`); the Python runner's form.
pub fn removal(ir: &Ir, d: &dyn Dialect, map: MapId) -> Option<String> {
    with_filter(ir, map, false).map(|_| apply_removal(ir, d, map))
}

/// [`apply_missing`] for a `deletes missing` map; the Python runner's form.
pub fn missing(ir: &Ir, d: &dyn Dialect, map: MapId) -> Option<String> {
    let deletes = ir.map(map).incremental.as_ref()?.deletes.as_ref();
    matches!(deletes, Some(Deletes::Missing { .. })).then(|| apply_missing(ir, d, map))
}

/// The statements that remove the loaded target rows whose keys the stage
/// `cutover_gone` holds (rows with a NULL `cutover_reason`), keeping their
/// before-images, and drop it.
pub fn apply_removal(ir: &Ir, d: &dyn Dialect, map: MapId) -> String {
    let id = |s: &str| d.ident(s);
    let t = ir.map(map).target;
    let stage = id("cutover_gone");
    let matched = key_match(ir, d, t, "t", "g");
    let rows = format!(
        "t.{} IS NOT NULL AND EXISTS (SELECT 1 FROM {stage} AS g WHERE g.{} IS NULL AND {matched})",
        id(BATCH_COLUMN),
        id("cutover_reason")
    );
    format!(
        "{}\n{}\nDROP TABLE {stage};\n\n",
        keep_before(ir, d, t, &rows, "delete"),
        delete_counted(ir, d, map, &rows),
    )
}

/// `deletes missing`: loaded target rows whose key no source row gives.
fn remove_missing(
    ir: &Ir,
    d: &dyn Dialect,
    compiler: &Compiler<'_>,
    map: MapId,
    out: &mut String,
) -> Result<(), Unsupported> {
    let id = |s: &str| d.ident(s);
    let m = ir.map(map);
    let t = m.target;
    let p = plan(ir, d, compiler, map, true)?;
    let keys = key_columns(ir, d, t);
    let k_cols: Vec<String> = keys.iter().map(|k| format!("k.{k}")).collect();
    let stage = id("cutover_keys");
    let _ = writeln!(
        out,
        "-- sync map {}: loaded rows whose key no source row gives any more\nDROP TABLE IF EXISTS {stage};\n{}",
        m.name,
        d.create_stage(
            "cutover_keys",
            &format!(
                "SELECT {}\n  FROM (\n{}\n  ) AS k\n WHERE k.{} IS NULL",
                k_cols.join(", "),
                indent(&p.stage_select(d, ir, &p.layer_a)),
                id("cutover_reason")
            )
        )
    );
    out.push_str(&apply_missing(ir, d, map));
    Ok(())
}

/// The statements that remove the loaded target rows whose keys the stage
/// `cutover_keys` (every key the source gives) does not hold, keeping
/// their before-images, and drop it.
pub fn apply_missing(ir: &Ir, d: &dyn Dialect, map: MapId) -> String {
    let id = |s: &str| d.ident(s);
    let t = ir.map(map).target;
    let stage = id("cutover_keys");
    let matched = key_match(ir, d, t, "t", "k");
    let rows = format!(
        "t.{} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {stage} AS k WHERE {matched})",
        id(BATCH_COLUMN)
    );
    format!(
        "{}\n{}\nDROP TABLE {stage};\n\n",
        keep_before(ir, d, t, &rows, "delete"),
        delete_counted(ir, d, map, &rows)
    )
}

fn delete_counted(ir: &Ir, d: &dyn Dialect, map: MapId, rows: &str) -> String {
    let id = |s: &str| d.ident(s);
    let m = ir.map(map);
    format!(
        "UPDATE {} SET {} = {} + (SELECT count(*) FROM {} AS t WHERE {rows}) WHERE {} = {} AND {} = {};\nDELETE FROM {} AS t WHERE {rows};",
        d.meta_table("watermarks"),
        id("deleted"),
        id("deleted"),
        qualified(ir, d, m.target),
        id("map_name"),
        d.text(&m.name),
        id("batch_id"),
        current_batch(d),
        qualified(ir, d, m.target),
    )
}

/// `91_sync_rollback.sql`: the newest batch not rolled back, if it is a
/// sync that finished, undone from its before-images: rows it inserted deleted
/// (children first), rows it deleted inserted again and rows it updated
/// set back (parents first), its quarantined rows and watermarks removed.
pub fn sync_rollback(ir: &Ir, d: &dyn Dialect) -> String {
    let id = |s: &str| d.ident(s);
    let batches = d.meta_table("batches");
    // The newest batch not rolled back: run once per sync, newest first.
    let undone = format!(
        "(SELECT max({}) FROM {batches} WHERE {} <> 'rolled_back')",
        id("batch_id"),
        id("status")
    );
    let is_sync = format!(
        "EXISTS (SELECT 1 FROM {batches} AS b WHERE b.{} = {} AND b.{} = 'synced')",
        id("batch_id"),
        undone,
        id("status")
    );
    let mut out = begin_transaction(d);
    out.push('\n');
    let tables = synced_tables(ir);
    let of_sync = |op: &str| {
        format!(
            "u.{} = {} AND u.{} = {}",
            id("cutover_sync_id"),
            undone,
            id("cutover_op"),
            d.text(op)
        )
    };
    for &t in tables.iter().rev() {
        let matched = key_match(ir, d, t, "t", "u");
        let _ = writeln!(
            out,
            "DELETE FROM {} AS t WHERE {is_sync}\n   AND EXISTS (SELECT 1 FROM {} AS u WHERE {} AND {matched});",
            qualified(ir, d, t),
            undo_table(ir, d, t),
            of_sync("insert"),
        );
    }
    for &t in &tables {
        let cols = columns(ir, d, t);
        let pk = key_columns(ir, d, t);
        let u_cols: Vec<String> = cols.iter().map(|c| format!("u.{c}")).collect();
        let _ = writeln!(
            out,
            "INSERT INTO {} ({}, {})\nSELECT {}, u.{}\n  FROM {} AS u\n WHERE {is_sync} AND {};",
            qualified(ir, d, t),
            cols.join(", "),
            id(BATCH_COLUMN),
            u_cols.join(", "),
            id(BATCH_COLUMN),
            undo_table(ir, d, t),
            of_sync("delete"),
        );
        let set: Vec<String> = cols
            .iter()
            .filter(|c| !pk.contains(c))
            .map(|c| format!("{c} = u.{c}"))
            .chain(std::iter::once(format!(
                "{} = u.{}",
                id(BATCH_COLUMN),
                id(BATCH_COLUMN)
            )))
            .collect();
        let _ = writeln!(
            out,
            "UPDATE {} AS t SET {}\n  FROM {} AS u\n WHERE {is_sync} AND {} AND {};",
            qualified(ir, d, t),
            set.join(", "),
            undo_table(ir, d, t),
            of_sync("update"),
            key_match(ir, d, t, "t", "u"),
        );
    }
    for &t in &tables {
        let _ = writeln!(
            out,
            "DELETE FROM {} WHERE {is_sync} AND {} = {};",
            undo_table(ir, d, t),
            id("cutover_sync_id"),
            undone
        );
    }
    let _ = writeln!(
        out,
        "DELETE FROM {} WHERE {is_sync} AND {} = {};\nDELETE FROM {} WHERE {is_sync} AND {} = {};\nUPDATE {batches} SET {} = 'rolled_back' WHERE {is_sync} AND {} = {};\n\nCOMMIT;",
        d.meta_table("quarantine"),
        id("batch_id"),
        undone,
        d.meta_table("watermarks"),
        id("batch_id"),
        undone,
        id("status"),
        id("batch_id"),
        undone,
    );
    out
}
