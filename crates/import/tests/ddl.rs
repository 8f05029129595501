//! The DDL reader on the fixtures of tests/import: hand-written PostgreSQL
//! and SQLite scripts, real `pg_dump --schema-only` and `sqlite3 .schema`
//! output, compared with the JSON reader's schemas of the seeds.

use cutover_import::ddl::{self, Dialect};
use cutover_import::sqltext::{canonical_expr, canonical_query};
use cutover_import::{json, Schema};

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/import/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str, dialect: Dialect) -> Schema {
    ddl::read(&fixture(name), dialect).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What two readers must agree on. MySQL's `ON UPDATE` has no DDL in
/// PostgreSQL or SQLite, so it is cleared, and so are constraint names,
/// which JSON does not have; checks and view bodies are compared in their
/// canonical spelling.
fn comparable(mut schema: Schema) -> Schema {
    schema.name = None;
    for t in &mut schema.tables {
        t.constraint_names.clear();
        for c in &mut t.columns {
            c.on_update = None;
        }
        for check in &mut t.checks {
            *check = canonical_expr(check);
        }
    }
    for v in &mut schema.views {
        v.definition = canonical_query(&v.definition);
    }
    for p in &mut schema.procedures {
        p.definition = canonical_query(&p.definition);
        for param in &mut p.parameters {
            *param = param.to_lowercase();
        }
    }
    schema
}

fn assert_same(got: &Schema, want: &Schema) {
    let names = |s: &Schema| s.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(got), names(want));
    for (g, w) in got.tables.iter().zip(&want.tables) {
        assert_eq!(g, w, "table {}", w.name);
    }
    assert_eq!(got.views, want.views);
    assert_eq!(got.procedures, want.procedures);
}

#[test]
fn postgres_ddl_reads_as_the_json_schema() {
    let want = comparable(json::read(&fixture("database_schema_before.json")).expect("json"));
    let got = comparable(read("users_postgres.sql", Dialect::Postgres));
    assert_same(&got, &want);
}

#[test]
fn pg_dump_output_reads_as_the_hand_written_script() {
    let mut got = comparable(read("users_pg_dump.sql", Dialect::Postgres));
    let want = comparable(read("users_postgres.sql", Dialect::Postgres));
    // The dumped database had one comment more than the script.
    let phone = got.tables[0].columns.iter_mut().find(|c| c.name == "phone");
    let phone = phone.expect("users.phone");
    assert_eq!(phone.comment.as_deref(), Some("E.164, may be missing"));
    phone.comment = None;
    // pg_dump orders tables by name and adds keys after the tables.
    got.tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut want = want;
    want.tables.sort_by(|a, b| a.name.cmp(&b.name));
    for t in got.tables.iter_mut().chain(want.tables.iter_mut()) {
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        t.unique.sort();
    }
    assert_same(&got, &want);
}

#[test]
fn the_after_schema_reads_as_its_json_hand_written_and_dumped() {
    let mut want = comparable(json::read(&fixture("database_schema_after.json")).expect("json"));
    // The seed's `get_user_with_profile` is MySQL's (`SELECT u.*` with a
    // parameter named like a column); the script's is a PostgreSQL
    // function returning a table. Only the names are compared.
    let procedures = |s: &mut Schema| {
        std::mem::take(&mut s.procedures)
            .into_iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
    };
    let want_procedures = procedures(&mut want);
    for file in ["users_after_postgres.sql", "users_after_pg_dump.sql"] {
        let mut got = comparable(read(file, Dialect::Postgres));
        let mut got_procedures = procedures(&mut got);
        got_procedures.sort();
        assert_eq!(got_procedures, want_procedures, "{file}");
        let mut want = want.clone();
        for s in [&mut got, &mut want] {
            s.tables.sort_by(|a, b| a.name.cmp(&b.name));
            s.views.sort_by(|a, b| a.name.cmp(&b.name));
            for t in &mut s.tables {
                t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
                t.unique.sort();
                t.checks.sort();
            }
        }
        assert_same(&got, &want);
    }
}

#[test]
fn sqlite_ddl_and_its_schema_dump_read_as_the_json_schema() {
    let mut want = comparable(json::read(&fixture("database_schema_before.json")).expect("json"));
    want.procedures.clear();
    for t in &mut want.tables {
        // SQLite's generated keys are INTEGER PRIMARY KEY (the rowid).
        for c in &mut t.columns {
            if c.generated {
                c.ty = cutover_import::ColumnType::canonical("integer", Vec::new());
            }
        }
    }
    for file in ["users_sqlite.sql", "users_sqlite_schema.sql"] {
        let got = comparable(read(file, Dialect::Sqlite));
        assert_same(&got, &want);
    }
}

#[test]
fn sqlite_integer_primary_key_is_the_generated_rowid() {
    let s = ddl::read(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);
         CREATE TABLE b (id INTEGER, PRIMARY KEY (id));
         CREATE TABLE c (id INTEGER PRIMARY KEY) WITHOUT ROWID;
         CREATE TABLE d (id BIGINT PRIMARY KEY);
         CREATE TABLE e (id INT PRIMARY KEY AUTOINCREMENT);",
        Dialect::Sqlite,
    )
    .expect("reads");
    let generated: Vec<bool> = s.tables.iter().map(|t| t.columns[0].generated).collect();
    assert_eq!(generated, [true, true, false, false, true]);
}

#[test]
fn names_keep_their_last_part_and_fold_unless_quoted() {
    let s = ddl::read(
        r#"CREATE TABLE Public.Orders ("OrderId" INT NOT NULL, Total NUMERIC(12, 2));
           COMMENT ON COLUMN public.orders."OrderId" IS 'the key';"#,
        Dialect::Postgres,
    )
    .expect("reads");
    let t = &s.tables[0];
    assert_eq!(t.name, "orders");
    assert_eq!(t.columns[0].name, "OrderId");
    assert_eq!(t.columns[0].comment.as_deref(), Some("the key"));
    assert_eq!(t.columns[1].name, "total");
    assert_eq!(t.columns[1].ty.to_string(), "decimal(12, 2)");
}

#[test]
fn constraints_of_every_form_are_read() {
    let s = ddl::read(
        "CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b));
         CREATE TABLE c (
           id SERIAL PRIMARY KEY,
           a INT, b INT,
           parent INT REFERENCES c ON DELETE SET NULL,
           n INT CONSTRAINT positive CHECK (n > 0),
           CONSTRAINT c_ab UNIQUE (a, b),
           FOREIGN KEY (a, b) REFERENCES p (a, b) ON DELETE NO ACTION,
           CHECK (a <> b)
         );
         ALTER TABLE ONLY c ADD CONSTRAINT c_n CHECK ((n < 100)) NOT VALID;
         ALTER TABLE c ALTER COLUMN a SET NOT NULL, ALTER COLUMN b SET DEFAULT 7;",
        Dialect::Postgres,
    )
    .expect("reads");
    let p = &s.tables[0];
    assert_eq!(p.primary_key, ["a", "b"]);
    assert!(p.columns.iter().all(|c| !c.nullable));
    let c = &s.tables[1];
    assert!(c.columns[0].generated);
    assert_eq!(c.unique, [vec!["a".to_owned(), "b".to_owned()]]);
    assert_eq!(c.foreign_keys[0].table, "c");
    assert_eq!(c.foreign_keys[0].ref_columns, ["id"]);
    assert_eq!(c.foreign_keys[0].on_delete.as_deref(), Some("SET NULL"));
    assert_eq!(c.foreign_keys[1].on_delete, None);
    assert_eq!(c.checks, ["n > 0", "a <> b", "(n < 100)"]);
    assert!(!c.columns[1].nullable);
    assert_eq!(
        c.columns[2].default,
        Some(cutover_import::Default::Number("7".into()))
    );
}

#[test]
fn expression_indexes_are_skipped_unless_unique() {
    let ok = ddl::read(
        "CREATE TABLE t (email TEXT, active BOOLEAN);
         CREATE INDEX t_lower ON t (lower(email));
         CREATE INDEX ON t (email) WHERE active;",
        Dialect::Postgres,
    )
    .expect("reads");
    let names: Vec<&str> = ok.tables[0]
        .indexes
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["t_email_idx"]);
    let err = ddl::read(
        "CREATE TABLE t (email TEXT);\nCREATE UNIQUE INDEX t_lower ON t (lower(email));",
        Dialect::Postgres,
    )
    .expect_err("a unique expression index");
    assert_eq!(err.at, "line 2, column 1");
    assert!(err.message.contains("lower(email)"), "{err}");
}

#[test]
fn views_name_their_columns() {
    let s = ddl::read(
        "CREATE TABLE t (a INT, b INT);
         CREATE TABLE u (c INT);
         CREATE VIEW v1 AS SELECT t.a AS x, b, count(*), 1 + 1 FROM t GROUP BY t.a, b;
         CREATE VIEW v2 (p, q) AS SELECT a, b FROM t;
         CREATE VIEW v3 AS SELECT * FROM t JOIN u ON t.a = u.c;
         CREATE VIEW v4 AS SELECT u.* FROM t JOIN u ON t.a = u.c;",
        Dialect::Postgres,
    )
    .expect("reads");
    let columns: Vec<Vec<String>> = s.views.iter().map(|v| v.columns.clone()).collect();
    assert_eq!(
        columns,
        [
            vec!["x", "b", "count", "?column?"],
            vec!["p", "q"],
            vec!["a", "b", "c"],
            vec!["c"],
        ]
    );
    assert_eq!(s.views[1].definition, "SELECT a, b FROM t");
}

#[test]
fn sql_functions_and_procedures_are_read_and_others_skipped() {
    let s = ddl::read(
        "CREATE FUNCTION f(user_id BIGINT, INOUT n integer DEFAULT 1) RETURNS integer
           LANGUAGE sql IMMUTABLE AS 'SELECT 1';
         CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS $body$ DELETE FROM t $body$;
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN NEW.updated_at := now(); RETURN NEW; END; $$;",
        Dialect::Postgres,
    )
    .expect("reads");
    let got: Vec<(&str, Vec<String>, &str)> = s
        .procedures
        .iter()
        .map(|p| (p.name.as_str(), p.parameters.clone(), p.definition.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "f",
                vec![
                    "user_id bigint".to_owned(),
                    "inout n integer DEFAULT 1".to_owned()
                ],
                "SELECT 1"
            ),
            ("p", vec![], "DELETE FROM t"),
        ]
    );
}

#[test]
fn harmless_statements_are_ignored() {
    let s = ddl::read(
        "SET client_encoding = 'UTF8';
         SELECT pg_catalog.set_config('search_path', '', false);
         BEGIN;
         CREATE SCHEMA app;
         CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
         CREATE SEQUENCE s START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
         CREATE TABLE t (id INT);
         ALTER TABLE t OWNER TO someone;
         ALTER SEQUENCE s OWNED BY t.id;
         ALTER PROCEDURE p() OWNER TO someone;
         GRANT SELECT ON t TO PUBLIC;
         REVOKE ALL ON t FROM PUBLIC;
         CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
         COMMENT ON TABLE t IS 'x';
         CREATE VIEW v AS SELECT id FROM t;
         COMMENT ON COLUMN v.id IS 'x';
         CREATE TABLE m (day DATE) PARTITION BY RANGE (day);
         CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         COMMIT;",
        Dialect::Postgres,
    )
    .expect("reads");
    let names: Vec<&str> = s.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["t", "m"]);
}

#[test]
fn a_syntax_error_gives_its_line_and_column() {
    let err = ddl::read(
        "CREATE TABLE t (id INT);\n\nCREATE TABLE u (\n  id INT NOT NULL,\n  name VARCHAR(10) NOT NUL\n);",
        Dialect::Postgres,
    )
    .expect_err("a syntax error");
    // sqlparser stops at `NOT`, which cannot start a column option there.
    assert_eq!(err.at, "line 5, column 20");
    assert!(err.message.contains("found: NOT"), "{err}");
    assert!(err.message.contains("CREATE TABLE u"), "{err}");
}

#[test]
fn an_unsupported_object_is_named() {
    let err = ddl::read(
        "CREATE TABLE t (id INT);\n  CREATE TYPE mood AS ENUM ('sad', 'ok');",
        Dialect::Postgres,
    )
    .expect_err("CREATE TYPE");
    assert_eq!(err.at, "line 2, column 3");
    assert!(err.message.contains("CREATE TYPE mood"), "{err}");
    let err = ddl::read(
        "CREATE TABLE t (id INT);\nALTER TABLE t RENAME COLUMN id TO key;",
        Dialect::Postgres,
    )
    .expect_err("RENAME");
    assert!(err.message.contains("RENAME COLUMN"), "{err}");
    let err = ddl::read("COMMENT ON COLUMN nope.c IS 'x';", Dialect::Postgres)
        .expect_err("unknown table");
    assert!(err.message.contains("`nope`"), "{err}");
}

/// `CONSTRAINT name …` is kept, so that scripts drop it by that name.
#[test]
fn constraint_names_are_kept() {
    let schema = ddl::read(
        "CREATE TABLE o (id bigint PRIMARY KEY);
         CREATE TABLE a (id bigint CONSTRAINT a_id_pk PRIMARY KEY,
                         email text CONSTRAINT a_email_uq UNIQUE,
                         owner bigint,
                         CONSTRAINT a_owner_fk FOREIGN KEY (owner) REFERENCES o (id));",
        Dialect::Postgres,
    )
    .expect("reads");
    let a = schema.table("a").expect("a");
    assert_eq!(
        a.constraint_names.values().collect::<Vec<_>>(),
        ["a_owner_fk", "a_id_pk", "a_email_uq"]
    );
    assert!(schema.table("o").expect("o").constraint_names.is_empty());
}
