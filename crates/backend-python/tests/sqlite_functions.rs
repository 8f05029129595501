//! Differential test of the Python SQLite functions
//! (`runtime/cutover_sqlite.py`) against the Rust ones
//! (`crates/sqlite-functions`, the reference evaluator's own code).
//!
//! For every shipped example and data set, the SQL backend's generated
//! SQLite scripts run twice on the same file-backed databases (a main file
//! and one attached file per system, filled with the sample rows as the SQL
//! backend's load test fills them): once through rusqlite with the Rust
//! functions registered, once through a `python3` subprocess using the
//! standard library's `sqlite3` with `cutover_sqlite.register`. Both run
//! schema → every preflight check → load → every validation check → a
//! second load over the loaded target → validation → rollback, and every
//! target table, the quarantine and the batches are read back after each
//! step. Every query result is compared cell by cell (as canonical text,
//! rows sorted); a statement that fails must fail on both sides.
//!
//! The clock is fixed: the scripts' two `now` expressions (the batch start
//! and the `now()` of checks and column defaults) are replaced by one
//! literal, so even `migrated_at` and `quarantined_at` compare exactly.
//!
//! Direct cases then call each function on awkward values (decimals at
//! their own scale, every storage class into every kind of argument,
//! overflows, failure messages, aggregates over ties and failures), and
//! malformed calls (bad signatures, undecodable arguments) must be SQL
//! errors on both sides.
//!
//! `CUTOVER_PYTHON` names the interpreter (default `python3`);
//! `CUTOVER_SQLITE_KEEP` keeps the temporary directory, which a failure
//! always keeps.

#[path = "../../backend-sql/tests/common/mod.rs"]
mod common;
use common::{select_text, source_sql, Cells, Db};

use cutover_backend_sql::{build, Dialect, SpecInfo, Sqlite};
use cutover_eval::{csv, Rows};
use cutover_ir::{Ir, Role, TableId, Timing};
use serde_json::{json, Value as J};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The fixed clock both runs use.
const CLOCK: &str = "'2025-06-10 12:34:56.789+00'";

/// The driver the Python side runs: executes the steps of a job on one
/// connection and prints every outcome as JSON.
const DRIVER: &str = r#"
import json
import math
import sqlite3
import sys
import time

from cutover_pkg import cutover_runtime as rt
from cutover_pkg.cutover_sqlite import register

captured = []


def hook(u):
    captured.append(f"{type(u.exc_value).__name__}: {u.exc_value}")


def cell(v):
    if v is None:
        return None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "inf" if v > 0 else ("-inf" if v < 0 else "NaN")
        return rt.to_text(v)
    if isinstance(v, str):
        return v
    return "[" + ", ".join(str(b) for b in v) + "]"


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    sys.unraisablehook = hook
    sqlite3.enable_callback_tracebacks(True)
    started = time.perf_counter()
    conn = sqlite3.connect(job["main"], isolation_level=None)
    register(conn)
    for ident, path in job["attach"]:
        conn.execute(f"ATTACH DATABASE ? AS {ident}", (path,))
    out = []
    for step in job["steps"]:
        captured.clear()
        try:
            if "exec" in step:
                conn.executescript(step["exec"])
                out.append({"rows": None})
            else:
                rows = conn.execute(step["query"]).fetchall()
                out.append({"rows": [[cell(v) for v in r] for r in rows]})
        except sqlite3.Error as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            out.append({"error": "; ".join([str(e)] + captured)})
    conn.close()
    json.dump({"results": out, "seconds": time.perf_counter() - started}, sys.stdout)


main()
"#;

// ─────────────────────────── Steps and outcomes ───────────────────────────

/// One statement of a plan, run the same way on both sides.
#[derive(Clone, Debug)]
enum Step {
    /// A script, run as a batch; its outcome is only whether it failed.
    Exec(String),
    /// A query whose rows are compared.
    Query(String),
}

/// What a step gave: `None` for a script that ran, a query's rows, or an
/// SQL error.
type Outcome = Result<Option<Vec<Cells>>, String>;

/// A step with what it is, for messages.
struct Labeled {
    label: String,
    step: Step,
}

#[derive(Default)]
struct Plan {
    steps: Vec<Labeled>,
}

impl Plan {
    fn exec(&mut self, label: impl Into<String>, sql: impl Into<String>) {
        self.steps.push(Labeled {
            label: label.into(),
            step: Step::Exec(sql.into()),
        });
    }

    fn query(&mut self, label: impl Into<String>, sql: impl Into<String>) {
        self.steps.push(Labeled {
            label: label.into(),
            step: Step::Query(sql.into()),
        });
    }
}

/// A cell as the backend's tests read it: canonical text or NULL.
fn cell(v: rusqlite::types::ValueRef<'_>) -> Option<String> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(x) => Some(cutover_eval::value::float_text(x)),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Some(format!("{b:?}")),
    }
}

fn rust_query(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<Vec<Cells>> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(
            (0..n)
                .map(|i| r.get_ref(i).map(cell))
                .collect::<rusqlite::Result<Cells>>()?,
        );
    }
    Ok(out)
}

/// Runs the plan through rusqlite with the Rust functions.
fn run_rust(conn: &rusqlite::Connection, plan: &Plan) -> Vec<Outcome> {
    plan.steps
        .iter()
        .map(|s| match &s.step {
            Step::Exec(sql) => match conn.execute_batch(sql) {
                Ok(()) => Ok(None),
                Err(e) => {
                    if !conn.is_autocommit() {
                        conn.execute_batch("ROLLBACK;").expect("rollback");
                    }
                    Err(e.to_string())
                }
            },
            Step::Query(sql) => rust_query(conn, sql).map(Some).map_err(|e| e.to_string()),
        })
        .collect()
}

fn python() -> String {
    std::env::var("CUTOVER_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime")
}

/// A fresh temporary directory holding the driver and a package with the
/// two runtime modules.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cutover-sqlite-functions-{}-{tag}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let pkg = dir.join("cutover_pkg");
    std::fs::create_dir_all(&pkg).expect("scratch directory");
    std::fs::write(pkg.join("__init__.py"), "").expect("package");
    for f in ["cutover_runtime.py", "cutover_sqlite.py"] {
        std::fs::copy(runtime_dir().join(f), pkg.join(f))
            .unwrap_or_else(|e| panic!("copy {f}: {e}"));
    }
    std::fs::write(dir.join("driver.py"), DRIVER).expect("driver");
    dir
}

/// Runs the plan in Python on `main` with the files attached.
fn run_python(
    dir: &Path,
    main: &str,
    attach: &[(String, PathBuf)],
    plan: &Plan,
) -> (Vec<Outcome>, Duration) {
    let steps: Vec<J> = plan
        .steps
        .iter()
        .map(|s| match &s.step {
            Step::Exec(sql) => json!({ "exec": sql }),
            Step::Query(sql) => json!({ "query": sql }),
        })
        .collect();
    let attach: Vec<J> = attach
        .iter()
        .map(|(ident, path)| json!([ident, path.to_string_lossy()]))
        .collect();
    let job = dir.join("job.json");
    let document = json!({ "main": main, "attach": attach, "steps": steps });
    std::fs::write(&job, serde_json::to_string(&document).expect("json")).expect("write job");
    let out = Command::new(python())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(dir)
        .arg(dir.join("driver.py"))
        .arg(&job)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python()));
    assert!(
        out.status.success(),
        "the Python driver failed (files in {}):\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: J = serde_json::from_slice(&out.stdout).expect("the driver prints JSON");
    let seconds = report["seconds"].as_f64().unwrap_or(0.0);
    let results = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            if let Some(e) = r.get("error") {
                return Err(e.as_str().unwrap_or_default().to_owned());
            }
            Ok(r["rows"].as_array().map(|rows| {
                rows.iter()
                    .map(|row| {
                        row.as_array()
                            .expect("a row")
                            .iter()
                            .map(|c| c.as_str().map(str::to_owned))
                            .collect()
                    })
                    .collect()
            }))
        })
        .collect::<Vec<_>>();
    assert_eq!(results.len(), plan.steps.len(), "one outcome per step");
    (results, Duration::from_secs_f64(seconds))
}

fn sorted(mut rows: Vec<Cells>) -> Vec<Cells> {
    rows.sort();
    rows
}

/// Rows of `a` not in `b`, counting repeats.
fn missing(a: &[Cells], b: &[Cells]) -> Vec<Cells> {
    let mut left: BTreeMap<&Cells, usize> = BTreeMap::new();
    for r in b {
        *left.entry(r).or_default() += 1;
    }
    let mut out = Vec::new();
    for r in a {
        match left.get_mut(r) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(r.clone()),
        }
    }
    out
}

/// Compares the outcomes step by step; returns every disagreement and the
/// number of cells that agreed.
fn differences(plan: &Plan, rust: &[Outcome], py: &[Outcome]) -> (Vec<String>, usize) {
    let mut diffs = Vec::new();
    let mut cells = 0;
    for ((s, r), p) in plan.steps.iter().zip(rust).zip(py) {
        match (r, p) {
            (Err(_), Err(_)) | (Ok(None), Ok(None)) => {}
            (Ok(Some(a)), Ok(Some(b))) => {
                let (a, b) = (sorted(a.clone()), sorted(b.clone()));
                if a == b {
                    cells += a.iter().map(Vec::len).sum::<usize>();
                } else {
                    let only_rust = missing(&a, &b);
                    let only_py = missing(&b, &a);
                    diffs.push(format!(
                        "{}: {} rows in Rust, {} in Python\n  only in Rust:   {:?}\n  only in Python: {:?}",
                        s.label,
                        a.len(),
                        b.len(),
                        &only_rust[..only_rust.len().min(5)],
                        &only_py[..only_py.len().min(5)],
                    ));
                }
            }
            _ => diffs.push(format!(
                "{}: Rust {:?}, Python {:?}",
                s.label,
                r.as_ref().map(|x| x
                    .as_ref()
                    .map(|rows| { rows.iter().take(3).cloned().collect::<Vec<_>>() })),
                p.as_ref().map(|x| x
                    .as_ref()
                    .map(|rows| { rows.iter().take(3).cloned().collect::<Vec<_>>() })),
            )),
        }
    }
    (diffs, cells)
}

// ─────────────────────────── Examples ───────────────────────────

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec_text(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("examples/{name}/{name}.cutover"))).expect("spec")
}

fn compile(text: &str) -> Ir {
    let compiled = cutover_check::compile(text);
    assert!(!compiled.has_errors(), "the example compiles");
    compiled.ir.expect("ir")
}

/// Sample rows of every source table that has a CSV file (as the SQL
/// backend's load test reads them).
fn sources(ir: &Ir, dir: &Path) -> BTreeMap<TableId, Rows> {
    let mut out = BTreeMap::new();
    for (i, t) in ir.tables.iter().enumerate() {
        if ir.system(t.system).role != Role::Source {
            continue;
        }
        let id = TableId(i as u32);
        let rows = match std::fs::read_to_string(dir.join(format!("{}.csv", t.name))) {
            Ok(text) => csv::table_rows(ir, id, &text).expect("sample data"),
            Err(_) => Vec::new(),
        };
        out.insert(id, rows);
    }
    out
}

/// The SQL with the clock fixed.
fn fixed(sql: &str) -> String {
    let out = sql
        .replace(
            "rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', 'now'), '0'), '.') || '+00'",
            CLOCK,
        )
        .replace(Sqlite.now(), CLOCK);
    assert!(!out.contains("'now'"), "a clock left in:\n{out}");
    out
}

/// The attached systems: quoted name and file.
fn systems(ir: &Ir, dir: &Path) -> Vec<(String, PathBuf)> {
    ir.systems
        .iter()
        .enumerate()
        .map(|(i, s)| (Sqlite.ident(&s.name), dir.join(format!("system{i}.sqlite"))))
        .collect()
}

fn open(main: &Path, attach: &[(String, PathBuf)]) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(main).expect("sqlite");
    cutover_sqlite_functions::register(&db).expect("functions");
    for (ident, path) in attach {
        db.execute(
            &format!("ATTACH DATABASE ?1 AS {ident}"),
            [path.to_string_lossy()],
        )
        .expect("attach");
    }
    db
}

/// Every check of the gates with this timing, as queries.
fn checks(plan: &mut Plan, ir: &Ir, text: &str, script: &str, timing: Timing, when: &str) {
    let checks = cutover_backend_sql::gates::checks(ir, &Sqlite, text, timing).expect("gates");
    for c in checks {
        assert!(
            script.contains(&c.violations),
            "the script holds check {} #{}",
            c.gate,
            c.number
        );
        let id = format!("{when}: {} #{} ({})", c.gate, c.number, c.label);
        plan.query(id.clone(), fixed(&c.violations));
        if let Some(q) = &c.checked {
            plan.query(
                format!("{id}, rows checked"),
                fixed(&format!("SELECT CAST(({q}) AS text)")),
            );
        }
    }
}

/// Every loaded table, the quarantine and the batches, read back.
fn dumps(plan: &mut Plan, ir: &Ir, when: &str) {
    for t in cutover_backend_sql::rollback::loaded_tables(ir) {
        plan.query(
            format!("{when}: {}", ir.table_path(t)),
            select_text(ir, &Sqlite, t),
        );
    }
    for meta in ["quarantine", "batches"] {
        plan.query(
            format!("{when}: {meta}"),
            format!("SELECT * FROM {}", Sqlite.meta_table(meta)),
        );
    }
}

/// The scripts of an example on one data set, run through both, compared.
fn example_agrees(name: &str, data: &str, load_fails: bool) {
    let started = Instant::now();
    let text = spec_text(name);
    let ir = compile(&text);
    let scripts: BTreeMap<String, String> = build(
        &ir,
        &Sqlite,
        &SpecInfo {
            path: "spec.cutover",
            sha256: "0",
            text: &text,
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {}", e.what))
    .into_iter()
    .map(|s| (s.name, s.text))
    .collect();
    assert!(
        scripts["30_load.sql"].contains("cutover_fn("),
        "{name}: the load calls the functions"
    );

    let mut plan = Plan::default();
    let pragmas: String = std::iter::once("main".to_string())
        .chain(ir.systems.iter().map(|s| Sqlite.ident(&s.name)))
        .map(|s| format!("PRAGMA {s}.synchronous = OFF;\n"))
        .collect();
    plan.exec("pragmas", pragmas);
    plan.exec("10_schema.sql", fixed(&scripts["10_schema.sql"]));
    let preflight = &scripts["20_preflight.sql"];
    checks(
        &mut plan,
        &ir,
        &text,
        preflight,
        Timing::BeforeLoad,
        "preflight",
    );
    let validate = &scripts["40_validate.sql"];
    for run in 1..=2 {
        plan.exec(
            format!("30_load.sql, run {run}"),
            fixed(&scripts["30_load.sql"]),
        );
        checks(
            &mut plan,
            &ir,
            &text,
            validate,
            Timing::AfterLoad,
            &format!("validate, run {run}"),
        );
        dumps(&mut plan, &ir, &format!("after load {run}"));
    }
    if !load_fails {
        plan.exec("90_rollback.sql", fixed(&scripts["90_rollback.sql"]));
        dumps(&mut plan, &ir, "after the rollback");
    }

    let dir = scratch(&format!("{name}-{data}"));
    let (rust_dir, py_dir) = (dir.join("rust"), dir.join("python"));
    std::fs::create_dir_all(&rust_dir).expect("dir");
    std::fs::create_dir_all(&py_dir).expect("dir");
    // The source rows, written once and copied for Python.
    {
        let rows = sources(&ir, &root().join(format!("examples/{name}/{data}")));
        assert!(
            rows.values().map(Vec::len).sum::<usize>() > 0,
            "{name}/{data}: sample rows"
        );
        let mut db = open(&rust_dir.join("main.sqlite"), &systems(&ir, &rust_dir));
        db.run(&format!(
            "BEGIN;\n{}\nCOMMIT;",
            source_sql(&ir, &Sqlite, &rows)
        ));
        for (t, r) in &rows {
            let count = db.texts(&format!(
                "SELECT count(*) FROM ({})",
                select_text(&ir, &Sqlite, *t)
            ));
            assert_eq!(
                count[0][0],
                Some(r.len().to_string()),
                "{}",
                ir.table_path(*t)
            );
        }
    }
    for entry in std::fs::read_dir(&rust_dir).expect("files") {
        let path = entry.expect("file").path();
        let to = py_dir.join(path.file_name().expect("name"));
        std::fs::copy(&path, to).expect("copy the database");
    }
    let prepared = started.elapsed();

    let t = Instant::now();
    let db = open(&rust_dir.join("main.sqlite"), &systems(&ir, &rust_dir));
    let rust = run_rust(&db, &plan);
    drop(db);
    let rust_time = t.elapsed();

    let t = Instant::now();
    let (py, py_inner) = run_python(
        &dir,
        &py_dir.join("main.sqlite").to_string_lossy(),
        &systems(&ir, &py_dir),
        &plan,
    );
    let py_time = t.elapsed();

    // The comparison means something: the Rust side ran as it should.
    for (s, r) in plan.steps.iter().zip(&rust) {
        let expect_failure = load_fails && s.label.starts_with("30_load.sql");
        assert_eq!(
            r.is_err(),
            expect_failure,
            "{name}/{data}: {} on the Rust side: {r:?}",
            s.label
        );
    }
    let (diffs, cells) = differences(&plan, &rust, &py);
    let loaded: usize = plan
        .steps
        .iter()
        .zip(&rust)
        .filter(|(s, _)| s.label.starts_with("after load 1: ") && !s.label.ends_with("batches"))
        .map(|(_, r)| match r {
            Ok(Some(rows)) => rows.len(),
            _ => 0,
        })
        .sum();
    println!(
        "{name}/{data}: {} steps, {cells} cells agree, {loaded} rows loaded or quarantined; \
         prepared in {prepared:.1?}, Rust {rust_time:.1?}, Python {py_time:.1?} ({py_inner:.1?} in the driver)",
        plan.steps.len()
    );
    if load_fails {
        assert_eq!(loaded, 0, "{name}/{data}: the failed load leaves nothing");
    } else {
        assert!(loaded > 0, "{name}/{data}: the load loads rows");
    }
    assert!(
        diffs.is_empty(),
        "{name}/{data}: Python and Rust disagree on {} of {} steps (files in {}):\n{}",
        diffs.len(),
        plan.steps.len(),
        dir.display(),
        diffs.join("\n")
    );
    if std::env::var_os("CUTOVER_SQLITE_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn crm_sample_data_agrees() {
    example_agrees("crm", "data", false);
}

#[test]
fn crm_broken_data_agrees() {
    example_agrees("crm", "data-broken", false);
}

/// Two products with one SKU: the load fails on the target's constraint,
/// on both sides, and leaves nothing.
#[test]
fn crm_broken_preflight_data_agrees() {
    example_agrees("crm", "data-broken-preflight", true);
}

#[test]
fn user_management_sample_data_agrees() {
    example_agrees("user-management", "data", false);
}

#[test]
fn ai_platform_sample_data_agrees() {
    example_agrees("ai-platform", "data", false);
}

#[test]
fn ai_platform_broken_data_agrees() {
    example_agrees("ai-platform", "data-broken", false);
}

// ─────────────────────────── Direct cases ───────────────────────────

/// Runs queries on an in-memory database on both sides.
fn direct(tag: &str, queries: &[&str]) -> (Plan, Vec<Outcome>, Vec<Outcome>, PathBuf) {
    let mut plan = Plan::default();
    for q in queries {
        plan.query(*q, *q);
    }
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    cutover_sqlite_functions::register(&db).expect("functions");
    let rust = run_rust(&db, &plan);
    let dir = scratch(tag);
    let (py, _) = run_python(&dir, ":memory:", &[], &plan);
    (plan, rust, py, dir)
}

/// Calls that evaluate (or fail as the evaluator fails): the same cells.
const CALLS: &[&str] = &[
    // Casts, and the storage classes arguments arrive in.
    "SELECT cutover_fn_error('cast:text->int', 'x')",
    "SELECT cutover_fn('cast:text->int', ' 42 '), cutover_fn('cast:text->smallint', '40000'), cutover_fn_error('cast:text->smallint', '40000')",
    "SELECT cutover_fn('cast:text->decimal(5,2)', '123.456'), cutover_fn_error('cast:text->decimal(5,2)', '1234.5'), cutover_fn_error('cast:text->decimal(5,2)', '1e3')",
    "SELECT cutover_fn('cast:text->date', '2024-02-29'), cutover_fn_error('cast:text->date', '2024-02-30')",
    "SELECT cutover_fn('cast:text->timestamptz', '2024-03-10 02:30:00-05:00'), cutover_fn('cast:text->timestamptz', '2024-03-10T02:30:00.120Z')",
    "SELECT cutover_fn('cast:text->bool', 'YES'), cutover_fn('cast:text->bool', 'off'), cutover_fn_error('cast:text->bool', 'maybe')",
    "SELECT cutover_fn('cast:text->json', ' {\"b\":1,\"a\":[1.10,2e5]} '), cutover_fn_error('cast:text->json', '{')",
    "SELECT cutover_fn('cast:text->uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'), cutover_fn_error('cast:text->uuid', '{a0eebc99}')",
    "SELECT cutover_fn('cast:float->int', 2.5), cutover_fn('cast:float->int', -2.5), cutover_fn_error('cast:float->int', 1e19)",
    "SELECT cutover_fn('cast:float->decimal(10,2)', 0.125), cutover_fn('cast:float->decimal(10,2)', 1e-7), cutover_fn_error('cast:float->decimal(4,2)', 123.0)",
    "SELECT cutover_fn('cast:int->varchar(2)', 12), cutover_fn_error('cast:int->varchar(2)', 123), cutover_fn('cast:int->char(3)', 7)",
    "SELECT cutover_fn('cast:decimal(10,2)->int', '2.50'), cutover_fn('cast:decimal(10,2)->int', '-2.50'), cutover_fn('cast:decimal(10,2)->float', '0.10')",
    "SELECT cutover_fn('cast:bytes->text', x'00ff'), cutover_fn_error('cast:bytes->text', x'00ff'), cutover_fn('cast:text->bytes', 'é')",
    "SELECT cutover_fn('cast:timestamptz->timestamp', '2024-01-01 23:00:00-02'), cutover_fn('cast:timestamp->timestamptz', '2024-01-01 00:00:00.5'), cutover_fn('cast:timestamptz->date', '2024-01-01 23:00:00-02')",
    "SELECT cutover_fn('cast:decimal(5,2)->text', '123456.789'), cutover_fn('cast:decimal(5,2)->decimal(5,2)', '123.456'), cutover_fn_error('cast:decimal(5,2)->decimal(5,2)', '123456.789')",
    "SELECT cutover_fn('cast:bool->text', 2), cutover_fn('cast:bool->text', 0), cutover_fn('cast:float->text', 3), cutover_fn('cast:int->text', 2.5)",
    "SELECT cutover_fn('cast:int->text', ' 7 '), cutover_fn('cast:decimal(10,2)->text', 5), cutover_fn('cast:decimal(10,2)->text', 5.5), cutover_fn('cast:float->text', '1e20')",
    "SELECT cutover_fn('cast:date->text', '2024-01-01'), cutover_fn('cast:time->text', '07:05'), cutover_fn('cast:json->text', '[1, 2]')",
    "SELECT cutover_fn('cast:float->float', 1e300 * 10), cutover_fn('cast:float->text', 1e15), cutover_fn('cast:float->text', 0.0001), cutover_fn('cast:float->text', 0.00001)",
    "SELECT cutover_fn('cast:text->null', 'x'), cutover_fn('cast:null->text', NULL), typeof(cutover_fn('cast:text->int', NULL))",
    // Comparison.
    "SELECT cutover_fn('compare:int;decimal(10,2)->int', 1, '1.00'), cutover_fn('compare:float;decimal(10,2)->int', 0.1, '0.10'), cutover_fn('compare:text;text->int', 'a', 'B')",
    "SELECT cutover_fn('compare:timestamp;timestamptz->int', '2024-01-01 00:00:00', '2024-01-01 00:00:00+00'), cutover_fn('compare:date;timestamp->int', '2024-01-01', '2024-01-01 00:00:00')",
    "SELECT cutover_fn('compare:int;int->int', NULL, 1), cutover_fn('compare:bool;bool->int', 1, 0), cutover_fn('compare:uuid;uuid->int', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12')",
    // Arithmetic and negation.
    "SELECT cutover_fn('+:int;int->int', 2147483647, 1), cutover_fn_error('+:int;int->int', 2147483647, 1), cutover_fn('+:int;int->bigint', 2147483647, 1)",
    "SELECT cutover_fn('/:decimal(10,2);decimal(10,2)->decimal(20,6)', '1.00', '3.00'), cutover_fn('%:int;int->int', -7, 2), cutover_fn_error('/:int;int->int', 1, 0)",
    "SELECT cutover_fn('*:decimal(10,2);decimal(10,3)->decimal(21,5)', '1.25', '0.333'), cutover_fn('-:decimal(10,2);int->decimal(13,2)', '1.50', 2), cutover_fn('+:decimal(10,2);float->float', '0.10', 0.2)",
    "SELECT cutover_fn('+:float;float->float', 1e308, 1e308), cutover_fn_error('+:float;float->float', 1e308, 1e308), cutover_fn_error('-:bigint;bigint->bigint', -9223372036854775808, 1)",
    "SELECT cutover_fn('+:int;int->int', NULL, 1), cutover_fn_error('/:decimal(10,2);decimal(10,2)->decimal(10,2)', '1.00', '0.00'), cutover_fn('%:float;float->float', -7.5, 2)",
    "SELECT cutover_fn_error('neg:int->int', -2147483648), cutover_fn_error('neg:bigint->bigint', -9223372036854775808), cutover_fn('neg:decimal(5,2)->decimal(5,2)', '0.00'), cutover_fn('neg:float->float', 0.0), cutover_fn('neg:int->int', NULL)",
    // Built-ins.
    "SELECT cutover_fn('upper:text->text', 'straße ǆ'), cutover_fn('lower:text->text', 'İSTANBUL'), cutover_fn('title:text->text', 'x2y_z ǆemal'), cutover_fn('length:text->int', 'Zoë')",
    "SELECT cutover_fn('trim:text->text', ' \u{a0}x '), cutover_fn('squish:text->text', '  a   b '), cutover_fn('ltrim:text->text', char(9, 32) || 'x'), cutover_fn('rtrim:varchar(5)->varchar(5)', 'x  ')",
    "SELECT cutover_fn('substr:text;int;int->text', 'hello', -1, 4), cutover_fn('lpad:varchar(5);int;text->varchar(3)', 'ab', 5, 'xy'), cutover_fn('rpad:text;int;text->text', 'abcdef', 3, '*')",
    "SELECT cutover_fn('truncate:text;int;text->varchar(8)', 'hello world', 8, '...'), cutover_fn('truncate:text;int->varchar(3)', 'hello', 3), cutover_fn('replace:text;text;text->text', 'aXbX', 'X', '--')",
    "SELECT cutover_fn('split_part:text;text;int->text', 'a,b,c', ',', -1), cutover_fn('mask:text->text', '4111111111111111'), cutover_fn('sha256:text->varchar(64)', 'abc')",
    "SELECT cutover_fn('coalesce:int;decimal(10,2)->decimal(12,2)', 1, '2.50'), cutover_fn('coalesce:int;decimal(10,2)->decimal(12,2)', NULL, '2.5'), cutover_fn('coalesce:text;text->text', NULL, NULL)",
    "SELECT cutover_fn('nullif:text;text->text', 'a', 'a'), cutover_fn('nullif:decimal(10,2);int->decimal(10,2)', '1.00', 1), cutover_fn('nullif:text;text->text', 'a', NULL)",
    "SELECT cutover_fn('round:decimal(10,3);int->decimal(10,2)', '2.345', 2), cutover_fn('round:float;int->float', 2.5, 0), cutover_fn('round:int;int->int', 1250, -2), cutover_fn('round:decimal(4,0);int->decimal(4,0)', '9999', -1)",
    "SELECT cutover_fn('round:decimal(10,2)->decimal(10,0)', '-2.50'), cutover_fn_error('round:int;int->int', 2147483647, -1), cutover_fn('round:float;int->float', 1.005, 2)",
    "SELECT cutover_fn_error('abs:int->int', -2147483648), cutover_fn('abs:decimal(5,2)->decimal(5,2)', '-0.50'), cutover_fn('abs:float->float', -0.0)",
    "SELECT cutover_fn('parse_date:text;text->date', '03/10/2024', '%m/%d/%Y'), cutover_fn_error('parse_date:text;text->date', '02/30/2024', '%m/%d/%Y'), cutover_fn_error('parse_date:text;text->date', 'x', '%Q')",
    "SELECT cutover_fn('parse_timestamp:text;text->timestamp', '10 Mar 2024 7:05:09.5', '%d %b %Y %H:%M:%S.%f'), cutover_fn_error('parse_timestamp:text;text->timestamp', '2024', '%Y')",
    "SELECT cutover_fn('to_utc:timestamp;text->timestamptz', '2024-11-03 01:30:00', 'America/New_York'), cutover_fn_error('to_utc:timestamp;text->timestamptz', '2024-03-10 02:30:00', 'America/New_York'), cutover_fn_error('to_utc:timestamp;text->timestamptz', '2024-03-10 02:30:00', 'Mars/Base')",
    "SELECT cutover_fn('uuid_v5:text;text;int->uuid', 'urn:example', 'a', 1), cutover_fn('uuid_v5:text;decimal(10,2)->uuid', 'ns', '1.50'), cutover_fn('uuid_v5:text;bool->uuid', 'ns', 1)",
    // cutover_quote, for every storage class.
    "SELECT cutover_quote('a\"b' || char(10) || '\\' || char(7) || char(133)), cutover_quote(NULL), cutover_quote(42), cutover_quote(-0.0)",
    "SELECT cutover_quote(1.0), cutover_quote(1e20), cutover_quote(1.5e-7), cutover_quote(x'ab01'), cutover_quote(x''), cutover_quote(1e999), cutover_quote(-1e999)",
    // Aggregates.
    "SELECT cutover_sum(x, 'decimal(12,2)'), cutover_sum_error(x, 'decimal(12,2)') FROM (SELECT '1.5' AS x UNION ALL SELECT '2.25' UNION ALL SELECT 3 UNION ALL SELECT NULL UNION ALL SELECT 0.125)",
    "SELECT cutover_sum(x, 'int'), cutover_sum_error(x, 'int'), cutover_sum(x, 'bigint') FROM (SELECT 2147483647 AS x UNION ALL SELECT 1)",
    "SELECT cutover_sum(x, 'int'), cutover_sum_error(x, 'int') FROM (SELECT 2147483647 AS x UNION ALL SELECT 1 UNION ALL SELECT 'skipped after the failure')",
    "SELECT cutover_sum(x, 'float'), cutover_sum(x, 'int') FROM (SELECT 0.1 AS x UNION ALL SELECT 0.2 UNION ALL SELECT 2.5)",
    "SELECT cutover_sum(x, 'int'), cutover_sum_error(x, 'int'), cutover_min(x, 'int'), cutover_max(x, 'int') FROM (SELECT NULL AS x)",
    "SELECT cutover_sum(x, 'int'), cutover_min(x, 'int') FROM (SELECT 1 AS x) WHERE x > 1",
    "SELECT cutover_min(x, 'decimal(10,2)'), cutover_max(x, 'decimal(10,2)') FROM (SELECT '1.50' AS x UNION ALL SELECT '1.5' UNION ALL SELECT '-0.5' UNION ALL SELECT '-0.50')",
    "SELECT cutover_min(x, 'text'), cutover_max(x, 'text') FROM (SELECT 'b' AS x UNION ALL SELECT 'B' UNION ALL SELECT 'é' UNION ALL SELECT NULL)",
    "SELECT cutover_min(x, 'date'), cutover_max(x, 'timestamptz'), cutover_max(x, 'timestamp') FROM (SELECT '2024-01-02' AS x UNION ALL SELECT '2023-12-31')",
    "SELECT cutover_min(x, 'float'), cutover_max(x, 'bool'), cutover_max(x, 'int') FROM (SELECT 0 AS x UNION ALL SELECT 2 UNION ALL SELECT -1)",
    "SELECT g, cutover_sum(x, 'decimal(10,2)'), cutover_max(x, 'decimal(10,2)') FROM (SELECT 1 AS g, '1.10' AS x UNION ALL SELECT 1, '2' UNION ALL SELECT 2, '7.777') GROUP BY g",
];

#[test]
fn direct_calls_agree() {
    let (plan, rust, py, dir) = direct("calls", CALLS);
    for (s, r) in plan.steps.iter().zip(&rust) {
        assert!(r.is_ok(), "{}: {r:?}", s.label);
    }
    let (diffs, cells) = differences(&plan, &rust, &py);
    println!("{} calls, {cells} cells agree", CALLS.len());
    assert!(
        diffs.is_empty(),
        "Python and Rust disagree:\n{}",
        diffs.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bugs in the generated SQL: SQL errors on both sides.
const MALFORMED: &[&str] = &[
    "SELECT cutover_fn()",
    "SELECT cutover_fn_error()",
    "SELECT cutover_fn(1)",
    "SELECT cutover_fn(NULL, 1)",
    "SELECT cutover_fn('upper', 'a')",
    "SELECT cutover_fn('upper:text', 'a')",
    "SELECT cutover_fn('nope:text->text', 'a')",
    "SELECT cutover_fn('now:->timestamptz')",
    "SELECT cutover_fn('sum:int->bigint', 1)",
    "SELECT cutover_fn('cast:text;text->int', 'a', 'b')",
    "SELECT cutover_fn('compare:int->int', 1)",
    "SELECT cutover_fn('upper:txt->text', 'a')",
    "SELECT cutover_fn_error('upper:txt->text', 'a')",
    "SELECT cutover_fn('cast:text->INT', 'a')",
    "SELECT cutover_fn('cast:text->decimal(10, 2)', '1')",
    "SELECT cutover_fn('cast:text->decimal(2,3)', '1')",
    "SELECT cutover_fn('cast:text->decimal(39,2)', '1')",
    "SELECT cutover_fn('cast:text->decimal(+5,2)', '1')",
    "SELECT cutover_fn('cast:text->varchar(07)', '1')",
    "SELECT cutover_fn('cast:text->varchar()', '1')",
    "SELECT cutover_fn('cast:text->varchar(4294967296)', '1')",
    "SELECT cutover_fn('upper:text->text', 'a', 'b')",
    "SELECT cutover_fn('upper:text;text->text', 'a')",
    "SELECT cutover_fn('cast:int->text', 'abc')",
    "SELECT cutover_fn_error('cast:int->text', 'abc')",
    "SELECT cutover_fn('cast:date->text', 'x')",
    "SELECT cutover_fn('cast:float->text', 1e999)",
    "SELECT cutover_fn('length:text->int', x'41')",
    "SELECT cutover_fn('cast:smallint->text', 40000.0)",
    "SELECT cutover_sum('x', 'int')",
    "SELECT cutover_sum_error(x'00', 'int')",
    "SELECT cutover_sum(1, 5)",
    "SELECT cutover_sum(NULL, 'integer')",
    "SELECT cutover_min('abc', 'int')",
    "SELECT cutover_max(1, 'integer')",
    "SELECT cutover_max(NULL, NULL)",
    "SELECT cutover_quote()",
    "SELECT cutover_quote(1, 2)",
    "SELECT cutover_sum(1)",
];

#[test]
fn malformed_calls_are_sql_errors_in_both() {
    let (plan, rust, py, dir) = direct("malformed", MALFORMED);
    let mut wrong = Vec::new();
    for ((s, r), p) in plan.steps.iter().zip(&rust).zip(&py) {
        if r.is_ok() || p.is_ok() {
            wrong.push(format!("{}: Rust {r:?}, Python {p:?}", s.label));
        }
    }
    assert!(
        wrong.is_empty(),
        "not an SQL error on both sides:\n{}",
        wrong.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failure_message_is_the_same_in_both() {
    let (_, rust, py, dir) = direct(
        "message",
        &["SELECT cutover_fn_error('cast:text->int', 'x'), cutover_fn('cast:text->int', 'x')"],
    );
    let want = vec![vec![Some("\"x\" is not a valid int".to_string()), None]];
    assert_eq!(rust[0], Ok(Some(want.clone())), "Rust");
    assert_eq!(py[0], Ok(Some(want)), "Python");
    let _ = std::fs::remove_dir_all(&dir);
}
