//! `tests/eval/*.cutover`: the evaluator's semantics written as examples.
//! Every example must pass, and a changed expectation must make one fail
//! (so the comparison is not vacuous).

use chrono::NaiveDate;
use cutover_eval::{run_examples, Outcome};
use std::path::Path;

fn outcomes(text: &str) -> Vec<(String, Outcome)> {
    let compiled = cutover_check::compile(text);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:#?}",
        compiled.diagnostics
    );
    let now = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid");
    run_examples(&compiled.ir.expect("ir"), now)
        .into_iter()
        .map(|r| (r.name, r.outcome))
        .collect()
}

fn semantics_spec() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/eval/semantics.cutover");
    std::fs::read_to_string(path).expect("semantics spec")
}

#[test]
fn every_semantics_example_passes() {
    let results = outcomes(&semantics_spec());
    assert!(results.len() >= 5);
    for (name, outcome) in results {
        assert_eq!(outcome, Outcome::Passed, "{name}");
    }
}

#[test]
fn a_changed_expectation_fails() {
    for (from, to) in [
        // Half away from zero, not half to even.
        ("score: 2.3,", "score: 2.2,"),
        // The first occurrence of a repeated hour.
        (
            "seen_at: \"2024-11-03T05:30:00Z\"",
            "seen_at: \"2024-11-03T06:30:00Z\"",
        ),
        // A group's count includes rows whose amount is NULL.
        ("{ orders: 3,", "{ orders: 2,"),
        // The rule id of a rejection is compared.
        ("expect reject SEM-005", "expect reject SEM-004"),
    ] {
        let text = semantics_spec();
        assert!(text.contains(from), "{from}");
        let failed = outcomes(&text.replacen(from, to, 1))
            .into_iter()
            .filter(|(_, o)| o != &Outcome::Passed)
            .count();
        assert_eq!(failed, 1, "changing {from} to {to}");
    }
}
