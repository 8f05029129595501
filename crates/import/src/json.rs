//! The JSON schema format of the seeds (`database_schema_before.json`):
//! `tables` → `columns` (type, length or precision and scale, nullable,
//! primary_key, unique, auto_increment, default, comment), `constraints`
//! (primary_key, unique, foreign_key, check) and `indexes`; `views` and
//! `procedures`. Object order is the column order, so objects are read as
//! ordered lists.

use crate::model::{self, ImportError, Schema};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::Deserialize as DeriveDeserialize;
use std::marker::PhantomData;

/// Reads a schema in the JSON format.
pub fn read(text: &str) -> Result<Schema, ImportError> {
    let file: File = serde_json::from_str(text).map_err(|e| ImportError {
        message: e.to_string(),
        at: format!("line {} column {}", e.line(), e.column()),
    })?;
    let mut tables = Vec::new();
    for (name, t) in file.tables.0 {
        tables.push(table(&name, t)?);
    }
    Ok(Schema {
        name: file.database,
        tables,
        views: file
            .views
            .0
            .into_iter()
            .map(|(name, v)| model::View {
                name,
                definition: v.definition,
                columns: v.columns,
            })
            .collect(),
        procedures: file
            .procedures
            .into_iter()
            .map(|p| model::Procedure {
                name: p.name,
                parameters: p.parameters,
                definition: p.definition,
            })
            .collect(),
    })
}

fn table(name: &str, t: TableJson) -> Result<model::Table, ImportError> {
    let at = |what: &str| format!("/tables/{name}/{what}");
    let mut primary_key = t.constraints.primary_key;
    let mut unique: Vec<Vec<String>> = t
        .constraints
        .unique
        .into_iter()
        .map(|u| match u {
            OneOrMany::One(c) => vec![c],
            OneOrMany::Many(cs) => cs,
        })
        .collect();
    let mut columns = Vec::new();
    for (cname, c) in t.columns.0 {
        if c.primary_key && !primary_key.contains(&cname) {
            primary_key.push(cname.clone());
        }
        if c.unique && !unique.iter().any(|u| u == std::slice::from_ref(&cname)) {
            unique.push(vec![cname.clone()]);
        }
        let params: Vec<u32> = match (c.length, c.precision, c.scale) {
            (Some(l), _, _) => vec![l],
            (None, Some(p), Some(s)) => vec![p, s],
            (None, Some(p), None) => vec![p],
            (None, None, _) => Vec::new(),
        };
        let (default, on_update) = match c.default.map(default) {
            None => (None, None),
            Some(Ok((d, on_update))) => (Some(d), on_update),
            Some(Err(message)) => {
                return Err(ImportError {
                    message,
                    at: at(&format!("columns/{cname}/default")),
                })
            }
        };
        columns.push(model::Column {
            // A primary key is never null, whatever `nullable` says.
            nullable: c.nullable && !c.primary_key,
            ty: model::ColumnType::canonical(&c.ty, params),
            default,
            generated: c.auto_increment || model::ColumnType::is_serial(&c.ty),
            on_update,
            comment: c.comment,
            name: cname,
        });
    }
    for key in &primary_key {
        if !columns.iter().any(|c| &c.name == key) {
            return Err(ImportError {
                message: format!("primary key column `{key}` is not a column of the table"),
                at: at("constraints/primary_key"),
            });
        }
    }
    let mut foreign_keys = Vec::new();
    for (i, fk) in t.constraints.foreign_key.into_iter().enumerate() {
        let (table, ref_columns) = parse_reference(&fk.references).ok_or_else(|| ImportError {
            message: format!(
                "`references` is `{}`; expected `table(column, …)`",
                fk.references
            ),
            at: at(&format!("constraints/foreign_key/{i}/references")),
        })?;
        foreign_keys.push(model::ForeignKey {
            columns: fk.columns,
            table,
            ref_columns,
            on_delete: fk.on_delete,
        });
    }
    Ok(model::Table {
        name: name.to_owned(),
        columns,
        primary_key,
        unique,
        foreign_keys,
        checks: t.constraints.check,
        indexes: t
            .indexes
            .into_iter()
            .map(|i| model::Index {
                name: i.name,
                columns: i.columns,
                unique: i.unique,
            })
            .collect(),
        rows_estimate: t.rows,
        constraint_names: Default::default(),
    })
}

/// SQL keywords and functions a default may name; any other string is a
/// text constant (`"public"`).
const SQL_DEFAULTS: [&str; 6] = [
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "now()",
    "null",
];

/// A default, and the `ON UPDATE …` value (MySQL) written after it.
fn default(v: serde_json::Value) -> Result<(model::Default, Option<String>), String> {
    if let serde_json::Value::String(s) = &v {
        if let Some(at) = s.to_ascii_lowercase().find(" on update ") {
            let on_update = s[at + " on update ".len()..].trim().to_owned();
            let (d, _) = default(serde_json::Value::String(s[..at].trim().to_owned()))?;
            return Ok((d, Some(on_update)));
        }
    }
    let d = match v {
        serde_json::Value::Bool(b) => model::Default::Bool(b),
        serde_json::Value::Number(n) => model::Default::Number(n.to_string()),
        serde_json::Value::String(s) => {
            let lower = s.trim().to_ascii_lowercase();
            if SQL_DEFAULTS.iter().any(|k| lower.starts_with(k)) {
                model::Default::Sql(s)
            } else {
                model::Default::Text(s)
            }
        }
        other => {
            return Err(format!(
                "a default must be a string, number or boolean, not `{other}`"
            ))
        }
    };
    Ok((d, None))
}

/// `users(id)` or `users(a, b)`.
fn parse_reference(text: &str) -> Option<(String, Vec<String>)> {
    let (table, rest) = text.split_once('(')?;
    let columns = rest.trim_end().strip_suffix(')')?;
    let columns: Vec<String> = columns.split(',').map(|c| c.trim().to_owned()).collect();
    let table = table.trim();
    (!table.is_empty() && columns.iter().all(|c| !c.is_empty()))
        .then(|| (table.to_owned(), columns))
}

// ───────────────────────────── The file ─────────────────────────────

#[derive(DeriveDeserialize)]
struct File {
    database: Option<String>,
    tables: Ordered<TableJson>,
    #[serde(default)]
    views: Ordered<ViewJson>,
    #[serde(default)]
    procedures: Vec<ProcedureJson>,
}

#[derive(DeriveDeserialize)]
struct TableJson {
    columns: Ordered<ColumnJson>,
    #[serde(default)]
    constraints: ConstraintsJson,
    #[serde(default)]
    indexes: Vec<IndexJson>,
    /// A row estimate (not in the seeds; accepted for scaffolds).
    rows: Option<u64>,
}

#[derive(DeriveDeserialize)]
struct ColumnJson {
    #[serde(rename = "type")]
    ty: String,
    length: Option<u32>,
    precision: Option<u32>,
    scale: Option<u32>,
    #[serde(default = "yes")]
    nullable: bool,
    #[serde(default)]
    primary_key: bool,
    #[serde(default)]
    unique: bool,
    #[serde(default)]
    auto_increment: bool,
    default: Option<serde_json::Value>,
    comment: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(DeriveDeserialize, Default)]
struct ConstraintsJson {
    #[serde(default)]
    primary_key: Vec<String>,
    #[serde(default)]
    unique: Vec<OneOrMany>,
    #[serde(default)]
    foreign_key: Vec<ForeignKeyJson>,
    #[serde(default)]
    check: Vec<String>,
}

#[derive(DeriveDeserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(DeriveDeserialize)]
struct ForeignKeyJson {
    columns: Vec<String>,
    references: String,
    on_delete: Option<String>,
}

#[derive(DeriveDeserialize)]
struct IndexJson {
    name: String,
    columns: Vec<String>,
    #[serde(default)]
    unique: bool,
}

#[derive(DeriveDeserialize)]
struct ViewJson {
    definition: String,
    #[serde(default)]
    columns: Vec<String>,
}

#[derive(DeriveDeserialize)]
struct ProcedureJson {
    name: String,
    #[serde(default)]
    parameters: Vec<String>,
    definition: String,
}

/// A JSON object read in the order it was written.
struct Ordered<T>(Vec<(String, T)>);

impl<T> std::default::Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[cfg(test)]
mod tests;
