//! The generated Python package, run for real: pytest on the tests made
//! from the examples, ruff on every file, and the runner (`python -m
//! <package>`) migrating each example's sample data SQLite → SQLite and
//! SQLite → PostgreSQL. The target tables and the quarantine equal, cell
//! by cell, what the reference evaluator computes from the same rows (with
//! the run's clock) and what the SQL backend's own load writes; a trigger
//! rolls the target back; a run killed mid-load is undone by the rollback;
//! the source file is never written.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

#[path = "../../backend-sql/tests/common/mod.rs"]
mod common;

mod support;
use common::{select_text, source_sql, Cells, Db};
use support::python;

use cutover_backend_sql::{Dialect, Postgres, Sqlite};
use cutover_eval::{csv, Engine, Rows, Value};
use cutover_ir::{Ir, Role, TableId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec_text(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("examples/{name}/{name}.cutover"))).expect("spec")
}

fn example(name: &str) -> Ir {
    let compiled = cutover_check::compile(&spec_text(name));
    assert!(!compiled.has_errors(), "{name}");
    compiled.ir.expect("ir")
}

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

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cutover-py-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes the package; returns (the `python/` directory, the package name).
fn package(ir: &Ir, name: &str, dir: &Path) -> (PathBuf, String) {
    package_of(ir, name, &spec_text(name), dir)
}

fn package_of(ir: &Ir, name: &str, text: &str, dir: &Path) -> (PathBuf, String) {
    let info = cutover_backend_python::SpecInfo {
        path: &format!("{name}.cutover"),
        sha256: "0",
        text,
    };
    let files = cutover_backend_python::build(ir, &info).expect("python backend");
    let python = dir.join("python");
    for f in files {
        let path = python.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, f.text).expect("write");
    }
    (
        python,
        cutover_backend_python::package(&format!("{name}.cutover")),
    )
}

/// Source systems as SQLite files (one per system), filled with the rows;
/// the runner's URL for them.
fn source_files(ir: &Ir, rows: &BTreeMap<TableId, Rows>, dir: &Path) -> String {
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    let mut url = String::new();
    let mut extra = Vec::new();
    for s in ir.systems.iter().filter(|s| s.role == Role::Source) {
        let file = dir.join(format!("source.{}.sqlite", s.name));
        let _ = std::fs::remove_file(&file);
        db.execute_batch(&format!(
            "ATTACH DATABASE '{}' AS {};",
            file.display(),
            Sqlite.ident(&s.name)
        ))
        .expect("attach");
        if url.is_empty() {
            url = format!("sqlite://{}", file.display());
        } else {
            extra.push(format!("{}={}", s.name, file.display()));
        }
    }
    db.execute_batch(&source_sql(ir, &Sqlite, rows))
        .expect("source rows");
    if !extra.is_empty() {
        url.push('?');
        url.push_str(&extra.join("&"));
    }
    url
}

fn digest(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("source."))
        })
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
        .collect();
    out.sort();
    out
}

/// Target tables (rows sorted) and the quarantine (map, source key, rule,
/// column, reason), as canonical text.
type State = (BTreeMap<String, Vec<Cells>>, Vec<Cells>);

fn loaded(ir: &Ir) -> Vec<TableId> {
    cutover_backend_sql::rollback::loaded_tables(ir)
}

fn read_state(db: &mut dyn Db, d: &dyn Dialect, ir: &Ir) -> State {
    let mut tables = BTreeMap::new();
    for t in loaded(ir) {
        let mut rows = db.texts(&select_text(ir, d, t));
        rows.sort();
        tables.insert(ir.table_path(t), rows);
    }
    let mut q = db.texts(&format!(
        "SELECT map_name, source_key, rule_id, column_name, reason FROM {}",
        d.meta_table("quarantine")
    ));
    q.sort();
    (tables, q)
}

fn evaluator(ir: &Ir, rows: &BTreeMap<TableId, Rows>, now: chrono::NaiveDateTime) -> State {
    let engine = Engine::new(ir, now);
    let empty: Rows = Vec::new();
    let mut tables: BTreeMap<String, Vec<Cells>> = loaded(ir)
        .into_iter()
        .map(|t| (ir.table_path(t), Vec::new()))
        .collect();
    let mut quarantine = Vec::new();
    let order = cutover_backend_sql::load::map_order(ir);
    for (id, out) in engine.run_migration(&order, rows) {
        let m = ir.map(id);
        let first = rows.get(&m.source()).unwrap_or(&empty);
        tables.entry(ir.table_path(m.target)).or_default().extend(
            out.rows
                .iter()
                .map(|r| r.iter().map(Value::to_text).collect::<Cells>()),
        );
        let primary = ir.table(m.source());
        for rej in &out.rejected {
            let row = &first[rej.row];
            let key: Vec<String> = primary
                .primary_key
                .iter()
                .map(|c| {
                    let pos = primary.columns.iter().position(|x| x == c).unwrap_or(0);
                    row[pos].to_text().unwrap_or_default()
                })
                .collect();
            quarantine.push(vec![
                Some(m.name.clone()),
                if primary.primary_key.is_empty() {
                    None
                } else {
                    Some(key.join(","))
                },
                rej.rule.clone(),
                rej.column.map(|c| ir.column(c).name.clone()),
                Some(rej.reason.clone()),
            ]);
        }
    }
    for v in tables.values_mut() {
        v.sort();
    }
    quarantine.sort();
    (tables, quarantine)
}

/// Blanks the columns whose value is the run's clock (two runs differ).
fn without_clock(ir: &Ir, mut state: State) -> State {
    for t in loaded(ir) {
        let table = ir.table(t);
        let clocked: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                ir.column(**c).default.as_ref().is_some_and(|d| {
                    let mut clock = false;
                    cutover_eval::walk(d, &mut |x| {
                        if let cutover_ir::ExprKind::Call {
                            func: cutover_ir::Func::Builtin(b),
                            ..
                        } = &x.kind
                        {
                            clock |= !b.is_deterministic();
                        }
                    });
                    clock
                })
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(rows) = state.0.get_mut(&ir.table_path(t)) {
            for r in rows.iter_mut() {
                for i in &clocked {
                    r[*i] = None;
                }
            }
            rows.sort();
        }
    }
    state
}

fn sqlite_target(ir: &Ir, main: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(main).expect("target");
    cutover_sqlite_functions::register(&db).expect("functions");
    let stem = main.with_extension("");
    for s in ir.systems.iter().filter(|s| s.role != Role::Source) {
        db.execute_batch(&format!(
            "ATTACH DATABASE '{}.{}.sqlite' AS {};",
            stem.display(),
            s.name,
            Sqlite.ident(&s.name)
        ))
        .expect("attach");
    }
    db
}

fn clock(db: &mut dyn Db, d: &dyn Dialect) -> chrono::NaiveDateTime {
    let rows = db.texts(&format!(
        "SELECT CAST(started_at AS text) FROM {} ORDER BY batch_id DESC LIMIT 1",
        d.meta_table("batches")
    ));
    let text = rows[0][0].clone().expect("start time");
    cutover_eval::value::parse_iso_timestamptz(&text).unwrap_or_else(|| panic!("clock {text}"))
}

/// What the SQL backend's own SQLite load writes from the same rows.
fn sql_backend(ir: &Ir, name: &str, rows: &BTreeMap<TableId, Rows>) -> State {
    let text = spec_text(name);
    let scripts: BTreeMap<String, String> = cutover_backend_sql::build(
        ir,
        &Sqlite,
        &cutover_backend_sql::SpecInfo {
            path: "spec.cutover",
            sha256: "0",
            text: &text,
        },
    )
    .expect("sql backend")
    .into_iter()
    .map(|s| (s.name, s.text))
    .collect();
    let mut db = rusqlite::Connection::open_in_memory().expect("sqlite");
    cutover_sqlite_functions::register(&db).expect("functions");
    for s in &ir.systems {
        db.execute_batch(&format!(
            "ATTACH DATABASE ':memory:' AS {};",
            Sqlite.ident(&s.name)
        ))
        .expect("attach");
    }
    db.run(&source_sql(ir, &Sqlite, rows));
    db.run(&scripts["10_schema.sql"]);
    db.run(&scripts["30_load.sql"]);
    read_state(&mut db, &Sqlite, ir)
}

fn pg_url(client: &mut postgres::Client) -> String {
    let name: String = client
        .query_one("SELECT current_database()", &[])
        .expect("name")
        .get(0);
    let conn = pg::connection_string().expect("CUTOVER_PG");
    let mut params = Vec::new();
    for part in conn.split_whitespace() {
        if let Some((k, v)) = part.split_once('=') {
            if k != "dbname" {
                params.push(format!("{k}={v}"));
            }
        }
    }
    format!("postgresql:///{name}?{}", params.join("&"))
}

const EXAMPLES: [&str; 3] = ["crm", "user-management", "ai-platform"];

#[test]
fn generated_tests_pass_under_pytest_and_the_code_is_ruff_clean() {
    for name in EXAMPLES {
        let ir = example(name);
        let dir = temp(&format!("pytest-{name}"));
        let (py, pkg) = package(&ir, name, &dir);
        let (code, out) = python(&py, &["-m", "pytest", "-q", "-p", "no:cacheprovider", &pkg]);
        assert_eq!(code, 0, "{name}: pytest\n{out}");
        assert!(out.contains(" passed"), "{name}: {out}");
        let (code, out) = python(&py, &["-m", "ruff", "check", "--no-cache", &pkg]);
        assert_eq!(code, 0, "{name}: ruff check\n{out}");
        let (code, out) = python(
            &py,
            &["-m", "ruff", "format", "--check", "--no-cache", &pkg],
        );
        assert_eq!(code, 0, "{name}: ruff format --check\n{out}");
        let (code, out) = python(&py, &["-m", "compileall", "-q", &pkg]);
        assert_eq!(code, 0, "{name}: py_compile\n{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_failing_example_fails_pytest() {
    // The generated tests can fail: change an expected value in one.
    let ir = example("crm");
    let dir = temp("pytest-fails");
    let (py, pkg) = package(&ir, "crm", &dir);
    let file = py.join(&pkg).join("test_transforms.py");
    let text = std::fs::read_to_string(&file).expect("tests");
    let broken = text.replacen("\"Active\"", "\"Pending\"", 1);
    assert_ne!(text, broken);
    std::fs::write(&file, broken).expect("write");
    let (code, out) = python(&py, &["-m", "pytest", "-q", "-p", "no:cacheprovider", &pkg]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 failed"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the package over one data set into a SQLite target; the state.
fn sqlite_run(
    name: &str,
    data: &str,
    gates: bool,
) -> (Ir, BTreeMap<TableId, Rows>, State, i32, String) {
    let ir = example(name);
    let rows = sources(&ir, &root().join(format!("examples/{name}/{data}")));
    let dir = temp(&format!("lite-{name}-{data}"));
    let (py, pkg) = package(&ir, name, &dir);
    let source = source_files(&ir, &rows, &dir);
    let before = digest(&dir);
    let main = dir.join("target.sqlite");
    let target = format!("sqlite://{}", main.display());
    let mut args = vec![
        "-m",
        pkg.as_str(),
        "--source",
        &source,
        "--target",
        &target,
        "--batch-size",
        "37",
    ];
    if !gates {
        args.push("--no-gates");
    }
    let (code, out) = python(&py, &args);
    assert_eq!(
        before,
        digest(&dir),
        "{name}/{data}: the source files changed"
    );
    let mut db = sqlite_target(&ir, &main);
    let state = read_state(&mut db, &Sqlite, &ir);
    assert!(code == 0 || code == 1, "{name}/{data}: exit {code}\n{out}");
    let now = clock(&mut db, &Sqlite);
    let expected = evaluator(&ir, &rows, now);
    if code == 0 || !gates {
        assert_eq!(state, expected, "{name}/{data}: runner vs evaluator\n{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    (ir, rows, state, code, out)
}

/// tests/edge: every way a map fills a column (plain, `else reject`,
/// `else`, a default for a NULL, a default alone, the text built-ins the
/// row function writes out, lookups keyed by text and by number) over rows
/// that fail each of them. The row function's own tests compare it with
/// engine.reference_row; the load must equal the evaluator's.
#[test]
fn every_way_of_filling_a_column_loads_like_the_evaluator() {
    let edge = root().join("crates/backend-python/tests/edge");
    let text = std::fs::read_to_string(edge.join("edge.cutover")).expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "edge.cutover does not compile");
    let ir = compiled.ir.expect("ir");
    let rows = sources(&ir, &edge);
    let dir = temp("edge");
    let (py, pkg) = package_of(&ir, "edge", &text, &dir);
    let (code, out) = python(&py, &["-m", "pytest", "-q", "-p", "no:cacheprovider", &pkg]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 passed"), "{out}");
    let source = source_files(&ir, &rows, &dir);
    let main = dir.join("target.sqlite");
    let target = format!("sqlite://{}", main.display());
    let args = [
        "-m",
        &pkg,
        "--source",
        &source,
        "--target",
        &target,
        "--no-gates",
    ];
    let (code, out) = python(&py, &args);
    assert_eq!(code, 0, "{out}");
    let mut db = sqlite_target(&ir, &main);
    let state = read_state(&mut db, &Sqlite, &ir);
    let now = clock(&mut db, &Sqlite);
    assert_eq!(
        state,
        evaluator(&ir, &rows, now),
        "runner vs evaluator\n{out}"
    );
    let loaded: usize = state.0.values().map(Vec::len).sum();
    let reasons: Vec<String> = state.1.iter().filter_map(|q| q[4].clone()).collect();
    assert!(loaded >= 4, "{loaded} rows loaded: {state:?}");
    for reason in [
        "unknown code",
        "NULL in a not-null column",
        "division by zero",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(reason)),
            "no rejection for {reason:?}: {reasons:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn runner_sqlite_to_sqlite_loads_like_the_evaluator_and_the_sql_backend() {
    for name in EXAMPLES {
        let (ir, rows, state, code, out) = sqlite_run(name, "data", true);
        assert_eq!(
            code, 0,
            "{name}: every gate passes on the sample data\n{out}"
        );
        assert!(out.contains("post-load gates:"), "{out}");
        assert!(!out.contains("[FAIL]"), "{out}");
        let loaded_rows: usize = state.0.values().map(Vec::len).sum();
        assert!(loaded_rows >= 50, "{name}: {loaded_rows} rows");
        assert_eq!(
            without_clock(&ir, state),
            without_clock(&ir, sql_backend(&ir, name, &rows)),
            "{name}: runner vs SQL backend"
        );
    }
}

#[test]
fn runner_quarantines_broken_rows_and_keeps_going() {
    for (name, data) in [("crm", "data-broken"), ("ai-platform", "data-broken")] {
        let (ir, rows, state, _, out) = sqlite_run(name, data, false);
        assert!(
            !state.1.is_empty(),
            "{name}/{data}: nothing quarantined\n{out}"
        );
        assert!(out.contains("quarantined"), "{out}");
        assert_eq!(
            without_clock(&ir, state),
            without_clock(&ir, sql_backend(&ir, name, &rows)),
            "{name}/{data}: runner vs SQL backend"
        );
    }
}

#[test]
fn a_trigger_rolls_the_target_back() {
    // The broken CRM data fails post_load and exceeds the reject triggers:
    // the rollback leaves the (empty) target as it was.
    let (_, _, state, code, out) = sqlite_run("crm", "data-broken", true);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FIRED"), "{out}");
    assert!(out.contains("rollback:"), "{out}");
    assert!(state.0.values().all(Vec::is_empty), "{out}");
    assert!(
        state.1.is_empty(),
        "the batch's quarantine rows are removed"
    );
}

#[test]
fn runner_sqlite_to_postgres_loads_like_the_evaluator() {
    for name in EXAMPLES {
        let Some(mut client) = pg::database(&format!("py_runner_{name}")) else {
            return;
        };
        let url = pg_url(&mut client);
        let ir = example(name);
        let rows = sources(&ir, &root().join(format!("examples/{name}/data")));
        let dir = temp(&format!("pg-{name}"));
        let (py, pkg) = package(&ir, name, &dir);
        let source = source_files(&ir, &rows, &dir);
        let before = digest(&dir);
        let (code, out) = python(
            &py,
            &[
                "-m",
                &pkg,
                "--source",
                &source,
                "--target",
                &url,
                "--batch-size",
                "50",
            ],
        );
        assert_eq!(code, 0, "{name}\n{out}");
        assert!(!out.contains("[FAIL]"), "{out}");
        assert_eq!(before, digest(&dir), "{name}: the source files changed");
        client
            .batch_execute(
                "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1",
            )
            .expect("session");
        let state = read_state(&mut client, &Postgres, &ir);
        let now = clock(&mut client, &Postgres);
        assert_eq!(
            state,
            evaluator(&ir, &rows, now),
            "{name}: runner vs evaluator\n{out}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_run_killed_mid_load_is_undone_by_the_rollback() {
    let name = "crm";
    let ir = example(name);
    let dir = temp("kill");
    let (py, pkg) = package(&ir, name, &dir);
    let main = dir.join("target.sqlite");
    let target = format!("sqlite://{}", main.display());
    // A first, complete load of the sample data: the state to return to.
    let rows = sources(&ir, &root().join("examples/crm/data"));
    let sample = dir.join("sample");
    std::fs::create_dir_all(&sample).expect("dir");
    let source = source_files(&ir, &rows, &sample);
    let (code, out) = python(&py, &["-m", &pkg, "--source", &source, "--target", &target]);
    assert_eq!(code, 0, "{out}");
    let before = read_state(&mut sqlite_target(&ir, &main), &Sqlite, &ir);
    assert!(!before.0.values().all(Vec::is_empty));

    // A second load of many generated customers, killed once it has
    // committed some of them.
    let big = dir.join("big");
    std::fs::create_dir_all(&big).expect("dir");
    let empty: BTreeMap<TableId, Rows> = rows.keys().map(|t| (*t, Vec::new())).collect();
    let big_source = source_files(&ir, &empty, &big);
    let file = big.join("source.legacy.sqlite");
    let db = rusqlite::Connection::open(&file).expect("source");
    db.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 100000 UNION ALL SELECT i + 1 FROM n WHERE i < 400000)
         INSERT INTO customers (cust_id, first_name, last_name, email, status_flag, dob, address_line1)
         SELECT i, ' First' || i, 'Last' || i, 'U' || i || '@Example.com', 'A', '01/02/1990', i || ' Main St' FROM n;",
    )
    .expect("generated rows");
    drop(db);
    let source_before = digest(&big);
    let mut child = Command::new("python3")
        .args([
            "-m",
            &pkg,
            "--source",
            &big_source,
            "--target",
            &target,
            "--no-gates",
            "--batch-size",
            "500",
            "--quiet",
        ])
        .current_dir(&py)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .spawn()
        .expect("runner");
    let watch = sqlite_target(&ir, &main);
    let started = std::time::Instant::now();
    let first = before.0["crm.accounts"].len() as i64;
    loop {
        let n: i64 = watch
            .query_row("SELECT count(*) FROM crm.accounts", [], |r| r.get(0))
            .unwrap_or(0);
        if n > first + 1000 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the load never committed a batch"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the runner ended before it was killed: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SIGKILL: no chance to clean up.
    child.kill().expect("kill");
    child.wait().expect("wait");
    drop(watch);
    let killed = read_state(&mut sqlite_target(&ir, &main), &Sqlite, &ir);
    assert_ne!(killed, before, "the killed run left rows behind");
    let all: i64 = 300_001 + first;
    assert!(
        (killed.0["crm.accounts"].len() as i64) < all,
        "killed before the end"
    );

    let (code, out) = python(&py, &["-m", &pkg, "--target", &target, "--rollback"]);
    assert_eq!(code, 0, "{out}");
    let after = read_state(&mut sqlite_target(&ir, &main), &Sqlite, &ir);
    assert_eq!(
        after, before,
        "the rollback restores the state before the killed run"
    );
    assert_eq!(source_before, digest(&big), "the source is untouched");
    let _ = std::fs::remove_dir_all(&dir);
}
