//! Hover and go-to-definition on the CRM example, for every kind of
//! declaration: where each use leads, and what a hover says.

use cutover_lsp::analysis::{complete, definition, hover, symbol_at, CompletionKind, Symbol};
use std::path::Path;

fn crm() -> (String, cutover_ir::Ir) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/crm/crm.cutover");
    let text = std::fs::read_to_string(path).expect("spec");
    let ir = cutover_check::compile(&text).ir.expect("ir");
    (text, ir)
}

/// The offset `into` bytes into the `nth` match of `needle`.
fn at(text: &str, needle: &str, nth: usize, into: usize) -> usize {
    text.match_indices(needle).nth(nth).expect(needle).0 + into
}

/// The declaration a use leads to, as the text of its line.
fn goes_to(text: &str, ir: &cutover_ir::Ir, offset: usize) -> String {
    let s = symbol_at(text, ir, offset).expect("a symbol");
    let (start, end) = definition(text, ir, s).expect("a definition");
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    text[line_start..line_end].trim().to_owned()
}

#[test]
fn every_kind_of_use_leads_to_its_declaration() {
    let (text, ir) = crm();
    // A table in a map header, a system, a `ref`.
    let header = "map accounts: legacy.customers -> crm.accounts";
    assert_eq!(
        goes_to(&text, &ir, at(&text, header, 0, 24)),
        "table customers {"
    );
    assert!(goes_to(&text, &ir, at(&text, header, 0, 16)).starts_with("source legacy"));
    assert_eq!(
        goes_to(&text, &ir, at(&text, "ref accounts(", 0, 6)),
        "table accounts {"
    );
    // A map, a gate and a phase named in phases.
    assert!(goes_to(&text, &ir, at(&text, "gate preflight\n", 0, 7))
        .starts_with("gate preflight before load"));
    assert!(goes_to(&text, &ir, at(&text, "after profiling", 0, 8)).starts_with("phase profiling"));
    let load = at(&text, "load accounts", 0, 7);
    assert!(goes_to(&text, &ir, load).starts_with("map accounts:"));
    // A target column on the left of an assignment.
    assert!(
        goes_to(&text, &ir, at(&text, "legacy_cust_id = cust_id", 0, 3))
            .starts_with("legacy_cust_id int")
    );
    // A built-in has no declaration; its hover is its documentation.
    let trim = symbol_at(&text, &ir, at(&text, "trim(first_name)", 0, 1)).expect("trim");
    assert!(matches!(trim, Symbol::Builtin(_)));
    assert_eq!(definition(&text, &ir, trim), None);
    let doc = include_str!("../../../docs/functions.md");
    assert!(hover(&text, &ir, trim, doc).contains("trim("));
}

#[test]
fn hovers_say_what_a_reviewer_needs() {
    let (text, ir) = crm();
    let doc = include_str!("../../../docs/functions.md");
    let say = |offset: usize| {
        hover(
            &text,
            &ir,
            symbol_at(&text, &ir, offset).expect("symbol"),
            doc,
        )
    };
    let email = say(at(&text, "lower(trim(email))", 0, 12));
    assert!(
        email.contains("`legacy.customers.email`")
            && email.contains("nullable")
            && email.contains("pii"),
        "{email}"
    );
    let table = say(at(&text, "-> crm.accounts", 0, 8));
    assert!(
        table.contains("**table** `crm.accounts`") && table.contains("primary key (account_id)"),
        "{table}"
    );
    let gate = say(at(&text, "gate preflight\n", 0, 7));
    assert!(gate.contains("**gate** `preflight`"), "{gate}");
}

#[test]
fn completion_offers_tables_then_columns() {
    let (text, ir) = crm();
    let after = |prefix: &str| {
        let t = format!("{text}\n{prefix}");
        complete(&t, &ir, t.len())
    };
    let tables = after("legacy.");
    assert!(tables.iter().all(|c| c.kind == CompletionKind::Table));
    assert!(tables.iter().any(|c| c.label == "customers"));
    let columns = after("legacy.customers.");
    assert!(columns
        .iter()
        .any(|c| c.label == "status_flag" && c.detail.contains("char(1)")));
    assert!(after("crm.nope.").is_empty());
    let all = after("x = ");
    assert!(all.iter().any(|c| c.label == "crm.accounts"));
}

#[test]
fn a_fn_call_leads_to_the_fn_and_shows_its_signature() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/user-management/user-management.cutover");
    let text = std::fs::read_to_string(path).expect("spec");
    let ir = cutover_check::compile(&text).ir.expect("ir");
    let call = at(&text, "= session_kind(user_agent)", 0, 4);
    assert!(goes_to(&text, &ir, call).starts_with("fn session_kind(ua: text?) -> varchar(20)"));
    let s = symbol_at(&text, &ir, call).expect("fn");
    let shown = hover(&text, &ir, s, "");
    assert_eq!(shown, "**fn** `session_kind(ua: text?) -> varchar(20)`");
    // The argument is a column, not the fn.
    let arg = symbol_at(&text, &ir, at(&text, "session_kind(user_agent)", 0, 15)).expect("column");
    assert!(matches!(arg, Symbol::Column(_)));
}
