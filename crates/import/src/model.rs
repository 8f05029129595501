//! The schema model every reader produces: what a catalog says about
//! tables, columns and constraints, with SQL fragments (defaults, checks,
//! view bodies) kept as the text the database holds.

use serde::Serialize;

/// A database schema.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Schema {
    /// The database's name, when the source gives one.
    pub name: Option<String>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub procedures: Vec<Procedure>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}

/// A table and its constraints.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Unique column sets, single columns included.
    pub unique: Vec<Vec<String>>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Check constraints as SQL text.
    pub checks: Vec<String>,
    pub indexes: Vec<Index>,
    /// The catalog's row estimate, when it has one.
    pub rows_estimate: Option<u64>,
    /// The names the database gave its constraints, by [`constraint_key`]
    /// (readers of a live catalog fill it), so that scripts drop a
    /// constraint by its real name. Not part of what the schema means:
    /// schemas compare equal whatever their constraints are called.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub constraint_names: std::collections::BTreeMap<String, String>,
}

/// What a constraint is, independent of its name: `primary key`,
/// `unique (a, b)`, `foreign key (a)`, `check (<canonical text>)`.
pub enum ConstraintKey<'a> {
    PrimaryKey,
    Unique(&'a [String]),
    ForeignKey(&'a [String]),
    Check(&'a str),
}

/// The key of [`Table::constraint_names`].
pub fn constraint_key(key: ConstraintKey<'_>) -> String {
    match key {
        ConstraintKey::PrimaryKey => "primary key".to_owned(),
        ConstraintKey::Unique(columns) => format!("unique ({})", columns.join(", ")),
        ConstraintKey::ForeignKey(columns) => format!("foreign key ({})", columns.join(", ")),
        ConstraintKey::Check(sql) => format!("check ({})", crate::sqltext::canonical_expr(sql)),
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The database's name for a constraint, when a reader recorded it.
    pub fn constraint_name(&self, key: ConstraintKey<'_>) -> Option<&str> {
        self.constraint_names
            .get(&constraint_key(key))
            .map(String::as_str)
    }
}

/// A column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
    pub default: Option<Default>,
    /// Filled by the database (auto_increment, serial, identity).
    pub generated: bool,
    /// MySQL's `ON UPDATE CURRENT_TIMESTAMP`: the SQL value the column takes
    /// on every update of its row (a trigger in PostgreSQL and SQLite).
    pub on_update: Option<String>,
    pub comment: Option<String>,
}

/// A SQL type: a lower-case name and its parameters (`varchar(255)`,
/// `decimal(12, 2)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnType {
    pub name: String,
    pub params: Vec<u32>,
}

impl ColumnType {
    /// The type with its name in one spelling per type, whatever the
    /// catalog or DDL called it: `character varying(20)` → `varchar(20)`,
    /// `int4` → `integer`, `timestamp without time zone` → `timestamp`.
    /// Readers return canonical types so that schemas from different
    /// sources compare equal.
    pub fn canonical(name: &str, params: Vec<u32>) -> ColumnType {
        let lower = name.trim().to_ascii_lowercase();
        let lower = lower.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = match lower.as_str() {
            "int" | "int4" | "integer" | "mediumint" => "integer",
            "int8" | "bigint" => "bigint",
            "int2" | "smallint" | "tinyint" => "smallint",
            "serial" | "serial4" => "integer",
            "bigserial" | "serial8" => "bigint",
            "smallserial" | "serial2" => "smallint",
            "bool" | "boolean" => "boolean",
            "numeric" | "decimal" | "dec" => "decimal",
            "double" | "double precision" | "float8" | "float" => "double precision",
            "real" | "float4" => "real",
            "character varying" | "varchar" | "varchar2" | "nvarchar" => "varchar",
            "character" | "char" | "bpchar" | "nchar" => "char",
            "timestamp" | "timestamp without time zone" | "datetime" => "timestamp",
            "timestamptz" | "timestamp with time zone" => "timestamptz",
            "time" | "time without time zone" => "time",
            "timetz" | "time with time zone" => "timetz",
            "bytea" | "blob" | "binary" | "varbinary" => "bytea",
            "longtext" | "mediumtext" | "tinytext" | "clob" | "string" => "text",
            other => other,
        };
        // Time types' precision and a bare `float(p)` carry no length.
        let params = match name {
            "varchar" | "char" | "decimal" => params,
            _ => Vec::new(),
        };
        ColumnType {
            name: name.to_owned(),
            params,
        }
    }

    /// Whether the database fills the column (`serial`, `bigserial`).
    pub fn is_serial(name: &str) -> bool {
        matches!(
            name.trim().to_ascii_lowercase().as_str(),
            "serial" | "serial2" | "serial4" | "serial8" | "bigserial" | "smallserial"
        )
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if !self.params.is_empty() {
            let params: Vec<String> = self.params.iter().map(u32::to_string).collect();
            write!(f, "({})", params.join(", "))?;
        }
        Ok(())
    }
}

/// A column default: a constant, or an SQL expression the database
/// evaluates (`CURRENT_TIMESTAMP`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Default {
    Text(String),
    /// Number text as written.
    Number(String),
    Bool(bool),
    Sql(String),
}

impl Default {
    /// A default as a catalog or DDL writes it: `'public'::character
    /// varying` is the text `public`, `(-1)` the number -1, `true` a
    /// boolean; anything else (`CURRENT_TIMESTAMP`, `now()`) stays SQL.
    pub fn from_sql(sql: &str) -> Default {
        let mut text = sql.trim();
        loop {
            let stripped = strip_cast(text);
            let stripped = stripped
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .filter(|inner| balanced(inner))
                .unwrap_or(stripped)
                .trim();
            if stripped == text {
                break;
            }
            text = stripped;
        }
        if let Some(body) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            if !body.replace("''", "").contains('\'') {
                return Default::Text(body.replace("''", "'"));
            }
        }
        match text.to_ascii_lowercase().as_str() {
            "true" => return Default::Bool(true),
            "false" => return Default::Bool(false),
            _ => {}
        }
        let digits = text.strip_prefix('-').unwrap_or(text);
        if !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.chars().filter(|&c| c == '.').count() <= 1
            && digits.chars().any(|c| c.is_ascii_digit())
        {
            return Default::Number(text.to_owned());
        }
        Default::Sql(text.to_owned())
    }
}

/// `term::type` → `term`, when the cast applies to the whole text: the
/// term before it is one quoted literal, one parenthesised group or one
/// word or number.
fn strip_cast(text: &str) -> &str {
    let Some(at) = text.rfind("::") else {
        return text;
    };
    let (term, ty) = (text[..at].trim_end(), &text[at + 2..]);
    let is_type = ty
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " _()[],\"".contains(c));
    let is_literal = term.len() >= 2
        && term.starts_with('\'')
        && term.ends_with('\'')
        && !term[1..term.len() - 1].replace("''", "").contains('\'');
    let is_group =
        term.starts_with('(') && term.ends_with(')') && balanced(&term[1..term.len() - 1]);
    let is_word = !term.is_empty()
        && term
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if is_type && (is_literal || is_group || is_word) {
        term
    } else {
        text
    }
}

/// Whether parentheses outside quotes balance, so `(a) + (b)` is not taken
/// for one parenthesised term.
fn balanced(text: &str) -> bool {
    let (mut depth, mut quoted) = (0i32, false);
    for b in text.bytes() {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && !quoted
}

/// `FOREIGN KEY (columns) REFERENCES table(ref_columns)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub table: String,
    pub ref_columns: Vec<String>,
    /// `CASCADE`, `SET NULL`, … as written.
    pub on_delete: Option<String>,
}

/// An index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
}

/// A view: its name, SQL text and output columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct View {
    pub name: String,
    pub definition: String,
    pub columns: Vec<String>,
}

/// A stored procedure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Procedure {
    pub name: String,
    pub parameters: Vec<String>,
    pub definition: String,
}

/// Why a schema could not be read: what was wrong and where (a JSON
/// pointer, a line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub message: String,
    pub at: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_defaults_read_as_constants_or_sql() {
        let cases = [
            (
                "'public'::character varying",
                Default::Text("public".into()),
            ),
            ("'it''s'::text", Default::Text("it's".into())),
            ("true", Default::Bool(true)),
            ("FALSE", Default::Bool(false)),
            ("(-1)", Default::Number("-1".into())),
            ("'0'::numeric", Default::Text("0".into())),
            ("12.50", Default::Number("12.50".into())),
            (
                "CURRENT_TIMESTAMP",
                Default::Sql("CURRENT_TIMESTAMP".into()),
            ),
            ("now()", Default::Sql("now()".into())),
            (
                "('a'::text || 'b'::text)",
                Default::Sql("'a'::text || 'b'::text".into()),
            ),
            ("(1) + (2)", Default::Sql("(1) + (2)".into())),
        ];
        for (sql, want) in cases {
            assert_eq!(Default::from_sql(sql), want, "{sql}");
        }
    }

    #[test]
    fn types_have_one_spelling() {
        let t = |n: &str, p: Vec<u32>| ColumnType::canonical(n, p).to_string();
        assert_eq!(t("character varying", vec![255]), "varchar(255)");
        assert_eq!(t("INT4", vec![]), "integer");
        assert_eq!(t("timestamp  without time zone", vec![6]), "timestamp");
        assert_eq!(t("numeric", vec![12, 2]), "decimal(12, 2)");
        assert_eq!(t("bool", vec![]), "boolean");
        assert_eq!(t("bigserial", vec![]), "bigint");
        assert!(ColumnType::is_serial("BIGSERIAL"));
    }
}
