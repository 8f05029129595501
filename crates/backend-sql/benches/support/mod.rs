//! What the PostgreSQL load benchmarks share: the legacy customers of
//! `crm_accounts.cutover` generated in the database, psql runs timed,
//! medians, and the size settings.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A whole number from the environment (`_` allowed), or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Runs a script with psql as a person would; how long it took.
pub fn psql(conninfo: &str, file: &Path) -> Duration {
    let started = Instant::now();
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-f"])
        .arg(file)
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

/// Builds `text` (a variant of `crm_accounts.cutover`) for PostgreSQL and
/// writes every script into `dir` as `{prefix}{name}`.
pub fn write_scripts(text: &str, dir: &Path, prefix: &str) {
    let compiled = cutover_check::compile(text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    let ir = compiled.ir.expect("ir");
    let built = cutover_backend_sql::build(
        &ir,
        &cutover_backend_sql::Postgres,
        &cutover_backend_sql::SpecInfo {
            path: "crates/backend-sql/benches/crm_accounts.cutover",
            sha256: "bench",
            text,
        },
    )
    .expect("compiles for PostgreSQL");
    for s in built {
        std::fs::write(dir.join(format!("{prefix}{}", s.name)), s.text).expect("script");
    }
}

/// A libpq connection string for `db`'s database, for psql.
pub fn conninfo(db: &mut postgres::Client) -> String {
    let name: String = db
        .query_one("SELECT current_database()", &[])
        .expect("name")
        .get(0);
    format!(
        "{} dbname={name}",
        crate::pg::connection_string().expect("CUTOVER_PG")
    )
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The legacy rows, generated in the database: deterministic functions of
/// the row number. About 1% of status flags are unknown (quarantined); a
/// tenth of birth dates are missing, a tenth malformed, a tenth impossible,
/// the rest spread over about 20,000 distinct dates, as a real customer
/// base's birth dates are; a third of
/// company names are blank, some are longer than the target's 40
/// characters, and names carry stray whitespace.
pub fn source_sql(rows: u64) -> String {
    format!(
        r#"
CREATE SCHEMA legacy;
CREATE TABLE legacy.customers (
  cust_id int PRIMARY KEY, first_name varchar(50) NOT NULL, last_name varchar(50) NOT NULL,
  company_name varchar(100), email varchar(255), phone varchar(30), dob text,
  status_flag char(1) NOT NULL, created_date timestamp);
CREATE TABLE legacy.status_codes (code char(1) PRIMARY KEY, name varchar(16) NOT NULL);
INSERT INTO legacy.status_codes VALUES ('A', 'Active'), ('I', 'Inactive'), ('P', 'Pending');
INSERT INTO legacy.customers
SELECT i,
       CASE WHEN i % 7 = 0 THEN '  First' || i || ' ' ELSE 'First' || i END,
       'Last' || i || CASE WHEN i % 5 = 0 THEN E'\t' ELSE '' END,
       CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN '   ' ELSE ' Company ' || md5(i::text) || ' ' END,
       ' User' || i || '@Example.COM ',
       CASE WHEN i % 4 = 0 THEN '' ELSE '+1 555 ' || lpad((i % 10000)::text, 4, '0') END,
       CASE i % 10 WHEN 0 THEN NULL WHEN 1 THEN 'n/a' WHEN 2 THEN '02/30/1999'
            ELSE lpad((1 + i * 7 % 12)::text, 2, '0') || '/' || lpad((1 + i * 13 % 28)::text, 2, '0') || '/' || (1940 + i * 17 % 61)::text END,
       CASE WHEN i % 100 = 0 THEN 'X' WHEN i % 3 = 0 THEN 'a' WHEN i % 3 = 1 THEN 'I' ELSE 'P' END,
       timestamp '2015-01-01' + i * interval '1 minute'
  FROM generate_series(1, {rows}) AS i;
ANALYZE legacy.customers;
ANALYZE legacy.status_codes;
"#
    )
}
