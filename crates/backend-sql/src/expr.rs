//! Typed IR expressions compiled to SQL, with failures as data.
//!
//! Every expression compiles to a [`Code`]: its value, and a text
//! expression that is the failure message on rows where evaluation fails
//! (docs/functions.md, "Failures") and NULL elsewhere. The value SQL never
//! raises an error on any input, so one bad row can never abort a load:
//! the assignment that owns the expression turns the message into a
//! quarantine row. Structure (NULL rules, short-circuits, `case`, lookups,
//! `ref`, `fn` calls) is compiled here once; what differs per database
//! (casts, functions, arithmetic, comparison) is asked of the [`Dialect`].
//! Constant sub-expressions are folded with the reference evaluator, so
//! they mean exactly what the evaluator says.

use crate::dialect::Dialect;
use cutover_diagnostics::Span;
use cutover_eval::{walk, Engine, Value};
use cutover_ir::{
    BinaryOp, Builtin, ColumnId, Const, Expr, ExprKind, Func, Ir, TableId, TypeKind, UnaryOp,
};
use std::collections::HashMap;

/// A construct this backend cannot compile (yet, or in this dialect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The construct, as a phrase: "`title` in PostgreSQL".
    pub what: String,
    /// The innermost expression that could not be compiled, if known.
    pub span: Option<Span>,
}

impl Unsupported {
    pub fn new(what: impl Into<String>) -> Unsupported {
        Unsupported {
            what: what.into(),
            span: None,
        }
    }

    /// Places the failure at `span` unless an inner expression already did.
    pub fn at(mut self, span: Span) -> Unsupported {
        self.span.get_or_insert(span);
        self
    }
}

/// A compiled expression. `err` is `None` when the expression cannot fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    pub v: String,
    pub err: Option<String>,
}

impl Code {
    pub fn ok(v: impl Into<String>) -> Code {
        Code {
            v: v.into(),
            err: None,
        }
    }
}

/// A value that did not fail, with its type: what dialect operations take.
#[derive(Clone, Debug)]
pub struct Arg {
    pub sql: String,
    pub kind: TypeKind,
}

/// Where column references point, and where repeated helper values go.
pub trait Scope {
    /// The SQL naming column `column` of the `source`-th table in scope.
    fn column(&self, source: u32, column: ColumnId) -> String;
    /// Computes `sql` once per row and gives a name for it (a column of an
    /// inner query); by default the expression is simply repeated.
    fn hoist(&self, sql: String) -> String {
        sql
    }
    /// As [`Scope::hoist`], for an expensive value whose inputs often
    /// repeat (a date parsed from text): where the dialect can, it is
    /// computed in a subquery of its own that the database may cache.
    fn memo(&self, sql: String) -> String {
        self.hoist(sql)
    }
}

/// Columns by `alias.column` or by bare name.
pub struct Columns<F: Fn(u32, ColumnId) -> String>(pub F);

impl<F: Fn(u32, ColumnId) -> String> Scope for Columns<F> {
    fn column(&self, source: u32, column: ColumnId) -> String {
        (self.0)(source, column)
    }
}

/// What names in the expression being compiled are bound to.
#[derive(Clone, Copy)]
enum Bind<'b> {
    Columns,
    Params(&'b [Code]),
    Inputs(&'b [(ColumnId, Code)]),
}

/// The key expression of the map into a table, for `ref`.
struct KeyExpr<'ir> {
    expr: &'ir Expr,
    inputs: Vec<ColumnId>,
    ty: TypeKind,
}

/// Compiles expressions of one IR for one dialect.
pub struct Compiler<'a> {
    pub ir: &'a Ir,
    pub d: &'a dyn Dialect,
    /// The run's clock, for `now()`.
    pub now: String,
    engine: Engine<'a>,
    keys: HashMap<TableId, KeyExpr<'a>>,
}

type Compiled = Result<Code, Unsupported>;

/// `coalesce(a, b, …)` over optional message expressions: `None` when none
/// can fail.
pub fn first_error(errs: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    let errs: Vec<String> = errs.into_iter().flatten().collect();
    match errs.len() {
        0 => None,
        1 => errs.into_iter().next(),
        _ => Some(format!("COALESCE({})", errs.join(", "))),
    }
}

/// `CASE WHEN cond THEN err END`, or `None`.
fn err_when(cond: String, err: Option<String>) -> Option<String> {
    err.map(|e| format!("CASE WHEN {cond} THEN {e} END"))
}

impl<'a> Compiler<'a> {
    pub fn new(ir: &'a Ir, d: &'a dyn Dialect, now: String) -> Compiler<'a> {
        let mut keys = HashMap::new();
        for m in &ir.maps {
            if keys.contains_key(&m.target) {
                continue;
            }
            if let Some(a) = m.assignments.iter().find(|a| a.key) {
                let mut inputs = Vec::new();
                walk(&a.expr, &mut |e| {
                    if let ExprKind::Column { column, .. } = e.kind {
                        if !inputs.contains(&column) {
                            inputs.push(column);
                        }
                    }
                });
                keys.insert(
                    m.target,
                    KeyExpr {
                        expr: &a.expr,
                        inputs,
                        ty: ir.column(a.target).ty.kind,
                    },
                );
            }
        }
        // Constant folding never reads the clock.
        let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        Compiler {
            ir,
            d,
            now,
            engine: Engine::new(ir, epoch),
            keys,
        }
    }

    /// Compiles `e` with its columns named by `scope`.
    pub fn compile(&self, e: &Expr, scope: &dyn Scope) -> Compiled {
        self.expr(e, scope, Bind::Columns)
    }

    /// The value converted to a column's type, as storing it does.
    pub fn store(&self, code: Code, from: TypeKind, to: TypeKind, scope: &dyn Scope) -> Compiled {
        // A decimal can exceed its own static type (`round` to tens carries
        // past the precision, to more digits than the scale widens it): the
        // store checks and rescales it as from any decimal.
        let from = match (from, to) {
            (TypeKind::Decimal { .. }, TypeKind::Decimal { .. }) if from == to => {
                TypeKind::Decimal {
                    precision: 38,
                    scale: 38,
                }
            }
            _ => from,
        };
        self.cast_code(code, from, to, scope)
    }

    fn expr(&self, e: &Expr, scope: &dyn Scope, bind: Bind<'_>) -> Compiled {
        self.expr_here(e, scope, bind).map_err(|u| u.at(e.span))
    }

    fn expr_here(&self, e: &Expr, scope: &dyn Scope, bind: Bind<'_>) -> Compiled {
        if is_constant(e) {
            return Ok(self.constant(e));
        }
        match &e.kind {
            ExprKind::Literal(c) => Ok(Code::ok(self.literal(c, e.ty.kind))),
            ExprKind::Column { source, column } => match bind {
                Bind::Columns => Ok(Code::ok(scope.column(*source, *column))),
                Bind::Inputs(inputs) => inputs
                    .iter()
                    .find(|(c, _)| c == column)
                    .map(|(_, code)| code.clone())
                    .ok_or_else(|| Unsupported::new("a key expression reading a column twice")),
                Bind::Params(_) => Err(Unsupported::new("a column inside a `fn` body")),
            },
            ExprKind::Param(i) => match bind {
                Bind::Params(p) => p
                    .get(*i as usize)
                    .cloned()
                    .ok_or_else(|| Unsupported::new("a parameter out of range")),
                _ => Err(Unsupported::new("a parameter outside a `fn` body")),
            },
            ExprKind::Call { func, args } => self.call(*func, args, e.ty.kind, scope, bind),
            ExprKind::Lookup { lookup, key } => {
                let k = self.expr(key, scope, bind)?;
                self.lookup(*lookup, k, key.ty.kind, e.ty.kind, scope)
            }
            ExprKind::Ref { table, args } => {
                let codes = args
                    .iter()
                    .map(|a| Ok((self.expr(a, scope, bind)?, a.ty.kind)))
                    .collect::<Result<Vec<_>, Unsupported>>()?;
                self.reference(*table, codes, scope)
            }
            ExprKind::Cast { expr, to } => {
                let x = self.expr(expr, scope, bind)?;
                self.cast_code(x, expr.ty.kind, to.kind, scope)
            }
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => self.case(
                subject.as_deref(),
                whens,
                otherwise.as_deref(),
                e,
                scope,
                bind,
            ),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let whens = [((**cond).clone(), (**then).clone())];
                self.case(None, &whens, Some(otherwise), e, scope, bind)
            }
            ExprKind::Unary { op, operand } => {
                let x = self.expr(operand, scope, bind)?;
                match op {
                    UnaryOp::Not => Ok(Code {
                        v: format!("(NOT {})", x.v),
                        err: x.err,
                    }),
                    UnaryOp::Neg => {
                        let op = self.d.negate(&Arg {
                            sql: x.v,
                            kind: operand.ty.kind,
                        })?;
                        Ok(Code {
                            v: op.v,
                            err: first_error([x.err, op.err]),
                        })
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.ty.kind, scope, bind),
            ExprKind::IsNull { operand, negated } => {
                let x = self.expr(operand, scope, bind)?;
                Ok(Code {
                    v: format!("({} IS {}NULL)", x.v, if *negated { "NOT " } else { "" }),
                    err: x.err,
                })
            }
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let x = self.expr(operand, scope, bind)?;
                let lo = self.expr(low, scope, bind)?;
                let hi = self.expr(high, scope, bind)?;
                let arg = |c: &Code, e: &Expr| Arg {
                    sql: c.v.clone(),
                    kind: e.ty.kind,
                };
                if self.d.native_order(operand.ty.kind, low.ty.kind)
                    && self.d.native_order(operand.ty.kind, high.ty.kind)
                {
                    return Ok(Code {
                        v: format!(
                            "({} {}BETWEEN {} AND {})",
                            x.v,
                            if *negated { "NOT " } else { "" },
                            lo.v,
                            hi.v
                        ),
                        err: first_error([x.err, lo.err, hi.err]),
                    });
                }
                let ge = self
                    .d
                    .compare(BinaryOp::Ge, &arg(&x, operand), &arg(&lo, low))?;
                let le = self
                    .d
                    .compare(BinaryOp::Le, &arg(&x, operand), &arg(&hi, high))?;
                let v = format!("({ge} AND {le})");
                Ok(Code {
                    v: if *negated { format!("(NOT {v})") } else { v },
                    err: first_error([x.err, lo.err, hi.err]),
                })
            }
            ExprKind::In {
                operand,
                list,
                negated,
            } => {
                let x = self.expr(operand, scope, bind)?;
                let xa = Arg {
                    sql: x.v.clone(),
                    kind: operand.ty.kind,
                };
                let mut tests = Vec::new();
                let mut items = Vec::new();
                let mut values = Vec::new();
                for item in list {
                    let c = self.expr(item, scope, bind)?;
                    let eq = self.d.compare(
                        BinaryOp::Eq,
                        &xa,
                        &Arg {
                            sql: c.v.clone(),
                            kind: item.ty.kind,
                        },
                    )?;
                    tests.push(eq.clone());
                    values.push(c.v.clone());
                    items.push((eq, c.err));
                }
                // Items are evaluated up to the first match.
                let mut err: Option<String> = None;
                for (eq, item_err) in items.into_iter().rev() {
                    err = match (item_err, err) {
                        (None, None) => None,
                        (ie, later) => first_error([
                            ie,
                            later.map(|l| format!("CASE WHEN {eq} IS NOT TRUE THEN {l} END")),
                        ]),
                    };
                }
                let native = list.iter().all(|i| {
                    self.d.native_order(operand.ty.kind, i.ty.kind)
                        || (operand.ty.kind.is_text() && i.ty.kind.is_text())
                });
                let v = if tests.is_empty() {
                    self.d.bool_literal(false)
                } else if native && err.is_none() {
                    format!("({} IN ({}))", x.v, values.join(", "))
                } else {
                    format!("({})", tests.join(" OR "))
                };
                Ok(Code {
                    v: if *negated { format!("(NOT {v})") } else { v },
                    err: first_error([x.err, err]),
                })
            }
            ExprKind::Error => Err(Unsupported::new("an expression that did not compile")),
        }
    }

    /// A constant expression, evaluated now by the reference evaluator.
    fn constant(&self, e: &Expr) -> Code {
        match self.engine.eval_constant(e) {
            Ok(v) => Code::ok(self.d.value(&v, e.ty.kind)),
            Err(f) => Code {
                v: self.d.null(e.ty.kind),
                err: Some(self.d.text(&f.0)),
            },
        }
    }

    fn literal(&self, c: &Const, kind: TypeKind) -> String {
        match cutover_eval::literal(c, kind) {
            Ok(v) => self.d.value(&v, kind),
            Err(_) => self.d.null(kind),
        }
    }

    /// Converts a compiled value; a failing conversion adds its message.
    fn cast_code(&self, x: Code, from: TypeKind, to: TypeKind, scope: &dyn Scope) -> Compiled {
        let op = self.d.cast(
            &Arg {
                sql: x.v,
                kind: from,
            },
            to,
            scope,
        )?;
        Ok(Code {
            v: op.v,
            err: first_error([x.err, op.err]),
        })
    }

    fn call(
        &self,
        func: Func,
        args: &[Expr],
        result: TypeKind,
        scope: &dyn Scope,
        bind: Bind<'_>,
    ) -> Compiled {
        match func {
            Func::Builtin(b) if b.is_aggregate() => {
                let arg = match args.first() {
                    Some(a) => {
                        let c = self.expr(a, scope, bind)?;
                        Some((c, a.ty.kind))
                    }
                    None => None,
                };
                self.d.aggregate(b, arg, result)
            }
            Func::Builtin(Builtin::Coalesce) => {
                let mut codes = Vec::new();
                for a in args {
                    let c = self.expr(a, scope, bind)?;
                    // Numeric arguments widen to the common type first.
                    let c = if result.is_numeric() && a.ty.kind != result {
                        self.cast_code(c, a.ty.kind, result, scope)?
                    } else {
                        c
                    };
                    codes.push(c);
                }
                // Later arguments are evaluated only while all before are NULL.
                let mut err: Option<String> = None;
                for c in codes.iter().rev() {
                    err = first_error([
                        c.err.clone(),
                        err.map(|l| format!("CASE WHEN {} IS NULL THEN {l} END", c.v)),
                    ]);
                }
                let vs: Vec<&str> = codes.iter().map(|c| c.v.as_str()).collect();
                Ok(Code {
                    v: format!("COALESCE({})", vs.join(", ")),
                    err,
                })
            }
            Func::Builtin(Builtin::Nullif) => {
                let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
                    return Err(Unsupported::new("nullif without two arguments"));
                };
                let x = self.expr(a, scope, bind)?;
                let y = self.expr(b, scope, bind)?;
                let eq = self.d.compare(
                    BinaryOp::Eq,
                    &Arg {
                        sql: x.v.clone(),
                        kind: a.ty.kind,
                    },
                    &Arg {
                        sql: y.v.clone(),
                        kind: b.ty.kind,
                    },
                )?;
                Ok(Code {
                    v: format!(
                        "CASE WHEN {eq} THEN {} ELSE {} END",
                        self.d.null(result),
                        x.v
                    ),
                    err: first_error([x.err, y.err]),
                })
            }
            Func::Builtin(Builtin::Now) => Ok(Code::ok(self.now.clone())),
            Func::Builtin(b) => {
                let mut codes = Vec::new();
                for a in args {
                    codes.push((self.expr(a, scope, bind)?, a.ty.kind));
                }
                let arg_values: Vec<Arg> = codes
                    .iter()
                    .map(|(c, k)| Arg {
                        sql: c.v.clone(),
                        kind: *k,
                    })
                    .collect();
                let op = self.d.builtin(b, &arg_values, result, scope)?;
                let mut errs: Vec<Option<String>> = codes.into_iter().map(|(c, _)| c.err).collect();
                errs.push(op.err);
                Ok(Code {
                    v: op.v,
                    err: first_error(errs),
                })
            }
            Func::User(id) => {
                let f = self.ir.func(id);
                // Each argument cast to its parameter's type; a NULL for a
                // parameter without `?` makes the call NULL, and arguments
                // after it are not evaluated.
                let mut params: Vec<Code> = Vec::new();
                let mut strict_nulls: Vec<String> = Vec::new();
                let mut err: Vec<(Option<String>, String)> = Vec::new();
                for (a, p) in args.iter().zip(&f.params) {
                    let c = self.expr(a, scope, bind)?;
                    let c = self.cast_code(c, a.ty.kind, p.ty.kind, scope)?;
                    if !p.ty.nullable {
                        strict_nulls.push(format!("{} IS NULL", c.v));
                    }
                    err.push((c.err.clone(), strict_nulls.join(" OR ")));
                    params.push(c);
                }
                let body = self.expr(&f.body, scope, Bind::Params(&params))?;
                let body = self.cast_code(body, f.body.ty.kind, f.ret.kind, scope)?;
                let null_call = strict_nulls.join(" OR ");
                let v = if null_call.is_empty() {
                    body.v
                } else {
                    format!(
                        "CASE WHEN {null_call} THEN {} ELSE {} END",
                        self.d.null(f.ret.kind),
                        body.v
                    )
                };
                // An argument's failure counts only if no earlier strict
                // argument was NULL; the body's only if none was.
                let mut errs = Vec::new();
                let mut before = String::new();
                for (e, nulls_so_far) in err {
                    errs.push(match (&e, before.is_empty()) {
                        (Some(x), false) => Some(format!("CASE WHEN NOT ({before}) THEN {x} END")),
                        _ => e,
                    });
                    before = nulls_so_far;
                }
                errs.push(match (body.err, null_call.is_empty()) {
                    (Some(x), false) => Some(format!("CASE WHEN NOT ({null_call}) THEN {x} END")),
                    (e, _) => e,
                });
                Ok(Code {
                    v,
                    err: first_error(errs),
                })
            }
        }
    }

    fn lookup(
        &self,
        id: cutover_ir::LookupId,
        key: Code,
        key_kind: TypeKind,
        result: TypeKind,
        scope: &dyn Scope,
    ) -> Compiled {
        let l = self.ir.lookup(id);
        let k = scope.hoist(key.v.clone());
        let ka = Arg {
            sql: k.clone(),
            kind: key_kind,
        };
        let mut seen: Vec<String> = Vec::new();
        let mut whens = Vec::new();
        let mut tests = Vec::new();
        for e in &l.entries {
            let value = Value::from_const(&e.value, l.value_type.kind).unwrap_or(Value::Null);
            for (c, _) in &e.keys {
                let kv = Value::from_const(c, l.key_type.kind).unwrap_or(Value::Null);
                let Some(text) = cutover_eval::value::key_text(&kv) else {
                    continue; // a NULL key matches nothing
                };
                if seen.contains(&text) {
                    continue; // the first entry wins
                }
                seen.push(text);
                let eq = self.d.compare(
                    BinaryOp::Eq,
                    &ka,
                    &Arg {
                        sql: self.d.value(&kv, l.key_type.kind),
                        kind: l.key_type.kind,
                    },
                )?;
                whens.push(format!("WHEN {eq} THEN {}", self.d.value(&value, result)));
                tests.push(eq);
            }
        }
        let otherwise = match &l.otherwise {
            Some(c) => self.d.value(
                &Value::from_const(c, l.value_type.kind).unwrap_or(Value::Null),
                result,
            ),
            None => self.d.null(result),
        };
        let v = if whens.is_empty() {
            otherwise.clone()
        } else {
            format!("CASE {} ELSE {otherwise} END", whens.join(" "))
        };
        let miss = if l.otherwise.is_some() {
            None
        } else {
            let found = if tests.is_empty() {
                self.d.bool_literal(false)
            } else {
                format!("({})", tests.join(" OR "))
            };
            Some(format!(
                "CASE WHEN {k} IS NULL OR {found} IS NOT TRUE THEN {} || {} END",
                self.d.display(&ka)?,
                self.d
                    .text(&format!(" is not a key of lookup `{}`", l.name))
            ))
        };
        Ok(Code {
            v,
            err: first_error([key.err, miss]),
        })
    }

    /// `ref T(args)`: the key expression of the map into T on these inputs.
    fn reference(
        &self,
        table: TableId,
        args: Vec<(Code, TypeKind)>,
        scope: &dyn Scope,
    ) -> Compiled {
        let Some(k) = self.keys.get(&table) else {
            return Err(Unsupported::new(format!(
                "`ref {}`: no map with a key fills it",
                self.ir.table_path(table)
            )));
        };
        let mut nulls = Vec::new();
        let mut errs = Vec::new();
        let mut cast_errs = Vec::new();
        let mut inputs = Vec::new();
        for ((code, kind), col) in args.into_iter().zip(&k.inputs) {
            nulls.push(format!("{} IS NULL", code.v));
            errs.push(code.err.clone());
            let cast = self.d.cast(
                &Arg { sql: code.v, kind },
                self.ir.column(*col).ty.kind,
                scope,
            )?;
            cast_errs.push(cast.err.clone());
            inputs.push((
                *col,
                Code {
                    v: cast.v,
                    err: None,
                },
            ));
        }
        let key = self.expr(k.expr, scope, Bind::Inputs(&inputs))?;
        let key = self.cast_code(key, k.expr.ty.kind, k.ty, scope)?;
        let any_null = nulls.join(" OR ");
        let later = first_error(cast_errs.into_iter().chain([key.err]));
        errs.push(err_when(format!("NOT ({any_null})"), later));
        Ok(Code {
            v: format!(
                "CASE WHEN {any_null} THEN {} ELSE {} END",
                self.d.null(k.ty),
                key.v
            ),
            err: first_error(errs),
        })
    }

    fn case(
        &self,
        subject: Option<&Expr>,
        whens: &[(Expr, Expr)],
        otherwise: Option<&Expr>,
        whole: &Expr,
        scope: &dyn Scope,
        bind: Bind<'_>,
    ) -> Compiled {
        let kind = whole.ty.kind;
        let subject = match subject {
            Some(s) => Some((self.expr(s, scope, bind)?, s.ty.kind)),
            None => None,
        };
        // A branch's value in the type of the whole expression.
        let branch = |e: &Expr| -> Compiled {
            let c = self.expr(e, scope, bind)?;
            if e.ty.kind == kind || kind.is_text() {
                Ok(c)
            } else {
                self.cast_code(c, e.ty.kind, kind, scope)
            }
        };
        let mut arms = Vec::new();
        for (w, t) in whens {
            let wc = self.expr(w, scope, bind)?;
            let cond = match &subject {
                Some((s, sk)) => self.d.compare(
                    BinaryOp::Eq,
                    &Arg {
                        sql: s.v.clone(),
                        kind: *sk,
                    },
                    &Arg {
                        sql: wc.v.clone(),
                        kind: w.ty.kind,
                    },
                )?,
                None => wc.v.clone(),
            };
            arms.push((cond, wc.err, branch(t)?));
        }
        let other = match otherwise {
            Some(o) => branch(o)?,
            None => Code::ok(self.d.null(kind)),
        };
        let mut v = String::from("CASE");
        for (cond, _, then) in &arms {
            v.push_str(&format!(" WHEN {cond} THEN {}", then.v));
        }
        v.push_str(&format!(" ELSE {} END", other.v));
        // Conditions in order up to the first true one; only the chosen
        // branch is evaluated.
        let mut err = other.err;
        for (cond, cond_err, then) in arms.into_iter().rev() {
            let rest = match (then.err, err) {
                (None, None) => None,
                (t, e) => Some(format!(
                    "CASE WHEN {cond} THEN {} ELSE {} END",
                    t.unwrap_or_else(|| "NULL".into()),
                    e.unwrap_or_else(|| "NULL".into())
                )),
            };
            err = first_error([cond_err, rest]);
        }
        Ok(Code {
            v,
            err: first_error([subject.and_then(|(s, _)| s.err), err]),
        })
    }

    fn binary(
        &self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        result: TypeKind,
        scope: &dyn Scope,
        bind: Bind<'_>,
    ) -> Compiled {
        let l = self.expr(lhs, scope, bind)?;
        let r = self.expr(rhs, scope, bind)?;
        let la = Arg {
            sql: l.v.clone(),
            kind: lhs.ty.kind,
        };
        let ra = Arg {
            sql: r.v.clone(),
            kind: rhs.ty.kind,
        };
        match op {
            BinaryOp::And | BinaryOp::Or => {
                // The right side is evaluated only when the left does not
                // decide: not false for `and`, not true for `or`.
                let (word, undecided) = if op == BinaryOp::And {
                    ("AND", "IS NOT FALSE")
                } else {
                    ("OR", "IS NOT TRUE")
                };
                Ok(Code {
                    v: format!("({} {word} {})", l.v, r.v),
                    err: first_error([l.err, err_when(format!("{} {undecided}", l.v), r.err)]),
                })
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => Ok(Code {
                v: self.d.compare(op, &la, &ra)?,
                err: first_error([l.err, r.err]),
            }),
            BinaryOp::Like => {
                let ExprKind::Literal(Const::Text(p)) = &rhs.kind else {
                    return Err(Unsupported::new(
                        "`like` with a pattern that is not a literal",
                    ));
                };
                Ok(Code {
                    v: self.d.like(&l.v, p),
                    err: first_error([l.err, r.err]),
                })
            }
            BinaryOp::Concat => Ok(Code {
                v: format!("({} || {})", l.v, r.v),
                err: first_error([l.err, r.err]),
            }),
            _ => {
                let o = self.d.arith(op, &la, &ra, result)?;
                Ok(Code {
                    v: o.v,
                    err: first_error([l.err, r.err, o.err]),
                })
            }
        }
    }
}

/// Whether `e` reads nothing of a row, a parameter or the clock.
fn is_constant(e: &Expr) -> bool {
    let mut constant = true;
    walk(e, &mut |x| match &x.kind {
        ExprKind::Column { .. } | ExprKind::Param(_) | ExprKind::Error => constant = false,
        ExprKind::Call {
            func: Func::Builtin(b),
            ..
        } if *b == Builtin::Now || b.is_aggregate() => constant = false,
        _ => {}
    });
    // A bare literal needs no evaluator.
    constant && !matches!(e.kind, ExprKind::Literal(_))
}

/// A dialect's answer for one operation: value and failure message.
#[derive(Clone, Debug)]
pub struct Op {
    pub v: String,
    pub err: Option<String>,
}

impl Op {
    pub fn ok(v: impl Into<String>) -> Op {
        Op {
            v: v.into(),
            err: None,
        }
    }
}

/// Compiles check and default expressions of a table (schema): these
/// cannot fail, and read the table's columns by name.
pub struct SqlExpr<'a> {
    pub ir: &'a Ir,
    pub dialect: &'a dyn Dialect,
    pub column: &'a dyn Fn(u32, ColumnId) -> String,
}

impl SqlExpr<'_> {
    pub fn compile(&self, e: &Expr) -> Result<String, Unsupported> {
        let compiler = Compiler::new(self.ir, self.dialect, self.dialect.now().into());
        let scope = Columns(|s, c| (self.column)(s, c));
        let code = compiler.compile(e, &scope)?;
        if code.err.is_some() {
            return Err(Unsupported::new(
                "a check or default that can fail at run time",
            ));
        }
        Ok(code.v)
    }
}

/// `truncate(x, n[, suffix])`, portable SQL.
pub fn truncate(x: &str, n: &str, suffix: Option<&str>) -> String {
    match suffix {
        None => format!(
            "CASE WHEN {x} IS NULL OR {n} IS NULL THEN NULL WHEN {n} <= 0 THEN '' ELSE substr({x}, 1, {n}) END"
        ),
        Some(s) => format!(
            "CASE WHEN {x} IS NULL OR {n} IS NULL OR {s} IS NULL THEN NULL WHEN {n} <= 0 THEN '' WHEN length({x}) <= {n} THEN {x} \
             WHEN length({s}) < {n} THEN substr({x}, 1, {n} - length({s})) || {s} ELSE substr({x}, 1, {n}) END"
        ),
    }
}

/// The text of a SQL string literal `'…'`, if `sql` is one.
pub fn literal_text(sql: &str) -> Option<String> {
    let inner = sql.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        // A lone quote ends the literal: two literals, not one.
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// A `like` pattern (`%`, `_`, `\` escapes) as a GLOB pattern (`*`, `?`,
/// with `*`, `?` and `[` made literal by brackets).
pub fn like_to_glob(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            '%' => {
                out.push('*');
                continue;
            }
            '_' => {
                out.push('?');
                continue;
            }
            '\\' => chars.next().unwrap_or('\\'),
            c => c,
        };
        match literal {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(literal);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// A `like` pattern with a trailing lone `\` made a literal backslash,
/// which PostgreSQL would otherwise refuse.
pub fn like_pattern(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{like_pattern, like_to_glob};

    #[test]
    fn like_patterns_become_glob_patterns() {
        assert_eq!(like_to_glob("s3://bucket/%"), "s3://bucket/*");
        assert_eq!(like_to_glob("a_c"), "a?c");
        assert_eq!(like_to_glob("50\\%*[x"), "50%[*][[]x");
        assert_eq!(like_pattern("a\\"), "a\\\\");
        assert_eq!(like_pattern("a\\%"), "a\\%");
    }
}
