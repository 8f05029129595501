//! `cutover compat`'s report as text and as Markdown (JSON is the
//! serialised [`Report`]).

use crate::compat::{Change, Class, Report};

const CLASSES: [Class; 4] = [
    Class::Breaking,
    Class::PotentiallyBreaking,
    Class::NonBreaking,
    Class::Additive,
];

fn verdict(report: &Report) -> &'static str {
    match report.overall() {
        Some(Class::Breaking) => "BREAKING",
        Some(Class::PotentiallyBreaking) => "POTENTIALLY BREAKING",
        Some(_) => "COMPATIBLE",
        None => "NO CHANGES",
    }
}

fn title(report: &Report) -> String {
    match (&report.before, &report.after) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ => "before → after".to_owned(),
    }
}

/// The terminal report: the verdict, the counts, then each change under its
/// class with its preflight query. The scripts are written by `-o DIR`.
pub fn text(report: &Report) -> String {
    let mut out = format!("compatibility of {}: {}\n", title(report), verdict(report));
    out.push_str(&format!(
        "  {} breaking, {} potentially breaking, {} non-breaking, {} additive\n",
        report.count(Class::Breaking),
        report.count(Class::PotentiallyBreaking),
        report.count(Class::NonBreaking),
        report.count(Class::Additive)
    ));
    for class in CLASSES {
        let changes: Vec<&Change> = report.changes.iter().filter(|c| c.class == class).collect();
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{}:\n", class.label()));
        for c in changes {
            out.push_str(&format!("  {}: {}\n    {}\n", c.object, c.what, c.impact));
            if let Some(p) = &c.preflight {
                out.push_str(&format!(
                    "    preflight{}: {}\n",
                    if p.after_expand {
                        " (after expand)"
                    } else {
                        ""
                    },
                    p.sql
                ));
            }
        }
    }
    let s = &report.scripts;
    out.push_str(&format!(
        "\nscripts: {} preflight, {} preflight after expand, {} expand, {} contract, {} rollback statements (write them with -o DIR)\n",
        s.preflight.len(),
        s.preflight_contract.len(),
        s.expand.len(),
        s.contract.len(),
        s.rollback.len()
    ));
    out
}

/// The report for a pull request or a runbook: a table of changes, then
/// every script in order.
pub fn markdown(report: &Report) -> String {
    let mut out = format!(
        "# Schema compatibility: {}\n\n**{}**: {} breaking, {} potentially breaking, {} non-breaking, {} additive.\n\n",
        title(report),
        verdict(report),
        report.count(Class::Breaking),
        report.count(Class::PotentiallyBreaking),
        report.count(Class::NonBreaking),
        report.count(Class::Additive)
    );
    if !report.changes.is_empty() {
        out.push_str("| class | object | change | impact |\n|---|---|---|---|\n");
        for class in CLASSES {
            for c in report.changes.iter().filter(|c| c.class == class) {
                out.push_str(&format!(
                    "| {} | `{}` | {} | {} |\n",
                    class.label(),
                    c.object,
                    cell(&c.what),
                    cell(&c.impact)
                ));
            }
        }
        out.push('\n');
    }
    let s = &report.scripts;
    let sections = [
        (
            "Preflight",
            "Run on the current schema; each query counts the rows a new constraint would reject. Every count must be 0.",
            &s.preflight,
        ),
        (
            "Preflight after expand",
            "Constraints on columns the expand phase adds: run these between expand and contract.",
            &s.preflight_contract,
        ),
        (
            "Expand",
            "Additive and safe while the old version runs. Run statement by statement (psql does), outside a transaction: indexes are built concurrently.",
            &s.expand,
        ),
        (
            "Contract",
            "Once the new version is live: validates constraints against existing rows and removes what the new schema dropped (dropped data is kept in `cutover_backup`).",
            &s.contract,
        ),
        (
            "Rollback",
            "Returns the schema to the before version from any point after expand, restoring dropped data from `cutover_backup`.",
            &s.rollback,
        ),
    ];
    for (name, note, statements) in sections {
        if statements.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "## {name}\n\n{note}\n\n```sql\n{}```\n\n",
            script(statements)
        ));
    }
    out
}

/// Statements as a script, each ended by `;`.
pub fn script(statements: &[String]) -> String {
    statements.iter().map(|s| format!("{s};\n")).collect()
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
