//! The schema forms `cutover import` and `cutover compat` accept, told
//! apart by their look:
//!
//! - `postgres://…` or `postgresql://…` (a URL), or a libpq key=value string
//!   (`host=… dbname=…`): a live PostgreSQL database, read from its catalog.
//!   `#name` at the end picks the schema (default `public`).
//! - `*.json`: the JSON schema format of the seeds.
//! - `*.sql` / `*.ddl`: a DDL script, in the dialect given (default
//!   PostgreSQL).
//! - any other existing file: a SQLite database, read from its catalog.

use cutover_import::{ddl, json, Schema};
use std::path::Path;

/// Where a schema comes from, and the spec dialect it implies.
pub struct Loaded {
    pub schema: Schema,
    /// `postgres` or `sqlite`.
    pub dialect: &'static str,
}

/// Reads the schema named by `arg`. `dialect` is the spec dialect asked for
/// (`postgres`, `sqlite`); it also picks the DDL parser.
pub fn load(arg: &str, dialect: Option<&str>) -> Result<Loaded, String> {
    if is_postgres(arg) {
        let (conn, schema) = match arg.rsplit_once('#') {
            Some((conn, schema)) if !schema.is_empty() => (conn, schema),
            _ => (arg, "public"),
        };
        let mut client = postgres::Client::connect(conn, postgres::NoTls)
            .map_err(|e| format!("cannot connect to PostgreSQL at `{conn}`: {}", chain(&e)))?;
        let schema = cutover_introspect::postgres(&mut client, schema)
            .map_err(|e| format!("reading schema `{schema}` from `{conn}`: {e}"))?;
        return Ok(Loaded {
            schema,
            dialect: dialect_name(dialect, "postgres")?,
        });
    }
    let path = Path::new(arg);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("json") => {
            let text = read(path)?;
            let schema = json::read(&text).map_err(|e| format!("{arg}: {e}"))?;
            Ok(Loaded {
                schema,
                dialect: dialect_name(dialect, "postgres")?,
            })
        }
        Some("sql" | "ddl") => {
            let text = read(path)?;
            let dialect = dialect_name(dialect, "postgres")?;
            let parser = if dialect == "sqlite" {
                ddl::Dialect::Sqlite
            } else {
                ddl::Dialect::Postgres
            };
            let schema = ddl::read(&text, parser).map_err(|e| format!("{arg}: {e}"))?;
            Ok(Loaded { schema, dialect })
        }
        _ => {
            if !path.is_file() {
                return Err(format!(
                    "`{arg}` is not a file, a PostgreSQL URL (postgres://…) or a connection string"
                ));
            }
            let conn = rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .map_err(|e| format!("cannot open `{arg}` as SQLite: {e}"))?;
            let schema = cutover_introspect::sqlite(&conn)
                .map_err(|e| format!("reading the SQLite database `{arg}`: {e}"))?;
            Ok(Loaded {
                schema,
                dialect: dialect_name(dialect, "sqlite")?,
            })
        }
    }
}

fn is_postgres(arg: &str) -> bool {
    arg.starts_with("postgres://")
        || arg.starts_with("postgresql://")
        || (!Path::new(arg).exists()
            && ["host=", "dbname=", "user=", "port="]
                .iter()
                .any(|k| arg.contains(k)))
}

fn dialect_name(asked: Option<&str>, implied: &'static str) -> Result<&'static str, String> {
    match asked {
        None => Ok(implied),
        Some("postgres") => Ok("postgres"),
        Some("sqlite") => Ok("sqlite"),
        Some(other) => Err(format!(
            "unknown dialect `{other}`: Cutover's dialects are postgres and sqlite"
        )),
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// An error with its causes: `error connecting to server: No such file…`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    out
}
