//! What the execution tests share: source tables filled with rows, and
//! reading any table back as Cutover's canonical text on either database.

use cutover_backend_sql::Dialect;
use cutover_eval::Rows;
use cutover_ir::{Ir, Role, TableId, TypeKind};
use std::collections::BTreeMap;

/// Source tables without constraints (sample data may break them on
/// purpose), filled with the rows.
pub fn source_sql(ir: &Ir, d: &dyn Dialect, rows: &BTreeMap<TableId, Rows>) -> String {
    let mut sql = String::new();
    for s in ir.systems.iter().filter(|s| s.role == Role::Source) {
        if d.name() == "postgres" {
            sql.push_str(&format!("CREATE SCHEMA {};\n", d.ident(&s.name)));
        }
    }
    for (t, rows) in rows {
        let table = ir.table(*t);
        let name = d.table(&ir.system(table.system).name, &table.name);
        sql.push_str(&cutover_backend_sql::values::source_table(
            d,
            ir,
            *t,
            &name,
            d.table_options(),
            rows,
        ));
    }
    sql
}

/// A cell as Cutover's canonical text.
pub type Cells = Vec<Option<String>>;

pub trait Db {
    fn run(&mut self, sql: &str);
    /// Rows of a query whose every column is text (or NULL).
    fn texts(&mut self, sql: &str) -> Vec<Cells>;
}

impl Db for rusqlite::Connection {
    fn run(&mut self, sql: &str) {
        self.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{e}\n{}", &sql[..sql.len().min(3000)]));
    }
    fn texts(&mut self, sql: &str) -> Vec<Cells> {
        let mut stmt = self.prepare(sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Null => None,
                        rusqlite::types::Value::Integer(x) => Some(x.to_string()),
                        rusqlite::types::Value::Real(x) => Some(cutover_eval::value::float_text(x)),
                        rusqlite::types::Value::Text(s) => Some(s),
                        rusqlite::types::Value::Blob(b) => Some(format!("{b:?}")),
                    })
                })
                .collect()
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    }
}

impl Db for postgres::Client {
    fn run(&mut self, sql: &str) {
        self.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{e:?}\n{}", &sql[..sql.len().min(3000)]));
    }
    fn texts(&mut self, sql: &str) -> Vec<Cells> {
        let rows = self
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("{e:?}\n{sql}"));
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<_, Option<String>>(i))
                    .collect()
            })
            .collect()
    }
}

/// `SELECT` of every column of a target table as canonical text.
pub fn select_text(ir: &Ir, d: &dyn Dialect, t: TableId) -> String {
    let table = ir.table(t);
    let cols: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let col = ir.column(*c);
            let name = d.ident(&col.name);
            match (d.name(), col.ty.kind) {
                ("postgres", _) => format!("CAST({name} AS text)"),
                ("sqlite", TypeKind::Bool) => {
                    format!("CASE {name} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END")
                }
                _ => name,
            }
        })
        .collect();
    format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        d.table(&ir.system(table.system).name, &table.name)
    )
}
