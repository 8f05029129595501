//! `plan.json`: what the runner needs besides the transforms — the load
//! order, keys and foreign keys of every map, the SQL backend's schema,
//! snapshot and rollback scripts and every gate check per dialect, the
//! metrics of comparisons and triggers, and which systems each check reads
//! (so a runner whose source and target are on different servers knows
//! where to run it).

use cutover_backend_sql::dialect::Dialect;
use cutover_backend_sql::{gates, load, rollback, schema, sync, Postgres, Sqlite, Unsupported};
use cutover_eval::walk;
use cutover_ir::{
    CheckKind, ExprKind, Func, Ir, MapId, Metric, Role, Threshold, Timing, Tolerance, Trigger,
};
use serde_json::{json, Value};

fn strategy_name(ir: &Ir) -> &'static str {
    match rollback::strategy(ir) {
        cutover_ir::RollbackStrategy::Truncate => "truncate",
        cutover_ir::RollbackStrategy::DeleteBatch => "delete_batch",
        cutover_ir::RollbackStrategy::RestoreSnapshot => "restore_snapshot",
    }
}

struct Terms<'a> {
    ir: &'a Ir,
    list: Vec<Value>,
}

impl Terms<'_> {
    /// The index of a metric in `terms`, added on first use.
    fn add(&mut self, m: &Metric) -> Result<usize, Unsupported> {
        let ir = self.ir;
        let term = match m {
            Metric::Constant(n) => json!({ "system": null, "constant": n }),
            Metric::Count { table, .. } => json!({
                "system": ir.system(ir.table(*table).system).name,
                "table": ir.table_path(*table),
                "sql": {
                    "postgres": gates::metric_query(ir, &Postgres, m)?,
                    "sqlite": gates::metric_query(ir, &Sqlite, m)?,
                },
            }),
            // The quarantine lives with the target.
            Metric::Rejected { table } => json!({
                "system": null,
                "quarantine": true,
                "table": ir.table_path(*table),
                "sql": {
                    "postgres": gates::metric_query(ir, &Postgres, m)?,
                    "sqlite": gates::metric_query(ir, &Sqlite, m)?,
                },
            }),
        };
        if let Some(i) = self.list.iter().position(|t| *t == term) {
            return Ok(i);
        }
        self.list.push(term);
        Ok(self.list.len() - 1)
    }

    fn sum(&mut self, terms: &[(bool, Metric)]) -> Result<Value, Unsupported> {
        let mut out = Vec::new();
        for (plus, m) in terms {
            out.push(json!([plus, self.add(m)?]));
        }
        Ok(Value::Array(out))
    }
}

fn tolerance(t: Option<Tolerance>) -> Value {
    match t {
        None => Value::Null,
        Some(Tolerance::Rows(n)) => json!({ "rows": n }),
        Some(Tolerance::Percent(p)) => json!({ "percent": p }),
    }
}

/// Systems a check reads; `"quarantine"` stands for Cutover's own tables
/// beside the target.
fn reads(ir: &Ir, kind: &CheckKind) -> Vec<String> {
    let sys = |t: cutover_ir::TableId| ir.system(ir.table(t).system).name.clone();
    let mut out = Vec::new();
    let metric = |m: &Metric, out: &mut Vec<String>| match m {
        Metric::Count { table, .. } => out.push(sys(*table)),
        Metric::Rejected { .. } => out.push("quarantine".into()),
        Metric::Constant(_) => {}
    };
    match kind {
        CheckKind::Unique { table, .. }
        | CheckKind::NotNull { table, .. }
        | CheckKind::AssertRows { table, .. } => out.push(sys(*table)),
        CheckKind::Fk { table, columns, to } => {
            out.push(sys(*table));
            match to {
                Some((t, _)) => out.push(sys(*t)),
                None => {
                    for c in columns {
                        if let Some(r) = ir.column(*c).references {
                            out.push(sys(ir.column(r).table));
                        }
                    }
                }
            }
        }
        CheckKind::Checksum { source, target, .. } => {
            out.push(sys(*source));
            out.push(sys(*target));
            out.push("quarantine".into());
        }
        CheckKind::Reconcile { map, .. } => {
            let m = ir.map(*map);
            for s in &m.sources {
                out.push(sys(s.table));
            }
            out.push(sys(m.target));
            out.push("quarantine".into());
        }
        CheckKind::Sample { map, .. } => {
            for (i, m) in ir.maps.iter().enumerate() {
                if map.is_none_or(|x| x.0 as usize == i) {
                    for s in &m.sources {
                        out.push(sys(s.table));
                    }
                    out.push(sys(m.target));
                }
            }
            out.push("quarantine".into());
        }
        CheckKind::Metric(mc) => {
            for (_, m) in mc.left.iter().chain(&mc.right) {
                metric(m, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// An `incremental` map's sync, per dialect: the bound of the changed
/// rows (the last watermark as `%s`, less the skew) and the statements
/// that apply the stages the runner fills (the SQL backend's own).
fn incremental(ir: &Ir, id: MapId) -> Result<Value, Unsupported> {
    let m = ir.map(id);
    let Some(inc) = &m.incremental else {
        return Ok(Value::Null);
    };
    let kind = ir.column(inc.column).ty.kind;
    let mut sql = serde_json::Map::new();
    for d in [&Postgres as &dyn Dialect, &Sqlite] {
        let last = format!("CAST(%s AS {})", d.column_type(kind));
        sql.insert(
            d.name().to_string(),
            json!({
                "since": sync::less_skew(d, last, kind, inc),
                "upsert": sync::apply_upsert(ir, d, id),
                "remove": sync::removal(ir, d, id),
                "missing": sync::missing(ir, d, id),
            }),
        );
    }
    Ok(json!({
        "column": ir.column(inc.column).name,
        "sql": sql,
    }))
}

/// The plan as JSON text.
pub fn plan(ir: &Ir, spec: &str, sha256: &str) -> Result<String, Unsupported> {
    let order = load::map_order(ir);
    let mut maps = serde_json::Map::new();
    for &id in &order {
        let m = ir.map(id);
        let target = ir.table(m.target);
        let mut fks = Vec::new();
        for fk in target.foreign_keys.iter().filter(|f| f.table != m.target) {
            let first = fk.columns[0];
            let rule = m
                .assignments
                .iter()
                .find(|a| a.target == first)
                .and_then(|a| a.rule)
                .and_then(|r| m.rules.get(r))
                .map(|r| r.id.clone());
            fks.push(json!({
                "columns": fk.columns.iter().map(|c| ir.column(*c).name.clone()).collect::<Vec<_>>(),
                "parent": [ir.system(ir.table(fk.table).system).name, ir.table(fk.table).name],
                "parent_columns": fk.ref_columns.iter().map(|c| ir.column(*c).name.clone()).collect::<Vec<_>>(),
                "reason": cutover_eval::parent_missing(ir, fk),
                "rule": rule,
                "column": ir.column(first).name,
            }));
        }
        // Columns whose value reads the clock differ between runs.
        let mut clocked = Vec::new();
        for c in &target.columns {
            let assigned = m.assignments.iter().find(|a| a.target == *c);
            let mut uses_now = false;
            let mut visit = |e: &cutover_ir::Expr| {
                walk(e, &mut |x| {
                    if let ExprKind::Call {
                        func: Func::Builtin(b),
                        ..
                    } = &x.kind
                    {
                        uses_now |= !b.is_deterministic();
                    }
                })
            };
            match assigned {
                Some(a) => {
                    visit(&a.expr);
                    if let Some(cutover_ir::OnFailure::Default { expr, .. }) = &a.on_failure {
                        visit(expr);
                    }
                }
                None => {
                    if let Some(d) = &ir.column(*c).default {
                        visit(d);
                    }
                }
            }
            if uses_now {
                clocked.push(ir.column(*c).name.clone());
            }
        }
        maps.insert(
            m.name.clone(),
            json!({
                "source_table": ir.table_path(m.source()),
                "target_table": ir.table_path(m.target),
                "target_key": target.primary_key.iter().map(|c| ir.column(*c).name.clone()).collect::<Vec<_>>(),
                "foreign_keys": fks,
                "clocked": clocked,
                "batch": m.batch.as_ref().map(|b| json!({
                    "column": ir.column(b.column).name,
                    "size": b.size,
                })),
                "incremental": incremental(ir, id)?,
            }),
        );
    }
    let mut terms = Terms {
        ir,
        list: Vec::new(),
    };
    let mut checks = Vec::new();
    for timing in [Timing::BeforeLoad, Timing::AfterLoad] {
        let pg = gates::checks(ir, &Postgres, spec, timing)?;
        let lite = gates::checks(ir, &Sqlite, spec, timing)?;
        let kinds: Vec<&CheckKind> = ir
            .gates
            .iter()
            .filter(|g| g.timing == timing)
            .flat_map(|g| g.checks.iter().map(|c| &c.kind))
            .collect();
        for (i, (p, s)) in pg.iter().zip(&lite).enumerate() {
            let kind = kinds.get(i).copied();
            let mut check = json!({
                "gate": p.gate,
                "number": p.number,
                "label": p.label,
                "timing": if timing == Timing::BeforeLoad { "before" } else { "after" },
                "blocking": p.blocking,
                "tolerance": tolerance(p.tolerance),
                "pii": p.pii,
                "shown": p.shown,
                "sql": {
                    "postgres": { "violations": p.violations, "checked": p.checked },
                    "sqlite": { "violations": s.violations, "checked": s.checked },
                },
                "kind": "other",
            });
            let reads = match kind {
                Some(k) => reads(ir, k),
                // Lookup coverage: the maps' sources.
                None => ir
                    .systems
                    .iter()
                    .filter(|s| s.role == Role::Source)
                    .map(|s| s.name.clone())
                    .collect(),
            };
            check["reads"] = json!(reads);
            match kind {
                Some(CheckKind::Metric(mc)) => {
                    check["kind"] = json!("metric");
                    check["metric"] = json!({
                        "left": terms.sum(&mc.left)?,
                        "op": mc.op.symbol(),
                        "right": terms.sum(&mc.right)?,
                    });
                }
                Some(CheckKind::Checksum {
                    source,
                    target,
                    columns,
                }) => {
                    check["kind"] = json!("checksum");
                    check["checksum"] = json!({
                        "source": ir.table_path(*source),
                        "target": ir.table_path(*target),
                        "columns": columns.iter().map(|c| ir.column(*c).name.clone()).collect::<Vec<_>>(),
                    });
                }
                Some(CheckKind::Reconcile { map, .. }) => {
                    check["kind"] = json!("reconcile");
                    check["reconcile"] = json!({ "map": ir.map(*map).name });
                }
                Some(CheckKind::Sample { rows, map }) => {
                    check["kind"] = json!("sample");
                    let names: Vec<String> = ir
                        .maps
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| map.is_none_or(|m| m.0 as usize == *i))
                        .map(|(_, m)| m.name.clone())
                        .collect();
                    check["sample"] = json!({ "rows": rows, "maps": names });
                }
                _ => {}
            }
            checks.push(check);
        }
    }
    let mut triggers = Vec::new();
    if let Some(r) = &ir.rollback {
        for t in &r.triggers {
            triggers.push(match t {
                Trigger::GateFails { gate, .. } => json!({ "gate": ir.gate(*gate).name }),
                Trigger::Metric {
                    left, op, right, ..
                } => {
                    let l = terms.sum(left)?;
                    match right {
                        Threshold::Percent(p) => {
                            let base = match Threshold::percent_base(left) {
                                Some(t) => Some(terms.add(&Metric::Count {
                                    table: t,
                                    filter: None,
                                })?),
                                None => None,
                            };
                            json!({ "left": l, "op": op.symbol(), "percent": p, "base": base })
                        }
                        Threshold::Metric(m) => {
                            json!({ "left": l, "op": op.symbol(), "right": terms.sum(m)? })
                        }
                    }
                }
            });
        }
    }
    let mut dialects = serde_json::Map::new();
    for d in [&Postgres as &dyn Dialect, &Sqlite] {
        dialects.insert(
            d.name().to_string(),
            json!({
                "schema": schema::schema(ir, d)?,
                "snapshot": rollback::snapshot_statements(ir, d),
                "rollback": rollback::rollback(ir, d),
                "begin_checks": gates::begin(d),
                "session": d.session(),
                "sync_rollback": (!sync::synced_tables(ir).is_empty())
                    .then(|| sync::sync_rollback(ir, d)),
            }),
        );
    }
    // In the spec's order: a SQLite source URL names the first system's file.
    let systems: Vec<Value> = ir
        .systems
        .iter()
        .map(|s| {
            json!([
                s.name,
                if s.role == Role::Source {
                    "source"
                } else {
                    "target"
                }
            ])
        })
        .collect();
    let plan = json!({
        "spec_sha256": sha256,
        "strategy": strategy_name(ir),
        "systems": systems,
        "order": order.iter().map(|m| ir.map(*m).name.clone()).collect::<Vec<_>>(),
        "maps": maps,
        "checks": checks,
        "terms": terms.list,
        "triggers": triggers,
        "dialects": dialects,
    });
    let mut text = serde_json::to_string_pretty(&plan).unwrap_or_default();
    text.push('\n');
    Ok(text)
}
