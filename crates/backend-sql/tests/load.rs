//! `30_load.sql` executed, for every shipped example, on SQLite and on
//! PostgreSQL: source tables hold the example's sample data; after schema
//! → load, every target table and the quarantine equal, cell by cell, what
//! the reference evaluator computes from the same rows (with the batch's
//! start as the clock); rollback returns the target to empty; a second load
//! gives the same rows and a third run adds nothing.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

use cutover_backend_sql::{build, Dialect, Postgres, SpecInfo, Sqlite};
use cutover_eval::{csv, Engine, Rows, Value};
use cutover_ir::{Ir, MapId, Role, TableId, TypeKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EXAMPLES: [&str; 3] = ["crm", "ai-platform", "user-management"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> Ir {
    let text = std::fs::read_to_string(root().join(format!("examples/{name}/{name}.cutover")))
        .expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "{name}");
    compiled.ir.expect("ir")
}

/// Sample rows of every source table that has a CSV file.
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

/// Source tables without constraints (sample data may break them on
/// purpose), filled with the rows.
fn source_sql(ir: &Ir, d: &dyn Dialect, rows: &BTreeMap<TableId, Rows>) -> String {
    let mut sql = String::new();
    for s in ir.systems.iter().filter(|s| s.role == Role::Source) {
        if d.name() == "postgres" {
            sql.push_str(&format!("CREATE SCHEMA {};\n", d.ident(&s.name)));
        }
    }
    for (t, rows) in rows {
        let table = ir.table(*t);
        let name = d.table(&ir.system(table.system).name, &table.name);
        let cols: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                let col = ir.column(*c);
                format!("{} {}", d.ident(&col.name), d.column_type(col.ty.kind))
            })
            .collect();
        sql.push_str(&format!(
            "CREATE TABLE {name} ({}){};\n",
            cols.join(", "),
            d.table_options()
        ));
        for r in rows {
            let values: Vec<String> = r
                .iter()
                .zip(&table.columns)
                .map(|(v, c)| cutover_backend_sql::values::literal(d, v, ir.column(*c).ty.kind))
                .collect();
            sql.push_str(&format!(
                "INSERT INTO {name} VALUES ({});\n",
                values.join(", ")
            ));
        }
    }
    sql
}

/// A cell as Cutover's canonical text.
type Cells = Vec<Option<String>>;

trait Db {
    fn run(&mut self, sql: &str);
    /// Rows of a query whose every column is text (or NULL).
    fn texts(&mut self, sql: &str) -> Vec<Cells>;
}

impl Db for rusqlite::Connection {
    fn run(&mut self, sql: &str) {
        self.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{e}\n{}", &sql[..sql.len().min(3000)]));
    }
    fn texts(&mut self, sql: &str) -> Vec<Cells> {
        let mut stmt = self.prepare(sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Null => None,
                        rusqlite::types::Value::Integer(x) => Some(x.to_string()),
                        rusqlite::types::Value::Real(x) => Some(cutover_eval::value::float_text(x)),
                        rusqlite::types::Value::Text(s) => Some(s),
                        rusqlite::types::Value::Blob(b) => Some(format!("{b:?}")),
                    })
                })
                .collect()
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    }
}

impl Db for postgres::Client {
    fn run(&mut self, sql: &str) {
        self.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{e:?}\n{}", &sql[..sql.len().min(3000)]));
    }
    fn texts(&mut self, sql: &str) -> Vec<Cells> {
        let rows = self
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("{e:?}\n{sql}"));
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<_, Option<String>>(i))
                    .collect()
            })
            .collect()
    }
}

/// `SELECT` of every column of a target table as canonical text.
fn select_text(ir: &Ir, d: &dyn Dialect, t: TableId) -> String {
    let table = ir.table(t);
    let cols: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let col = ir.column(*c);
            let name = d.ident(&col.name);
            match (d.name(), col.ty.kind) {
                ("postgres", _) => format!("CAST({name} AS text)"),
                ("sqlite", TypeKind::Bool) => {
                    format!("CASE {name} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END")
                }
                _ => name,
            }
        })
        .collect();
    format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        d.table(&ir.system(table.system).name, &table.name)
    )
}

fn sorted(mut rows: Vec<Cells>) -> Vec<Cells> {
    rows.sort();
    rows
}

/// What the evaluator computes: target rows by table and quarantine rows
/// (map, source key, rule, column, reason).
fn expected(
    ir: &Ir,
    rows: &BTreeMap<TableId, Rows>,
    now: chrono::NaiveDateTime,
) -> (BTreeMap<TableId, Vec<Cells>>, Vec<Cells>) {
    let engine = Engine::new(ir, now);
    let mut targets: BTreeMap<TableId, Vec<Cells>> = BTreeMap::new();
    let mut quarantine = Vec::new();
    for (i, m) in ir.maps.iter().enumerate() {
        let inputs: Vec<Rows> = m
            .sources
            .iter()
            .map(|s| rows.get(&s.table).cloned().unwrap_or_default())
            .collect();
        let out = engine.run_map(MapId(i as u32), &inputs);
        let cells = |r: &Vec<Value>| r.iter().map(Value::to_text).collect::<Cells>();
        targets
            .entry(m.target)
            .or_default()
            .extend(out.rows.iter().map(cells));
        let primary = ir.table(m.source());
        for rej in &out.rejected {
            let row = &inputs[0][rej.row];
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
                Some(key.join(",")),
                rej.rule.clone(),
                rej.column.map(|c| ir.column(c).name.clone()),
                Some(rej.reason.clone()),
            ]);
        }
    }
    for v in targets.values_mut() {
        v.sort();
    }
    quarantine.sort();
    (targets, quarantine)
}

fn scripts(ir: &Ir, d: &dyn Dialect) -> BTreeMap<String, String> {
    build(
        ir,
        d,
        &SpecInfo {
            path: "spec.cutover",
            sha256: "0",
        },
    )
    .unwrap_or_else(|e| panic!("{} cannot compile: {}", d.name(), e.0))
    .into_iter()
    .map(|s| (s.name, s.text))
    .collect()
}

fn batch_clock(db: &mut dyn Db, d: &dyn Dialect, batch: i64) -> chrono::NaiveDateTime {
    let rows = db.texts(&format!(
        "SELECT CAST(started_at AS text) FROM {} WHERE batch_id = {batch}",
        d.meta_table("batches")
    ));
    let text = rows[0][0].clone().expect("start time");
    cutover_eval::value::parse_iso_timestamptz(&text).unwrap_or_else(|| panic!("clock {text}"))
}

fn loads_like_the_evaluator(db: &mut dyn Db, d: &dyn Dialect, ir: &Ir, name: &str, data: &str) {
    let rows = sources(ir, &root().join(format!("examples/{name}/{data}")));
    let scripts = scripts(ir, d);
    db.run(&source_sql(ir, d, &rows));
    db.run(&scripts["10_schema.sql"]);
    let quarantine_sql = format!(
        "SELECT map_name, source_key, rule_id, column_name, reason FROM {}",
        d.meta_table("quarantine")
    );
    let loaded = crate::loaded(ir);
    let mut runs: Vec<BTreeMap<TableId, Vec<Cells>>> = Vec::new();
    for run in 1..=3 {
        db.run(&scripts["30_load.sql"]);
        let now = batch_clock(db, d, run);
        let (want_targets, want_quarantine) = expected(ir, &rows, now);
        let mut got_targets = BTreeMap::new();
        for t in &loaded {
            got_targets.insert(*t, sorted(db.texts(&select_text(ir, d, *t))));
        }
        for t in &loaded {
            let want = want_targets.get(t).cloned().unwrap_or_default();
            let got = &got_targets[t];
            if run == 3 {
                // A second run over a loaded target adds and changes nothing.
                assert_eq!(
                    got,
                    &runs[1][t],
                    "{name} on {}: run 3 changed {}",
                    d.name(),
                    ir.table_path(*t)
                );
                continue;
            }
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    g,
                    w,
                    "{name} on {}: {} differs from the evaluator",
                    d.name(),
                    ir.table_path(*t)
                );
            }
            assert_eq!(
                got.len(),
                want.len(),
                "{name} on {}: {} row count",
                d.name(),
                ir.table_path(*t)
            );
        }
        let got_q = sorted(db.texts(&quarantine_sql));
        assert_eq!(
            got_q,
            want_quarantine,
            "{name} on {}: quarantine (run {run})",
            d.name()
        );
        runs.push(got_targets);
        if run == 1 {
            assert!(
                runs[0].values().map(Vec::len).sum::<usize>() > 50,
                "{name}: the load loads rows"
            );
            db.run(&scripts["90_rollback.sql"]);
            for t in &loaded {
                assert!(
                    db.texts(&select_text(ir, d, *t)).is_empty(),
                    "{name} on {}: rollback leaves {} empty",
                    d.name(),
                    ir.table_path(*t)
                );
            }
            assert!(
                db.texts(&quarantine_sql).is_empty(),
                "{name}: rollback empties the quarantine"
            );
        }
    }
}

fn loaded(ir: &Ir) -> Vec<TableId> {
    cutover_backend_sql::rollback::loaded_tables(ir)
}

fn sqlite(ir: &Ir) -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    cutover_sqlite_functions::register(&db).expect("functions");
    for s in &ir.systems {
        db.execute_batch(&format!(
            "ATTACH DATABASE ':memory:' AS {};",
            Sqlite.ident(&s.name)
        ))
        .expect("attach");
    }
    db
}

#[test]
fn every_example_loads_on_sqlite_like_the_evaluator() {
    for name in EXAMPLES {
        let ir = example(name);
        let mut db = sqlite(&ir);
        loads_like_the_evaluator(&mut db, &Sqlite, &ir, name, "data");
    }
}

#[test]
fn every_example_loads_on_postgres_like_the_evaluator() {
    for name in EXAMPLES {
        let Some(mut db) = pg::database(&format!("load_{}", name.replace('-', "_"))) else {
            return;
        };
        db.run(
            &Postgres
                .session()
                .join(
                    "
",
                )
                .replace("SET LOCAL", "SET"),
        );
        let ir = example(name);
        loads_like_the_evaluator(&mut db, &Postgres, &ir, name, "data");
    }
}

/// The deliberately broken CRM data set (47 orphan contacts, 27 unknown
/// stage codes) loads like the evaluator too: every bad row is quarantined
/// with the evaluator's rule and reason.
#[test]
fn broken_data_sets_load_like_the_evaluator() {
    // Not yet ai-platform's data-broken: training runs of models whose
    // ml_models row is quarantined break the target's foreign key, and the
    // load fails as a whole (issue 5 follow-up: quarantine such children).
    for (name, data) in [("crm", "data-broken")] {
        let ir = example(name);
        let mut db = sqlite(&ir);
        loads_like_the_evaluator(&mut db, &Sqlite, &ir, name, data);
        let db_name = format!("load_{}_{}", name.replace('-', "_"), data.replace('-', "_"));
        let Some(mut db) = pg::database(&db_name) else {
            continue;
        };
        db.run(
            &Postgres
                .session()
                .join(
                    "
",
                )
                .replace("SET LOCAL", "SET"),
        );
        loads_like_the_evaluator(&mut db, &Postgres, &ir, name, data);
    }
}

/// A load that breaks a target constraint (two products with one SKU, the
/// data set the preflight gate blocks) fails as a whole: the transaction
/// leaves no row behind, so nothing is half-loaded.
#[test]
fn a_load_that_breaks_a_target_constraint_leaves_nothing() {
    let ir = example("crm");
    let rows = sources(&ir, &root().join("examples/crm/data-broken-preflight"));
    let scripts = scripts(&ir, &Sqlite);
    let mut db = sqlite(&ir);
    db.run(&source_sql(&ir, &Sqlite, &rows));
    db.run(&scripts["10_schema.sql"]);
    let err = db
        .execute_batch(&scripts["30_load.sql"])
        .expect_err("the duplicate SKU fails the load");
    assert!(err.to_string().contains("products.sku"), "{err}");
    db.run("ROLLBACK;");
    for t in loaded(&ir) {
        assert!(db.texts(&select_text(&ir, &Sqlite, t)).is_empty());
    }
    let batches = db.texts(&format!("SELECT * FROM {}", Sqlite.meta_table("batches")));
    assert!(batches.is_empty(), "no batch is recorded");
}
