//! Catalog readers: the IO that `cutover-import` must not do. Each reader
//! queries a live database's catalog and returns the same model the text
//! readers produce, [`cutover_import::Schema`], so a schema read from a
//! database compares equal to the one read from its JSON or DDL.
//!
//! | reader | source | module |
//! |---|---|---|
//! | [`postgres()`] | one schema (namespace) of a PostgreSQL database | `postgres_catalog` |
//! | [`sqlite()`] | the main database of a SQLite connection | `sqlite_catalog` |
//!
//! Both readers only read; neither changes the database. Types are read
//! into [`cutover_import::ColumnType::canonical`] spellings and defaults
//! by [`cutover_import::Default::from_sql`], except that a quoted number on
//! a numeric column (`'-1'::integer`, PostgreSQL's spelling of a negative
//! constant) is the number it is, not text.

mod postgres_catalog;
mod sqlite_catalog;
mod text;

pub use postgres_catalog::postgres;
pub use sqlite_catalog::sqlite;

/// Why a catalog could not be read: what was being read (a query, a
/// table) and the database's own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What was being read: `columns of schema "public"`, `table "users"`.
    pub what: String,
    /// Why it failed, as the database or the reader says it.
    pub message: String,
}

impl Error {
    fn new(what: impl Into<String>, message: impl std::fmt::Display) -> Error {
        Error {
            what: what.into(),
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "reading {}: {}", self.what, self.message)
    }
}

impl std::error::Error for Error {}
