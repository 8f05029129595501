//! Runs a map over source rows: joins, `where`, `group by`, assignments
//! with their `else`, defaults, and the fit of every value to its column.

use crate::expr::{Engine, Scope};
use crate::value::{key_text, Fail, Value};
use cutover_ir::{BinaryOp, ColumnId, Expr, ExprKind, MapId, OnFailure};
use std::collections::HashMap;

/// Rows of one table, each with a value per column in the table's order.
pub type Rows = Vec<Vec<Value>>;

/// What a map made of its input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapOutput {
    /// Target rows, a value per target column in the table's order.
    pub rows: Rows,
    /// For each target row, the indexes of the primary source rows it was
    /// made from (one, or a group's).
    pub sources: Vec<Vec<usize>>,
    pub rejected: Vec<Rejection>,
    /// Source rows the spec itself leaves out, by `where` or by an inner
    /// join without a match: counted, so nothing vanishes unaccounted.
    pub left_out: Vec<LeftOut>,
}

/// A source row no target row comes from, by the spec's own design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeftOut {
    /// Index of the row in the map's first source.
    pub row: usize,
    pub by: LeftOutBy,
}

/// Why a source row was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftOutBy {
    /// The `where` filter was not true for it.
    Where,
    /// An inner `join` found no matching row.
    NoJoinMatch,
}

/// A source row the map refused, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    /// Index of the row in the map's first source.
    pub row: usize,
    /// The `rule` id of the assignment that rejected it.
    pub rule: Option<String>,
    /// The target column being computed, if an assignment rejected it.
    pub column: Option<ColumnId>,
    pub reason: String,
}

/// One joined row: the index of the primary row, and a row per source.
type Joined<'a> = (usize, Vec<Option<&'a [Value]>>);

impl Engine<'_> {
    /// Runs `map` over `inputs`, one set of rows per `Map::sources` entry.
    /// Every primary row ends up in a target row or in `rejected`, unless
    /// the `where` filter leaves it out (or an inner join finds no match).
    pub fn run_map(&self, map: MapId, inputs: &[Rows]) -> MapOutput {
        let m = self.ir.map(map);
        let mut out = MapOutput::default();
        let empty: Rows = Vec::new();
        let input = |i: usize| inputs.get(i).unwrap_or(&empty);
        // Hash indexes for joins on `a == b` between columns.
        let indexes: Vec<Option<JoinIndex<'_>>> = m
            .sources
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let on = &s.join.as_ref()?.on;
                let (probe, build) = equi_join(on, j as u32)?;
                let pos = self.position[build.index()];
                let mut index: HashMap<String, Vec<usize>> = HashMap::new();
                for (r, row) in input(j).iter().enumerate() {
                    if let Some(k) = row.get(pos).and_then(key_text) {
                        index.entry(k).or_default().push(r);
                    }
                }
                Some((probe, index))
            })
            .collect();
        let mut joined: Vec<Joined<'_>> = Vec::new();
        for (i, row) in input(0).iter().enumerate() {
            let mut partial: Vec<Vec<Option<&[Value]>>> = vec![vec![Some(row.as_slice())]];
            for (j, s) in m.sources.iter().enumerate().skip(1) {
                let Some(join) = &s.join else { continue };
                let mut next = Vec::new();
                for p in partial {
                    let mut with: Vec<Option<&[Value]>> = p.clone();
                    with.resize(m.sources.len(), None);
                    let candidates: Vec<usize> = match &indexes[j] {
                        Some((probe, index)) => {
                            match self
                                .eval(probe, Scope::Row(&with))
                                .ok()
                                .and_then(|v| key_text(&v))
                            {
                                Some(k) => index.get(&k).cloned().unwrap_or_default(),
                                None => Vec::new(),
                            }
                        }
                        None => (0..input(j).len()).collect(),
                    };
                    let mut matched = false;
                    for r in candidates {
                        with[j] = Some(input(j)[r].as_slice());
                        // A failing `on` matches nothing.
                        if self.eval(&join.on, Scope::Row(&with)) == Ok(Value::Bool(true)) {
                            matched = true;
                            next.push(with[..=j].to_vec());
                        }
                    }
                    if !matched && join.left {
                        let mut q = p;
                        q.push(None);
                        next.push(q);
                    }
                }
                partial = next;
            }
            if partial.is_empty() {
                out.left_out.push(LeftOut {
                    row: i,
                    by: LeftOutBy::NoJoinMatch,
                });
            }
            for mut p in partial {
                p.resize(m.sources.len(), None);
                joined.push((i, p));
            }
        }
        if let Some(filter) = &m.filter {
            let mut kept = Vec::with_capacity(joined.len());
            for (i, row) in joined {
                match self.eval(filter, Scope::Row(&row)) {
                    Ok(Value::Bool(true)) => kept.push((i, row)),
                    Ok(_) => {}
                    Err(f) => out.rejected.push(Rejection {
                        row: i,
                        rule: None,
                        column: None,
                        reason: format!("where: {f}"),
                    }),
                }
            }
            // A row none of whose joined rows passed, and none failed, is
            // left out by the filter.
            let mut seen: Vec<usize> = Vec::new();
            for (i, _) in kept.iter() {
                seen.push(*i);
            }
            seen.extend(out.rejected.iter().map(|r| r.row));
            seen.extend(out.left_out.iter().map(|l| l.row));
            seen.sort_unstable();
            seen.dedup();
            for i in 0..input(0).len() {
                if seen.binary_search(&i).is_err() {
                    out.left_out.push(LeftOut {
                        row: i,
                        by: LeftOutBy::Where,
                    });
                }
            }
            joined = kept;
        }
        if m.group_by.is_empty() {
            for (i, row) in &joined {
                match self.target_row(map, Scope::Row(row)) {
                    Ok(r) => {
                        out.rows.push(r);
                        out.sources.push(vec![*i]);
                    }
                    Err(rej) => out.rejected.push(Rejection { row: *i, ..rej }),
                }
            }
            return out;
        }
        // Groups in order of first appearance; NULL keys group together.
        let mut order: Vec<Vec<Joined<'_>>> = Vec::new();
        let mut by_key: HashMap<Vec<Option<String>>, usize> = HashMap::new();
        for (i, row) in joined {
            let mut key = Vec::with_capacity(m.group_by.len());
            let mut failed = None;
            for g in &m.group_by {
                match self.eval(g, Scope::Row(&row)) {
                    Ok(v) => key.push(key_text(&v)),
                    Err(f) => failed = Some(f),
                }
            }
            if let Some(f) = failed {
                out.rejected.push(Rejection {
                    row: i,
                    rule: None,
                    column: None,
                    reason: format!("group by: {f}"),
                });
                continue;
            }
            let slot = *by_key.entry(key).or_insert_with(|| {
                order.push(Vec::new());
                order.len() - 1
            });
            order[slot].push((i, row));
        }
        for group in order {
            let rows: Vec<Vec<Option<&[Value]>>> = group.iter().map(|(_, r)| r.clone()).collect();
            match self.target_row(map, Scope::Group(&rows)) {
                Ok(r) => {
                    out.rows.push(r);
                    out.sources.push(group.iter().map(|(i, _)| *i).collect());
                }
                // A rejected group rejects every source row in it.
                Err(rej) => {
                    for (i, _) in &group {
                        out.rejected.push(Rejection {
                            row: *i,
                            ..rej.clone()
                        });
                    }
                }
            }
        }
        out
    }

    /// The target row for one joined row (or group), or why not.
    fn target_row(&self, map: MapId, scope: Scope<'_>) -> Result<Vec<Value>, Rejection> {
        let m = self.ir.map(map);
        let target = self.ir.table(m.target);
        let mut values: Vec<Option<Value>> = vec![None; target.columns.len()];
        for a in &m.assignments {
            let col = self.ir.column(a.target);
            let rule = a.rule.and_then(|r| m.rules.get(r)).map(|r| r.id.clone());
            let reject = |reason: String| Rejection {
                row: 0,
                rule: rule.clone(),
                column: Some(a.target),
                reason,
            };
            let value = match self.store(&a.expr, a.target, scope) {
                Ok(v) => v,
                Err(f) => match &a.on_failure {
                    Some(OnFailure::Reject { reason, .. }) => return Err(reject(reason.clone())),
                    Some(OnFailure::Default { expr, .. }) => self
                        .store(expr, a.target, scope)
                        .map_err(|f| reject(format!("`{}`: {f}", col.name)))?,
                    None => match (&f, &col.default) {
                        (Stored::Null, Some(d)) => self
                            .store(d, a.target, scope)
                            .map_err(|f| reject(format!("`{}`: {f}", col.name)))?,
                        _ => return Err(reject(format!("`{}`: {f}", col.name))),
                    },
                },
            };
            values[self.position[a.target.index()]] = Some(value);
        }
        let mut row = Vec::with_capacity(values.len());
        for (v, c) in values.into_iter().zip(&target.columns) {
            let v = match v {
                Some(v) => v,
                None => match &self.ir.column(*c).default {
                    Some(d) => self.store(d, *c, scope).map_err(|f| Rejection {
                        row: 0,
                        rule: None,
                        column: Some(*c),
                        reason: format!("`{}` default: {f}", self.ir.column(*c).name),
                    })?,
                    None => Value::Null,
                },
            };
            row.push(v);
        }
        Ok(row)
    }

    /// An expression's value converted to the column's type; NULL into a
    /// `not null` column is a failure of its own kind (a default can fill it).
    fn store(&self, e: &Expr, column: ColumnId, scope: Scope<'_>) -> Result<Value, Stored> {
        let col = self.ir.column(column);
        let v = self
            .eval(e, scope)
            .and_then(|v| v.cast(col.ty.kind))
            .map_err(Stored::Failed)?;
        if v.is_null() && !col.ty.nullable {
            return Err(Stored::Null);
        }
        Ok(v)
    }
}

/// Why a value could not be stored.
enum Stored {
    Failed(Fail),
    Null,
}

impl std::fmt::Display for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stored::Failed(x) => write!(f, "{x}"),
            Stored::Null => f.write_str("NULL in a not-null column"),
        }
    }
}

type ExprRef<'a> = &'a Expr;

/// The probe expression of an equi-join, and the joined rows by key.
type JoinIndex<'a> = (ExprRef<'a>, HashMap<String, Vec<usize>>);

/// For `on a == b` where `b` is a column of source `j` and `a` reads only
/// earlier sources: `(a, b's column)`, so the join can probe a hash index.
pub fn equi_join(on: &Expr, j: u32) -> Option<(ExprRef<'_>, ColumnId)> {
    let ExprKind::Binary {
        op: BinaryOp::Eq,
        lhs,
        rhs,
    } = &on.kind
    else {
        return None;
    };
    let own = |e: &Expr| match e.kind {
        ExprKind::Column { source, column } if source == j => Some(column),
        _ => None,
    };
    let earlier = |e: &Expr| {
        let mut ok = true;
        crate::walk(e, &mut |x| {
            if let ExprKind::Column { source, .. } = x.kind {
                ok &= source < j;
            }
        });
        ok
    };
    // Only plain column equality on both sides compares like the hash key.
    let plain = |e: &Expr| matches!(e.kind, ExprKind::Column { .. });
    match (own(rhs), own(lhs)) {
        (Some(c), _) if earlier(lhs) && plain(lhs) => Some((lhs, c)),
        (_, Some(c)) if earlier(rhs) && plain(rhs) => Some((rhs, c)),
        _ => None,
    }
}
