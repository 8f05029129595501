//! Keys and references: the primary key is assigned with `key` (E0320),
//! `key` marks only key columns (E0321), each `uuid_v5` namespace names one
//! target table (E0322) and is a literal (E0323), `ref T(…)` matches the key
//! of the map into `T` (E0324), and the load order derived from target
//! foreign keys has no cycle (E0325). A constant key is a warning (W0393).

use crate::coverage::map_header;
use crate::facts::{is_constant, text_literal, walk};
use crate::Checker;
use cutover_diagnostics::{codes, Diagnostic, Span};
use cutover_ir::{Builtin, ColumnId, Expr, ExprKind, Func, Ir, MapId, TableId, TypeKind};
use std::collections::{BTreeMap, BTreeSet};

/// The key of the map into a table: its expression and its inputs (the
/// source columns it reads, in order of first appearance).
pub(crate) struct KeyOf<'a> {
    pub expr: &'a Expr,
    pub inputs: Vec<ColumnId>,
}

/// The key assignment of each map, by map.
pub(crate) fn key_of(ir: &Ir, map: MapId) -> Option<KeyOf<'_>> {
    let m = ir.map(map);
    let a = m.assignments.iter().find(|a| a.key)?;
    let mut inputs = Vec::new();
    walk(&a.expr, &mut |e| {
        if let ExprKind::Column { column, .. } = e.kind {
            if !inputs.contains(&column) {
                inputs.push(column);
            }
        }
    });
    Some(KeyOf {
        expr: &a.expr,
        inputs,
    })
}

impl Checker<'_> {
    pub(crate) fn keys(&mut self) {
        let ir = self.ir;
        let mut namespaces: BTreeMap<String, (TableId, Span)> = BTreeMap::new();
        for map in &ir.maps {
            let target = ir.table(map.target);
            let keyed: BTreeSet<ColumnId> = map
                .assignments
                .iter()
                .filter(|a| a.key)
                .map(|a| a.target)
                .collect();
            for a in map.assignments.iter().filter(|a| a.key) {
                if !target.primary_key.contains(&a.target) {
                    let d = Diagnostic::new(codes::KEY_NOT_PRIMARY, format!("`{}` is marked `key`, but it is not in the primary key of `{}`", ir.column(a.target).name, ir.table_path(map.target)))
                        .primary(a.target_span, "not a key column")
                        .help("mark only primary-key columns with `key`; declare the column `primary key` if it is the identity");
                    self.report(d);
                }
            }
            // A constant column of a composite key is fine (`key line = 1`):
            // rows collide only when every key column is constant.
            let keys: Vec<_> = map.assignments.iter().filter(|a| a.key).collect();
            if !keys.is_empty() && keys.iter().all(|a| is_constant(&a.expr)) {
                let a = keys[0];
                let d = Diagnostic::new(
                    codes::CONSTANT_KEY,
                    format!(
                        "key `{}` is a constant: every row gets the same key",
                        ir.column(a.target).name
                    ),
                )
                .primary(a.expr.span, "reads no source column")
                .help(
                    "derive the key from the source row, for example `uuid_v5(\"ns\", source_id)`",
                );
                self.report(d);
            }
            let missing: Vec<ColumnId> = target
                .primary_key
                .iter()
                .copied()
                .filter(|c| !keyed.contains(c))
                .collect();
            if !missing.is_empty() {
                let names = crate::quoted_columns(ir, &missing);
                let d = Diagnostic::new(
                    codes::KEY_MISSING,
                    format!(
                        "the map into `{}` does not assign its primary key {} with `key`",
                        ir.table_path(map.target),
                        names
                    ),
                )
                .primary(map_header(map), "no `key` assignment for the primary key")
                .help(format!(
                    "write `key {} = …`: the key is the row's identity for `ref`, reruns and gates",
                    ir.column(missing[0]).name
                ));
                self.report(d);
            }
            // uuid_v5 namespaces: literal everywhere (E0323), and one target
            // table per namespace among the keys (E0322; a foreign key may
            // rebuild its parent's key with the parent's namespace).
            for a in &map.assignments {
                walk(&a.expr, &mut |e| {
                    let ExprKind::Call {
                        func: Func::Builtin(Builtin::UuidV5),
                        args,
                    } = &e.kind
                    else {
                        return;
                    };
                    let Some(ns_expr) = args.first() else { return };
                    match text_literal(ns_expr) {
                        None => {
                            let d = Diagnostic::new(codes::NAMESPACE_NOT_LITERAL, "the namespace of `uuid_v5` must be a string literal")
                                .primary(ns_expr.span, "not a literal")
                                .help("write the namespace as a string such as \"legacy-crm/accounts\"; keys must be reproducible from the spec alone");
                            self.diags.push(d);
                        }
                        Some(_) if !a.key => {}
                        Some(ns) => match namespaces.get(ns) {
                            Some((t, first)) if *t != map.target => {
                                let d = Diagnostic::new(codes::NAMESPACE_SHARED, format!("uuid_v5 namespace \"{ns}\" is used for two target tables"))
                                    .primary(ns_expr.span, format!("used for `{}` here", ir.table_path(map.target)))
                                    .secondary(*first, format!("used for `{}` here", ir.table_path(*t)))
                                    .help("give each target table its own namespace, or equal source ids give equal keys in different tables");
                                self.diags.push(d);
                            }
                            Some(_) => {}
                            None => {
                                namespaces.insert(ns.to_owned(), (map.target, ns_expr.span));
                            }
                        },
                    }
                });
            }
        }
        for f in &ir.fns {
            walk(&f.body, &mut |e| {
                if let ExprKind::Call {
                    func: Func::Builtin(Builtin::UuidV5),
                    args,
                } = &e.kind
                {
                    if let Some(ns) = args.first().filter(|ns| text_literal(ns).is_none()) {
                        let d = Diagnostic::new(codes::NAMESPACE_NOT_LITERAL, "the namespace of `uuid_v5` must be a string literal")
                            .primary(ns.span, "not a literal")
                            .help("write the namespace as a string where `uuid_v5` is called; keys must be reproducible from the spec alone");
                        self.diags.push(d);
                    }
                }
            });
        }
        self.refs();
        self.load_order();
    }

    /// `ref T(args)` compiles to the key expression of the map into `T` with
    /// the arguments in place of its inputs, so they must match.
    fn refs(&mut self) {
        let ir = self.ir;
        let mut all: Vec<&Expr> = Vec::new();
        for m in &ir.maps {
            all.extend(m.assignments.iter().map(|a| &a.expr));
        }
        for e in all {
            walk(e, &mut |x| {
                let ExprKind::Ref { table, args } = &x.kind else {
                    return;
                };
                let fillers: Vec<MapId> = ir
                    .maps
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.target == *table)
                    .map(|(i, _)| MapId(i as u32))
                    .collect();
                let keys: Vec<KeyOf<'_>> = fillers.iter().filter_map(|m| key_of(ir, *m)).collect();
                let problem = match keys.as_slice() {
                    [] => Some(format!(
                        "no map with a `key` fills `{}`",
                        ir.table_path(*table)
                    )),
                    [k, rest @ ..] => {
                        let same_shape = rest.iter().all(|r| signature(r) == signature(k));
                        if !same_shape {
                            Some(format!("the maps into `{}` compute their keys differently, so `ref` cannot choose", ir.table_path(*table)))
                        } else if k.inputs.len() != args.len() {
                            Some(format!(
                                "the key of `{}` is computed from {} source column{} ({}), but `ref` gives {}",
                                ir.table_path(*table),
                                k.inputs.len(),
                                if k.inputs.len() == 1 { "" } else { "s" },
                                k.inputs.iter().map(|c| format!("`{}`", ir.column(*c).name)).collect::<Vec<_>>().join(", "),
                                args.len()
                            ))
                        } else {
                            k.inputs.iter().zip(args).find_map(|(c, a)| {
                                let want = ir.column(*c).ty.kind;
                                (!a.ty.is_error() && TypeKind::common(want, a.ty.kind).is_none())
                                    .then(|| {
                                        format!(
                                            "`{}` is {want}, but the argument given for it is {}",
                                            ir.column(*c).name,
                                            a.ty.kind
                                        )
                                    })
                            })
                        }
                    }
                };
                if let Some(p) = problem {
                    let d = Diagnostic::new(codes::BAD_REF, format!("`ref {}(…)` does not match the key of `{}`", ir.table(*table).name, ir.table_path(*table)))
                        .primary(x.span, p)
                        .help("pass the values the map into that table feeds its `key` expression, in the same order");
                    self.diags.push(d);
                }
            });
        }
    }

    /// Reports a cycle among the target foreign keys (E0325).
    fn load_order(&mut self) {
        if let Err(cycle) = load_order(self.ir) {
            let ir = self.ir;
            let path: Vec<String> = cycle.tables.iter().map(|t| ir.table_path(*t)).collect();
            let d = Diagnostic::new(codes::LOAD_CYCLE, format!("the target foreign keys form a cycle: {}", path.join(" → ")))
                .primary(cycle.span, "this reference closes the cycle")
                .help("no load order satisfies every foreign key: remove one `references` from the target schema and check that link with an `after load` gate (`fk … -> …`) instead");
            self.diags.push(d);
        }
    }
}

/// A table on the depth-first path, its parents and the next one to visit.
type Visit = (TableId, Vec<(TableId, Span)>, usize);

/// A cycle of foreign keys among loaded target tables.
#[derive(Debug, PartialEq, Eq)]
pub struct LoadCycle {
    /// The tables around the cycle; the first is repeated at the end.
    pub tables: Vec<TableId>,
    /// The reference that closes it.
    pub span: Span,
}

/// The order to run the maps in: every map into a table runs after the
/// maps into the tables it references (self-references are handled within
/// one table's load). Maps into one table keep their spec order, and so do
/// unrelated tables where the foreign keys allow.
pub fn load_order(ir: &Ir) -> Result<Vec<MapId>, LoadCycle> {
    let mut loaded: Vec<TableId> = Vec::new();
    for m in &ir.maps {
        if !loaded.contains(&m.target) {
            loaded.push(m.target);
        }
    }
    let parents = |t: TableId| -> Vec<(TableId, Span)> {
        ir.table(t)
            .foreign_keys
            .iter()
            .filter(|fk| fk.table != t && loaded.contains(&fk.table))
            .map(|fk| (fk.table, fk.span))
            .collect()
    };
    // Depth-first over parents; a table is placed when all its parents are.
    let mut state: BTreeMap<TableId, u8> = BTreeMap::new();
    let mut order: Vec<TableId> = Vec::new();
    for &start in &loaded {
        if state.get(&start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<Visit> = vec![(start, parents(start), 0)];
        state.insert(start, 1);
        while let Some((t, ps, next)) = stack.last_mut() {
            if let Some(&(p, span)) = ps.get(*next) {
                *next += 1;
                match state.get(&p).copied().unwrap_or(0) {
                    0 => {
                        state.insert(p, 1);
                        let pp = parents(p);
                        stack.push((p, pp, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(x, _, _)| *x == p).unwrap_or(0);
                        let mut tables: Vec<TableId> =
                            stack[from..].iter().map(|(x, _, _)| *x).collect();
                        tables.push(p);
                        return Err(LoadCycle { tables, span });
                    }
                    _ => {}
                }
            } else {
                let t = *t;
                state.insert(t, 2);
                order.push(t);
                stack.pop();
            }
        }
    }
    Ok(order
        .iter()
        .flat_map(|t| {
            ir.maps
                .iter()
                .enumerate()
                .filter(move |(_, m)| m.target == *t)
                .map(|(i, _)| MapId(i as u32))
        })
        .collect())
}

/// What `ref` must agree with across maps into one table: the `uuid_v5`
/// namespace (if the key is one) and the number of inputs.
fn signature(k: &KeyOf<'_>) -> (Option<String>, usize) {
    let ns = match &k.expr.kind {
        ExprKind::Call {
            func: Func::Builtin(Builtin::UuidV5),
            args,
        } => args.first().and_then(text_literal).map(str::to_owned),
        _ => None,
    };
    (ns, k.inputs.len())
}
