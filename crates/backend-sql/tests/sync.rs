//! `incremental by col`: after the initial load, the source changes
//! (inserts, updates, a soft delete, deleted children, a row updated with
//! the watermark's own time, a row written by a lagging clock) and
//! `32_sync.sql` brings the target to what a fresh full load of the
//! changed source gives; `reconcile` then finds nothing and names a row
//! corrupted afterwards; `91_sync_rollback.sql` returns the target to
//! where the load left it. On PostgreSQL and SQLite.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

use cutover_backend_sql::{build, gates, Dialect, Postgres, SpecInfo, Sqlite};
use cutover_ir::{Ir, Timing};
use std::collections::BTreeMap;

fn spec(dialect: &str) -> String {
    format!(
        r#"migration "Sync" {{ strategy parallel_run }}
source legacy: {dialect} {{
  table customers {{
    cust_id    bigint primary key
    email      varchar(200) not null
    deleted    bool not null
    updated_at timestamp not null
    rows ~ 1_000
  }}
  table orders {{
    order_no    bigint primary key
    cust_id     bigint not null references customers(cust_id)
    amount      decimal(12, 2) not null
    row_version bigint not null
    rows ~ 2_000
  }}
}}
target crm: {dialect} {{
  table accounts {{
    account_id bigint primary key
    email      varchar(200) not null
  }}
  table orders {{
    order_no   bigint primary key
    account_id bigint not null references accounts(account_id)
    amount     decimal(12, 2) not null
  }}
}}
map accounts: legacy.customers -> crm.accounts {{
  incremental by updated_at skew 30s deletes when deleted
  where not deleted
  key account_id = cust_id
  email = lower(email)
}}
map orders: legacy.orders -> crm.orders {{
  incremental by row_version deletes missing
  key order_no = order_no
  account_id = ref accounts(cust_id)
  amount = amount
}}
rollback {{ strategy delete_batch }}
gate reconciled after load {{
  reconcile accounts
  reconcile orders
}}
"#
    )
}

fn compiled(text: &str) -> Ir {
    let c = cutover_check::compile(text);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    c.ir.expect("ir")
}

fn scripts(ir: &Ir, d: &dyn Dialect, text: &str) -> BTreeMap<String, String> {
    build(
        ir,
        d,
        &SpecInfo {
            path: "sync.cutover",
            sha256: "0",
            text,
        },
    )
    .unwrap_or_else(|e| panic!("{}: {}", d.name(), e.what))
    .into_iter()
    .map(|s| (s.name, s.text))
    .collect()
}

/// 1,000 customers a second apart from 2026-01-01; 2,000 orders.
fn source(d: &dyn Dialect) -> String {
    let numbers = |n: u32| {
        match d.name() {
        "postgres" => format!("generate_series(1, {n}) AS g(i)"),
        _ => format!("(WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) SELECT i FROM g) AS g"),
    }
    };
    let at = match d.name() {
        "postgres" => "timestamp '2026-01-01' + i * interval '1 second'".to_owned(),
        _ => "datetime('2026-01-01', '+' || i || ' seconds')".to_owned(),
    };
    let money = match d.name() {
        "postgres" => "i / 10.0".to_owned(),
        _ => "printf('%d.%d', i / 10, i % 10)".to_owned(),
    };
    format!(
        "INSERT INTO legacy.customers SELECT i, 'U' || i || '@X.com', false, {at} FROM {};
         INSERT INTO legacy.orders SELECT i, (i % 1000) + 1, {money}, i FROM {};",
        numbers(1000),
        numbers(2000)
    )
}

/// The changes: new customers, changed ones, a soft delete with its orders
/// gone, changed orders, a change at exactly the watermark's time (1000 is
/// the newest customer), and one written 10 seconds behind it (a lagging
/// clock, inside the 30 s skew).
const CHANGES: &str = "
UPDATE legacy.customers SET email = 'Changed' || cust_id || '@x.com', updated_at = '2026-02-01 00:00:00' WHERE cust_id BETWEEN 5 AND 14;
UPDATE legacy.customers SET deleted = true, updated_at = '2026-02-01 00:00:00' WHERE cust_id = 20;
DELETE FROM legacy.orders WHERE cust_id = 20;
UPDATE legacy.orders SET amount = amount + 1, row_version = row_version + 10000 WHERE order_no BETWEEN 100 AND 109;
UPDATE legacy.customers SET email = 'Boundary@x.com' WHERE cust_id = 1000;
UPDATE legacy.customers SET email = 'Lagging@x.com', updated_at = '2026-01-01 00:16:30' WHERE cust_id = 500;
";

fn new_customers(d: &dyn Dialect) -> String {
    let _ = d;
    "INSERT INTO legacy.customers VALUES (1001, 'New1001@X.com', false, '2026-02-01 00:00:00'), (1002, 'New1002@X.com', false, '2026-02-01 00:00:00');
     INSERT INTO legacy.orders VALUES (5001, 1001, 12.50, 5001);"
        .to_owned()
}

const STATE: [&str; 2] = [
    "SELECT CAST(account_id AS text) || '|' || email FROM crm.accounts ORDER BY account_id",
    "SELECT CAST(order_no AS text) || '|' || CAST(account_id AS text) || '|' || CAST(amount AS text) FROM crm.orders ORDER BY order_no",
];

const WITH_BATCHES: [&str; 2] = [
    "SELECT CAST(account_id AS text) || '|' || email || '|' || CAST(cutover_batch_id AS text) FROM crm.accounts ORDER BY account_id",
    "SELECT CAST(order_no AS text) || '|' || CAST(account_id AS text) || '|' || CAST(amount AS text) || '|' || CAST(cutover_batch_id AS text) FROM crm.orders ORDER BY order_no",
];

trait Db {
    fn run(&mut self, sql: &str);
    fn texts(&mut self, sql: &str) -> Vec<Vec<Option<String>>>;
    fn column(&mut self, sql: &str) -> Vec<String> {
        self.texts(sql)
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect()
    }
}

impl Db for postgres::Client {
    fn run(&mut self, sql: &str) {
        self.batch_execute(sql).unwrap_or_else(|e| panic!("{e:?}"));
    }
    fn texts(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.simple_query(sql)
            .expect("query")
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
                }
                _ => None,
            })
            .collect()
    }
}

impl Db for rusqlite::Connection {
    fn run(&mut self, sql: &str) {
        self.execute_batch(sql).unwrap_or_else(|e| panic!("{e}"));
    }
    fn texts(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        let mut s = self.prepare(sql).expect("prepare");
        let n = s.column_count();
        s.query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, Option<String>>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    }
}

fn state(db: &mut dyn Db, queries: &[&str]) -> Vec<Vec<String>> {
    queries.iter().map(|q| db.column(q)).collect()
}

/// The reconcile checks' violating rows.
fn reconcile(db: &mut dyn Db, d: &dyn Dialect, ir: &Ir, text: &str) -> Vec<Vec<Option<String>>> {
    let checks = gates::checks(ir, d, text, Timing::AfterLoad).expect("gates");
    let mut rows = Vec::new();
    for c in checks {
        rows.extend(db.texts(&c.violations));
    }
    rows
}

fn sources(db: &mut dyn Db, d: &dyn Dialect) {
    let (bool_type, ts, money) = match d.name() {
        "postgres" => ("boolean", "timestamp", "numeric(12, 2)"),
        _ => ("INTEGER", "TEXT", "TEXT"),
    };
    if d.name() == "postgres" {
        db.run("CREATE SCHEMA legacy;");
    }
    db.run(&format!(
        "CREATE TABLE legacy.customers (cust_id bigint PRIMARY KEY, email varchar(200) NOT NULL, deleted {bool_type} NOT NULL, updated_at {ts} NOT NULL);
         CREATE TABLE legacy.orders (order_no bigint PRIMARY KEY, cust_id bigint NOT NULL, amount {money} NOT NULL, row_version bigint NOT NULL);"
    ));
    db.run(&source(d));
}

fn cycle(d: &dyn Dialect, synced: &mut dyn Db, fresh: &mut dyn Db) {
    let text = spec(d.name());
    let ir = compiled(&text);
    let s = scripts(&ir, d, &text);
    sources(synced, d);
    synced.run(&s["10_schema.sql"]);
    synced.run(&s["30_load.sql"]);
    let loaded = state(synced, &WITH_BATCHES);
    assert_eq!(loaded[0].len(), 1000);
    assert!(reconcile(synced, d, &ir, &text).is_empty());

    let changes = format!("{CHANGES}\n{}", new_customers(d));
    synced.run(&changes);
    synced.run(&s["32_sync.sql"]);
    let after_sync = state(synced, &STATE);

    // A fresh full load of the changed source.
    sources(fresh, d);
    fresh.run(&changes);
    fresh.run(&s["10_schema.sql"]);
    fresh.run(&s["30_load.sql"]);
    assert_eq!(
        after_sync,
        state(fresh, &STATE),
        "the sync equals a fresh full load"
    );
    let accounts = &after_sync[0];
    for expected in [
        "5|changed5@x.com",
        "500|lagging@x.com",
        "1000|boundary@x.com",
        "1002|new1002@x.com",
    ] {
        assert!(accounts.contains(&expected.to_owned()), "{expected}");
    }
    assert!(
        !accounts.iter().any(|a| a.starts_with("20|")),
        "the soft-deleted row is gone"
    );
    assert!(
        reconcile(synced, d, &ir, &text).is_empty(),
        "reconcile finds nothing"
    );

    // The watermarks: the load's, then the sync's with what it did.
    let marks = synced.texts(&format!(
        "SELECT map_name, CAST(batch_id AS text), CAST(upserted AS text), CAST(deleted AS text) FROM {} ORDER BY batch_id, map_name",
        d.meta_table("watermarks")
    ));
    let marks: Vec<String> = marks
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(Option::unwrap_or_default)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(marks[..2], ["accounts 1 0 0", "orders 1 0 0"]);
    assert!(
        marks[2].starts_with("accounts 2 ") && marks[2].ends_with(" 1"),
        "{marks:?}"
    );
    assert!(
        marks[3].starts_with("orders 2 ") && marks[3].ends_with(" 2"),
        "{marks:?}"
    );

    // A corrupted row is named by key and column.
    synced.run("UPDATE crm.accounts SET email = 'corrupt@x.com' WHERE account_id = 7;");
    let found = reconcile(synced, d, &ir, &text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0][1].as_deref(), Some("7"));
    assert_eq!(found[0][2].as_deref(), Some("differs: email"));
    synced.run("UPDATE crm.accounts SET email = 'u7@x.com' WHERE account_id = 7;");

    // Undo the sync: back to what the load left, batch ids included.
    synced.run(&s["91_sync_rollback.sql"]);
    assert_eq!(state(synced, &WITH_BATCHES), loaded, "rollback of the sync");
    // A second run with no sync to undo changes nothing.
    synced.run(&s["91_sync_rollback.sql"]);
    assert_eq!(state(synced, &WITH_BATCHES), loaded);
    // And the sync again gives the same target.
    synced.run(&s["32_sync.sql"]);
    assert_eq!(
        state(synced, &STATE),
        after_sync,
        "the sync again after its rollback"
    );
}

#[test]
fn sqlite_sync_equals_a_full_load_and_rolls_back() {
    let open = || {
        let db = rusqlite::Connection::open_in_memory().expect("sqlite");
        cutover_sqlite_functions::register(&db).expect("functions");
        db.execute_batch(
            "ATTACH DATABASE ':memory:' AS legacy; ATTACH DATABASE ':memory:' AS crm;",
        )
        .expect("attach");
        db
    };
    let (mut a, mut b) = (open(), open());
    cycle(&Sqlite, &mut a, &mut b);
}

#[test]
fn postgres_sync_equals_a_full_load_and_rolls_back() {
    let Some(mut a) = pg::database("sync_synced") else {
        return;
    };
    let Some(mut b) = pg::database("sync_fresh") else {
        return;
    };
    cycle(&Postgres, &mut a, &mut b);
}

/// A row whose change is written with a time before the watermark but
/// committed after the sync read the source (a long transaction, or a
/// lagging clock) is missed by that sync and synced by the next one, which
/// reads back by the `skew`.
#[test]
fn postgres_a_change_committed_during_a_sync_is_synced_by_the_next() {
    let Some(mut db) = pg::database("sync_late_commit") else {
        return;
    };
    let text = spec("postgres");
    let ir = compiled(&text);
    let s = scripts(&ir, &Postgres, &text);
    sources(&mut db, &Postgres);
    db.run(&s["10_schema.sql"]);
    db.run(&s["30_load.sql"]);
    let name: String = db
        .query_one("SELECT current_database()", &[])
        .expect("name")
        .get(0);
    let conninfo = format!(
        "{} dbname={name}",
        pg::connection_string().expect("CUTOVER_PG")
    );
    let mut writer = postgres::Client::connect(&conninfo, postgres::NoTls).expect("writer");
    // The change is stamped 5 s before the newest row (the watermark to
    // come), and not committed while the sync runs.
    writer
        .batch_execute(
            "BEGIN; UPDATE legacy.customers SET email = 'Late@x.com', updated_at = '2026-01-01 00:16:35' WHERE cust_id = 300;",
        )
        .expect("open change");
    db.run(&s["32_sync.sql"]);
    writer.batch_execute("COMMIT;").expect("commit");
    let email = |db: &mut postgres::Client| -> String {
        db.query_one("SELECT email FROM crm.accounts WHERE account_id = 300", &[])
            .expect("row")
            .get(0)
    };
    assert_eq!(
        email(&mut db),
        "u300@x.com",
        "the first sync could not see it"
    );
    db.run(&s["32_sync.sql"]);
    assert_eq!(
        email(&mut db),
        "late@x.com",
        "the next sync reads back by the skew"
    );
}
