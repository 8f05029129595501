//! The remaining rules: lookups, `group by` maps, gates, rollback, phases,
//! dialect portability and the spec-wide warnings.

use crate::facts::{walk, FactFinder};
use crate::keys::key_of;
use crate::Checker;
use cutover_diagnostics::{codes, Diagnostic};
use cutover_ir::{
    CheckKind, Const, Expr, ExprKind, Func, MapId, Metric, Role, RollbackStrategy, Step, Threshold,
    Timing, Tolerance, Trigger, TypeKind,
};
use std::collections::BTreeSet;

impl Checker<'_> {
    pub(crate) fn lookups(&mut self) {
        let ir = self.ir;
        for l in &ir.lookups {
            for e in &l.entries {
                for (k, span) in &e.keys {
                    if *k == Const::Null {
                        let d = Diagnostic::new(codes::NULL_LOOKUP_KEY, format!("lookup `{}` has a `null` key", l.name))
                            .primary(*span, "NULL never equals anything")
                            .help("map missing values before the lookup: `name[coalesce(x, \"\")]`, or rely on `else =>`");
                        self.report(d);
                    }
                }
            }
        }
        // Keys longer than the column indexed with them can never match.
        for m in &ir.maps {
            for a in &m.assignments {
                walk(&a.expr, &mut |e| {
                    let ExprKind::Lookup { lookup, key } = &e.kind else {
                        return;
                    };
                    let Some(max) = key.ty.kind.max_chars() else {
                        return;
                    };
                    let l = ir.lookup(*lookup);
                    for entry in &l.entries {
                        for (k, span) in &entry.keys {
                            if let Const::Text(s) = k {
                                if s.chars().count() as u32 > max {
                                    let d = Diagnostic::new(codes::LOOKUP_KEY_NEVER_MATCHES, format!("lookup key \"{s}\" is longer than the {max} characters of the value looked up"))
                                        .primary(*span, "can never match")
                                        .secondary(key.span, format!("this is {}", key.ty.kind))
                                        .help("remove the entry, or fix the key; the source column cannot hold it");
                                    self.diags.push(d);
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    /// In a `group by` map every value is a group key or an aggregate; in
    /// other maps aggregates make no sense.
    pub(crate) fn grouping(&mut self) {
        let ir = self.ir;
        for m in &ir.maps {
            if m.group_by.is_empty() {
                for e in m.assignments.iter().map(|a| &a.expr).chain(m.filter.iter()) {
                    if let Some(agg) = first_aggregate(e) {
                        let d = Diagnostic::new(codes::AGGREGATE_WITHOUT_GROUP, "an aggregate in a map without `group by`")
                            .primary(agg.span, "aggregates rows")
                            .help("add `group by …` to produce one row per group, or remove the aggregate");
                        self.report(d);
                    }
                }
                continue;
            }
            let keys: Vec<String> = m.group_by.iter().map(shape).collect();
            for a in &m.assignments {
                if let Some(bad) = ungrouped(&a.expr, &keys) {
                    let d = Diagnostic::new(codes::UNGROUPED_COLUMN, "a column read outside an aggregate in a `group by` map")
                        .primary(bad.span, "one value per row, not per group")
                        .help("wrap it in an aggregate (`min`, `max`, `sum`, `count`) or add it to `group by`");
                    self.report(d);
                }
            }
        }
    }

    pub(crate) fn gates(&mut self, facts: &FactFinder<'_>) {
        let ir = self.ir;
        for g in &ir.gates {
            for c in &g.checks {
                match &c.tolerance {
                    Some(Tolerance::Percent(p)) if !(0.0..=100.0).contains(p) => {
                        let d = Diagnostic::new(
                            codes::THRESHOLD_RANGE,
                            format!("a tolerance of {p}% is out of range"),
                        )
                        .primary(c.span, "percent must lie between 0 and 100")
                        .help("write a tolerance between 0% and 100%");
                        self.report(d);
                    }
                    _ => {}
                }
                let tables = check_tables(&c.kind);
                if g.timing == Timing::BeforeLoad && matches!(c.kind, CheckKind::Sample { .. }) {
                    let d = Diagnostic::new(codes::BEFORE_LOAD_TARGET, format!("gate `{}` runs before the load, but `sample … recompute` compares with loaded target rows", g.name))
                        .primary(c.span, "there are no target rows yet")
                        .help("move the sample to an `after load` gate");
                    self.report(d);
                } else if g.timing == Timing::BeforeLoad {
                    if let Some(t) = tables
                        .iter()
                        .find(|t| ir.system(ir.table(**t).system).role == Role::Target)
                    {
                        let d = Diagnostic::new(codes::BEFORE_LOAD_TARGET, format!("gate `{}` runs before the load, but this check reads target table `{}`", g.name, ir.table_path(*t)))
                            .primary(c.span, "reads a table the load has not filled yet")
                            .help("check source tables before the load; move this check to an `after load` gate");
                        self.report(d);
                    }
                }
                match &c.kind {
                    CheckKind::Fk {
                        columns, to: None, ..
                    } => {
                        if let Some(col) =
                            columns.iter().find(|c| ir.column(**c).references.is_none())
                        {
                            let d = Diagnostic::new(codes::FK_WITHOUT_REFERENCE, format!("`{}` declares no `references`, so there is nothing to resolve", ir.column_path(*col)))
                                .primary(c.span, "no declared reference")
                                .help("declare `references table(column)` on the column, or name the parent: `fk a.b.c -> a.d.e`");
                            self.report(d);
                        }
                    }
                    CheckKind::Checksum {
                        source,
                        target,
                        columns,
                    } => {
                        let maps: Vec<MapId> = ir
                            .maps
                            .iter()
                            .enumerate()
                            .filter(|(_, m)| m.source() == *source && m.target == *target)
                            .map(|(i, _)| MapId(i as u32))
                            .collect();
                        let Some(&m) = maps.first() else {
                            let d = Diagnostic::new(codes::CHECKSUM_UNMAPPED, format!("no map reads `{}` and writes `{}`", ir.table_path(*source), ir.table_path(*target)))
                                .primary(c.span, "nothing to compare like for like")
                                .help("a checksum applies the map to the source rows and compares with the target; name tables a map connects");
                            self.report(d);
                            continue;
                        };
                        for col in columns {
                            let assignment =
                                ir.map(m).assignments.iter().find(|a| a.target == *col);
                            match assignment {
                                None => {
                                    let d = Diagnostic::new(codes::CHECKSUM_UNMAPPED, format!("the map does not assign `{}`, so the checksum cannot recompute it", ir.column(*col).name))
                                        .primary(c.span, "column not assigned by the map")
                                        .help("checksum columns the map assigns");
                                    self.report(d);
                                }
                                Some(a) if !facts.facts(&a.expr).deterministic => {
                                    let d = Diagnostic::new(codes::CHECKSUM_NONDETERMINISTIC, format!("`{}` is computed with a non-deterministic function, so a checksum cannot match", ir.column(*col).name))
                                        .primary(c.span, "checksums this column")
                                        .secondary(a.expr.span, "different on every run")
                                        .help("leave the column out of the checksum, or compute it deterministically");
                                    self.report(d);
                                }
                                Some(_) => {}
                            }
                        }
                    }
                    CheckKind::Sample { rows, map } => {
                        if *rows == 0 {
                            let d = Diagnostic::new(
                                codes::THRESHOLD_RANGE,
                                "`sample 0` checks nothing",
                            )
                            .primary(c.span, "zero rows")
                            .help("sample at least one row, for example `sample 10 recompute`");
                            self.report(d);
                        }
                        let maps: Vec<MapId> = match map {
                            Some(m) => vec![*m],
                            None => (0..ir.maps.len()).map(|i| MapId(i as u32)).collect(),
                        };
                        for m in maps {
                            if key_of(ir, m).is_none() {
                                let d = Diagnostic::new(codes::SAMPLE_NEEDS_KEY, format!("`sample … recompute` needs a key, but map `{}` has none", ir.map(m).name))
                                    .primary(c.span, "cannot find the target row of a sampled source row")
                                    .help("give the map a `key` assignment, or sample another map: `sample 10 recompute for …`");
                                self.report(d);
                            }
                        }
                    }
                    CheckKind::Reconcile { map, show } => {
                        if *show == 0 {
                            let d = Diagnostic::new(
                                codes::THRESHOLD_RANGE,
                                "`reconcile … show 0` shows no differing key",
                            )
                            .primary(c.span, "zero keys")
                            .help("show at least one key, or leave `show` out for 20");
                            self.report(d);
                        }
                        if key_of(ir, *map).is_none() {
                            let d = Diagnostic::new(
                                codes::RECONCILE_NEEDS_KEY,
                                format!(
                                    "`reconcile` needs a key, but map `{}` has none",
                                    ir.map(*map).name
                                ),
                            )
                            .primary(c.span, "cannot pair source rows with target rows")
                            .help("give the map a `key` assignment");
                            self.report(d);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    pub(crate) fn rollback(&mut self) {
        let ir = self.ir;
        let Some(r) = &ir.rollback else {
            if !ir.maps.is_empty() {
                let span = ir.maps[0].span;
                let d = Diagnostic::new(codes::NO_ROLLBACK, "the spec loads data but has no `rollback` section")
                    .primary(cutover_diagnostics::Span::new(span.start, span.start), "loads start here")
                    .help("add `rollback { when gate … fails  strategy delete_batch }` so a failed cutover has a tested way back");
                self.report(d);
            }
            return;
        };
        let header = cutover_diagnostics::Span::new(r.span.start, r.span.start + 8);
        match r.strategy {
            None => {
                let d = Diagnostic::new(codes::NO_ROLLBACK_STRATEGY, "the rollback section has no `strategy`")
                    .primary(header, "how is the target restored?")
                    .help("add `strategy truncate`, `strategy delete_batch` or `strategy restore_snapshot`");
                self.report(d);
            }
            Some(RollbackStrategy::Truncate) => {
                let loaded: BTreeSet<_> = ir.maps.iter().map(|m| m.target).collect();
                if let Some(t) = loaded
                    .iter()
                    .find(|t| ir.table(**t).rows.is_some_and(|n| n > 0))
                {
                    let d = Diagnostic::new(codes::TRUNCATE_EXISTING_DATA, format!("`strategy truncate` would delete the rows `{}` already holds", ir.table_path(*t)))
                        .primary(header, "truncates every loaded table")
                        .secondary(ir.table(*t).span, "declared with existing rows (`rows ~`)")
                        .help("use `strategy delete_batch` (removes only this load's rows) or `restore_snapshot`");
                    self.report(d);
                }
            }
            Some(_) => {}
        }
        for t in &r.triggers {
            match t {
                Trigger::GateFails { gate, span }
                    if ir.gate(*gate).timing == Timing::BeforeLoad =>
                {
                    let d = Diagnostic::new(codes::TRIGGER_BEFORE_LOAD, format!("gate `{}` runs before the load; there is nothing to roll back when it fails", ir.gate(*gate).name))
                        .primary(*span, "never fires a rollback")
                        .help("a failing `before load` gate already stops the load; trigger on an `after load` gate");
                    self.report(d);
                }
                Trigger::Metric {
                    left,
                    right: Threshold::Percent(p),
                    span,
                    ..
                } => {
                    let single_table = matches!(
                        left.as_slice(),
                        [(true, Metric::Rejected { .. } | Metric::Count { .. })]
                    );
                    if !single_table || !(0.0..=100.0).contains(p) {
                        let d = Diagnostic::new(codes::THRESHOLD_RANGE, "a percentage threshold needs one `rejected` or `count` on the left, and a value from 0% to 100%")
                            .primary(*span, "percent of what?")
                            .help("write `when rejected system.table > 0.5%`: the percentage is of the rows read from that table");
                        self.report(d);
                    }
                }
                _ => {}
            }
        }
    }

    pub(crate) fn phases(&mut self) {
        let ir = self.ir;
        for p in &ir.phases {
            if p.minutes <= 0.0 {
                let d = Diagnostic::new(
                    codes::ZERO_DURATION,
                    format!("phase `{}` takes no time", p.name),
                )
                .primary(p.span, "duration 0")
                .help("give the phase a duration such as `30m`, `4h` or `2d`");
                self.report(d);
            }
        }
        // Cycles of `after`.
        let n = ir.phases.len();
        let mut state = vec![0u8; n];
        'outer: for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            state[start] = 1;
            while let Some(&mut (p, ref mut next)) = stack.last_mut() {
                if let Some(dep) = ir.phases[p].after.get(*next) {
                    *next += 1;
                    let d = dep.index();
                    if state[d] == 0 {
                        state[d] = 1;
                        stack.push((d, 0));
                    } else if state[d] == 1 {
                        let from = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                        let mut path: Vec<&str> = stack[from..]
                            .iter()
                            .map(|(x, _)| ir.phases[*x].name.as_str())
                            .collect();
                        path.push(&ir.phases[d].name);
                        let diag = Diagnostic::new(
                            codes::PHASE_CYCLE,
                            format!("phases wait for each other: {}", path.join(" → ")),
                        )
                        .primary(ir.phases[p].span, "waits, through the cycle, for itself")
                        .help("remove one `after` so the phases can be ordered");
                        self.report(diag);
                        break 'outer;
                    }
                } else {
                    state[p] = 2;
                    stack.pop();
                }
            }
        }
        if ir.phases.is_empty() || ir.maps.is_empty() {
            return;
        }
        let load_all = ir
            .phases
            .iter()
            .flat_map(|p| &p.steps)
            .any(|s| matches!(s, Step::Load(None)));
        if load_all {
            return;
        }
        let loaded: BTreeSet<MapId> = ir
            .phases
            .iter()
            .flat_map(|p| &p.steps)
            .filter_map(|s| match s {
                Step::Load(Some(m)) => Some(*m),
                _ => None,
            })
            .collect();
        for (i, m) in ir.maps.iter().enumerate() {
            if !loaded.contains(&MapId(i as u32)) {
                let d = Diagnostic::new(codes::LOAD_OUTSIDE_PHASES, format!("map `{}` is not loaded in any phase", m.name))
                    .primary(crate::coverage::map_header(m), "no `load` step runs this map")
                    .help("add `load` (every map) or `load <map>` to the steps of the phase that runs the load");
                self.report(d);
            }
        }
    }

    /// Results that differ between the spec's dialects are refused, naming
    /// the dialect. SQLite is always one of them (rehearsals run on it).
    pub(crate) fn portability(&mut self) {
        let ir = self.ir;
        let mut exprs: Vec<&Expr> = Vec::new();
        for m in &ir.maps {
            exprs.extend(m.assignments.iter().map(|a| &a.expr));
        }
        exprs.extend(ir.fns.iter().map(|f| &f.body));
        for e in exprs {
            walk(e, &mut |x| {
                if let ExprKind::Cast { expr, to } = &x.kind {
                    if expr.ty.kind == TypeKind::Float && to.kind.is_text() {
                        let d = Diagnostic::new(codes::NOT_PORTABLE, "casting a float to text gives different text in SQLite, PostgreSQL and Python")
                            .primary(x.span, "not portable to SQLite")
                            .help("cast to a decimal first so every dialect prints the same digits: `cast(cast(x as decimal(18, 6)) as text) else reject \"…\"` (the decimal cast fails on values out of range)");
                        self.diags.push(d);
                    }
                }
            });
        }
    }

    pub(crate) fn warnings(&mut self) {
        let ir = self.ir;
        let mut used_lookups = BTreeSet::new();
        let mut used_fns = BTreeSet::new();
        let mut visit = |e: &Expr| {
            walk(e, &mut |x| match &x.kind {
                ExprKind::Lookup { lookup, .. } => {
                    used_lookups.insert(*lookup);
                }
                ExprKind::Call {
                    func: Func::User(f),
                    ..
                } => {
                    used_fns.insert(*f);
                }
                _ => {}
            })
        };
        for m in &ir.maps {
            for a in &m.assignments {
                visit(&a.expr);
                if let Some(cutover_ir::OnFailure::Default { expr, .. }) = &a.on_failure {
                    visit(expr);
                }
            }
            m.filter.iter().for_each(&mut visit);
            m.group_by.iter().for_each(&mut visit);
            m.sources
                .iter()
                .filter_map(|s| s.join.as_ref())
                .for_each(|j| visit(&j.on));
        }
        ir.fns.iter().for_each(|f| visit(&f.body));
        for g in &ir.gates {
            for c in &g.checks {
                if let CheckKind::AssertRows { predicate, .. } = &c.kind {
                    visit(predicate);
                }
            }
        }
        for (i, l) in ir.lookups.iter().enumerate() {
            if !used_lookups.contains(&cutover_ir::LookupId(i as u32)) {
                let d = Diagnostic::new(
                    codes::UNUSED_LOOKUP,
                    format!("lookup `{}` is never used", l.name),
                )
                .primary(l.span, "unused")
                .help("use it in a map, or remove it");
                self.report(d);
            }
        }
        for (i, f) in ir.fns.iter().enumerate() {
            if !used_fns.contains(&cutover_ir::FnId(i as u32)) {
                let d =
                    Diagnostic::new(codes::UNUSED_FN, format!("fn `{}` is never called", f.name))
                        .primary(f.span, "unused")
                        .help("call it in a map, or remove it");
                self.report(d);
            }
        }
        let read: BTreeSet<_> = ir
            .maps
            .iter()
            .flat_map(|m| m.sources.iter().map(|s| s.table))
            .collect();
        for t in read {
            let table = ir.table(t);
            if table.rows.is_none() {
                let d = Diagnostic::new(
                    codes::NO_ROW_ESTIMATE,
                    format!("`{}` has no `rows ~` estimate", ir.table_path(t)),
                )
                .primary(table.span, "the timeline cannot estimate its load")
                .help("add `rows ~ N` with the expected row count");
                self.report(d);
            }
        }
    }
}

fn is_aggregate(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { func: Func::Builtin(b), .. } if b.is_aggregate())
}

/// The first aggregate call in an expression, if any.
fn first_aggregate(e: &Expr) -> Option<&Expr> {
    if is_aggregate(e) {
        return Some(e);
    }
    e.children().into_iter().find_map(first_aggregate)
}

/// An expression's shape without spans, to match group keys.
fn shape(e: &Expr) -> String {
    let mut s = format!("{:?}", e.kind);
    while let Some(i) = s.find("span: ") {
        let end = s[i..].find(',').map_or(s.len(), |j| i + j + 1);
        s.replace_range(i..end, "");
    }
    s
}

/// The first column read outside an aggregate and outside a group key.
fn ungrouped<'e>(e: &'e Expr, keys: &[String]) -> Option<&'e Expr> {
    if is_aggregate(e) || keys.contains(&shape(e)) {
        return None;
    }
    if matches!(e.kind, ExprKind::Column { .. }) {
        return Some(e);
    }
    e.children().into_iter().find_map(|c| ungrouped(c, keys))
}

fn check_tables(k: &CheckKind) -> Vec<cutover_ir::TableId> {
    match k {
        CheckKind::Unique { table, .. }
        | CheckKind::NotNull { table, .. }
        | CheckKind::AssertRows { table, .. } => vec![*table],
        CheckKind::Fk { table, to, .. } => {
            let mut v = vec![*table];
            v.extend(to.iter().map(|(t, _)| *t));
            v
        }
        CheckKind::Checksum { source, target, .. } => vec![*source, *target],
        CheckKind::Sample { .. } | CheckKind::Reconcile { .. } => Vec::new(),
        CheckKind::Metric(m) => m
            .left
            .iter()
            .chain(&m.right)
            .filter_map(|(_, x)| match x {
                Metric::Count { table, .. } | Metric::Rejected { table } => Some(*table),
                Metric::Constant(_) => None,
            })
            .collect(),
    }
}
