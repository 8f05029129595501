use super::*;
use crate::model::Default as D;

fn seed(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/import/");
    std::fs::read_to_string(format!("{path}{name}")).expect("the seed schema")
}

#[test]
fn the_seed_schemas_read_with_columns_in_their_order() {
    let before = read(&seed("database_schema_before.json")).expect("before reads");
    assert_eq!(before.name.as_deref(), Some("user_management"));
    let names: Vec<&str> = before.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["users", "user_profiles", "user_sessions"]);
    let users = before.table("users").expect("users");
    let columns: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        columns,
        [
            "id",
            "username",
            "email",
            "password_hash",
            "first_name",
            "last_name",
            "created_at",
            "updated_at",
            "is_active",
            "phone"
        ]
    );
    let id = users.column("id").expect("id");
    assert!(id.generated && !id.nullable);
    assert_eq!(users.primary_key, ["id"]);
    assert_eq!(users.unique, [vec!["username"], vec!["email"]]);
    assert_eq!(users.checks.len(), 2);
    assert_eq!(
        users.column("username").expect("c").ty.to_string(),
        "varchar(50)"
    );
    assert_eq!(
        users.column("is_active").expect("c").default,
        Some(D::Bool(true))
    );
    assert_eq!(
        users.column("created_at").expect("c").default,
        Some(D::Sql("CURRENT_TIMESTAMP".into()))
    );
    let profiles = before.table("user_profiles").expect("profiles");
    assert_eq!(
        profiles.column("privacy_level").expect("c").default,
        Some(D::Text("public".into()))
    );
    assert_eq!(profiles.foreign_keys[0].table, "users");
    assert_eq!(profiles.foreign_keys[0].ref_columns, ["id"]);
    assert_eq!(
        profiles.foreign_keys[0].on_delete.as_deref(),
        Some("CASCADE")
    );
    assert_eq!(before.views.len(), 1);
    assert_eq!(before.procedures.len(), 1);

    let after = read(&seed("database_schema_after.json")).expect("after reads");
    let prefs = after.table("user_preferences").expect("user_preferences");
    assert_eq!(prefs.unique, [vec!["user_id", "preference_key"]]);
    assert_eq!(prefs.indexes[0].columns, ["user_id", "preference_key"]);
}

#[test]
fn bad_input_says_what_and_where() {
    let e = read("{\"tables\": {\"t\": {\"columns\": {\"a\": {}}}}}").expect_err("no type");
    assert!(e.message.contains("type"), "{e}");
    assert!(e.at.starts_with("line 1"), "{e}");
    let e = read(
        r#"{"tables": {"t": {"columns": {"a": {"type": "int"}},
        "constraints": {"foreign_key": [{"columns": ["a"], "references": "users"}]}}}}"#,
    )
    .expect_err("bad reference");
    assert_eq!(e.at, "/tables/t/constraints/foreign_key/0/references");
    let e = read(
        r#"{"tables": {"t": {"columns": {"a": {"type": "int"}},
        "constraints": {"primary_key": ["b"]}}}}"#,
    )
    .expect_err("unknown key column");
    assert!(e.message.contains("`b`"), "{e}");
    assert!(read("[1, 2]").is_err());
}
