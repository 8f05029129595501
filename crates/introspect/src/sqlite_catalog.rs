//! The main database of a SQLite connection read from `sqlite_schema` and
//! the table-valued pragmas (`pragma_table_xinfo`, `pragma_index_list`, …).

use crate::text::{column_default, column_type, quote_ident, view_query};
use crate::Error;
use cutover_import::{ddl, Column, ForeignKey, Index, Schema, Table, View};
use rusqlite::{Connection, OptionalExtension};

/// Reads the main database of `conn`, inside a savepoint so that every
/// query sees the same state. Needs SQLite 3.37 or later (`pragma
/// table_list`).
///
/// - `name` is `None`: a SQLite file has no database name.
/// - Tables are the ordinary tables of `sqlite_schema`, ordered by name;
///   SQLite's own (`sqlite_%`), virtual tables and their shadow tables are
///   left out. Declared types are read into their canonical spelling (a
///   column declared without a type has the empty name).
/// - A column is not nullable when declared `NOT NULL`, when it is the
///   rowid alias, or when it is in the primary key of a `WITHOUT ROWID`
///   table. SQLite lets NULL into the other primary key columns, and so
///   does the model.
/// - `INTEGER PRIMARY KEY` on a rowid table makes the column an alias of
///   the rowid, which SQLite fills whenever an insert leaves it out (with
///   `AUTOINCREMENT` never reusing a number): such a column is `generated`,
///   with or without `AUTOINCREMENT`, like `serial` in PostgreSQL. So are
///   generated columns (`GENERATED ALWAYS AS`), which have no default.
/// - Foreign keys come in declaration order; `ON DELETE NO ACTION` (the
///   default) is none, and a reference to a parent's primary key without
///   column names gets the parent's key columns.
/// - Checks come from the table's `CREATE TABLE` text, read by
///   [`cutover_import::ddl::read`] (no pragma lists them), as that reader
///   writes them; text it cannot read is an error naming the table.
/// - Unique constraints (indexes of origin `u`) come in declaration order;
///   indexes are the `CREATE INDEX` ones (origin `c`), ordered by name.
///   The model has no place for an expression or a predicate: indexes on
///   expressions are skipped, a partial index is kept on its columns when
///   it is not unique (as `cutover_import::ddl` reads it) and skipped when
///   it is, since it would claim a uniqueness the table does not have.
/// - `rows_estimate` is the row count `ANALYZE` stored in `sqlite_stat1`
///   when the table has a row there; otherwise SQLite keeps no estimate and
///   the table is counted exactly (`SELECT count(*)`), which reads the
///   whole table.
/// - Views come ordered by name, the definition being the statement's text
///   after `AS`.
/// - There are no procedures. Triggers are not read.
pub fn sqlite(conn: &Connection) -> Result<Schema, Error> {
    const SAVEPOINT: &str = "cutover_introspect";
    conn.execute_batch(&format!("SAVEPOINT {SAVEPOINT}"))
        .map_err(|e| Error::new("a savepoint", e))?;
    let result = read(conn);
    // Nothing was written: releasing ends the read either way.
    let released = conn.execute_batch(&format!("RELEASE {SAVEPOINT}"));
    let schema = result?;
    released.map_err(|e| Error::new("the release of the savepoint", e))?;
    Ok(schema)
}

fn read(conn: &Connection) -> Result<Schema, Error> {
    let has_stat1 = conn
        .query_row(
            "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map_err(|e| Error::new("sqlite_schema", e))?
        .is_some();

    let mut tables = Vec::new();
    for (name, sql, without_rowid) in table_list(conn)? {
        let what = format!("table {}", quote_ident(&name));
        let mut table = table(conn, &name, without_rowid, &what)?;
        table.checks = checks(&sql, &what)?;
        table.rows_estimate = Some(rows(conn, &name, has_stat1, &what)?);
        tables.push(table);
    }

    let mut views = Vec::new();
    for (name, sql) in view_list(conn)? {
        let what = format!("view {}", quote_ident(&name));
        let definition = view_query(&sql)
            .ok_or_else(|| Error::new(&what, "its statement has no `AS`"))?
            .to_owned();
        let columns = strings(
            conn,
            "SELECT name FROM pragma_table_info(?1, 'main') ORDER BY cid",
            &name,
            &what,
        )?;
        views.push(View {
            name,
            definition,
            columns,
        });
    }

    Ok(Schema {
        name: None,
        tables,
        views,
        procedures: Vec::new(),
    })
}

/// The ordinary tables: name, `CREATE TABLE` text and whether the table is
/// `WITHOUT ROWID`.
fn table_list(conn: &Connection) -> Result<Vec<(String, String, bool)>, Error> {
    let what = "the tables of sqlite_schema";
    let mut stmt = conn
        .prepare(
            "SELECT s.name, coalesce(s.sql, ''), l.wr
             FROM main.sqlite_schema s
             JOIN pragma_table_list l ON l.schema = 'main' AND l.name = s.name
             WHERE s.type = 'table' AND l.type = 'table'
               AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
             ORDER BY s.name",
        )
        .map_err(|e| Error::new(what, e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(|e| Error::new(what, e))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| Error::new(what, e))
}

fn view_list(conn: &Connection) -> Result<Vec<(String, String)>, Error> {
    let what = "the views of sqlite_schema";
    let mut stmt = conn
        .prepare(
            "SELECT name, coalesce(sql, '') FROM main.sqlite_schema
             WHERE type = 'view' ORDER BY name",
        )
        .map_err(|e| Error::new(what, e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| Error::new(what, e))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| Error::new(what, e))
}

/// A pragma column as read, before the table's keys are known.
struct RawColumn {
    name: String,
    ty: String,
    not_null: bool,
    default: Option<String>,
    /// Position in the primary key, from 1; 0 when not in it.
    pk: i64,
    /// 0 plain, 1 hidden (virtual tables), 2 and 3 generated.
    hidden: i64,
}

/// An index of `pragma_index_list`.
struct RawIndex {
    name: String,
    unique: bool,
    origin: String,
    partial: bool,
}

fn table(conn: &Connection, name: &str, without_rowid: bool, what: &str) -> Result<Table, Error> {
    let raw = {
        let mut stmt = conn
            .prepare(
                "SELECT name, type, \"notnull\", dflt_value, pk, hidden
                 FROM pragma_table_xinfo(?1, 'main') ORDER BY cid",
            )
            .map_err(|e| Error::new(format!("the columns of {what}"), e))?;
        let rows = stmt
            .query_map([name], |r| {
                Ok(RawColumn {
                    name: r.get(0)?,
                    ty: r.get(1)?,
                    not_null: r.get(2)?,
                    default: r.get(3)?,
                    pk: r.get(4)?,
                    hidden: r.get(5)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| Error::new(format!("the columns of {what}"), e))?;
        rows.into_iter()
            .filter(|c| c.hidden != 1)
            .collect::<Vec<_>>()
    };
    let indexes = index_list(conn, name, what)?;

    let mut key: Vec<&RawColumn> = raw.iter().filter(|c| c.pk > 0).collect();
    key.sort_by_key(|c| c.pk);
    // `INTEGER PRIMARY KEY` aliases the rowid unless the table has none or
    // the key got an index of its own (`INTEGER PRIMARY KEY DESC`).
    let rowid_alias = match key.as_slice() {
        [only]
            if !without_rowid
                && only.ty.eq_ignore_ascii_case("integer")
                && !indexes.iter().any(|i| i.origin == "pk") =>
        {
            Some(only.name.clone())
        }
        _ => None,
    };

    let columns = raw
        .iter()
        .map(|c| {
            let is_alias = rowid_alias.as_deref() == Some(c.name.as_str());
            let generated = is_alias || c.hidden >= 2;
            let ty = column_type(&c.ty);
            Column {
                name: c.name.clone(),
                nullable: !(c.not_null || is_alias || (without_rowid && c.pk > 0)),
                default: match &c.default {
                    Some(d) if !generated => Some(column_default(&ty, d)),
                    _ => None,
                },
                ty,
                generated,
                on_update: None,
                comment: None,
            }
        })
        .collect();

    let mut unique = Vec::new();
    let mut plain = Vec::new();
    for index in indexes {
        if (index.partial && index.unique) || !matches!(index.origin.as_str(), "u" | "c") {
            continue;
        }
        // Expression columns have no name: such an index is skipped.
        let Some(columns) = index_columns(conn, &index.name, what)? else {
            continue;
        };
        if index.origin == "u" {
            unique.push(columns);
        } else {
            plain.push(Index {
                name: index.name,
                columns,
                unique: index.unique,
            });
        }
    }
    plain.sort_by(|a, b| a.name.cmp(&b.name));

    Ok(Table {
        name: name.to_owned(),
        columns,
        primary_key: key.iter().map(|c| c.name.clone()).collect(),
        unique,
        foreign_keys: foreign_keys(conn, name, what)?,
        checks: Vec::new(),
        indexes: plain,
        rows_estimate: None,
        // The scripts `compat` writes are PostgreSQL's: SQLite's names are
        // not needed.
        constraint_names: Default::default(),
    })
}

/// The table's indexes in creation order (`pragma_index_list` lists the
/// newest first).
fn index_list(conn: &Connection, table: &str, what: &str) -> Result<Vec<RawIndex>, Error> {
    let what = format!("the indexes of {what}");
    let mut stmt = conn
        .prepare(
            "SELECT name, \"unique\", origin, partial
             FROM pragma_index_list(?1, 'main') ORDER BY seq DESC",
        )
        .map_err(|e| Error::new(&what, e))?;
    let rows = stmt
        .query_map([table], |r| {
            Ok(RawIndex {
                name: r.get(0)?,
                unique: r.get(1)?,
                origin: r.get(2)?,
                partial: r.get(3)?,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::new(&what, e))?;
    Ok(rows)
}

/// The key columns of an index in order, or `None` when one is an
/// expression.
fn index_columns(conn: &Connection, index: &str, what: &str) -> Result<Option<Vec<String>>, Error> {
    let what = format!("index {} of {what}", quote_ident(index));
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_index_info(?1, 'main') ORDER BY seqno")
        .map_err(|e| Error::new(&what, e))?;
    let names = stmt
        .query_map([index], |r| r.get::<_, Option<String>>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::new(&what, e))?;
    Ok(names.into_iter().collect())
}

fn foreign_keys(conn: &Connection, table: &str, what: &str) -> Result<Vec<ForeignKey>, Error> {
    let what = format!("the foreign keys of {what}");
    let mut stmt = conn
        .prepare(
            "SELECT id, \"table\", \"from\", \"to\", on_delete
             FROM pragma_foreign_key_list(?1, 'main') ORDER BY id DESC, seq",
        )
        .map_err(|e| Error::new(&what, e))?;
    let rows = stmt
        .query_map([table], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::new(&what, e))?;

    // Ids count from the last declared key: descending is declaration order.
    let mut keys: Vec<(i64, ForeignKey, bool)> = Vec::new();
    for (id, parent, from, to, action) in rows {
        if keys.last().is_none_or(|(last, _, _)| *last != id) {
            keys.push((
                id,
                ForeignKey {
                    columns: Vec::new(),
                    table: parent,
                    ref_columns: Vec::new(),
                    on_delete: (!action.eq_ignore_ascii_case("NO ACTION")).then_some(action),
                },
                false,
            ));
        }
        if let Some((_, key, implicit)) = keys.last_mut() {
            key.columns.push(from);
            match to {
                Some(to) => key.ref_columns.push(to),
                None => *implicit = true,
            }
        }
    }
    let mut out = Vec::new();
    for (_, mut key, implicit) in keys {
        if implicit {
            // `REFERENCES parent` alone: the parent's primary key.
            key.ref_columns = strings(
                conn,
                "SELECT name FROM pragma_table_info(?1, 'main') WHERE pk > 0 ORDER BY pk",
                &key.table,
                &what,
            )?;
        }
        out.push(key);
    }
    Ok(out)
}

/// The CHECK constraints of a table, which no pragma lists: read from its
/// `CREATE TABLE` text by the DDL reader, when the text has a `CHECK`.
fn checks(sql: &str, what: &str) -> Result<Vec<String>, Error> {
    if !sql.to_ascii_lowercase().contains("check") {
        return Ok(Vec::new());
    }
    let schema = ddl::read(sql, ddl::Dialect::Sqlite)
        .map_err(|e| Error::new(format!("the CHECK constraints of {what}"), e))?;
    Ok(schema
        .tables
        .into_iter()
        .next()
        .map(|t| t.checks)
        .unwrap_or_default())
}

/// The stored estimate of `sqlite_stat1` (the first number of `stat`), or
/// an exact count.
fn rows(conn: &Connection, table: &str, has_stat1: bool, what: &str) -> Result<u64, Error> {
    if has_stat1 {
        let stat: Option<String> = conn
            .query_row(
                "SELECT stat FROM main.sqlite_stat1 WHERE tbl = ?1
                 ORDER BY idx IS NOT NULL, idx LIMIT 1",
                [table],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| Error::new(format!("the sqlite_stat1 row of {what}"), e))?;
        let first = stat.and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
        if let Some(n) = first {
            return Ok(n);
        }
    }
    let count: i64 = conn
        .query_row(
            &format!("SELECT count(*) FROM main.{}", quote_ident(table)),
            [],
            |r| r.get(0),
        )
        .map_err(|e| Error::new(format!("the row count of {what}"), e))?;
    u64::try_from(count).map_err(|e| Error::new(format!("the row count of {what}"), e))
}

/// The one text column of `sql` run with `arg`, row by row.
fn strings(conn: &Connection, sql: &str, arg: &str, what: &str) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare(sql).map_err(|e| Error::new(what, e))?;
    let rows = stmt
        .query_map([arg], |r| r.get(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::new(what, e))?;
    Ok(rows)
}
