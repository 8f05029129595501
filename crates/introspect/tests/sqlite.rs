//! `cutover_introspect::sqlite` on a SQLite file built by DDL, compared with
//! the schema written out by hand.

use cutover_import::{Column, ColumnType, Default, ForeignKey, Index, Schema, Table, View};
use rusqlite::Connection;
use std::path::PathBuf;

/// A SQLite file of its own for the test, deleted when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(test: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "cutover-introspect-{test}-{}.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn column(name: &str, ty: &str, params: &[u32], nullable: bool) -> Column {
    Column {
        name: name.into(),
        ty: ColumnType {
            name: ty.into(),
            params: params.to_vec(),
        },
        nullable,
        default: None,
        generated: false,
        on_update: None,
        comment: None,
    }
}

fn with_default(mut c: Column, default: Default) -> Column {
    c.default = Some(default);
    c
}

fn generated(mut c: Column) -> Column {
    c.generated = true;
    c
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const DDL: &str = r#"
CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email VARCHAR(255) NOT NULL UNIQUE,
  name TEXT DEFAULT 'anon',
  active BOOLEAN NOT NULL DEFAULT TRUE,
  balance DECIMAL(12, 2) DEFAULT -1,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  UNIQUE (name, created_at),
  CHECK (balance >= -1),
  CONSTRAINT email_has_at CHECK (email LIKE '%@%')
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  region CHAR(2),
  code VARCHAR(20),
  note,
  total NUMERIC(10,2),
  total_x2 REAL GENERATED ALWAYS AS (total * 2) STORED,
  UNIQUE (region, code),
  FOREIGN KEY (region) REFERENCES regions ON DELETE SET NULL
);
CREATE TABLE regions (code CHAR(2) PRIMARY KEY, name TEXT);
CREATE TABLE "order lines" (
  order_id INTEGER NOT NULL,
  line INTEGER,
  sku TEXT,
  qty INTEGER CHECK (qty > 0),
  PRIMARY KEY (order_id, line),
  FOREIGN KEY (order_id) REFERENCES orders (id)
) WITHOUT ROWID;
CREATE TABLE events (id INTEGER PRIMARY KEY DESC, payload BLOB);
CREATE INDEX orders_by_customer ON orders (customer_id, id);
CREATE UNIQUE INDEX customers_lower_email ON customers (lower(email));
CREATE INDEX orders_open ON orders (id) WHERE total > 0;
CREATE UNIQUE INDEX orders_one_open_code ON orders (code) WHERE total > 0;
CREATE UNIQUE INDEX regions_name ON regions (name);
CREATE INDEX "a ""quoted"" index" ON "order lines" (sku);
CREATE VIEW big_orders (id, amount) AS
  SELECT id, total FROM orders WHERE total > 100;

INSERT INTO regions VALUES ('EU', 'Europe'), ('US', 'United States');
INSERT INTO customers (email, name) VALUES ('a@x', 'a'), ('b@x', 'b'), ('c@x', 'c');
INSERT INTO orders (customer_id, region, code, total) VALUES (1, 'EU', 'o1', 50), (2, 'US', 'o2', 150);
INSERT INTO "order lines" VALUES (1, 1, 'sku-1', 2), (1, 2, 'sku-2', 1), (2, 1, 'sku-1', 5);
ANALYZE customers;
ANALYZE regions;
-- After ANALYZE: the estimate stays 3 while the table holds 5 rows.
INSERT INTO customers (email, name) VALUES ('d@x', 'd'), ('e@x', 'e');
"#;

#[test]
fn sqlite_file_is_read_into_the_model() {
    let file = TempFile::new("model");
    let conn = Connection::open(&file.0).expect("open");
    conn.execute_batch(DDL).expect("ddl");

    let schema = cutover_introspect::sqlite(&conn).expect("introspect");

    let customers = Table {
        name: "customers".into(),
        columns: vec![
            generated(column("id", "integer", &[], false)),
            column("email", "varchar", &[255], false),
            with_default(
                column("name", "text", &[], true),
                Default::Text("anon".into()),
            ),
            with_default(column("active", "boolean", &[], false), Default::Bool(true)),
            with_default(
                column("balance", "decimal", &[12, 2], true),
                Default::Number("-1".into()),
            ),
            with_default(
                column("created_at", "timestamp", &[], true),
                Default::Sql("CURRENT_TIMESTAMP".into()),
            ),
        ],
        primary_key: strings(&["id"]),
        unique: vec![strings(&["email"]), strings(&["name", "created_at"])],
        foreign_keys: vec![],
        checks: strings(&["balance >= -1", "email LIKE '%@%'"]),
        indexes: vec![],
        rows_estimate: Some(3),
        constraint_names: std::collections::BTreeMap::new(),
    };
    let events = Table {
        name: "events".into(),
        // `INTEGER PRIMARY KEY DESC` is no rowid alias.
        columns: vec![
            column("id", "integer", &[], true),
            column("payload", "bytea", &[], true),
        ],
        primary_key: strings(&["id"]),
        rows_estimate: Some(0),
        ..Table::default()
    };
    let order_lines = Table {
        name: "order lines".into(),
        columns: vec![
            column("order_id", "integer", &[], false),
            column("line", "integer", &[], false),
            column("sku", "text", &[], true),
            column("qty", "integer", &[], true),
        ],
        primary_key: strings(&["order_id", "line"]),
        foreign_keys: vec![ForeignKey {
            columns: strings(&["order_id"]),
            table: "orders".into(),
            ref_columns: strings(&["id"]),
            on_delete: None,
        }],
        checks: strings(&["qty > 0"]),
        indexes: vec![Index {
            name: "a \"quoted\" index".into(),
            columns: strings(&["sku"]),
            unique: false,
        }],
        rows_estimate: Some(3),
        ..Table::default()
    };
    let orders = Table {
        name: "orders".into(),
        columns: vec![
            generated(column("id", "integer", &[], false)),
            column("customer_id", "integer", &[], false),
            column("region", "char", &[2], true),
            column("code", "varchar", &[20], true),
            column("note", "", &[], true),
            column("total", "decimal", &[10, 2], true),
            generated(column("total_x2", "real", &[], true)),
        ],
        primary_key: strings(&["id"]),
        unique: vec![strings(&["region", "code"])],
        foreign_keys: vec![
            ForeignKey {
                columns: strings(&["customer_id"]),
                table: "customers".into(),
                ref_columns: strings(&["id"]),
                on_delete: Some("CASCADE".into()),
            },
            ForeignKey {
                columns: strings(&["region"]),
                table: "regions".into(),
                ref_columns: strings(&["code"]),
                on_delete: Some("SET NULL".into()),
            },
        ],
        checks: vec![],
        indexes: vec![
            Index {
                name: "orders_by_customer".into(),
                columns: strings(&["customer_id", "id"]),
                unique: false,
            },
            Index {
                name: "orders_open".into(),
                columns: strings(&["id"]),
                unique: false,
            },
        ],
        rows_estimate: Some(2),
        constraint_names: std::collections::BTreeMap::new(),
    };
    let regions = Table {
        name: "regions".into(),
        columns: vec![
            column("code", "char", &[2], true),
            column("name", "text", &[], true),
        ],
        primary_key: strings(&["code"]),
        indexes: vec![Index {
            name: "regions_name".into(),
            columns: strings(&["name"]),
            unique: true,
        }],
        rows_estimate: Some(2),
        ..Table::default()
    };
    let expected = Schema {
        name: None,
        tables: vec![customers, events, order_lines, orders, regions],
        views: vec![View {
            name: "big_orders".into(),
            definition: "SELECT id, total FROM orders WHERE total > 100".into(),
            columns: strings(&["id", "amount"]),
        }],
        procedures: vec![],
    };
    assert_eq!(schema, expected);
}

#[test]
fn a_missing_view_table_is_an_error_naming_the_view() {
    let file = TempFile::new("broken_view");
    let conn = Connection::open(&file.0).expect("open");
    conn.execute_batch(
        "CREATE TABLE t (x INTEGER); CREATE VIEW v AS SELECT x FROM t; DROP TABLE t;",
    )
    .expect("ddl");
    let error = cutover_introspect::sqlite(&conn).expect_err("a view on a dropped table");
    assert!(
        error.to_string().starts_with("reading view \"v\""),
        "{error}"
    );
    // The savepoint is released: the connection is usable again.
    conn.execute_batch("CREATE TABLE t (x INTEGER)")
        .expect("usable");
    assert_eq!(
        cutover_introspect::sqlite(&conn).map(|s| s.views.len()),
        Ok(1)
    );
}
