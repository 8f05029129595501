//! `10_schema.sql` of every shipped example and of the hostile-names spec,
//! executed on a real PostgreSQL server twice (the script is idempotent),
//! with the constraints checked under their quoted names.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

use cutover_backend_sql::{build, Postgres, SpecInfo};
use cutover_ir::{Ir, Role};
use std::path::Path;

fn compile(path: &Path) -> Ir {
    let text = std::fs::read_to_string(path).expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "{}", path.display());
    compiled.ir.expect("ir")
}

fn schema_sql(ir: &Ir) -> String {
    let spec = SpecInfo {
        path: "spec.cutover",
        sha256: "0000",
        text: "",
    };
    build(ir, &Postgres, &spec)
        .expect("compiles to SQL")
        .into_iter()
        .find(|s| s.name == "10_schema.sql")
        .expect("schema script")
        .text
}

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn example_schemas_run_on_postgres_twice() {
    let Some(mut db) = pg::database("example_schemas") else {
        return;
    };
    for name in ["crm", "ai-platform", "user-management"] {
        let ir = compile(&root().join(format!("examples/{name}/{name}.cutover")));
        let sql = schema_sql(&ir);
        for run in ["first", "second"] {
            db.batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{name}, {run} run: {e}"));
        }
        for t in &ir.tables {
            let system = &ir.system(t.system).name;
            if ir.system(t.system).role != Role::Target {
                continue;
            }
            let row = db
                .query_one(
                    "SELECT count(*) FROM information_schema.columns \
                     WHERE table_schema = $1 AND table_name = $2",
                    &[system, &t.name],
                )
                .expect("columns");
            let n: i64 = row.get(0);
            // Every declared column plus the batch column.
            assert_eq!(
                n as usize,
                t.columns.len() + 1,
                "{name}: {system}.{}",
                t.name
            );
        }
        // The next example declares its own schemas.
        let mut systems: Vec<String> = ir
            .systems
            .iter()
            .filter(|s| s.role == Role::Target)
            .map(|s| format!("\"{}\"", s.name))
            .collect();
        systems.push("\"cutover\"".into());
        db.batch_execute(&format!("DROP SCHEMA {} CASCADE", systems.join(", ")))
            .expect("drop schemas");
    }
}

#[test]
fn hostile_names_run_on_postgres() {
    let Some(mut db) = pg::database("hostile_names") else {
        return;
    };
    let ir = compile(&root().join("tests/sql/hostile-names.cutover"));
    let sql = schema_sql(&ir);
    db.batch_execute(&sql)
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let order = "\"to \"\"x\"\"\".\"Order\"";
    let insert = format!(
        "INSERT INTO {order} (\"key\", \"user\", \"Zoë Name\") VALUES ($1::text::uuid, $2, $3)"
    );
    db.execute(
        &insert,
        &[&"00000000-0000-0000-0000-000000000001", &1i32, &"Zoë"],
    )
    .expect("a valid row");
    assert!(db
        .execute(
            &insert,
            &[&"00000000-0000-0000-0000-000000000002", &1i32, &"dup"]
        )
        .is_err());
    assert!(db
        .execute(
            &insert,
            &[&"00000000-0000-0000-0000-000000000003", &2i32, &""]
        )
        .is_err());
    let row = db
        .query_one(&format!("SELECT \"o'neil\" FROM {order}"), &[])
        .expect("default");
    let default: String = row.get(0);
    assert_eq!(default, "it's");
}
