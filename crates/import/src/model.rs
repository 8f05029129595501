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
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
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
    pub comment: Option<String>,
}

/// A SQL type: a lower-case name and its parameters (`varchar(255)`,
/// `decimal(12, 2)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnType {
    pub name: String,
    pub params: Vec<u32>,
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
