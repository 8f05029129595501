//! What changed between two versions of a spec, read from their typed IRs:
//! the semantic summary of `cutover diff`. Items are matched by name (maps,
//! lookups, gates, phases, …) or by what identifies them inside their parent
//! (a map's target column, a lookup key, a check without its options, a
//! trigger without its threshold). Expressions are compared as normalised
//! source text ([`text::normalise`]), so layout and comments never count.
//!
//! Where a change makes the migration stricter or more lenient, it says so
//! ([`Effect`]): a check added, a `warn` turned `error`, a smaller tolerance
//! or a lower rollback threshold tighten; the opposite loosens.
//!
//! Pure: two IRs and their texts in, a [`Summary`] out (serialisable, and
//! [`Summary::to_text`] for people). The CLI does the IO.

mod report;
pub mod text;

use cutover_ir::{
    Const, Ir, OnFailure, Role, RollbackStrategy, Strategy, Threshold, Timing, Tolerance, Trigger,
};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use text::{fragment, normalise, quoted, Fragment, Writer};

/// One version of a spec: its IR and the text it was resolved from (spans
/// index into it).
#[derive(Clone, Copy)]
pub struct Spec<'a> {
    pub ir: &'a Ir,
    pub text: &'a str,
}

/// Everything that changed, section by section. Every list is empty when
/// nothing changed; the JSON always has every key.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Title, strategy, owner, other attributes, systems, dropped tables.
    pub migration: Vec<FieldChange>,
    pub tables: Section<TableDiff>,
    pub lookups: Section<LookupDiff>,
    pub fns: Section<Named>,
    pub maps: Section<MapDiff>,
    /// Examples changed in any way are listed by name.
    pub examples: Section<String>,
    pub gates: Section<GateDiff>,
    pub rollback: RollbackDiff,
    pub phases: Section<Named>,
}

/// Items added and removed (by name) and changed (in detail).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section<T> {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<T>,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
        }
    }
}

impl<T> Section<T> {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Whether a change makes the migration stricter or more lenient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Tightened,
    Loosened,
}

/// A value that changed; `None` is "not there" (no `where`, no tolerance).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub effect: Option<Effect>,
}

/// Changes to one named item.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Named {
    pub name: String,
    pub changes: Vec<FieldChange>,
}

/// A table of a system (`system.table`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableDiff {
    pub name: String,
    /// `rows`, `primary key`, `unique`, `foreign keys`.
    pub changes: Vec<FieldChange>,
    /// Column definitions as written.
    pub columns_added: Vec<String>,
    pub columns_removed: Vec<String>,
    /// Per column, its `definition`.
    pub columns_changed: Vec<Named>,
}

/// A lookup's entries, one per key (`"A" | "a" => …` is two).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LookupDiff {
    pub name: String,
    pub entries_added: Vec<Entry>,
    pub entries_removed: Vec<Entry>,
    pub entries_changed: Vec<EntryChange>,
    /// The `else` value.
    pub changes: Vec<FieldChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryChange {
    pub key: String,
    pub old: String,
    pub new: String,
}

/// A map, by name (`source -> target` unless named).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MapDiff {
    pub name: String,
    /// `sources` (tables and joins), `where`, `group by`, `batch`,
    /// `incremental`.
    pub changes: Vec<FieldChange>,
    pub columns_added: Vec<Assigned>,
    pub columns_removed: Vec<Assigned>,
    /// Per target column: `transform`, `else`, `key`, `rule`, `allow pii`.
    pub columns_changed: Vec<Named>,
    pub drops_added: Vec<Dropped>,
    pub drops_removed: Vec<Dropped>,
    /// Per dropped source column: its `reason`.
    pub drops_changed: Vec<Named>,
}

/// A target column's assignment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assigned {
    pub column: String,
    pub transform: String,
    /// `reject "reason"` or the default expression.
    pub on_failure: Option<String>,
}

/// `drop column because "reason"`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dropped {
    /// `system.table.column`
    pub column: String,
    pub reason: String,
}

/// A gate, by name. An added gate or check tightens, a removed one loosens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateDiff {
    pub name: String,
    /// `timing`.
    pub changes: Vec<FieldChange>,
    /// Checks with their options, as a spec writes them.
    pub checks_added: Vec<String>,
    pub checks_removed: Vec<String>,
    /// Per check (without options): `severity`, `tolerance`.
    pub checks_changed: Vec<Named>,
}

/// The `rollback` section. An added trigger tightens, a removed one loosens.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RollbackDiff {
    pub triggers_added: Vec<String>,
    pub triggers_removed: Vec<String>,
    /// Per trigger without its threshold (`rejected s.t >`): `threshold`.
    pub triggers_changed: Vec<Named>,
    /// `strategy`.
    pub changes: Vec<FieldChange>,
}

impl RollbackDiff {
    pub fn is_empty(&self) -> bool {
        self.triggers_added.is_empty()
            && self.triggers_removed.is_empty()
            && self.triggers_changed.is_empty()
            && self.changes.is_empty()
    }
}

impl Summary {
    /// True when the two specs mean the same.
    pub fn is_empty(&self) -> bool {
        self.migration.is_empty()
            && self.tables.is_empty()
            && self.lookups.is_empty()
            && self.fns.is_empty()
            && self.maps.is_empty()
            && self.examples.is_empty()
            && self.gates.is_empty()
            && self.rollback.is_empty()
            && self.phases.is_empty()
    }
}

/// Compares two versions of a spec.
pub fn compare(old: Spec<'_>, new: Spec<'_>) -> Summary {
    let o = Writer {
        ir: old.ir,
        source: old.text,
    };
    let n = Writer {
        ir: new.ir,
        source: new.text,
    };
    Summary {
        migration: migration(&o, &n),
        tables: tables(&o, &n),
        lookups: lookups(&o, &n),
        fns: fns(&o, &n),
        maps: maps(&o, &n),
        examples: examples(&o, &n),
        gates: gates(&o, &n),
        rollback: rollback(&o, &n),
        phases: phases(&o, &n),
    }
}

/// Items of both versions matched by key: new items in their order, each
/// paired with the first unpaired old item of the same key.
struct Pairs<'a, T> {
    added: Vec<(String, &'a T)>,
    removed: Vec<(String, &'a T)>,
    both: Vec<(String, &'a T, &'a T)>,
}

fn pair<'a, T>(old: Vec<(String, &'a T)>, new: Vec<(String, &'a T)>) -> Pairs<'a, T> {
    let mut pool: HashMap<&str, VecDeque<usize>> = HashMap::new();
    for (i, (k, _)) in old.iter().enumerate() {
        pool.entry(k.as_str()).or_default().push_back(i);
    }
    let mut used = vec![false; old.len()];
    let mut added = Vec::new();
    let mut both = Vec::new();
    for (k, item) in new {
        match pool.get_mut(k.as_str()).and_then(VecDeque::pop_front) {
            Some(i) => {
                used[i] = true;
                both.push((k, old[i].1, item));
            }
            None => added.push((k, item)),
        }
    }
    let removed = old
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|((k, t), _)| (k.clone(), *t))
        .collect();
    Pairs {
        added,
        removed,
        both,
    }
}

fn plain(s: impl Into<String>) -> Fragment {
    let s = s.into();
    Fragment {
        key: s.clone(),
        shown: s,
    }
}

/// A change of `field`, when the two differ (by [`Fragment::key`]).
fn change(field: &str, old: Option<Fragment>, new: Option<Fragment>) -> Option<FieldChange> {
    if old.as_ref().map(|f| &f.key) == new.as_ref().map(|f| &f.key) {
        return None;
    }
    Some(FieldChange {
        field: field.to_owned(),
        old: old.map(|f| f.shown),
        new: new.map(|f| f.shown),
        effect: None,
    })
}

fn named(name: String, changes: Vec<FieldChange>) -> Option<Named> {
    (!changes.is_empty()).then_some(Named { name, changes })
}

fn strategy(s: Strategy) -> Fragment {
    plain(s.name())
}

fn migration(o: &Writer<'_>, n: &Writer<'_>) -> Vec<FieldChange> {
    let (a, b) = (&o.ir.migration, &n.ir.migration);
    let mut out: Vec<FieldChange> = [
        change(
            "title",
            Some(plain(quoted(&a.title))),
            Some(plain(quoted(&b.title))),
        ),
        change(
            "strategy",
            Some(strategy(a.strategy)),
            Some(strategy(b.strategy)),
        ),
        change(
            "owner",
            a.owner.as_deref().map(|s| plain(quoted(s))),
            b.owner.as_deref().map(|s| plain(quoted(s))),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let attrs = |w: &Writer<'_>| -> Vec<(String, Fragment)> {
        w.ir.migration
            .attributes
            .iter()
            .map(|at| (at.name.clone(), fragment(w.source, at.span)))
            .collect()
    };
    out.extend(keyed_values("attribute", attrs(o), attrs(n)));
    let systems = |w: &Writer<'_>| -> Vec<(String, Fragment)> {
        w.ir.systems
            .iter()
            .map(|s| {
                let role = match s.role {
                    Role::Source => "source",
                    Role::Target => "target",
                };
                (
                    s.name.clone(),
                    plain(format!("{role} {}", s.dialect.name())),
                )
            })
            .collect()
    };
    out.extend(keyed_values("system", systems(o), systems(n)));
    let dropped = |w: &Writer<'_>| -> Vec<(String, Fragment)> {
        w.ir.dropped_tables
            .iter()
            .map(|d| (w.ir.table_path(d.table), plain(quoted(&d.reason))))
            .collect()
    };
    out.extend(keyed_values("drop table", dropped(o), dropped(n)));
    out
}

/// Keyed values compared one by one: `field key` old → new, `None` where
/// one side lacks the key.
fn keyed_values(
    field: &str,
    old: Vec<(String, Fragment)>,
    new: Vec<(String, Fragment)>,
) -> Vec<FieldChange> {
    let p = pair(
        old.iter().map(|(k, v)| (k.clone(), v)).collect(),
        new.iter().map(|(k, v)| (k.clone(), v)).collect(),
    );
    let mut out = Vec::new();
    for (k, a, b) in p.both {
        out.extend(change(
            &format!("{field} {k}"),
            Some(a.clone()),
            Some(b.clone()),
        ));
    }
    for (k, b) in p.added {
        out.extend(change(&format!("{field} {k}"), None, Some(b.clone())));
    }
    for (k, a) in p.removed {
        out.extend(change(&format!("{field} {k}"), Some(a.clone()), None));
    }
    out
}

fn tables(o: &Writer<'_>, n: &Writer<'_>) -> Section<TableDiff> {
    let keyed = |w: &Writer<'_>| -> Vec<(String, usize)> {
        (0..w.ir.tables.len())
            .map(|i| (w.ir.table_path(cutover_ir::TableId(i as u32)), i))
            .collect()
    };
    let (ok, nk) = (keyed(o), keyed(n));
    let p = pair(
        ok.iter().map(|(k, i)| (k.clone(), i)).collect(),
        nk.iter().map(|(k, i)| (k.clone(), i)).collect(),
    );
    let mut out = Section {
        added: p.added.into_iter().map(|(k, _)| k).collect(),
        removed: p.removed.into_iter().map(|(k, _)| k).collect(),
        changed: Vec::new(),
    };
    for (name, &a, &b) in p.both {
        let (ta, tb) = (&o.ir.tables[a], &n.ir.tables[b]);
        let names = |w: &Writer<'_>, cs: &[cutover_ir::ColumnId]| {
            let v: Vec<&str> = cs.iter().map(|c| w.ir.column(*c).name.as_str()).collect();
            format!("({})", v.join(", "))
        };
        let fks = |w: &Writer<'_>, t: &cutover_ir::Table| {
            let v: Vec<String> = t
                .foreign_keys
                .iter()
                .map(|f| {
                    format!(
                        "{} -> {}{}",
                        names(w, &f.columns),
                        w.ir.table_path(f.table),
                        names(w, &f.ref_columns)
                    )
                })
                .collect();
            (!v.is_empty()).then(|| plain(v.join(", ")))
        };
        let uniques = |w: &Writer<'_>, t: &cutover_ir::Table| {
            let v: Vec<String> = t.uniques.iter().map(|u| names(w, u)).collect();
            (!v.is_empty()).then(|| plain(v.join(", ")))
        };
        let pk = |w: &Writer<'_>, t: &cutover_ir::Table| {
            (!t.primary_key.is_empty()).then(|| plain(names(w, &t.primary_key)))
        };
        let changes: Vec<FieldChange> = [
            change(
                "rows",
                ta.rows.map(|r| plain(r.to_string())),
                tb.rows.map(|r| plain(r.to_string())),
            ),
            change("primary key", pk(o, ta), pk(n, tb)),
            change("unique", uniques(o, ta), uniques(n, tb)),
            change("foreign keys", fks(o, ta), fks(n, tb)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let cols = |w: &Writer<'_>, t: &cutover_ir::Table| -> Vec<(String, Fragment)> {
            t.columns
                .iter()
                .map(|c| {
                    let c = w.ir.column(*c);
                    (c.name.clone(), fragment(w.source, c.span))
                })
                .collect()
        };
        let (ca, cb) = (cols(o, ta), cols(n, tb));
        let cp = pair(
            ca.iter().map(|(k, v)| (k.clone(), v)).collect(),
            cb.iter().map(|(k, v)| (k.clone(), v)).collect(),
        );
        let diff = TableDiff {
            name,
            changes,
            columns_added: cp.added.iter().map(|(_, f)| f.shown.clone()).collect(),
            columns_removed: cp.removed.iter().map(|(_, f)| f.shown.clone()).collect(),
            columns_changed: cp
                .both
                .into_iter()
                .filter_map(|(k, a, b)| {
                    named(
                        k,
                        change("definition", Some(a.clone()), Some(b.clone()))
                            .into_iter()
                            .collect(),
                    )
                })
                .collect(),
        };
        if !(diff.changes.is_empty()
            && diff.columns_added.is_empty()
            && diff.columns_removed.is_empty()
            && diff.columns_changed.is_empty())
        {
            out.changed.push(diff);
        }
    }
    out
}

fn lookups(o: &Writer<'_>, n: &Writer<'_>) -> Section<LookupDiff> {
    let p = pair(
        o.ir.lookups.iter().map(|l| (l.name.clone(), l)).collect(),
        n.ir.lookups.iter().map(|l| (l.name.clone(), l)).collect(),
    );
    let mut out = Section {
        added: p.added.into_iter().map(|(k, _)| k).collect(),
        removed: p.removed.into_iter().map(|(k, _)| k).collect(),
        changed: Vec::new(),
    };
    let entries = |l: &cutover_ir::Lookup| -> Vec<(String, String)> {
        l.entries
            .iter()
            .flat_map(|e| {
                e.keys
                    .iter()
                    .map(|(k, _)| (text::constant(k), text::constant(&e.value)))
            })
            .collect()
    };
    for (name, a, b) in p.both {
        let (ea, eb) = (entries(a), entries(b));
        let ep = pair(
            ea.iter().map(|(k, v)| (k.clone(), v)).collect(),
            eb.iter().map(|(k, v)| (k.clone(), v)).collect(),
        );
        let otherwise = |c: &Option<Const>| c.as_ref().map(|c| plain(text::constant(c)));
        let diff = LookupDiff {
            name,
            entries_added: ep
                .added
                .into_iter()
                .map(|(key, value)| Entry {
                    key,
                    value: value.clone(),
                })
                .collect(),
            entries_removed: ep
                .removed
                .into_iter()
                .map(|(key, value)| Entry {
                    key,
                    value: value.clone(),
                })
                .collect(),
            entries_changed: ep
                .both
                .into_iter()
                .filter(|(_, a, b)| a != b)
                .map(|(key, a, b)| EntryChange {
                    key,
                    old: a.clone(),
                    new: b.clone(),
                })
                .collect(),
            changes: change("else", otherwise(&a.otherwise), otherwise(&b.otherwise))
                .into_iter()
                .collect(),
        };
        if !(diff.entries_added.is_empty()
            && diff.entries_removed.is_empty()
            && diff.entries_changed.is_empty()
            && diff.changes.is_empty())
        {
            out.changed.push(diff);
        }
    }
    out
}

/// Items compared as a whole by their normalised text.
fn whole<T>(
    o: &Writer<'_>,
    n: &Writer<'_>,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> String,
    span: impl Fn(&T) -> cutover_diagnostics::Span,
) -> Section<(String, Fragment, Fragment)> {
    let p = pair(
        old.iter().map(|t| (name(t), t)).collect(),
        new.iter().map(|t| (name(t), t)).collect(),
    );
    let changed = p
        .both
        .into_iter()
        .map(|(k, a, b)| (k, fragment(o.source, span(a)), fragment(n.source, span(b))))
        .filter(|(_, a, b)| a.key != b.key)
        .collect();
    Section {
        added: p.added.into_iter().map(|(k, _)| k).collect(),
        removed: p.removed.into_iter().map(|(k, _)| k).collect(),
        changed,
    }
}

fn fns(o: &Writer<'_>, n: &Writer<'_>) -> Section<Named> {
    let w = whole(o, n, &o.ir.fns, &n.ir.fns, |f| f.name.clone(), |f| f.span);
    Section {
        added: w.added,
        removed: w.removed,
        changed: w
            .changed
            .into_iter()
            .filter_map(|(k, a, b)| {
                named(
                    k,
                    change("definition", Some(a), Some(b)).into_iter().collect(),
                )
            })
            .collect(),
    }
}

fn examples(o: &Writer<'_>, n: &Writer<'_>) -> Section<String> {
    let w = whole(
        o,
        n,
        &o.ir.examples,
        &n.ir.examples,
        |e| e.name.clone(),
        |e| e.span,
    );
    Section {
        added: w.added,
        removed: w.removed,
        changed: w.changed.into_iter().map(|(k, _, _)| k).collect(),
    }
}

fn on_failure(w: &Writer<'_>, f: &Option<OnFailure>) -> Option<Fragment> {
    match f {
        None => None,
        Some(OnFailure::Reject { reason, .. }) => Some(plain(format!("reject {}", quoted(reason)))),
        Some(OnFailure::Default { expr, .. }) => Some(fragment(w.source, expr.span)),
    }
}

fn sources(w: &Writer<'_>, m: &cutover_ir::Map) -> Fragment {
    let mut s = String::new();
    for src in &m.sources {
        let table = w.ir.table(src.table);
        if let Some(j) = &src.join {
            s.push_str(if j.left { " left join " } else { " join " });
        }
        s.push_str(&w.ir.table_path(src.table));
        if src.alias != table.name {
            s.push_str(" as ");
            s.push_str(&src.alias);
        }
        if let Some(j) = &src.join {
            s.push_str(" on ");
            s.push_str(&w.slice(j.on.span));
        }
    }
    normalise(&s)
}

fn maps(o: &Writer<'_>, n: &Writer<'_>) -> Section<MapDiff> {
    let p = pair(
        o.ir.maps.iter().map(|m| (m.name.clone(), m)).collect(),
        n.ir.maps.iter().map(|m| (m.name.clone(), m)).collect(),
    );
    let mut out = Section {
        added: p.added.into_iter().map(|(k, _)| k).collect(),
        removed: p.removed.into_iter().map(|(k, _)| k).collect(),
        changed: Vec::new(),
    };
    for (name, a, b) in p.both {
        let group = |w: &Writer<'_>, m: &cutover_ir::Map| {
            let v: Vec<String> = m.group_by.iter().map(|e| w.slice(e.span)).collect();
            (!v.is_empty()).then(|| normalise(&v.join(", ")))
        };
        let changes: Vec<FieldChange> = [
            change("sources", Some(sources(o, a)), Some(sources(n, b))),
            change(
                "where",
                a.filter.as_ref().map(|f| fragment(o.source, f.span)),
                b.filter.as_ref().map(|f| fragment(n.source, f.span)),
            ),
            change("group by", group(o, a), group(n, b)),
            change(
                "batch",
                a.batch.as_ref().map(|x| fragment(o.source, x.span)),
                b.batch.as_ref().map(|x| fragment(n.source, x.span)),
            ),
            change(
                "incremental",
                a.incremental.as_ref().map(|x| fragment(o.source, x.span)),
                b.incremental.as_ref().map(|x| fragment(n.source, x.span)),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        let assigned = |w: &Writer<'_>, m: &'_ cutover_ir::Map| -> Vec<(String, usize)> {
            m.assignments
                .iter()
                .enumerate()
                .map(|(i, x)| (w.ir.column(x.target).name.clone(), i))
                .collect()
        };
        let (aa, ab) = (assigned(o, a), assigned(n, b));
        let cp = pair(
            aa.iter().map(|(k, i)| (k.clone(), i)).collect(),
            ab.iter().map(|(k, i)| (k.clone(), i)).collect(),
        );
        let show = |w: &Writer<'_>, m: &cutover_ir::Map, i: usize, column: String| {
            let x = &m.assignments[i];
            Assigned {
                column,
                transform: w.slice(x.expr.span),
                on_failure: on_failure(w, &x.on_failure).map(|f| f.shown),
            }
        };
        let mut columns_changed = Vec::new();
        for (k, &i, &j) in cp.both {
            let (x, y) = (&a.assignments[i], &b.assignments[j]);
            let rule = |m: &cutover_ir::Map, r: Option<usize>| {
                r.and_then(|r| m.rules.get(r)).map(|r| plain(r.id.clone()))
            };
            let yes_no = |b: bool| Some(plain(if b { "yes" } else { "no" }));
            let changes: Vec<FieldChange> = [
                change(
                    "transform",
                    Some(fragment(o.source, x.expr.span)),
                    Some(fragment(n.source, y.expr.span)),
                ),
                change(
                    "else",
                    on_failure(o, &x.on_failure),
                    on_failure(n, &y.on_failure),
                ),
                change("key", yes_no(x.key), yes_no(y.key)),
                change("rule", rule(a, x.rule), rule(b, y.rule)),
                change(
                    "allow pii",
                    x.allow_pii.as_deref().map(|s| plain(quoted(s))),
                    y.allow_pii.as_deref().map(|s| plain(quoted(s))),
                ),
            ]
            .into_iter()
            .flatten()
            .collect();
            columns_changed.extend(named(k, changes));
        }
        let drops = |w: &Writer<'_>, m: &cutover_ir::Map| -> Vec<(String, String)> {
            m.drops
                .iter()
                .map(|d| (w.ir.column_path(d.column), d.reason.clone()))
                .collect()
        };
        let (da, db) = (drops(o, a), drops(n, b));
        let dp = pair(
            da.iter().map(|(k, v)| (k.clone(), v)).collect(),
            db.iter().map(|(k, v)| (k.clone(), v)).collect(),
        );
        let dropped = |(column, reason): (String, &String)| Dropped {
            column,
            reason: reason.clone(),
        };
        let diff = MapDiff {
            name,
            changes,
            columns_added: cp
                .added
                .into_iter()
                .map(|(k, &j)| show(n, b, j, k))
                .collect(),
            columns_removed: cp
                .removed
                .into_iter()
                .map(|(k, &i)| show(o, a, i, k))
                .collect(),
            columns_changed,
            drops_added: dp.added.into_iter().map(dropped).collect(),
            drops_removed: dp.removed.into_iter().map(dropped).collect(),
            drops_changed: dp
                .both
                .into_iter()
                .filter_map(|(k, x, y)| {
                    named(
                        k,
                        change("reason", Some(plain(quoted(x))), Some(plain(quoted(y))))
                            .into_iter()
                            .collect(),
                    )
                })
                .collect(),
        };
        if !(diff.changes.is_empty()
            && diff.columns_added.is_empty()
            && diff.columns_removed.is_empty()
            && diff.columns_changed.is_empty()
            && diff.drops_added.is_empty()
            && diff.drops_removed.is_empty()
            && diff.drops_changed.is_empty())
        {
            out.changed.push(diff);
        }
    }
    out
}

fn severity(warn: bool) -> &'static str {
    if warn {
        "warn"
    } else {
        "error"
    }
}

/// A check with its options, as a spec writes it.
fn check_text(w: &Writer<'_>, c: &cutover_ir::Check) -> String {
    let mut s = w.check(&c.kind);
    if c.warn {
        s.push_str(" warn");
    }
    match c.tolerance {
        Some(Tolerance::Percent(p)) => s.push_str(&format!(" tolerance {p}%")),
        Some(Tolerance::Rows(r)) => s.push_str(&format!(" tolerance {r}")),
        None => {}
    }
    s
}

/// More violations allowed loosens a check; fewer tightens it. Percent and
/// rows do not compare.
fn tolerance_effect(old: Option<Tolerance>, new: Option<Tolerance>) -> Option<Effect> {
    let grade = |looser: bool| {
        if looser {
            Effect::Loosened
        } else {
            Effect::Tightened
        }
    };
    match (old, new) {
        (None, Some(_)) => Some(Effect::Loosened),
        (Some(_), None) => Some(Effect::Tightened),
        (Some(Tolerance::Percent(a)), Some(Tolerance::Percent(b))) => Some(grade(b > a)),
        (Some(Tolerance::Rows(a)), Some(Tolerance::Rows(b))) => Some(grade(b > a)),
        _ => None,
    }
}

fn gates(o: &Writer<'_>, n: &Writer<'_>) -> Section<GateDiff> {
    let p = pair(
        o.ir.gates.iter().map(|g| (g.name.clone(), g)).collect(),
        n.ir.gates.iter().map(|g| (g.name.clone(), g)).collect(),
    );
    let mut out = Section {
        added: p.added.into_iter().map(|(k, _)| k).collect(),
        removed: p.removed.into_iter().map(|(k, _)| k).collect(),
        changed: Vec::new(),
    };
    let timing = |t: Timing| {
        plain(match t {
            Timing::BeforeLoad => "before load",
            Timing::AfterLoad => "after load",
        })
    };
    for (name, a, b) in p.both {
        let cp = pair(
            a.checks.iter().map(|c| (o.check(&c.kind), c)).collect(),
            b.checks.iter().map(|c| (n.check(&c.kind), c)).collect(),
        );
        let mut checks_changed = Vec::new();
        for (k, x, y) in cp.both {
            let mut changes = Vec::new();
            if x.warn != y.warn {
                changes.push(FieldChange {
                    field: "severity".to_owned(),
                    old: Some(severity(x.warn).to_owned()),
                    new: Some(severity(y.warn).to_owned()),
                    effect: Some(if y.warn {
                        Effect::Loosened
                    } else {
                        Effect::Tightened
                    }),
                });
            }
            if x.tolerance != y.tolerance {
                changes.push(FieldChange {
                    field: "tolerance".to_owned(),
                    old: Some(text::tolerance(x.tolerance)),
                    new: Some(text::tolerance(y.tolerance)),
                    effect: tolerance_effect(x.tolerance, y.tolerance),
                });
            }
            checks_changed.extend(named(k, changes));
        }
        let diff = GateDiff {
            name,
            changes: change("timing", Some(timing(a.timing)), Some(timing(b.timing)))
                .into_iter()
                .collect(),
            checks_added: cp.added.iter().map(|(_, c)| check_text(n, c)).collect(),
            checks_removed: cp.removed.iter().map(|(_, c)| check_text(o, c)).collect(),
            checks_changed,
        };
        if !(diff.changes.is_empty()
            && diff.checks_added.is_empty()
            && diff.checks_removed.is_empty()
            && diff.checks_changed.is_empty())
        {
            out.changed.push(diff);
        }
    }
    out
}

/// A threshold as a number, when it is one: a percentage or a constant.
fn threshold_value(t: &Trigger) -> Option<(bool, f64)> {
    match t {
        Trigger::Metric {
            right: Threshold::Percent(p),
            ..
        } => Some((true, *p)),
        Trigger::Metric {
            right: Threshold::Metric(m),
            ..
        } => match m.as_slice() {
            [(true, cutover_ir::Metric::Constant(c))] => Some((false, *c as f64)),
            _ => None,
        },
        Trigger::GateFails { .. } => None,
    }
}

/// A trigger fires when its metric passes the threshold: for `>` a higher
/// threshold fires less often (loosened), for `<` more often (tightened).
fn threshold_effect(old: &Trigger, new: &Trigger) -> Option<Effect> {
    let (Some((pa, a)), Some((pb, b))) = (threshold_value(old), threshold_value(new)) else {
        return None;
    };
    let Trigger::Metric { op, .. } = new else {
        return None;
    };
    if pa != pb || a == b {
        return None;
    }
    let higher = b > a;
    match op {
        cutover_ir::CompareOp::Gt | cutover_ir::CompareOp::Ge => Some(if higher {
            Effect::Loosened
        } else {
            Effect::Tightened
        }),
        cutover_ir::CompareOp::Lt | cutover_ir::CompareOp::Le => Some(if higher {
            Effect::Tightened
        } else {
            Effect::Loosened
        }),
        _ => None,
    }
}

fn rollback_strategy(s: Option<RollbackStrategy>) -> Option<Fragment> {
    s.map(|s| {
        plain(match s {
            RollbackStrategy::Truncate => "truncate",
            RollbackStrategy::DeleteBatch => "delete_batch",
            RollbackStrategy::RestoreSnapshot => "restore_snapshot",
        })
    })
}

fn triggers(ir: &Ir) -> &[Trigger] {
    ir.rollback.as_ref().map_or(&[], |r| &r.triggers[..])
}

fn rollback(o: &Writer<'_>, n: &Writer<'_>) -> RollbackDiff {
    let keyed = |w: &Writer<'_>| -> Vec<(String, usize)> {
        triggers(w.ir)
            .iter()
            .enumerate()
            .map(|(i, t)| (w.trigger(t).0, i))
            .collect()
    };
    let (ka, kb) = (keyed(o), keyed(n));
    let p = pair(
        ka.iter().map(|(k, i)| (k.clone(), i)).collect(),
        kb.iter().map(|(k, i)| (k.clone(), i)).collect(),
    );
    let full = |w: &Writer<'_>, t: &Trigger| match w.trigger(t) {
        (k, None) => format!("when {k}"),
        (k, Some(v)) => format!("when {k} {v}"),
    };
    let mut changed = Vec::new();
    for (k, &i, &j) in p.both {
        let (x, y) = (&triggers(o.ir)[i], &triggers(n.ir)[j]);
        let (va, vb) = (o.trigger(x).1, n.trigger(y).1);
        let vk = |v: &Option<String>| v.as_deref().map(|s| normalise(s).key);
        if vk(&va) != vk(&vb) {
            changed.push(Named {
                name: format!("when {k}"),
                changes: vec![FieldChange {
                    field: "threshold".to_owned(),
                    old: va,
                    new: vb,
                    effect: threshold_effect(x, y),
                }],
            });
        }
    }
    let strategy =
        |w: &Writer<'_>| rollback_strategy(w.ir.rollback.as_ref().and_then(|r| r.strategy));
    RollbackDiff {
        triggers_added: p
            .added
            .iter()
            .map(|(_, &j)| full(n, &triggers(n.ir)[j]))
            .collect(),
        triggers_removed: p
            .removed
            .iter()
            .map(|(_, &i)| full(o, &triggers(o.ir)[i]))
            .collect(),
        triggers_changed: changed,
        changes: change("strategy", strategy(o), strategy(n))
            .into_iter()
            .collect(),
    }
}

fn phases(o: &Writer<'_>, n: &Writer<'_>) -> Section<Named> {
    let p = pair(
        o.ir.phases.iter().map(|x| (x.name.clone(), x)).collect(),
        n.ir.phases.iter().map(|x| (x.name.clone(), x)).collect(),
    );
    let after = |w: &Writer<'_>, ph: &cutover_ir::Phase| {
        let v: Vec<&str> = ph
            .after
            .iter()
            .map(|a| w.ir.phase(*a).name.as_str())
            .collect();
        (!v.is_empty()).then(|| plain(v.join(", ")))
    };
    let steps = |w: &Writer<'_>, ph: &cutover_ir::Phase| {
        let v: Vec<String> = ph.steps.iter().map(|s| w.step(s)).collect();
        (!v.is_empty()).then(|| plain(v.join("; ")))
    };
    Section {
        added: p.added.into_iter().map(|(k, _)| k).collect(),
        removed: p.removed.into_iter().map(|(k, _)| k).collect(),
        changed: p
            .both
            .into_iter()
            .filter_map(|(k, a, b)| {
                let changes = [
                    change(
                        "title",
                        Some(plain(quoted(&a.title))),
                        Some(plain(quoted(&b.title))),
                    ),
                    change(
                        "duration",
                        Some(plain(text::duration(a.minutes))),
                        Some(plain(text::duration(b.minutes))),
                    ),
                    change("after", after(o, a), after(n, b)),
                    change(
                        "owner",
                        a.owner.as_deref().map(|s| plain(quoted(s))),
                        b.owner.as_deref().map(|s| plain(quoted(s))),
                    ),
                    change("steps", steps(o, a), steps(n, b)),
                ]
                .into_iter()
                .flatten()
                .collect();
                named(k, changes)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
