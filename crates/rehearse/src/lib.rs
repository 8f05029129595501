//! `cutover rehearse`: the whole migration on embedded SQLite. It runs
//! the SQLite scripts the SQL backend generates (schema, preflight checks,
//! load, post-load checks, rollback), not a second implementation: the
//! same statements a team runs with `sqlite3`, here through rusqlite with
//! Cutover's SQLite functions registered.
//!
//! The source is a SQLite file, attached read-only under each source
//! system's name, or a directory of CSV files (`<table>.csv`, or
//! `<system>.<table>.csv`), read with the evaluator's typed CSV reader into
//! in-memory databases. The target is a SQLite file (its target systems in
//! `<stem>.<system>.sqlite` beside it, as the Python runner keeps them).

use cutover_backend_sql::gates::{self, CheckSql};
use cutover_backend_sql::{Dialect, Sqlite};
use cutover_ir::{CompareOp, Ir, Metric, Role, TableId, Threshold, Timing, Trigger};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The rows of the map being loaded, counted as SQLite writes them (its
/// update hook): `staged` as the transform's rows reach the stage table
/// (for a grouped map, its rows before grouping), `written` as rows reach
/// the target table or the quarantine.
#[derive(Default, Debug)]
pub struct RowCounts {
    pub staged: AtomicU64,
    pub written: AtomicU64,
}

/// What a rehearsal says while it runs. The load blocks the calling
/// thread; a display reads [`RowCounts`] from another.
pub trait Progress {
    /// A step starts: "preflight gates", "map NAME", "post-load gates",
    /// "rollback".
    fn step(&mut self, what: &str);
    /// Whether to count rows while maps load (a hook call per row).
    fn counts_rows(&self) -> bool {
        false
    }
    /// A map's load starts: `source_rows` rows to read; `counts` grows
    /// while it runs (only when [`Progress::counts_rows`]).
    fn map_started(&mut self, _map: &str, _source_rows: u64, _counts: Arc<RowCounts>) {}
    /// The map's load has ended.
    fn map_finished(&mut self, _map: &str) {}
}

/// A closure hears the steps only.
impl<F: FnMut(&str)> Progress for F {
    fn step(&mut self, what: &str) {
        self(what)
    }
}

pub struct Options<'a> {
    pub spec_path: &'a str,
    pub spec_text: &'a str,
    pub sha256: &'a str,
    /// A SQLite file, or a directory of CSV files.
    pub source: PathBuf,
    /// The target's main file; None: a temporary one, removed afterwards.
    pub target: Option<PathBuf>,
    /// Gates forced to fail, to rehearse the rollback path.
    pub fail_gates: Vec<String>,
}

/// What stops a rehearsal before it decides anything.
#[derive(Debug)]
pub enum Error {
    /// Bad input: a missing file or table, a malformed CSV (exit 2).
    Input(String),
    /// A statement of the generated scripts failed.
    Sql(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Input(m) | Error::Sql(m) => f.write_str(m),
        }
    }
}

#[derive(Serialize, Debug)]
pub struct Report {
    pub spec: String,
    pub target: String,
    pub maps: Vec<MapReport>,
    pub checks: Vec<CheckReport>,
    pub triggers: Vec<TriggerReport>,
    /// Whether the load ran (not when a blocking preflight check failed).
    pub loaded: bool,
    pub rolled_back: bool,
    /// After a rollback: whether every loaded table and the quarantine are
    /// exactly as before the load (checksums).
    pub restored: Option<bool>,
    /// Every blocking check passed and no trigger fired.
    pub passed: bool,
    pub seconds: f64,
    pub load_seconds: f64,
    pub rows_read: u64,
    /// Source rows read per second of load.
    pub rows_per_second: f64,
}

#[derive(Serialize, Debug)]
pub struct MapReport {
    pub name: String,
    pub read: u64,
    pub loaded: u64,
    pub rejected: u64,
    pub top_reasons: Vec<(String, u64)>,
    pub seconds: f64,
}

#[derive(Serialize, Debug)]
pub struct CheckReport {
    pub gate: String,
    pub number: usize,
    pub check: String,
    pub timing: &'static str,
    pub blocking: bool,
    pub violations: u64,
    pub passed: bool,
    /// Failed because `--fail-gate` named its gate.
    pub forced: bool,
    /// The first violating rows, PII masked.
    pub sample: Vec<Vec<String>>,
    pub seconds: f64,
}

#[derive(Serialize, Debug)]
pub struct TriggerReport {
    pub trigger: String,
    pub fired: bool,
}

fn sql_error(what: &str, e: rusqlite::Error) -> Error {
    Error::Sql(format!("{what}: {e}"))
}

/// Runs the rehearsal; `progress` is told what starts (a map, a gate).
pub fn rehearse(ir: &Ir, opts: &Options<'_>, progress: &mut dyn Progress) -> Result<Report, Error> {
    let started = Instant::now();
    let d = Sqlite;
    let scripts = cutover_backend_sql::build(
        ir,
        &d,
        &cutover_backend_sql::SpecInfo {
            path: opts.spec_path,
            sha256: opts.sha256,
            text: opts.spec_text,
        },
    )
    .map_err(|u| {
        Error::Input(format!(
            "the spec cannot be compiled for SQLite: {}",
            u.what
        ))
    })?;
    let script = |name: &str| {
        scripts
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.text.clone())
            .unwrap_or_default()
    };

    let temporary = opts.target.is_none();
    let main = match &opts.target {
        Some(p) => p.clone(),
        None => {
            // Unique within the process too: rehearsals may run side by side.
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::env::temp_dir().join(format!(
                "cutover-rehearse-{}-{n}.sqlite",
                std::process::id()
            ))
        }
    };
    // A temporary target goes when the rehearsal ends, however it ends.
    let _cleanup = Cleanup {
        ir,
        main: temporary.then(|| main.clone()),
    };
    let conn = open_target(ir, &main)?;
    attach_source(ir, &conn, &opts.source)?;

    let mut report = Report {
        spec: opts.spec_path.into(),
        target: if temporary {
            "(temporary)".into()
        } else {
            main.display().to_string()
        },
        maps: Vec::new(),
        checks: Vec::new(),
        triggers: Vec::new(),
        loaded: false,
        rolled_back: false,
        restored: None,
        passed: false,
        seconds: 0.0,
        load_seconds: 0.0,
        rows_read: 0,
        rows_per_second: 0.0,
    };

    conn.execute_batch(&script("10_schema.sql"))
        .map_err(|e| sql_error("10_schema.sql", e))?;
    let before = checksums(ir, &conn)?;

    progress.step("preflight gates");
    let preflight = run_checks(ir, &conn, opts, Timing::BeforeLoad)?;
    let preflight_failed = preflight.iter().any(|c| c.blocking && !c.passed);
    report.checks.extend(preflight);
    if !preflight_failed {
        let load = script("30_load.sql");
        let load_started = Instant::now();
        for (name, chunk, repeat) in load_chunks(&load) {
            let map = name
                .as_deref()
                .and_then(|n| ir.maps.iter().find(|m| m.name == n));
            if let Some(m) = map {
                progress.step(&format!("map {}", m.name));
                if progress.counts_rows() {
                    let counts = Arc::new(RowCounts::default());
                    count_rows(ir, &conn, m, &counts);
                    progress.map_started(&m.name, source_rows(ir, &conn, m)?, counts);
                }
            }
            let t = Instant::now();
            let done = if repeat {
                repeat_chunks(&conn, &chunk)
            } else {
                conn.execute_batch(&chunk)
            };
            conn.update_hook(None::<fn(rusqlite::hooks::Action, &str, &str, i64)>);
            if let Some(m) = map {
                progress.map_finished(&m.name);
            }
            done.map_err(|e| {
                sql_error(
                    &format!("30_load.sql ({})", name.as_deref().unwrap_or("batch")),
                    e,
                )
            })?;
            if let Some(name) = name {
                report.maps.push(MapReport {
                    name,
                    read: 0,
                    loaded: 0,
                    rejected: 0,
                    top_reasons: Vec::new(),
                    seconds: t.elapsed().as_secs_f64(),
                });
            }
        }
        report.load_seconds = load_started.elapsed().as_secs_f64();
        report.loaded = true;
        map_counts(ir, &conn, &mut report)?;
        progress.step("post-load gates");
        report
            .checks
            .extend(run_checks(ir, &conn, opts, Timing::AfterLoad)?);
        report.triggers = triggers(ir, &conn, opts.spec_text, &report.checks)?;
        if report.triggers.iter().any(|t| t.fired) {
            progress.step("rollback");
            conn.execute_batch(&script("90_rollback.sql"))
                .map_err(|e| sql_error("90_rollback.sql", e))?;
            report.rolled_back = true;
            report.restored = Some(checksums(ir, &conn)? == before);
        }
    }
    report.passed = !report.checks.iter().any(|c| c.blocking && !c.passed)
        && !report.triggers.iter().any(|t| t.fired);
    report.rows_read = report.maps.iter().map(|m| m.read).sum();
    report.rows_per_second = if report.load_seconds > 0.0 {
        report.rows_read as f64 / report.load_seconds
    } else {
        0.0
    };
    report.seconds = started.elapsed().as_secs_f64();
    drop(conn);
    Ok(report)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn system_file(main: &Path, system: &str) -> PathBuf {
    main.with_extension("")
        .with_extension(format!("{system}.sqlite"))
}

/// The connection's settings per target database, not the scripts':
/// a page cache that holds a million-row table's indexes (SQLite's default
/// is 2 MB), and no fsync — a rehearsal target need not survive a power
/// cut, only a killed process, which the rollback journal still covers.
const SETTINGS: &str = "PRAGMA {db}.cache_size = -262144; PRAGMA {db}.synchronous = OFF;";

fn open_target(ir: &Ir, main: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(main)
        .map_err(|e| Error::Input(format!("{}: cannot open the target: {e}", main.display())))?;
    conn.execute_batch(&format!(
        "PRAGMA temp_store = MEMORY; {}",
        SETTINGS.replace("{db}", "main")
    ))
    .map_err(|e| sql_error("settings", e))?;
    cutover_sqlite_functions::register(&conn)
        .map_err(|e| sql_error("Cutover's SQLite functions", e))?;
    for s in ir.systems.iter().filter(|s| s.role == Role::Target) {
        let file = system_file(main, &s.name);
        conn.execute_batch(&format!(
            "ATTACH DATABASE {} AS {};",
            literal(&file.display().to_string()),
            quote(&s.name)
        ))
        .map_err(|e| Error::Input(format!("{}: cannot attach: {e}", file.display())))?;
        conn.execute_batch(&SETTINGS.replace("{db}", &quote(&s.name)))
            .map_err(|e| sql_error("settings", e))?;
    }
    Ok(conn)
}

struct Cleanup<'a> {
    ir: &'a Ir,
    main: Option<PathBuf>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let Some(main) = &self.main else { return };
        let _ = std::fs::remove_file(main);
        for s in self.ir.systems.iter().filter(|s| s.role == Role::Target) {
            let _ = std::fs::remove_file(system_file(main, &s.name));
        }
    }
}

/// The source tables the maps read.
fn read_tables(ir: &Ir) -> Vec<TableId> {
    let mut out: Vec<TableId> = Vec::new();
    for m in &ir.maps {
        for s in &m.sources {
            if !out.contains(&s.table) {
                out.push(s.table);
            }
        }
    }
    out
}

fn attach_source(ir: &Ir, conn: &Connection, source: &Path) -> Result<(), Error> {
    let sources: Vec<&cutover_ir::System> = ir
        .systems
        .iter()
        .filter(|s| s.role == Role::Source)
        .collect();
    if source.is_dir() {
        return load_csv_dir(ir, conn, source);
    }
    if !source.is_file() {
        return Err(Error::Input(format!(
            "{}: no such file or directory (give a SQLite file or a directory of CSV files)",
            source.display()
        )));
    }
    // Read-only: the rehearsal never writes to its source.
    let uri = format!(
        "file:{}?mode=ro",
        source
            .display()
            .to_string()
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23")
    );
    for s in &sources {
        conn.execute_batch(&format!(
            "ATTACH DATABASE {} AS {};",
            literal(&uri),
            quote(&s.name)
        ))
        .map_err(|e| Error::Input(format!("{}: not a SQLite database: {e}", source.display())))?;
    }
    for t in read_tables(ir) {
        let table = ir.table(t);
        let system = &ir.system(table.system).name;
        let n: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM {}.sqlite_master WHERE type IN ('table', 'view') AND name = {}",
                    quote(system),
                    literal(&table.name)
                ),
                [],
                |r| r.get(0),
            )
            .map_err(|e| Error::Input(format!("{}: {e}", source.display())))?;
        if n == 0 {
            return Err(Error::Input(format!(
                "{}: no table `{}` (source table {})",
                source.display(),
                table.name,
                ir.table_path(t)
            )));
        }
    }
    Ok(())
}

/// `<system>.<table>.csv`, else `<table>.csv`.
fn csv_file(ir: &Ir, dir: &Path, t: TableId) -> PathBuf {
    let table = ir.table(t);
    let qualified = dir.join(format!(
        "{}.{}.csv",
        ir.system(table.system).name,
        table.name
    ));
    if qualified.is_file() {
        qualified
    } else {
        dir.join(format!("{}.csv", table.name))
    }
}

/// The typed rows of every source table that has a CSV file in `dir`;
/// a table a map reads must have one.
fn read_csv_dir(ir: &Ir, dir: &Path) -> Result<Vec<(TableId, cutover_eval::Rows)>, Error> {
    let read = read_tables(ir);
    let mut out = Vec::new();
    for (i, table) in ir.tables.iter().enumerate() {
        let t = TableId(i as u32);
        if ir.system(table.system).role != Role::Source {
            continue;
        }
        let file = csv_file(ir, dir, t);
        if !file.is_file() {
            if read.contains(&t) {
                return Err(Error::Input(format!(
                    "{}: missing: source table {} is read by a map (name the file `{}.csv` or `{}.{}.csv`)",
                    file.display(),
                    ir.table_path(t),
                    table.name,
                    ir.system(table.system).name,
                    table.name
                )));
            }
            continue;
        }
        let bytes =
            std::fs::read(&file).map_err(|e| Error::Input(format!("{}: {e}", file.display())))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
            Error::Input(format!(
                "{}: line {line}: not UTF-8 (byte {at}); save the file as UTF-8",
                file.display()
            ))
        })?;
        let rows = cutover_eval::csv::table_rows(ir, t, &text)
            .map_err(|e| Error::Input(format!("{}: {e}", file.display())))?;
        out.push((t, rows));
    }
    Ok(out)
}

/// Creates table `t` as `name` (columns of its declared types, no
/// constraints: sample data may break them on purpose) and fills it, a
/// thousand rows per batch of statements (one batch of every row would
/// cost time quadratic in the rows).
fn fill_table(
    ir: &Ir,
    conn: &Connection,
    t: TableId,
    name: &str,
    rows: &cutover_eval::Rows,
) -> Result<(), Error> {
    use cutover_backend_sql::values::{insert_rows, source_table_ddl};
    let what = ir.table_path(t);
    conn.execute_batch(&format!(
        "BEGIN;\n{}",
        source_table_ddl(&Sqlite, ir, t, name, "")
    ))
    .map_err(|e| sql_error(&what, e))?;
    for chunk in rows.chunks(1000) {
        conn.execute_batch(&insert_rows(&Sqlite, ir, t, name, chunk))
            .map_err(|e| sql_error(&what, e))?;
    }
    conn.execute_batch("COMMIT;")
        .map_err(|e| sql_error(&what, e))
}

fn load_csv_dir(ir: &Ir, conn: &Connection, dir: &Path) -> Result<(), Error> {
    let d = Sqlite;
    let tables = read_csv_dir(ir, dir)?;
    for s in ir.systems.iter().filter(|s| s.role == Role::Source) {
        conn.execute_batch(&format!(
            "ATTACH DATABASE ':memory:' AS {};",
            quote(&s.name)
        ))
        .map_err(|e| sql_error("attach", e))?;
    }
    for (t, rows) in &tables {
        let table = ir.table(*t);
        let name = d.table(&ir.system(table.system).name, &table.name);
        fill_table(ir, conn, *t, &name, rows)?;
    }
    Ok(())
}

/// A directory of CSV files as one SQLite file holding the source tables
/// under their own names: the form `--source FILE` takes.
pub fn csv_to_sqlite(ir: &Ir, dir: &Path, file: &Path) -> Result<(), Error> {
    let tables = read_csv_dir(ir, dir)?;
    let conn =
        Connection::open(file).map_err(|e| Error::Input(format!("{}: {e}", file.display())))?;
    for (t, rows) in &tables {
        fill_table(ir, &conn, *t, &quote(&ir.table(*t).name), rows)?;
    }
    Ok(())
}

/// The load script cut before each `-- map NAME:` comment: the preamble
/// (BEGIN, the batch, the snapshot), one part per map, and the end (the
/// batch marked loaded, COMMIT) with the last map. One connection runs
/// them in order, so the transaction is the script's own. The chunk of a
/// `batch` map (between the chunk markers) is one part, marked to be
/// repeated.
fn load_chunks(script: &str) -> Vec<(Option<String>, String, bool)> {
    let mut out: Vec<(Option<String>, String, bool)> = vec![(None, String::new(), false)];
    let mut in_chunk = false;
    for line in script.lines() {
        if line == cutover_backend_sql::load::CHUNK_BEGIN {
            in_chunk = true;
            out.push((None, String::new(), true));
        } else if line == cutover_backend_sql::load::CHUNK_END {
            in_chunk = false;
            out.push((None, String::new(), false));
            continue;
        }
        if let Some(rest) = line.strip_prefix("-- map ") {
            let name = rest.split(':').next().unwrap_or(rest).trim().to_string();
            match out.last_mut() {
                Some((n @ None, _, true)) if in_chunk => *n = Some(name),
                _ => out.push((Some(name), String::new(), false)),
            }
        }
        if let Some((_, chunk, _)) = out.last_mut() {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    out
}

/// Runs a chunk of a `batch` map until one finds no key: SQLite has no
/// loops, so the script marks the part and the runner repeats it.
fn repeat_chunks(conn: &Connection, chunk: &str) -> rusqlite::Result<()> {
    loop {
        conn.execute_batch(chunk)?;
        let keys: i64 =
            conn.query_row("SELECT count(*) FROM \"cutover_chunk\"", [], |r| r.get(0))?;
        if keys == 0 {
            return Ok(());
        }
    }
}

/// Counts the rows `map`'s load writes into `counts` (SQLite's update
/// hook: the stage is filled by INSERT for this).
fn count_rows(ir: &Ir, conn: &Connection, map: &cutover_ir::Map, counts: &Arc<RowCounts>) {
    let stage = if map.group_by.is_empty() {
        "cutover_stage"
    } else {
        "cutover_rows"
    };
    let target = ir.table(map.target).name.clone();
    let counts = Arc::clone(counts);
    conn.update_hook(Some(move |action, _db: &str, table: &str, _rowid: i64| {
        if action != rusqlite::hooks::Action::SQLITE_INSERT {
            return;
        }
        if table == stage {
            counts.staged.fetch_add(1, Ordering::Relaxed);
        } else if table == target || table == "cutover_quarantine" {
            counts.written.fetch_add(1, Ordering::Relaxed);
        }
    }));
}

/// The rows of a map's first source table.
fn source_rows(ir: &Ir, conn: &Connection, map: &cutover_ir::Map) -> Result<u64, Error> {
    let source = ir.table(map.source());
    conn.query_row(
        &format!(
            "SELECT count(*) FROM {}",
            Sqlite.table(&ir.system(source.system).name, &source.name)
        ),
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n.max(0) as u64)
    .map_err(|e| sql_error("counts", e))
}

/// Per map: rows read, loaded and rejected by this batch, top reasons.
fn map_counts(ir: &Ir, conn: &Connection, report: &mut Report) -> Result<(), Error> {
    let d = Sqlite;
    let batch: i64 = conn
        .query_row(
            &format!("SELECT max(batch_id) FROM {}", d.meta_table("batches")),
            [],
            |r| r.get(0),
        )
        .map_err(|e| sql_error("batch", e))?;
    for m in &mut report.maps {
        let Some(map) = ir.maps.iter().find(|x| x.name == m.name) else {
            continue;
        };
        let target = ir.table(map.target);
        let count = |sql: String| -> Result<u64, Error> {
            conn.query_row(&sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(|e| sql_error("counts", e))
        };
        m.read = source_rows(ir, conn, map)?;
        m.loaded = count(format!(
            "SELECT count(*) FROM {} WHERE cutover_batch_id = {batch}",
            d.table(&ir.system(target.system).name, &target.name)
        ))?;
        m.rejected = count(format!(
            "SELECT count(*) FROM {} WHERE batch_id = {batch} AND map_name = {}",
            d.meta_table("quarantine"),
            literal(&map.name)
        ))?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT reason, count(*) FROM {} WHERE batch_id = {batch} AND map_name = {} GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 3",
                d.meta_table("quarantine"),
                literal(&map.name)
            ))
            .map_err(|e| sql_error("reasons", e))?;
        let reasons = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| sql_error("reasons", e))?;
        for r in reasons {
            m.top_reasons.push(r.map_err(|e| sql_error("reasons", e))?);
        }
    }
    Ok(())
}

fn text(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!(
            "x'{}'",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
    }
}

fn run_checks(
    ir: &Ir,
    conn: &Connection,
    opts: &Options<'_>,
    timing: Timing,
) -> Result<Vec<CheckReport>, Error> {
    let d = Sqlite;
    let checks = gates::checks(ir, &d, opts.spec_text, timing)
        .map_err(|u| Error::Input(format!("a check cannot be compiled for SQLite: {}", u.what)))?;
    let mut out = Vec::new();
    for c in checks {
        out.push(run_check(conn, &c, opts, timing)?);
    }
    Ok(out)
}

/// Violating rows a report shows per check.
const SAMPLE_ROWS: usize = 3;

fn run_check(
    conn: &Connection,
    c: &CheckSql,
    opts: &Options<'_>,
    timing: Timing,
) -> Result<CheckReport, Error> {
    let started = Instant::now();
    let what = format!("check {} #{}", c.gate, c.number);
    let body = c.violations.trim().trim_end_matches(';');
    let checked = match &c.checked {
        None => None,
        Some(q) if q.chars().all(|ch| ch.is_ascii_digit()) => q.parse::<u64>().ok(),
        Some(q) => Some(
            conn.query_row(q.trim().trim_end_matches(';'), [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map_err(|e| sql_error(&what, e))?
            .unwrap_or(0) as u64,
        ),
    };
    // One pass: every violating row is counted, the first few kept.
    let mut sample = Vec::new();
    let mut violations = 0u64;
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM ({body})"))
        .map_err(|e| sql_error(&what, e))?;
    let names: Vec<String> = stmt.column_names().iter().map(|n| n.to_string()).collect();
    let mut rows = stmt.query([]).map_err(|e| sql_error(&what, e))?;
    while let Some(r) = rows.next().map_err(|e| sql_error(&what, e))? {
        violations += 1;
        if sample.len() as u64 == c.shown.unwrap_or(SAMPLE_ROWS as u64) {
            continue;
        }
        let mut cells = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let v = r.get_ref(i).map_err(|e| sql_error(&what, e))?;
            cells.push(if c.pii.iter().any(|p| p == n) {
                "(PII, masked)".into()
            } else {
                format!("{n}={}", text(v))
            });
        }
        sample.push(cells);
    }
    let forced = opts.fail_gates.contains(&c.gate);
    Ok(CheckReport {
        gate: c.gate.clone(),
        number: c.number,
        check: c.label.clone(),
        timing: match timing {
            Timing::BeforeLoad => "before load",
            Timing::AfterLoad => "after load",
        },
        blocking: c.blocking,
        violations,
        passed: !forced && c.passes(violations, checked),
        forced,
        sample,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn metric(ir: &Ir, conn: &Connection, m: &Metric) -> Result<f64, Error> {
    let q = gates::metric_query(ir, &Sqlite, m).map_err(|u| {
        Error::Input(format!(
            "a metric cannot be compiled for SQLite: {}",
            u.what
        ))
    })?;
    conn.query_row(&q, [], |r| r.get::<_, Option<f64>>(0))
        .map(|v| v.unwrap_or(0.0))
        .map_err(|e| sql_error("metric", e))
}

fn sum(ir: &Ir, conn: &Connection, terms: &[(bool, Metric)]) -> Result<f64, Error> {
    let mut total = 0.0;
    for (plus, m) in terms {
        let v = metric(ir, conn, m)?;
        total += if *plus { v } else { -v };
    }
    Ok(total)
}

fn compare(op: CompareOp, a: f64, b: f64) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
    }
}

fn triggers(
    ir: &Ir,
    conn: &Connection,
    spec: &str,
    checks: &[CheckReport],
) -> Result<Vec<TriggerReport>, Error> {
    let Some(rollback) = &ir.rollback else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for t in &rollback.triggers {
        let (span, fired) = match t {
            Trigger::GateFails { gate, span } => {
                let name = &ir.gate(*gate).name;
                let failed = checks
                    .iter()
                    .any(|c| &c.gate == name && c.blocking && !c.passed);
                (*span, failed)
            }
            Trigger::Metric {
                left,
                op,
                right,
                span,
            } => {
                let l = sum(ir, conn, left)?;
                let r = match right {
                    Threshold::Metric(m) => sum(ir, conn, m)?,
                    Threshold::Percent(p) => {
                        let rows = match Threshold::percent_base(left) {
                            Some(table) => metric(
                                ir,
                                conn,
                                &Metric::Count {
                                    table,
                                    filter: None,
                                },
                            )?,
                            None => 0.0,
                        };
                        rows * p / 100.0
                    }
                };
                (*span, compare(*op, l, r))
            }
        };
        let text = spec
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.push(TriggerReport {
            trigger: text,
            fired,
        });
    }
    Ok(out)
}

/// A digest of every loaded target table and of the quarantine: rows as
/// text, sorted, hashed.
fn checksums(ir: &Ir, conn: &Connection) -> Result<Vec<(String, String)>, Error> {
    let d = Sqlite;
    let mut tables: Vec<String> = cutover_backend_sql::rollback::loaded_tables(ir)
        .into_iter()
        .map(|t| {
            let table = ir.table(t);
            d.table(&ir.system(table.system).name, &table.name)
        })
        .collect();
    tables.push(d.meta_table("quarantine"));
    let mut out = Vec::new();
    for name in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {name}"))
            .map_err(|e| sql_error("checksum", e))?;
        let n = stmt.column_count();
        let mut rows = stmt.query([]).map_err(|e| sql_error("checksum", e))?;
        let mut lines = Vec::new();
        while let Some(r) = rows.next().map_err(|e| sql_error("checksum", e))? {
            let mut line = String::new();
            for i in 0..n {
                let v = r.get_ref(i).map_err(|e| sql_error("checksum", e))?;
                line.push_str(&format!("{:?}\u{1f}", text(v)));
            }
            lines.push(line);
        }
        lines.sort();
        let mut h = Sha256::new();
        for l in &lines {
            h.update(l.as_bytes());
            h.update(b"\n");
        }
        out.push((name, format!("{:x} {}", h.finalize(), lines.len())));
    }
    Ok(out)
}
