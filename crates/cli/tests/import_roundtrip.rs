//! The import round trip on a real PostgreSQL: DDL → `cutover import` →
//! spec → `cutover build` → the built 10_schema.sql applied with psql →
//! the catalog read back → the same schema as the DDL, in everything a
//! spec's table declarations carry.
//!
//! What a spec does not carry is listed in the scaffold's header and left
//! out of the comparison on both sides: indexes (the build adds its own on
//! foreign keys), views, procedures, `ON DELETE` actions, identity
//! columns, `ON UPDATE` and comments; and the build's bookkeeping column
//! `cutover_batch_id`. `CURRENT_TIMESTAMP` and `now()` are the same value
//! in PostgreSQL and compare equal.

#[path = "../../../tests/support/postgres.rs"]
mod pg;
mod support;

use cutover_import::{ddl, sqltext, Default, Schema};
use std::process::Command;
use support::{cutover, root, text, Scratch};

fn carried(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    s.name = None;
    s.views.clear();
    s.procedures.clear();
    s.tables.sort_by(|a, b| a.name.cmp(&b.name));
    for t in &mut s.tables {
        t.constraint_names.clear();
        t.columns.retain(|c| c.name != "cutover_batch_id");
        for c in &mut t.columns {
            c.generated = false;
            c.on_update = None;
            c.comment = None;
            if let Some(Default::Sql(sql)) = &c.default {
                let canonical = sqltext::canonical_expr(sql);
                let now = canonical == "current_timestamp" || canonical == "now()";
                c.default = Some(Default::Sql(if now { "now()".into() } else { canonical }));
            }
        }
        t.indexes.clear();
        t.rows_estimate = None;
        t.unique.sort();
        for fk in &mut t.foreign_keys {
            fk.on_delete = None;
        }
        t.foreign_keys.sort_by(|a, b| a.columns.cmp(&b.columns));
        t.checks = t
            .checks
            .iter()
            .map(|c| sqltext::canonical_expr(c))
            .collect();
        t.checks.sort();
    }
    s
}

fn round_trip(fixture: &str, test: &str) {
    let Some(mut db) = pg::database(test) else {
        return;
    };
    let name: String = db
        .query_one("SELECT current_database()", &[])
        .expect("name")
        .get(0);
    let scratch = Scratch::new(test);
    let spec = scratch.arg("spec.cutover");
    let ddl_path = format!("tests/import/{fixture}");
    let out = cutover(&["import", &ddl_path, &ddl_path, "-o", &spec]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let build = scratch.arg("build");
    let out = cutover(&["build", &spec, "-o", &build, "--dialect", "postgres"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let base = pg::connection_string().expect("CUTOVER_PG");
    let applied = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(format!("{base} dbname={name}"))
        .arg("-f")
        .arg(scratch.path("build/sql/postgres/10_schema.sql"))
        .output()
        .expect("psql");
    assert!(applied.status.success(), "{}", text(&applied.stderr));

    // The target system is called `new` by default: its schema.
    let read_back = cutover_introspect::postgres(&mut db, "new").expect("introspect");
    let ddl_text = std::fs::read_to_string(root().join(&ddl_path)).expect("fixture");
    let expected = ddl::read(&ddl_text, ddl::Dialect::Postgres).expect("DDL reads");
    assert!(!expected.tables.is_empty());
    assert_eq!(carried(&read_back), carried(&expected));
}

#[test]
fn postgres_ddl_round_trips_through_import_and_build() {
    round_trip("users_postgres.sql", "import_round_trip_users");
}

#[test]
fn pg_dump_output_round_trips_through_import_and_build() {
    round_trip("users_after_pg_dump.sql", "import_round_trip_pg_dump");
}
