//! `compat::compare` on the seed pair (database_schema_before/after.json)
//! and on a pair with every kind of breaking change (evolution_*.json).
//! The scripts themselves run on PostgreSQL in
//! crates/cli/tests/compat_postgres.rs.

use cutover_import::compat::{self, Class};
use cutover_import::{json, report, Schema};

fn fixture(name: &str) -> Schema {
    let path = format!("{}/../../tests/import/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    json::read(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn classes(report: &compat::Report) -> Vec<String> {
    report
        .changes
        .iter()
        .map(|c| format!("{}: {} — {}", c.class.label(), c.object, c.what))
        .collect()
}

#[test]
fn the_seed_pair_has_the_four_potentially_breaking_checks_and_more() {
    let report = compat::compare(
        &fixture("database_schema_before.json"),
        &fixture("database_schema_after.json"),
    );
    assert_eq!(report.exit_code(), 1);
    assert_eq!(report.count(Class::Breaking), 0);
    let potentially: Vec<&str> = report
        .changes
        .iter()
        .filter(|c| c.class == Class::PotentiallyBreaking)
        .map(|c| c.what.as_str())
        .collect();
    assert_eq!(
        potentially,
        [
            "check `phone IS NULL OR LENGTH(phone) >= 10` added",
            "check `bio IS NULL OR LENGTH(bio) <= 2000` added",
            "check `language IN ('en', 'es', 'fr', 'de', 'it', 'pt', 'ru', 'ja', 'ko', 'zh')` added",
            "check `session_type IN ('web', 'mobile', 'api', 'admin')` added",
        ]
    );
    // Checks on columns the migration adds can only be counted after expand.
    assert_eq!(report.scripts.preflight.len(), 2);
    assert_eq!(report.scripts.preflight_contract.len(), 2);
    insta::assert_snapshot!("seed_pair_text", report::text(&report));
    insta::assert_snapshot!("seed_pair_markdown", report::markdown(&report));
}

#[test]
fn every_kind_of_change_is_classified() {
    let report = compat::compare(
        &fixture("evolution_before.json"),
        &fixture("evolution_after.json"),
    );
    assert_eq!(report.exit_code(), 2);
    insta::assert_snapshot!("evolution_classes", classes(&report).join("\n"));
    insta::assert_snapshot!("evolution_markdown", report::markdown(&report));
}

#[test]
fn a_schema_compared_with_itself_has_no_changes() {
    for name in ["database_schema_before.json", "evolution_after.json"] {
        let s = fixture(name);
        let report = compat::compare(&s, &s);
        assert!(report.changes.is_empty(), "{name}: {:?}", classes(&report));
        assert_eq!(report.exit_code(), 0);
        assert!(report.scripts.expand.is_empty() && report.scripts.rollback.is_empty());
    }
}

/// The same check in another spelling (as a catalog prints it back) is no
/// change; a different bound is.
#[test]
fn checks_compare_by_meaning() {
    let before = fixture("database_schema_before.json");
    let mut after = before.clone();
    after.tables[0].checks[1] = "(length((password_hash)::text) >= 60)".to_owned();
    assert!(compat::compare(&before, &after).changes.is_empty());
    after.tables[0].checks[1] = "LENGTH(password_hash) >= 61".to_owned();
    let report = compat::compare(&before, &after);
    assert_eq!(report.changes.len(), 2, "{:?}", classes(&report));
}

#[test]
fn type_changes_are_graded() {
    let before = fixture("evolution_before.json");
    let grade = |ty: &str, params: Vec<u32>| {
        let mut after = before.clone();
        after.tables[0].columns[2].ty = cutover_import::ColumnType::canonical(ty, params);
        let report = compat::compare(&before, &after);
        let c = &report.changes[0];
        (c.class, c.preflight.as_ref().map(|p| p.sql.clone()))
    };
    // customers.name is varchar(100).
    assert_eq!(grade("varchar", vec![200]), (Class::NonBreaking, None));
    assert_eq!(grade("text", vec![]), (Class::NonBreaking, None));
    assert_eq!(
        grade("varchar", vec![50]),
        (
            Class::PotentiallyBreaking,
            Some(
                "SELECT count(*) AS violating FROM \"customers\" WHERE char_length(\"name\") > 50"
                    .into()
            )
        )
    );
    assert_eq!(grade("integer", vec![]).0, Class::Breaking);
}
