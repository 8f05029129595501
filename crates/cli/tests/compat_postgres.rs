//! `cutover compat` proved on a real PostgreSQL: the `before` schema is
//! created from its JSON and filled with rows; the scripts `compat -o DIR`
//! writes run with psql exactly as a person would run them (preflight,
//! expand, preflight after expand, contract); the database's catalog then
//! equals the `after` JSON. Rollback returns the catalog to `before` and
//! every row to what it was.

#[path = "../../../tests/support/postgres.rs"]
mod pg;
mod support;

use cutover_import::{compat, json, pgsql, sqltext, Schema};
use postgres::Client;
use std::path::Path;
use std::process::Command;
use support::{cutover, root, text, Scratch};

const SCHEMA: &str = "app";

fn fixture(name: &str) -> Schema {
    let path = root().join("tests/import").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    json::read(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The schema with what may legitimately differ taken out: column order
/// (PostgreSQL appends added columns), the order of constraints, the
/// database's name and row estimates, and the spelling of checks and view
/// bodies (compared in canonical form).
fn normalized(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    s.name = None;
    s.tables.sort_by(|a, b| a.name.cmp(&b.name));
    for t in &mut s.tables {
        t.constraint_names.clear();
        t.columns.sort_by(|a, b| a.name.cmp(&b.name));
        t.unique.sort();
        t.foreign_keys.sort_by(|a, b| a.columns.cmp(&b.columns));
        t.checks = t
            .checks
            .iter()
            .map(|c| sqltext::canonical_expr(c))
            .collect();
        t.checks.sort();
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        t.rows_estimate = None;
    }
    s.views.sort_by(|a, b| a.name.cmp(&b.name));
    for v in &mut s.views {
        v.definition = sqltext::canonical_query(&v.definition);
    }
    s.procedures.sort_by(|a, b| a.name.cmp(&b.name));
    for p in &mut s.procedures {
        p.parameters = p
            .parameters
            .iter()
            .map(|x| x.to_ascii_lowercase())
            .collect();
        p.definition = p.definition.trim().to_owned();
    }
    s
}

struct Database {
    client: Client,
    /// A libpq connection string for this database with `app` first on
    /// the search path, for psql and for `cutover compat`.
    conninfo: String,
}

fn database(test: &str) -> Option<Database> {
    let mut client = pg::database(test)?;
    let name: String = client
        .query_one("SELECT current_database()", &[])
        .expect("database name")
        .get(0);
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {SCHEMA}; SET search_path TO {SCHEMA}"
        ))
        .expect("schema");
    let base = pg::connection_string().expect("CUTOVER_PG is set when a database exists");
    Some(Database {
        client,
        conninfo: format!("{base} dbname={name} options='-c search_path={SCHEMA}'"),
    })
}

impl Database {
    fn run(&mut self, statements: &[String]) {
        for s in statements {
            self.client
                .batch_execute(s)
                .unwrap_or_else(|e| panic!("{s}\n{e:?}"));
        }
    }

    /// Runs a script file with psql; its output, one `a|b` line per row.
    fn psql(&self, file: &Path) -> String {
        let out = Command::new("psql")
            .args(["-X", "-q", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&self.conninfo)
            .arg("-f")
            .arg(file)
            .output()
            .expect("run psql (tests/run.sh installs it)");
        assert!(
            out.status.success(),
            "psql -f {} failed:\n{}",
            file.display(),
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("ERROR"),
            "{}: {}",
            file.display(),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn introspect(&mut self) -> Schema {
        cutover_introspect::postgres(&mut self.client, SCHEMA).expect("introspect")
    }

    /// Every row of every table, as JSON objects keyed by column, ordered
    /// by `id`.
    fn rows(&mut self, schema: &Schema) -> Vec<(String, serde_json::Value)> {
        schema
            .tables
            .iter()
            .map(|t| {
                let sql = format!(
                    "SELECT coalesce(json_agg(row_to_json(t) ORDER BY t.id), '[]')::text FROM {}.{} t",
                    SCHEMA, t.name
                );
                let json: String = self.client.query_one(&sql, &[]).expect("rows").get(0);
                (t.name.clone(), serde_json::from_str(&json).expect("json"))
            })
            .collect()
    }
}

/// Preflight output lines `change|count`: every count must be 0.
fn assert_no_violations(output: &str, expected_queries: usize) {
    let lines: Vec<&str> = output.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), expected_queries, "{output}");
    for line in lines {
        let count = line.rsplit('|').next().unwrap_or_default();
        assert_eq!(count, "0", "a preflight query found violating rows: {line}");
    }
}

/// Runs the whole cycle for one schema pair; `seed` fills the before
/// schema, `backfill` runs between expand and contract.
fn cycle(test: &str, before_file: &str, after_file: &str, seed: &str, backfill: &str, exit: i32) {
    let Some(mut db) = database(test) else { return };
    let (before, after) = (fixture(before_file), fixture(after_file));
    db.run(&pgsql::create_schema(&before));
    db.client.batch_execute(seed).expect("seed rows");
    assert_eq!(
        normalized(&db.introspect()),
        normalized(&before),
        "create_schema(before)"
    );
    let rows_before = db.rows(&before);

    let scratch = Scratch::new(test);
    let dir = scratch.arg("scripts");
    let before_arg = format!("tests/import/{before_file}");
    let after_arg = format!("tests/import/{after_file}");
    let out = cutover(&["compat", &before_arg, &after_arg, "-o", &dir]);
    assert_eq!(out.status.code(), Some(exit), "{}", text(&out.stderr));
    let report = compat::compare(&before, &after);

    let script = |name: &str| scratch.path(&format!("scripts/{name}"));
    assert_no_violations(
        &db.psql(&script("preflight.sql")),
        report.scripts.preflight.len(),
    );
    db.psql(&script("expand.sql"));
    db.client.batch_execute(backfill).expect("backfill");
    assert_no_violations(
        &db.psql(&script("preflight_contract.sql")),
        report.scripts.preflight_contract.len(),
    );
    db.psql(&script("contract.sql"));
    assert_eq!(
        normalized(&db.introspect()),
        normalized(&after),
        "after forward"
    );

    // The live database compared with the wanted schema: nothing left.
    let live = format!("{}#{SCHEMA}", db.conninfo);
    let out = cutover(&["compat", &live, &after_arg, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(
        json["changes"],
        serde_json::json!([]),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));

    db.psql(&script("rollback.sql"));
    assert_eq!(
        normalized(&db.introspect()),
        normalized(&before),
        "after rollback"
    );
    assert_eq!(db.rows(&before), rows_before, "rows after rollback");
    let backup: i64 = db
        .client
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'cutover_backup'",
            &[],
        )
        .expect("backup schema")
        .get(0);
    assert_eq!(backup, 0, "rollback leaves no backup schema behind");
}

#[test]
fn the_seed_pair_migrates_forward_and_back() {
    cycle(
        "compat_seed_pair",
        "database_schema_before.json",
        "database_schema_after.json",
        "INSERT INTO users (username, email, password_hash, first_name, phone) VALUES
           ('ada', 'ada@example.com', repeat('x', 60), 'Ada', '5550100100'),
           ('bob', 'bob@example.com', repeat('y', 64), NULL, NULL);
         INSERT INTO user_profiles (user_id, bio, privacy_level) VALUES (1, 'hello', 'private'), (2, NULL, 'public');
         INSERT INTO user_sessions (id, user_id, ip_address, expires_at, user_agent)
           VALUES (1, 1, '10.0.0.1', TIMESTAMP '2030-01-01 00:00', 'curl/8');",
        "",
        1,
    );
}

#[test]
fn breaking_changes_migrate_forward_and_back_with_their_data() {
    cycle(
        "compat_evolution",
        "evolution_before.json",
        "evolution_after.json",
        "INSERT INTO customers (email, name, legacy_code, score, status, note) VALUES
           ('a@example.com', 'Ann', 'L-1', 10, 'active', 'vip'),
           ('b@example.com', 'Ben', NULL, NULL, 'paused', NULL),
           ('c@example.com', 'Cy', 'L-3', 7, 'active', 'x');
         INSERT INTO orders (id, customer_id, amount, region) VALUES
           (1, 1, 120.50, 'us'), (2, 1, 9.99, NULL), (3, 3, 1000.00, 'eu');
         INSERT INTO audit_log (id, message) VALUES (1, 'created'), (2, 'updated');",
        // A backfill is not an update of the customer: ON UPDATE stays quiet.
        "ALTER TABLE customers DISABLE TRIGGER USER;
         UPDATE customers SET tier = 'standard' WHERE tier IS NULL;
         ALTER TABLE customers ENABLE TRIGGER USER",
        2,
    );
}

/// The report names every class and exits by the most severe.
#[test]
fn compat_reports_in_every_format() {
    let out = cutover(&[
        "compat",
        "tests/import/database_schema_before.json",
        "tests/import/database_schema_after.json",
        "--format",
        "markdown",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert!(
        md.contains("**POTENTIALLY BREAKING**: 0 breaking, 4 potentially breaking"),
        "{md}"
    );
    assert!(md.contains("## Rollback"), "{md}");
    let out = cutover(&[
        "compat",
        "tests/import/database_schema_before.json",
        "tests/import/database_schema_before.json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("NO CHANGES"));
    let out = cutover(&["compat", "tests/import/missing.json", "tests/import/x.json"]);
    assert_eq!(out.status.code(), Some(3));
}

/// A database whose constraints someone else named: the scripts drop and
/// restore them by their real names, which the catalog reader recorded.
#[test]
fn constraints_are_dropped_and_restored_by_their_real_names() {
    let Some(mut db) = database("compat_real_names") else {
        return;
    };
    db.client
        .batch_execute(
            "CREATE TABLE owners (id bigint PRIMARY KEY);
             CREATE TABLE accounts (
               id bigint CONSTRAINT accounts_id_pk PRIMARY KEY,
               email varchar(100) NOT NULL CONSTRAINT accounts_email_uq UNIQUE,
               score integer CONSTRAINT legacy_score_positive CHECK (score >= 0),
               owner_id bigint CONSTRAINT acct_owner_fk REFERENCES owners (id));
             INSERT INTO owners VALUES (1);
             INSERT INTO accounts VALUES (1, 'a@example.com', 3, 1), (2, 'b@example.com', NULL, NULL);",
        )
        .expect("schema by hand");
    let before = db.introspect();
    let names = |schema: &Schema| -> Vec<String> {
        let mut all: Vec<String> = schema
            .tables
            .iter()
            .flat_map(|t| t.constraint_names.values().cloned())
            .collect();
        all.sort();
        all
    };
    let scratch = Scratch::new("compat-real-names");
    let after = scratch.write(
        "after.sql",
        "CREATE TABLE owners (id bigint PRIMARY KEY);
         CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(100) NOT NULL,
                                score integer, owner_id bigint);",
    );
    let live = format!("{}#{SCHEMA}", db.conninfo);
    let dir = scratch.arg("scripts");
    let out = cutover(&["compat", &live, &after, "-o", &dir]);
    // A unique removed is potentially breaking.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let script = |name: &str| scratch.path(&format!("scripts/{name}"));
    for name in [
        "preflight.sql",
        "expand.sql",
        "preflight_contract.sql",
        "contract.sql",
    ] {
        db.psql(&script(name));
    }
    let contract = std::fs::read_to_string(script("contract.sql")).expect("contract");
    for name in [
        "legacy_score_positive",
        "accounts_email_uq",
        "acct_owner_fk",
    ] {
        assert!(
            contract.contains(&format!("DROP CONSTRAINT \"{name}\"")),
            "{contract}"
        );
    }
    let after_schema = cutover_import::ddl::read(
        &std::fs::read_to_string(&after).expect("after"),
        cutover_import::ddl::Dialect::Postgres,
    )
    .expect("after DDL");
    assert_eq!(normalized(&db.introspect()), normalized(&after_schema));
    db.psql(&script("rollback.sql"));
    let restored = db.introspect();
    assert_eq!(normalized(&restored), normalized(&before));
    assert_eq!(names(&restored), names(&before));
}
