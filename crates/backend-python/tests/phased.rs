//! The runner (`python -m <package>`) on `batch` and `incremental` maps,
//! from a SQLite source into SQLite and PostgreSQL targets: a chunked load
//! killed with SIGKILL part-way and run again ends equal, cell by cell, to
//! a one-shot load and reads every key once; a load that `30_load.sql`
//! began is finished by the runner from the same checkpoints; `--sync`
//! brings the target to what a fresh full load of the changed source
//! gives, the reconcile gate (recomputed in Python across servers) finds
//! nothing and then names a corrupted row, and `--sync-rollback` returns
//! the target to where the load left it.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

mod support;
use support::python;

use cutover_backend_sql::{build, load, Sqlite};
use cutover_ir::Ir;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CUSTOMERS: u64 = 200_000;
const ORDERS: u64 = 40_000;

fn compile(text: &str) -> Ir {
    let c = cutover_check::compile(text);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    c.ir.expect("ir")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cutover-phased-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes the Python package of `text`; returns its directory and name.
fn package(text: &str, name: &str, dir: &Path) -> (PathBuf, String) {
    let ir = compile(text);
    let path = format!("{name}.cutover");
    let info = cutover_backend_python::SpecInfo {
        path: &path,
        sha256: "0",
        text,
    };
    let python = dir.join(format!("python-{name}"));
    for f in cutover_backend_python::build(&ir, &info).expect("python backend") {
        let file = python.join(&f.path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dir");
        std::fs::write(&file, f.text).expect("write");
    }
    (python, cutover_backend_python::package(&path))
}

/// A target the test reads: its rows as text, and the name of one of
/// Cutover's own tables in it.
trait Target {
    fn texts(&mut self, sql: &str) -> Vec<Vec<Option<String>>>;
    /// A count, or None while the table does not exist yet.
    fn try_count(&mut self, sql: &str) -> Option<i64>;
    fn run(&mut self, sql: &str);
    fn meta(&self, name: &str) -> String;
    fn url(&self) -> String;

    fn column(&mut self, sql: &str) -> Vec<String> {
        self.texts(sql)
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect()
    }
    fn number(&mut self, sql: &str) -> i64 {
        self.column(sql)[0].parse().expect("a number")
    }
}

struct Pg {
    client: postgres::Client,
    url: String,
}

impl Pg {
    fn open(test: &str) -> Option<Pg> {
        let mut client = pg::database(test)?;
        let name: String = client
            .query_one("SELECT current_database()", &[])
            .expect("name")
            .get(0);
        let conn = pg::connection_string().expect("CUTOVER_PG");
        let params: Vec<String> = conn
            .split_whitespace()
            .filter_map(|p| p.split_once('='))
            .filter(|(k, _)| *k != "dbname")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let url = format!("postgresql:///{name}?{}", params.join("&"));
        Some(Pg { client, url })
    }
}

impl Target for Pg {
    fn texts(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        self.client
            .simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
                }
                _ => None,
            })
            .collect()
    }
    fn try_count(&mut self, sql: &str) -> Option<i64> {
        self.client.query_one(sql, &[]).ok().map(|r| r.get(0))
    }
    fn run(&mut self, sql: &str) {
        self.client
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    fn meta(&self, name: &str) -> String {
        format!("cutover.{name}")
    }
    fn url(&self) -> String {
        self.url.clone()
    }
}

/// A SQLite target as the runner lays it out: Cutover's tables in
/// `main`, each target system in a file beside it.
struct Lite {
    main: PathBuf,
}

impl Lite {
    fn conn(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(&self.main).expect("open");
        let crm = self.main.with_extension("crm.sqlite");
        conn.execute_batch(&format!(
            "PRAGMA busy_timeout = 10000; ATTACH DATABASE '{}' AS crm;",
            crm.display()
        ))
        .expect("attach");
        conn
    }
}

impl Target for Lite {
    fn texts(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        let conn = self.conn();
        let mut s = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let n = s.column_count();
        s.query_map([], |r| {
            (0..n)
                .map(|i| {
                    use rusqlite::types::Value;
                    Ok(match r.get::<_, Value>(i)? {
                        Value::Null => None,
                        Value::Integer(n) => Some(n.to_string()),
                        Value::Real(x) => Some(x.to_string()),
                        Value::Text(t) => Some(t),
                        Value::Blob(b) => Some(format!("{b:?}")),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    }
    fn try_count(&mut self, sql: &str) -> Option<i64> {
        self.conn().query_row(sql, [], |r| r.get(0)).ok()
    }
    fn run(&mut self, sql: &str) {
        self.conn()
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    fn meta(&self, name: &str) -> String {
        format!("cutover_{name}")
    }
    fn url(&self) -> String {
        format!("sqlite://{}", self.main.display())
    }
}

// ───────────────────────────── Chunked loads ─────────────────────────────

/// Customers in chunks of 10,000, their orders in chunks of 20,000; every
/// 97th customer has an unknown region and is quarantined, with its orders.
fn chunked_spec(batched: bool) -> String {
    let batch = |line: &str| {
        if batched {
            format!("  {line}\n")
        } else {
            String::new()
        }
    };
    format!(
        r#"migration "Chunked" {{ strategy big_bang }}
source legacy: sqlite {{
  table customers {{
    cust_id bigint primary key
    email   varchar(200) not null
    region  varchar(10)
    rows ~ 200_000
  }}
  table orders {{
    order_no bigint primary key
    cust_id  bigint not null references customers(cust_id)
    amount   decimal(12, 2) not null
    rows ~ 40_000
  }}
}}
target crm: sqlite {{
  table accounts {{
    account_id bigint primary key
    email      varchar(200) not null
    region     varchar(20) not null
  }}
  table orders {{
    order_no   bigint primary key
    account_id bigint not null references accounts(account_id)
    amount     decimal(12, 2) not null
  }}
}}
lookup regions {{ "N" => "north", "S" => "south" }}
map accounts: legacy.customers -> crm.accounts {{
{}  key account_id = cust_id
  email = lower(email)
  region = regions[region] else reject "unknown region"
}}
map orders: legacy.orders -> crm.orders {{
{}  key order_no = order_no
  account_id = ref accounts(cust_id)
  amount = amount
}}
rollback {{ strategy delete_batch }}
"#,
        batch("batch 10_000 by cust_id"),
        batch("batch 20_000 by order_no"),
    )
}

fn chunked_source(dir: &Path) -> PathBuf {
    let file = dir.join("legacy.sqlite");
    let src = rusqlite::Connection::open(&file).expect("source");
    src.execute_batch(&format!(
        "CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, email TEXT NOT NULL, region TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {CUSTOMERS})
         INSERT INTO customers SELECT i, 'User' || i || '@Example.COM',
           CASE WHEN i % 97 = 0 THEN 'X' WHEN i % 2 = 0 THEN 'N' ELSE 'S' END FROM n;
         CREATE TABLE orders (order_no INTEGER PRIMARY KEY, cust_id INTEGER NOT NULL, amount TEXT NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ORDERS})
         INSERT INTO orders SELECT i, (i * 7) % {CUSTOMERS} + 1, printf('%d.%02d', (i % 10000) / 100, i % 100) FROM n;"
    ))
    .expect("source rows");
    file
}

/// Every target row and the quarantine, as text, sorted.
fn chunked_state(t: &mut dyn Target) -> Vec<Vec<String>> {
    let q = t.meta("quarantine");
    [
        "SELECT CAST(account_id AS text) || '|' || email || '|' || region || '|' || CAST(cutover_batch_id AS text) FROM crm.accounts ORDER BY account_id".to_owned(),
        "SELECT CAST(order_no AS text) || '|' || CAST(account_id AS text) || '|' || CAST(amount AS text) FROM crm.orders ORDER BY order_no".to_owned(),
        format!("SELECT map_name || '|' || source_key || '|' || reason FROM {q} ORDER BY map_name, source_key"),
    ]
    .iter()
    .map(|sql| t.column(sql))
    .collect()
}

/// The checkpoints of a finished load read every key once, in order.
fn assert_checkpoints(t: &mut dyn Target) {
    let rows = t.texts(&format!(
        "SELECT c.map_name, CAST(c.chunk AS text), c.last_key, CAST(c.rows AS text) FROM {} AS c WHERE c.chunk > 0 ORDER BY c.map_name, c.chunk",
        t.meta("checkpoints")
    ));
    for (map, total, size) in [
        ("accounts", CUSTOMERS as i64, 10_000),
        ("orders", ORDERS as i64, 20_000),
    ] {
        let mine: Vec<(i64, i64, i64)> = rows
            .iter()
            .filter(|r| r[0].as_deref() == Some(map))
            .map(|r| {
                let n = |i: usize| -> i64 {
                    r[i].as_deref().unwrap_or_default().parse().expect("number")
                };
                (n(1), n(2), n(3))
            })
            .collect();
        assert!(!mine.is_empty(), "{map}: no checkpoint");
        for (i, c) in mine.iter().enumerate() {
            assert_eq!(c.0, i as i64 + 1, "{map}: chunks run 1..n: {mine:?}");
        }
        for w in mine.windows(2) {
            assert!(w[0].1 < w[1].1, "{map}: last keys increase: {mine:?}");
        }
        assert_eq!(mine.iter().map(|c| c.2).sum::<i64>(), total, "{map}");
        assert!(
            mine[..mine.len() - 1].iter().all(|c| c.2 == size),
            "{map}: full chunks: {mine:?}"
        );
    }
    let batches = t.texts(&format!(
        "SELECT CAST(batch_id AS text), status FROM {}",
        t.meta("batches")
    ));
    assert_eq!(
        batches,
        vec![vec![Some("1".into()), Some("loaded".into())]],
        "one batch, loaded"
    );
}

fn killed_and_resumed(dir: &Path, chunked: &mut dyn Target, oneshot: &mut dyn Target) {
    let source = chunked_source(dir);
    let source_url = format!("sqlite://{}", source.display());
    let (py, pkg) = package(&chunked_spec(true), "chunked", dir);
    let (py_one, pkg_one) = package(&chunked_spec(false), "oneshot", dir);

    let mut child = Command::new("python3")
        .args([
            "-m",
            &pkg,
            "--source",
            &source_url,
            "--target",
            &chunked.url(),
            "--quiet",
        ])
        .current_dir(&py)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("runner");
    let started = Instant::now();
    let committed = format!(
        "SELECT count(*) FROM {} WHERE map_name = 'accounts' AND chunk > 0",
        chunked.meta("checkpoints")
    );
    loop {
        // The tables appear once the runner has written the schema.
        let chunks = chunked.try_count(&committed).unwrap_or(0);
        if chunks >= 3 {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the runner ended before its third chunk: {status}");
        }
        assert!(started.elapsed() < Duration::from_secs(120), "too slow");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SIGKILL: no chance to clean up.
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");

    let status = chunked.column(&format!(
        "SELECT status FROM {} ORDER BY batch_id DESC LIMIT 1",
        chunked.meta("batches")
    ));
    assert_eq!(status, ["loading"]);
    let checkpointed = chunked.number(&format!(
        "SELECT COALESCE(sum(rows), 0) FROM {} WHERE map_name = 'accounts' AND chunk > 0",
        chunked.meta("checkpoints")
    ));
    let loaded = chunked.number("SELECT count(*) FROM crm.accounts");
    let quarantined = chunked.number(&format!(
        "SELECT count(*) FROM {} WHERE map_name = 'accounts'",
        chunked.meta("quarantine")
    ));
    assert!(
        checkpointed > 0 && (checkpointed as u64) < CUSTOMERS,
        "killed part-way: {checkpointed}"
    );
    assert_eq!(loaded + quarantined, checkpointed, "no partial chunk");

    let (code, out) = python(
        &py,
        &[
            "-m",
            &pkg,
            "--source",
            &source_url,
            "--target",
            &chunked.url(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("resuming batch 1"), "{out}");
    let (code, out) = python(
        &py_one,
        &[
            "-m",
            &pkg_one,
            "--source",
            &source_url,
            "--target",
            &oneshot.url(),
        ],
    );
    assert_eq!(code, 0, "{out}");

    let resumed = chunked_state(chunked);
    let rejected = |map: &str| {
        resumed[2]
            .iter()
            .filter(|q| q.starts_with(&format!("{map}|")))
            .count() as u64
    };
    assert_eq!(rejected("accounts"), CUSTOMERS / 97);
    assert_eq!(resumed[0].len() as u64, CUSTOMERS - CUSTOMERS / 97);
    assert!(rejected("orders") > 0, "orders of rejected customers");
    assert_eq!(resumed[1].len() as u64 + rejected("orders"), ORDERS);
    assert!(
        resumed == chunked_state(oneshot),
        "the resumed load equals the one-shot load cell by cell"
    );
    assert_checkpoints(chunked);
}

#[test]
fn runner_chunked_load_killed_into_sqlite_resumes_to_the_one_shot_result() {
    let dir = temp("kill-lite");
    let mut chunked = Lite {
        main: dir.join("chunked.sqlite"),
    };
    let mut oneshot = Lite {
        main: dir.join("oneshot.sqlite"),
    };
    killed_and_resumed(&dir, &mut chunked, &mut oneshot);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn runner_chunked_load_killed_into_postgres_resumes_to_the_one_shot_result() {
    let Some(mut chunked) = Pg::open("phased_chunked") else {
        return;
    };
    let Some(mut oneshot) = Pg::open("phased_oneshot") else {
        return;
    };
    let dir = temp("kill-pg");
    killed_and_resumed(&dir, &mut chunked, &mut oneshot);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The checkpoints are the SQL backend's: a load `30_load.sql` began and
/// stopped after two chunks of customers is finished by the runner, in
/// the same batch, and ends equal to a one-shot load.
#[test]
fn a_load_begun_by_the_sql_script_is_finished_by_the_runner() {
    let dir = temp("sql-then-runner");
    let source = chunked_source(&dir);
    let text = chunked_spec(true);
    let ir = compile(&text);
    let scripts = build(
        &ir,
        &Sqlite,
        &cutover_backend_sql::SpecInfo {
            path: "chunked.cutover",
            sha256: "0",
            text: &text,
        },
    )
    .expect("sql");
    let script = |name: &str| {
        scripts
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.text.clone())
            .expect("script")
    };
    let mut target = Lite {
        main: dir.join("target.sqlite"),
    };
    {
        let conn = target.conn();
        cutover_sqlite_functions::register(&conn).expect("functions");
        conn.execute_batch(&format!(
            "ATTACH DATABASE '{}' AS legacy;",
            source.display()
        ))
        .expect("attach");
        conn.execute_batch(&script("10_schema.sql"))
            .expect("schema");
        // 30_load.sql as `cutover rehearse` runs it, stopped once the
        // first chunk part has run twice.
        let load = script("30_load.sql");
        let mut part = String::new();
        for line in load.lines() {
            if line == load::CHUNK_BEGIN {
                conn.execute_batch(&part).expect("part");
                part.clear();
            } else if line == load::CHUNK_END {
                conn.execute_batch(&part).expect("chunk 1");
                conn.execute_batch(&part).expect("chunk 2");
                break;
            } else {
                part.push_str(line);
                part.push('\n');
            }
        }
    }
    assert_eq!(
        target.number("SELECT count(*) FROM cutover_checkpoints WHERE chunk > 0"),
        2
    );
    assert_eq!(
        target.column("SELECT status FROM cutover_batches"),
        ["loading"]
    );
    let (py, pkg) = package(&text, "chunked", &dir);
    let source_url = format!("sqlite://{}", source.display());
    let (code, out) = python(
        &py,
        &[
            "-m",
            &pkg,
            "--source",
            &source_url,
            "--target",
            &target.url(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("resuming batch 1"), "{out}");
    let mut oneshot = Lite {
        main: dir.join("oneshot.sqlite"),
    };
    let (py_one, pkg_one) = package(&chunked_spec(false), "oneshot", &dir);
    let (code, out) = python(
        &py_one,
        &[
            "-m",
            &pkg_one,
            "--source",
            &source_url,
            "--target",
            &oneshot.url(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(chunked_state(&mut target) == chunked_state(&mut oneshot));
    assert_checkpoints(&mut target);
    let _ = std::fs::remove_dir_all(&dir);
}

// ──────────────────────────────── Syncs ────────────────────────────────

/// The SQL backend's sync test spec (crates/backend-sql/tests/sync.rs).
const SYNC_SPEC: &str = r#"migration "Sync" { strategy parallel_run }
source legacy: sqlite {
  table customers {
    cust_id    bigint primary key
    email      varchar(200) not null
    deleted    bool not null
    updated_at timestamp not null
    rows ~ 1_000
  }
  table orders {
    order_no    bigint primary key
    cust_id     bigint not null references customers(cust_id)
    amount      decimal(12, 2) not null
    row_version bigint not null
    rows ~ 2_000
  }
}
target crm: sqlite {
  table accounts {
    account_id bigint primary key
    email      varchar(200) not null
  }
  table orders {
    order_no   bigint primary key
    account_id bigint not null references accounts(account_id)
    amount     decimal(12, 2) not null
  }
}
map accounts: legacy.customers -> crm.accounts {
  incremental by updated_at skew 30s deletes when deleted
  where not deleted
  key account_id = cust_id
  email = lower(email)
}
map orders: legacy.orders -> crm.orders {
  incremental by row_version deletes missing
  key order_no = order_no
  account_id = ref accounts(cust_id)
  amount = amount
}
rollback { strategy delete_batch }
gate reconciled after load {
  reconcile accounts
  reconcile orders
}
"#;

/// 1,000 customers a second apart from 2026-01-01; 2,000 orders.
const SYNC_SOURCE: &str = "
CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, email TEXT NOT NULL, deleted INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE orders (order_no INTEGER PRIMARY KEY, cust_id INTEGER NOT NULL, amount TEXT NOT NULL, row_version INTEGER NOT NULL);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1000)
INSERT INTO customers SELECT i, 'U' || i || '@X.com', 0, datetime('2026-01-01', '+' || i || ' seconds') FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 2000)
INSERT INTO orders SELECT i, (i % 1000) + 1, printf('%d.%d', i / 10, i % 10), i FROM g;
";

/// New, changed and soft-deleted customers (with their orders gone),
/// changed orders, a change at exactly the watermark's time (1000 is the
/// newest customer) and one written 10 seconds behind it (a lagging
/// clock, inside the 30 s skew).
const SYNC_CHANGES: &str = "
UPDATE customers SET email = 'Changed' || cust_id || '@x.com', updated_at = '2026-02-01 00:00:00' WHERE cust_id BETWEEN 5 AND 14;
UPDATE customers SET deleted = 1, updated_at = '2026-02-01 00:00:00' WHERE cust_id = 20;
DELETE FROM orders WHERE cust_id = 20;
UPDATE orders SET amount = printf('%.2f', amount + 1), row_version = row_version + 10000 WHERE order_no BETWEEN 100 AND 109;
UPDATE customers SET email = 'Boundary@x.com' WHERE cust_id = 1000;
UPDATE customers SET email = 'Lagging@x.com', updated_at = '2026-01-01 00:16:30' WHERE cust_id = 500;
INSERT INTO customers VALUES (1001, 'New1001@X.com', 0, '2026-02-01 00:00:00'), (1002, 'New1002@X.com', 0, '2026-02-01 00:00:00');
INSERT INTO orders VALUES (5001, 1001, '12.50', 5001);
";

const SYNC_STATE: [&str; 2] = [
    "SELECT CAST(account_id AS text) || '|' || email FROM crm.accounts ORDER BY account_id",
    "SELECT CAST(order_no AS text) || '|' || CAST(account_id AS text) || '|' || CAST(amount AS text) FROM crm.orders ORDER BY order_no",
];

const WITH_BATCHES: [&str; 2] = [
    "SELECT CAST(account_id AS text) || '|' || email || '|' || CAST(cutover_batch_id AS text) FROM crm.accounts ORDER BY account_id",
    "SELECT CAST(order_no AS text) || '|' || CAST(account_id AS text) || '|' || CAST(amount AS text) || '|' || CAST(cutover_batch_id AS text) FROM crm.orders ORDER BY order_no",
];

fn state(t: &mut dyn Target, queries: &[&str]) -> Vec<Vec<String>> {
    queries.iter().map(|q| t.column(q)).collect()
}

/// The reconcile checks of a run's report: (passed, violations, first rows).
fn reconciled(report: &Path) -> Vec<(bool, u64, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(report).expect("report");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["gate"] == "reconciled")
        .map(|c| {
            let first = c["first"]
                .as_array()
                .expect("first")
                .iter()
                .map(|r| {
                    r.as_array()
                        .expect("row")
                        .iter()
                        .map(|v| v.as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .collect();
            (
                c["passed"].as_bool().expect("passed"),
                c["violations"].as_u64().expect("violations"),
                first,
            )
        })
        .collect()
}

fn sync_cycle(dir: &Path, synced: &mut dyn Target, fresh: &mut dyn Target) {
    let source = dir.join("legacy.sqlite");
    rusqlite::Connection::open(&source)
        .expect("source")
        .execute_batch(SYNC_SOURCE)
        .expect("source rows");
    let source_url = format!("sqlite://{}", source.display());
    let (py, pkg) = package(SYNC_SPEC, "sync", dir);
    let report = dir.join("report.json");
    let report_arg = report.display().to_string();
    let run = |target: &dyn Target, extra: &[&str]| {
        let url = target.url();
        let mut args = vec![
            "-m",
            &pkg,
            "--source",
            &source_url,
            "--target",
            &url,
            "--report",
            &report_arg,
        ];
        args.extend_from_slice(extra);
        python(&py, &args)
    };

    let (code, out) = run(synced, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(reconciled(&report).iter().all(|c| c.0 && c.1 == 0));
    let loaded = state(synced, &WITH_BATCHES);
    assert_eq!(loaded[0].len(), 1000);

    rusqlite::Connection::open(&source)
        .expect("source")
        .execute_batch(SYNC_CHANGES)
        .expect("changes");
    let (code, out) = run(synced, &["--sync"]);
    assert_eq!(code, 0, "{out}");
    let checks = reconciled(&report);
    assert_eq!(checks.len(), 2);
    assert!(
        checks.iter().all(|c| c.0 && c.1 == 0),
        "reconcile finds nothing: {checks:?}"
    );
    let after_sync = state(synced, &SYNC_STATE);

    // A fresh full load of the changed source.
    let (code, out) = run(fresh, &["--no-gates"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        after_sync,
        state(fresh, &SYNC_STATE),
        "the sync equals a fresh full load"
    );
    for expected in [
        "5|changed5@x.com",
        "500|lagging@x.com",
        "1000|boundary@x.com",
        "1002|new1002@x.com",
    ] {
        assert!(after_sync[0].contains(&expected.to_owned()), "{expected}");
    }
    assert!(!after_sync[0].iter().any(|a| a.starts_with("20|")));
    let marks = synced.texts(&format!(
        "SELECT map_name, CAST(batch_id AS text), CAST(deleted AS text) FROM {} ORDER BY batch_id, map_name",
        synced.meta("watermarks")
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
    assert_eq!(
        marks,
        ["accounts 1 0", "orders 1 0", "accounts 2 1", "orders 2 2"],
        "the soft delete, and its two orders gone from the source"
    );

    // A corrupted row (not changed at the source, so no sync rewrites it)
    // is named by key and column by the next sync's gate.
    synced.run("UPDATE crm.accounts SET email = 'corrupt@x.com' WHERE account_id = 300;");
    let (code, out) = run(synced, &["--sync"]);
    assert_eq!(code, 1, "{out}");
    let checks = reconciled(&report);
    assert_eq!(checks[0].1, 1, "{checks:?}");
    assert_eq!(checks[0].2, [["accounts", "300", "differs: email"]]);
    assert!(checks[1].0, "{checks:?}");
    synced.run("UPDATE crm.accounts SET email = 'u300@x.com' WHERE account_id = 300;");

    // Each sync undone, newest first: back to what the load left, batch
    // ids included; once more changes nothing.
    for _ in 0..2 {
        let (code, out) = python(
            &py,
            &["-m", &pkg, "--target", &synced.url(), "--sync-rollback"],
        );
        assert_eq!(code, 0, "{out}");
    }
    assert_eq!(
        state(synced, &WITH_BATCHES),
        loaded,
        "rollback of the syncs"
    );
    let (code, out) = python(
        &py,
        &["-m", &pkg, "--target", &synced.url(), "--sync-rollback"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(state(synced, &WITH_BATCHES), loaded);
    // And the sync again gives the same target.
    let (code, out) = run(synced, &["--sync"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(state(synced, &SYNC_STATE), after_sync);

    // The load's rollback undoes that sync first: the target is empty
    // again, not left with the rows the sync wrote.
    let (code, out) = python(&py, &["-m", &pkg, "--target", &synced.url(), "--rollback"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(1 sync undone first)"), "{out}");
    assert_eq!(
        state(synced, &SYNC_STATE),
        [Vec::<String>::new(), Vec::new()]
    );
}

#[test]
fn runner_sync_into_sqlite_equals_a_full_load_and_rolls_back() {
    let dir = temp("sync-lite");
    let mut synced = Lite {
        main: dir.join("synced.sqlite"),
    };
    let mut fresh = Lite {
        main: dir.join("fresh.sqlite"),
    };
    sync_cycle(&dir, &mut synced, &mut fresh);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Source and target on different servers: the reconcile gate is
/// recomputed by the runner.
#[test]
fn runner_sync_into_postgres_equals_a_full_load_and_rolls_back() {
    let Some(mut synced) = Pg::open("phased_synced") else {
        return;
    };
    let Some(mut fresh) = Pg::open("phased_fresh") else {
        return;
    };
    let dir = temp("sync-pg");
    sync_cycle(&dir, &mut synced, &mut fresh);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reconcile row shows a key and names the differing columns: a key
/// whose column is `pii` is masked in the report, the rest is not.
#[test]
fn reconcile_masks_a_pii_key_in_the_report() {
    let text = r#"migration "Pii key" { strategy big_bang }
source legacy: sqlite {
  table customers {
    email varchar(100) primary key pii
    name  varchar(100)
  }
}
target crm: sqlite {
  table accounts {
    email varchar(100) primary key pii
    name  varchar(100)
  }
}
map accounts: legacy.customers -> crm.accounts {
  key email = email allow pii "the address is the account's key"
  name = name
}
rollback { strategy delete_batch }
gate reconciled after load {
  reconcile accounts
}
"#;
    let ir = compile(text);
    let checks =
        cutover_backend_sql::gates::checks(&ir, &Sqlite, text, cutover_ir::Timing::AfterLoad)
            .expect("gates");
    assert_eq!(checks[0].pii, ["source_key"]);

    let dir = temp("pii-key");
    let source = dir.join("legacy.sqlite");
    rusqlite::Connection::open(&source)
        .expect("source")
        .execute_batch(
            "CREATE TABLE customers (email TEXT PRIMARY KEY, name TEXT);
             INSERT INTO customers VALUES ('ann@example.com', 'Ann'), ('bob@example.com', 'Bob');",
        )
        .expect("source rows");
    let (py, pkg) = package(text, "pii", &dir);
    let mut target = Lite {
        main: dir.join("target.sqlite"),
    };
    let report = dir.join("report.json").display().to_string();
    let source_url = format!("sqlite://{}", source.display());
    let target_url = target.url();
    let run = || {
        python(
            &py,
            &[
                "-m",
                &pkg,
                "--source",
                &source_url,
                "--target",
                &target_url,
                "--report",
                &report,
                "--quiet",
            ],
        )
    };
    let (code, out) = run();
    assert_eq!(code, 0, "{out}");
    target.run("UPDATE crm.accounts SET name = 'Robert' WHERE email = 'bob@example.com';");
    // A sync-free spec: the gates run again with a load that adds nothing.
    let (code, out) = run();
    assert_eq!(code, 1, "{out}");
    let checks = reconciled(Path::new(&report));
    assert_eq!(checks[0].2, [["accounts", "***", "differs: name"]]);
    assert!(!std::fs::read_to_string(&report)
        .expect("report")
        .contains("bob@example.com"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--sync` on a spec without `incremental` maps, or with another action,
/// is an input error (exit 2) that says why.
#[test]
fn a_sync_without_incremental_maps_is_refused() {
    let dir = temp("sync-refused");
    let source = chunked_source(&dir);
    let (py, pkg) = package(&chunked_spec(true), "chunked", &dir);
    let target = Lite {
        main: dir.join("target.sqlite"),
    };
    let source_url = format!("sqlite://{}", source.display());
    let target_url = target.url();
    let run = |extra: &[&str]| {
        let mut args = vec!["-m", &pkg, "--source", &source_url, "--target", &target_url];
        args.extend_from_slice(extra);
        python(&py, &args)
    };
    let (code, out) = run(&["--sync"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no map of this spec declares `incremental`"),
        "{out}"
    );
    let (code, out) = run(&["--sync", "--rollback"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("give one of --rollback, --sync and --sync-rollback"),
        "{out}"
    );
    let (code, out) = run(&["--sync-rollback"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no map of this spec declares `incremental`"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
