//! The runbook of every example, read back by a real CommonMark/GFM parser
//! (pulldown-cmark) and the mapping spreadsheet by a real CSV reader.

use cutover_backend_docs::{build, Source};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::path::{Path, PathBuf};

const EXAMPLES: [&str; 3] = ["crm", "user-management", "ai-platform"];

const SECTIONS: [&str; 10] = [
    "1. Summary",
    "2. Scope",
    "3. Field mapping",
    "4. Transformation rules",
    "5. Validation gates",
    "6. Rollback",
    "7. Timeline",
    "8. Cutover checklist",
    "9. Risks",
    "10. Communication",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Built {
    ir: cutover_ir::Ir,
    runbook: String,
    csv: String,
}

fn built(name: &str) -> Built {
    let path = format!("examples/{name}/{name}.cutover");
    let text = std::fs::read_to_string(root().join(&path)).expect("spec");
    let compiled = cutover_check::compile(&text);
    assert!(!compiled.has_errors(), "{name}");
    let ir = compiled.ir.expect("ir");
    let files = build(
        &ir,
        &Source {
            path: &path,
            sha256: "0",
            text: &text,
        },
        None,
    )
    .expect("templates render");
    let file = |n: &str| {
        files
            .iter()
            .find(|f| f.path == n)
            .map(|f| f.text.clone())
            .expect("file")
    };
    Built {
        runbook: file("runbook.md"),
        csv: file("mapping.csv"),
        ir,
    }
}

/// Every table of the document: its rows of cells (the header first).
struct Parsed {
    headings: Vec<String>,
    tables: Vec<Vec<Vec<String>>>,
    mermaid: Vec<String>,
    tasks: usize,
}

fn parse(md: &str) -> Parsed {
    let mut p = Parsed {
        headings: Vec::new(),
        tables: Vec::new(),
        mermaid: Vec::new(),
        tasks: 0,
    };
    let mut heading: Option<String> = None;
    let mut cell: Option<String> = None;
    let mut code: Option<String> = None;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                p.headings.extend(heading.take());
            }
            Event::Start(Tag::Table(_)) => p.tables.push(Vec::new()),
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                if let Some(t) = p.tables.last_mut() {
                    t.push(Vec::new());
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(t), Some(c)) = (p.tables.last_mut(), cell.take()) {
                    if let Some(row) = t.last_mut() {
                        row.push(c);
                    }
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if &*lang == "mermaid" => {
                code = Some(String::new())
            }
            Event::End(TagEnd::CodeBlock) => p.mermaid.extend(code.take()),
            Event::TaskListMarker(_) => p.tasks += 1,
            Event::Text(t) | Event::Code(t) => {
                for s in [&mut heading, &mut cell, &mut code].into_iter().flatten() {
                    s.push_str(&t);
                }
            }
            _ => {}
        }
    }
    p
}

#[test]
fn every_runbook_has_every_section_and_consistent_tables() {
    for name in EXAMPLES {
        let b = built(name);
        let p = parse(&b.runbook);
        let sections: Vec<&str> = p
            .headings
            .iter()
            .map(String::as_str)
            .filter(|h| SECTIONS.contains(h))
            .collect();
        assert_eq!(sections, SECTIONS, "{name}: sections in order");
        assert!(p.tables.len() >= 10, "{name}: {} tables", p.tables.len());
        for (i, t) in p.tables.iter().enumerate() {
            let width = t[0].len();
            assert!(width >= 1, "{name}: table {i} is empty");
            for (r, row) in t.iter().enumerate() {
                assert_eq!(row.len(), width, "{name}: table {i} row {r}: {row:?}");
            }
        }
        assert_eq!(p.mermaid.len(), 1, "{name}: one Mermaid chart");
        assert!(p.mermaid[0].starts_with("gantt"), "{name}");
        assert!(p.tasks >= 10, "{name}: the checklist has {} boxes", p.tasks);
    }
}

#[test]
fn the_csv_reads_back_as_the_mapping_table() {
    for name in EXAMPLES {
        let b = built(name);
        let mut reader = csv::ReaderBuilder::new().from_reader(b.csv.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(header, cutover_backend_docs::csv::HEADER, "{name}");
        let records: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.expect("record").iter().map(String::from).collect())
            .collect();
        let p = parse(&b.runbook);
        let table = p
            .tables
            .iter()
            .find(|t| t[0].first().map(String::as_str) == Some("Source table"))
            .expect("the field mapping table");
        assert_eq!(
            records.len(),
            table.len() - 1,
            "{name}: one CSV record per row"
        );
        for (record, row) in records.iter().zip(&table[1..]) {
            assert_eq!(record.len(), 12, "{name}");
            // The Markdown shows the same text (code spans and escapes aside).
            for i in [0, 1, 4, 5, 8, 10] {
                assert_eq!(record[i], row[i], "{name}: column {i}");
            }
        }
        let targets: usize =
            b.ir.maps
                .iter()
                .map(|m| b.ir.table(m.target).columns.len() + m.drops.len())
                .sum();
        assert_eq!(
            records.len(),
            targets,
            "{name}: every target column and drop"
        );
    }
}

#[test]
fn no_example_value_of_a_pii_column_reaches_the_runbook() {
    for name in EXAMPLES {
        let b = built(name);
        let mut checked = 0;
        for e in &b.ir.examples {
            let rows = e.given.iter().flat_map(|(_, rows)| rows);
            for row in rows {
                for (c, v, _) in &row.values {
                    if let cutover_ir::Const::Text(t) = v {
                        // Longer than a code any column might hold (`"A"`).
                        if b.ir.column(*c).pii && t.trim().chars().count() >= 3 {
                            checked += 1;
                            // As an example table would show it.
                            assert!(
                                !b.runbook.contains(&format!("{t:?}")),
                                "{name}: PII value {t:?} of {} in the runbook",
                                b.ir.column(*c).name
                            );
                        }
                    }
                }
            }
        }
        assert!(checked > 0, "{name}: no PII example value to check");
    }
}

#[test]
fn output_is_deterministic() {
    for name in EXAMPLES {
        assert_eq!(built(name).runbook, built(name).runbook, "{name}");
    }
}

/// A spec with chunked and synced maps under `strategy parallel_run`: the
/// timeline says how the load, the syncs, the reconciliation and the
/// switch run, and the way back; a spec without them says nothing of it.
#[test]
fn phased_loads_and_the_parallel_run_are_in_the_timeline() {
    let path = "tests/check/valid/phased-loads.cutover";
    let text = std::fs::read_to_string(root().join(path)).expect("spec");
    let runbook = &runbook_of(path, &text);
    let parsed = parse(runbook);
    let sections: Vec<&str> = parsed
        .headings
        .iter()
        .map(String::as_str)
        .filter(|h| SECTIONS.contains(h))
        .collect();
    assert_eq!(sections, SECTIONS, "the sections stay in order");
    for expected in [
        "### Initial load, syncs and the switch",
        "`accounts` in chunks of 50,000 rows by `cust_id`",
        "run `32_sync.sql` every 15m (`sync_every`)",
        "`accounts` by `updated_at`, reading back 30s, deletions by flag",
        "`orders` by `row_version`, deletions by missing keys",
        "gate `reconciled` must pass; `41_ranges.sql`",
        "### Parallel run",
        "run `91_sync_rollback.sql` once per sync since the load",
    ] {
        assert!(runbook.contains(expected), "missing {expected:?}");
    }
    for name in ["crm", "user-management", "ai-platform"] {
        assert!(!built(name).runbook.contains("### Parallel run"), "{name}");
    }
}

/// The runbook of a spec outside the examples.
fn runbook_of(path: &str, text: &str) -> String {
    let compiled = cutover_check::compile(text);
    assert!(!compiled.has_errors(), "{path}");
    let ir = compiled.ir.expect("ir");
    let files = build(
        &ir,
        &Source {
            path,
            sha256: "0",
            text,
        },
        None,
    )
    .expect("templates render");
    files
        .into_iter()
        .find(|f| f.path == "runbook.md")
        .expect("runbook")
        .text
}

/// Section 7 of a runbook, from its heading to the next section's.
fn timeline_section(runbook: &str) -> &str {
    let start = runbook.find("## 7. Timeline").expect("section 7");
    let end = runbook[start..]
        .find("## 8. ")
        .map_or(runbook.len(), |e| start + e);
    &runbook[start..end]
}

/// The chart of a spec with synced maps draws the initial load (the
/// estimate of the last phase that loads them, not the rehearsal), the
/// sync cycles at `sync_every` until the phase that runs the reconcile
/// gate, the final sync and reconciliation in that phase, and the switch
/// at its end; a cadence with too many cycles to draw is one bar.
#[test]
fn the_chart_draws_the_load_the_syncs_and_the_switch() {
    let path = "crates/backend-docs/tests/fixtures/phased-timeline.cutover";
    let text = std::fs::read_to_string(root().join(path)).expect("spec");
    let runbook = runbook_of(path, &text);
    insta::assert_snapshot!("phased_timeline", timeline_section(&runbook));
    let charts = parse(&runbook).mermaid;
    assert_eq!(charts.len(), 1);
    assert!(charts[0].contains("    section Load and sync\n"));
    // tests/mermaid validates this very chart with Mermaid's own parser.
    let fixture = std::fs::read_to_string(root().join("tests/mermaid/fixtures/phased.md"))
        .expect("Mermaid fixture");
    assert_eq!(
        parse(&fixture).mermaid,
        charts,
        "tests/mermaid/fixtures/phased.md holds another chart: copy the new one there"
    );

    let chart = |text: &str| {
        let runbook = runbook_of(path, text);
        let parsed = parse(&runbook);
        parsed.mermaid.into_iter().next().expect("one chart")
    };
    let quarter = chart(&text.replace("sync_every 1h", "sync_every 15m"));
    assert!(
        quarter.contains("    Sync cycles every 15m :sync-cycles, 2000-01-02 00:42, 198m\n"),
        "{quarter}"
    );
    assert!(!quarter.contains("Sync 1 "), "{quarter}");
    let undeclared = chart(&text.replace("  sync_every 1h\n", ""));
    assert!(
        undeclared.contains("    Sync cycles :sync-cycles, 2000-01-02 00:42, 198m\n"),
        "{undeclared}"
    );

    // Without `incremental` maps the chart has no such section.
    for name in EXAMPLES {
        let p = parse(&built(name).runbook);
        assert!(!p.mermaid[0].contains("Load and sync"), "{name}");
    }
}
