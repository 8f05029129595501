//! A fresh PostgreSQL database per test, on the throwaway cluster that
//! `tests/pg.sh` starts (`tests/run.sh` does it for every run).
//!
//! Include it from an integration test with
//!
//! ```ignore
//! #[path = "../../../tests/support/postgres.rs"]
//! mod pg;
//!
//! #[test]
//! fn loads() {
//!     let Some(mut db) = pg::database("loads") else { return };
//!     db.batch_execute("CREATE TABLE t (x int)").expect("create");
//! }
//! ```
//!
//! The server is named by `CUTOVER_PG`, a libpq connection string such as
//! `host=/tmp/cutover-pg.abc123 port=54329 user=cutover dbname=postgres`.
//! Without it, or with a server that does not answer, a test is skipped with a
//! line on stderr, except under `CI=true`, where it fails.

#![allow(dead_code)]

use postgres::{Client, Config, NoTls};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The environment variable holding the connection string.
pub const ENV: &str = "CUTOVER_PG";

const REQUIRED: &str = "PostgreSQL is required when CI=true: run tests through tests/run.sh, \
                        which starts a throwaway cluster (or `eval \"$(tests/pg.sh start)\"` \
                        and set CUTOVER_PG)";

/// The connection string from `CUTOVER_PG`, if set and not empty.
pub fn connection_string() -> Option<String> {
    std::env::var(ENV).ok().filter(|s| !s.trim().is_empty())
}

/// A client connected to a new, empty database of its own for the test
/// `test_name` (any previous database of that name is dropped first), or
/// `None` when there is no server and `CI` is not `true`.
///
/// # Panics
///
/// When there is no server (unset `CUTOVER_PG`, unreachable or unusable
/// server) and `CI=true`.
pub fn database(test_name: &str) -> Option<Client> {
    let conn = match connection_string() {
        Some(conn) => conn,
        None => return unavailable(test_name, &format!("{ENV} is not set")),
    };
    match create(&conn, test_name) {
        Ok(client) => Some(client),
        Err(e) => {
            // The causes too: `error connecting to server: No such file…`.
            let mut why = format!("PostgreSQL at `{conn}`: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                why.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            unavailable(test_name, &why)
        }
    }
}

fn unavailable(test_name: &str, why: &str) -> Option<Client> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{REQUIRED}\n({why})");
    }
    eprintln!(
        "skipping {test_name}: no PostgreSQL ({why}); run tests/run.sh, or \
         `eval \"$(tests/pg.sh start)\"` first"
    );
    None
}

fn create(conn: &str, test_name: &str) -> Result<Client, Box<dyn std::error::Error>> {
    let mut config: Config = conn.parse()?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    let name = database_name(test_name);
    {
        let mut admin = config.connect(NoTls)?;
        let quoted = format!("\"{name}\"");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {quoted}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {quoted}"))?;
    }
    Ok(config.dbname(&name).connect(NoTls)?)
}

/// `cutover_<test name>_<pid>_<n>`: lower-case ASCII letters, digits and `_`,
/// at most 63 bytes (PostgreSQL's identifier limit), unique per process and
/// call.
fn database_name(test_name: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!("_{}_{n}", std::process::id());
    let mut stem: String = test_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    stem.insert_str(0, "cutover_");
    stem.truncate(63 - suffix.len());
    stem + &suffix
}
