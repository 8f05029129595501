//! `transforms.py`: one pure function per assignment (named after its map
//! and target column, with the rule in the docstring), the map functions
//! that build a target row the way `cutover_eval`'s `target_row` does, the
//! key functions behind `ref`, lookups and constants, and `MAPS`, the
//! description of every map the engine and the runner work from.

use crate::expr::{
    fn_name, key, key_function, lookup_entries, lookup_name, python_name, raw_keys, string, ty,
    width, Block, Code, Py, Rows, Unsupported, LINE,
};
use crate::lit::Lit;
use crate::row;
use cutover_eval::{equi_join, walk};
use cutover_ir::{ColumnId, Deletes, Expr, ExprKind, Ir, MapId, OnFailure, TableId};
use std::collections::HashSet;

/// Names given out in one module, so two spec names never collide.
#[derive(Default)]
pub struct Names(HashSet<String>);

const RESERVED: &[&str] = &[
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "row",
    "now", "group", "rt", "t", "none", "true", "false",
];

impl Names {
    pub fn unique(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        if RESERVED.contains(&name.as_str()) || name.starts_with('_') {
            name = format!("{name}_");
        }
        let mut n = 2;
        let first = name.clone();
        while !self.0.insert(name.clone()) {
            name = format!("{first}_{n}");
            n += 1;
        }
        name
    }
}

/// The spec's text of a span on one line.
pub fn one_line(spec: &str, span: cutover_diagnostics::Span) -> String {
    let text = spec
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let mut out = String::new();
    for part in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// A docstring: backslashes and triple quotes escaped, never ending in a
/// quote (ruff would add a space).
pub fn docstring(b: &mut Block, text: &str) {
    let mut t = text.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    if t.ends_with('"') {
        t.push('.');
    }
    b.push(format!("\"\"\"{t}\"\"\""));
}

/// The row prefixes of a map's sources: "" for the first, the alias after.
pub fn prefixes(ir: &Ir, map: MapId) -> Vec<String> {
    ir.map(map)
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == 0 {
                String::new()
            } else {
                s.alias.clone()
            }
        })
        .collect()
}

/// Store spelling: the column's type, as the runtime's `cast` takes it.
fn column_type(ir: &Ir, c: ColumnId) -> String {
    ty(ir.column(c).ty.kind)
}

struct Module<'a> {
    ir: &'a Ir,
    spec: &'a str,
    py: Py<'a>,
    names: Names,
    /// Function definitions, in order.
    defs: Vec<String>,
}

impl Module<'_> {
    /// A function `name(params) -> ret` whose body returns `e`.
    #[allow(clippy::too_many_arguments)] // each is one part of the `def`
    fn function(
        &mut self,
        name: &str,
        params: &str,
        ret: &str,
        doc: Option<String>,
        e: &Expr,
        rows: Rows<'_>,
        prologue: &[String],
    ) -> Result<(), Unsupported> {
        self.py.reset_temps();
        let mut b = Block::new(1);
        if let Some(d) = doc {
            docstring(&mut b, &d);
        }
        for l in prologue {
            b.push(l);
        }
        let v = self.py.expr(e, rows, &mut b)?;
        self.ret(&mut b, &v);
        self.defs.push(format!(
            "def {name}({params}) -> {ret}:\n{}\n",
            b.lines.join("\n")
        ));
        Ok(())
    }

    fn ret(&self, b: &mut Block, v: &Code) {
        let line = format!("return {}", v.text);
        if width(&line) + b.depth * 4 <= LINE {
            b.push(line);
        } else {
            b.push(format!("t = {}", v.text));
            b.push("return t");
        }
    }
}

/// `transforms.py` of the spec.
pub fn transforms(ir: &Ir, spec: &str, header: &str) -> Result<String, Unsupported> {
    let mut m = Module {
        ir,
        spec,
        py: Py::new(ir),
        names: Names::default(),
        defs: Vec::new(),
    };
    for l in &ir.lookups {
        m.names.unique(&lookup_name(&l.name));
    }
    // User functions.
    for f in &ir.fns {
        let name = fn_name(&f.name);
        m.names.unique(&name);
        let params: Vec<String> = (0..f.params.len()).map(|i| format!("p{i}: Any")).collect();
        let mut uses_now = false;
        walk(&f.body, &mut |x| {
            if let ExprKind::Call {
                func: cutover_ir::Func::Builtin(b),
                ..
            } = &x.kind
            {
                uses_now |= !b.is_deterministic();
            }
        });
        if uses_now {
            return Err(Unsupported(format!(
                "now() inside fn `{}` (the Python backend passes the clock only to assignments)",
                f.name
            )));
        }
        let doc = format!(
            "fn {}: {}.",
            f.name,
            one_line(spec, f.span).trim_start_matches("fn ")
        );
        m.function(
            &name,
            &params.join(", "),
            "Any",
            Some(doc),
            &f.body,
            Rows::Params,
            &[],
        )?;
    }

    // Assignments and maps.
    let mut map_defs = Vec::new();
    let mut maps_meta = Vec::new();
    let mut deleted = Vec::new();
    for (i, map) in ir.maps.iter().enumerate() {
        let id = MapId(i as u32);
        let pre = prefixes(ir, id);
        let grouped = !map.group_by.is_empty();
        let rows = if grouped {
            Rows::Group(&pre)
        } else {
            Rows::Row(&pre)
        };
        let (arg, arg_ty) = if grouped {
            ("group", "list[Row]")
        } else {
            ("row", "Row")
        };
        let params = format!("{arg}: {arg_ty}, now: datetime.datetime");
        let target = ir.table(map.target);
        let mname = python_name(&map.name);
        // The map's row function, built alongside.
        let mut body = Block::new(1);
        docstring(
            &mut body,
            &format!(
                "map {}: {} -> {}: the target row, in column order, or Reject.",
                map.name,
                ir.table_path(map.source()),
                ir.table_path(map.target)
            ),
        );
        let mut assigned: Vec<ColumnId> = Vec::new();
        let mut locals = Names::default();
        let mut values: Vec<(ColumnId, String)> = Vec::new();
        let mut assigns: Vec<Lit> = Vec::new();
        for a in &map.assignments {
            let col = ir.column(a.target);
            let fname = m
                .names
                .unique(&format!("{mname}_{}", python_name(&col.name)));
            let rule = a.rule.and_then(|r| map.rules.get(r));
            let doc = match rule {
                Some(r) => format!(
                    "{} {}: `{}`.",
                    r.id,
                    string(&r.title),
                    one_line(spec, a.span)
                ),
                None => format!("`{}`.", one_line(spec, a.span)),
            };
            m.function(&fname, &params, "Any", Some(doc), &a.expr, rows, &[])?;
            let mut meta = Assign {
                column: &col.name,
                compute: Some(fname.clone()),
                not_null: !col.ty.nullable,
                rule: rule.map(|r| r.id.clone()),
                reject: None,
                otherwise: None,
                default: None,
            };
            let on_failure = match &a.on_failure {
                Some(OnFailure::Reject { reason, .. }) => {
                    meta.reject = Some(reason.clone());
                    row::OnFail::RejectWith(reason)
                }
                Some(OnFailure::Default { expr, .. }) => {
                    let ename = m.names.unique(&format!("{fname}_else"));
                    let doc = format!("The `else` of {fname}.");
                    m.function(&ename, &params, "Any", Some(doc), expr, rows, &[])?;
                    meta.otherwise = Some(ename);
                    row::OnFail::Otherwise(expr)
                }
                None => match &col.default {
                    Some(d) => {
                        meta.default = Some(default_function(&mut m, a.target, d, &params, rows)?);
                        row::OnFail::Default(d)
                    }
                    None => row::OnFail::Reject,
                },
            };
            let local = local_name(&mut locals, &col.name);
            body.push(format!("# {fname}"));
            let fill = row::Fill::Assign {
                expr: &a.expr,
                on_failure,
            };
            let column = row::Column::new(local.clone(), col, meta.rule.clone(), fill);
            row::column(&m.py, &mut body, &column, rows)?;
            assigns.push(meta.lit());
            assigned.push(a.target);
            values.push((a.target, local));
        }
        for c in &target.columns {
            if assigned.contains(c) {
                continue;
            }
            let col = ir.column(*c);
            let Some(d) = &col.default else { continue };
            let dname = default_function(&mut m, *c, d, &params, rows)?;
            let local = local_name(&mut locals, &col.name);
            body.push(format!("# {dname}"));
            let column = row::Column::new(local.clone(), col, None, row::Fill::Default(d));
            row::column(&m.py, &mut body, &column, rows)?;
            assigns.push(
                Assign {
                    column: &col.name,
                    compute: None,
                    not_null: !col.ty.nullable,
                    rule: None,
                    reject: None,
                    otherwise: None,
                    default: Some(dname),
                }
                .lit(),
            );
            values.push((*c, local));
        }
        let out: Vec<String> = target
            .columns
            .iter()
            .map(|c| {
                values
                    .iter()
                    .find(|(v, _)| v == c)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_else(|| "None".into())
            })
            .collect();
        let tuple = Lit::Tuple(out.into_iter().map(Lit::Atom).collect());
        body.lines.extend(tuple.statement(1, "return "));
        let row_fn = m.names.unique(&format!("map_{mname}"));
        map_defs.push(format!(
            "def {row_fn}({params}) -> tuple[Any, ...]:\n{}\n",
            body.lines.join("\n")
        ));

        // Where, joins, group keys.
        let row_params = "row: Row, now: datetime.datetime";
        let where_fn = match &map.filter {
            Some(f) => {
                let name = m.names.unique(&format!("{mname}_where"));
                let doc = format!("where {}.", one_line(spec, f.span));
                m.function(&name, row_params, "Any", Some(doc), f, Rows::Row(&pre), &[])?;
                Lit::Atom(name)
            }
            None => Lit::Atom("None".into()),
        };
        // `incremental … deletes when flag`: the sync's soft-delete flag.
        if let Some(Deletes::When(flag)) = map.incremental.as_ref().and_then(|i| i.deletes.as_ref())
        {
            let name = m.names.unique(&format!("{mname}_deleted"));
            let doc = format!("deletes when {}.", one_line(spec, flag.span));
            m.function(
                &name,
                row_params,
                "Any",
                Some(doc),
                flag,
                Rows::Row(&pre),
                &[],
            )?;
            deleted.push((string(&map.name), Lit::Atom(name)));
        }
        let mut sources = Vec::new();
        for (j, s) in map.sources.iter().enumerate() {
            let table = ir.table(s.table);
            let prefix = if j == 0 {
                String::new()
            } else {
                format!("{}.", s.alias)
            };
            let join = match &s.join {
                None => Lit::Atom("None".into()),
                Some(join) => {
                    let on = m
                        .names
                        .unique(&format!("{mname}_join_{}", python_name(&s.alias)));
                    let doc = format!("join {} on {}.", s.alias, one_line(spec, join.on.span));
                    m.function(
                        &on,
                        row_params,
                        "Any",
                        Some(doc),
                        &join.on,
                        Rows::Row(&pre),
                        &[],
                    )?;
                    let (probe, build) = match equi_join(&join.on, j as u32) {
                        Some((probe, build)) => {
                            let pname = m.names.unique(&format!("{on}_probe"));
                            let doc = format!("The value {on} looks up.");
                            m.function(
                                &pname,
                                row_params,
                                "Any",
                                Some(doc),
                                probe,
                                Rows::Row(&pre),
                                &[],
                            )?;
                            (
                                Lit::Atom(pname),
                                Lit::Atom(string(&key(&pre, j as u32, &ir.column(build).name))),
                            )
                        }
                        None => (Lit::Atom("None".into()), Lit::Atom("None".into())),
                    };
                    Lit::Call(
                        "Join".into(),
                        vec![
                            Lit::Atom(if join.left { "True" } else { "False" }.into()),
                            Lit::Atom(on),
                            probe,
                            build,
                        ],
                    )
                }
            };
            sources.push(Lit::Call(
                "Source".into(),
                vec![
                    Lit::Atom(string(&ir.system(table.system).name)),
                    Lit::Atom(string(&table.name)),
                    Lit::Atom(string(&prefix)),
                    Lit::Tuple(
                        table
                            .columns
                            .iter()
                            .map(|c| Lit::Atom(string(&ir.column(*c).name)))
                            .collect(),
                    ),
                    Lit::Tuple(
                        table
                            .columns
                            .iter()
                            .map(|c| Lit::Atom(column_type(ir, *c)))
                            .collect(),
                    ),
                    join,
                ],
            ));
        }
        let mut groups = Vec::new();
        for (g, e) in map.group_by.iter().enumerate() {
            let name = m.names.unique(&format!("{mname}_group_{g}"));
            let doc = format!("group by {}.", one_line(spec, e.span));
            m.function(&name, row_params, "Any", Some(doc), e, Rows::Row(&pre), &[])?;
            groups.push(Lit::Atom(name));
        }
        maps_meta.push((
            string(&map.name),
            Lit::Call(
                "Map".into(),
                vec![
                    Lit::Atom(string(&map.name)),
                    Lit::Tuple(sources),
                    where_fn,
                    Lit::Tuple(groups),
                    Lit::Atom(row_fn),
                    Lit::Tuple(vec![
                        Lit::Atom(string(&ir.system(target.system).name)),
                        Lit::Atom(string(&target.name)),
                    ]),
                    Lit::Tuple(
                        target
                            .columns
                            .iter()
                            .map(|c| Lit::Atom(string(&ir.column(*c).name)))
                            .collect(),
                    ),
                    Lit::Tuple(
                        target
                            .columns
                            .iter()
                            .map(|c| Lit::Atom(column_type(ir, *c)))
                            .collect(),
                    ),
                    Lit::Tuple(
                        ir.table(map.source())
                            .primary_key
                            .iter()
                            .map(|c| Lit::Atom(string(&ir.column(*c).name)))
                            .collect(),
                    ),
                    Lit::Tuple(assigns),
                ],
            ),
        ));
    }

    // Key functions for `ref`, with what they use in turn.
    let mut done: Vec<TableId> = Vec::new();
    loop {
        let pending: Vec<TableId> =
            m.py.keys_used
                .borrow()
                .iter()
                .filter(|t| !done.contains(t))
                .copied()
                .collect();
        if pending.is_empty() {
            break;
        }
        for t in pending {
            done.push(t);
            key_fn(&mut m, t)?;
        }
    }

    // Lookups (their constants join the others).
    let mut lookups = Vec::new();
    for l in &ir.lookups {
        let raw = raw_keys(l);
        let entries: Vec<(String, Lit)> = lookup_entries(&m.py, l)
            .into_iter()
            // A NULL key finds nothing: never a key of the table.
            .filter(|(k, _)| !(raw && k == "None"))
            .map(|(k, v)| (k, Lit::Atom(v)))
            .collect();
        let dict = Lit::Dict(entries);
        let mut lines = Vec::new();
        lines.push(format!(
            "# lookup {}{}",
            l.name,
            if l.otherwise.is_some() {
                " (with `else`)"
            } else {
                ""
            }
        ));
        let table = if raw {
            dict
        } else {
            Lit::Call("_lookup_table".into(), vec![dict])
        };
        let key = if raw { "Any" } else { "str" };
        lines.extend(table.statement(0, &format!("{}: dict[{key}, Any] = ", lookup_name(&l.name))));
        lookups.push(lines.join("\n"));
    }

    let mut out = String::new();
    out.push_str(header);
    out.push_str(
        "\nfrom __future__ import annotations\n\nimport datetime\nfrom collections.abc import Callable\nfrom typing import Any, NamedTuple\n\nfrom . import cutover_runtime as rt\n\n",
    );
    out.push_str(crate::PRELUDE);
    let constants = m.py.constants.borrow();
    if !constants.is_empty() {
        out.push_str("\n\n# Constants of the spec, converted once.\n");
        for (name, e) in constants.iter() {
            let line = format!("{name} = {e}");
            out.push_str(&line);
            out.push('\n');
        }
    }
    if !lookups.is_empty() {
        out.push('\n');
        for l in &lookups {
            out.push('\n');
            out.push_str(l);
            out.push('\n');
        }
    }
    for d in m.defs.iter().chain(&map_defs) {
        out.push_str("\n\n");
        out.push_str(d);
    }
    out.push_str("\n\n# Every map, by name, in the spec's order.\n");
    let maps = Lit::Dict(maps_meta);
    for l in maps.statement(0, "MAPS: dict[str, Map] = ") {
        out.push_str(&l);
        out.push('\n');
    }
    if !deleted.is_empty() {
        out.push_str("\n\n# The soft-delete flag of each `incremental … deletes when` map.\n");
        for l in Lit::Dict(deleted).statement(0, "DELETED: dict[str, Compute] = ") {
            out.push_str(&l);
            out.push('\n');
        }
    }
    Ok(out)
}

/// One entry of `Map.assigns`.
struct Assign<'a> {
    column: &'a str,
    compute: Option<String>,
    not_null: bool,
    rule: Option<String>,
    reject: Option<String>,
    otherwise: Option<String>,
    default: Option<String>,
}

impl Assign<'_> {
    fn lit(&self) -> Lit {
        let name = |f: &Option<String>| Lit::Atom(f.clone().unwrap_or_else(|| "None".into()));
        let text = |t: &Option<String>| {
            Lit::Atom(t.as_deref().map(string).unwrap_or_else(|| "None".into()))
        };
        Lit::Call(
            "Assign".into(),
            vec![
                Lit::Atom(string(self.column)),
                name(&self.compute),
                Lit::Atom(if self.not_null { "True" } else { "False" }.into()),
                text(&self.rule),
                text(&self.reject),
                name(&self.otherwise),
                name(&self.default),
            ],
        )
    }
}

/// A local of the row function for a column: never one of the names its
/// code uses (`row`, `now`, `rt`, the builtins `len` and `type`, the
/// exception `f`, temporaries `t`, `t0`, …, the `key_`/`fn_` functions).
fn local_name(locals: &mut Names, column: &str) -> String {
    let mut base = python_name(column);
    let temp =
        base.len() > 1 && base.starts_with('t') && base[1..].bytes().all(|c| c.is_ascii_digit());
    let global = base.starts_with("key_") || base.starts_with("fn_");
    if temp || global || ["f", "len", "type", "datetime"].contains(&base.as_str()) {
        base.push('_');
    }
    locals.unique(&base)
}

/// The function computing a column's default in a map's scope.
fn default_function(
    m: &mut Module<'_>,
    c: ColumnId,
    d: &Expr,
    params: &str,
    rows: Rows<'_>,
) -> Result<String, Unsupported> {
    let ir = m.ir;
    let col = ir.column(c);
    let name = m.names.unique(&format!(
        "default_{}_{}",
        python_name(&ir.table(col.table).name),
        python_name(&col.name)
    ));
    let doc = format!(
        "The default of {}.{}: `{}`.",
        ir.table_path(col.table),
        col.name,
        one_line(m.spec, d.span)
    );
    // Defaults read no source column; in a group they see the group.
    m.function(&name, params, "Any", Some(doc), d, rows, &[])?;
    Ok(name)
}

/// `key_<table>(k0, …)`: the key the map into the table gives a row with
/// these key inputs (the evaluator's `reference`).
fn key_fn(m: &mut Module<'_>, t: TableId) -> Result<(), Unsupported> {
    let ir = m.ir;
    let name = key_function(ir, t);
    m.names.unique(&name);
    let Some((map, a)) = ir
        .maps
        .iter()
        .find(|mp| mp.target == t)
        .and_then(|mp| mp.assignments.iter().find(|a| a.key).map(|a| (mp, a)))
    else {
        let msg = format!("no map with a key fills `{}`", ir.table_path(t));
        m.defs.push(format!(
            "def {name}(*keys: Any) -> Any:\n    raise rt.Fail({})\n",
            string(&msg)
        ));
        return Ok(());
    };
    let mut inputs: Vec<ColumnId> = Vec::new();
    walk(&a.expr, &mut |e| {
        if let ExprKind::Column { column, .. } = e.kind {
            if !inputs.contains(&column) {
                inputs.push(column);
            }
        }
    });
    let params: Vec<String> = (0..inputs.len()).map(|i| format!("k{i}: Any")).collect();
    let mut prologue = Vec::new();
    if !inputs.is_empty() {
        let ks: Vec<String> = (0..inputs.len()).map(|i| format!("k{i} is None")).collect();
        prologue.push(format!("if {}:", ks.join(" or ")));
        prologue.push("    return None".into());
        for (i, c) in inputs.iter().enumerate() {
            prologue.push(format!("k{i} = rt.cast(k{i}, {})", column_type(ir, *c)));
        }
    }
    let doc = format!(
        "The key map {} gives a row: `{}`.",
        map.name,
        one_line(m.spec, a.expr.span)
    );
    let key_ty = ir.column(a.target).ty.kind;
    // The key expression, then cast to the key column's type.
    let cast = Expr {
        kind: ExprKind::Cast {
            expr: Box::new(a.expr.clone()),
            to: cutover_ir::Type {
                kind: key_ty,
                nullable: true,
            },
        },
        ty: cutover_ir::Type {
            kind: key_ty,
            nullable: true,
        },
        span: a.expr.span,
    };
    let e = cast;
    m.function(
        &name,
        &params.join(", "),
        "Any",
        Some(doc),
        &e,
        Rows::Bound(&inputs),
        &prologue,
    )
}
