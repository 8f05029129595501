//! `cutover import`: a spec scaffolded from two schemas. The source and
//! target systems with their tables, then for each table the target shares
//! with the source a draft `map` assigning every same-named column and
//! dropping every other source column, and a `drop table` for each source
//! table the target lacks. What the scaffold cannot know (a target column
//! with no source, a type Cutover does not know) is left for `cutover
//! check` to point at.

use crate::model::{self, Schema};
use cutover_diagnostics::Span;
use cutover_syntax::ast::*;

/// One side of the migration: the system's name and dialect in the spec.
pub struct Side<'a> {
    pub system: &'a str,
    pub dialect: &'a str,
    pub schema: &'a Schema,
}

const S: Span = Span { start: 0, end: 0 };

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_owned(),
        span: S,
    }
}

fn string(value: &str) -> Str {
    Str {
        value: value.to_owned(),
        span: S,
    }
}

fn table_ref(system: &str, table: &str) -> TableRef {
    TableRef {
        system: ident(system),
        table: ident(table),
        span: S,
    }
}

/// The scaffold as a syntax tree; `cutover_syntax::format::print` lays it
/// out.
pub fn scaffold(source: &Side<'_>, target: &Side<'_>) -> Ast {
    let title = match (&source.schema.name, &target.schema.name) {
        (Some(a), Some(b)) if a != b => format!("{a} to {b}"),
        _ => format!("{} to {}", source.system, target.system),
    };
    let mut items = vec![
        Item::Migration(Migration {
            title: string(&title),
            attributes: vec![Attribute {
                name: ident("strategy"),
                values: vec![AttrValue::Ident(ident("big_bang"))],
                span: S,
            }],
            span: S,
        }),
        system(source, Role::Source),
        system(target, Role::Target),
    ];
    for t in &target.schema.tables {
        if let Some(s) = source.schema.table(&t.name) {
            items.push(Item::Map(draft_map(source.system, s, target.system, t)));
        }
    }
    let dropped: Vec<TableRef> = source
        .schema
        .tables
        .iter()
        .filter(|s| target.schema.table(&s.name).is_none())
        .map(|s| table_ref(source.system, &s.name))
        .collect();
    if !dropped.is_empty() {
        items.push(Item::DropTable(DropTable {
            tables: dropped,
            reason: string(
                "not in the target schema (scaffolded by cutover import): confirm, or map it",
            ),
            span: S,
        }));
    }
    Ast { items }
}

fn system(side: &Side<'_>, role: Role) -> Item {
    Item::System(System {
        role,
        name: ident(side.system),
        dialect: ident(side.dialect),
        tables: side.schema.tables.iter().map(table).collect(),
        span: S,
    })
}

fn table(t: &model::Table) -> Table {
    let single_key = t.primary_key.len() == 1;
    let mut items: Vec<TableItem> = t
        .columns
        .iter()
        .map(|c| {
            let mut constraints = Vec::new();
            if single_key && t.primary_key[0] == c.name {
                constraints.push(ColumnConstraint::PrimaryKey(S));
            } else if !c.nullable {
                constraints.push(ColumnConstraint::NotNull(S));
            }
            if t.unique.iter().any(|u| u.len() == 1 && u[0] == c.name) {
                constraints.push(ColumnConstraint::Unique(S));
            }
            if let Some(fk) = t
                .foreign_keys
                .iter()
                .find(|f| f.columns.len() == 1 && f.columns[0] == c.name)
            {
                constraints.push(ColumnConstraint::References {
                    table: ident(&fk.table),
                    column: ident(&fk.ref_columns[0]),
                    span: S,
                });
            }
            if let Some(d) = c.default.as_ref().and_then(default) {
                constraints.push(ColumnConstraint::Default(d));
            }
            TableItem::Column(Column {
                name: ident(&c.name),
                ty: column_type(&c.ty),
                constraints,
                span: S,
            })
        })
        .collect();
    if t.primary_key.len() > 1 {
        items.push(TableItem::PrimaryKey {
            columns: t.primary_key.iter().map(|c| ident(c)).collect(),
            span: S,
        });
    }
    for u in t.unique.iter().filter(|u| u.len() > 1) {
        items.push(TableItem::Unique {
            columns: u.iter().map(|c| ident(c)).collect(),
            span: S,
        });
    }
    for fk in t.foreign_keys.iter().filter(|f| f.columns.len() > 1) {
        items.push(TableItem::ForeignKey {
            columns: fk.columns.iter().map(|c| ident(c)).collect(),
            table: ident(&fk.table),
            ref_columns: fk.ref_columns.iter().map(|c| ident(c)).collect(),
            span: S,
        });
    }
    if let Some(rows) = t.rows_estimate {
        items.push(TableItem::Rows {
            count: rows,
            span: S,
        });
    }
    Table {
        name: ident(&t.name),
        items,
        span: S,
    }
}

/// A SQL type in Cutover's words; a type Cutover does not know is kept as
/// written, for the check to name.
fn column_type(ty: &model::ColumnType) -> TypeExpr {
    let name = ty.name.as_str();
    let (cutover, params): (&str, &[u32]) = match name {
        "integer" | "int4" | "serial" | "mediumint" => ("int", &[]),
        "int8" | "bigserial" => ("bigint", &[]),
        "int2" | "tinyint" | "smallserial" => ("smallint", &[]),
        "boolean" => ("bool", &[]),
        "numeric" => ("decimal", &ty.params),
        "double" | "double precision" | "real" | "float4" | "float8" => ("float", &[]),
        "character varying" | "varchar2" | "nvarchar" => ("varchar", &ty.params),
        "character" | "nchar" => ("char", &ty.params),
        "datetime" | "timestamp without time zone" => ("timestamp", &[]),
        "timestamp with time zone" => ("timestamptz", &[]),
        "time without time zone" => ("time", &[]),
        "jsonb" => ("json", &[]),
        "bytea" | "blob" | "binary" | "varbinary" => ("bytes", &[]),
        "longtext" | "mediumtext" | "tinytext" | "clob" | "string" => ("text", &[]),
        other => (other, &ty.params),
    };
    TypeExpr {
        name: ident(cutover),
        params: params.iter().map(|p| (*p, S)).collect(),
        nullable: false,
        span: S,
    }
}

/// A default Cutover can state: a constant, or `now()` for the current
/// time. Other SQL defaults are the database's business and are left out.
fn default(d: &model::Default) -> Option<Expr> {
    let kind = match d {
        model::Default::Text(t) => ExprKind::Literal(Literal::Str(t.clone())),
        model::Default::Bool(b) => ExprKind::Literal(Literal::Bool(*b)),
        model::Default::Number(n) => {
            let (negative, digits) = match n.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, n.as_str()),
            };
            let literal = match digits.parse::<i64>() {
                Ok(i) => Literal::Integer(i),
                Err(_) if digits.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                    Literal::Decimal(digits.to_owned())
                }
                Err(_) => return None,
            };
            let lit = Expr {
                kind: ExprKind::Literal(literal),
                span: S,
            };
            if negative {
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand: Box::new(lit),
                }
            } else {
                return Some(lit);
            }
        }
        model::Default::Sql(sql) => {
            let lower = sql.trim().to_ascii_lowercase();
            if lower.starts_with("current_timestamp") || lower.starts_with("now()") {
                ExprKind::Call {
                    name: ident("now"),
                    args: Vec::new(),
                }
            } else {
                return None;
            }
        }
    };
    Some(Expr { kind, span: S })
}

/// `map T: source.T -> target.T`: same-named columns assigned (the target's
/// primary key as `key`), the other source columns dropped.
fn draft_map(source: &str, s: &model::Table, target: &str, t: &model::Table) -> Map {
    let mut items = Vec::new();
    for c in &t.columns {
        if s.column(&c.name).is_some() {
            items.push(MapItem::Assign(Assignment {
                key: t.primary_key.contains(&c.name),
                target: ident(&c.name),
                expr: Expr {
                    kind: ExprKind::Path(vec![ident(&c.name)]),
                    span: S,
                },
                on_failure: None,
                allow_pii: None,
                span: S,
            }));
        }
    }
    let unused: Vec<Vec<Ident>> = s
        .columns
        .iter()
        .filter(|c| t.column(&c.name).is_none())
        .map(|c| vec![ident(&c.name)])
        .collect();
    if !unused.is_empty() {
        items.push(MapItem::Drop(DropColumns {
            columns: unused,
            reason: string(
                "not in the target table (scaffolded by cutover import): confirm, or map it",
            ),
            span: S,
        }));
    }
    Map {
        name: Some(ident(&t.name)),
        source: table_ref(source, &s.name),
        alias: None,
        joins: Vec::new(),
        target: table_ref(target, &t.name),
        items,
        span: S,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Schema {
        let path = format!("{}/../../tests/import/{name}", env!("CARGO_MANIFEST_DIR"));
        crate::json::read(&std::fs::read_to_string(path).expect("fixture")).expect("reads")
    }

    #[test]
    fn the_seed_pair_scaffolds_a_spec_that_checks_but_for_decisions() {
        let (before, after) = (
            fixture("database_schema_before.json"),
            fixture("database_schema_after.json"),
        );
        let ast = scaffold(
            &Side {
                system: "legacy",
                dialect: "postgres",
                schema: &before,
            },
            &Side {
                system: "app",
                dialect: "postgres",
                schema: &after,
            },
        );
        let text = cutover_syntax::format::print(&ast);
        let compiled = cutover_check::compile(&text);
        let errors: Vec<String> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect();
        // Every error is E0310: target columns the source does not have
        // (new in `after`), which a person must map or default.
        assert!(
            text.contains("map users: legacy.users -> app.users {"),
            "{text}"
        );
        assert!(!errors.is_empty(), "{text}");
        for e in &errors {
            assert!(e.starts_with("E0310 "), "{e}\n{text}");
        }
    }
}
