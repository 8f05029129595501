//! The view model of the runbook and the mapping spreadsheet, built from
//! the IR: everything the templates show, already in words and already
//! escaped for Markdown. Templates never see the IR.
//!
//! No value of a PII column ever reaches it: example values of such
//! columns are shown masked.

use crate::text::{cell, code, count, duration, plain, rate, spec_text};
use crate::timeline::{self, Throughput, Timeline};
use cutover_ir::{
    AttrValue, ColumnId, Const, Expectation, ExprKind, Func, Ir, MapId, OnFailure, Role,
    RollbackStrategy, Step, Strategy, TableId, Timing, Tolerance, Trigger,
};
use serde::Serialize;

/// Where a spec came from, for the header.
pub struct Source<'a> {
    pub path: &'a str,
    pub sha256: &'a str,
    pub text: &'a str,
}

#[derive(Serialize)]
pub struct Runbook {
    pub title: String,
    pub spec_path: String,
    pub sha256: String,
    pub version: String,
    pub summary: Summary,
    pub scope: Scope,
    pub mapping: Vec<MappingRow>,
    pub rules: Vec<RuleView>,
    pub gates: Vec<GateView>,
    pub rollback: RollbackView,
    pub timeline: TimelineView,
    pub checklist: Checklist,
    pub risks: Vec<Risk>,
    pub communication: Communication,
}

#[derive(Serialize)]
pub struct Summary {
    pub strategy: String,
    pub owner: String,
    pub systems: Vec<SystemView>,
    pub tables: Vec<TableVolume>,
    pub total_rows: String,
    pub throughput: String,
    pub load_estimate: String,
    pub total_duration: String,
    pub gates: Vec<String>,
    pub attributes: Vec<Pair>,
}

#[derive(Serialize)]
pub struct SystemView {
    pub name: String,
    pub role: String,
    pub dialect: String,
    pub tables: usize,
}

#[derive(Serialize, Clone)]
pub struct TableVolume {
    pub source: String,
    pub target: String,
    pub map: String,
    pub rows: String,
    pub estimate: String,
}

#[derive(Serialize)]
pub struct Pair {
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct Scope {
    pub maps: usize,
    pub tables_in: Vec<TableVolume>,
    pub tables_out: Vec<Pair>,
    pub targets_unloaded: Vec<String>,
    pub dropped: Vec<Dropped>,
    pub pii: Vec<PiiView>,
}

#[derive(Serialize)]
pub struct Dropped {
    pub table: String,
    pub column: String,
    pub map: String,
    pub reason: String,
}

#[derive(Serialize)]
pub struct PiiView {
    pub column: String,
    pub handling: String,
}

/// A row of the field mapping (and of mapping.csv: the `*_raw` fields are
/// the CSV's, unescaped).
#[derive(Serialize, Clone)]
pub struct MappingRow {
    pub source_table: String,
    pub source_field: String,
    pub source_type: String,
    pub source_nullable: String,
    pub target_table: String,
    pub target_field: String,
    pub target_type: String,
    pub target_nullable: String,
    pub rule: String,
    pub words: String,
    pub expression: String,
    pub notes: String,
    /// The same, for Markdown table cells.
    pub md: Vec<String>,
}

#[derive(Serialize)]
pub struct RuleView {
    pub id: String,
    pub title: String,
    pub map: String,
    pub assignments: Vec<String>,
    pub examples: Vec<ExampleView>,
}

#[derive(Serialize)]
pub struct ExampleView {
    pub name: String,
    pub before: TableView,
    pub after: Option<TableView>,
    pub rejected: Option<String>,
}

#[derive(Serialize)]
pub struct TableView {
    pub header: String,
    pub rule: String,
    pub rows: Vec<String>,
}

#[derive(Serialize)]
pub struct GateView {
    pub name: String,
    pub when: String,
    pub script: String,
    pub command: String,
    pub checks: Vec<CheckView>,
}

#[derive(Serialize)]
pub struct CheckView {
    pub number: usize,
    pub check: String,
    pub severity: String,
    pub failing: String,
    pub location: String,
}

#[derive(Serialize)]
pub struct RollbackView {
    pub declared: bool,
    pub strategy: String,
    pub strategy_words: String,
    pub triggers: Vec<String>,
    pub steps: Vec<String>,
    pub verify: Vec<String>,
}

#[derive(Serialize)]
pub struct TimelineView {
    pub rows: Vec<TimelineRow>,
    pub mermaid: String,
    pub total: String,
    pub critical_path: String,
    pub throughput: String,
    pub notes: Vec<String>,
    /// Markdown after the chart: the chunked loads, the syncs and, for
    /// `strategy parallel_run`, the parallel run; empty otherwise.
    pub loading: String,
}

#[derive(Serialize)]
pub struct TimelineRow {
    pub name: String,
    pub title: String,
    pub start: String,
    pub end: String,
    pub duration: String,
    pub after: String,
    pub owner: String,
    pub critical: String,
}

#[derive(Serialize)]
pub struct Checklist {
    pub before: Vec<String>,
    pub during: Vec<String>,
    pub after: Vec<String>,
}

#[derive(Serialize)]
pub struct Risk {
    pub risk: String,
    pub mitigation: String,
}

#[derive(Serialize)]
pub struct Communication {
    pub contacts: String,
    pub points: Vec<CommPoint>,
    pub status_message: String,
    pub rollback_start_message: String,
    pub rollback_complete_message: String,
}

#[derive(Serialize)]
pub struct CommPoint {
    pub when: String,
    pub who: String,
    pub what: String,
}

/// The dialect whose scripts the runbook points at: the target system's.
fn target_dialect(ir: &Ir) -> &'static str {
    ir.systems
        .iter()
        .find(|s| s.role == Role::Target)
        .map(|s| s.dialect.name())
        .unwrap_or("postgres")
}

fn attribute(ir: &Ir, name: &str) -> Option<String> {
    ir.migration
        .attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| {
            a.values
                .iter()
                .map(attr_text)
                .collect::<Vec<_>>()
                .join(", ")
        })
}

fn attr_text(v: &AttrValue) -> String {
    match v {
        AttrValue::Text(t) | AttrValue::Word(t) | AttrValue::Number(t) => t.clone(),
        AttrValue::Minutes(m) => duration(*m),
        AttrValue::Percent(p) => format!("{p}%"),
        AttrValue::RowsPerSecond(r) => rate(*r),
    }
}

/// The throughput: measured (passed in) wins over declared.
pub fn throughput(ir: &Ir, measured: Option<f64>) -> Throughput {
    if let Some(m) = measured {
        return Throughput::Measured(m);
    }
    for a in &ir.migration.attributes {
        if a.name == "throughput" {
            if let Some(AttrValue::RowsPerSecond(r)) = a.values.first() {
                return Throughput::Declared(*r);
            }
        }
    }
    Throughput::None
}

fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::BigBang => "big bang (one load in one window)",
        Strategy::Phased => "phased (loads in several steps)",
        Strategy::ParallelRun => "parallel run (both systems run until the switch)",
    }
}

fn column_path(ir: &Ir, c: ColumnId) -> String {
    let col = ir.column(c);
    format!("{}.{}", ir.table_path(col.table), col.name)
}

fn yes_no(nullable: bool) -> String {
    if nullable { "YES" } else { "NO" }.into()
}

/// An assignment's expression in words: what a reviewer reads first.
fn in_words(ir: &Ir, e: &cutover_ir::Expr, on_failure: Option<&OnFailure>) -> String {
    let base = match &e.kind {
        ExprKind::Column { column, .. } => format!("copied from {}", ir.column(*column).name),
        ExprKind::Literal(Const::Null) => "NULL (no source data)".into(),
        ExprKind::Literal(_) => "a constant".into(),
        ExprKind::Lookup { lookup, .. } => {
            let l = &ir.lookups[lookup.0 as usize];
            if l.otherwise.is_some() {
                format!("looked up in {} (unknown keys take its default)", l.name)
            } else {
                format!("looked up in {}", l.name)
            }
        }
        ExprKind::Ref { table, .. } => {
            format!("the key of the matching {} row", ir.table_path(*table))
        }
        ExprKind::Cast { to, .. } => format!("converted to {to}"),
        ExprKind::Call { func, .. } => match func {
            Func::Builtin(b) => format!("computed with {}", b.name()),
            Func::User(id) => format!("computed by fn {}", ir.func(*id).name),
        },
        ExprKind::Case { .. } | ExprKind::If { .. } => "chosen by conditions".into(),
        _ => "computed".into(),
    };
    match on_failure {
        Some(OnFailure::Reject { reason, .. }) => {
            format!("{base}; rows where it fails are rejected ({reason})")
        }
        Some(OnFailure::Default { .. }) => format!("{base}; a fallback where it fails"),
        None => base,
    }
}

pub fn runbook(ir: &Ir, src: &Source<'_>, measured: Option<f64>) -> Runbook {
    let order = cutover_backend_sql::load::map_order(ir);
    let tp = throughput(ir, measured);
    let rate_value = tp.rows_per_second();
    let tl = timeline::timeline(ir, &order, &tp);
    let dialect = target_dialect(ir);

    // Summary and scope.
    let volumes: Vec<TableVolume> = order
        .iter()
        .map(|m| {
            let map = ir.map(*m);
            let rows = ir.table(map.source()).rows;
            TableVolume {
                source: ir.table_path(map.source()),
                target: ir.table_path(map.target),
                map: map.name.clone(),
                rows: rows.map(count).unwrap_or_else(|| "unknown".into()),
                estimate: timeline::load_estimate(ir, *m, rate_value)
                    .map(|(_, min)| duration(min))
                    .unwrap_or_else(|| "—".into()),
            }
        })
        .collect();
    let total_rows: u64 = order
        .iter()
        .filter_map(|m| ir.table(ir.map(*m).source()).rows)
        .sum();
    let throughput_text = match &tp {
        Throughput::Declared(r) => format!("{} (declared in the spec)", rate(*r)),
        Throughput::Measured(r) => format!("{} (measured by a rehearsal)", rate(*r)),
        Throughput::None => "not declared (add `throughput N/s` to the migration header)".into(),
    };
    let gates_line: Vec<String> = ir
        .gates
        .iter()
        .map(|g| {
            let blocking = g.checks.iter().filter(|c| !c.warn).count();
            format!(
                "**{}** ({}): {} checks, {} blocking",
                plain(&g.name),
                timing_words(g.timing),
                g.checks.len(),
                blocking
            )
        })
        .collect();
    let summary = Summary {
        strategy: strategy_name(ir.migration.strategy).into(),
        owner: ir
            .migration
            .owner
            .clone()
            .unwrap_or_else(|| "not declared".into()),
        systems: ir
            .systems
            .iter()
            .map(|s| SystemView {
                name: s.name.clone(),
                role: if s.role == Role::Source {
                    "source"
                } else {
                    "target"
                }
                .into(),
                dialect: s.dialect.name().into(),
                tables: s.tables.len(),
            })
            .collect(),
        tables: Vec::new(),
        total_rows: count(total_rows),
        throughput: throughput_text.clone(),
        load_estimate: tl
            .load_minutes
            .map(duration)
            .unwrap_or_else(|| "cannot be estimated".into()),
        total_duration: if ir.phases.is_empty() {
            tl.load_minutes
                .map(|m| format!("{} (the load alone; no phases declared)", duration(m)))
                .unwrap_or_else(|| "not estimated".into())
        } else {
            duration(tl.total)
        },
        gates: gates_line,
        attributes: ir
            .migration
            .attributes
            .iter()
            .filter(|a| !matches!(a.name.as_str(), "throughput" | "contacts"))
            .map(|a| Pair {
                name: a.name.clone(),
                value: cell(
                    &a.values
                        .iter()
                        .map(attr_text)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            })
            .collect(),
    };

    let loaded_targets: Vec<TableId> = ir.maps.iter().map(|m| m.target).collect();
    let read_sources: Vec<TableId> = ir
        .maps
        .iter()
        .flat_map(|m| m.sources.iter().map(|s| s.table))
        .collect();
    let mut dropped = Vec::new();
    for m in &ir.maps {
        for d in &m.drops {
            let col = ir.column(d.column);
            dropped.push(Dropped {
                table: ir.table_path(col.table),
                column: col.name.clone(),
                map: m.name.clone(),
                reason: cell(&d.reason),
            });
        }
    }
    let mut pii = Vec::new();
    for (i, col) in ir.columns.iter().enumerate() {
        if !col.pii {
            continue;
        }
        let id = ColumnId(i as u32);
        let mut uses = Vec::new();
        for m in &ir.maps {
            for a in &m.assignments {
                let mut reads = false;
                cutover_eval::walk(&a.expr, &mut |x| {
                    if let ExprKind::Column { column, .. } = x.kind {
                        reads |= column == id;
                    }
                });
                if reads {
                    let target = column_path(ir, a.target);
                    uses.push(match &a.allow_pii {
                        Some(why) => format!("carried to {target}: {why}"),
                        None => format!("read for {target}"),
                    });
                }
            }
        }
        if ir.system(ir.table(col.table).system).role == Role::Source {
            // Not carried anywhere: why each map drops it.
            if uses.is_empty() {
                for m in &ir.maps {
                    for d in m.drops.iter().filter(|d| d.column == id) {
                        uses.push(format!("dropped by {}: {}", m.name, d.reason));
                    }
                }
            }
            if uses.is_empty() {
                uses.push("not read by any map".into());
            }
            pii.push(PiiView {
                column: column_path(ir, id),
                handling: cell(&uses.join("; ")),
            });
        }
    }
    let scope = Scope {
        maps: volumes.len(),
        tables_in: volumes.clone(),
        tables_out: ir
            .dropped_tables
            .iter()
            .map(|d| Pair {
                name: ir.table_path(d.table),
                value: cell(&d.reason),
            })
            .chain(
                ir.tables
                    .iter()
                    .enumerate()
                    .filter(|(i, t)| {
                        let id = TableId(*i as u32);
                        ir.system(t.system).role == Role::Source
                            && !read_sources.contains(&id)
                            && !ir.dropped_tables.iter().any(|d| d.table == id)
                    })
                    .map(|(i, _)| Pair {
                        name: ir.table_path(TableId(i as u32)),
                        value: "not read by any map".into(),
                    }),
            )
            .collect(),
        targets_unloaded: ir
            .tables
            .iter()
            .enumerate()
            .filter(|(i, t)| {
                ir.system(t.system).role == Role::Target
                    && !loaded_targets.contains(&TableId(*i as u32))
            })
            .map(|(i, _)| ir.table_path(TableId(i as u32)))
            .collect(),
        dropped,
        pii,
    };
    let summary = Summary {
        tables: volumes,
        ..summary
    };

    Runbook {
        title: ir.migration.title.clone(),
        spec_path: src.path.into(),
        sha256: src.sha256.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        mapping: mapping(ir, src.text),
        rules: rules(ir, src.text),
        gates: gates(ir, src, dialect),
        rollback: rollback(ir, src, dialect),
        timeline: timeline_view(ir, &tl, &throughput_text),
        checklist: checklist(ir, dialect, &tl),
        risks: risks(ir, src.text, &tl),
        communication: communication(ir),
        summary,
        scope,
    }
}

fn timing_words(t: Timing) -> &'static str {
    match t {
        Timing::BeforeLoad => "before the load",
        Timing::AfterLoad => "after the load",
    }
}

/// The field mapping, map by map: an assignment per target column, the
/// defaults of the columns no assignment sets, and every dropped column.
pub fn mapping(ir: &Ir, spec: &str) -> Vec<MappingRow> {
    let mut out = Vec::new();
    for m in &ir.maps {
        let target = ir.table(m.target);
        for a in &m.assignments {
            let t = ir.column(a.target);
            let mut reads: Vec<ColumnId> = Vec::new();
            cutover_eval::walk(&a.expr, &mut |x| {
                if let ExprKind::Column { column, .. } = x.kind {
                    if !reads.contains(&column) {
                        reads.push(column);
                    }
                }
            });
            let rule = a.rule.and_then(|r| m.rules.get(r));
            let mut notes = Vec::new();
            if a.key {
                notes.push("key".to_string());
            }
            if let Some(why) = &a.allow_pii {
                notes.push(format!("PII allowed: {why}"));
            }
            if let Some(r) = rule {
                notes.push(r.title.clone());
            }
            let source_tables: Vec<String> =
                dedup(reads.iter().map(|c| ir.table_path(ir.column(*c).table)));
            out.push(row(MappingRow {
                source_table: source_tables.join(", "),
                source_field: reads
                    .iter()
                    .map(|c| ir.column(*c).name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                source_type: reads
                    .iter()
                    .map(|c| ir.column(*c).ty.kind.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                source_nullable: reads
                    .iter()
                    .map(|c| yes_no(ir.column(*c).ty.nullable))
                    .collect::<Vec<_>>()
                    .join(", "),
                target_table: ir.table_path(m.target),
                target_field: t.name.clone(),
                target_type: t.ty.kind.to_string(),
                target_nullable: yes_no(t.ty.nullable),
                rule: rule.map(|r| r.id.clone()).unwrap_or_default(),
                words: in_words(ir, &a.expr, a.on_failure.as_ref()),
                expression: spec_text(spec, a.expr.span)
                    + &match &a.on_failure {
                        Some(OnFailure::Reject { reason, .. }) => {
                            format!(" else reject \"{reason}\"")
                        }
                        Some(OnFailure::Default { expr, .. }) => {
                            format!(" else {}", spec_text(spec, expr.span))
                        }
                        None => String::new(),
                    },
                notes: notes.join("; "),
                md: Vec::new(),
            }));
        }
        for c in &target.columns {
            if m.assignments.iter().any(|a| a.target == *c) {
                continue;
            }
            let t = ir.column(*c);
            let (words, expr) = match &t.default {
                Some(d) => ("the column's default".to_string(), spec_text(spec, d.span)),
                None => (
                    "NULL (no assignment, no default)".to_string(),
                    String::new(),
                ),
            };
            out.push(row(MappingRow {
                source_table: String::new(),
                source_field: String::new(),
                source_type: String::new(),
                source_nullable: String::new(),
                target_table: ir.table_path(m.target),
                target_field: t.name.clone(),
                target_type: t.ty.kind.to_string(),
                target_nullable: yes_no(t.ty.nullable),
                rule: String::new(),
                words,
                expression: expr,
                notes: String::new(),
                md: Vec::new(),
            }));
        }
        for d in &m.drops {
            let c = ir.column(d.column);
            out.push(row(MappingRow {
                source_table: ir.table_path(c.table),
                source_field: c.name.clone(),
                source_type: c.ty.kind.to_string(),
                source_nullable: yes_no(c.ty.nullable),
                target_table: String::new(),
                target_field: String::new(),
                target_type: String::new(),
                target_nullable: String::new(),
                rule: d
                    .rule
                    .and_then(|r| m.rules.get(r))
                    .map(|r| r.id.clone())
                    .unwrap_or_default(),
                words: "dropped".into(),
                expression: String::new(),
                notes: format!("dropped by map {}: {}", m.name, d.reason),
                md: Vec::new(),
            }));
        }
    }
    out
}

fn dedup(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn row(mut r: MappingRow) -> MappingRow {
    r.md = vec![
        cell(&r.source_table),
        cell(&r.source_field),
        cell(&r.source_type),
        cell(&r.source_nullable),
        cell(&r.target_table),
        cell(&r.target_field),
        cell(&r.target_type),
        cell(&r.target_nullable),
        cell(&r.rule),
        cell(&r.words),
        code(&r.expression),
        cell(&r.notes),
    ];
    r
}

/// A constant as an example table shows it; PII masked.
fn example_value(c: &Const, pii: bool) -> String {
    if pii {
        return "*(PII, masked)*".into();
    }
    match c {
        Const::Null => "NULL".into(),
        Const::Text(t) => code(&format!("{t:?}")),
        Const::Int(i) => i.to_string(),
        Const::Decimal(d) => d.clone(),
        Const::Bool(b) => b.to_string(),
    }
}

/// Columns holding personal data: those marked `pii`, and the target
/// columns an assignment fills from one.
fn pii_columns(ir: &Ir) -> Vec<ColumnId> {
    let mut out: Vec<ColumnId> = (0..ir.columns.len())
        .map(|i| ColumnId(i as u32))
        .filter(|c| ir.column(*c).pii)
        .collect();
    for m in &ir.maps {
        for a in &m.assignments {
            let mut reads = false;
            cutover_eval::walk(&a.expr, &mut |x| {
                if let ExprKind::Column { column, .. } = x.kind {
                    reads |= ir.column(column).pii;
                }
            });
            if reads && !out.contains(&a.target) {
                out.push(a.target);
            }
        }
    }
    out
}

fn table_view(ir: &Ir, rows: &[cutover_ir::Row], pii: &[ColumnId]) -> TableView {
    let mut columns: Vec<ColumnId> = Vec::new();
    for r in rows {
        for (c, _, _) in &r.values {
            if !columns.contains(c) {
                columns.push(*c);
            }
        }
    }
    let header = format!(
        "| {} |",
        columns
            .iter()
            .map(|c| cell(&ir.column(*c).name))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let rule = format!("|{}", "---|".repeat(columns.len().max(1)));
    let rows = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| {
                    r.values
                        .iter()
                        .find(|(x, _, _)| x == c)
                        .map(|(_, v, _)| example_value(v, pii.contains(c)))
                        .unwrap_or_default()
                })
                .collect();
            format!("| {} |", cells.join(" | "))
        })
        .collect();
    TableView { header, rule, rows }
}

fn rules(ir: &Ir, spec: &str) -> Vec<RuleView> {
    let pii = pii_columns(ir);
    let mut out = Vec::new();
    for (mi, m) in ir.maps.iter().enumerate() {
        for (ri, r) in m.rules.iter().enumerate() {
            let assignments: Vec<String> = m
                .assignments
                .iter()
                .filter(|a| a.rule == Some(ri))
                .map(|a| code(&spec_text(spec, a.span)))
                .collect();
            let examples = ir
                .examples
                .iter()
                .filter(|e| e.map == MapId(mi as u32) && mentions(&e.name, &r.id))
                .map(|e| {
                    let given: Vec<cutover_ir::Row> = e
                        .given
                        .iter()
                        .flat_map(|(_, rows)| rows.iter().cloned())
                        .collect();
                    let (after, rejected) = match &e.expect {
                        Expectation::Rows(rows) => (Some(table_view(ir, rows, &pii)), None),
                        Expectation::Reject { reason, rule, .. } => (
                            None,
                            Some(match rule {
                                Some(id) => format!("rejected by {id}: {reason}"),
                                None => format!("rejected: {reason}"),
                            }),
                        ),
                        Expectation::Nothing => (None, None),
                    };
                    ExampleView {
                        name: e.name.clone(),
                        before: table_view(ir, &given, &pii),
                        after,
                        rejected: rejected.map(|r| cell(&r)),
                    }
                })
                .collect();
            out.push(RuleView {
                id: r.id.clone(),
                title: plain(&r.title),
                map: m.name.clone(),
                assignments,
                examples,
            });
        }
    }
    out
}

/// Whether an example's title names a rule id (`TRN-001/003: …`).
fn mentions(title: &str, id: &str) -> bool {
    if title.contains(id) {
        return true;
    }
    // `TRN-001/003/004` names TRN-003 and TRN-004 too.
    let Some((prefix, _)) = id.rsplit_once('-') else {
        return false;
    };
    let number = &id[prefix.len() + 1..];
    title
        .split(|c: char| c.is_whitespace() || c == ':')
        .any(|word| {
            word.starts_with(&format!("{prefix}-"))
                && word[prefix.len() + 1..].split('/').any(|n| n == number)
        })
}

fn script_line(script: &str, gate: &str, number: usize) -> Option<usize> {
    let needle = format!("-- check {gate} #{number}:");
    script
        .lines()
        .position(|l| l.starts_with(&needle))
        .map(|i| i + 1)
}

fn gates(ir: &Ir, src: &Source<'_>, dialect: &str) -> Vec<GateView> {
    let scripts = cutover_backend_sql::dialect::by_name(dialect).and_then(|d| {
        cutover_backend_sql::build(
            ir,
            d.as_ref(),
            &cutover_backend_sql::SpecInfo {
                path: src.path,
                sha256: src.sha256,
                text: src.text,
            },
        )
        .ok()
    });
    let text_of = |name: &str| {
        scripts
            .as_ref()
            .and_then(|s| s.iter().find(|f| f.name == name))
            .map(|f| f.text.clone())
            .unwrap_or_default()
    };
    ir.gates
        .iter()
        .map(|g| {
            let file = match g.timing {
                Timing::BeforeLoad => "20_preflight.sql",
                Timing::AfterLoad => "40_validate.sql",
            };
            let script = format!("sql/{dialect}/{file}");
            let text = text_of(file);
            let checks = g
                .checks
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let tolerance = match c.tolerance {
                        Some(Tolerance::Rows(n)) => {
                            format!(", up to {} violating rows tolerated", count(n))
                        }
                        Some(Tolerance::Percent(p)) => {
                            format!(", up to {p}% of the rows tolerated")
                        }
                        None => String::new(),
                    };
                    CheckView {
                        number: i + 1,
                        check: code(&spec_text(src.text, c.span)),
                        severity: if c.warn { "warning" } else { "blocking" }.into(),
                        failing: cell(&format!(
                            "{}{}",
                            if c.warn {
                                "reported; the cutover goes on"
                            } else {
                                "no-go: the cutover stops here"
                            },
                            tolerance
                        )),
                        location: match script_line(&text, &g.name, i + 1) {
                            Some(line) => format!("`{script}` line {line}"),
                            None => format!("`{script}`"),
                        },
                    }
                })
                .collect();
            GateView {
                name: g.name.clone(),
                when: timing_words(g.timing).into(),
                command: run_command(dialect, &script),
                script,
                checks,
            }
        })
        .collect()
}

/// The command that runs a script against the target.
fn run_command(dialect: &str, script: &str) -> String {
    match dialect {
        "sqlite" => format!("sqlite3 target.sqlite < {script}"),
        _ => format!("psql \"$TARGET_URL\" -v ON_ERROR_STOP=1 -f {script}"),
    }
}

fn rollback(ir: &Ir, src: &Source<'_>, dialect: &str) -> RollbackView {
    let spec = src.text;
    let package = cutover_backend_python::package(src.path);
    let script = format!("sql/{dialect}/90_rollback.sql");
    let Some(r) = &ir.rollback else {
        return RollbackView {
            declared: false,
            strategy: String::new(),
            strategy_words: String::new(),
            triggers: Vec::new(),
            steps: Vec::new(),
            verify: Vec::new(),
        };
    };
    let (name, words) = match r.strategy {
        Some(RollbackStrategy::Truncate) => {
            ("truncate", "empties every target table the migration loads")
        }
        Some(RollbackStrategy::DeleteBatch) => (
            "delete_batch",
            "deletes the rows of this load, by batch id, and its quarantine rows",
        ),
        Some(RollbackStrategy::RestoreSnapshot) => (
            "restore_snapshot",
            "restores the copy of the target tables taken before the load",
        ),
        None => ("not declared", "no strategy: decide one before the cutover"),
    };
    let triggers = r
        .triggers
        .iter()
        .map(|t| {
            let span = match t {
                Trigger::GateFails { span, .. } | Trigger::Metric { span, .. } => *span,
            };
            code(&spec_text(spec, span))
        })
        .collect();
    RollbackView {
        declared: true,
        strategy: name.into(),
        strategy_words: words.into(),
        triggers,
        steps: vec![
            "Announce the rollback (message below) and stop the application writes to the target.".into(),
            format!("Run the rollback script: `{}`.", run_command(dialect, &script)),
            format!("Or, with the Python runner (`python/` of the build): `python -m {package} --target \"$TARGET_URL\" --rollback`."),
            "Point the applications back at the source systems (they were never written to).".into(),
        ],
        verify: vec![
            "Every loaded target table has the row count it had before the load (0 for a first load).".into(),
            "The batch table shows the batch as `rolled_back`; the quarantine holds no row of it.".into(),
            "The source tables are untouched: the rollback never writes to them.".into(),
        ],
    }
}

/// The initial load, the syncs and the switch, for specs with `batch` or
/// `incremental` maps, and the parallel run for `strategy parallel_run`.
fn loading(ir: &Ir) -> String {
    let batched: Vec<&cutover_ir::Map> = ir.maps.iter().filter(|m| m.batch.is_some()).collect();
    let synced: Vec<&cutover_ir::Map> =
        ir.maps.iter().filter(|m| m.incremental.is_some()).collect();
    let parallel = ir.migration.strategy == Strategy::ParallelRun;
    if batched.is_empty() && synced.is_empty() && !parallel {
        return String::new();
    }
    let mut steps = Vec::new();
    let mut load = "Initial load: run `30_load.sql`.".to_owned();
    if !batched.is_empty() {
        let maps: Vec<String> = batched
            .iter()
            .filter_map(|m| {
                m.batch.as_ref().map(|b| {
                    format!(
                        "{} in chunks of {} rows by `{}`",
                        code(&m.name),
                        count(b.size),
                        ir.column(b.column).name
                    )
                })
            })
            .collect();
        load.push_str(&format!(
            " It loads {}, each chunk committed with its checkpoint: after a stop or a crash, run it again to resume. `31_progress.sql` shows the rows read and the time left.",
            maps.join(", ")
        ));
    }
    steps.push(load);
    if !synced.is_empty() {
        let cadence = attribute(ir, "sync_every")
            .map(|c| format!("every {c} (`sync_every`)"))
            .unwrap_or_else(|| "as often as the owner decides".to_owned());
        let maps: Vec<String> = synced
            .iter()
            .filter_map(|m| {
                m.incremental.as_ref().map(|i| {
                    let mut s = format!("{} by `{}`", code(&m.name), ir.column(i.column).name);
                    if i.skew_seconds > 0 {
                        s.push_str(&format!(
                            ", reading back {}",
                            duration(i.skew_seconds as f64 / 60.0)
                        ));
                    }
                    match &i.deletes {
                        Some(cutover_ir::Deletes::When(_)) => s.push_str(", deletions by flag"),
                        Some(cutover_ir::Deletes::Missing { .. }) => {
                            s.push_str(", deletions by missing keys")
                        }
                        None => {}
                    }
                    s
                })
            })
            .collect();
        steps.push(format!(
            "Sync cycles: run `32_sync.sql` {cadence} (or the Python runner's `--sync` when source and target are on different servers): {}. Each run is one transaction; `cutover.watermarks` records what each sync read, upserted and deleted.",
            maps.join("; ")
        ));
        steps.push("Final sync: stop writes to the source, run `32_sync.sql` once more, then the `after load` gates (`40_validate.sql`).".to_owned());
    }
    let reconciling: Vec<String> = timeline::reconciling_gates(ir)
        .map(|g| code(&g.name))
        .collect();
    if !reconciling.is_empty() {
        steps.push(format!(
            "Reconciliation before the switch: gate {} must pass; `41_ranges.sql` names the key ranges that differ first.",
            reconciling.join(", ")
        ));
    }
    steps.push("Switch: point the applications at the target.".to_owned());
    let mut out = String::from("\n### Initial load, syncs and the switch\n\n");
    for s in &steps {
        out.push_str(&format!("1. {s}\n"));
    }
    if parallel {
        let period = attribute(ir, "parallel_for")
            .map(|p| format!("for {p} (`parallel_for`)"))
            .unwrap_or_else(|| "until the switch (no `parallel_for` declared)".to_owned());
        let cadence =
            attribute(ir, "sync_every").unwrap_or_else(|| "not declared (`sync_every`)".to_owned());
        out.push_str(&format!(
            "\n### Parallel run\n\n- **Dual running**: the source stays the system of record {period}; the target is read-only for the applications until the switch.\n- **Sync cadence**: {cadence}.\n- **Before the switch**: {}\n- **Way back**, at any point before the switch: stop the syncs; run `91_sync_rollback.sql` once per sync since the load (it undoes the newest each time and does nothing once none is left); run `90_rollback.sql` (the Python runner's `--rollback` does both). The source is never written, so the applications keep using it.\n",
            if reconciling.is_empty() {
                "the `after load` gates pass (declare a `reconcile` check to compare every key).".to_owned()
            } else {
                format!("gate {} passes after the final sync.", reconciling.join(", "))
            }
        ));
    }
    out
}

fn timeline_view(ir: &Ir, tl: &Timeline, throughput: &str) -> TimelineView {
    let phase_rows = tl
        .items
        .iter()
        .map(|i| TimelineRow {
            name: match &i.phase {
                Some(p) => format!("{p} · load"),
                None => i.id.clone(),
            },
            title: cell(&match i.rows {
                Some(rows) => format!("{} ({} rows, estimated)", i.title, count(rows)),
                None => i.title.clone(),
            }),
            start: clock(i.start),
            end: clock(i.start + i.minutes),
            duration: duration(i.minutes),
            after: i.after.join(", "),
            owner: cell(i.owner.as_deref().unwrap_or("")),
            critical: if i.critical && i.phase.is_none() {
                "yes"
            } else {
                ""
            }
            .into(),
        })
        .collect();
    let mut notes = Vec::new();
    for (phase, loaded, declared) in &tl.overruns {
        notes.push(format!(
            "The loads of phase {phase} are estimated at {}, longer than its {}.",
            duration(*loaded),
            duration(*declared)
        ));
    }
    if !tl.unestimated.is_empty() {
        notes.push(format!(
            "No estimate for {}: the source table has no `rows ~`.",
            tl.unestimated.join(", ")
        ));
    }
    TimelineView {
        rows: phase_rows,
        mermaid: mermaid(ir, tl),
        total: if ir.phases.is_empty() {
            "no phases declared".into()
        } else {
            duration(tl.total)
        },
        critical_path: tl.critical_path.join(" → "),
        throughput: throughput.into(),
        notes,
        loading: loading(ir),
    }
}

/// Minutes from the start as `day 1 00:00`.
fn clock(minutes: f64) -> String {
    let m = minutes.round().max(0.0) as u64;
    format!("day {} {:02}:{:02}", m / 1440 + 1, m % 1440 / 60, m % 60)
}

/// A title as a Mermaid task or section name. Mermaid's gantt grammar
/// ends a title at `:`, reads `#…;` as an entity, a `%` among the first
/// two characters as a comment, and a line starting with a keyword (or a
/// date) as another statement (tests/mermaid/README.md): those characters
/// become spaces, and a title that would start like that is prefixed.
fn mermaid_text(text: &str) -> String {
    let clean = text
        .chars()
        .map(|c| {
            if matches!(c, ':' | '#' | ';' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    const KEYWORDS: [&str; 21] = [
        "title",
        "section",
        "click",
        "call",
        "gantt",
        "dateformat",
        "axisformat",
        "tickinterval",
        "includes",
        "excludes",
        "todaymarker",
        "weekday",
        "weekend",
        "topaxis",
        "inclusiveenddates",
        "acctitle",
        "accdescr",
        "accdescription",
        "href",
        "displaymode",
        "vert",
    ];
    let lower = clean.to_lowercase();
    let first = lower.split(' ').next().unwrap_or("");
    let risky = clean.is_empty()
        || clean.chars().take(2).any(|c| c == '%')
        || KEYWORDS.iter().any(|k| first.starts_with(k))
        || clean.chars().take(4).all(|c| c.is_ascii_digit());
    if risky {
        format!("Step {clean}").trim_end().to_string()
    } else {
        clean
    }
}

fn mermaid(ir: &Ir, tl: &Timeline) -> String {
    let mut out = vec![
        "gantt".to_string(),
        format!("    title {}", mermaid_text(&ir.migration.title)),
        "    dateFormat YYYY-MM-DD HH:mm".into(),
        "    axisFormat day %e %H:%M".into(),
    ];
    for item in &tl.items {
        if item.phase.is_none() {
            out.push(format!("    section {}", mermaid_text(&item.title)));
        }
        let start = clock_date(item.start);
        let length = mermaid_duration(item.minutes);
        let crit = if item.critical { "crit, " } else { "" };
        out.push(format!(
            "    {} :{crit}{}, {start}, {length}",
            mermaid_text(&item.title),
            timeline::id_part(&item.id)
        ));
    }
    if let Some(phased) = &tl.phased {
        out.extend(phased_bars(phased));
    }
    out.join("\n")
}

/// Sync cycles drawn one bar each up to this many; more read as one bar.
const SYNC_BARS: usize = 6;

/// The chart's `Load and sync` section (timeline::Phased): the initial load,
/// the sync cycles, the final sync and reconciliation, and the switch as a
/// milestone. Ids hold a `-`, which phase and load ids never do
/// (`id_part`), so they cannot clash.
fn phased_bars(p: &timeline::Phased) -> Vec<String> {
    // Ends rounded like starts, so that a bar ends where the next begins.
    let bar = |title: &str, id: &str, w: timeline::Window, crit: bool| {
        format!(
            "    {} :{}{id}, {}, {}",
            mermaid_text(title),
            if crit { "crit, " } else { "" },
            clock_date(w.start),
            mermaid_duration(w.end.round() - w.start.round())
        )
    };
    let mut out = vec![
        "    section Load and sync".to_string(),
        bar("Initial load", "sync-load", p.load, p.load_critical),
    ];
    let dual = p.syncs.minutes();
    if dual > 0.0 {
        // Whole cycles that fit before the final sync (the guard absorbs
        // float error in a window that is an exact multiple).
        let cycles = p.every.map(|e| (dual / e + 1e-9).floor());
        match (p.every, cycles) {
            (Some(e), Some(c)) if c >= 1.0 && c <= SYNC_BARS as f64 => {
                for k in 0..c as usize {
                    let start = p.syncs.start + k as f64 * e;
                    let w = timeline::Window {
                        start,
                        end: start + e,
                    };
                    out.push(bar(
                        &format!("Sync {}", k + 1),
                        &format!("sync-{}", k + 1),
                        w,
                        false,
                    ));
                }
            }
            (Some(e), _) => out.push(bar(
                &format!("Sync cycles every {}", duration(e)),
                "sync-cycles",
                p.syncs,
                false,
            )),
            (None, _) => out.push(bar("Sync cycles", "sync-cycles", p.syncs, false)),
        }
    }
    out.push(bar("Final sync", "sync-final", p.cut, p.cut_critical));
    if !p.reconcile.is_empty() {
        let gates = if p.reconcile.len() == 1 {
            "gate"
        } else {
            "gates"
        };
        out.push(bar(
            &format!("Reconcile, {gates} {}", p.reconcile.join(", ")),
            "sync-reconcile",
            p.cut,
            p.cut_critical,
        ));
    }
    out.push(format!(
        "    Switch :{}milestone, sync-switch, {}, 0m",
        if p.cut_critical { "crit, " } else { "" },
        clock_date(p.cut.end)
    ));
    out
}

/// Minutes from the start as a Mermaid date: day 1 is 2000-01-01 (the
/// chart's axis shows the day of the month, so day 1 reads "day 1").
fn clock_date(minutes: f64) -> String {
    let m = minutes.round().clamp(0.0, 1.0e9) as i64;
    let day1 = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    let date = day1 + chrono::Duration::days(m / 1440);
    format!(
        "{} {:02}:{:02}",
        date.format("%Y-%m-%d"),
        m % 1440 / 60,
        m % 60
    )
}

/// A Mermaid duration: whole days, hours or minutes.
fn mermaid_duration(minutes: f64) -> String {
    let m = minutes.ceil().max(1.0) as u64;
    if m % 1440 == 0 {
        format!("{}d", m / 1440)
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{m}m")
    }
}

/// The checklist: the fixed steps every cutover has, and each phase's own
/// steps in timeline order — phases before the first one that loads or
/// runs a gate under "before", those that do under "during", the rest
/// under "after".
fn checklist(ir: &Ir, dialect: &str, tl: &Timeline) -> Checklist {
    let script = |file: &str| run_command(dialect, &format!("sql/{dialect}/{file}"));
    let gate_step = |g: &cutover_ir::Gate| match g.timing {
        Timing::BeforeLoad => format!(
            "Preflight gate **{}**: `{}`; every blocking check returns no rows.",
            plain(&g.name),
            script("20_preflight.sql")
        ),
        Timing::AfterLoad => format!(
            "Post-load gate **{}**: `{}`; every blocking check returns no rows.",
            plain(&g.name),
            script("40_validate.sql")
        ),
    };
    let mut before = vec![
        "Announce the cutover window and the freeze to every dependent team.".to_string(),
        "Freeze writes on the source systems.".into(),
        format!(
            "Back up the target ({}).",
            match ir.rollback.as_ref().and_then(|r| r.strategy) {
                Some(RollbackStrategy::RestoreSnapshot) =>
                    "the load also snapshots it for the rollback",
                _ => "a backup independent of the rollback script",
            }
        ),
        format!("Create the schema: `{}`.", script("10_schema.sql")),
    ];
    let mut during = Vec::new();
    let mut after = Vec::new();
    // Phases by start time (spec order on ties).
    let mut phases: Vec<(f64, usize)> = ir
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let start = tl
                .items
                .iter()
                .find(|it| it.phase.is_none() && it.id == p.name)
                .map(|it| it.start)
                .unwrap_or(0.0);
            (start, i)
        })
        .collect();
    phases.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // The cutover proper: the last run of consecutive phases that load
    // (earlier loads are rehearsals).
    let loads = |p: &cutover_ir::Phase| p.steps.iter().any(|s| matches!(s, Step::Load(_)));
    let last_active = phases.iter().rposition(|(_, i)| loads(&ir.phases[*i]));
    let first_active = last_active.map(|l| {
        let mut f = l;
        while f > 0 && loads(&ir.phases[phases[f - 1].1]) {
            f -= 1;
        }
        f
    });
    let mut loads_listed = false;
    let mut gates_listed: Vec<usize> = Vec::new();
    for (pos, (_, i)) in phases.iter().enumerate() {
        let p = &ir.phases[*i];
        let list = match (first_active, last_active) {
            (Some(f), _) if pos < f => &mut before,
            (Some(_), Some(l)) if pos <= l => &mut during,
            (None, _) => &mut before,
            _ => &mut after,
        };
        for step in &p.steps {
            let text = match step {
                Step::Manual(t) => format!("{} ({})", plain(t), plain(&p.title)),
                Step::Gate(g) => {
                    gates_listed.push(g.index());
                    format!("{} ({})", gate_step(ir.gate(*g)), plain(&p.title))
                }
                Step::Load(m) => {
                    loads_listed = true;
                    match m {
                        Some(m) => format!(
                            "Load map {} (its part of `sql/{dialect}/30_load.sql`) ({}).",
                            plain(&ir.map(*m).name),
                            plain(&p.title)
                        ),
                        None => format!(
                            "Load every map: `{}` (or the Python runner) ({}).",
                            script("30_load.sql"),
                            plain(&p.title)
                        ),
                    }
                }
                Step::Rollback => format!(
                    "Rehearse the rollback: `{}` ({}).",
                    script("90_rollback.sql"),
                    plain(&p.title)
                ),
            };
            list.push(text);
        }
    }
    // Gates and the load no phase lists.
    for (gi, g) in ir.gates.iter().enumerate() {
        if gates_listed.contains(&gi) {
            continue;
        }
        match g.timing {
            Timing::BeforeLoad => before.push(gate_step(g)),
            Timing::AfterLoad => during.push(gate_step(g)),
        }
    }
    if !loads_listed {
        during.insert(
            0,
            format!(
                "Run the load: `{}` (or the Python runner).",
                script("30_load.sql")
            ),
        );
    }
    during.push("Evaluate the rollback triggers; on any, roll back (section 6).".into());
    during.push("Go/no-go: the owner decides and announces it.".into());
    after.extend([
        "Switch the applications to the target.".to_string(),
        "Monitor errors, latency and the quarantine for the agreed period.".into(),
        "Review the quarantined rows with the data owners.".into(),
        "Decommission the source systems after the retention period.".into(),
    ]);
    Checklist {
        before,
        during,
        after,
    }
}

fn risks(ir: &Ir, spec: &str, tl: &Timeline) -> Vec<Risk> {
    let mut out = Vec::new();
    for m in &ir.maps {
        for a in &m.assignments {
            let column = column_path(ir, a.target);
            match &a.on_failure {
                Some(OnFailure::Default { expr, .. }) => out.push(Risk {
                    risk: cell(&format!(
                        "Lossy: {column} takes `{}` where `{}` fails.",
                        spec_text(spec, expr.span),
                        spec_text(spec, a.expr.span)
                    )),
                    mitigation: "The sample recompute gate and the examples show which values change; review them with the data owner.".into(),
                }),
                Some(OnFailure::Reject { reason, .. }) => {
                    // The volume the spec accepts: its triggers on this
                    // source table's rejections.
                    let source = ir.table_path(m.source());
                    let bounds: Vec<String> = ir
                        .rollback
                        .iter()
                        .flat_map(|r| &r.triggers)
                        .filter_map(|t| match t {
                            Trigger::Metric { span, .. } => Some(spec_text(spec, *span)),
                            Trigger::GateFails { .. } => None,
                        })
                        .filter(|t| t.contains(&format!("rejected {source}")))
                        .collect();
                    let volume = if bounds.is_empty() {
                        "no trigger bounds how many".to_string()
                    } else {
                        format!("rolled back {}", bounds.join(", "))
                    };
                    out.push(Risk {
                        risk: cell(&format!(
                            "Rows rejected when {column} cannot be computed: {reason} ({volume})."
                        )),
                        mitigation: "Rejected rows go to the quarantine with their reason; the preflight gate counts them before the load.".into(),
                    })
                }
                None => {}
            }
            let mut truncates = false;
            cutover_eval::walk(&a.expr, &mut |x| {
                if let ExprKind::Call {
                    func: Func::Builtin(b),
                    ..
                } = &x.kind
                {
                    truncates |= b.name() == "truncate";
                }
            });
            if truncates {
                out.push(Risk {
                    risk: cell(&format!("Lossy: {column} is truncated (`{}`).", spec_text(spec, a.expr.span))),
                    mitigation: "Agreed in the rule; the full text stays in the source until it is decommissioned.".into(),
                });
            }
        }
    }
    let pii: Vec<String> = ir
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.pii && ir.system(ir.table(c.table).system).role == Role::Source)
        .map(|(i, _)| column_path(ir, ColumnId(i as u32)))
        .collect();
    if !pii.is_empty() {
        out.push(Risk {
            risk: cell(&format!("PII is migrated or read: {} columns ({}).", pii.len(), pii.join(", "))),
            mitigation: "Each carried PII column states its reason in the spec (`allow pii`); gate reports mask PII values.".into(),
        });
    }
    let mut by_rows: Vec<(u64, String)> = ir
        .tables
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.rows.map(|r| (r, ir.table_path(TableId(i as u32)))))
        .filter(|(_, p)| ir.maps.iter().any(|m| ir.table_path(m.source()) == *p))
        .collect();
    by_rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (rows, path) in by_rows.iter().take(3) {
        out.push(Risk {
            risk: cell(&format!("Large table: {path} (~{} rows).", count(*rows))),
            mitigation:
                "Rehearse at full volume; measure the throughput and pass it to the timeline."
                    .into(),
        });
    }
    for (phase, loaded, declared) in &tl.overruns {
        out.push(Risk {
            risk: cell(&format!(
                "Phase {phase}: its loads are estimated at {}, more than the {} planned.",
                duration(*loaded),
                duration(*declared)
            )),
            mitigation: "Lengthen the phase or the window, or raise the throughput (rehearse to measure it).".into(),
        });
    }
    for p in ir.phases.iter().filter(|p| p.minutes >= 2.0 * 1440.0) {
        if tl.critical_path.contains(&p.name) {
            out.push(Risk {
                risk: cell(&format!(
                    "Long phase on the critical path: {} ({}).",
                    p.title,
                    duration(p.minutes)
                )),
                mitigation: "Any slip moves the cutover date: track it daily.".into(),
            });
        }
    }
    out
}

fn communication(ir: &Ir) -> Communication {
    let owner = ir
        .migration
        .owner
        .clone()
        .unwrap_or_else(|| "the migration owner".into());
    let contacts = attribute(ir, "contacts").unwrap_or_else(|| owner.clone());
    let dependencies = attribute(ir, "dependencies");
    let everyone = match &dependencies {
        Some(d) => format!("{contacts}; owners of {d}"),
        None => contacts.clone(),
    };
    let window = attribute(ir, "window").unwrap_or_else(|| "the agreed window".into());
    let title = &ir.migration.title;
    let gate_names: Vec<String> = ir.gates.iter().map(|g| g.name.clone()).collect();
    let mut points = vec![CommPoint {
        when: "Before the window".into(),
        who: cell(&everyone),
        what: cell(&format!(
            "The window ({window}), the freeze, and whom to call."
        )),
    }];
    for g in &ir.gates {
        points.push(CommPoint {
            when: format!("Gate {} ({})", g.name, timing_words(g.timing)),
            who: cell(&contacts),
            what: "Go or no-go, with the failing checks if any.".into(),
        });
    }
    points.push(CommPoint {
        when: "On rollback".into(),
        who: cell(&everyone),
        what: "Rollback started, then rollback complete with the verification.".into(),
    });
    points.push(CommPoint {
        when: "After the switch".into(),
        who: cell(&everyone),
        what: "Cutover complete; the monitoring period and the quarantine review.".into(),
    });
    Communication {
        contacts: cell(&contacts),
        points,
        status_message: format!(
            "[{title}] Status: the cutover is in progress ({window}). Gates passed so far: <list of {}>. Next: <next step>. Owner: {owner}.",
            gate_names.join(", ")
        ),
        rollback_start_message: format!(
            "[{title}] ROLLBACK STARTED: <trigger> fired. The target is being returned to its state before the load; the source systems were not changed. Keep writes stopped. Owner: {owner}."
        ),
        rollback_complete_message: format!(
            "[{title}] ROLLBACK COMPLETE: the target is back to its state before the load (verified: row counts and batch status). Applications stay on the source systems. Next attempt: <date>. Owner: {owner}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::mermaid_text;

    #[test]
    fn titles_never_read_as_another_mermaid_statement() {
        assert_eq!(mermaid_text("Load: accounts #1;"), "Load accounts 1");
        assert_eq!(mermaid_text("Title transfer"), "Step Title transfer");
        assert_eq!(mermaid_text("section B"), "Step section B");
        assert_eq!(mermaid_text("x% off"), "Step x% off");
        assert_eq!(
            mermaid_text("2024-01-01 go-live"),
            "Step 2024-01-01 go-live"
        );
        assert_eq!(mermaid_text(" : "), "Step");
        assert_eq!(
            mermaid_text("Go/No-Go & sign-off, 50% done"),
            "Go/No-Go & sign-off, 50% done"
        );
    }
}
