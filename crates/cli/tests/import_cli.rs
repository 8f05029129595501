//! `cutover import` from every form it reads: the seeds' JSON, DDL in both
//! dialects, a SQLite file and a live PostgreSQL schema (with `rows ~` from
//! their row counts); and its exit codes.

#[path = "../../../tests/support/postgres.rs"]
mod pg;
mod support;

use support::{cutover, text, Scratch};

/// The codes of the error diagnostics `cutover import` printed.
fn error_codes(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error["))
        .filter_map(|l| l.split(']').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_seed_pair_scaffolds_with_only_decisions_left() {
    let scratch = Scratch::new("import-seed");
    let spec = scratch.arg("seed.cutover");
    let out = cutover(&[
        "import",
        "tests/import/database_schema_before.json",
        "tests/import/database_schema_after.json",
        "-o",
        &spec,
        "--source-name",
        "v1",
        "--target-name",
        "v2",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The target's new columns without a default, and nothing else: a
    // person must say where their values come from (the new columns with
    // a default take it).
    let codes = error_codes(&stderr);
    assert_eq!(codes, ["E0310"], "{stderr}");
    assert!(
        stderr.contains("`email_verified_at`, `phone_verified_at`, `last_login_at` of `v2.users`"),
        "{stderr}"
    );
    assert!(stderr.contains("needs 1 decision "), "{stderr}");
    let written = std::fs::read_to_string(&spec).expect("spec written");
    for expected in [
        "source v1: postgres {",
        "target v2: postgres {",
        "map users: v1.users -> v2.users {",
        "check (phone is null or length(phone) >= 10)",
        "check (language in (\"en\", \"es\", \"fr\", \"de\", \"it\", \"pt\", \"ru\", \"ja\", \"ko\", \"zh\"))",
        "#   view verified_users (id, username, email)",
        "#   ON DELETE CASCADE of user_profiles(user_id) → users",
        "#   users.updated_at ON UPDATE CURRENT_TIMESTAMP",
    ] {
        assert!(written.contains(expected), "missing `{expected}` in\n{written}");
    }
    // The scaffold is laid out as `cutover fmt` would.
    let out = cutover(&["fmt", "--check", &spec]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_sqlite_ddl_scaffolds_a_spec_that_checks_clean() {
    let out = cutover(&[
        "import",
        "tests/import/users_sqlite.sql",
        "tests/import/users_sqlite.sql",
        "--source-dialect",
        "sqlite",
        "--target-dialect",
        "sqlite",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let spec = text(&out.stdout);
    assert!(spec.contains("source old: sqlite {"), "{spec}");
    assert!(spec.contains("map user_sessions: old.user_sessions -> new.user_sessions {"));
    assert!(error_codes(&text(&out.stderr)).is_empty());
}

#[test]
fn unreadable_inputs_exit_2_with_where() {
    let scratch = Scratch::new("import-bad");
    let bad = scratch.write(
        "bad.sql",
        "CREATE TABLE t (id int,\n  name varchar(10) NOT NUL);\n",
    );
    let out = cutover(&["import", &bad, &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
    let out = cutover(&["import", "tests/import/nope.json", "tests/import/nope.json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cutover(&[
        "import",
        "tests/import/users_postgres.sql",
        "tests/import/users_postgres.sql",
        "--source-dialect",
        "oracle",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown dialect `oracle`"));
}

/// A SQLite file as the source and a live PostgreSQL schema as the
/// target, each with rows: their counts become `rows ~`.
#[test]
fn live_databases_scaffold_with_row_estimates() {
    let Some(mut db) = pg::database("import_live") else {
        return;
    };
    let scratch = Scratch::new("import-live");
    let sqlite = scratch.path("legacy.sqlite");
    {
        let conn = rusqlite::Connection::open(&sqlite).expect("sqlite");
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, fax TEXT,
                                     CHECK (length(email) > 3));
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234)
             INSERT INTO customers (email) SELECT 'c' || i || '@example.com' FROM n;",
        )
        .expect("sqlite rows");
    }
    db.batch_execute(
        "CREATE SCHEMA crm;
         CREATE TABLE crm.customers (id bigint PRIMARY KEY, email varchar(320) NOT NULL UNIQUE,
                                     CHECK (length(email) > 3));
         INSERT INTO crm.customers SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 500) i;
         ANALYZE crm.customers;",
    )
    .expect("postgres rows");
    let name: String = db
        .query_one("SELECT current_database()", &[])
        .expect("name")
        .get(0);
    let base = pg::connection_string().expect("CUTOVER_PG");
    let live = format!("{base} dbname={name}#crm");
    let out = cutover(&["import", &sqlite.to_string_lossy(), &live]);
    let stderr = text(&out.stderr);
    let spec = text(&out.stdout);
    assert!(spec.contains("source old: sqlite {"), "{spec}\n{stderr}");
    assert!(spec.contains("target new: postgres {"), "{spec}");
    assert!(
        spec.contains("rows ~ 1_234") || spec.contains("rows ~ 1234"),
        "{spec}"
    );
    assert!(spec.contains("rows ~ 500"), "{spec}");
    assert!(spec.contains("check (length(email) > 3)"), "{spec}");
    assert!(spec.contains("drop fax because"), "{spec}");
    // SQLite text into varchar(320) is a decision (E0302-like narrowing),
    // a target with rows is a warning: only decisions may be errors.
    let codes = error_codes(&stderr);
    assert!(
        codes.iter().all(|c| c == "E0302" || c == "E0310"),
        "{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(if codes.is_empty() { 0 } else { 1 }),
        "{stderr}"
    );
}
