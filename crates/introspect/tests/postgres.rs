//! `cutover_introspect::postgres` on a schema built by hand-written DDL on a
//! real server, compared with the schema written out by hand.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

use cutover_import::{
    constraint_key, Column, ColumnType, ConstraintKey, Default, ForeignKey, Index, Procedure,
    Schema, Table, View,
};

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
CREATE SCHEMA other;
CREATE TABLE other.warehouses (id integer PRIMARY KEY);
INSERT INTO other.warehouses VALUES (1);

CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email character varying(255) NOT NULL UNIQUE,
  plan varchar(20) NOT NULL DEFAULT 'public',
  active boolean NOT NULL DEFAULT true,
  priority integer NOT NULL DEFAULT -1,
  balance numeric(12,2),
  created_at timestamp without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  dropped text,
  CONSTRAINT z_balance_floor CHECK (balance >= -1),
  CONSTRAINT a_email_has_at CHECK (email LIKE '%@%')
);
ALTER TABLE customers DROP COLUMN dropped;
COMMENT ON COLUMN customers.email IS 'Login; unique';

CREATE TABLE regions (code char(2) PRIMARY KEY, name text NOT NULL);

CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  region char(2) REFERENCES regions,
  code varchar(20) NOT NULL,
  total numeric(12,2) NOT NULL DEFAULT 0,
  warehouse integer REFERENCES other.warehouses ON DELETE SET NULL,
  UNIQUE (code, region)
);

CREATE TABLE order_lines (
  line smallint NOT NULL,
  order_id integer NOT NULL REFERENCES orders (id),
  sku text NOT NULL,
  qty integer NOT NULL CHECK (qty > 0),
  weight real,
  PRIMARY KEY (order_id, line)
);

CREATE TABLE measurements (at date NOT NULL, value double precision) PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

CREATE INDEX orders_by_customer ON orders (customer_id, id);
CREATE UNIQUE INDEX regions_name ON regions (name) INCLUDE (code);
CREATE INDEX customers_lower_email ON customers (lower(email));
CREATE INDEX orders_open ON orders (id) WHERE total > 0;
CREATE UNIQUE INDEX orders_one_open_code ON orders (code) WHERE total > 0;

CREATE OR REPLACE FUNCTION "public"."cutover_set_now"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], CURRENT_TIMESTAMP));
  RETURN NEW;
END $$;
CREATE TRIGGER "customers_updated_at_on_update" BEFORE UPDATE ON "public"."customers"
  FOR EACH ROW EXECUTE FUNCTION "public"."cutover_set_now"('updated_at');

-- Another trigger: not part of the model.
CREATE FUNCTION audit_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END $$;
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_orders();

CREATE VIEW big_orders AS SELECT id, total AS amount FROM orders WHERE total > 100;

CREATE PROCEDURE deactivate(IN user_id bigint) LANGUAGE sql
  AS $$ UPDATE customers SET active = false WHERE id = user_id $$;
CREATE FUNCTION orders_of(customer bigint, min_total numeric DEFAULT 0) RETURNS SETOF record
  LANGUAGE sql AS $$
  SELECT id, total FROM orders WHERE customer_id = customer AND total >= min_total
$$;

INSERT INTO regions VALUES ('EU', 'Europe'), ('US', 'United States');
INSERT INTO customers (email, updated_at) VALUES
  ('a@x', '2000-01-01'), ('b@x', '2000-01-01'), ('c@x', '2000-01-01');
INSERT INTO orders (customer_id, region, code, total) VALUES (1, 'EU', 'o1', 50), (2, 'US', 'o2', 150);
INSERT INTO order_lines (order_id, line, sku, qty) VALUES (1, 1, 'sku-1', 2), (1, 2, 'sku-2', 1);
ANALYZE customers;
ANALYZE regions;
ANALYZE orders;
"#;

#[test]
fn introspect_postgres_schema_is_read_into_the_model() {
    let Some(mut db) = pg::database("introspect_model") else {
        return;
    };
    db.batch_execute(DDL).expect("ddl");

    // The ON UPDATE convention works: an update sets the column to now.
    db.batch_execute("UPDATE customers SET plan = 'pro' WHERE email = 'a@x'")
        .expect("update");
    let touched: bool = db
        .query_one(
            "SELECT updated_at > '2000-01-02' FROM customers WHERE email = 'a@x'",
            &[],
        )
        .expect("read back")
        .get(0);
    assert!(touched, "the trigger set updated_at");
    let untouched: bool = db
        .query_one(
            "SELECT updated_at = '2000-01-01' FROM customers WHERE email = 'b@x'",
            &[],
        )
        .expect("read back")
        .get(0);
    assert!(untouched, "rows not updated keep their updated_at");

    let database: String = db
        .query_one("SELECT current_database()::text", &[])
        .expect("database")
        .get(0);
    // The deparsed view text differs between server versions (PostgreSQL
    // 16 stopped qualifying columns): the reader trims it and drops the `;`.
    let viewdef: String = db
        .query_one("SELECT pg_get_viewdef('big_orders'::regclass)", &[])
        .expect("viewdef")
        .get(0);
    assert!(viewdef.trim_end().ends_with(';'), "{viewdef}");
    let viewdef = viewdef.trim().trim_end_matches(';').trim_end().to_owned();
    assert!(viewdef.starts_with("SELECT"), "{viewdef}");

    let mut schema = cutover_introspect::postgres(&mut db, "public").expect("introspect");
    // Constraint names are kept apart from the schema's meaning: checked
    // here, then set aside for the comparison.
    let customers_names = &schema.tables[0].constraint_names;
    assert_eq!(
        customers_names.get(&constraint_key(ConstraintKey::Check("email LIKE '%@%'"))),
        Some(&"a_email_has_at".to_owned()),
        "{customers_names:?}"
    );
    assert_eq!(
        customers_names.get(&constraint_key(ConstraintKey::Check("balance >= -1"))),
        Some(&"z_balance_floor".to_owned())
    );
    assert_eq!(
        customers_names.get(&constraint_key(ConstraintKey::PrimaryKey)),
        Some(&"customers_pkey".to_owned())
    );
    for t in &mut schema.tables {
        t.constraint_names.clear();
    }

    let customers = Table {
        name: "customers".into(),
        columns: vec![
            generated(column("id", "bigint", &[], false)),
            Column {
                comment: Some("Login; unique".into()),
                ..column("email", "varchar", &[255], false)
            },
            with_default(
                column("plan", "varchar", &[20], false),
                Default::Text("public".into()),
            ),
            with_default(column("active", "boolean", &[], false), Default::Bool(true)),
            with_default(
                column("priority", "integer", &[], false),
                Default::Number("-1".into()),
            ),
            column("balance", "decimal", &[12, 2], true),
            with_default(
                column("created_at", "timestamp", &[], false),
                Default::Sql("CURRENT_TIMESTAMP".into()),
            ),
            Column {
                on_update: Some("CURRENT_TIMESTAMP".into()),
                ..with_default(
                    column("updated_at", "timestamp", &[], false),
                    Default::Sql("CURRENT_TIMESTAMP".into()),
                )
            },
        ],
        primary_key: strings(&["id"]),
        unique: vec![strings(&["email"])],
        foreign_keys: vec![],
        // Creation order, not name order.
        checks: strings(&[
            "(balance >= ('-1'::integer)::numeric)",
            "((email)::text ~~ '%@%'::text)",
        ]),
        // `lower(email)` is an expression index: skipped.
        indexes: vec![],
        rows_estimate: Some(3),
        constraint_names: std::collections::BTreeMap::new(),
    };
    let measurements = Table {
        name: "measurements".into(),
        columns: vec![
            column("at", "date", &[], false),
            column("value", "double precision", &[], true),
        ],
        rows_estimate: None,
        ..Table::default()
    };
    let order_lines = Table {
        name: "order_lines".into(),
        columns: vec![
            column("line", "smallint", &[], false),
            column("order_id", "integer", &[], false),
            column("sku", "text", &[], false),
            column("qty", "integer", &[], false),
            column("weight", "real", &[], true),
        ],
        primary_key: strings(&["order_id", "line"]),
        foreign_keys: vec![ForeignKey {
            columns: strings(&["order_id"]),
            table: "orders".into(),
            ref_columns: strings(&["id"]),
            on_delete: None,
        }],
        checks: strings(&["(qty > 0)"]),
        // Never analysed.
        rows_estimate: None,
        ..Table::default()
    };
    let orders = Table {
        name: "orders".into(),
        columns: vec![
            generated(column("id", "integer", &[], false)),
            column("customer_id", "bigint", &[], false),
            column("region", "char", &[2], true),
            column("code", "varchar", &[20], false),
            with_default(
                column("total", "decimal", &[12, 2], false),
                Default::Number("0".into()),
            ),
            column("warehouse", "integer", &[], true),
        ],
        primary_key: strings(&["id"]),
        unique: vec![strings(&["code", "region"])],
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
                on_delete: None,
            },
            ForeignKey {
                columns: strings(&["warehouse"]),
                table: "other.warehouses".into(),
                ref_columns: strings(&["id"]),
                on_delete: Some("SET NULL".into()),
            },
        ],
        checks: vec![],
        // `orders_one_open_code` is partial and unique: skipped.
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
            column("code", "char", &[2], false),
            column("name", "text", &[], false),
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
        name: Some(database),
        tables: vec![customers, measurements, order_lines, orders, regions],
        views: vec![View {
            name: "big_orders".into(),
            definition: viewdef,
            columns: strings(&["id", "amount"]),
        }],
        procedures: vec![
            Procedure {
                name: "deactivate".into(),
                parameters: strings(&["user_id bigint"]),
                definition: "UPDATE customers SET active = false WHERE id = user_id".into(),
            },
            Procedure {
                name: "orders_of".into(),
                parameters: strings(&["customer bigint", "min_total numeric DEFAULT 0"]),
                definition:
                    "SELECT id, total FROM orders WHERE customer_id = customer AND total >= min_total"
                        .into(),
            },
        ],
    };
    assert_eq!(schema, expected);

    let other = cutover_introspect::postgres(&mut db, "other").expect("introspect other");
    assert_eq!(
        other.tables.iter().map(|t| &t.name).collect::<Vec<_>>(),
        ["warehouses"]
    );
    assert!(other.views.is_empty() && other.procedures.is_empty());
}

#[test]
fn introspect_postgres_missing_schema_is_an_error() {
    let Some(mut db) = pg::database("introspect_missing") else {
        return;
    };
    let error = cutover_introspect::postgres(&mut db, "nowhere").expect_err("no such schema");
    assert!(
        error.to_string().starts_with("reading schema \"nowhere\""),
        "{error}"
    );
    // The read-only transaction ended: the client is usable.
    db.batch_execute("CREATE TABLE t (x int)").expect("usable");
}
