//! Typed IR expressions as Python expressions over `cutover_runtime` (`rt`).
//!
//! A failure is a raised `rt.Fail` whose message is the evaluator's, so it
//! propagates as `?` does in the evaluator; the map function turns it into
//! a rejection. Evaluation order and short-circuits follow
//! `cutover_eval::Engine::eval` exactly: `and`/`or`/`coalesce` skip what
//! the evaluator skips, `case` evaluates conditions in order. Constants are
//! folded by the evaluator and named once at module level.

use cutover_eval::{walk, Engine, Value};
use cutover_ir::{
    BinaryOp, Builtin, ColumnId, Const, Expr, ExprKind, Func, Ir, TableId, TypeKind, UnaryOp,
};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;

/// A construct the Python backend cannot generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// How column references read: `row["col"]` for the first source,
/// `row["alias.col"]` for joined ones; in a group, through `group[0]`.
#[derive(Clone, Copy)]
pub enum Rows<'a> {
    /// One joined row, a dict named `row`.
    Row(&'a [String]),
    /// A group of joined rows, a list named `group`.
    Group(&'a [String]),
    /// Inside a `fn` body: parameters are `p0`, `p1`, …
    Params,
    /// Inside a key function: these columns are its parameters `k0`, `k1`, …
    Bound(&'a [ColumnId]),
}

/// Compiles expressions of one module; collects its constants.
pub struct Py<'a> {
    ir: &'a Ir,
    engine: Engine<'a>,
    /// Module-level constants: (name, Python expression).
    pub constants: RefCell<Vec<(String, String)>>,
    temps: Cell<usize>,
    /// Tables whose key function (for `ref`) the module must define.
    pub keys_used: RefCell<Vec<TableId>>,
}

/// A Python string literal (double quotes, escapes for control and
/// non-printing characters only, so non-ASCII text stays readable).
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A type as the runtime spells it.
pub fn ty(kind: TypeKind) -> String {
    string(&kind.to_string())
}

impl<'a> Py<'a> {
    pub fn new(ir: &'a Ir) -> Py<'a> {
        // Folding never reads the clock.
        let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        Py {
            ir,
            engine: Engine::new(ir, epoch),
            constants: RefCell::new(Vec::new()),
            temps: Cell::new(0),
            keys_used: RefCell::new(Vec::new()),
        }
    }

    fn temp(&self) -> String {
        let n = self.temps.get();
        self.temps.set(n + 1);
        format!("_t{n}")
    }

    /// Starts a new function: temporaries are local to it.
    pub fn reset_temps(&self) {
        self.temps.set(0);
    }

    /// A module constant holding `value` of type `kind`.
    pub fn constant(&self, value: &Value, kind: TypeKind) -> String {
        let Some(text) = value.to_text() else {
            return "None".into();
        };
        match (value, kind) {
            (Value::Bool(b), _) => return if *b { "True".into() } else { "False".into() },
            (Value::Int(i), k) if k.is_integer() => return i.to_string(),
            (Value::Text(_), k) if k.is_text() => return string(&text),
            _ => {}
        }
        let expr = format!("rt.cast({}, {})", string(&text), ty(kind));
        let mut constants = self.constants.borrow_mut();
        if let Some((name, _)) = constants.iter().find(|(_, e)| *e == expr) {
            return name.clone();
        }
        let name = format!("_C{}", constants.len());
        constants.push((name.clone(), expr));
        name
    }

    /// The Python expression of `e`.
    pub fn expr(&self, e: &Expr, rows: Rows<'_>) -> Result<String, Unsupported> {
        if is_constant(e) {
            return Ok(match self.engine.eval_constant(e) {
                Ok(v) => self.constant(&v, e.ty.kind),
                // A constant that always fails fails where it is used.
                Err(f) => format!("rt.fail({})", string(&f.0)),
            });
        }
        let ir = self.ir;
        Ok(match &e.kind {
            ExprKind::Literal(c) => self.literal(c, e.ty.kind),
            ExprKind::Column { source, column } => self.column(*source, *column, rows),
            ExprKind::Param(i) => format!("p{i}"),
            ExprKind::Call { func, args } => self.call(*func, args, e.ty.kind, rows)?,
            ExprKind::Lookup { lookup, key } => {
                let l = &ir.lookups[lookup.0 as usize];
                let k = self.expr(key, rows)?;
                match &l.otherwise {
                    Some(c) => format!(
                        "_lookup({}, {k}, {}, {})",
                        lookup_name(&l.name),
                        string(&l.name),
                        self.literal(c, l.value_type.kind)
                    ),
                    None => format!(
                        "_lookup({}, {k}, {})",
                        lookup_name(&l.name),
                        string(&l.name)
                    ),
                }
            }
            ExprKind::Ref { table, args } => {
                let mut used = self.keys_used.borrow_mut();
                if !used.contains(table) {
                    used.push(*table);
                }
                drop(used);
                let mut temps = Vec::new();
                let mut inner = String::new();
                for a in args {
                    let t = self.temp();
                    inner.push_str(&format!(
                        "None if ({t} := {}) is None else ",
                        self.expr(a, rows)?
                    ));
                    temps.push(t);
                }
                format!(
                    "({inner}{}({}))",
                    key_function(ir, *table),
                    temps.join(", ")
                )
            }
            ExprKind::Cast { expr, to } => {
                format!("rt.cast({}, {})", self.expr(expr, rows)?, ty(to.kind))
            }
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                // A subject is evaluated once, first: it is the parameter
                // of a lambda applied to it.
                let subject = match subject {
                    Some(s) => Some((self.temp(), self.expr(s, rows)?)),
                    None => None,
                };
                let mut out = String::new();
                if let Some((t, _)) = &subject {
                    out.push_str(&format!("(lambda {t}: "));
                }
                for (w, then) in whens {
                    let cond = match &subject {
                        Some((t, _)) => {
                            format!("rt.compare(\"==\", {t}, {}) is True", self.expr(w, rows)?)
                        }
                        None => format!("({}) is True", self.expr(w, rows)?),
                    };
                    out.push_str(&format!(
                        "({} if {cond} else ",
                        self.typed(then, e.ty.kind, rows)?
                    ));
                }
                match otherwise {
                    Some(o) => out.push_str(&self.typed(o, e.ty.kind, rows)?),
                    None => out.push_str("None"),
                }
                out.push_str(&")".repeat(whens.len()));
                if let Some((_, s)) = &subject {
                    out.push_str(&format!(")({s})"));
                }
                out
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => format!(
                "({} if ({}) is True else {})",
                self.typed(then, e.ty.kind, rows)?,
                self.expr(cond, rows)?,
                self.typed(otherwise, e.ty.kind, rows)?
            ),
            ExprKind::Unary { op, operand } => {
                let v = self.expr(operand, rows)?;
                match op {
                    UnaryOp::Not => {
                        let t = self.temp();
                        format!("(None if ({t} := {v}) is None else not {t})")
                    }
                    UnaryOp::Neg => format!("rt.negate({v}, {})", ty(e.ty.kind)),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.ty.kind, rows)?,
            ExprKind::IsNull { operand, negated } => format!(
                "({} is {}None)",
                self.expr(operand, rows)?,
                if *negated { "not " } else { "" }
            ),
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let v = self.temp();
                let b = format!(
                    "_and3(rt.compare(\">=\", ({v} := {}), {}), rt.compare(\"<=\", {v}, {}))",
                    self.expr(operand, rows)?,
                    self.expr(low, rows)?,
                    self.expr(high, rows)?
                );
                if *negated {
                    format!("_not3({b})")
                } else {
                    b
                }
            }
            ExprKind::In {
                operand,
                list,
                negated,
            } => {
                let items: Vec<String> = list
                    .iter()
                    .map(|i| self.expr(i, rows).map(|x| format!("lambda: {x}")))
                    .collect::<Result<_, _>>()?;
                let b = format!(
                    "_in3({}, ({},))",
                    self.expr(operand, rows)?,
                    items.join(", ")
                );
                if *negated {
                    format!("_not3({b})")
                } else {
                    b
                }
            }
            ExprKind::Error => {
                return Err(Unsupported("an expression that did not compile".into()))
            }
        })
    }

    /// A `case`/`if` branch in the type of the whole expression.
    fn typed(&self, e: &Expr, kind: TypeKind, rows: Rows<'_>) -> Result<String, Unsupported> {
        let v = self.expr(e, rows)?;
        Ok(if e.ty.kind == kind || kind.is_text() {
            v
        } else {
            format!("rt.cast({v}, {})", ty(kind))
        })
    }

    fn literal(&self, c: &Const, kind: TypeKind) -> String {
        match cutover_eval::literal(c, kind) {
            Ok(v) => self.constant(&v, kind),
            Err(f) => format!("rt.fail({})", string(&f.0)),
        }
    }

    fn column(&self, source: u32, column: ColumnId, rows: Rows<'_>) -> String {
        let name = &self.ir.column(column).name;
        match rows {
            Rows::Row(prefixes) => format!("row[{}]", string(&key(prefixes, source, name))),
            Rows::Group(prefixes) => format!("group[0][{}]", string(&key(prefixes, source, name))),
            Rows::Params => "None".into(),
            Rows::Bound(cols) => match cols.iter().position(|c| *c == column) {
                Some(i) => format!("k{i}"),
                None => "None".into(),
            },
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        result: TypeKind,
        rows: Rows<'_>,
    ) -> Result<String, Unsupported> {
        let l = self.expr(lhs, rows)?;
        let r = self.expr(rhs, rows)?;
        Ok(match op {
            // Three-valued, and the right side only when the left does not
            // decide.
            BinaryOp::And => {
                let t = self.temp();
                format!("(False if ({t} := _truth({l})) is False else _and3({t}, _truth({r})))")
            }
            BinaryOp::Or => {
                let t = self.temp();
                format!("(True if ({t} := _truth({l})) is True else _or3({t}, _truth({r})))")
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                format!("rt.compare({}, {l}, {r})", string(op.symbol()))
            }
            BinaryOp::Like => format!("_like({l}, {r})"),
            BinaryOp::Concat => format!("_concat({l}, {r})"),
            _ => format!(
                "rt.arith({}, {l}, {r}, {})",
                string(op.symbol()),
                ty(result)
            ),
        })
    }

    fn call(
        &self,
        func: Func,
        args: &[Expr],
        result: TypeKind,
        rows: Rows<'_>,
    ) -> Result<String, Unsupported> {
        let ir = self.ir;
        match func {
            Func::Builtin(b) if b.is_aggregate() => {
                let Rows::Group(prefixes) = rows else {
                    return Err(Unsupported("an aggregate outside a `group by` map".into()));
                };
                if b == Builtin::Count && args.is_empty() {
                    return Ok("len(group)".into());
                }
                let Some(arg) = args.first() else {
                    return Err(Unsupported(format!("{} without an argument", b.name())));
                };
                let each = self.expr(arg, Rows::Row(prefixes))?;
                Ok(format!(
                    "rt.agg({}, [{each} for row in group], {})",
                    string(b.name()),
                    ty(result)
                ))
            }
            Func::Builtin(Builtin::Coalesce) => {
                // The first non-NULL argument; the rest are not evaluated.
                let mut out = String::new();
                for a in args {
                    let t = self.temp();
                    let v = if result.is_numeric() {
                        format!("rt.cast({t}, {})", ty(result))
                    } else {
                        t.clone()
                    };
                    out.push_str(&format!(
                        "({v} if ({t} := {}) is not None else ",
                        self.expr(a, rows)?
                    ));
                }
                out.push_str("None");
                for _ in args {
                    out.push(')');
                }
                Ok(out)
            }
            Func::Builtin(b) => {
                let values: Vec<String> = args
                    .iter()
                    .map(|a| self.expr(a, rows))
                    .collect::<Result<_, _>>()?;
                Ok(format!(
                    "rt.call({}, [{}], {})",
                    string(b.name()),
                    values.join(", "),
                    ty(result)
                ))
            }
            Func::User(id) => {
                let f = ir.func(id);
                // Strict: a NULL for a parameter without `?` gives NULL,
                // and later arguments are not evaluated.
                let mut inner = String::new();
                let mut names = Vec::new();
                for (a, p) in args.iter().zip(&f.params) {
                    let t = self.temp();
                    let v = format!("rt.cast({}, {})", self.expr(a, rows)?, ty(p.ty.kind));
                    if p.ty.nullable {
                        inner.push_str(&format!("(lambda {t}: "));
                        names.push((t, Some(v)));
                    } else {
                        inner.push_str(&format!("None if ({t} := {v}) is None else "));
                        names.push((t, None));
                    }
                }
                let call_args: Vec<&str> = names.iter().map(|(t, _)| t.as_str()).collect();
                let mut out = format!(
                    "({inner}rt.cast({}({}), {})",
                    fn_name(&f.name),
                    call_args.join(", "),
                    ty(f.ret.kind)
                );
                for (_, lambda_arg) in names.iter().rev() {
                    if let Some(v) = lambda_arg {
                        out.push_str(&format!(")({v})"));
                    }
                }
                out.push(')');
                Ok(out)
            }
        }
    }
}

/// The key a column has in a row dict.
pub fn key(prefixes: &[String], source: u32, column: &str) -> String {
    if source == 0 {
        column.to_string()
    } else {
        format!(
            "{}.{column}",
            prefixes
                .get(source as usize)
                .map(String::as_str)
                .unwrap_or("?")
        )
    }
}

pub fn lookup_name(name: &str) -> String {
    format!("LOOKUP_{}", python_name(name).to_uppercase())
}

pub fn fn_name(name: &str) -> String {
    format!("fn_{}", python_name(name))
}

pub fn key_function(ir: &Ir, table: TableId) -> String {
    format!("key_{}", python_name(&ir.table(table).name))
}

/// A Python identifier for a spec name (which may hold any character).
pub fn python_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    match out.chars().next() {
        None => "x".into(),
        Some(c) if c.is_ascii_digit() => format!("x_{out}"),
        _ => out,
    }
}

/// No column, parameter, clock or aggregate: the evaluator can fold it.
fn is_constant(e: &Expr) -> bool {
    let mut constant = true;
    walk(e, &mut |x| match &x.kind {
        ExprKind::Column { .. } | ExprKind::Param(_) | ExprKind::Error => constant = false,
        ExprKind::Call {
            func: Func::Builtin(b),
            ..
        } if b.is_aggregate() || !b.is_deterministic() => constant = false,
        ExprKind::Call {
            func: Func::User(_),
            ..
        }
        | ExprKind::Ref { .. } => constant = false,
        _ => {}
    });
    constant
}

/// Lookup entries as a Python dict literal keyed by `rt.key` of each key.
pub fn lookup_dict(py: &Py<'_>, l: &cutover_ir::Lookup) -> String {
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    for e in &l.entries {
        for (k, _) in &e.keys {
            let key = py.literal(k, l.key_type.kind);
            if !seen.insert(key.clone()) {
                continue;
            }
            entries.push(format!(
                "    _key({key}): {},",
                py.literal(&e.value, l.value_type.kind)
            ));
        }
    }
    format!(
        "{}: dict = {{\n{}\n}}",
        lookup_name(&l.name),
        entries.join("\n")
    )
}
