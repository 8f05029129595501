//! The resolver: AST → IR. Names become ids, types are resolved, every
//! expression is typed.
//!
//! Passes run in dependency order: declarations first (so items may appear
//! in any order in a spec), then table details, `fn` bodies, maps, examples,
//! gates, rollback and phases. A name that fails to resolve is reported once
//! (E01xx) and its expression gets type `Error`, which silences every rule
//! that would otherwise report the same mistake again.

use crate::builtins::{self, Arg, CallError};
use crate::types::{TYPE_ALIASES, TYPE_NAMES};
use crate::*;
use cutover_diagnostics::{codes, did_you_mean, Code, Diagnostic, Span};
use cutover_syntax::ast;
use std::collections::HashMap;

/// Resolves and types a parsed spec. The IR is complete even when there are
/// errors (failed parts have type `Error`), so tools can still use it.
pub fn resolve(ast: &ast::Ast) -> (Ir, Vec<Diagnostic>) {
    let mut r = Resolver::default();
    r.declare(ast);
    r.table_details(ast);
    r.fn_bodies(ast);
    r.maps(ast);
    r.examples(ast);
    r.gates(ast);
    r.rollback(ast);
    r.phases(ast);
    r.dropped_tables(ast);
    r.fn_recursion();
    (r.ir, r.diags)
}

/// What an expression's names resolve against.
#[derive(Clone, Copy)]
enum Scope<'s> {
    /// Tables in order with their aliases: a map's sources, or one table.
    Tables(&'s [(String, TableId)]),
    /// The parameters of an `fn`.
    Params(&'s [Param]),
    /// Constants only (column defaults).
    Constants,
}

#[derive(Default)]
struct Resolver {
    ir: Ir,
    diags: Vec<Diagnostic>,
    systems: HashMap<String, SystemId>,
    tables: HashMap<(SystemId, String), TableId>,
    columns: Vec<HashMap<String, ColumnId>>,
    lookups: HashMap<String, LookupId>,
    fns: HashMap<String, FnId>,
    maps_by_name: HashMap<String, MapId>,
    /// Named maps skipped because their tables did not resolve; references
    /// to them are not reported again.
    failed_maps: std::collections::HashSet<String>,
    gates: HashMap<String, GateId>,
    phases: HashMap<String, PhaseId>,
    /// Where each named thing was first defined, for duplicate reports.
    first_span: HashMap<(&'static str, String), Span>,
}

fn unknown(
    code: Code,
    what: &str,
    name: &str,
    span: Span,
    suggestion: Option<&str>,
    fallback_help: String,
) -> Diagnostic {
    let d = Diagnostic::new(code, format!("unknown {what} `{name}`"))
        .primary(span, format!("no {what} called `{name}`"));
    match suggestion {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(fallback_help),
    }
}

/// An unknown-name diagnostic: "did you mean" when a candidate is close,
/// otherwise the list of what exists (`listing` introduces it).
fn unknown_among<'a>(
    code: Code,
    what: &str,
    name: &str,
    span: Span,
    candidates: impl Iterator<Item = &'a str> + Clone,
    listing: &str,
) -> Diagnostic {
    let suggestion = did_you_mean(name, candidates.clone());
    unknown(
        code,
        what,
        name,
        span,
        suggestion,
        format!("{listing} {}", list_names(candidates)),
    )
}

fn list_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = names.collect();
    v.sort_unstable();
    let more = v.len() > 8;
    v.truncate(8);
    let mut s = v
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if more {
        s.push_str(", …");
    }
    if s.is_empty() {
        s = "none are defined".to_owned();
    }
    s
}

fn error_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Error,
        ty: Type::ERROR,
        span,
    }
}

impl Resolver {
    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Registers a name; reports E0110 and returns false if it is taken.
    fn define(&mut self, kind: &'static str, scope: &str, name: &ast::Ident) -> bool {
        let key = (kind, format!("{scope}\u{0}{}", name.name));
        if let Some(first) = self.first_span.get(&key) {
            let d = Diagnostic::new(
                codes::DUPLICATE,
                format!("{kind} `{}` is defined more than once", name.name),
            )
            .primary(name.span, "defined again here")
            .secondary(*first, "first defined here")
            .help(format!(
                "rename or remove one of the two; every {kind} needs a distinct name"
            ));
            self.report(d);
            false
        } else {
            self.first_span.insert(key, name.span);
            true
        }
    }

    // ───────────────────────── Declarations ─────────────────────────

    fn declare(&mut self, ast: &ast::Ast) {
        let mut header = None;
        for item in &ast.items {
            match item {
                ast::Item::Migration(m) => {
                    if let Some(first) = header {
                        let d = Diagnostic::new(
                            codes::DUPLICATE,
                            "the migration header is given more than once",
                        )
                        .primary(m.title.span, "second header")
                        .secondary(first, "first header")
                        .help("a spec describes one migration; merge the two headers");
                        self.report(d);
                    } else {
                        header = Some(m.title.span);
                        self.migration(m);
                    }
                }
                ast::Item::System(s) => self.system(s),
                ast::Item::Lookup(l) => self.lookup(l),
                ast::Item::Fn(f) => self.fn_signature(f),
                ast::Item::Gate(g) if self.define("gate", "", &g.name) => {
                    self.gates
                        .insert(g.name.name.clone(), GateId(self.gates.len() as u32));
                }
                ast::Item::Phase(p) if self.define("phase", "", &p.name) => {
                    self.phases
                        .insert(p.name.name.clone(), PhaseId(self.phases.len() as u32));
                }
                _ => {}
            }
        }
        if header.is_none() {
            let d = Diagnostic::new(codes::NO_MIGRATION, "the spec has no `migration` header")
                .primary(Span::new(0, 0), "expected `migration \"Title\" { … }` in this file")
                .help("start the spec with `migration \"Title\" { strategy big_bang  owner \"team\" }`");
            self.report(d);
        }
    }

    fn migration(&mut self, m: &ast::Migration) {
        self.ir.migration.title = m.title.value.clone();
        self.ir.migration.span = m.span;
        for a in &m.attributes {
            match a.name.name.as_str() {
                "strategy" => match a.values.as_slice() {
                    [ast::AttrValue::Ident(v)] if Strategy::NAMES.contains(&v.name.as_str()) => {
                        self.ir.migration.strategy = match v.name.as_str() {
                            "phased" => Strategy::Phased,
                            "parallel_run" => Strategy::ParallelRun,
                            _ => Strategy::BigBang,
                        };
                    }
                    values => {
                        let (span, written) = match values.first() {
                            Some(ast::AttrValue::Ident(v)) => (v.span, v.name.clone()),
                            _ => (a.span, String::new()),
                        };
                        let suggestion = did_you_mean(&written, Strategy::NAMES);
                        let help = match suggestion {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => {
                                "write one of `big_bang`, `phased` or `parallel_run`".to_owned()
                            }
                        };
                        self.report(
                            Diagnostic::new(
                                codes::INVALID_ATTRIBUTE,
                                "`strategy` must be one of big_bang, phased, parallel_run",
                            )
                            .primary(span, "not a strategy")
                            .help(help),
                        );
                    }
                },
                "owner" => match a.values.as_slice() {
                    [ast::AttrValue::Str(s)] => self.ir.migration.owner = Some(s.value.clone()),
                    _ => self.report(
                        Diagnostic::new(codes::INVALID_ATTRIBUTE, "`owner` must be one string")
                            .primary(a.span, "expected `owner \"team\"`")
                            .help("write the owning team or person in double quotes"),
                    ),
                },
                _ => {
                    let values = a
                        .values
                        .iter()
                        .map(|v| match v {
                            ast::AttrValue::Str(s) => AttrValue::Text(s.value.clone()),
                            ast::AttrValue::Ident(i) => AttrValue::Word(i.name.clone()),
                            ast::AttrValue::Number(n) => AttrValue::Number(n.text.clone()),
                            ast::AttrValue::Duration(d) => AttrValue::Minutes(d.minutes),
                            ast::AttrValue::Percent(p) => AttrValue::Percent(p.value),
                            ast::AttrValue::Rate { per_second, .. } => {
                                AttrValue::RowsPerSecond(*per_second)
                            }
                        })
                        .collect();
                    self.ir.migration.attributes.push(Attribute {
                        name: a.name.name.clone(),
                        values,
                        span: a.span,
                    });
                }
            }
        }
    }

    fn system(&mut self, s: &ast::System) {
        let dialect = match s.dialect.name.as_str() {
            "postgres" => Dialect::Postgres,
            "sqlite" => Dialect::Sqlite,
            other => {
                let aliases = [
                    ("postgresql", "postgres"),
                    ("pg", "postgres"),
                    ("sqlite3", "sqlite"),
                ];
                let suggestion = aliases
                    .iter()
                    .find(|(a, _)| *a == other)
                    .map(|(_, d)| *d)
                    .or_else(|| did_you_mean(other, Dialect::NAMES));
                self.report(unknown(
                    codes::UNKNOWN_DIALECT,
                    "dialect",
                    other,
                    s.dialect.span,
                    suggestion,
                    "Cutover generates for `postgres` and `sqlite`".to_owned(),
                ));
                Dialect::Postgres
            }
        };
        if !self.define("system", "", &s.name) {
            return;
        }
        let system_id = SystemId(self.ir.systems.len() as u32);
        self.systems.insert(s.name.name.clone(), system_id);
        self.ir.systems.push(System {
            name: s.name.name.clone(),
            name_span: s.name.span,
            role: s.role,
            dialect,
            tables: Vec::new(),
            span: s.span,
        });
        for t in &s.tables {
            if !self.define("table", &s.name.name, &t.name) {
                continue;
            }
            let table_id = TableId(self.ir.tables.len() as u32);
            self.tables
                .insert((system_id, t.name.name.clone()), table_id);
            self.ir.systems[system_id.index()].tables.push(table_id);
            let mut table = Table {
                name: t.name.name.clone(),
                name_span: t.name.span,
                system: system_id,
                columns: Vec::new(),
                primary_key: Vec::new(),
                uniques: Vec::new(),
                checks: Vec::new(),
                foreign_keys: Vec::new(),
                rows: None,
                span: t.span,
            };
            let mut by_name = HashMap::new();
            for item in &t.items {
                match item {
                    ast::TableItem::Column(c) => {
                        let scope = format!("{}.{}", s.name.name, t.name.name);
                        if !self.define("column", &scope, &c.name) {
                            continue;
                        }
                        let pk = c
                            .constraints
                            .iter()
                            .any(|k| matches!(k, ast::ColumnConstraint::PrimaryKey(_)));
                        let not_null = c
                            .constraints
                            .iter()
                            .any(|k| matches!(k, ast::ColumnConstraint::NotNull(_)));
                        let ty = self.ty(&c.ty, !(pk || not_null));
                        let id = ColumnId(self.ir.columns.len() as u32);
                        by_name.insert(c.name.name.clone(), id);
                        table.columns.push(id);
                        if pk {
                            table.primary_key.push(id);
                        }
                        self.ir.columns.push(Column {
                            name: c.name.name.clone(),
                            table: table_id,
                            ty,
                            primary_key: pk,
                            unique: c
                                .constraints
                                .iter()
                                .any(|k| matches!(k, ast::ColumnConstraint::Unique(_))),
                            pii: c
                                .constraints
                                .iter()
                                .any(|k| matches!(k, ast::ColumnConstraint::Pii(_))),
                            default: None,
                            checks: Vec::new(),
                            references: None,
                            span: c.span,
                        });
                    }
                    ast::TableItem::Rows { count, .. } => table.rows = Some(*count),
                    _ => {}
                }
            }
            self.columns.push(by_name);
            self.ir.tables.push(table);
        }
    }

    /// A type as written; `nullable` comes from the column's constraints or
    /// the `?` of an fn signature.
    fn ty(&mut self, t: &ast::TypeExpr, nullable: bool) -> Type {
        let name = t.name.name.as_str();
        let params: Vec<u32> = t.params.iter().map(|(n, _)| *n).collect();
        let bad_params = |msg: String, help: &str| {
            Diagnostic::new(codes::INVALID_TYPE_PARAMS, msg)
                .primary(t.span, "invalid parameters")
                .help(help.to_owned())
        };
        let kind = match (name, params.as_slice()) {
            ("int", []) => TypeKind::Int,
            ("bigint", []) => TypeKind::BigInt,
            ("smallint", []) => TypeKind::SmallInt,
            ("float", []) => TypeKind::Float,
            ("bool", []) => TypeKind::Bool,
            ("text", []) => TypeKind::Text,
            ("date", []) => TypeKind::Date,
            ("time", []) => TypeKind::Time,
            ("timestamp", []) => TypeKind::Timestamp,
            ("timestamptz", []) => TypeKind::Timestamptz,
            ("uuid", []) => TypeKind::Uuid,
            ("json", []) => TypeKind::Json,
            ("bytes", []) => TypeKind::Bytes,
            ("varchar", [n]) if *n >= 1 => TypeKind::Varchar(*n),
            ("char", [n]) if *n >= 1 => TypeKind::Char(*n),
            ("decimal", [p, s]) if *p >= 1 && *p <= types::MAX_DECIMAL_PRECISION && s <= p => {
                TypeKind::Decimal {
                    precision: *p as u8,
                    scale: *s as u8,
                }
            }
            ("varchar" | "char", _) => {
                self.report(bad_params(
                    format!("`{name}` needs one length of at least 1, such as `{name}(100)`"),
                    "write the maximum length in characters; use `text` for unbounded text",
                ));
                TypeKind::Error
            }
            ("decimal", _) => {
                self.report(bad_params(
                    "`decimal` needs a precision and a scale, `decimal(p, s)` with 1 ≤ p ≤ 38 and s ≤ p".to_owned(),
                    "for example `decimal(12, 2)`: 12 digits, 2 after the point",
                ));
                TypeKind::Error
            }
            (n, _) if TYPE_NAMES.contains(&n) => {
                self.report(bad_params(
                    format!("`{n}` takes no parameters"),
                    &format!("write plain `{n}`"),
                ));
                TypeKind::Error
            }
            (n, _) => {
                let suggestion = TYPE_ALIASES
                    .iter()
                    .find(|(a, _)| *a == n.to_ascii_lowercase())
                    .map(|(_, c)| *c)
                    .or_else(|| did_you_mean(n, TYPE_NAMES));
                self.report(unknown(
                    codes::UNKNOWN_TYPE,
                    "type",
                    n,
                    t.name.span,
                    suggestion,
                    format!("the types are {}", TYPE_NAMES[..16].join(", ")),
                ));
                TypeKind::Error
            }
        };
        Type::new(kind, nullable)
    }

    fn lookup(&mut self, l: &ast::Lookup) {
        if !self.define("lookup", "", &l.name) {
            return;
        }
        let mut entries = Vec::new();
        let mut otherwise = None;
        let mut key_kind = TypeKind::Null;
        let mut value_kind = TypeKind::Null;
        let mut value_nullable = false;
        let mut seen: HashMap<Const, Span> = HashMap::new();
        let mut else_span: Option<Span> = None;
        let unify = |this: &mut Self, acc: &mut TypeKind, v: &ast::Value, what: &str| {
            let k = const_type(&value_const(v)).kind;
            match TypeKind::common(*acc, k) {
                Some(c) => *acc = c,
                None => this.report(
                    Diagnostic::new(
                        codes::MIXED_TYPES,
                        format!(
                            "lookup `{}` mixes {what} of type {acc} and {k}",
                            l.name.name
                        ),
                    )
                    .primary(v.span, format!("this is {k}"))
                    .help(format!("every {what} of a lookup must have the same type")),
                ),
            }
        };
        for e in &l.entries {
            match e {
                ast::LookupEntry::Pair { keys, value, span } => {
                    let mut ks = Vec::new();
                    for k in keys {
                        unify(self, &mut key_kind, k, "keys");
                        let c = value_const(k);
                        if let Some(first) = seen.get(&c) {
                            self.report(
                                Diagnostic::new(
                                    codes::DUPLICATE,
                                    format!(
                                        "lookup `{}` has the key {} twice",
                                        l.name.name,
                                        show_const(&c)
                                    ),
                                )
                                .primary(k.span, "repeated here")
                                .secondary(*first, "first here")
                                .help("a key maps to one value; remove one of the entries"),
                            );
                        } else {
                            seen.insert(c.clone(), k.span);
                        }
                        ks.push((c, k.span));
                    }
                    unify(self, &mut value_kind, value, "values");
                    let v = value_const(value);
                    value_nullable |= v == Const::Null;
                    entries.push(LookupEntry {
                        keys: ks,
                        value: v,
                        span: *span,
                    });
                }
                ast::LookupEntry::Else { value, span } => {
                    if let Some(first) = else_span {
                        self.report(
                            Diagnostic::new(
                                codes::DUPLICATE,
                                format!("lookup `{}` has two `else` entries", l.name.name),
                            )
                            .primary(*span, "second `else`")
                            .secondary(first, "first `else`")
                            .help("keep one `else =>` entry"),
                        );
                    }
                    else_span = Some(*span);
                    unify(self, &mut value_kind, value, "values");
                    let v = value_const(value);
                    value_nullable |= v == Const::Null;
                    otherwise = Some(v);
                }
            }
        }
        let id = LookupId(self.ir.lookups.len() as u32);
        self.lookups.insert(l.name.name.clone(), id);
        self.ir.lookups.push(Lookup {
            name: l.name.name.clone(),
            key_type: Type::not_null(key_kind),
            value_type: Type::new(value_kind, value_nullable),
            entries,
            otherwise,
            span: l.span,
        });
    }

    fn fn_signature(&mut self, f: &ast::FnDef) {
        if !self.define("fn", "", &f.name) {
            return;
        }
        let scope = format!("fn {}", f.name.name);
        let mut params = Vec::new();
        for p in &f.params {
            if self.define("parameter", &scope, &p.name) {
                let ty = self.ty(&p.ty, p.ty.nullable);
                params.push(Param {
                    name: p.name.name.clone(),
                    ty,
                    span: p.span,
                });
            }
        }
        let ret = self.ty(&f.ret, f.ret.nullable);
        let id = FnId(self.ir.fns.len() as u32);
        self.fns.insert(f.name.name.clone(), id);
        self.ir.fns.push(FnDef {
            name: f.name.name.clone(),
            params,
            ret,
            body: error_expr(f.body.span),
            span: f.span,
        });
    }

    // ───────────────────────── Table details ─────────────────────────

    fn find_table(&mut self, r: &ast::TableRef) -> Option<TableId> {
        let Some(&system) = self.systems.get(&r.system.name) else {
            self.report(unknown_among(
                codes::UNKNOWN_SYSTEM,
                "system",
                &r.system.name,
                r.system.span,
                self.systems.keys().map(String::as_str),
                "the systems are",
            ));
            return None;
        };
        self.table_in(system, &r.table)
    }

    fn table_in(&mut self, system: SystemId, name: &ast::Ident) -> Option<TableId> {
        if let Some(&t) = self.tables.get(&(system, name.name.clone())) {
            return Some(t);
        }
        let sys = self.ir.system(system);
        let names: Vec<&str> = sys
            .tables
            .iter()
            .map(|t| self.ir.table(*t).name.as_str())
            .collect();
        let listing = format!("the tables of `{}` are", sys.name);
        let d = unknown_among(
            codes::UNKNOWN_TABLE,
            "table",
            &name.name,
            name.span,
            names.into_iter(),
            &listing,
        );
        let d = Diagnostic {
            message: format!("unknown table `{}` in system `{}`", name.name, sys.name),
            ..d
        };
        self.report(d);
        None
    }

    fn column_in(&mut self, table: TableId, name: &ast::Ident) -> Option<ColumnId> {
        if let Some(&c) = self.columns[table.index()].get(&name.name) {
            return Some(c);
        }
        let path = self.ir.table_path(table);
        let names: Vec<&str> = self.columns[table.index()]
            .keys()
            .map(String::as_str)
            .collect();
        let listing = format!("the columns of `{path}` are");
        let d = unknown_among(
            codes::UNKNOWN_COLUMN,
            "column",
            &name.name,
            name.span,
            names.into_iter(),
            &listing,
        );
        let d = Diagnostic {
            message: format!("unknown column `{}` in `{path}`", name.name),
            ..d
        };
        self.report(d);
        None
    }

    /// Resolves a role-checked table reference: maps read `source` tables
    /// and write `target` tables.
    fn table_with_role(&mut self, r: &ast::TableRef, role: Role, what: &str) -> Option<TableId> {
        let t = self.find_table(r)?;
        let system = self.ir.system(self.ir.table(t).system);
        if system.role != role {
            let (is, should) = match role {
                Role::Source => ("target", "source"),
                Role::Target => ("source", "target"),
            };
            let d = Diagnostic::new(codes::WRONG_ROLE, format!("{what} must be a {should} table, but `{}` is a {is} system", system.name))
                .primary(r.span, format!("a {is} table"))
                .secondary(system.name_span, format!("declared `{is}` here"))
                .help(format!("maps read from `source` systems and write into `target` systems; check the direction of `->` or declare `{}` as `{should}`", system.name));
            self.report(d);
            return None;
        }
        Some(t)
    }

    fn table_details(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::System(s) = item else { continue };
            let Some(&system) = self.systems.get(&s.name.name) else {
                continue;
            };
            // A duplicate system's tables were not declared.
            if self.ir.system(system).span != s.span {
                continue;
            }
            for t in &s.tables {
                let Some(&table) = self.tables.get(&(system, t.name.name.clone())) else {
                    continue;
                };
                if self.ir.table(table).span != t.span {
                    continue;
                }
                let scope = [(t.name.name.clone(), table)];
                for item in &t.items {
                    match item {
                        ast::TableItem::Column(c) => {
                            let Some(&col) = self.columns[table.index()].get(&c.name.name) else {
                                continue;
                            };
                            if self.ir.column(col).span != c.span {
                                continue;
                            }
                            for k in &c.constraints {
                                match k {
                                    ast::ColumnConstraint::References {
                                        table: rt,
                                        column: rc,
                                        span,
                                    } => {
                                        let Some(to_table) = self.table_in(system, rt) else {
                                            continue;
                                        };
                                        let Some(to_col) = self.column_in(to_table, rc) else {
                                            continue;
                                        };
                                        self.ir.columns[col.index()].references = Some(to_col);
                                        self.ir.tables[table.index()].foreign_keys.push(
                                            ForeignKey {
                                                columns: vec![col],
                                                table: to_table,
                                                ref_columns: vec![to_col],
                                                span: *span,
                                            },
                                        );
                                    }
                                    ast::ColumnConstraint::Check(e) => {
                                        let e =
                                            self.condition(e, Scope::Tables(&scope), "a `check`");
                                        self.ir.columns[col.index()].checks.push(e);
                                    }
                                    ast::ColumnConstraint::Default(e) => {
                                        let e = self.expr(e, Scope::Constants);
                                        self.ir.columns[col.index()].default = Some(e);
                                    }
                                    _ => {}
                                }
                            }
                        }
                        ast::TableItem::PrimaryKey { columns, .. } => {
                            let cols: Vec<ColumnId> = columns
                                .iter()
                                .filter_map(|c| self.column_in(table, c))
                                .collect();
                            for c in &cols {
                                let col = &mut self.ir.columns[c.index()];
                                col.primary_key = true;
                                col.ty.nullable = false;
                            }
                            self.ir.tables[table.index()].primary_key = cols;
                        }
                        ast::TableItem::Unique { columns, .. } => {
                            let cols = columns
                                .iter()
                                .filter_map(|c| self.column_in(table, c))
                                .collect();
                            self.ir.tables[table.index()].uniques.push(cols);
                        }
                        ast::TableItem::Check { expr, .. } => {
                            let e = self.condition(expr, Scope::Tables(&scope), "a `check`");
                            self.ir.tables[table.index()].checks.push(e);
                        }
                        ast::TableItem::ForeignKey {
                            columns,
                            table: rt,
                            ref_columns,
                            span,
                        } => {
                            let cols: Vec<ColumnId> = columns
                                .iter()
                                .filter_map(|c| self.column_in(table, c))
                                .collect();
                            let Some(to_table) = self.table_in(system, rt) else {
                                continue;
                            };
                            let refs: Vec<ColumnId> = ref_columns
                                .iter()
                                .filter_map(|c| self.column_in(to_table, c))
                                .collect();
                            if cols.len() == 1 && refs.len() == 1 {
                                self.ir.columns[cols[0].index()].references = Some(refs[0]);
                            }
                            self.ir.tables[table.index()].foreign_keys.push(ForeignKey {
                                columns: cols,
                                table: to_table,
                                ref_columns: refs,
                                span: *span,
                            });
                        }
                        ast::TableItem::Rows { .. } => {}
                    }
                }
            }
        }
    }

    fn fn_bodies(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::Fn(f) = item else { continue };
            let Some(&id) = self.fns.get(&f.name.name) else {
                continue;
            };
            if self.ir.func(id).span != f.span {
                continue;
            }
            let params = self.ir.func(id).params.clone();
            let body = self.expr(&f.body, Scope::Params(&params));
            self.ir.fns[id.index()].body = body;
        }
    }

    // ────────────────────────────── Maps ──────────────────────────────

    fn maps(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::Map(m) = item else { continue };
            // A map that cannot name its tables is skipped whole: every
            // expression in it would otherwise report the same cause.
            let Some(source) =
                self.table_with_role(&m.source, Role::Source, "the table a map reads")
            else {
                self.skip_map(m);
                continue;
            };
            let mut sources = vec![MapSource {
                table: source,
                alias: m.alias.as_ref().unwrap_or(&m.source.table).name.clone(),
                join: None,
                span: m.source.span,
            }];
            let mut ok = true;
            for j in &m.joins {
                match self.table_with_role(&j.table, Role::Source, "a joined table") {
                    Some(t) => {
                        let alias = j.alias.as_ref().unwrap_or(&j.table.table);
                        if let Some(prev) = sources.iter().find(|s| s.alias == alias.name) {
                            let d = Diagnostic::new(codes::DUPLICATE, format!("`{}` names two tables of this map", alias.name))
                                .primary(alias.span, "used again here")
                                .secondary(prev.span, "first used here")
                                .help("give one of the tables an alias: `join system.table AS other_name on …`");
                            self.report(d);
                            ok = false;
                        }
                        sources.push(MapSource {
                            table: t,
                            alias: alias.name.clone(),
                            join: Some(JoinInfo {
                                left: j.left,
                                on: error_expr(j.on.span),
                            }),
                            span: j.table.span,
                        });
                    }
                    None => ok = false,
                }
            }
            let target = self.table_with_role(&m.target, Role::Target, "the table a map writes");
            let (Some(target), true) = (target, ok) else {
                self.skip_map(m);
                continue;
            };
            let scope_all: Vec<(String, TableId)> =
                sources.iter().map(|s| (s.alias.clone(), s.table)).collect();
            for (i, j) in m.joins.iter().enumerate() {
                // A join condition sees the tables joined so far and itself.
                let on = self.condition(
                    &j.on,
                    Scope::Tables(&scope_all[..i + 2]),
                    "a join condition",
                );
                if let Some(info) = sources[i + 1].join.as_mut() {
                    info.on = on;
                }
            }
            let name = match &m.name {
                Some(n) => {
                    if self.define("map", "", n) {
                        self.maps_by_name
                            .insert(n.name.clone(), MapId(self.ir.maps.len() as u32));
                    }
                    n.name.clone()
                }
                None => format!(
                    "{} -> {}",
                    self.ir.table_path(source),
                    self.ir.table_path(target)
                ),
            };
            let mut map = Map {
                name,
                named: m.name.is_some(),
                sources,
                target,
                filter: None,
                group_by: Vec::new(),
                rules: Vec::new(),
                assignments: Vec::new(),
                drops: Vec::new(),
                batch: None,
                incremental: None,
                span: m.span,
            };
            let scope = Scope::Tables(&scope_all);
            for item in &m.items {
                self.map_item(&mut map, item, scope, None);
            }
            self.ir.maps.push(map);
        }
    }

    fn skip_map(&mut self, m: &ast::Map) {
        if let Some(n) = &m.name {
            self.failed_maps.insert(n.name.clone());
        }
    }

    fn map_item(
        &mut self,
        map: &mut Map,
        item: &ast::MapItem,
        scope: Scope<'_>,
        rule: Option<RuleIndex>,
    ) {
        match item {
            ast::MapItem::Where { expr, span } => {
                if map.filter.is_some() {
                    let d = Diagnostic::new(codes::DUPLICATE, "a map has more than one `where`")
                        .primary(*span, "second `where`")
                        .help("combine the conditions with `and` in one `where`");
                    self.report(d);
                }
                map.filter = Some(self.condition(expr, scope, "`where`"));
            }
            ast::MapItem::GroupBy { exprs, .. } => {
                map.group_by = exprs.iter().map(|e| self.expr(e, scope)).collect();
            }
            ast::MapItem::Batch { size, column, span } => {
                if let Some(first) = &map.batch {
                    let d = Diagnostic::new(codes::DUPLICATE, "a map has more than one `batch`")
                        .primary(*span, "second `batch`")
                        .secondary(first.span, "first `batch`")
                        .help("a map is loaded in one kind of chunk; keep one `batch`");
                    self.report(d);
                    return;
                }
                // The keyset is a column of the map table itself.
                if let Some(column) = self.column_in(map.source(), column) {
                    map.batch = Some(Batch {
                        size: *size,
                        column,
                        span: *span,
                    });
                }
            }
            ast::MapItem::Incremental(inc) => {
                if let Some(first) = &map.incremental {
                    let d =
                        Diagnostic::new(codes::DUPLICATE, "a map has more than one `incremental`")
                            .primary(inc.span, "second `incremental`")
                            .secondary(first.span, "first `incremental`")
                            .help("a map syncs by one column; keep one `incremental`");
                    self.report(d);
                    return;
                }
                let deletes = inc.deletes.as_ref().map(|d| match d {
                    ast::Deletes::When(e) => {
                        Deletes::When(self.condition(e, scope, "`deletes when`"))
                    }
                    ast::Deletes::Missing(span) => Deletes::Missing { span: *span },
                });
                if let Some(column) = self.column_in(map.source(), &inc.column) {
                    map.incremental = Some(Incremental {
                        column,
                        skew_seconds: inc
                            .skew
                            .as_ref()
                            .map_or(0, |d| (d.minutes * 60.0).round() as u64),
                        skew_span: inc.skew.as_ref().map(|d| d.span),
                        deletes,
                        span: inc.span,
                    });
                }
            }
            ast::MapItem::Rule(r) => {
                let index = map.rules.len();
                map.rules.push(RuleInfo {
                    id: r.id.name.clone(),
                    title: r.title.value.clone(),
                    header: Span::new(r.span.start, r.title.span.end),
                    span: r.span,
                });
                for i in &r.items {
                    self.map_item(map, i, scope, Some(index));
                }
            }
            ast::MapItem::Assign(a) => {
                let Some(target) = self.column_in(map.target, &a.target) else {
                    return;
                };
                let expr = self.expr(&a.expr, scope);
                let on_failure = a.on_failure.as_ref().map(|f| match f {
                    ast::OnFailure::Reject { reason, span } => OnFailure::Reject {
                        reason: reason.value.clone(),
                        span: *span,
                    },
                    ast::OnFailure::Default { expr: e, span } => OnFailure::Default {
                        expr: self.expr(e, scope),
                        span: *span,
                    },
                });
                map.assignments.push(Assignment {
                    target,
                    key: a.key,
                    expr,
                    on_failure,
                    allow_pii: a.allow_pii.as_ref().map(|s| s.value.clone()),
                    rule,
                    target_span: a.target.span,
                    span: a.span,
                });
            }
            ast::MapItem::Drop(d) => {
                for parts in &d.columns {
                    let span = parts
                        .first()
                        .map_or(d.span, |p| p.span)
                        .to(parts.last().map_or(d.span, |p| p.span));
                    let e = self.path(parts, scope, span);
                    if let ExprKind::Column { source, column } = e.kind {
                        map.drops.push(DroppedColumn {
                            column,
                            source,
                            reason: d.reason.value.clone(),
                            rule,
                            span,
                        });
                    }
                }
            }
        }
    }

    /// A bare column name among several tables; reports unknown and
    /// ambiguous names.
    fn unqualified_column(
        &mut self,
        tables: &[(String, TableId)],
        name: &ast::Ident,
    ) -> Option<(u32, ColumnId)> {
        let hits: Vec<(u32, ColumnId)> = tables
            .iter()
            .enumerate()
            .filter_map(|(i, (_, t))| {
                self.columns[t.index()]
                    .get(&name.name)
                    .map(|c| (i as u32, *c))
            })
            .collect();
        match hits.as_slice() {
            [one] => Some(*one),
            [] => {
                if tables.len() == 1 {
                    self.column_in(tables[0].1, name);
                } else {
                    let all: Vec<&str> = tables
                        .iter()
                        .flat_map(|(_, t)| self.columns[t.index()].keys().map(String::as_str))
                        .collect();
                    let suggestion =
                        did_you_mean(&name.name, all.iter().copied()).map(str::to_owned);
                    let help = format!(
                        "none of {} has it",
                        list_names(tables.iter().map(|(a, _)| a.as_str()))
                    );
                    self.report(unknown(
                        codes::UNKNOWN_COLUMN,
                        "column",
                        &name.name,
                        name.span,
                        suggestion.as_deref(),
                        help,
                    ));
                }
                None
            }
            many => {
                let owners: Vec<String> = many
                    .iter()
                    .map(|(i, _)| format!("`{}`", tables[*i as usize].0))
                    .collect();
                let d = Diagnostic::new(
                    codes::AMBIGUOUS_COLUMN,
                    format!("column `{}` is in more than one joined table", name.name),
                )
                .primary(name.span, format!("could be {}", owners.join(" or ")))
                .help(format!(
                    "qualify it: `{}.{}`",
                    tables[many[0].0 as usize].0, name.name
                ));
                self.report(d);
                None
            }
        }
    }

    // ───────────────────────── Expressions ─────────────────────────

    /// An expression that must be a bool (E0204 otherwise).
    fn condition(&mut self, e: &ast::Expr, scope: Scope<'_>, what: &str) -> Expr {
        let e = self.expr(e, scope);
        if !matches!(e.ty.kind, TypeKind::Bool | TypeKind::Null | TypeKind::Error) {
            let d = Diagnostic::new(
                codes::CONDITION_TYPE,
                format!("{what} must be a bool, but this is {}", e.ty.kind),
            )
            .primary(e.span, format!("this is {}", e.ty))
            .help("compare it with something, for example `x == …`, `x is not null` or `x in (…)`");
            self.report(d);
            return Expr {
                ty: Type::ERROR,
                ..e
            };
        }
        e
    }

    fn expr(&mut self, e: &ast::Expr, scope: Scope<'_>) -> Expr {
        let span = e.span;
        let typed = |kind, ty| Expr { kind, ty, span };
        match &e.kind {
            ast::ExprKind::Literal(l) => {
                let c = match l {
                    ast::Literal::Str(s) => Const::Text(s.clone()),
                    ast::Literal::Integer(i) => Const::Int(*i),
                    ast::Literal::Decimal(d) => Const::Decimal(d.clone()),
                    ast::Literal::Bool(b) => Const::Bool(*b),
                    ast::Literal::Null => Const::Null,
                };
                let ty = const_type(&c);
                typed(ExprKind::Literal(c), ty)
            }
            ast::ExprKind::Path(parts) => self.path(parts, scope, span),
            ast::ExprKind::Call { name, args } => {
                let args: Vec<Expr> = args.iter().map(|a| self.expr(a, scope)).collect();
                self.call(name, args, span)
            }
            ast::ExprKind::Index { lookup, key } => {
                let key = self.expr(key, scope);
                let Some(&id) = self.lookups.get(&lookup.name) else {
                    self.report(unknown_among(
                        codes::UNKNOWN_LOOKUP,
                        "lookup",
                        &lookup.name,
                        lookup.span,
                        self.lookups.keys().map(String::as_str),
                        "the lookups are",
                    ));
                    return error_expr(span);
                };
                let l = self.ir.lookup(id);
                let (key_kind, value_type, name) = (l.key_type.kind, l.value_type, l.name.clone());
                if !key.ty.is_error() && TypeKind::common(key.ty.kind, key_kind).is_none() {
                    let d = Diagnostic::new(
                        codes::ARGUMENT_TYPE,
                        format!(
                            "lookup `{name}` has {key_kind} keys, but the key given is {}",
                            key.ty.kind
                        ),
                    )
                    .primary(key.span, format!("this is {}", key.ty))
                    .help(format!(
                        "convert the key, for example `{name}[cast(x as {key_kind})]`"
                    ));
                    self.report(d);
                    return error_expr(span);
                }
                typed(
                    ExprKind::Lookup {
                        lookup: id,
                        key: Box::new(key),
                    },
                    value_type,
                )
            }
            ast::ExprKind::Ref { table, args } => {
                let args: Vec<Expr> = args.iter().map(|a| self.expr(a, scope)).collect();
                let Some(t) = self.target_table(table, span) else {
                    return error_expr(span);
                };
                let pk = &self.ir.table(t).primary_key;
                let key_kind = match pk.as_slice() {
                    [one] => self.ir.column(*one).ty.kind,
                    _ => TypeKind::Uuid,
                };
                let nullable = args.iter().any(|a| a.ty.nullable);
                typed(
                    ExprKind::Ref { table: t, args },
                    Type::new(key_kind, nullable),
                )
            }
            ast::ExprKind::Cast { expr, ty } => {
                let inner = self.expr(expr, scope);
                let to = self.ty(ty, inner.ty.nullable);
                if !inner.ty.is_error() && !to.is_error() && !inner.ty.kind.can_cast_to(to.kind) {
                    let d = Diagnostic::new(codes::INVALID_CAST, format!("cannot cast {} to {}", inner.ty.kind, to.kind))
                        .primary(span, "no conversion exists")
                        .help("convert through text if the values allow it, or compute the target value another way");
                    self.report(d);
                    return error_expr(span);
                }
                typed(
                    ExprKind::Cast {
                        expr: Box::new(inner),
                        to,
                    },
                    to,
                )
            }
            ast::ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                let subject = subject.as_ref().map(|s| self.expr(s, scope));
                let mut out_whens = Vec::new();
                let mut result = TypeKind::Null;
                let mut nullable = otherwise.is_none();
                let mut failed = subject.as_ref().is_some_and(|s| s.ty.is_error());
                for (w, t) in whens {
                    let w = match &subject {
                        Some(s) => {
                            let w = self.expr(w, scope);
                            failed |= !self.comparable(s, &w, "==");
                            w
                        }
                        None => self.condition(w, scope, "a `when` condition"),
                    };
                    let t = self.expr(t, scope);
                    failed |= w.ty.is_error() || !self.unify_branch(&mut result, &t);
                    nullable |= t.ty.nullable;
                    out_whens.push((w, t));
                }
                let otherwise = otherwise.as_ref().map(|o| {
                    let o = self.expr(o, scope);
                    failed |= !self.unify_branch(&mut result, &o);
                    nullable |= o.ty.nullable;
                    Box::new(o)
                });
                let ty = if failed {
                    Type::ERROR
                } else {
                    Type::new(result, nullable)
                };
                typed(
                    ExprKind::Case {
                        subject: subject.map(Box::new),
                        whens: out_whens,
                        otherwise,
                    },
                    ty,
                )
            }
            ast::ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.condition(cond, scope, "an `if` condition");
                let then = self.expr(then, scope);
                let otherwise = self.expr(otherwise, scope);
                let mut result = TypeKind::Null;
                let ok = !cond.ty.is_error()
                    & self.unify_branch(&mut result, &then)
                    & self.unify_branch(&mut result, &otherwise);
                let ty = if ok {
                    Type::new(result, then.ty.nullable || otherwise.ty.nullable)
                } else {
                    Type::ERROR
                };
                typed(
                    ExprKind::If {
                        cond: Box::new(cond),
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    },
                    ty,
                )
            }
            ast::ExprKind::Unary { op, operand } => {
                let operand = self.expr(operand, scope);
                let t = operand.ty;
                let ok = match op {
                    UnaryOp::Not => matches!(t.kind, TypeKind::Bool | TypeKind::Null),
                    UnaryOp::Neg => t.kind.is_numeric() || t.kind == TypeKind::Null,
                };
                let ty = if t.is_error() {
                    Type::ERROR
                } else if ok {
                    if *op == UnaryOp::Not {
                        Type::new(TypeKind::Bool, t.nullable)
                    } else {
                        t
                    }
                } else {
                    let (sym, need) = if *op == UnaryOp::Not {
                        ("not", "a bool")
                    } else {
                        ("-", "a number")
                    };
                    let d = Diagnostic::new(
                        codes::OPERATOR_TYPE,
                        format!("`{sym}` needs {need}, but this is {}", t.kind),
                    )
                    .primary(operand.span, format!("this is {t}"))
                    .help(format!("`{sym}` applies to {need} only"));
                    self.report(d);
                    Type::ERROR
                };
                typed(
                    ExprKind::Unary {
                        op: *op,
                        operand: Box::new(operand),
                    },
                    ty,
                )
            }
            ast::ExprKind::Binary { op, lhs, rhs } => {
                let lhs = self.expr(lhs, scope);
                let rhs = self.expr(rhs, scope);
                let ty = self.binary(*op, &lhs, &rhs, span);
                typed(
                    ExprKind::Binary {
                        op: *op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    ty,
                )
            }
            ast::ExprKind::IsNull { operand, negated } => {
                let operand = self.expr(operand, scope);
                typed(
                    ExprKind::IsNull {
                        operand: Box::new(operand),
                        negated: *negated,
                    },
                    Type::BOOL,
                )
            }
            ast::ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let operand = self.expr(operand, scope);
                let low = self.expr(low, scope);
                let high = self.expr(high, scope);
                let ok = self.comparable(&operand, &low, "between")
                    && self.comparable(&operand, &high, "between");
                let nullable = operand.ty.nullable || low.ty.nullable || high.ty.nullable;
                let ty = if ok {
                    Type::new(TypeKind::Bool, nullable)
                } else {
                    Type::ERROR
                };
                let kind = ExprKind::Between {
                    operand: Box::new(operand),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated: *negated,
                };
                typed(kind, ty)
            }
            ast::ExprKind::In {
                operand,
                list,
                negated,
            } => {
                let operand = self.expr(operand, scope);
                let list: Vec<Expr> = list.iter().map(|i| self.expr(i, scope)).collect();
                let mut ok = !operand.ty.is_error();
                for item in &list {
                    if ok
                        && !item.ty.is_error()
                        && TypeKind::common(operand.ty.kind, item.ty.kind).is_none()
                    {
                        let d = Diagnostic::new(codes::MIXED_TYPES, format!("`in` compares {} with an item of type {}", operand.ty.kind, item.ty.kind))
                            .primary(item.span, format!("this is {}", item.ty))
                            .secondary(operand.span, format!("this is {}", operand.ty))
                            .help("every item of `in (…)` must have a type comparable with the value tested");
                        self.report(d);
                        ok = false;
                    }
                    ok &= !item.ty.is_error();
                }
                let nullable = operand.ty.nullable || list.iter().any(|i| i.ty.nullable);
                let ty = if ok {
                    Type::new(TypeKind::Bool, nullable)
                } else {
                    Type::ERROR
                };
                typed(
                    ExprKind::In {
                        operand: Box::new(operand),
                        list,
                        negated: *negated,
                    },
                    ty,
                )
            }
        }
    }

    /// Widens `acc` with a branch's type; reports E0206 when they do not mix.
    fn unify_branch(&mut self, acc: &mut TypeKind, branch: &Expr) -> bool {
        if branch.ty.is_error() {
            return false;
        }
        match TypeKind::common(*acc, branch.ty.kind) {
            Some(k) => {
                *acc = k;
                true
            }
            None => {
                let d = Diagnostic::new(
                    codes::MIXED_TYPES,
                    format!(
                        "branches have different types: {acc} and {}",
                        branch.ty.kind
                    ),
                )
                .primary(branch.span, format!("this is {}", branch.ty))
                .help("make every branch the same type, for example with `cast(x as text)`");
                self.report(d);
                false
            }
        }
    }

    /// Whether two operands compare; reports E0203 when they do not.
    fn comparable(&mut self, a: &Expr, b: &Expr, op: &str) -> bool {
        if a.ty.is_error() || b.ty.is_error() {
            return false;
        }
        if TypeKind::common(a.ty.kind, b.ty.kind).is_some() {
            return true;
        }
        let d = Diagnostic::new(
            codes::OPERATOR_TYPE,
            format!("`{op}` compares {} with {}", a.ty.kind, b.ty.kind),
        )
        .primary(b.span, format!("this is {}", b.ty))
        .secondary(a.span, format!("this is {}", a.ty))
        .help("compare values of the same kind; convert one side with `cast(… as …)`");
        self.report(d);
        false
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Type {
        if lhs.ty.is_error() || rhs.ty.is_error() {
            return Type::ERROR;
        }
        let nullable = lhs.ty.nullable || rhs.ty.nullable;
        let (a, b) = (lhs.ty.kind, rhs.ty.kind);
        let is = |k: TypeKind, pred: fn(TypeKind) -> bool| pred(k) || k == TypeKind::Null;
        let result = match op {
            BinaryOp::And | BinaryOp::Or => (is(a, |k| k == TypeKind::Bool)
                && is(b, |k| k == TypeKind::Bool))
            .then_some(TypeKind::Bool),
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                return if self.comparable(lhs, rhs, op.symbol()) {
                    Type::new(TypeKind::Bool, nullable)
                } else {
                    Type::ERROR
                };
            }
            BinaryOp::Like => {
                (is(a, TypeKind::is_text) && is(b, TypeKind::is_text)).then_some(TypeKind::Bool)
            }
            BinaryOp::Concat => (is(a, TypeKind::is_text) && is(b, TypeKind::is_text)).then(|| {
                match (a.max_chars(), b.max_chars()) {
                    (Some(m), Some(n)) => TypeKind::Varchar(m.saturating_add(n)),
                    _ => TypeKind::Text,
                }
            }),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
                if is(a, TypeKind::is_numeric) && is(b, TypeKind::is_numeric) {
                    match TypeKind::common(a, b) {
                        Some(TypeKind::Decimal { .. }) => {
                            Some(types::decimal_arithmetic(op == BinaryOp::Mul, a, b))
                        }
                        other => other,
                    }
                } else {
                    None
                }
            }
            BinaryOp::Div => {
                if is(a, TypeKind::is_numeric) && is(b, TypeKind::is_numeric) {
                    // Division is never integer division (docs/functions.md).
                    Some(match TypeKind::common(a, b) {
                        Some(TypeKind::Float) => TypeKind::Float,
                        Some(TypeKind::Decimal { scale, .. }) => TypeKind::Decimal {
                            precision: types::MAX_DECIMAL_PRECISION as u8,
                            scale: scale.max(6),
                        },
                        _ => TypeKind::Decimal {
                            precision: types::MAX_DECIMAL_PRECISION as u8,
                            scale: 6,
                        },
                    })
                } else {
                    None
                }
            }
            BinaryOp::Rem => (is(a, TypeKind::is_integer) && is(b, TypeKind::is_integer))
                .then(|| TypeKind::common(a, b).unwrap_or(a)),
        };
        match result {
            Some(k) => Type::new(k, nullable),
            None => {
                let need = match op {
                    BinaryOp::And | BinaryOp::Or => "bools",
                    BinaryOp::Like | BinaryOp::Concat => "text",
                    BinaryOp::Rem => "integers",
                    _ => "numbers",
                };
                let help = if op == BinaryOp::Concat {
                    "`++` joins text; convert other values first, for example `cast(x as text)`"
                        .to_owned()
                } else if op == BinaryOp::Add && (a.is_text() || b.is_text()) {
                    "to join text, use `++`".to_owned()
                } else {
                    format!(
                        "`{}` applies to {need}; convert the operands with `cast(… as …)`",
                        op.symbol()
                    )
                };
                let d = Diagnostic::new(
                    codes::OPERATOR_TYPE,
                    format!("`{}` needs {need}, but got {a} and {b}", op.symbol()),
                )
                .primary(span, format!("{} {} {}", lhs.ty, op.symbol(), rhs.ty))
                .help(help);
                self.report(d);
                Type::ERROR
            }
        }
    }

    fn call(&mut self, name: &ast::Ident, args: Vec<Expr>, span: Span) -> Expr {
        let failed = args.iter().any(|a| a.ty.is_error());
        if let Some(&id) = self.fns.get(&name.name) {
            let f = self.ir.func(id);
            let (params, ret, fname) = (f.params.clone(), f.ret, f.name.clone());
            if params.len() != args.len() {
                let d = Diagnostic::new(
                    codes::ARITY,
                    format!(
                        "`{fname}` takes {} arguments, but {} were given",
                        params.len(),
                        args.len()
                    ),
                )
                .primary(span, format!("{} arguments", args.len()))
                .secondary(f.span, "defined here")
                .help(format!(
                    "call it as `{fname}({})`",
                    params
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                self.report(d);
                return error_expr(span);
            }
            let mut nullable = ret.nullable;
            for (p, a) in params.iter().zip(&args) {
                if a.ty.is_error() || p.ty.is_error() {
                    continue;
                }
                if TypeKind::common(p.ty.kind, a.ty.kind).is_none() {
                    let d = Diagnostic::new(
                        codes::ARGUMENT_TYPE,
                        format!(
                            "argument `{}` of `{fname}` must be {}, but this is {}",
                            p.name, p.ty.kind, a.ty.kind
                        ),
                    )
                    .primary(a.span, format!("this is {}", a.ty))
                    .secondary(p.span, "parameter declared here")
                    .help(format!("convert it with `cast(… as {})`", p.ty.kind));
                    self.report(d);
                    return error_expr(span);
                }
                // An fn is strict in its non-`?` parameters: NULL in, NULL out.
                nullable |= a.ty.nullable && !p.ty.nullable;
            }
            let ty = if failed {
                Type::ERROR
            } else {
                ret.with_nullable(nullable)
            };
            return Expr {
                kind: ExprKind::Call {
                    func: Func::User(id),
                    args,
                },
                ty,
                span,
            };
        }
        let Some(b) = Builtin::from_name(&name.name) else {
            if self.lookups.contains_key(&name.name) {
                let d = Diagnostic::new(
                    codes::NOT_A_VALUE,
                    format!("`{}` is a lookup, not a function", name.name),
                )
                .primary(name.span, "a lookup")
                .help(format!(
                    "index a lookup with brackets: `{}[key]`",
                    name.name
                ));
                self.report(d);
                return error_expr(span);
            }
            let candidates: Vec<&str> = Builtin::ALL
                .iter()
                .map(|b| b.name())
                .chain(self.fns.keys().map(String::as_str))
                .collect();
            let suggestion =
                did_you_mean(&name.name, candidates.iter().copied()).map(str::to_owned);
            let help = format!(
                "the built-in functions are {}; or declare it with `fn`",
                Builtin::ALL
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.report(unknown(
                codes::UNKNOWN_FUNCTION,
                "function",
                &name.name,
                name.span,
                suggestion.as_deref(),
                help,
            ));
            return error_expr(span);
        };
        if failed {
            return Expr {
                kind: ExprKind::Call {
                    func: Func::Builtin(b),
                    args,
                },
                ty: Type::ERROR,
                span,
            };
        }
        let typing_args: Vec<Arg> = args
            .iter()
            .map(|a| Arg {
                ty: a.ty,
                int_literal: match &a.kind {
                    ExprKind::Literal(Const::Int(i)) => Some(*i),
                    _ => None,
                },
            })
            .collect();
        match builtins::type_call(b, &typing_args) {
            Ok(ty) => Expr {
                kind: ExprKind::Call {
                    func: Func::Builtin(b),
                    args,
                },
                ty,
                span,
            },
            Err(CallError::Arity { expected }) => {
                let d = Diagnostic::new(
                    codes::ARITY,
                    format!(
                        "`{}` takes {expected}, but {} were given",
                        b.name(),
                        args.len()
                    ),
                )
                .primary(span, format!("{} arguments", args.len()))
                .help(format!("the signature is `{}`", b.signature()));
                self.report(d);
                error_expr(span)
            }
            Err(CallError::Argument { index, expected }) => {
                let a = &args[index.min(args.len().saturating_sub(1))];
                let d = Diagnostic::new(
                    codes::ARGUMENT_TYPE,
                    format!(
                        "argument {} of `{}` must be {expected}, but this is {}",
                        index + 1,
                        b.name(),
                        a.ty.kind
                    ),
                )
                .primary(a.span, format!("this is {}", a.ty))
                .help(format!(
                    "the signature is `{}`; convert with `cast(… as …)` if the values allow it",
                    b.signature()
                ));
                self.report(d);
                error_expr(span)
            }
            Err(CallError::Mixed { index }) => {
                let a = &args[index.min(args.len().saturating_sub(1))];
                let d = Diagnostic::new(codes::MIXED_TYPES, format!("the arguments of `{}` have different types", b.name()))
                    .primary(a.span, format!("this is {}", a.ty))
                    .secondary(args[0].span, format!("this is {}", args[0].ty))
                    .help("give every argument the same type, converting with `cast(… as …)` where needed");
                self.report(d);
                error_expr(span)
            }
        }
    }

    fn path(&mut self, parts: &[ast::Ident], scope: Scope<'_>, span: Span) -> Expr {
        let col = |this: &Self, source: u32, column: ColumnId| Expr {
            kind: ExprKind::Column { source, column },
            ty: this.ir.column(column).ty,
            span,
        };
        match (scope, parts) {
            (Scope::Params(params), [name]) => {
                match params.iter().position(|p| p.name == name.name) {
                    Some(i) => Expr {
                        kind: ExprKind::Param(i as u32),
                        ty: params[i].ty,
                        span,
                    },
                    None => {
                        self.report(unknown_among(
                            codes::UNKNOWN_COLUMN,
                            "parameter",
                            &name.name,
                            name.span,
                            params.iter().map(|p| p.name.as_str()),
                            "an `fn` body sees only its parameters:",
                        ));
                        error_expr(span)
                    }
                }
            }
            (Scope::Tables(tables), [name]) => {
                if !tables
                    .iter()
                    .any(|(_, t)| self.columns[t.index()].contains_key(&name.name))
                {
                    if let Some(kind) = self.non_value_kind(&name.name) {
                        let d = Diagnostic::new(
                            codes::NOT_A_VALUE,
                            format!("`{}` is {kind}, not a column", name.name),
                        )
                        .primary(name.span, kind)
                        .help(if kind == "a lookup" {
                            format!("index it with a key: `{}[column]`", name.name)
                        } else {
                            format!("call it with arguments: `{}(…)`", name.name)
                        });
                        self.report(d);
                        return error_expr(span);
                    }
                }
                match self.unqualified_column(tables, name) {
                    Some((source, column)) => col(self, source, column),
                    None => error_expr(span),
                }
            }
            (Scope::Tables(tables), [qualifier, name]) => {
                let Some(source) = tables.iter().position(|(alias, t)| {
                    *alias == qualifier.name || self.ir.table(*t).name == qualifier.name
                }) else {
                    self.report(unknown_among(
                        codes::UNKNOWN_TABLE,
                        "table or alias",
                        &qualifier.name,
                        qualifier.span,
                        tables.iter().map(|(a, _)| a.as_str()),
                        "the tables here are",
                    ));
                    return error_expr(span);
                };
                match self.column_in(tables[source].1, name) {
                    Some(c) => col(self, source as u32, c),
                    None => error_expr(span),
                }
            }
            (Scope::Tables(tables), [system, table, name]) => {
                let r = ast::TableRef {
                    system: system.clone(),
                    table: table.clone(),
                    span: system.span.to(table.span),
                };
                let Some(t) = self.find_table(&r) else {
                    return error_expr(span);
                };
                let Some(source) = tables.iter().position(|(_, id)| *id == t) else {
                    let d = Diagnostic::new(
                        codes::UNKNOWN_TABLE,
                        format!("`{}.{}` is not read here", system.name, table.name),
                    )
                    .primary(r.span, "not one of the tables in scope")
                    .help(format!(
                        "the tables here are {}; join the table to read its columns",
                        list_names(tables.iter().map(|(a, _)| a.as_str()))
                    ));
                    self.report(d);
                    return error_expr(span);
                };
                match self.column_in(t, name) {
                    Some(c) => col(self, source as u32, c),
                    None => error_expr(span),
                }
            }
            (Scope::Constants, _) => {
                let d = Diagnostic::new(codes::NOT_A_VALUE, "a column default must be a constant")
                    .primary(span, "refers to a name")
                    .help("write a literal, such as `default \"en\"` or `default false`");
                self.report(d);
                error_expr(span)
            }
            (_, parts) => {
                let last = parts.last().map_or(span, |p| p.span);
                let d = Diagnostic::new(
                    codes::UNKNOWN_COLUMN,
                    "a column is written `column`, `table.column` or `system.table.column`",
                )
                .primary(last, "too many parts")
                .help("remove the extra qualifiers");
                self.report(d);
                error_expr(span)
            }
        }
    }

    fn non_value_kind(&self, name: &str) -> Option<&'static str> {
        if self.lookups.contains_key(name) {
            Some("a lookup")
        } else if self.fns.contains_key(name) || Builtin::from_name(name).is_some() {
            Some("a function")
        } else {
            None
        }
    }

    /// The table of `ref T(…)`: `T` or `system.T`, a target table.
    fn target_table(&mut self, path: &[ast::Ident], span: Span) -> Option<TableId> {
        match path {
            [name] => {
                let hits: Vec<TableId> = self
                    .ir
                    .tables
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| {
                        t.name == name.name && self.ir.system(t.system).role == Role::Target
                    })
                    .map(|(i, _)| TableId(i as u32))
                    .collect();
                match hits.as_slice() {
                    [one] => Some(*one),
                    [] => {
                        let names: Vec<&str> = self
                            .ir
                            .tables
                            .iter()
                            .filter(|t| self.ir.system(t.system).role == Role::Target)
                            .map(|t| t.name.as_str())
                            .collect();
                        self.report(unknown_among(
                            codes::UNKNOWN_TABLE,
                            "target table",
                            &name.name,
                            name.span,
                            names.iter().copied(),
                            "`ref` names a target table:",
                        ));
                        None
                    }
                    _ => {
                        let d = Diagnostic::new(
                            codes::AMBIGUOUS_COLUMN,
                            format!("several target systems have a table `{}`", name.name),
                        )
                        .primary(name.span, "ambiguous")
                        .help(format!("qualify it: `ref system.{}(…)`", name.name));
                        self.report(d);
                        None
                    }
                }
            }
            [system, table] => {
                let r = ast::TableRef {
                    system: system.clone(),
                    table: table.clone(),
                    span,
                };
                self.table_with_role(&r, Role::Target, "the table of `ref`")
            }
            _ => {
                let d = Diagnostic::new(
                    codes::UNKNOWN_TABLE,
                    "`ref` takes a table, written `table` or `system.table`",
                )
                .primary(span, "too many parts")
                .help("write `ref table(key inputs…)`");
                self.report(d);
                None
            }
        }
    }

    // ────────────────────────── Examples ──────────────────────────

    fn map_ref(&mut self, r: &ast::MapRef) -> Option<MapId> {
        match r {
            ast::MapRef::Name(n) => {
                if let Some(&m) = self.maps_by_name.get(&n.name) {
                    return Some(m);
                }
                if self.failed_maps.contains(&n.name) {
                    return None;
                }
                self.report(unknown_among(
                    codes::UNKNOWN_MAP,
                    "map",
                    &n.name,
                    n.span,
                    self.maps_by_name.keys().map(String::as_str),
                    "the named maps are",
                ));
                None
            }
            ast::MapRef::Tables {
                source,
                target,
                span,
            } => {
                let s = self.find_table(source);
                let t = self.find_table(target);
                let (s, t) = (s?, t?);
                let hits: Vec<MapId> = self
                    .ir
                    .maps
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.source() == s && m.target == t)
                    .map(|(i, _)| MapId(i as u32))
                    .collect();
                match hits.as_slice() {
                    [one] => Some(*one),
                    [] => {
                        let d = Diagnostic::new(codes::UNKNOWN_MAP, format!("no map reads `{}` and writes `{}`", self.ir.table_path(s), self.ir.table_path(t)))
                            .primary(*span, "no such map")
                            .help("check the tables, or write the map `map source.table -> target.table { … }`");
                        self.report(d);
                        None
                    }
                    _ => {
                        let d = Diagnostic::new(codes::UNKNOWN_MAP, format!("{} maps read `{}` and write `{}`", hits.len(), self.ir.table_path(s), self.ir.table_path(t)))
                            .primary(*span, "ambiguous")
                            .help("name the maps (`map name: source.table -> target.table`) and refer to one by name");
                        self.report(d);
                        None
                    }
                }
            }
        }
    }

    fn examples(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::Example(e) = item else {
                continue;
            };
            let Some(map_id) = self.map_ref(&e.map) else {
                continue;
            };
            let sources: Vec<(String, TableId)> = self
                .ir
                .map(map_id)
                .sources
                .iter()
                .map(|s| (s.alias.clone(), s.table))
                .collect();
            let target = self.ir.map(map_id).target;
            let mut given: Vec<(u32, Vec<Row>)> = Vec::new();
            let mut expect = Expectation::Nothing;
            let mut expect_span: Option<Span> = None;
            for i in &e.items {
                match i {
                    ast::ExampleItem::Given { table, rows, span } => {
                        let source = match table.as_slice() {
                            [] => Some(0),
                            [name] => sources.iter().position(|(a, t)| {
                                *a == name.name || self.ir.table(*t).name == name.name
                            }),
                            [system, tname] => sources.iter().position(|(_, t)| {
                                let tt = self.ir.table(*t);
                                tt.name == tname.name
                                    && self.ir.system(tt.system).name == system.name
                            }),
                            _ => None,
                        };
                        let Some(source) = source else {
                            let written: Vec<&str> =
                                table.iter().map(|i| i.name.as_str()).collect();
                            let d = Diagnostic::new(
                                codes::UNKNOWN_TABLE,
                                format!("`{}` is not a table this map reads", written.join(".")),
                            )
                            .primary(*span, "not a source of the map")
                            .help(format!(
                                "the map reads {}",
                                list_names(sources.iter().map(|(a, _)| a.as_str()))
                            ));
                            self.report(d);
                            continue;
                        };
                        let rows = self.rows(sources[source].1, rows);
                        given.push((source as u32, rows));
                    }
                    ast::ExampleItem::Expect { rows, span } => {
                        if self.second_expect(&mut expect_span, *span) {
                            continue;
                        }
                        expect = Expectation::Rows(self.rows(target, rows));
                    }
                    ast::ExampleItem::ExpectReject { rule, reason, span } => {
                        if self.second_expect(&mut expect_span, *span) {
                            continue;
                        }
                        expect = Expectation::Reject {
                            rule: rule.as_ref().map(|r| r.name.clone()),
                            reason: reason.value.clone(),
                            span: *span,
                        };
                    }
                }
            }
            self.ir.examples.push(Example {
                name: e.name.value.clone(),
                map: map_id,
                given,
                expect,
                span: e.span,
            });
        }
    }

    fn second_expect(&mut self, first: &mut Option<Span>, span: Span) -> bool {
        if let Some(f) = first {
            let d = Diagnostic::new(codes::DUPLICATE, "an example has more than one `expect`")
                .primary(span, "second `expect`")
                .secondary(*f, "first `expect`")
                .help(
                    "list several expected rows in one `expect [ {…}, {…} ]`, or split the example",
                );
            self.report(d);
            return true;
        }
        *first = Some(span);
        false
    }

    fn rows(&mut self, table: TableId, rows: &[ast::Row]) -> Vec<Row> {
        rows.iter()
            .map(|r| Row {
                values: r
                    .fields
                    .iter()
                    .filter_map(|(name, v)| {
                        self.column_in(table, name)
                            .map(|c| (c, value_const(v), v.span))
                    })
                    .collect(),
                span: r.span,
            })
            .collect()
    }

    // ─────────────────────────── Gates ───────────────────────────

    fn column_set(&mut self, s: &ast::ColumnSet) -> Option<(TableId, Vec<ColumnId>)> {
        let t = self.find_table(&s.table)?;
        let cols: Vec<ColumnId> = s
            .columns
            .iter()
            .filter_map(|c| self.column_in(t, c))
            .collect();
        (cols.len() == s.columns.len()).then_some((t, cols))
    }

    fn metrics(&mut self, sum: &ast::MetricSum) -> Option<Vec<(bool, Metric)>> {
        let mut out = Vec::new();
        for (plus, m) in &sum.terms {
            let metric = match m {
                ast::Metric::Count { table, filter, .. } => {
                    let t = self.find_table(table)?;
                    let scope = [(table.table.name.clone(), t)];
                    let filter = filter
                        .as_ref()
                        .map(|f| self.condition(f, Scope::Tables(&scope), "a count filter"));
                    Metric::Count { table: t, filter }
                }
                ast::Metric::Rejected { table, .. } => Metric::Rejected {
                    table: self.table_with_role(table, Role::Source, "`rejected`")?,
                },
                ast::Metric::Constant { value, .. } => Metric::Constant(*value),
            };
            out.push((*plus, metric));
        }
        Some(out)
    }

    fn gates(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::Gate(g) = item else { continue };
            let mut checks = Vec::new();
            for c in &g.checks {
                let kind = match &c.kind {
                    ast::CheckKind::Unique(s) => self
                        .column_set(s)
                        .map(|(table, columns)| CheckKind::Unique { table, columns }),
                    ast::CheckKind::NotNull(s) => self
                        .column_set(s)
                        .map(|(table, columns)| CheckKind::NotNull { table, columns }),
                    ast::CheckKind::Fk { column, to } => {
                        let from = self.column_set(column);
                        let to = to.as_ref().map(|t| self.column_set(t));
                        match (from, to) {
                            (Some((table, columns)), None) => Some(CheckKind::Fk {
                                table,
                                columns,
                                to: None,
                            }),
                            (Some((table, columns)), Some(Some(to))) => Some(CheckKind::Fk {
                                table,
                                columns,
                                to: Some(to),
                            }),
                            _ => None,
                        }
                    }
                    ast::CheckKind::Checksum {
                        source,
                        target,
                        columns,
                    } => {
                        let s = self.find_table(source);
                        let t = self.find_table(target);
                        match (s, t) {
                            (Some(s), Some(t)) => {
                                let cols: Vec<ColumnId> = columns
                                    .iter()
                                    .filter_map(|c| self.column_in(t, c))
                                    .collect();
                                (cols.len() == columns.len()).then_some(CheckKind::Checksum {
                                    source: s,
                                    target: t,
                                    columns: cols,
                                })
                            }
                            _ => None,
                        }
                    }
                    ast::CheckKind::Sample { rows, map } => match map {
                        Some(m) => self.map_ref(m).map(|m| CheckKind::Sample {
                            rows: *rows,
                            map: Some(m),
                        }),
                        None => Some(CheckKind::Sample {
                            rows: *rows,
                            map: None,
                        }),
                    },
                    ast::CheckKind::Reconcile { map, show } => {
                        self.map_ref(map).map(|m| CheckKind::Reconcile {
                            map: m,
                            show: show.unwrap_or(20),
                        })
                    }
                    ast::CheckKind::AssertRows { table, predicate } => {
                        self.find_table(table).map(|t| {
                            let scope = [(table.table.name.clone(), t)];
                            let predicate = self.condition(
                                predicate,
                                Scope::Tables(&scope),
                                "an `assert` predicate",
                            );
                            CheckKind::AssertRows {
                                table: t,
                                predicate,
                            }
                        })
                    }
                    ast::CheckKind::AssertMetric(m) | ast::CheckKind::Count(m) => {
                        let l = self.metrics(&m.left);
                        let r = self.metrics(&m.right);
                        match (l, r) {
                            (Some(left), Some(right)) => Some(CheckKind::Metric(MetricCompare {
                                left,
                                op: m.op,
                                right,
                            })),
                            _ => None,
                        }
                    }
                };
                let Some(kind) = kind else { continue };
                let tolerance = c.tolerance.as_ref().map(|t| match t {
                    ast::Tolerance::Percent(p) => Tolerance::Percent(p.value),
                    ast::Tolerance::Rows { count, .. } => Tolerance::Rows(*count),
                });
                checks.push(Check {
                    kind,
                    warn: c.warn.is_some_and(|(w, _)| w),
                    tolerance,
                    span: c.span,
                });
            }
            // Duplicate gates were reported in `declare`; keep the first.
            if self
                .gates
                .get(&g.name.name)
                .is_some_and(|id| id.index() == self.ir.gates.len())
            {
                self.ir.gates.push(Gate {
                    name: g.name.name.clone(),
                    timing: g.timing,
                    checks,
                    span: g.span,
                });
            }
        }
    }

    fn gate_ref(&mut self, name: &ast::Ident) -> Option<GateId> {
        if let Some(&g) = self.gates.get(&name.name) {
            return Some(g);
        }
        self.report(unknown_among(
            codes::UNKNOWN_GATE,
            "gate",
            &name.name,
            name.span,
            self.gates.keys().map(String::as_str),
            "the gates are",
        ));
        None
    }

    fn rollback(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::Rollback(r) = item else {
                continue;
            };
            if let Some(first) = &self.ir.rollback {
                let d = Diagnostic::new(
                    codes::DUPLICATE,
                    "the spec has more than one `rollback` section",
                )
                .primary(r.span, "second section")
                .secondary(first.span, "first section")
                .help("merge the triggers into one `rollback { … }`");
                self.report(d);
                continue;
            }
            let mut rollback = Rollback {
                triggers: Vec::new(),
                strategy: None,
                span: r.span,
            };
            let mut strategy_span: Option<Span> = None;
            for i in &r.items {
                match i {
                    ast::RollbackItem::GateFails { gate, span } => {
                        if let Some(g) = self.gate_ref(gate) {
                            rollback.triggers.push(Trigger::GateFails {
                                gate: g,
                                span: *span,
                            });
                        }
                    }
                    ast::RollbackItem::Metric {
                        left,
                        op,
                        right,
                        span,
                    } => {
                        let Some(left) = self.metrics(left) else {
                            continue;
                        };
                        let right = match right {
                            ast::Threshold::Percent(p) => Threshold::Percent(p.value),
                            ast::Threshold::Metric(m) => match self.metrics(m) {
                                Some(m) => Threshold::Metric(m),
                                None => continue,
                            },
                        };
                        rollback.triggers.push(Trigger::Metric {
                            left,
                            op: *op,
                            right,
                            span: *span,
                        });
                    }
                    ast::RollbackItem::Strategy(s) => {
                        if let Some(first) = strategy_span {
                            let d = Diagnostic::new(
                                codes::DUPLICATE,
                                "`strategy` is given more than once",
                            )
                            .primary(s.span, "second strategy")
                            .secondary(first, "first strategy")
                            .help("a rollback has one strategy; keep one");
                            self.report(d);
                            continue;
                        }
                        strategy_span = Some(s.span);
                        rollback.strategy = match s.name.as_str() {
                            "truncate" => Some(RollbackStrategy::Truncate),
                            "delete_batch" => Some(RollbackStrategy::DeleteBatch),
                            "restore_snapshot" => Some(RollbackStrategy::RestoreSnapshot),
                            other => {
                                let suggestion = did_you_mean(other, RollbackStrategy::NAMES);
                                let help = "the strategies are `truncate`, `delete_batch` and `restore_snapshot`".to_owned();
                                self.report(unknown(
                                    codes::UNKNOWN_ROLLBACK_STRATEGY,
                                    "rollback strategy",
                                    other,
                                    s.span,
                                    suggestion,
                                    help,
                                ));
                                None
                            }
                        };
                    }
                }
            }
            self.ir.rollback = Some(rollback);
        }
    }

    fn phases(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::Phase(p) = item else { continue };
            let mut after = Vec::new();
            for a in &p.after {
                match self.phases.get(&a.name) {
                    Some(&id) => after.push(id),
                    None => {
                        self.report(unknown_among(
                            codes::UNKNOWN_PHASE,
                            "phase",
                            &a.name,
                            a.span,
                            self.phases.keys().map(String::as_str),
                            "the phases are",
                        ));
                    }
                }
            }
            let mut steps = Vec::new();
            for s in &p.steps {
                match s {
                    ast::Step::Load { map: None, .. } => steps.push(Step::Load(None)),
                    ast::Step::Load { map: Some(m), .. } => {
                        if let Some(id) = self.map_ref(m) {
                            steps.push(Step::Load(Some(id)));
                        }
                    }
                    ast::Step::Gate(g) => {
                        if let Some(id) = self.gate_ref(g) {
                            steps.push(Step::Gate(id));
                        }
                    }
                    ast::Step::Rollback(_) => steps.push(Step::Rollback),
                    ast::Step::Manual(s) => steps.push(Step::Manual(s.value.clone())),
                }
            }
            if self
                .phases
                .get(&p.name.name)
                .is_some_and(|id| id.index() == self.ir.phases.len())
            {
                self.ir.phases.push(Phase {
                    name: p.name.name.clone(),
                    title: p.title.value.clone(),
                    minutes: p.duration.minutes,
                    after,
                    owner: p.owner.as_ref().map(|o| o.value.clone()),
                    steps,
                    span: p.span,
                });
            }
        }
    }

    fn dropped_tables(&mut self, ast: &ast::Ast) {
        for item in &ast.items {
            let ast::Item::DropTable(d) = item else {
                continue;
            };
            for t in &d.tables {
                if let Some(table) = self.table_with_role(t, Role::Source, "a dropped table") {
                    self.ir.dropped_tables.push(DroppedTable {
                        table,
                        reason: d.reason.value.clone(),
                        span: t.span,
                    });
                }
            }
        }
    }

    /// `fn`s are inlined into SQL, so a call cycle cannot compile (E0118).
    fn fn_recursion(&mut self) {
        let n = self.ir.fns.len();
        let calls: Vec<Vec<(FnId, Span)>> = self
            .ir
            .fns
            .iter()
            .map(|f| {
                let mut out = Vec::new();
                collect_calls(&f.body, &mut out);
                out
            })
            .collect();
        // 0 = unvisited, 1 = on the current path, 2 = done.
        let mut state = vec![0u8; n];
        let mut reported = vec![false; n];
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            // Iterative DFS: (fn, next call index).
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (f, ref mut next)) = stack.last_mut() {
                if let Some(&(callee, span)) = calls[f].get(*next) {
                    *next += 1;
                    let c = callee.index();
                    match state[c] {
                        0 => {
                            state[c] = 1;
                            stack.push((c, 0));
                        }
                        1 if !reported[c] => {
                            reported[c] = true;
                            let from = stack.iter().position(|(g, _)| *g == c).unwrap_or(0);
                            let mut cycle: Vec<&str> = stack[from..]
                                .iter()
                                .map(|(g, _)| self.ir.fns[*g].name.as_str())
                                .collect();
                            cycle.push(self.ir.fns[c].name.as_str());
                            let d = Diagnostic::new(codes::RECURSIVE_FN, format!("`{}` calls itself: {}", self.ir.fns[c].name, cycle.join(" → ")))
                                .primary(span, "this call closes the cycle")
                                .secondary(self.ir.fns[c].span, "defined here")
                                .help("`fn`s are inlined into SQL and Python, so they cannot recurse; write the logic without the cycle");
                            self.diags.push(d);
                        }
                        _ => {}
                    }
                } else {
                    state[f] = 2;
                    stack.pop();
                }
            }
        }
    }
}

fn collect_calls(e: &Expr, out: &mut Vec<(FnId, Span)>) {
    if let ExprKind::Call {
        func: Func::User(id),
        ..
    } = &e.kind
    {
        out.push((*id, e.span));
    }
    for_each_child(e, &mut |c| collect_calls(c, out));
}

/// Calls `f` on each direct sub-expression.
pub fn for_each_child(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    for c in e.children() {
        f(c);
    }
}

fn value_const(v: &ast::Value) -> Const {
    match &v.kind {
        ast::ValueKind::Str(s) => Const::Text(s.clone()),
        ast::ValueKind::Number(n) => match n.parse::<i64>() {
            Ok(i) => Const::Int(i),
            Err(_) => Const::Decimal(n.clone()),
        },
        ast::ValueKind::Bool(b) => Const::Bool(*b),
        ast::ValueKind::Null => Const::Null,
    }
}

fn show_const(c: &Const) -> String {
    match c {
        Const::Text(s) => format!("{s:?}"),
        Const::Int(i) => i.to_string(),
        Const::Decimal(d) => d.clone(),
        Const::Bool(b) => b.to_string(),
        Const::Null => "null".to_owned(),
    }
}

/// The type of a constant: text literals are `varchar(length)` so that
/// narrowing checks can see how long they are.
fn const_type(c: &Const) -> Type {
    match c {
        Const::Text(s) => Type::not_null(TypeKind::Varchar((s.chars().count() as u32).max(1))),
        Const::Int(i) => Type::not_null(if i32::try_from(*i).is_ok() {
            TypeKind::Int
        } else {
            TypeKind::BigInt
        }),
        Const::Decimal(d) => {
            let digits = d.trim_start_matches('-');
            let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
            let int = int.trim_start_matches('0');
            let precision = (int.len() + frac.len()).max(1);
            if precision as u32 > types::MAX_DECIMAL_PRECISION {
                Type::not_null(TypeKind::Float)
            } else {
                Type::not_null(TypeKind::Decimal {
                    precision: precision as u8,
                    scale: frac.len() as u8,
                })
            }
        }
        Const::Bool(_) => Type::BOOL,
        Const::Null => Type::NULL,
    }
}
