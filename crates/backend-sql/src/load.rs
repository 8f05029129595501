//! `30_load.sql`: one set-based statement per map, in foreign-key order,
//! inside one transaction.
//!
//! Each map is computed once into a temporary stage table: every target
//! value, and for each row the first failure (the rule, the column and the
//! reason, as docs/functions.md "How a map runs" says). Rows without a
//! failure are inserted into the target, tagged with the batch; rows with
//! one go to the quarantine with their source key and values. Rows already
//! in the target (same primary key) and rows already quarantined by the
//! same map are skipped, so running the script again adds nothing.

use crate::dialect::Dialect;
use crate::expr::{first_error, Arg, Code, Compiler, Scope, Unsupported};
use crate::rollback::{snapshot_statements, strategy};
use crate::schema::BATCH_COLUMN;
use cutover_ir::{ColumnId, Ir, MapId, OnFailure, RollbackStrategy, TableId, TypeKind};
use std::cell::RefCell;
use std::fmt::Write;

/// The stage of a map: its columns are `c{source}_{column}`, and helper
/// values computed once per row go into layers of inner queries.
struct Stage<'a> {
    ir: &'a Ir,
    d: &'a dyn Dialect,
    hoisting: bool,
    /// Each helper value: its SQL, its layer, and whether it is computed
    /// in a LATERAL subquery of its own (see [`Scope::memo`]).
    hoisted: RefCell<Vec<(String, usize, bool)>>,
}

fn hoist_name(i: usize) -> String {
    format!("cutover_h{i}")
}

impl Stage<'_> {
    fn source_column(&self, source: u32, column: ColumnId) -> String {
        format!("c{source}_{}", self.ir.column(column).name)
    }

    fn level_of(&self, sql: &str) -> usize {
        let hoisted = self.hoisted.borrow();
        let mut level = 0;
        for (i, (_, l, _)) in hoisted.iter().enumerate() {
            if sql.contains(&format!("\"{}\"", hoist_name(i))) {
                level = level.max(*l);
            }
        }
        level + 1
    }
}

impl Scope for Stage<'_> {
    fn column(&self, source: u32, column: ColumnId) -> String {
        self.d.ident(&self.source_column(source, column))
    }

    fn hoist(&self, sql: String) -> String {
        self.hoist_as(sql, false)
    }

    fn memo(&self, sql: String) -> String {
        let lateral = self.d.lateral();
        self.hoist_as(sql, lateral)
    }
}

impl Stage<'_> {
    fn hoist_as(&self, sql: String, lateral: bool) -> String {
        if !self.hoisting {
            return sql;
        }
        if let Some(i) = self.hoisted.borrow().iter().position(|(s, _, _)| *s == sql) {
            return self.d.ident(&hoist_name(i));
        }
        let level = self.level_of(&sql);
        let mut hoisted = self.hoisted.borrow_mut();
        hoisted.push((sql, level, lateral));
        self.d.ident(&hoist_name(hoisted.len() - 1))
    }
}

/// Source tables by the alias `s{i}` in a map's FROM clause.
struct Direct<'a> {
    ir: &'a Ir,
    d: &'a dyn Dialect,
}

impl Scope for Direct<'_> {
    fn column(&self, source: u32, column: ColumnId) -> String {
        format!("s{source}.{}", self.d.ident(&self.ir.column(column).name))
    }
}

pub(crate) fn qualified(ir: &Ir, d: &dyn Dialect, t: TableId) -> String {
    let table = ir.table(t);
    d.table(&ir.system(table.system).name, &table.name)
}

/// The maps in load order: parents before the tables that reference them.
pub fn map_order(ir: &Ir) -> Vec<MapId> {
    let tables = crate::schema::target_tables(ir);
    let mut out = Vec::new();
    for t in tables {
        for (i, m) in ir.maps.iter().enumerate() {
            if m.target == t {
                out.push(MapId(i as u32));
            }
        }
    }
    out
}

/// The SQL of the current batch's id.
pub fn current_batch(d: &dyn Dialect) -> String {
    format!(
        "(SELECT max({}) FROM {})",
        d.ident("batch_id"),
        d.meta_table("batches")
    )
}

/// The run's clock: the start of the current batch.
pub fn clock(d: &dyn Dialect) -> String {
    format!(
        "(SELECT {} FROM {} WHERE {} = {})",
        d.ident("started_at"),
        d.meta_table("batches"),
        d.ident("batch_id"),
        current_batch(d)
    )
}

/// The start time written into a new batch row.
pub(crate) fn start_time(d: &dyn Dialect) -> String {
    match d.name() {
        // Canonical timestamptz text: trailing fraction zeros removed.
        "sqlite" => "rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', 'now'), '0'), '.') || '+00'".into(),
        _ => d.now().into(),
    }
}

/// `BEGIN;` and the session settings, each on its line: how every
/// transaction of the generated scripts starts.
pub(crate) fn begin_transaction(d: &dyn Dialect) -> String {
    let mut out = String::from("BEGIN;\n");
    for s in d.session() {
        out.push_str(&s);
        out.push('\n');
    }
    out
}

/// The load script's statements (without the header).
pub fn load(ir: &Ir, d: &dyn Dialect, spec_sha256: &str) -> Result<String, Unsupported> {
    if ir.maps.iter().any(|m| m.batch.is_some()) {
        return chunked_load(ir, d, spec_sha256);
    }
    let mut out = String::new();
    let id = |s: &str| d.ident(s);
    out.push_str(&begin_transaction(d));
    let batches = d.meta_table("batches");
    let _ = writeln!(
        out,
        "\n-- A new batch; its start time is the run's clock (now()).\nINSERT INTO {batches} ({}, {}, {}, {}) VALUES ((SELECT COALESCE(max({}), 0) + 1 FROM {batches}), {}, {}, 'loading');\n",
        id("batch_id"),
        id("spec_sha256"),
        id("started_at"),
        id("status"),
        id("batch_id"),
        d.text(spec_sha256),
        start_time(d),
    );
    if ir.maps.iter().any(|m| m.incremental.is_some()) {
        out.push_str("-- The watermarks of `incremental` maps, before any row is read.\n");
        out.push_str(&crate::sync::record_watermarks(ir, d));
        out.push('\n');
    }
    if strategy(ir) == RollbackStrategy::RestoreSnapshot {
        out.push_str(
            "-- restore_snapshot: copies of the target tables as they are before this load.\n",
        );
        out.push_str(&snapshot_statements(ir, d));
        out.push('\n');
    }
    let compiler = Compiler::new(ir, d, clock(d));
    for m in map_order(ir) {
        map_statements(ir, d, &compiler, m, None, &mut out).map_err(|u| u.at(ir.map(m).span))?;
    }
    if let Some(a) = d.analyze(&d.meta_table("quarantine")) {
        let _ = writeln!(out, "{a}\n");
    }
    let _ = writeln!(
        out,
        "UPDATE {batches} SET {} = 'loaded', {} = {} WHERE {} = {};\n\nCOMMIT;",
        id("status"),
        id("finished_at"),
        start_time(d),
        id("batch_id"),
        current_batch(d)
    );
    Ok(out)
}

/// A load with `batch` maps: a sequence of transactions (the batch, each
/// map, each chunk of a batched map, the end) instead of one, so that a
/// stopped or crashed load keeps what it committed. Running it again
/// resumes: the unfinished batch is reused, loaded rows are skipped as in
/// any rerun, and a batched map starts after its last checkpoint.
fn chunked_load(ir: &Ir, d: &dyn Dialect, spec_sha256: &str) -> Result<String, Unsupported> {
    if strategy(ir) == RollbackStrategy::RestoreSnapshot {
        let span = ir
            .maps
            .iter()
            .find_map(|m| m.batch.as_ref())
            .map(|b| b.span);
        let u = Unsupported::new(
            "`batch` with `strategy restore_snapshot` (a resumed load would snapshot its own rows)",
        );
        return Err(match span {
            Some(s) => u.at(s),
            None => u,
        });
    }
    let id = |s: &str| d.ident(s);
    let batches = d.meta_table("batches");
    let mut out = String::new();
    let begin = |out: &mut String| {
        out.push_str(&begin_transaction(d));
    };
    begin(&mut out);
    let _ = writeln!(
        out,
        "\n-- A new batch, unless the last one of this spec is still loading: a\n-- stopped load resumes in it. Its start time is the run's clock (now()).\nINSERT INTO {batches} ({}, {}, {}, {})\nSELECT (SELECT COALESCE(max({}), 0) + 1 FROM {batches}), {}, {}, 'loading'\n WHERE NOT EXISTS (\n  SELECT 1 FROM {batches} AS b\n   WHERE b.{} = {} AND b.{} = 'loading' AND b.{} = {}\n);\nCOMMIT;\n",
        id("batch_id"),
        id("spec_sha256"),
        id("started_at"),
        id("status"),
        id("batch_id"),
        d.text(spec_sha256),
        start_time(d),
        id("batch_id"),
        current_batch(d),
        id("status"),
        id("spec_sha256"),
        d.text(spec_sha256),
    );
    // Chunk 0 of each batched map: whether its target held rows before
    // this batch (1) or not (0), written once per batch.
    begin(&mut out);
    let checkpoints = d.meta_table("checkpoints");
    for m in ir.maps.iter().filter(|m| m.batch.is_some()) {
        let _ = writeln!(
            out,
            "INSERT INTO {checkpoints} ({}, {}, {}, {}, {}, {})\nSELECT {}, {}, 0, '', (SELECT count(*) FROM (SELECT 1 FROM {} LIMIT 1) AS t), {}\n WHERE NOT EXISTS (SELECT 1 FROM {checkpoints} AS c WHERE c.{} = {} AND c.{} = {} AND c.{} = 0);",
            id("batch_id"),
            id("map_name"),
            id("chunk"),
            id("last_key"),
            id("rows"),
            id("committed_at"),
            current_batch(d),
            d.text(&m.name),
            qualified(ir, d, m.target),
            start_time(d),
            id("batch_id"),
            current_batch(d),
            id("map_name"),
            d.text(&m.name),
            id("chunk"),
        );
    }
    if ir.maps.iter().any(|m| m.incremental.is_some()) {
        out.push_str(&crate::sync::record_watermarks(ir, d));
    }
    out.push_str("COMMIT;\n\n");
    let compiler = Compiler::new(ir, d, clock(d));
    let mut unfinished = Vec::new();
    for m in map_order(ir) {
        let map = ir.map(m);
        match &map.batch {
            None => {
                begin(&mut out);
                map_statements(ir, d, &compiler, m, None, &mut out).map_err(|u| u.at(map.span))?;
                out.push_str("COMMIT;\n\n");
            }
            Some(b) => {
                let (pick, load) =
                    chunk_statements(ir, d, &compiler, m, b).map_err(|u| u.at(map.span))?;
                let _ = writeln!(
                    out,
                    "-- batch map {}: {} -> {}, in chunks of {} rows by {}",
                    map.name,
                    ir.table_path(map.source()),
                    ir.table_path(map.target),
                    b.size,
                    ir.column(b.column).name
                );
                let key_type = d.column_type(ir.column(b.column).ty.kind);
                out.push_str(&d.repeat_chunk(&d.session(), &pick, &load, &key_type));
                out.push('\n');
                unfinished.push(rows_left(ir, d, m, b));
            }
        }
    }
    begin(&mut out);
    for m in ir.maps.iter().filter(|m| m.batch.is_some()) {
        if let Some(a) = d.analyze(&qualified(ir, d, m.target)) {
            let _ = writeln!(out, "{a}");
        }
    }
    if let Some(a) = d.analyze(&d.meta_table("quarantine")) {
        let _ = writeln!(out, "{a}\n");
    }
    let _ = writeln!(
        out,
        "-- Loaded once every batched map has read its last chunk.\nUPDATE {batches} SET {} = 'loaded', {} = {} WHERE {} = {}\n   AND NOT ({});\n\nCOMMIT;",
        id("status"),
        id("finished_at"),
        start_time(d),
        id("batch_id"),
        current_batch(d),
        unfinished.join("\n     OR "),
    );
    Ok(out)
}

/// `31_progress.sql`: one row per batched map of the newest batch, from
/// its checkpoints: chunks committed, source rows read, the source's rows,
/// rows per second since the batch began (chunk 0), and the seconds left
/// at that rate (0 when done, NULL before the first chunk).
pub fn progress(ir: &Ir, d: &dyn Dialect) -> String {
    let id = |s: &str| d.ident(s);
    let checkpoints = d.meta_table("checkpoints");
    let mut maps = Vec::new();
    for m in ir.maps.iter().filter(|m| m.batch.is_some()) {
        let of_map = format!(
            "c.{} = {} AND c.{} = {}",
            id("batch_id"),
            current_batch(d),
            id("map_name"),
            d.text(&m.name)
        );
        let committed = |f: &str| {
            format!(
                "(SELECT {f}(c.{}) FROM {checkpoints} AS c WHERE {of_map})",
                id("committed_at")
            )
        };
        maps.push(format!(
            "  SELECT {} AS {},\n         (SELECT count(*) FROM {checkpoints} AS c WHERE {of_map} AND c.{chunk} > 0) AS {},\n         (SELECT COALESCE(sum(c.{}), 0) FROM {checkpoints} AS c WHERE {of_map} AND c.{chunk} > 0) AS {},\n         (SELECT count(*) FROM {}) AS {},\n         {} AS {}",
            d.text(&m.name),
            id("map"),
            id("chunks"),
            id("rows"),
            id("rows_read"),
            qualified(ir, d, m.source()),
            id("source_rows"),
            d.seconds_between(&committed("min"), &committed("max")),
            id("seconds"),
            chunk = id("chunk"),
        ));
    }
    let (read, total, seconds) = (id("rows_read"), id("source_rows"), id("seconds"));
    format!(
        "SELECT {map}, {chunks}, {read}, {total},\n       CASE WHEN {seconds} > 0 THEN round({read} / {seconds}) END AS {},\n       CASE WHEN {read} >= {total} THEN 0\n            WHEN {read} > 0 AND {seconds} > 0 THEN round(({total} - {read}) * {seconds} / {read}) END AS {}\n  FROM (\n{}\n  ) AS p;\n",
        id("rows_per_second"),
        id("seconds_left"),
        maps.join("\n  UNION ALL\n"),
        map = id("map"),
        chunks = id("chunks"),
    )
}

/// The last checkpoint of a batched map in the current batch, as the
/// key's type; NULL before the first chunk.
fn last_checkpoint(ir: &Ir, d: &dyn Dialect, map: MapId, key: ColumnId) -> String {
    let id = |s: &str| d.ident(s);
    format!(
        "(SELECT CAST(c.{} AS {}) FROM {} AS c WHERE c.{} = {} AND c.{} = {} AND c.{} > 0 ORDER BY c.{} DESC LIMIT 1)",
        id("last_key"),
        d.column_type(ir.column(key).ty.kind),
        d.meta_table("checkpoints"),
        id("batch_id"),
        current_batch(d),
        id("map_name"),
        d.text(&ir.map(map).name),
        id("chunk"),
        id("chunk"),
    )
}

/// The first key of the next chunk: the smallest key after the last
/// checkpoint, or the smallest key before the first chunk; NULL when no
/// key is left. Written so that each lookup is an index probe and the
/// chunk an index range.
fn next_key(ir: &Ir, d: &dyn Dialect, map: MapId, b: &cutover_ir::Batch) -> String {
    let key = d.ident(&ir.column(b.column).name);
    let source = qualified(ir, d, ir.map(map).source());
    let last = last_checkpoint(ir, d, map, b.column);
    format!(
        "COALESCE((SELECT min(s.{key}) FROM {source} AS s WHERE s.{key} > {last}), CASE WHEN {last} IS NULL THEN (SELECT min(s.{key}) FROM {source} AS s) END)"
    )
}

/// Whether source rows remain after the last checkpoint.
fn rows_left(ir: &Ir, d: &dyn Dialect, map: MapId, b: &cutover_ir::Batch) -> String {
    format!("{} IS NOT NULL", next_key(ir, d, map, b))
}

/// One chunk of a batched map: the statements that pick the next `size`
/// keys after the last checkpoint into `cutover_chunk`, and those that
/// load their rows and write the checkpoint. Once the keys are exhausted
/// it loads nothing and writes no checkpoint.
fn chunk_statements(
    ir: &Ir,
    d: &dyn Dialect,
    compiler: &Compiler<'_>,
    map: MapId,
    b: &cutover_ir::Batch,
) -> Result<(String, String), Unsupported> {
    let id = |s: &str| d.ident(s);
    let m = ir.map(map);
    let key = id(&ir.column(b.column).name);
    let chunk = id("cutover_chunk");
    let next = next_key(ir, d, map, b);
    let mut pick = String::new();
    let _ = writeln!(pick, "DROP TABLE IF EXISTS {chunk};");
    let _ = writeln!(
        pick,
        "{}",
        d.create_stage(
            "cutover_chunk",
            &format!(
                "SELECT s0.{key} AS {}\n  FROM {} AS s0\n WHERE s0.{key} >= {next}\n ORDER BY s0.{key}\n LIMIT {}",
                id("k"),
                qualified(ir, d, m.source()),
                b.size
            )
        )
    );
    // The chunk is a contiguous range of keys: read as a range, it is an
    // index scan of the source.
    let c0 = id(&format!("c0_{}", ir.column(b.column).name));
    let within = format!("{c0} >= {CHUNK_LO} AND {c0} <= {CHUNK_HI}");
    let held_rows = format!(
        "(SELECT c.{} FROM {} AS c WHERE c.{} = {} AND c.{} = {} AND c.{} = 0) > 0",
        id("rows"),
        d.meta_table("checkpoints"),
        id("batch_id"),
        current_batch(d),
        id("map_name"),
        d.text(&m.name),
        id("chunk"),
    );
    let mut out = String::new();
    map_statements(
        ir,
        d,
        compiler,
        map,
        Some(&ChunkSql { within, held_rows }),
        &mut out,
    )?;
    let checkpoints = d.meta_table("checkpoints");
    let _ = writeln!(
        out,
        "INSERT INTO {checkpoints} ({}, {}, {}, {}, {}, {})\nSELECT {}, {}, (SELECT COALESCE(max(c.{}), 0) + 1 FROM {checkpoints} AS c WHERE c.{} = {} AND c.{} = {}), CAST(max({}) AS {}), count(*), {}\n  FROM {chunk}\nHAVING count(*) > 0;",
        id("batch_id"),
        id("map_name"),
        id("chunk"),
        id("last_key"),
        id("rows"),
        id("committed_at"),
        current_batch(d),
        d.text(&m.name),
        id("chunk"),
        id("batch_id"),
        current_batch(d),
        id("map_name"),
        d.text(&m.name),
        id("k"),
        d.column_type(TypeKind::Text),
        start_time(d),
    );
    Ok((pick, out))
}

/// Marks the part of a SQLite load script that a runner repeats until it
/// loads no chunk (SQLite has no loops); PostgreSQL loops in a `DO` block.
pub const CHUNK_BEGIN: &str = "-- cutover chunk: repeat until cutover_chunk is empty";
pub const CHUNK_END: &str = "-- cutover chunk end";
/// Where a chunk's first and last key go in its stage query
/// ([`Dialect::create_chunk_stage`]).
pub const CHUNK_LO: &str = "\u{1}cutover_chunk_lo\u{1}";
pub const CHUNK_HI: &str = "\u{1}cutover_chunk_hi\u{1}";

/// The final value of one target column and, if it can fail, when and why.
pub(crate) struct Outcome {
    pub value: String,
    pub fail: Option<String>,
    pub reason: String,
    pub rule: Option<String>,
    pub column: String,
}

/// A map compiled to SQL: its rows in (layer A), every target column's
/// outcome over them, and the row's first failure. The load stages it into
/// temporary tables; the gates read it as subqueries.
pub(crate) struct MapPlan {
    grouped: bool,
    /// The joined, filtered rows: every source column as `c{i}_{col}`,
    /// and `cutover_where_error`.
    pub layer_a: String,
    /// The source key as text, over layer A's names.
    pub key_text: String,
    /// The primary source row as a JSON text, over layer A's names.
    row_json: String,
    /// Each target column's outcome, in the table's column order.
    pub outcomes: Vec<(ColumnId, Outcome)>,
    /// The row's first failure message (NULL: the row loads).
    pub reason: String,
    meta: [String; 3],
    hoisted: Vec<(String, usize, bool)>,
    /// `group by`: each key as an expression over layer A.
    group_keys: Vec<String>,
    group_error: String,
}

pub(crate) fn plan(
    ir: &Ir,
    d: &dyn Dialect,
    compiler: &Compiler<'_>,
    map: MapId,
    hoisting: bool,
) -> Result<MapPlan, Unsupported> {
    let m = ir.map(map);
    let id = |s: &str| d.ident(s);
    let grouped = !m.group_by.is_empty();
    let stage = Stage {
        ir,
        d,
        hoisting: hoisting && !grouped,
        hoisted: RefCell::new(Vec::new()),
    };
    let direct = Direct { ir, d };
    let target = ir.table(m.target);
    let primary = ir.table(m.source());

    // Layer A: the joined, filtered rows, every source column named c{i}_{col}.
    let mut select = Vec::new();
    for (i, s) in m.sources.iter().enumerate() {
        for c in &ir.table(s.table).columns {
            select.push(format!(
                "s{i}.{} AS {}",
                id(&ir.column(*c).name),
                stage.column(i as u32, *c)
            ));
        }
    }
    let mut from = format!("{} AS s0", qualified(ir, d, m.source()));
    for (i, s) in m.sources.iter().enumerate().skip(1) {
        let Some(join) = &s.join else { continue };
        let on = compiler.compile(&join.on, &direct)?;
        let cond = match on.err {
            Some(e) => format!(
                "CASE WHEN {e} IS NULL THEN {} ELSE {} END",
                on.v,
                d.bool_literal(false)
            ),
            None => on.v,
        };
        let _ = write!(
            from,
            "\n    {}JOIN {} AS s{i} ON {cond}",
            if join.left { "LEFT " } else { "" },
            qualified(ir, d, s.table)
        );
    }
    let mut where_clause = String::new();
    let mut where_err = "NULL".to_string();
    if let Some(f) = &m.filter {
        let c = compiler.compile(f, &direct)?;
        match c.err {
            Some(e) => {
                where_clause = format!(
                    "\n  WHERE CASE WHEN {e} IS NOT NULL THEN {} ELSE {} END",
                    d.bool_literal(true),
                    c.v
                );
                where_err = format!("CASE WHEN {e} IS NOT NULL THEN 'where: ' || {e} END");
            }
            None => where_clause = format!("\n  WHERE {}", c.v),
        }
    }
    select.push(format!("{where_err} AS {}", id("cutover_where_error")));
    let layer_a = format!(
        "SELECT {}\n  FROM {from}{where_clause}",
        select.join(",\n         ")
    );

    // The source key and, for quarantined rows, the source row's values.
    let key_text = |scope: &dyn Scope| -> Result<String, Unsupported> {
        if primary.primary_key.is_empty() {
            return Ok("NULL".into());
        }
        let mut parts = Vec::new();
        for c in &primary.primary_key {
            let text = d.cast(
                &Arg {
                    sql: scope.column(0, *c),
                    kind: ir.column(*c).ty.kind,
                },
                TypeKind::Text,
                scope,
            )?;
            parts.push(format!("COALESCE({}, '')", text.v));
        }
        Ok(parts.join(" || ',' || "))
    };
    let row_json = |scope: &dyn Scope| -> String {
        let pairs: Vec<String> = primary
            .columns
            .iter()
            .map(|c| format!("{}, {}", d.text(&ir.column(*c).name), scope.column(0, *c)))
            .collect();
        json_object(d, &pairs)
    };

    // Each assignment, then each unassigned column with a default.
    let mut outcomes: Vec<(ColumnId, Outcome)> = Vec::new();
    let hoist = |sql: String| -> String {
        if sql.starts_with('"') || sql == "NULL" {
            sql
        } else {
            stage.hoist(sql)
        }
    };
    let store = |e: &cutover_ir::Expr, col: ColumnId| -> Result<Code, Unsupported> {
        let c = compiler.compile(e, &stage)?;
        let c = compiler.store(c, e.ty.kind, ir.column(col).ty.kind, &stage)?;
        Ok(Code {
            v: hoist(c.v),
            err: c.err.map(hoist),
        })
    };
    let null_msg = d.text("NULL in a not-null column");
    for a in &m.assignments {
        let col = ir.column(a.target);
        let nn = !col.ty.nullable;
        let label = d.text(&format!("`{}`: ", col.name));
        let p = store(&a.expr, a.target)?;
        let pfail = fail_of(&p, nn);
        let rule = a.rule.and_then(|r| m.rules.get(r)).map(|r| d.text(&r.id));
        let outcome = match &a.on_failure {
            Some(OnFailure::Reject { reason, .. }) => Outcome {
                value: p.v.clone(),
                fail: pfail,
                reason: d.text(reason),
                rule,
                column: d.text(&col.name),
            },
            Some(OnFailure::Default { expr, .. }) => {
                let q = store(expr, a.target)?;
                match pfail {
                    None => Outcome {
                        value: p.v.clone(),
                        fail: None,
                        reason: "NULL".into(),
                        rule,
                        column: d.text(&col.name),
                    },
                    Some(pf) => Outcome {
                        value: format!("CASE WHEN {pf} THEN {} ELSE {} END", q.v, p.v),
                        fail: fail_of(&q, nn).map(|qf| format!("({pf} AND {qf})")),
                        reason: format!(
                            "{label} || COALESCE({}, {null_msg})",
                            q.err.clone().unwrap_or_else(|| "NULL".into())
                        ),
                        rule,
                        column: d.text(&col.name),
                    },
                }
            }
            None => match (&col.default, nn) {
                (Some(def), true) => {
                    let dc = store(def, a.target)?;
                    let dfail = fail_of(&dc, true).unwrap_or_else(|| d.bool_literal(false));
                    let fail = match &p.err {
                        Some(pe) => format!("({pe} IS NOT NULL OR ({} IS NULL AND {dfail}))", p.v),
                        None => format!("({} IS NULL AND {dfail})", p.v),
                    };
                    Outcome {
                        value: format!("COALESCE({}, {})", p.v, dc.v),
                        fail: Some(fail),
                        reason: format!(
                            "{label} || COALESCE({}, {null_msg})",
                            first_error([p.err.clone(), dc.err.clone()])
                                .unwrap_or_else(|| "NULL".into())
                        ),
                        rule,
                        column: d.text(&col.name),
                    }
                }
                _ => Outcome {
                    value: p.v.clone(),
                    fail: pfail,
                    reason: format!(
                        "{label} || COALESCE({}, {null_msg})",
                        p.err.clone().unwrap_or_else(|| "NULL".into())
                    ),
                    rule,
                    column: d.text(&col.name),
                },
            },
        };
        outcomes.push((a.target, outcome));
    }
    for c in &target.columns {
        if m.assignments.iter().any(|a| a.target == *c) {
            continue;
        }
        let col = ir.column(*c);
        let Some(def) = &col.default else {
            outcomes.push((
                *c,
                Outcome {
                    value: d.null(col.ty.kind),
                    fail: None,
                    reason: "NULL".into(),
                    rule: None,
                    column: d.text(&col.name),
                },
            ));
            continue;
        };
        let dc = store(def, *c)?;
        outcomes.push((
            *c,
            Outcome {
                fail: fail_of(&dc, !col.ty.nullable),
                reason: format!(
                    "{} || COALESCE({}, {null_msg})",
                    d.text(&format!("`{}` default: ", col.name)),
                    dc.err.clone().unwrap_or_else(|| "NULL".into())
                ),
                value: dc.v,
                rule: None,
                column: d.text(&col.name),
            },
        ));
    }

    // The first failure decides the row: `where`, then assignments in order.
    // Grouped rows with a failing `where` never reach a group.
    let mut reason = if grouped {
        vec![]
    } else {
        vec![format!(
            "WHEN {} IS NOT NULL THEN {}",
            id("cutover_where_error"),
            id("cutover_where_error")
        )]
    };
    let mut rule = vec![];
    let mut column = vec![];
    for (_, o) in &outcomes {
        if let Some(f) = &o.fail {
            reason.push(format!("WHEN {f} THEN {}", o.reason));
            rule.push(format!(
                "WHEN {f} THEN {}",
                o.rule.clone().unwrap_or_else(|| "NULL".into())
            ));
            column.push(format!("WHEN {f} THEN {}", o.column));
        }
    }
    // Last, a row whose foreign key has no parent row in the target (the
    // parent was quarantined, or never was a source row) is quarantined
    // too, instead of failing the whole load on the constraint. Parents
    // load first (map_order); self-references are left to the constraint.
    for fk in &target.foreign_keys {
        if fk.table == m.target {
            continue;
        }
        let values: Vec<&str> = fk
            .columns
            .iter()
            .filter_map(|c| outcomes.iter().find(|(x, _)| x == c))
            .map(|(_, o)| o.value.as_str())
            .collect();
        if values.len() != fk.columns.len() {
            continue;
        }
        let present: Vec<String> = values.iter().map(|v| format!("{v} IS NOT NULL")).collect();
        let on: Vec<String> = fk
            .ref_columns
            .iter()
            .zip(&values)
            .map(|(p, v)| format!("p.{} = {v}", id(&ir.column(*p).name)))
            .collect();
        let f = format!(
            "({} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {}))",
            present.join(" AND "),
            qualified(ir, d, fk.table),
            on.join(" AND ")
        );
        let first = fk.columns[0];
        let rule_of = m
            .assignments
            .iter()
            .find(|a| a.target == first)
            .and_then(|a| a.rule)
            .and_then(|r| m.rules.get(r))
            .map(|r| d.text(&r.id))
            .unwrap_or_else(|| "NULL".into());
        reason.push(format!(
            "WHEN {f} THEN {}",
            d.text(&cutover_eval::parent_missing(ir, fk))
        ));
        rule.push(format!("WHEN {f} THEN {rule_of}"));
        column.push(format!("WHEN {f} THEN {}", d.text(&ir.column(first).name)));
    }
    let case = |arms: &[String], first_null: bool| -> String {
        let mut all = Vec::new();
        if first_null && !grouped {
            all.push(format!(
                "WHEN {} IS NOT NULL THEN NULL",
                id("cutover_where_error")
            ));
        }
        all.extend(arms.iter().cloned());
        format!("CASE {} END", all.join(" "))
    };
    // Reorder to the table's column order.
    let mut ordered = Vec::new();
    for c in &target.columns {
        if let Some(i) = outcomes.iter().position(|(x, _)| x == c) {
            ordered.push(outcomes.swap_remove(i));
        }
    }
    let reason_sql = if reason.is_empty() {
        "NULL".to_string()
    } else {
        format!("CASE {} END", reason.join(" "))
    };
    let meta = [
        format!("{reason_sql} AS {}", id("cutover_reason")),
        format!("{} AS {}", case(&rule, true), id("cutover_rule")),
        format!("{} AS {}", case(&column, true), id("cutover_column")),
    ];
    let mut group_keys = Vec::new();
    let mut key_errs = Vec::new();
    for g in &m.group_by {
        let c = compiler.compile(g, &stage)?;
        group_keys.push(c.v);
        if let Some(e) = c.err {
            key_errs.push(e);
        }
    }
    let group_error = first_error(key_errs.into_iter().map(Some)).unwrap_or_else(|| "NULL".into());
    let key_text = key_text(&stage)?;
    let row_json = row_json(&stage);
    let hoisted = stage.hoisted.borrow().clone();
    Ok(MapPlan {
        grouped,
        layer_a,
        key_text,
        row_json,
        outcomes: ordered,
        reason: reason_sql,
        meta,
        hoisted,
        group_keys,
        group_error,
    })
}

impl MapPlan {
    fn final_columns(&self, d: &dyn Dialect, ir: &Ir) -> Vec<String> {
        self.outcomes
            .iter()
            .map(|(c, o)| format!("{} AS {}", o.value, d.ident(&ir.column(*c).name)))
            .collect()
    }

    /// Not grouped: one stage row per row of `rows_in` (layer A's shape):
    /// source key, source row (rejected rows), target columns, failure.
    pub fn stage_select(&self, d: &dyn Dialect, ir: &Ir, rows_in: &str) -> String {
        let id = |s: &str| d.ident(s);
        format!(
            "SELECT {} AS {},\n       CASE WHEN {} IS NOT NULL THEN {} END AS {},\n       {},\n       {}\n  FROM (\n{}\n  ) AS rows_in",
            self.key_text,
            id("cutover_source_key"),
            self.reason,
            self.row_json,
            id("cutover_source_row"),
            self.final_columns(d, ir).join(",\n       "),
            self.meta.join(",\n       "),
            indent(&self.layered(d, rows_in))
        )
    }

    /// Not grouped: the values of `columns` for each row of `rows_in`
    /// (layer A's shape), without the failure columns.
    pub fn values_select(
        &self,
        d: &dyn Dialect,
        ir: &Ir,
        rows_in: &str,
        columns: &[ColumnId],
    ) -> String {
        let values: Vec<String> = self
            .outcomes
            .iter()
            .filter(|(c, _)| columns.contains(c))
            .map(|(c, o)| format!("{} AS {}", o.value, d.ident(&ir.column(*c).name)))
            .collect();
        format!(
            "SELECT {}\n  FROM (\n{}\n  ) AS rows_in",
            values.join(", "),
            indent(&self.layered(d, rows_in))
        )
    }

    /// `rows_in` with the hoisted helper values added, layer by layer.
    fn layered(&self, d: &dyn Dialect, rows_in: &str) -> String {
        let id = |s: &str| d.ident(s);
        let depth = self.hoisted.iter().map(|(_, l, _)| *l).max().unwrap_or(0);
        let mut query = rows_in.to_string();
        for level in 1..=depth {
            let mut cols = Vec::new();
            let mut laterals = String::new();
            for (i, (sql, l, lateral)) in self.hoisted.iter().enumerate() {
                if *l != level {
                    continue;
                }
                let name = id(&hoist_name(i));
                if *lateral {
                    // Its own subquery, so PostgreSQL can memoize it by
                    // its inputs when they repeat (Memoize).
                    cols.push(format!("m{i}.{name}"));
                    let _ = write!(
                        laterals,
                        "\n  CROSS JOIN LATERAL (SELECT {sql} AS {name}{}) AS m{i}",
                        d.fence()
                    );
                } else {
                    cols.push(format!("{sql} AS {name}"));
                }
            }
            query = format!(
                "SELECT l{level}.*, {}\n  FROM (\n{}\n  ) AS l{level}{laterals}{}",
                cols.join(",\n         "),
                indent(&query),
                d.fence()
            );
        }
        query
    }

    /// Each group key as `… AS cutover_g{i}`.
    fn group_key_columns(&self, d: &dyn Dialect) -> Vec<String> {
        self.group_keys
            .iter()
            .enumerate()
            .map(|(i, g)| format!("{g} AS {}", d.ident(&format!("cutover_g{i}"))))
            .collect()
    }

    /// Grouped: every row of layer A with its source key, source row,
    /// group keys `cutover_g{i}` and group-key failure.
    pub fn rows_select(&self, d: &dyn Dialect) -> String {
        let id = |s: &str| d.ident(s);
        let key_cols = self.group_key_columns(d);
        format!(
            "SELECT rows_in.*, {} AS {}, {} AS {},\n       {},\n       CASE WHEN {} IS NOT NULL THEN NULL ELSE {} END AS {}\n  FROM (\n{}\n  ) AS rows_in",
            self.key_text,
            id("cutover_source_key"),
            self.row_json,
            id("cutover_source_row"),
            key_cols.join(", "),
            id("cutover_where_error"),
            self.group_error,
            id("cutover_group_error"),
            indent(&self.layer_a)
        )
    }

    /// Grouped: one stage row per group of `rows_from` (rows_select's shape).
    pub fn group_select(&self, d: &dyn Dialect, ir: &Ir, rows_from: &str) -> String {
        let id = |s: &str| d.ident(s);
        let gkeys = self.group_key_columns(d);
        format!(
            "SELECT {}, NULL AS {}, NULL AS {},\n       {},\n       {}\n  FROM {rows_from}\n WHERE {} IS NULL AND {} IS NULL\n GROUP BY {}",
            gkeys.join(", "),
            id("cutover_source_key"),
            id("cutover_source_row"),
            self.final_columns(d, ir).join(",\n       "),
            self.meta.join(",\n       "),
            id("cutover_where_error"),
            id("cutover_group_error"),
            self.group_keys.join(", ")
        )
    }

    /// The stage rows as one query (the gates' form; the load uses
    /// temporary tables instead).
    pub fn stage_query(&self, d: &dyn Dialect, ir: &Ir) -> String {
        if self.grouped {
            let rows = format!(
                "(\n{}\n  ) AS {}",
                indent(&self.rows_select(d)),
                d.ident("cutover_rows")
            );
            self.group_select(d, ir, &rows)
        } else {
            self.stage_select(d, ir, &self.layer_a)
        }
    }
}

/// One chunk of a `batch` map, as the map's statements see it.
struct ChunkSql {
    /// A condition over layer A's names: the rows of the chunk.
    within: String,
    /// Whether the target held rows before this batch: only then can a
    /// row of the chunk already be there (this batch committed each chunk
    /// with its checkpoint, so it never loaded rows past the last one).
    held_rows: String,
}

/// A map's statements; `chunk` limits them to one chunk of a `batch` map.
fn map_statements(
    ir: &Ir,
    d: &dyn Dialect,
    compiler: &Compiler<'_>,
    map: MapId,
    chunk: Option<&ChunkSql>,
    out: &mut String,
) -> Result<(), Unsupported> {
    let m = ir.map(map);
    let id = |s: &str| d.ident(s);
    let grouped = !m.group_by.is_empty();
    let target = ir.table(m.target);
    let mut p = plan(ir, d, compiler, map, true)?;
    if let Some(c) = chunk {
        p.layer_a = format!(
            "SELECT *\n  FROM (\n{}\n  ) AS {}\n WHERE {}",
            indent(&p.layer_a),
            id("cutover_a"),
            c.within
        );
    }
    let names: Vec<String> = target
        .columns
        .iter()
        .map(|c| id(&ir.column(*c).name))
        .collect();
    let stage_table = id("cutover_stage");
    let rows_table = id("cutover_rows");
    let _ = writeln!(
        out,
        "-- map {}: {} -> {}",
        m.name,
        ir.table_path(m.source()),
        ir.table_path(m.target)
    );
    let _ = writeln!(out, "DROP TABLE IF EXISTS {stage_table};");
    if !grouped {
        let select = p.stage_select(d, ir, &p.layer_a);
        let stage = match chunk {
            Some(_) => d.create_chunk_stage("cutover_stage", &select),
            None => d.create_stage("cutover_stage", &select),
        };
        let _ = writeln!(out, "{stage}");
    } else {
        // Rows first (with their group keys), then one row per group.
        let _ = writeln!(out, "DROP TABLE IF EXISTS {rows_table};");
        let _ = writeln!(out, "{}", d.create_stage("cutover_rows", &p.rows_select(d)));
        let _ = writeln!(
            out,
            "{}",
            d.create_stage("cutover_stage", &p.group_select(d, ir, &rows_table))
        );
    }
    // A chunk's stage is small and read once per key: not worth statistics.
    if chunk.is_none() {
        if let Some(a) = d.analyze(&stage_table) {
            let _ = writeln!(out, "{a}");
        }
    }

    // Rows loaded or quarantined by an earlier run are dropped from the
    // stage first, in statements that do not write the table they look
    // up: an anti-join against a table the same statement fills would be
    // planned for its size before the statement (empty) and scan it once
    // per row.
    let quarantine = d.meta_table("quarantine");
    let pk: Vec<String> = target
        .primary_key
        .iter()
        .map(|c| id(&ir.column(*c).name))
        .collect();
    if !pk.is_empty() {
        let on: Vec<String> = pk
            .iter()
            .map(|c| format!("t.{c} = {stage_table}.{c}"))
            .collect();
        match chunk {
            None => {
                let _ = writeln!(
                    out,
                    "DELETE FROM {stage_table}\n WHERE {} IS NULL\n   AND EXISTS (SELECT 1 FROM {} AS t WHERE {});",
                    id("cutover_reason"),
                    qualified(ir, d, m.target),
                    on.join(" AND ")
                );
            }
            // Only rows of earlier batches are skipped: a key this batch
            // loaded in an earlier chunk is a duplicate, which the insert
            // refuses as the one-shot load does.
            Some(c) => {
                let _ = writeln!(
                    out,
                    "DELETE FROM {stage_table}\n WHERE {} IS NULL\n   AND {}\n   AND EXISTS (SELECT 1 FROM {} AS t WHERE {} AND t.{} <> {});",
                    id("cutover_reason"),
                    c.held_rows,
                    qualified(ir, d, m.target),
                    on.join(" AND "),
                    id(BATCH_COLUMN),
                    current_batch(d)
                );
            }
        }
    }
    let quarantined = |table: &str| {
        format!(
            "EXISTS (SELECT 1 FROM {quarantine} AS q WHERE q.{} = {} AND q.{} = {table}.{})",
            id("map_name"),
            d.text(&m.name),
            id("source_key"),
            id("cutover_source_key")
        )
    };
    let _ = writeln!(
        out,
        "DELETE FROM {0}\n WHERE {1}{2};",
        if grouped { &rows_table } else { &stage_table },
        if grouped {
            String::new()
        } else {
            format!("{} IS NOT NULL\n   AND ", id("cutover_reason"))
        },
        quarantined(if grouped { &rows_table } else { &stage_table })
    );

    // Into the target: rows without a failure.
    let s_names: Vec<String> = names.iter().map(|n| format!("s.{n}")).collect();
    let _ = writeln!(
        out,
        "INSERT INTO {} ({}, {})\nSELECT {}, {}\n  FROM {stage_table} AS s\n WHERE s.{} IS NULL;",
        qualified(ir, d, m.target),
        names.join(", "),
        id(BATCH_COLUMN),
        s_names.join(", "),
        current_batch(d),
        id("cutover_reason"),
    );
    // A chunk is small next to the table: the chunked load analyzes the
    // target once, at its end.
    if chunk.is_none() {
        if let Some(a) = d.analyze(&qualified(ir, d, m.target)) {
            let _ = writeln!(out, "{a}");
        }
    }

    // Into the quarantine: every rejected source row, once per map.
    let q_cols = [
        "batch_id",
        "map_name",
        "source_table",
        "source_key",
        "rule_id",
        "column_name",
        "reason",
        "source_row",
        "quarantined_at",
    ]
    .map(&id)
    .join(", ");
    let fixed = format!(
        "{}, {}, {}",
        current_batch(d),
        d.text(&m.name),
        d.text(&ir.table_path(m.source()))
    );
    if !grouped {
        let _ = writeln!(
            out,
            "INSERT INTO {quarantine} ({q_cols})\nSELECT {fixed}, r.{}, r.{}, r.{}, r.{}, r.{}, {}\n  FROM {stage_table} AS r\n WHERE r.{} IS NOT NULL;",
            id("cutover_source_key"),
            id("cutover_rule"),
            id("cutover_column"),
            id("cutover_reason"),
            id("cutover_source_row"),
            clock(d),
            id("cutover_reason"),
        );
    } else {
        // Rows whose `where` or group key failed, and every row of a
        // rejected group, with the group's reason.
        let _ = writeln!(
            out,
            "INSERT INTO {quarantine} ({q_cols})\nSELECT {fixed}, r.{}, NULL, NULL, COALESCE(r.{}, 'group by: ' || r.{}), r.{}, {}\n  FROM {rows_table} AS r\n WHERE r.{} IS NOT NULL OR r.{} IS NOT NULL;",
            id("cutover_source_key"),
            id("cutover_where_error"),
            id("cutover_group_error"),
            id("cutover_source_row"),
            clock(d),
            id("cutover_where_error"),
            id("cutover_group_error"),
        );
        let same_group: Vec<String> = (0..m.group_by.len())
            .map(|i| {
                let g = id(&format!("cutover_g{i}"));
                d.same(&format!("g.{g}"), &format!("r.{g}"))
            })
            .collect();
        let _ = writeln!(
            out,
            "INSERT INTO {quarantine} ({q_cols})\nSELECT {fixed}, r.{}, g.{}, g.{}, g.{}, r.{}, {}\n  FROM {rows_table} AS r\n  JOIN {stage_table} AS g ON {}\n WHERE r.{} IS NULL AND r.{} IS NULL AND g.{} IS NOT NULL;",
            id("cutover_source_key"),
            id("cutover_rule"),
            id("cutover_column"),
            id("cutover_reason"),
            id("cutover_source_row"),
            clock(d),
            same_group.join(" AND "),
            id("cutover_where_error"),
            id("cutover_group_error"),
            id("cutover_reason"),
        );
        let _ = writeln!(out, "DROP TABLE {rows_table};");
    }
    let _ = writeln!(out, "DROP TABLE {stage_table};\n");
    Ok(())
}

/// When a stored value makes the assignment fail: an error, or NULL into
/// a `not null` column.
fn fail_of(c: &Code, not_null: bool) -> Option<String> {
    match (&c.err, not_null) {
        (Some(e), true) => Some(format!("({e} IS NOT NULL OR {} IS NULL)", c.v)),
        (Some(e), false) => Some(format!("{e} IS NOT NULL")),
        (None, true) => Some(format!("{} IS NULL", c.v)),
        (None, false) => None,
    }
}

/// A JSON object of `'name', value` pairs, as text, in chunks small enough
/// for each database's argument limit.
fn json_object(d: &dyn Dialect, pairs: &[String]) -> String {
    let chunks: Vec<String> = pairs
        .chunks(40)
        .map(|c| d.json_object(&c.join(", ")))
        .collect();
    d.json_merge(&chunks)
}

pub(crate) fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
