//! What differs between SQL dialects, behind one trait with defaults: a
//! dialect overrides only what it does differently.

use cutover_ir::TypeKind;

/// A SQL dialect Cutover generates for.
pub trait Dialect {
    /// `postgres`, `sqlite`: the folder name under `sql/`.
    fn name(&self) -> &'static str;

    /// A quoted identifier: always quoted, so reserved words, spaces,
    /// capitals and non-ASCII names are safe; a `"` is doubled.
    fn ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// `"system"."table"`: every table lives in the namespace named after
    /// its system (a schema, or an attached database).
    fn table(&self, system: &str, table: &str) -> String {
        format!("{}.{}", self.ident(system), self.ident(table))
    }

    /// A table of Cutover's own (quarantine, batches).
    fn meta_table(&self, name: &str) -> String {
        self.table("cutover", name)
    }

    /// A string literal: `'…'` with `'` doubled; nothing else is special
    /// (PostgreSQL with `standard_conforming_strings`, SQLite).
    fn text(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// The column type for a Cutover type.
    fn column_type(&self, ty: TypeKind) -> String;

    /// Extra CHECK constraints the column type needs in this dialect (a
    /// length limit SQLite does not enforce by itself).
    fn type_checks(&self, _column: &str, _ty: TypeKind) -> Vec<String> {
        Vec::new()
    }

    /// The table a `REFERENCES` clause names (SQLite allows only a table
    /// of the same database, unqualified).
    fn references(&self, system: &str, table: &str) -> String {
        self.table(system, table)
    }

    /// `CREATE INDEX` on columns of a table.
    fn create_index(&self, system: &str, table: &str, name: &str, columns: &[String]) -> String {
        format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} ({});",
            self.ident(name),
            self.table(system, table),
            columns.join(", ")
        )
    }

    /// Whether DDL can run inside a transaction.
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// Words after a `CREATE TABLE (…)` body.
    fn table_options(&self) -> &'static str {
        ""
    }

    /// The statement that makes a namespace, if the dialect has them as
    /// DDL (SQLite attaches databases instead).
    fn create_namespace(&self, name: &str) -> Option<String> {
        Some(format!("CREATE SCHEMA IF NOT EXISTS {};", self.ident(name)))
    }

    /// Type of an auto-numbered key column.
    fn serial_key(&self) -> &'static str;

    /// Type for a timestamp Cutover records (batch start, quarantine time).
    fn instant_type(&self) -> &'static str;

    /// The current instant, as an expression of `instant_type`.
    fn now(&self) -> &'static str;
}

/// PostgreSQL 12 or later.
pub struct Postgres;

/// SQLite 3.37 or later (STRICT tables).
pub struct Sqlite;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn column_type(&self, ty: TypeKind) -> String {
        use TypeKind::*;
        match ty {
            SmallInt => "smallint".into(),
            Int => "integer".into(),
            BigInt => "bigint".into(),
            Decimal { precision, scale } => format!("numeric({precision}, {scale})"),
            Float => "double precision".into(),
            Bool => "boolean".into(),
            Text | Null | Error => "text".into(),
            // char(n) is never padded (docs/functions.md): PostgreSQL's
            // character(n) pads, so it is stored as varchar(n).
            Varchar(n) | Char(n) => format!("varchar({n})"),
            Date => "date".into(),
            Time => "time".into(),
            Timestamp => "timestamp".into(),
            Timestamptz => "timestamptz".into(),
            Uuid => "uuid".into(),
            // The canonical text is stored as written; jsonb would reorder.
            Json => "json".into(),
            Bytes => "bytea".into(),
        }
    }

    fn serial_key(&self) -> &'static str {
        "bigint GENERATED ALWAYS AS IDENTITY"
    }

    fn instant_type(&self) -> &'static str {
        "timestamptz"
    }

    fn now(&self) -> &'static str {
        "now()"
    }
}

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    /// Cutover's own tables sit in the main database, prefixed.
    fn meta_table(&self, name: &str) -> String {
        self.table("main", &format!("cutover_{name}"))
    }

    /// STRICT column types. Exact decimals, dates, times and UUIDs are
    /// TEXT in their canonical text form (docs/functions.md), so they
    /// compare and round-trip exactly.
    fn column_type(&self, ty: TypeKind) -> String {
        use TypeKind::*;
        match ty {
            SmallInt | Int | BigInt | Bool => "INTEGER".into(),
            Float => "REAL".into(),
            Bytes => "BLOB".into(),
            _ => "TEXT".into(),
        }
    }

    fn type_checks(&self, column: &str, ty: TypeKind) -> Vec<String> {
        use TypeKind::*;
        let c = self.ident(column);
        match ty {
            Varchar(n) | Char(n) => vec![format!("length({c}) <= {n}")],
            SmallInt => vec![format!("{c} BETWEEN -32768 AND 32767")],
            Int => vec![format!("{c} BETWEEN -2147483648 AND 2147483647")],
            Bool => vec![format!("{c} IN (0, 1)")],
            Uuid => vec![format!("length({c}) = 36")],
            Date => vec![format!(
                "{c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'"
            )],
            _ => Vec::new(),
        }
    }

    fn table_options(&self) -> &'static str {
        " STRICT"
    }

    fn references(&self, _system: &str, table: &str) -> String {
        self.ident(table)
    }

    fn create_index(&self, system: &str, table: &str, name: &str, columns: &[String]) -> String {
        format!(
            "CREATE INDEX IF NOT EXISTS {}.{} ON {} ({});",
            self.ident(system),
            self.ident(name),
            self.ident(table),
            columns.join(", ")
        )
    }

    fn create_namespace(&self, _name: &str) -> Option<String> {
        None
    }

    fn serial_key(&self) -> &'static str {
        "INTEGER"
    }

    fn instant_type(&self) -> &'static str {
        "TEXT"
    }

    fn now(&self) -> &'static str {
        "strftime('%Y-%m-%d %H:%M:%f+00', 'now')"
    }
}

/// The dialect of a name, as written on the command line.
pub fn by_name(name: &str) -> Option<Box<dyn Dialect>> {
    match name {
        "postgres" => Some(Box::new(Postgres)),
        "sqlite" => Some(Box::new(Sqlite)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_quoted() {
        let d = Postgres;
        assert_eq!(d.ident("select"), "\"select\"");
        assert_eq!(d.ident("a\"b c"), "\"a\"\"b c\"");
        assert_eq!(d.text("O'Brien"), "'O''Brien'");
        assert_eq!(
            Sqlite.meta_table("quarantine"),
            "\"main\".\"cutover_quarantine\""
        );
    }
}
