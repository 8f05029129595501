//! `10_schema.sql` for every shipped example: snapshotted, and executed on
//! real SQLite (twice: the script is idempotent).

use cutover_backend_sql::{build, Dialect, Postgres, SpecInfo, Sqlite};
use cutover_ir::{Ir, Role};
use std::path::Path;

fn example(name: &str) -> Ir {
    compile(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name)
            .join(format!("{name}.cutover")),
    )
}

fn compile(path: &Path) -> Ir {
    let name = path.display();
    let text = std::fs::read_to_string(path).expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "{name}");
    compiled.ir.expect("ir")
}

fn schema_sql(ir: &Ir, d: &dyn Dialect, name: &str) -> String {
    let spec = SpecInfo {
        path: &format!("examples/{name}/{name}.cutover"),
        sha256: "0000",
        text: "",
    };
    let scripts = build(ir, d, &spec).expect("compiles to SQL");
    scripts
        .into_iter()
        .find(|s| s.name == "10_schema.sql")
        .expect("schema script")
        .text
}

const EXAMPLES: [&str; 3] = ["crm", "ai-platform", "user-management"];

#[test]
fn schema_scripts_are_stable() {
    for name in EXAMPLES {
        let ir = example(name);
        for d in [&Postgres as &dyn Dialect, &Sqlite] {
            let sql = schema_sql(&ir, d, name);
            assert_eq!(sql, schema_sql(&ir, d, name), "byte-identical across runs");
            insta::assert_snapshot!(format!("{name}-{}-10_schema", d.name()), sql);
        }
    }
}

#[test]
fn schema_runs_on_sqlite_twice() {
    for name in EXAMPLES {
        let ir = example(name);
        let sql = schema_sql(&ir, &Sqlite, name);
        let db = sqlite_with_targets(&ir);
        db.execute_batch(&sql)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{sql}"));
        db.execute_batch(&sql)
            .unwrap_or_else(|e| panic!("{name}, second run: {e}"));
        // Every target table exists, with the batch column.
        for t in &ir.tables {
            if ir.system(t.system).role != Role::Target {
                continue;
            }
            let n: i64 = db
                .query_row(
                    &format!(
                        "SELECT count(*) FROM pragma_table_info('{}', '{}') WHERE name = 'cutover_batch_id'",
                        t.name,
                        ir.system(t.system).name
                    ),
                    [],
                    |r| r.get(0),
                )
                .expect("pragma");
            assert_eq!(n, 1, "{name}: {}", t.name);
        }
    }
}

/// An in-memory SQLite with one attached database per target system.
fn sqlite_with_targets(ir: &Ir) -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    for s in &ir.systems {
        if s.role == Role::Target {
            db.execute_batch(&format!(
                "ATTACH DATABASE ':memory:' AS {};",
                Sqlite.ident(&s.name)
            ))
            .expect("attach");
        }
    }
    db
}

#[test]
fn hostile_names_are_quoted_and_run() {
    let ir = compile(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sql/hostile-names.cutover"),
    );
    let sql = schema_sql(&ir, &Sqlite, "hostile-names");
    let db = sqlite_with_targets(&ir);
    db.execute_batch(&sql)
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    // The constraints hold under their hostile names.
    let insert = |key: &str, user: i64, name: &str| {
        db.execute(
            "INSERT INTO \"to \"\"x\"\"\".\"Order\" (\"key\", \"user\", \"Zoë Name\") VALUES (?1, ?2, ?3)",
            rusqlite::params![key, user, name],
        )
    };
    insert("00000000-0000-0000-0000-000000000001", 1, "Zoë").expect("a valid row");
    assert!(
        insert("00000000-0000-0000-0000-000000000002", 1, "dup").is_err(),
        "unique user"
    );
    assert!(
        insert("00000000-0000-0000-0000-000000000003", 2, "").is_err(),
        "check"
    );
    let default: String = db
        .query_row(
            "SELECT \"o'neil\" FROM \"to \"\"x\"\"\".\"Order\"",
            [],
            |r| r.get(0),
        )
        .expect("default");
    assert_eq!(default, "it's");
    insta::assert_snapshot!(
        "hostile-names-postgres-10_schema",
        schema_sql(&ir, &Postgres, "hostile-names")
    );
    insta::assert_snapshot!("hostile-names-sqlite-10_schema", sql);
}
