use super::*;

const BASE: &str = r#"migration "Diff" { strategy big_bang }
source legacy: sqlite {
  table customers {
    cust_id    int primary key
    first_name varchar(50) not null
    status     char(1)
    rows ~ 100
  }
  table notes { note_id int primary key, body text, rows ~ 10 }
}
target crm: postgres {
  table accounts {
    account_id uuid primary key
    legacy_id  int not null
    first_name varchar(100) not null
    status     varchar(20) not null
  }
  table notes { note_uuid uuid primary key, body text }
}
lookup status_names { "A" | "a" => "Active", "I" => "Inactive", else => "Unknown" }
map legacy.customers -> crm.accounts {
  key account_id = uuid_v5("accounts", cust_id)
  legacy_id = cust_id
  first_name = trim(first_name)
  status = status_names[status]
}
map legacy.notes -> crm.notes {
  key note_uuid = uuid_v5("notes", note_id)
  body = body
}
gate post_load after load {
  count legacy.customers == count crm.accounts + rejected legacy.customers
  unique crm.accounts.account_id
  not_null crm.accounts.first_name tolerance 1%
}
rollback {
  when gate post_load fails
  when rejected legacy.customers > 0.5%
  strategy delete_batch
}
phase prep "Preparation" 2d
phase run "Cutover run" 1d after prep { load; gate post_load }
"#;

fn ir(text: &str) -> Ir {
    let compiled = cutover_check::compile(text);
    assert!(
        !compiled.has_errors(),
        "{:#?}",
        compiled
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    compiled.ir.expect("an IR")
}

/// The summary of BASE against BASE with each `(from, to)` replaced.
fn diff(edits: &[(&str, &str)]) -> Summary {
    let mut new = BASE.to_owned();
    for (from, to) in edits {
        assert!(new.contains(from), "{from}");
        new = new.replacen(from, to, 1);
    }
    let (a, b) = (ir(BASE), ir(&new));
    compare(Spec { ir: &a, text: BASE }, Spec { ir: &b, text: &new })
}

fn fc(field: &str, old: Option<&str>, new: Option<&str>, effect: Option<Effect>) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        old: old.map(str::to_owned),
        new: new.map(str::to_owned),
        effect,
    }
}

#[test]
fn the_same_spec_has_no_changes() {
    assert!(diff(&[]).is_empty());
    assert_eq!(diff(&[]).to_text(), "");
}

#[test]
fn layout_and_comments_are_not_changes() {
    let s = diff(&[
        (
            "first_name = trim(first_name)",
            "first_name = trim( first_name )  # tidy",
        ),
        (
            "unique crm.accounts.account_id",
            "unique  crm.accounts.account_id\n",
        ),
        ("phase prep", "# the first phase\nphase prep"),
    ]);
    assert!(s.is_empty(), "{s:#?}");
}

#[test]
fn a_changed_transform_shows_old_and_new_text() {
    let s = diff(&[(
        "first_name = trim(first_name)",
        "first_name = squish(\n    first_name)",
    )]);
    assert_eq!(s.maps.changed.len(), 1);
    let m = &s.maps.changed[0];
    assert_eq!(m.name, "legacy.customers -> crm.accounts");
    assert_eq!(
        m.columns_changed,
        vec![Named {
            name: "first_name".to_owned(),
            changes: vec![fc(
                "transform",
                Some("trim(first_name)"),
                Some("squish( first_name)"),
                None
            )],
        }]
    );
    assert!(s.lookups.is_empty() && s.gates.is_empty() && s.rollback.is_empty());
}

#[test]
fn columns_on_failure_and_where_of_a_map() {
    let s = diff(&[
        (
            "status = status_names[status]\n",
            "status = status_names[status] else reject \"unknown status\"\n  where status <> \"X\"\n",
        ),
        ("  body = body\n", ""),
        ("note_uuid uuid primary key, body text", "note_uuid uuid primary key"),
        (
            "table notes { note_id int primary key, body text, rows ~ 10 }",
            "table notes { note_id int primary key, body text, rows ~ 10 }",
        ),
        ("  key note_uuid", "  drop body because \"not kept\"\n  key note_uuid"),
    ]);
    let accounts = &s.maps.changed[0];
    assert_eq!(
        accounts.changes,
        vec![fc("where", None, Some("status <> \"X\""), None)]
    );
    assert_eq!(
        accounts.columns_changed[0].changes,
        vec![fc("else", None, Some("reject \"unknown status\""), None)]
    );
    let notes = &s.maps.changed[1];
    assert_eq!(
        notes.columns_removed,
        vec![Assigned {
            column: "body".to_owned(),
            transform: "body".to_owned(),
            on_failure: None
        }]
    );
    assert_eq!(
        notes.drops_added,
        vec![Dropped {
            column: "legacy.notes.body".to_owned(),
            reason: "not kept".to_owned()
        }]
    );
    assert_eq!(s.tables.changed[0].name, "crm.notes");
    assert_eq!(s.tables.changed[0].columns_removed, vec!["body text"]);
}

/// Chunking and syncing a map are changes of the map.
#[test]
fn batch_and_incremental_of_a_map() {
    let s = diff(&[(
        "map legacy.customers -> crm.accounts {\n",
        "map legacy.customers -> crm.accounts {\n  batch 500 by cust_id\n  incremental by cust_id\n",
    )]);
    assert_eq!(
        s.maps.changed[0].changes,
        vec![
            fc("batch", None, Some("batch 500 by cust_id"), None),
            fc("incremental", None, Some("incremental by cust_id"), None),
        ]
    );
}

#[test]
fn maps_added_and_removed_by_name() {
    let s = diff(&[(
        "map legacy.notes -> crm.notes {",
        "map archive: legacy.notes -> crm.notes {",
    )]);
    assert_eq!(s.maps.added, vec!["archive"]);
    assert_eq!(s.maps.removed, vec!["legacy.notes -> crm.notes"]);
}

#[test]
fn lookup_entries_by_key() {
    let s = diff(&[
        (
            r#"{ "A" | "a" => "Active", "I" => "Inactive", else => "Unknown" }"#,
            r#"{ "A" => "Active", "I" => "Idle", "C" => "Closed" }"#,
        ),
        (
            "status = status_names[status]",
            "status = status_names[status] else reject \"unknown\"",
        ),
    ]);
    let l = &s.lookups.changed[0];
    assert_eq!(l.name, "status_names");
    assert_eq!(
        l.entries_added,
        vec![Entry {
            key: "\"C\"".to_owned(),
            value: "\"Closed\"".to_owned()
        }]
    );
    assert_eq!(
        l.entries_removed,
        vec![Entry {
            key: "\"a\"".to_owned(),
            value: "\"Active\"".to_owned()
        }]
    );
    assert_eq!(
        l.entries_changed,
        vec![EntryChange {
            key: "\"I\"".to_owned(),
            old: "\"Inactive\"".to_owned(),
            new: "\"Idle\"".to_owned()
        }]
    );
    assert_eq!(l.changes, vec![fc("else", Some("\"Unknown\""), None, None)]);
}

#[test]
fn gate_checks_tighten_and_loosen() {
    let s = diff(&[
        (
            "not_null crm.accounts.first_name tolerance 1%",
            "not_null crm.accounts.first_name warn tolerance 2%",
        ),
        (
            "unique crm.accounts.account_id",
            "unique crm.accounts.account_id tolerance 5",
        ),
        (
            "count legacy.customers == count crm.accounts + rejected legacy.customers\n",
            "not_null crm.accounts.status\n",
        ),
    ]);
    let g = &s.gates.changed[0];
    assert_eq!(g.checks_added, vec!["not_null crm.accounts.status"]);
    assert_eq!(
        g.checks_removed,
        vec!["count legacy.customers == count crm.accounts + rejected legacy.customers"]
    );
    assert_eq!(
        g.checks_changed,
        vec![
            Named {
                name: "unique crm.accounts.account_id".to_owned(),
                changes: vec![fc(
                    "tolerance",
                    Some("none"),
                    Some("5 rows"),
                    Some(Effect::Loosened)
                )],
            },
            Named {
                name: "not_null crm.accounts.first_name".to_owned(),
                changes: vec![
                    fc(
                        "severity",
                        Some("error"),
                        Some("warn"),
                        Some(Effect::Loosened)
                    ),
                    fc("tolerance", Some("1%"), Some("2%"), Some(Effect::Loosened)),
                ],
            },
        ]
    );
    let back = diff(&[(
        "not_null crm.accounts.first_name tolerance 1%",
        "not_null crm.accounts.first_name error tolerance 0.5%",
    )]);
    assert_eq!(
        back.gates.changed[0].checks_changed[0].changes,
        vec![fc(
            "tolerance",
            Some("1%"),
            Some("0.5%"),
            Some(Effect::Tightened)
        )]
    );
}

#[test]
fn rollback_thresholds_triggers_and_strategy() {
    let s = diff(&[
        ("> 0.5%", "> 2%"),
        ("  when gate post_load fails\n", ""),
        ("strategy delete_batch", "strategy truncate"),
    ]);
    let r = &s.rollback;
    assert_eq!(r.triggers_removed, vec!["when gate post_load fails"]);
    assert_eq!(
        r.triggers_changed,
        vec![Named {
            name: "when rejected legacy.customers >".to_owned(),
            changes: vec![fc(
                "threshold",
                Some("0.5%"),
                Some("2%"),
                Some(Effect::Loosened)
            )],
        }]
    );
    assert_eq!(
        r.changes,
        vec![fc("strategy", Some("delete_batch"), Some("truncate"), None)]
    );
    let lower = diff(&[("> 0.5%", "> 0.1%")]);
    assert_eq!(
        lower.rollback.triggers_changed[0].changes[0].effect,
        Some(Effect::Tightened)
    );
}

#[test]
fn phases_by_name() {
    let s = diff(&[
        (
            "\"Cutover run\" 1d after prep { load; gate post_load }",
            "\"Cutover run\" 36h after prep { load }",
        ),
        (
            "phase prep \"Preparation\" 2d",
            "phase prep \"Preparation\" 2d\nphase review \"Review\" 1w after run",
        ),
    ]);
    assert_eq!(s.phases.added, vec!["review"]);
    assert_eq!(
        s.phases.changed,
        vec![Named {
            name: "run".to_owned(),
            changes: vec![
                fc("duration", Some("1d"), Some("36h"), None),
                fc("steps", Some("load; gate post_load"), Some("load"), None),
            ],
        }]
    );
}

#[test]
fn header_tables_and_fns() {
    let s = diff(&[
        ("strategy big_bang", "strategy phased owner \"data team\""),
        (
            "status     char(1)\n    rows ~ 100",
            "status     char(2)\n    rows ~ 150",
        ),
        (
            "lookup status_names",
            "fn tidy(x: text) -> text = trim(x)\nlookup status_names",
        ),
    ]);
    assert_eq!(
        s.migration,
        vec![
            fc("strategy", Some("big_bang"), Some("phased"), None),
            fc("owner", None, Some("\"data team\""), None),
        ]
    );
    let t = &s.tables.changed[0];
    assert_eq!(t.name, "legacy.customers");
    assert_eq!(t.changes, vec![fc("rows", Some("100"), Some("150"), None)]);
    assert_eq!(
        t.columns_changed[0].changes,
        vec![fc(
            "definition",
            Some("status char(1)"),
            Some("status char(2)"),
            None
        )]
    );
    assert_eq!(s.fns.added, vec!["tidy"]);
}

#[test]
fn text_lists_every_change_with_its_effect() {
    let s = diff(&[
        (
            "first_name = trim(first_name)",
            "first_name = squish(first_name)",
        ),
        ("\"I\" => \"Inactive\"", "\"I\" => \"Idle\""),
        (
            "not_null crm.accounts.first_name tolerance 1%",
            "not_null crm.accounts.first_name warn tolerance 1%",
        ),
        ("> 0.5%", "> 1%"),
        ("1d after prep", "2d after prep"),
    ]);
    let text = s.to_text();
    let expected = "\
~ lookup status_names
    ~ \"I\" => \"Inactive\" → \"Idle\"
~ map legacy.customers -> crm.accounts
    ~ first_name transform: trim(first_name) → squish(first_name)
~ gate post_load
    ~ not_null crm.accounts.first_name severity: error → warn (loosened)
~ rollback
    ~ when rejected legacy.customers > threshold: 0.5% → 1% (loosened)
~ phase run
    ~ duration: 1d → 2d
";
    assert_eq!(text, expected);
}

#[test]
fn json_has_every_key_even_when_empty() {
    let v = serde_json::to_value(diff(&[])).expect("serialises");
    let mut keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "examples",
            "fns",
            "gates",
            "lookups",
            "maps",
            "migration",
            "phases",
            "rollback",
            "tables"
        ]
    );
    assert_eq!(
        v["rollback"],
        serde_json::json!({
            "triggers_added": [], "triggers_removed": [], "triggers_changed": [], "changes": []
        })
    );
}
