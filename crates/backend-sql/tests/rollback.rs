//! `90_rollback.sql` executed: on SQLite and PostgreSQL, for each shipped
//! example (one per strategy: crm restore_snapshot, ai-platform
//! delete_batch, user-management truncate), target tables hold rows from
//! before the load plus a loaded batch (the evaluator's output for the
//! example's sample data); after the rollback they hold exactly what they
//! held before, and the batch is marked rolled back.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

use chrono::NaiveDate;
use cutover_backend_sql::rollback::{loaded_tables, rollback, snapshot_statements, strategy};
use cutover_backend_sql::schema::{schema, BATCH_COLUMN};
use cutover_backend_sql::values::literal;
use cutover_backend_sql::{Dialect, Postgres, Sqlite};
use cutover_eval::{csv, Engine, Rows};
use cutover_ir::{Ir, Role, RollbackStrategy, TableId};
use std::collections::BTreeMap;
use std::path::Path;

const EXAMPLES: [&str; 3] = ["crm", "ai-platform", "user-management"];

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> Ir {
    let text = std::fs::read_to_string(root().join(format!("examples/{name}/{name}.cutover")))
        .expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "{name}");
    compiled.ir.expect("ir")
}

/// The evaluator's target rows for the example's sample data, by table.
fn target_rows(ir: &Ir, name: &str) -> BTreeMap<TableId, Rows> {
    let now = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid");
    let engine = Engine::new(ir, now);
    let mut sources: BTreeMap<TableId, Rows> = BTreeMap::new();
    for (i, t) in ir.tables.iter().enumerate() {
        if ir.system(t.system).role != Role::Source {
            continue;
        }
        let file = root().join(format!("examples/{name}/data/{}.csv", t.name));
        if let Ok(text) = std::fs::read_to_string(&file) {
            let rows = csv::table_rows(ir, TableId(i as u32), &text).expect("sample data");
            sources.insert(TableId(i as u32), rows);
        }
    }
    let mut out: BTreeMap<TableId, Rows> = BTreeMap::new();
    for (i, m) in ir.maps.iter().enumerate() {
        let inputs: Vec<Rows> = m
            .sources
            .iter()
            .map(|s| sources.get(&s.table).cloned().unwrap_or_default())
            .collect();
        let result = engine.run_map(cutover_ir::MapId(i as u32), &inputs);
        out.entry(m.target).or_default().extend(result.rows);
    }
    out
}

fn insert(
    ir: &Ir,
    d: &dyn Dialect,
    t: TableId,
    rows: &[Vec<cutover_eval::Value>],
    batch: Option<i64>,
) -> String {
    let table = ir.table(t);
    let mut cols: Vec<String> = table
        .columns
        .iter()
        .map(|c| d.ident(&ir.column(*c).name))
        .collect();
    cols.push(d.ident(BATCH_COLUMN));
    let mut sql = String::new();
    for r in rows {
        let mut values: Vec<String> = r
            .iter()
            .zip(&table.columns)
            .map(|(v, c)| literal(d, v, ir.column(*c).ty.kind))
            .collect();
        values.push(batch.map_or("NULL".into(), |b| b.to_string()));
        sql.push_str(&format!(
            "INSERT INTO {} ({}) VALUES ({});\n",
            d.table(&ir.system(table.system).name, &table.name),
            cols.join(", "),
            values.join(", ")
        ));
    }
    sql
}

/// Rows present before the load: half of each loaded table that references
/// no other loaded table (so every later row finds its parents); none when
/// the strategy is `truncate`, which requires an empty target.
fn split(ir: &Ir, rows: &BTreeMap<TableId, Rows>) -> Vec<(TableId, Rows, Rows)> {
    let loaded = loaded_tables(ir);
    let mut plan = Vec::new();
    for t in &loaded {
        let all = rows.get(t).cloned().unwrap_or_default();
        let root_table = !ir
            .table(*t)
            .foreign_keys
            .iter()
            .any(|fk| fk.table != *t && loaded.contains(&fk.table));
        let keep = if strategy(ir) != RollbackStrategy::Truncate && root_table {
            all.len() / 2
        } else {
            0
        };
        plan.push((*t, all[..keep].to_vec(), all[keep..].to_vec()));
    }
    plan
}

trait Db {
    fn run(&mut self, sql: &str);
    /// Every row of a table, as sorted text.
    fn contents(&mut self, table: &str) -> Vec<String>;
    fn status(&mut self, d: &dyn Dialect) -> String;
}

impl Db for rusqlite::Connection {
    fn run(&mut self, sql: &str) {
        self.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{e}\n{}", &sql[..sql.len().min(2000)]));
    }
    fn contents(&mut self, table: &str) -> Vec<String> {
        let mut stmt = self
            .prepare(&format!("SELECT * FROM {table}"))
            .expect("select");
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut s = String::new();
                for i in 0..n {
                    s.push_str(&format!("{:?}|", r.get::<_, rusqlite::types::Value>(i)?));
                }
                Ok(s)
            })
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect();
        rows.sort();
        rows
    }
    fn status(&mut self, d: &dyn Dialect) -> String {
        self.query_row(
            &format!(
                "SELECT status FROM {} WHERE batch_id = 1",
                d.meta_table("batches")
            ),
            [],
            |r| r.get(0),
        )
        .expect("batch")
    }
}

impl Db for postgres::Client {
    fn run(&mut self, sql: &str) {
        self.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{e}\n{}", &sql[..sql.len().min(2000)]));
    }
    fn contents(&mut self, table: &str) -> Vec<String> {
        let mut rows: Vec<String> = self
            .query(&format!("SELECT t::text FROM {table} t"), &[])
            .expect("select")
            .iter()
            .map(|r| r.get(0))
            .collect();
        rows.sort();
        rows
    }
    fn status(&mut self, d: &dyn Dialect) -> String {
        self.query_one(
            &format!(
                "SELECT status FROM {} WHERE batch_id = 1",
                d.meta_table("batches")
            ),
            &[],
        )
        .expect("batch")
        .get(0)
    }
}

fn rollback_restores(db: &mut dyn Db, d: &dyn Dialect, ir: &Ir, name: &str) {
    let rows = target_rows(ir, name);
    let plan = split(ir, &rows);
    db.run(&schema(ir, d).expect("schema"));
    let mut before_rows = String::new();
    for (t, before, _) in &plan {
        before_rows.push_str(&insert(ir, d, *t, before, None));
    }
    db.run(&format!("BEGIN;\n{before_rows}COMMIT;"));
    let table_name = |t: TableId| {
        let table = ir.table(t);
        d.table(&ir.system(table.system).name, &table.name)
    };
    let before: Vec<Vec<String>> = plan
        .iter()
        .map(|(t, _, _)| db.contents(&table_name(*t)))
        .collect();
    // What the load does: a snapshot when the strategy needs one, a batch
    // row, the batch's rows.
    let mut load = String::from("BEGIN;\n");
    if strategy(ir) == RollbackStrategy::RestoreSnapshot {
        load.push_str(&snapshot_statements(ir, d));
    }
    load.push_str(&format!(
        "INSERT INTO {} (\"batch_id\", \"spec_sha256\", \"started_at\", \"status\") VALUES (1, 'test', {}, 'loaded');\n",
        d.meta_table("batches"),
        d.now()
    ));
    let mut loaded_rows = 0;
    for (t, _, batch) in &plan {
        load.push_str(&insert(ir, d, *t, batch, Some(1)));
        loaded_rows += batch.len();
    }
    load.push_str("COMMIT;");
    db.run(&load);
    assert!(
        loaded_rows > 100,
        "{name}: the batch loads rows ({loaded_rows})"
    );
    let during: Vec<Vec<String>> = plan
        .iter()
        .map(|(t, _, _)| db.contents(&table_name(*t)))
        .collect();
    assert_ne!(before, during, "{name}: the load changed the target");
    let script = rollback(ir, d);
    for s in ir.systems.iter().filter(|s| s.role == Role::Source) {
        assert!(
            !script.contains(&format!("{}.", d.ident(&s.name))),
            "{name}: the rollback names source `{}`",
            s.name
        );
    }
    db.run(&script);
    let after: Vec<Vec<String>> = plan
        .iter()
        .map(|(t, _, _)| db.contents(&table_name(*t)))
        .collect();
    assert_eq!(
        before,
        after,
        "{name} on {}: the target is back to its state before the load",
        d.name()
    );
    assert_eq!(db.status(d), "rolled_back");
}

#[test]
fn rollback_restores_the_target_on_sqlite() {
    for name in EXAMPLES {
        let ir = example(name);
        let mut db = rusqlite::Connection::open_in_memory().expect("sqlite");
        db.execute_batch("PRAGMA foreign_keys = ON;")
            .expect("pragma");
        for s in ir.systems.iter().filter(|s| s.role == Role::Target) {
            db.execute_batch(&format!(
                "ATTACH DATABASE ':memory:' AS {};",
                Sqlite.ident(&s.name)
            ))
            .expect("attach");
        }
        rollback_restores(&mut db, &Sqlite, &ir, name);
    }
}

#[test]
fn rollback_restores_the_target_on_postgres() {
    for name in EXAMPLES {
        let Some(mut db) = pg::database(&format!("rollback_{name}")) else {
            return;
        };
        let ir = example(name);
        rollback_restores(&mut db, &Postgres, &ir, name);
    }
}
