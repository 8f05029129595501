//! Examples as the tests of the rules: every rule id has an example that
//! would fail if the rule were wrong, and every example can fail.

use crate::Checker;
use cutover_diagnostics::{codes, Diagnostic};
use cutover_ir::{Assignment, Example, Expectation, Map, MapId, OnFailure, RuleInfo};
use std::collections::BTreeMap;

impl Checker<'_> {
    pub(crate) fn examples(&mut self) {
        let ir = self.ir;
        for e in &ir.examples {
            if matches!(e.expect, Expectation::Nothing) {
                let d = Diagnostic::new(
                    codes::EXAMPLE_WITHOUT_EXPECT,
                    format!("example `{}` has no `expect`", e.name),
                )
                .primary(e.span, "this example can never fail")
                .help("add `expect {…}` with the target row, `expect []` when the map produces no row, or `expect reject \"reason\"` when the row is quarantined");
                self.report(d);
            }
        }

        // One rule id may label groups in several maps (`TRN-007` in every
        // map with timestamps); an example of any of them covers it.
        let mut uses: BTreeMap<&str, Vec<(MapId, &Map, &RuleInfo)>> = BTreeMap::new();
        for (i, m) in ir.maps.iter().enumerate() {
            for rule in &m.rules {
                let id = rule.id.as_str();
                uses.entry(id).or_default().push((MapId(i as u32), m, rule));
            }
        }
        let mut examples: BTreeMap<MapId, Vec<&Example>> = BTreeMap::new();
        for e in &ir.examples {
            examples.entry(e.map).or_default().push(e);
        }
        let mut uncovered: Vec<_> = uses
            .into_iter()
            .filter(|(id, maps)| {
                !maps.iter().any(|(mid, m, _)| {
                    examples
                        .get(mid)
                        .is_some_and(|es| es.iter().any(|e| covers(m, id, e)))
                })
            })
            .filter_map(|(id, maps)| {
                let &(_, map, rule) = maps.iter().min_by_key(|(_, _, r)| r.span.start)?;
                Some((id, map, rule, maps))
            })
            .collect();
        // Report in source order, not id order.
        uncovered.sort_by_key(|(_, _, rule, _)| rule.span.start);
        for (id, first_map, first, maps) in uncovered {
            // Suggest the first map where the rule computes a column: an
            // expected value of that column is what checks the rule.
            let assigned = maps.iter().find_map(|(_, m, _)| {
                let a = assigned_by(m, id).into_iter().next()?;
                Some((m, ir.column(a.target).name.as_str()))
            });
            let help = match assigned {
                Some((m, column)) => format!(
                    "add `example \"…\" for {} {{ given {{…}} expect {{ {column}: … }} }}`: an example whose `expect` names `{column}`, a column the rule assigns",
                    m.name
                ),
                None => format!(
                    "add `example \"…\" for {} {{ given {{…}} expect {{…}} }}`",
                    first_map.name
                ),
            };
            let d = Diagnostic::new(
                codes::RULE_WITHOUT_EXAMPLE,
                format!("rule `{id}` has no example"),
            )
            .primary(first.header, "no example checks what this rule does")
            .help(help);
            self.report(d);
        }
    }
}

/// The assignments of map `m` under rule `id`.
fn assigned_by<'m>(m: &'m Map, id: &str) -> Vec<&'m Assignment> {
    m.assignments
        .iter()
        .filter(|a| {
            a.rule
                .and_then(|r| m.rules.get(r))
                .is_some_and(|r| r.id == id)
        })
        .collect()
}

/// Whether example `e`, of map `m`, would fail if rule `id` in `m` were
/// wrong: it expects a column the rule computes, or a rejection it makes.
fn covers(m: &Map, id: &str, e: &Example) -> bool {
    let assigned = assigned_by(m, id);
    // A rule of drops only computes nothing; any example of its map runs it.
    if assigned.is_empty() {
        return true;
    }
    match &e.expect {
        Expectation::Rows(rows) => rows
            .iter()
            .flat_map(|row| &row.values)
            .any(|(c, _, _)| assigned.iter().any(|a| a.target == *c)),
        Expectation::Reject {
            rule: Some(rule), ..
        } => rule == id,
        Expectation::Reject {
            rule: None, reason, ..
        } => assigned.iter().any(
            |a| matches!(&a.on_failure, Some(OnFailure::Reject { reason: r, .. }) if r == reason),
        ),
        Expectation::Nothing => false,
    }
}

#[cfg(test)]
mod tests {
    use cutover_diagnostics::Diagnostic;

    /// A clean spec whose map has a rule of each kind: TRN-001 computes a
    /// column, TRN-002 can reject, TRN-003 only drops. `names` repeats
    /// TRN-001, so one id labels groups in two maps.
    const SPEC: &str = r#"
migration "Examples" { strategy big_bang }
source legacy: sqlite {
  table customers {
    cust_id    int primary key
    first_name varchar(50) not null
    status     char(1)
    fax        text
    rows ~ 100
  }
}
target crm: postgres {
  table accounts {
    account_id uuid primary key
    legacy_id  int not null
    first_name varchar(100) not null
    status     varchar(20) not null
  }
  table names {
    name_id    uuid primary key
    first_name varchar(100) not null
  }
}
lookup status_names { "A" => "Active", "I" => "Inactive" }
map accounts: legacy.customers -> crm.accounts {
  key account_id = uuid_v5("accounts", cust_id)
  legacy_id = cust_id
  rule TRN-001 "Trimmed names"
    first_name = trim(first_name)
  rule TRN-002 "Readable status"
    status = status_names[status] else reject "unknown status code"
  rule TRN-003 "Fax numbers are not carried"
    drop fax because "no fax in the CRM"
}
map names: legacy.customers -> crm.names {
  key name_id = uuid_v5("names", cust_id)
  rule TRN-001 "Trimmed names"
    first_name = trim(first_name)
}
rollback { strategy delete_batch }
"#;

    /// The findings for `SPEC` plus `examples`; the spec itself is clean,
    /// so everything reported is about rules and examples.
    fn findings(examples: &str) -> Vec<Diagnostic> {
        let compiled = crate::compile(&format!("{SPEC}{examples}"));
        for d in &compiled.diagnostics {
            let code = d.code.as_str();
            assert!(code == "W0394" || code == "W0395", "{d:?}");
        }
        compiled.diagnostics
    }

    /// The rule ids reported by W0394, in order.
    fn uncovered(examples: &str) -> Vec<String> {
        findings(examples)
            .iter()
            .filter(|d| d.code.as_str() == "W0394")
            .filter_map(|d| d.message.split('`').nth(1).map(str::to_owned))
            .collect()
    }

    #[test]
    fn without_examples_every_rule_is_reported_once_in_source_order() {
        let d = findings("");
        assert_eq!(uncovered(""), ["TRN-001", "TRN-002", "TRN-003"]);
        // At the first use of TRN-001, with a column and map to copy.
        assert_eq!(d[0].message, "rule `TRN-001` has no example");
        let help = d[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("for accounts {"), "{help}");
        assert!(help.contains("`first_name`"), "{help}");
        // A rule of drops only has no column to suggest.
        let help = d[2].help.as_deref().unwrap_or_default();
        assert!(help.contains("for accounts {"), "{help}");
    }

    #[test]
    fn a_row_naming_a_column_the_rule_assigns_covers_it() {
        let ex = r#"example "names" for accounts {
  given  { cust_id: 1, first_name: " Ada ", status: "A" }
  expect { first_name: "Ada" }
}"#;
        // (a) covers TRN-001, and (d) TRN-003: any example of its map runs it.
        assert_eq!(uncovered(ex), ["TRN-002"]);
    }

    #[test]
    fn a_row_naming_only_other_columns_covers_nothing_but_drops() {
        let ex = r#"example "ids" for accounts {
  given  { cust_id: 1, first_name: "Ada", status: "A" }
  expect { legacy_id: 1 }
}"#;
        assert_eq!(uncovered(ex), ["TRN-001", "TRN-002"]);
        let none = r#"example "no rows" for accounts {
  given  []
  expect []
}"#;
        assert_eq!(uncovered(none), ["TRN-001", "TRN-002"]);
    }

    #[test]
    fn an_example_of_any_map_using_the_id_covers_it() {
        let ex = r#"example "names" for names {
  given  { cust_id: 1, first_name: " Ada " }
  expect { first_name: "Ada" }
}"#;
        assert_eq!(uncovered(ex), ["TRN-002", "TRN-003"]);
    }

    #[test]
    fn a_rejection_by_rule_id_covers_it() {
        let ex = r#"example "unknown status" for accounts {
  given  { cust_id: 1, first_name: "Ada", status: "X" }
  expect reject TRN-002 "unknown status code"
}"#;
        assert_eq!(uncovered(ex), ["TRN-001"]);
    }

    #[test]
    fn a_rejection_by_reason_covers_the_rule_that_gives_it() {
        let ex = r#"example "unknown status" for accounts {
  given  { cust_id: 1, first_name: "Ada", status: "X" }
  expect reject "unknown status code"
}"#;
        assert_eq!(uncovered(ex), ["TRN-001"]);
        let other = r#"example "unknown status" for accounts {
  given  { cust_id: 1, first_name: "Ada", status: "X" }
  expect reject "some other reason"
}"#;
        assert_eq!(uncovered(other), ["TRN-001", "TRN-002"]);
    }

    #[test]
    fn an_example_without_expect_is_reported_and_covers_only_drops() {
        let ex = r#"example "no expect" for accounts {
  given { cust_id: 1, first_name: "Ada", status: "A" }
}"#;
        let d = findings(ex);
        let codes: Vec<&str> = d.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["W0394", "W0394", "W0395"]);
        assert_eq!(d[2].message, "example `no expect` has no `expect`");
        assert_eq!(uncovered(ex), ["TRN-001", "TRN-002"]);
    }

    #[test]
    fn every_rule_covered_is_clean() {
        let ex = r#"example "names and statuses" for accounts {
  given  { cust_id: 1, first_name: " Ada ", status: "A" }
  expect { first_name: "Ada", status: "Active" }
}"#;
        assert!(findings(ex).is_empty());
    }
}
