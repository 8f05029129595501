//! One PostgreSQL schema read from the system catalogs (`pg_class`,
//! `pg_attribute`, `pg_constraint`, `pg_index`, `pg_trigger`, `pg_proc`).

use crate::text::{column_default, column_type, split_top_level, strip_outer_parens};
use crate::Error;
use cutover_import::{
    constraint_key, Column, ConstraintKey, ForeignKey, Index, Procedure, Schema, Table, View,
};
use postgres::types::{FromSql, ToSql};
use postgres::{Client, IsolationLevel, Row, Transaction};
use std::collections::HashMap;

/// Reads the schema (namespace) `schema` of the database `client` is
/// connected to, in one read-only repeatable-read transaction. Needs
/// PostgreSQL 12 or later.
///
/// - `name` is the database's name (`current_database()`).
/// - Tables are the ordinary and partitioned tables (`relkind` `r`, `p`)
///   but not the partitions of a partitioned table, ordered by name.
///   Columns come in their order, types in their canonical spelling.
///   Identity columns, columns whose default is `nextval(…)` (`serial`)
///   and stored generated columns are `generated` and have no default.
/// - Unique constraints, foreign keys and checks come in creation order
///   (by constraint oid); a check is the text inside `CHECK (…)`. A
///   foreign key to a table of another schema names it `schema.table`.
/// - Indexes are those that back no primary key, unique or exclusion
///   constraint, ordered by name, with their key columns (`INCLUDE`
///   columns left out). The model has no place for an expression or a
///   predicate: indexes on expressions are skipped, a partial index is kept
///   on its columns when it is not unique (it only speeds queries up, as
///   `cutover_import::ddl` reads it too) and skipped when it is, since read
///   as a plain unique index it would claim a uniqueness the table does not
///   have.
/// - `rows_estimate` is `pg_class.reltuples` rounded, or `None` while the
///   table has never been vacuumed or analysed (`-1`; on PostgreSQL
///   before 14 such a table reads as an estimate of 0).
/// - A column's `on_update` is `CURRENT_TIMESTAMP` when an enabled
///   `BEFORE UPDATE … FOR EACH ROW` trigger on its table calls a function
///   named `cutover_set_now` with the column's name as its one argument:
///   the trigger Cutover generates for MySQL's `ON UPDATE
///   CURRENT_TIMESTAMP`. Other triggers are not part of the model and are
///   ignored.
/// - Views (`relkind` `v`; materialized views are not read) come ordered by
///   name, with `pg_get_viewdef` as the definition.
/// - Procedures are the schema's procedures and functions, except trigger
///   functions and those an extension installed, ordered by name: the
///   parameters as `pg_get_function_arguments` writes them (a leading
///   `IN ` removed), the body as its source text.
///
/// Sequences, types, domains, enums, policies, grants and other triggers
/// are not read.
pub fn postgres(client: &mut Client, schema: &str) -> Result<Schema, Error> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| Error::new("a read-only transaction", e))?;
    let result = read(&mut tx, schema)?;
    tx.commit()
        .map_err(|e| Error::new("the end of the read-only transaction", e))?;
    Ok(result)
}

fn read(tx: &mut Transaction<'_>, schema: &str) -> Result<Schema, Error> {
    let quoted = format!("schema \"{schema}\"");
    let what = |part: &str| format!("{part} of {quoted}");

    let rows = query(tx, &quoted, DATABASE, &[&schema])?;
    let row = rows
        .first()
        .ok_or_else(|| Error::new(&quoted, "current_database() returned no row"))?;
    let database: String = get(row, 0, &quoted)?;
    let exists: bool = get(row, 1, &quoted)?;
    if !exists {
        return Err(Error::new(
            quoted,
            format!("database \"{database}\" has no such schema"),
        ));
    }

    let mut columns = columns(tx, schema, &what("columns"))?;
    let mut tables = Vec::new();
    let mut index_of = HashMap::new();
    for row in query(tx, &what("tables"), TABLES, &[&schema])? {
        let what = what("tables");
        let oid: u32 = get(&row, 0, &what)?;
        let name: String = get(&row, 1, &what)?;
        let reltuples: f64 = get(&row, 2, &what)?;
        index_of.insert(oid, tables.len());
        tables.push(Table {
            columns: columns.remove(&oid).unwrap_or_default(),
            // -1: never vacuumed or analysed.
            rows_estimate: (reltuples >= 0.0).then(|| reltuples.round() as u64),
            name,
            ..Table::default()
        });
    }
    let table_of = |oid: u32| index_of.get(&oid).copied();

    let what_constraints = what("constraints");
    for row in query(tx, &what_constraints, CONSTRAINTS, &[&schema])? {
        let w = &what_constraints;
        let Some(at) = table_of(get(&row, 0, w)?) else {
            continue;
        };
        let table = &mut tables[at];
        let kind: String = get(&row, 1, w)?;
        let name: String = get(&row, 2, w)?;
        let keys: Vec<String> = get(&row, 3, w)?;
        // The real names, so that scripts drop what is there.
        let key = match kind.as_str() {
            "p" => Some(constraint_key(ConstraintKey::PrimaryKey)),
            "u" => Some(constraint_key(ConstraintKey::Unique(&keys))),
            "f" => Some(constraint_key(ConstraintKey::ForeignKey(&keys))),
            "c" => Some(constraint_key(ConstraintKey::Check(check_body(&get::<
                String,
            >(
                &row, 8, w,
            )?)))),
            _ => None,
        };
        if let Some(key) = key {
            table.constraint_names.insert(key, name.clone());
        }
        match kind.as_str() {
            "p" => table.primary_key = keys,
            "u" => table.unique.push(keys),
            "f" => {
                let ref_table: Option<String> = get(&row, 4, w)?;
                let ref_schema: Option<String> = get(&row, 5, w)?;
                let ref_columns: Vec<String> = get(&row, 6, w)?;
                let action: String = get(&row, 7, w)?;
                let ref_table = ref_table.ok_or_else(|| {
                    Error::new(
                        format!("foreign key \"{name}\" of table \"{}\"", table.name),
                        "the referenced table is missing",
                    )
                })?;
                table.foreign_keys.push(ForeignKey {
                    columns: keys,
                    table: match ref_schema {
                        Some(s) if s != schema => format!("{s}.{ref_table}"),
                        _ => ref_table,
                    },
                    ref_columns,
                    on_delete: on_delete(&action),
                });
            }
            "c" => {
                let definition: String = get(&row, 8, w)?;
                table.checks.push(check_body(&definition).to_owned());
            }
            _ => {}
        }
    }

    let what_indexes = what("indexes");
    for row in query(tx, &what_indexes, INDEXES, &[&schema])? {
        let w = &what_indexes;
        let Some(at) = table_of(get(&row, 0, w)?) else {
            continue;
        };
        tables[at].indexes.push(Index {
            name: get(&row, 1, w)?,
            unique: get(&row, 2, w)?,
            columns: get(&row, 3, w)?,
        });
    }

    let what_triggers = what("triggers");
    for row in query(tx, &what_triggers, ON_UPDATE_TRIGGERS, &[&schema])? {
        let w = &what_triggers;
        let Some(at) = table_of(get(&row, 0, w)?) else {
            continue;
        };
        let args: Vec<u8> = get(&row, 1, w)?;
        // `tgargs`: each argument followed by a NUL byte.
        let column = String::from_utf8_lossy(args.split(|&b| b == 0).next().unwrap_or(&[]));
        if let Some(c) = tables[at].columns.iter_mut().find(|c| c.name == column) {
            c.on_update = Some("CURRENT_TIMESTAMP".to_owned());
        }
    }

    let mut views = Vec::new();
    let what_views = what("views");
    for row in query(tx, &what_views, VIEWS, &[&schema])? {
        let w = &what_views;
        let oid: u32 = get(&row, 0, w)?;
        let definition: String = get(&row, 2, w)?;
        let definition = definition.trim();
        views.push(View {
            name: get(&row, 1, w)?,
            definition: definition
                .strip_suffix(';')
                .unwrap_or(definition)
                .trim_end()
                .to_owned(),
            columns: columns
                .remove(&oid)
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.name)
                .collect(),
        });
    }

    let what_procedures = what("procedures");
    let rows = query(tx, &what_procedures, SERVER_VERSION, &[])?;
    let version: i32 = match rows.first() {
        Some(row) => get(row, 0, &what_procedures)?,
        None => 0,
    };
    let procedures_sql = if version >= 140000 {
        PROCEDURES
    } else {
        PROCEDURES_BEFORE_14
    };
    let mut procedures = Vec::new();
    for row in query(tx, &what_procedures, procedures_sql, &[&schema])? {
        let w = &what_procedures;
        let arguments: String = get(&row, 1, w)?;
        let body: String = get(&row, 2, w)?;
        procedures.push(Procedure {
            name: get(&row, 0, w)?,
            parameters: split_top_level(&arguments)
                .into_iter()
                .map(|p| match p.strip_prefix("IN ") {
                    Some(rest) => rest.trim_start().to_owned(),
                    None => p,
                })
                .collect(),
            definition: body.trim().to_owned(),
        });
    }

    Ok(Schema {
        name: Some(database),
        tables,
        views,
        procedures,
    })
}

/// The columns of every table and view of the schema, by relation oid, in
/// column order.
fn columns(
    tx: &mut Transaction<'_>,
    schema: &str,
    what: &str,
) -> Result<HashMap<u32, Vec<Column>>, Error> {
    let mut columns: HashMap<u32, Vec<Column>> = HashMap::new();
    for row in query(tx, what, COLUMNS, &[&schema])? {
        let relation: u32 = get(&row, 0, what)?;
        let name: String = get(&row, 1, what)?;
        let ty: String = get(&row, 2, what)?;
        let not_null: bool = get(&row, 3, what)?;
        let default: Option<String> = get(&row, 4, what)?;
        let identity: String = get(&row, 5, what)?;
        let generated_as: String = get(&row, 6, what)?;
        let serial = default
            .as_deref()
            .is_some_and(|d| d.trim_start().starts_with("nextval("));
        let generated = !identity.is_empty() || !generated_as.is_empty() || serial;
        let ty = column_type(&ty);
        columns.entry(relation).or_default().push(Column {
            name,
            nullable: !not_null,
            default: match default {
                Some(d) if !generated => Some(column_default(&ty, &d)),
                _ => None,
            },
            ty,
            generated,
            on_update: None,
            comment: get(&row, 7, what)?,
        });
    }
    Ok(columns)
}

/// `confdeltype` as the words of `ON DELETE`; `NO ACTION` (the default)
/// is none.
fn on_delete(action: &str) -> Option<String> {
    let words = match action {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        "r" => "RESTRICT",
        _ => return None,
    };
    Some(words.to_owned())
}

/// `CHECK ((price >= 0)) NOT VALID` → `(price >= 0)`.
fn check_body(definition: &str) -> &str {
    let mut body = definition.trim();
    body = body.strip_prefix("CHECK ").unwrap_or(body);
    for suffix in [" NOT VALID", " NO INHERIT"] {
        body = body.strip_suffix(suffix).unwrap_or(body).trim_end();
    }
    strip_outer_parens(body)
}

fn query(
    tx: &mut Transaction<'_>,
    what: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, Error> {
    tx.query(sql, params).map_err(|e| Error::new(what, e))
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, column: usize, what: &str) -> Result<T, Error> {
    row.try_get(column).map_err(|e| Error::new(what, e))
}

const DATABASE: &str = "
SELECT current_database()::text,
       EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)";

const SERVER_VERSION: &str = "SELECT current_setting('server_version_num')::int4";

const TABLES: &str = "
SELECT c.oid, c.relname::text, c.reltuples::float8
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname";

const COLUMNS: &str = "
SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       col_description(a.attrelid, a.attnum)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum";

/// Primary keys, unique constraints, foreign keys and checks, with their
/// columns in key order, in creation order.
const CONSTRAINTS: &str = "
SELECT con.conrelid, con.contype::text, con.conname::text,
       ARRAY(SELECT a.attname::text
             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.n),
       fc.relname::text, fn.nspname::text,
       ARRAY(SELECT a.attname::text
             FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.n),
       con.confdeltype::text,
       pg_get_constraintdef(con.oid)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY con.conrelid, con.oid";

/// Indexes backing no constraint, on columns only, and not both partial
/// and unique.
const INDEXES: &str = "
SELECT i.indrelid, ic.relname::text, i.indisunique,
       ARRAY(SELECT a.attname::text
             FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.n <= i.indnkeyatts
             ORDER BY k.n)
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1
  AND i.indexprs IS NULL AND (i.indpred IS NULL OR NOT i.indisunique)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname";

/// Cutover's `ON UPDATE CURRENT_TIMESTAMP` triggers: enabled, row-level,
/// `BEFORE UPDATE` (tgtype bits 1, 2 and 16), calling `cutover_set_now`
/// with one argument.
const ON_UPDATE_TRIGGERS: &str = "
SELECT t.tgrelid, t.tgargs
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT t.tgisinternal AND t.tgenabled <> 'D'
  AND p.proname = 'cutover_set_now' AND t.tgnargs = 1
  AND (t.tgtype::int4 & 19) = 19
ORDER BY t.tgrelid, t.tgname";

const VIEWS: &str = "
SELECT c.oid, c.relname::text, pg_get_viewdef(c.oid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'v'
ORDER BY c.relname";

/// Functions and procedures, trigger functions and extensions' own left
/// out; a SQL-standard body (`BEGIN ATOMIC`, PostgreSQL 14) has no
/// `prosrc`.
const PROCEDURES: &str = "
SELECT p.proname::text, pg_get_function_arguments(p.oid),
       COALESCE(NULLIF(p.prosrc, ''), pg_get_function_sqlbody(p.oid), '')
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND p.prokind IN ('p', 'f') AND p.prorettype <> 'trigger'::regtype
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY p.proname, p.oid";

const PROCEDURES_BEFORE_14: &str = "
SELECT p.proname::text, pg_get_function_arguments(p.oid), p.prosrc
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND p.prokind IN ('p', 'f') AND p.prorettype <> 'trigger'::regtype
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY p.proname, p.oid";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_definitions_lose_check_and_one_pair_of_parentheses() {
        assert_eq!(
            check_body("CHECK ((price >= (0)::numeric))"),
            "(price >= (0)::numeric)"
        );
        assert_eq!(check_body("CHECK (qty > 0)"), "qty > 0");
        assert_eq!(check_body("CHECK ((a > 0)) NOT VALID"), "(a > 0)");
    }

    #[test]
    fn delete_actions_are_words() {
        assert_eq!(on_delete("a"), None);
        assert_eq!(on_delete("c").as_deref(), Some("CASCADE"));
        assert_eq!(on_delete("n").as_deref(), Some("SET NULL"));
        assert_eq!(on_delete("d").as_deref(), Some("SET DEFAULT"));
        assert_eq!(on_delete("r").as_deref(), Some("RESTRICT"));
    }
}
