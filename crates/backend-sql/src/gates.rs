//! `20_preflight.sql` and `40_validate.sql`: every check of a gate as one
//! query that returns the check's violating rows (docs/language.md,
//! "Gates"), so an empty result is a pass. Every column a check returns is
//! text, in Cutover's canonical form, so a runner can show it as it comes.
//!
//! The preflight script also counts, per lookup used under `else reject`,
//! the source values the lookup does not cover: those rows will be
//! quarantined, and the team should see them before the load.

use crate::dialect::Dialect;
use crate::expr::{Code, Columns, Compiler, Scope, Unsupported};
use crate::load::{clock, current_batch, plan, MapPlan};
use cutover_eval::walk;
use cutover_ir::{
    CheckKind, ColumnId, CompareOp, Expr, ExprKind, Ir, MapId, Metric, OnFailure, TableId, Timing,
    Tolerance, TypeKind,
};
use std::fmt::Write;

/// One check, compiled.
#[derive(Clone, Debug)]
pub struct CheckSql {
    /// The gate's name, or `lookup coverage` for the preflight's lookup
    /// checks.
    pub gate: String,
    /// 1-based position in the gate.
    pub number: usize,
    /// The check as the spec writes it, on one line.
    pub label: String,
    /// `error` checks block; `warn` checks only report.
    pub blocking: bool,
    pub tolerance: Option<Tolerance>,
    /// Returns the violating rows, every column as text.
    pub violations: String,
    /// Counts the rows checked: the base of a percentage tolerance.
    pub checked: Option<String>,
    /// What one violating row is, for people reading the script.
    pub meaning: String,
    /// Output columns holding `pii` values (reports mask them).
    pub pii: Vec<String>,
    /// How many violating rows a report lists (`reconcile … show N`);
    /// `None`: the runner's default.
    pub shown: Option<u64>,
}

impl CheckSql {
    /// Whether `violations` violating rows out of `checked` pass.
    pub fn passes(&self, violations: u64, checked: Option<u64>) -> bool {
        match self.tolerance {
            None => violations == 0,
            Some(Tolerance::Rows(n)) => violations <= n,
            Some(Tolerance::Percent(p)) => {
                let base = checked.unwrap_or(0) as f64;
                violations as f64 <= base * p / 100.0
            }
        }
    }
}

/// The checks of every gate with this timing, in spec order; before the
/// load, the lookup-coverage checks follow.
pub fn checks(
    ir: &Ir,
    d: &dyn Dialect,
    spec: &str,
    timing: Timing,
) -> Result<Vec<CheckSql>, Unsupported> {
    let now = match timing {
        Timing::BeforeLoad => d.now().to_string(),
        Timing::AfterLoad => clock(d),
    };
    let compiler = Compiler::new(ir, d, now);
    let g = Gates {
        ir,
        d,
        compiler: &compiler,
    };
    let mut out = Vec::new();
    for gate in ir.gates.iter().filter(|g| g.timing == timing) {
        for (i, c) in gate.checks.iter().enumerate() {
            let label = one_line(
                spec.get(c.span.start as usize..c.span.end as usize)
                    .unwrap_or(""),
            );
            let q = g.check(&c.kind).map_err(|u| u.at(c.span))?;
            out.push(CheckSql {
                gate: gate.name.clone(),
                number: i + 1,
                label,
                blocking: !c.warn,
                tolerance: c.tolerance,
                violations: q.violations,
                checked: q.checked,
                meaning: q.meaning,
                pii: q.pii,
                shown: match &c.kind {
                    CheckKind::Reconcile { show, .. } => Some(*show),
                    _ => None,
                },
            });
        }
    }
    if timing == Timing::BeforeLoad {
        let mut n = 0;
        for (i, m) in ir.maps.iter().enumerate() {
            for a in &m.assignments {
                if !matches!(a.on_failure, Some(OnFailure::Reject { .. })) {
                    continue;
                }
                let mut lookups = Vec::new();
                walk(&a.expr, &mut |e| {
                    if let ExprKind::Lookup { lookup, .. } = &e.kind {
                        if ir.lookups[lookup.0 as usize].otherwise.is_none() {
                            lookups.push(e.clone());
                        }
                    }
                });
                for e in lookups {
                    n += 1;
                    let q = g.coverage(MapId(i as u32), &e)?;
                    let ExprKind::Lookup { lookup, .. } = &e.kind else {
                        continue;
                    };
                    out.push(CheckSql {
                        gate: "lookup coverage".into(),
                        number: n,
                        label: format!(
                            "lookup {} covers `{}` of map {} (else reject)",
                            ir.lookups[lookup.0 as usize].name,
                            ir.column(a.target).name,
                            m.name
                        ),
                        blocking: false,
                        tolerance: None,
                        violations: q.violations,
                        checked: q.checked,
                        meaning: q.meaning,
                        pii: q.pii,
                        shown: None,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// One metric of a gate or trigger (a count, a filtered count,
/// `rejected`) as a query returning one number: for runners that compare
/// metrics read on different servers.
pub fn metric_query(ir: &Ir, d: &dyn Dialect, m: &Metric) -> Result<String, Unsupported> {
    let compiler = Compiler::new(ir, d, d.now().to_string());
    let g = Gates {
        ir,
        d,
        compiler: &compiler,
    };
    Ok(format!("SELECT {}", g.metric(m)?))
}

/// What starts a run of checks: a read-only transaction (one snapshot for
/// every check where the dialect has it) and the session settings. End it
/// with `COMMIT;`. The scripts start with it; a runner sends it first.
pub fn begin(d: &dyn Dialect) -> String {
    let mut lines = vec![d.begin_read_only().to_string()];
    lines.extend(d.session());
    lines.extend(d.gate_session());
    lines.join("\n")
}

/// The script: each check as a commented query, in one read-only
/// transaction.
pub fn script(ir: &Ir, d: &dyn Dialect, spec: &str, timing: Timing) -> Result<String, Unsupported> {
    let checks = checks(ir, d, spec, timing)?;
    let mut out = begin(d);
    out.push_str("\n\n");
    if checks.is_empty() {
        out.push_str("-- No checks.\n");
    }
    for c in &checks {
        let severity = match (c.blocking, c.tolerance) {
            (true, None) => "error".to_string(),
            (false, _) => "warn".to_string(),
            (true, Some(Tolerance::Rows(n))) => format!("error, tolerance {n} rows"),
            (true, Some(Tolerance::Percent(p))) => format!("error, tolerance {p}%"),
        };
        let _ = writeln!(
            out,
            "-- check {} #{}: {} ({severity})\n-- violating rows: {}\n{};\n",
            c.gate, c.number, c.label, c.meaning, c.violations
        );
    }
    out.push_str("COMMIT;\n");
    Ok(out)
}

/// `41_ranges.sql`: for each map a `reconcile` check names, the key ranges
/// whose contents differ between the source (the map applied) and the
/// target, found by comparing each range's row count and digest sum: a
/// mismatch is located without comparing row by row. A single integer key
/// is cut into ranges of the map's `batch` size (10,000 without one); any
/// other key into 256 ranges by a digest of the key. Each row: the map, the
/// range, its first and last key, and the rows on each side.
pub fn ranges(ir: &Ir, d: &dyn Dialect) -> Result<String, Unsupported> {
    let mut out = begin(d);
    out.push_str("\n\n");
    for (map, q) in range_queries(ir, d)? {
        let _ = writeln!(
            out,
            "-- map {map}: key ranges whose contents differ\n{q};\n"
        );
    }
    out.push_str("COMMIT;\n");
    Ok(out)
}

/// The queries of [`ranges`], by map name.
pub fn range_queries(ir: &Ir, d: &dyn Dialect) -> Result<Vec<(String, String)>, Unsupported> {
    let compiler = Compiler::new(ir, d, clock(d));
    let g = Gates {
        ir,
        d,
        compiler: &compiler,
    };
    let mut maps: Vec<MapId> = Vec::new();
    for gate in &ir.gates {
        for c in &gate.checks {
            if let CheckKind::Reconcile { map, .. } = c.kind {
                if !maps.contains(&map) {
                    maps.push(map);
                }
            }
        }
    }
    let mut out = Vec::new();
    for m in maps {
        let q = g.range_query(m).map_err(|u| u.at(ir.map(m).span))?;
        out.push((ir.map(m).name.clone(), q));
    }
    Ok(out)
}

impl Gates<'_> {
    fn range_query(&self, map: MapId) -> Result<String, Unsupported> {
        let ir = self.ir;
        let d = self.d;
        let m = ir.map(map);
        let tt = ir.table(m.target);
        let p = plan(ir, d, self.compiler, map, true)?;
        let staged = if m.group_by.is_empty() {
            p.stage_select(d, ir, &p.layer_a)
        } else {
            p.stage_query(d, ir)
        };
        let compared = deterministic_columns(ir, m, &p);
        let digest = |alias: &str| -> Result<String, Unsupported> {
            let mut texts = Vec::new();
            for c in &compared {
                let col = ir.column(*c);
                texts.push(self.text(&format!("{alias}.{}", self.id(&col.name)), col.ty.kind)?);
            }
            Ok(d.hash(&d.row_text(&texts)))
        };
        let keys: Vec<(String, TypeKind)> = tt
            .primary_key
            .iter()
            .map(|c| (self.id(&ir.column(*c).name), ir.column(*c).ty.kind))
            .collect();
        let key_text = |alias: &str| -> Result<String, Unsupported> {
            let mut parts = Vec::new();
            for (k, kind) in &keys {
                parts.push(self.text(&format!("{alias}.{k}"), *kind)?);
            }
            Ok(parts.join(" || ',' || "))
        };
        let integer = matches!(
            keys.as_slice(),
            [(_, TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt)]
        );
        let size = m.batch.as_ref().map_or(10_000, |b| b.size.max(1));
        let bucket = |alias: &str| -> Result<String, Unsupported> {
            Ok(if integer {
                format!("{alias}.{} / {size}", keys[0].0)
            } else {
                format!("substr({}, 1, 2)", d.hash(&key_text(alias)?))
            })
        };
        let (first, last) = if integer {
            (format!("min({})", keys[0].0), format!("max({})", keys[0].0))
        } else {
            ("min(key_text)".to_owned(), "max(key_text)".to_owned())
        };
        let sum = d
            .digest_sum("h")
            .ok_or_else(|| Unsupported::new("a digest sum"))?;
        let side = |rows: String| -> String {
            format!(
                "SELECT b, count(*) AS n, {first} AS lo, {last} AS hi, CAST({sum} AS text) AS dsum\n  FROM (\n{rows}\n  ) AS r\n GROUP BY b"
            )
        };
        let key_cols: Vec<String> = keys.iter().map(|(k, _)| format!("x.{k}")).collect();
        let source = side(format!(
            "SELECT {}, {} AS key_text, {} AS b, {} AS h\n  FROM (\n{}\n  ) AS x\n WHERE x.{} IS NULL",
            key_cols.join(", "),
            key_text("x")?,
            bucket("x")?,
            digest("x")?,
            indent(&staged),
            self.id("cutover_reason")
        ));
        let target = side(format!(
            "SELECT {}, {} AS key_text, {} AS b, {} AS h\n  FROM {} AS x\n WHERE x.{} IS NOT NULL",
            key_cols.join(", "),
            key_text("x")?,
            bucket("x")?,
            digest("x")?,
            self.table(m.target),
            self.id(crate::schema::BATCH_COLUMN)
        ));
        let lo = self.text("min(lo)", if integer { keys[0].1 } else { TypeKind::Text })?;
        let hi = self.text("max(hi)", if integer { keys[0].1 } else { TypeKind::Text })?;
        Ok(format!(
            "SELECT {} AS {}, CAST(b AS text) AS {}, {lo} AS {}, {hi} AS {}, CAST(sum(sn) AS text) AS {}, CAST(sum(tn) AS text) AS {}\n  FROM (\n  SELECT b, lo, hi, n AS sn, 0 AS tn, dsum AS sd, NULL AS td FROM (\n{}\n  ) AS s\n  UNION ALL\n  SELECT b, lo, hi, 0, n, NULL, dsum FROM (\n{}\n  ) AS t\n  ) AS both_sides\n GROUP BY b\nHAVING sum(sn) <> sum(tn) OR max(sd) IS NULL OR max(td) IS NULL OR max(sd) <> max(td)\n ORDER BY b",
            d.text(&m.name),
            self.id("map"),
            self.id("range"),
            self.id("first_key"),
            self.id("last_key"),
            self.id("source_rows"),
            self.id("target_rows"),
            indent(&source),
            indent(&target),
        ))
    }
}

/// The target columns a map computes the same on every run: those a
/// recomputation can compare (`now()` and the like are left out).
fn deterministic_columns(ir: &Ir, m: &cutover_ir::Map, p: &MapPlan) -> Vec<ColumnId> {
    let facts = cutover_check::FactFinder::new(ir);
    p.outcomes
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| match m.assignments.iter().find(|a| a.target == *c) {
            Some(a) => facts.facts(&a.expr).deterministic,
            None => ir
                .column(*c)
                .default
                .as_ref()
                .is_none_or(|e| facts.facts(e).deterministic),
        })
        .collect()
}

fn one_line(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        let line = match line.find(" #") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

struct Query {
    violations: String,
    checked: Option<String>,
    meaning: String,
    pii: Vec<String>,
}

struct Gates<'a> {
    ir: &'a Ir,
    d: &'a dyn Dialect,
    compiler: &'a Compiler<'a>,
}

/// Columns of one table by `alias.column`.
struct Alias<'a> {
    ir: &'a Ir,
    d: &'a dyn Dialect,
    alias: &'a str,
}

impl Scope for Alias<'_> {
    fn column(&self, _source: u32, column: ColumnId) -> String {
        format!(
            "{}.{}",
            self.alias,
            self.d.ident(&self.ir.column(column).name)
        )
    }
}

impl Gates<'_> {
    fn id(&self, s: &str) -> String {
        self.d.ident(s)
    }

    fn table(&self, t: TableId) -> String {
        let table = self.ir.table(t);
        self.d
            .table(&self.ir.system(table.system).name, &table.name)
    }

    /// Canonical text of a value of type `kind`.
    fn text(&self, sql: &str, kind: TypeKind) -> Result<String, Unsupported> {
        let scope = Columns(|_, _| String::new());
        Ok(self
            .compiler
            .store(Code::ok(sql), kind, TypeKind::Text, &scope)?
            .v)
    }

    fn count(&self, t: TableId) -> String {
        format!("SELECT count(*) FROM {}", self.table(t))
    }

    /// The columns that identify a row: the primary key, else every column.
    fn row_id(&self, t: TableId) -> Vec<ColumnId> {
        let table = self.ir.table(t);
        if table.primary_key.is_empty() {
            table.columns.clone()
        } else {
            table.primary_key.clone()
        }
    }

    /// `alias.c AS c` text columns for the identifying columns and then
    /// `extra`, each once; with the `pii` ones.
    fn shown(
        &self,
        alias: &str,
        t: TableId,
        extra: &[ColumnId],
    ) -> Result<(Vec<String>, Vec<String>), Unsupported> {
        let mut cols = self.row_id(t);
        for c in extra {
            if !cols.contains(c) {
                cols.push(*c);
            }
        }
        let mut select = Vec::new();
        let mut pii = Vec::new();
        for c in cols {
            let col = self.ir.column(c);
            let v = format!("{alias}.{}", self.id(&col.name));
            select.push(format!(
                "{} AS {}",
                self.text(&v, col.ty.kind)?,
                self.id(&col.name)
            ));
            if col.pii {
                pii.push(col.name.clone());
            }
        }
        Ok((select, pii))
    }

    fn order_by(&self, alias: &str, t: TableId) -> String {
        let cols: Vec<String> = self
            .row_id(t)
            .iter()
            .map(|c| format!("{alias}.{}", self.id(&self.ir.column(*c).name)))
            .collect();
        cols.join(", ")
    }

    fn check(&self, kind: &CheckKind) -> Result<Query, Unsupported> {
        let ir = self.ir;
        match kind {
            CheckKind::Unique { table, columns } => {
                let cols: Vec<String> = columns
                    .iter()
                    .map(|c| format!("t.{}", self.id(&ir.column(*c).name)))
                    .collect();
                let mut select = Vec::new();
                let mut pii = Vec::new();
                for (c, v) in columns.iter().zip(&cols) {
                    let col = ir.column(*c);
                    select.push(format!(
                        "{} AS {}",
                        self.text(v, col.ty.kind)?,
                        self.id(&col.name)
                    ));
                    if col.pii {
                        pii.push(col.name.clone());
                    }
                }
                let not_null: Vec<String> =
                    cols.iter().map(|c| format!("{c} IS NOT NULL")).collect();
                Ok(Query {
                    violations: format!(
                        "SELECT {}, CAST(count(*) AS text) AS {}\n  FROM {} AS t\n WHERE {}\n GROUP BY {}\nHAVING count(*) > 1\n ORDER BY {}",
                        select.join(", "),
                        self.id("rows"),
                        self.table(*table),
                        not_null.join(" AND "),
                        cols.join(", "),
                        cols.join(", ")
                    ),
                    checked: Some(self.count(*table)),
                    meaning: "a value that occurs more than once (NULLs excepted), with its number of rows".into(),
                    pii,
                })
            }
            CheckKind::NotNull { table, columns } => {
                let (select, pii) = self.shown("t", *table, columns)?;
                let null: Vec<String> = columns
                    .iter()
                    .map(|c| format!("t.{} IS NULL", self.id(&ir.column(*c).name)))
                    .collect();
                Ok(Query {
                    violations: format!(
                        "SELECT {}\n  FROM {} AS t\n WHERE {}\n ORDER BY {}",
                        select.join(", "),
                        self.table(*table),
                        null.join(" OR "),
                        self.order_by("t", *table)
                    ),
                    checked: Some(self.count(*table)),
                    meaning: "a row where a listed column is NULL".into(),
                    pii,
                })
            }
            CheckKind::Fk { table, columns, to } => {
                let (parent, parent_cols) = match to {
                    Some((p, cols)) => (*p, cols.clone()),
                    None => self.declared_reference(*table, columns)?,
                };
                let (select, pii) = self.shown("t", *table, columns)?;
                let mut present = Vec::new();
                let mut on = Vec::new();
                for (c, p) in columns.iter().zip(&parent_cols) {
                    let c = self.id(&ir.column(*c).name);
                    present.push(format!("t.{c} IS NOT NULL"));
                    on.push(format!("p.{} = t.{c}", self.id(&ir.column(*p).name)));
                }
                Ok(Query {
                    violations: format!(
                        "SELECT {}\n  FROM {} AS t\n WHERE {}\n   AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})\n ORDER BY {}",
                        select.join(", "),
                        self.table(*table),
                        present.join(" AND "),
                        self.table(parent),
                        on.join(" AND "),
                        self.order_by("t", *table)
                    ),
                    checked: Some(self.count(*table)),
                    meaning: format!("a row whose non-NULL value has no row in {}", ir.table_path(parent)),
                    pii,
                })
            }
            CheckKind::AssertRows { table, predicate } => {
                let scope = Alias {
                    ir,
                    d: self.d,
                    alias: "t",
                };
                let code = self.compiler.compile(predicate, &scope)?;
                let mut read = Vec::new();
                walk(predicate, &mut |e| {
                    if let ExprKind::Column { column, .. } = e.kind {
                        if !read.contains(&column) {
                            read.push(column);
                        }
                    }
                });
                let (mut select, pii) = self.shown("t", *table, &read)?;
                // An `error` column always, so every dialect returns the
                // same shape.
                let cond = match &code.err {
                    Some(e) => {
                        select.push(format!("{e} AS {}", self.id("error")));
                        format!("{e} IS NOT NULL OR NOT ({})", code.v)
                    }
                    None => {
                        select.push(format!(
                            "{} AS {}",
                            self.d.null(TypeKind::Text),
                            self.id("error")
                        ));
                        format!("NOT ({})", code.v)
                    }
                };
                Ok(Query {
                    violations: format!(
                        "SELECT {}\n  FROM {} AS t\n WHERE {cond}\n ORDER BY {}",
                        select.join(", "),
                        self.table(*table),
                        self.order_by("t", *table)
                    ),
                    checked: Some(self.count(*table)),
                    meaning: "a row for which the predicate is false (or cannot be computed)"
                        .into(),
                    pii,
                })
            }
            CheckKind::Metric(m) => {
                let left = self.metric_sum(&m.left)?;
                let right = self.metric_sum(&m.right)?;
                Ok(Query {
                    violations: format!(
                        "SELECT CAST(m.{l} AS text) AS {l}, CAST(m.{r} AS text) AS {r}\n  FROM (SELECT {left} AS {l}, {right} AS {r}) AS m\n WHERE NOT (m.{l} {} m.{r})",
                        compare(m.op),
                        l = self.id("left"),
                        r = self.id("right"),
                    ),
                    checked: None,
                    meaning: "one row, with both sides, when the comparison is false".into(),
                    pii: Vec::new(),
                })
            }
            CheckKind::Checksum {
                source,
                target,
                columns,
            } => self.checksum(*source, *target, columns),
            CheckKind::Reconcile { map, .. } => {
                // Only keys are shown (differing columns by name): masked
                // when a key column is pii.
                let m = ir.map(*map);
                let keys = ir.table(m.source()).primary_key.iter();
                let pii = keys
                    .chain(&ir.table(m.target).primary_key)
                    .any(|c| ir.column(*c).pii);
                Ok(Query {
                    violations: self.recompute(*map, None)?,
                    checked: Some(self.count(m.source())),
                    meaning: "a key whose source row, with the map applied, is missing in the target or differs from it (the differing columns named), a rejected row in the target or not in the quarantine, or a loaded target row no source row gives".into(),
                    pii: if pii { vec!["source_key".into()] } else { Vec::new() },
                })
            }
            CheckKind::Sample { rows, map } => {
                let maps: Vec<MapId> = match map {
                    Some(m) => vec![*m],
                    None => (0..ir.maps.len()).map(|i| MapId(i as u32)).collect(),
                };
                let mut parts = Vec::new();
                for m in maps {
                    parts.push(self.recompute(m, Some(*rows))?);
                }
                Ok(Query {
                    violations: parts.join("\nUNION ALL\n"),
                    checked: Some(rows.to_string()),
                    meaning: "a sampled source row whose recomputed target row differs from the loaded one, is missing, or (rejected) is not in the quarantine".into(),
                    pii: Vec::new(),
                })
            }
        }
    }

    fn declared_reference(
        &self,
        table: TableId,
        columns: &[ColumnId],
    ) -> Result<(TableId, Vec<ColumnId>), Unsupported> {
        let ir = self.ir;
        if let Some(fk) = ir
            .table(table)
            .foreign_keys
            .iter()
            .find(|f| f.columns == columns)
        {
            return Ok((fk.table, fk.ref_columns.clone()));
        }
        let mut to = Vec::new();
        for c in columns {
            match ir.column(*c).references {
                Some(r) => to.push(r),
                None => {
                    return Err(Unsupported::new(format!(
                        "`{}` declares no reference",
                        ir.column_path(*c)
                    )))
                }
            }
        }
        let parent = ir.column(to[0]).table;
        Ok((parent, to))
    }

    fn metric_sum(&self, terms: &[(bool, Metric)]) -> Result<String, Unsupported> {
        let mut out = String::new();
        for (i, (plus, m)) in terms.iter().enumerate() {
            let v = self.metric(m)?;
            match (i, plus) {
                (0, true) => out.push_str(&v),
                (0, false) => out.push_str(&format!("-{v}")),
                (_, true) => out.push_str(&format!(" + {v}")),
                (_, false) => out.push_str(&format!(" - {v}")),
            }
        }
        Ok(format!("({out})"))
    }

    fn metric(&self, m: &Metric) -> Result<String, Unsupported> {
        Ok(match m {
            Metric::Constant(n) => n.to_string(),
            Metric::Count {
                table,
                filter: None,
            } => format!("({})", self.count(*table)),
            Metric::Count {
                table,
                filter: Some(f),
            } => {
                let scope = Alias {
                    ir: self.ir,
                    d: self.d,
                    alias: "t",
                };
                let code = self.compiler.compile(f, &scope)?;
                let cond = match code.err {
                    Some(e) => format!("{e} IS NULL AND ({})", code.v),
                    None => code.v,
                };
                format!(
                    "(SELECT count(*) FROM {} AS t WHERE {cond})",
                    self.table(*table)
                )
            }
            Metric::Rejected { table } => {
                let counted = if self.ir.table(*table).primary_key.is_empty() {
                    "count(*)".to_string()
                } else {
                    format!("count(DISTINCT q.{})", self.id("source_key"))
                };
                format!(
                    "(SELECT {counted} FROM {} AS q WHERE q.{} = {})",
                    self.d.meta_table("quarantine"),
                    self.id("source_table"),
                    self.d.text(&self.ir.table_path(*table))
                )
            }
        })
    }

    fn checksum(
        &self,
        source: TableId,
        target: TableId,
        columns: &[ColumnId],
    ) -> Result<Query, Unsupported> {
        let ir = self.ir;
        let d = self.d;
        let maps: Vec<MapId> = (0..ir.maps.len())
            .map(|i| MapId(i as u32))
            .filter(|m| ir.map(*m).source() == source && ir.map(*m).target == target)
            .collect();
        if maps.is_empty() {
            return Err(Unsupported::new(format!(
                "a checksum of {} -> {} without a map",
                ir.table_path(source),
                ir.table_path(target)
            )));
        }
        let tt = ir.table(target);
        if tt.primary_key.is_empty() {
            return Err(Unsupported::new(format!(
                "a checksum into {}, which has no primary key",
                ir.table_path(target)
            )));
        }
        let only_these = ir.maps.iter().filter(|m| m.target == target).count() == maps.len();
        let key_names: Vec<String> = tt
            .primary_key
            .iter()
            .map(|c| self.id(&ir.column(*c).name))
            .collect();
        let hash_of = |alias: &str| -> Result<String, Unsupported> {
            let mut texts = Vec::new();
            for c in columns {
                let col = ir.column(*c);
                texts.push(self.text(&format!("{alias}.{}", self.id(&col.name)), col.ty.kind)?);
            }
            Ok(d.hash(&d.row_text(&texts)))
        };
        // Source side: the map applied to the source rows that were not
        // quarantined (grouped maps: the groups that did not fail).
        let mut sides = Vec::new();
        for m in &maps {
            let p = plan(ir, d, self.compiler, *m, true)?;
            let wanted: Vec<ColumnId> = tt
                .columns
                .iter()
                .copied()
                .filter(|c| tt.primary_key.contains(c) || columns.contains(c))
                .collect();
            let values = if ir.map(*m).group_by.is_empty() {
                let kept = format!(
                    "SELECT a.*\n  FROM (\n{}\n  ) AS a\n WHERE NOT EXISTS (SELECT 1 FROM {} AS q WHERE q.{} = {} AND q.{} = {})",
                    indent(&p.layer_a),
                    d.meta_table("quarantine"),
                    self.id("map_name"),
                    d.text(&ir.map(*m).name),
                    self.id("source_key"),
                    p.key_text
                );
                p.values_select(d, ir, &kept, &wanted)
            } else {
                let names: Vec<String> = tt
                    .columns
                    .iter()
                    .filter(|c| wanted.contains(c))
                    .map(|c| self.id(&ir.column(*c).name))
                    .collect();
                format!(
                    "SELECT {}\n  FROM (\n{}\n  ) AS g\n WHERE g.{} IS NULL",
                    names.join(", "),
                    indent(&p.stage_query(d, ir)),
                    self.id("cutover_reason")
                )
            };
            let keys: Vec<String> = key_names.iter().map(|k| format!("v.{k}")).collect();
            sides.push(format!(
                "SELECT {}, {} AS {}\n  FROM (\n{}\n  ) AS v",
                keys.join(", "),
                hash_of("v")?,
                self.id("cutover_hash"),
                indent(&values)
            ));
        }
        let keys: Vec<String> = key_names.iter().map(|k| format!("t.{k}")).collect();
        let target_side = format!(
            "SELECT {}, {} AS {}\n  FROM {} AS t",
            keys.join(", "),
            hash_of("t")?,
            self.id("cutover_hash"),
            self.table(target)
        );
        let on: Vec<String> = key_names.iter().map(|k| format!("s.{k} = t.{k}")).collect();
        let mut shown = Vec::new();
        for c in &tt.primary_key {
            let col = ir.column(*c);
            let name = self.id(&col.name);
            let v = if only_these {
                format!("COALESCE(s.{name}, t.{name})")
            } else {
                format!("s.{name}")
            };
            shown.push(format!("{} AS {name}", self.text(&v, col.ty.kind)?));
        }
        let h = self.id("cutover_hash");
        let sources = sides.join("\nUNION ALL\n");
        let problem = format!(
            "CASE WHEN t.{h} IS NULL THEN 'missing in the target' WHEN s.{h} IS NULL THEN 'not from the source' ELSE 'differs' END AS {}",
            self.id("problem")
        );
        let violations = if !only_these || d.full_join() {
            // Where the dialect can, the keyed comparison runs only when the
            // two sides' digest sums differ (a pass costs no join and no key).
            let prefilter = match d.digest_sum(&format!("x.{h}")) {
                Some(sum) if only_these => format!(
                    "({} IS DISTINCT FROM {}) AND ",
                    format_args!("(SELECT {sum} FROM (\n{}\n  ) AS x)", indent(&sources)),
                    format_args!("(SELECT {sum} FROM (\n{}\n  ) AS x)", indent(&target_side)),
                ),
                _ => String::new(),
            };
            format!(
                "SELECT {}, {problem}\n  FROM (\n{}\n  ) AS s\n  {} JOIN (\n{}\n  ) AS t ON {}\n WHERE {prefilter}NOT ({})",
                shown.join(", "),
                indent(&sources),
                if only_these { "FULL" } else { "LEFT" },
                indent(&target_side),
                on.join(" AND "),
                d.same(&format!("s.{h}"), &format!("t.{h}"))
            )
        } else {
            // The full join as a left join each way: source rows missing
            // or different in the target, then target rows whose key the
            // source lacks.
            let mut shown_t = Vec::new();
            for c in &tt.primary_key {
                let col = ir.column(*c);
                let name = self.id(&col.name);
                shown_t.push(format!(
                    "{} AS {name}",
                    self.text(&format!("t.{name}"), col.ty.kind)?
                ));
            }
            // The mapped source once (it is the costly side), then NOT IN,
            // not an anti-join: SQLite always indexes the list it builds,
            // but not a subquery whose key lacks the column's affinity.
            let s_keys: Vec<String> = key_names.iter().map(|k| format!("s.{k}")).collect();
            let t_keys: Vec<String> = key_names.iter().map(|k| format!("t.{k}")).collect();
            let not_null: Vec<String> = s_keys.iter().map(|k| format!("{k} IS NOT NULL")).collect();
            let tuple = |keys: &[String]| {
                if keys.len() == 1 {
                    keys.join("")
                } else {
                    format!("({})", keys.join(", "))
                }
            };
            let mapped = self.id("cutover_mapped");
            // Where the digest sums agree, neither comparison runs.
            let (differs_cte, differs) = match d.digest_sum(&format!("x.{h}")) {
                Some(sum) => {
                    let name = self.id("cutover_differs");
                    (
                        format!(
                            ",\n{name} AS MATERIALIZED (\n  SELECT NOT ({}) AS d\n)",
                            d.same(
                                &format!("(SELECT {sum} FROM {mapped} AS x)"),
                                &format!(
                                    "(SELECT {sum} FROM (\n{}\n  ) AS x)",
                                    indent(&target_side)
                                )
                            )
                        ),
                        format!("(SELECT d FROM {name}) AND "),
                    )
                }
                None => (String::new(), String::new()),
            };
            format!(
                "WITH {mapped} AS MATERIALIZED (\n{}\n){differs_cte}\nSELECT {}, {problem}\n  FROM {mapped} AS s\n  LEFT JOIN (\n{}\n  ) AS t ON {}\n WHERE {differs}NOT ({})\nUNION ALL\nSELECT {}, 'not from the source' AS {}\n  FROM {} AS t\n WHERE {differs}{} NOT IN (SELECT {} FROM {mapped} AS s WHERE {})",
                indent(&sources),
                shown.join(", "),
                indent(&target_side),
                on.join(" AND "),
                d.same(&format!("s.{h}"), &format!("t.{h}")),
                shown_t.join(", "),
                self.id("problem"),
                self.table(target),
                tuple(&t_keys),
                s_keys.join(", "),
                not_null.join(" AND "),
            )
        };
        Ok(Query {
            violations,
            checked: Some(self.count(source)),
            meaning: "a key whose listed columns differ between the mapped source and the target (by hash), or that one side lacks".into(),
            pii: Vec::new(),
        })
    }

    /// `sample N recompute` for one map: N source rows (or groups), chosen
    /// by a hash of the source key and the batch id, recomputed and
    /// compared with the target row by key.
    /// Source rows recomputed with the map and compared with the target
    /// by key: a sample of `rows` rows (in an order that changes with each
    /// batch), or with `None` every row, and then also the loaded target
    /// rows that no source row gives (reconciliation).
    fn recompute(&self, map: MapId, sample: Option<u64>) -> Result<String, Unsupported> {
        let ir = self.ir;
        let d = self.d;
        let m = ir.map(map);
        let tt = ir.table(m.target);
        let p = plan(ir, d, self.compiler, map, true)?;
        let grouped = !m.group_by.is_empty();
        let batch = format!("CAST({} AS text)", current_batch(d));
        let staged = if sample.is_none() {
            if grouped {
                p.stage_query(d, ir)
            } else {
                p.stage_select(
                    d,
                    ir,
                    &format!("SELECT a.*\n  FROM (\n{}\n  ) AS a", indent(&p.layer_a)),
                )
            }
        } else if grouped {
            let rows = sample.unwrap_or(0);
            let keys: Vec<String> = (0..m.group_by.len())
                .map(|i| {
                    format!(
                        "COALESCE(CAST(g.{} AS text), '')",
                        self.id(&format!("cutover_g{i}"))
                    )
                })
                .collect();
            format!(
                "SELECT g.*\n  FROM (\n{}\n  ) AS g\n ORDER BY {}, {}\n LIMIT {rows}",
                indent(&p.stage_query(d, ir)),
                d.hash(&format!("{} || {batch}", keys.join(" || ',' || "))),
                keys.join(", ")
            )
        } else {
            let rows = sample.unwrap_or(0);
            let sampled = format!(
                "SELECT a.*\n  FROM (\n{}\n  ) AS a\n ORDER BY {}, {}\n LIMIT {rows}",
                indent(&p.layer_a),
                d.hash(&format!("COALESCE({}, '') || {batch}", p.key_text)),
                p.key_text
            );
            // key_text reads layer A's names, which `a.*` keeps.
            p.stage_select(d, ir, &sampled)
        };
        let mut differs = Vec::new();
        for c in deterministic_columns(ir, m, &p) {
            let col = ir.column(c);
            let name = self.id(&col.name);
            let s = self.text(&format!("s.{name}"), col.ty.kind)?;
            let t = self.text(&format!("t.{name}"), col.ty.kind)?;
            differs.push(format!(
                "CASE WHEN {} THEN '' ELSE {} END",
                d.same(&s, &t),
                d.text(&format!(" {}", col.name))
            ));
        }
        let differs = if differs.is_empty() {
            "''".to_string()
        } else {
            differs.join(" || ")
        };
        let on: Vec<String> = tt
            .primary_key
            .iter()
            .map(|c| {
                let n = self.id(&ir.column(*c).name);
                format!("t.{n} = s.{n}")
            })
            .collect();
        let first_key = self.id(&ir.column(tt.primary_key[0]).name);
        let reason = self.id("cutover_reason");
        let source_key = self.id("cutover_source_key");
        let quarantined = if grouped {
            d.bool_literal(true)
        } else {
            format!(
                "EXISTS (SELECT 1 FROM {} AS q WHERE q.{} = {} AND q.{} = s.{source_key})",
                d.meta_table("quarantine"),
                self.id("map_name"),
                d.text(&m.name),
                self.id("source_key")
            )
        };
        let key_shown = if grouped {
            format!("CAST(s.{} AS text)", self.id("cutover_g0"))
        } else {
            format!("s.{source_key}")
        };
        let problem = format!(
            "CASE WHEN s.{reason} IS NOT NULL AND s.{tk} IS NOT NULL THEN 'rejected, but in the target' WHEN s.{reason} IS NOT NULL THEN 'rejected, but not in the quarantine' WHEN s.{tk} IS NULL THEN 'missing in the target' ELSE 'differs:' || s.{df} END",
            tk = self.id("cutover_target_key"),
            df = self.id("cutover_differs")
        );
        let compared = format!(
            "SELECT {} AS {}, {key_shown} AS {}, {problem} AS {}\n  FROM (\n  SELECT s.*, t.{first_key} AS {}, ({differs}) AS {}\n    FROM (\n{}\n    ) AS s\n    LEFT JOIN {} AS t ON {}\n  ) AS s\n WHERE (s.{reason} IS NULL AND (s.{} IS NULL OR s.{} <> ''))\n    OR (s.{reason} IS NOT NULL AND (s.{} IS NOT NULL OR NOT {quarantined}))",
            d.text(&m.name),
            self.id("map"),
            self.id("source_key"),
            self.id("problem"),
            self.id("cutover_target_key"),
            self.id("cutover_differs"),
            indent(&indent(&staged)),
            self.table(m.target),
            on.join(" AND "),
            self.id("cutover_target_key"),
            self.id("cutover_differs"),
            self.id("cutover_target_key"),
        );
        if sample.is_some() {
            return Ok(compared);
        }
        // Rows a load wrote (tagged with a batch) that no source row gives
        // any more: deleted at the source, or written by someone else.
        let target_key: Vec<String> = tt
            .primary_key
            .iter()
            .map(|c| {
                let col = ir.column(*c);
                self.text(&format!("t.{}", self.id(&col.name)), col.ty.kind)
            })
            .collect::<Result<_, _>>()?;
        let shown = if target_key.len() == 1 {
            target_key[0].clone()
        } else {
            target_key.join(" || ',' || ")
        };
        let matched: Vec<String> = tt
            .primary_key
            .iter()
            .map(|c| {
                let n = self.id(&ir.column(*c).name);
                format!("s.{n} = t.{n}")
            })
            .collect();
        Ok(format!(
            "{compared}\nUNION ALL\nSELECT {} AS {}, {shown} AS {}, 'extra in the target' AS {}\n  FROM {} AS t\n WHERE t.{} IS NOT NULL\n   AND NOT EXISTS (\n  SELECT 1\n    FROM (\n{}\n    ) AS s\n   WHERE s.{reason} IS NULL AND {}\n)",
            d.text(&m.name),
            self.id("map"),
            self.id("source_key"),
            self.id("problem"),
            self.table(m.target),
            self.id(crate::schema::BATCH_COLUMN),
            indent(&indent(&staged)),
            matched.join(" AND "),
        ))
    }

    /// The source values a partial lookup under `else reject` misses, with
    /// their number of rows.
    fn coverage(&self, map: MapId, lookup: &Expr) -> Result<Query, Unsupported> {
        let ir = self.ir;
        let d = self.d;
        let p: MapPlan = plan(ir, d, self.compiler, map, false)?;
        let ExprKind::Lookup { key, .. } = &lookup.kind else {
            return Err(Unsupported::new("a lookup coverage check of a non-lookup"));
        };
        let scope = Columns(|s, c| d.ident(&format!("c{s}_{}", ir.column(c).name)));
        let k = self.compiler.compile(key, &scope)?;
        let l = self.compiler.compile(lookup, &scope)?;
        let key_text = self.text(&k.v, key.ty.kind)?;
        let miss = match (&k.err, &l.err) {
            (_, None) => d.bool_literal(false),
            (Some(ke), Some(le)) => format!("{ke} IS NULL AND {le} IS NOT NULL"),
            (None, Some(le)) => format!("{le} IS NOT NULL"),
        };
        let mut pii = Vec::new();
        walk(key, &mut |e| {
            if let ExprKind::Column { column, .. } = e.kind {
                if ir.column(column).pii {
                    pii.push("value".to_string());
                }
            }
        });
        pii.dedup();
        Ok(Query {
            violations: format!(
                "SELECT v.{value}, CAST(count(*) AS text) AS {}\n  FROM (\n  SELECT {key_text} AS {value}, {miss} AS {}\n    FROM (\n{}\n    ) AS rows_in\n  ) AS v\n WHERE v.{}\n GROUP BY v.{value}\n ORDER BY count(*) DESC, v.{value}",
                self.id("rows"),
                self.id("cutover_miss"),
                indent(&indent(&p.layer_a)),
                self.id("cutover_miss"),
                value = self.id("value"),
            ),
            checked: None,
            meaning: "a source value the lookup has no entry for, with its number of rows (they will be quarantined)".into(),
            pii,
        })
    }
}

fn compare(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
