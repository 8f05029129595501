//! Values as SQL literals, in each dialect's column representation
//! (docs/functions.md, "Casts": the canonical text forms).

use crate::dialect::Dialect;
use cutover_eval::Value;
use cutover_ir::{Ir, TableId, TypeKind};

/// A literal for a value stored into a column of type `ty`.
pub fn literal<D: Dialect + ?Sized>(d: &D, v: &Value, ty: TypeKind) -> String {
    let sqlite = d.name() == "sqlite";
    match v {
        Value::Null => "NULL".into(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) if sqlite => (if *b { "1" } else { "0" }).into(),
        Value::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).into(),
        Value::Float(x) => {
            // Shortest round-trip digits; SQLite and PostgreSQL read them back exactly.
            let text = format!("{x:e}");
            if sqlite {
                text
            } else {
                format!("CAST({} AS double precision)", d.text(&text))
            }
        }
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            if sqlite {
                format!("X'{hex}'")
            } else {
                format!("CAST({} AS bytea)", d.text(&format!("\\x{hex}")))
            }
        }
        other => {
            let text = d.text(&other.to_text().unwrap_or_default());
            if sqlite || ty.is_text() {
                text
            } else {
                format!("CAST({text} AS {})", d.column_type(ty))
            }
        }
    }
}

/// `CREATE TABLE name (…) options` for source table `t` (its columns'
/// types, no constraints: sample data may break them on purpose) and an
/// `INSERT` per row: how rehearsals and tests put source rows into a
/// database.
pub fn source_table<D: Dialect + ?Sized>(
    d: &D,
    ir: &Ir,
    t: TableId,
    name: &str,
    options: &str,
    rows: &[Vec<Value>],
) -> String {
    let mut sql = source_table_ddl(d, ir, t, name, options);
    sql.push_str(&insert_rows(d, ir, t, name, rows));
    sql
}

/// The `CREATE TABLE` of [`source_table`].
pub fn source_table_ddl<D: Dialect + ?Sized>(
    d: &D,
    ir: &Ir,
    t: TableId,
    name: &str,
    options: &str,
) -> String {
    let cols: Vec<String> = ir
        .table(t)
        .columns
        .iter()
        .map(|c| {
            let col = ir.column(*c);
            format!("{} {}", d.ident(&col.name), d.column_type(col.ty.kind))
        })
        .collect();
    format!("CREATE TABLE {name} ({}){options};\n", cols.join(", "))
}

/// An `INSERT` per row of source table `t` into `name`.
pub fn insert_rows<D: Dialect + ?Sized>(
    d: &D,
    ir: &Ir,
    t: TableId,
    name: &str,
    rows: &[Vec<Value>],
) -> String {
    let table = ir.table(t);
    let mut sql = String::new();
    for r in rows {
        let values: Vec<String> = r
            .iter()
            .zip(&table.columns)
            .map(|(v, c)| literal(d, v, ir.column(*c).ty.kind))
            .collect();
        sql.push_str(&format!(
            "INSERT INTO {name} VALUES ({});\n",
            values.join(", ")
        ));
    }
    sql
}
