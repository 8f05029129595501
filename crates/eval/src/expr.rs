//! Evaluates typed IR expressions over rows.

use crate::functions;
use crate::value::{compare, fail, key_text, sql_eq, Fail, Value};
use chrono::NaiveDateTime;
use cutover_ir::{
    BinaryOp, Builtin, ColumnId, Const, Expr, ExprKind, Func, Ir, LookupId, TableId, TypeKind,
    UnaryOp,
};
use std::cmp::Ordering;
use std::collections::HashMap;

const RED_ZONE: usize = 64 * 1024;
const STACK_STEP: usize = 4 * 1024 * 1024;

/// Where an expression's names get their values.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'r> {
    /// One joined row: a row (or none, for an unmatched left join) per
    /// source of the map, in `Map::sources` order.
    Row(&'r [Option<&'r [Value]>]),
    /// A group of joined rows: aggregates range over them, everything else
    /// reads the first (it is a group key, so they all agree).
    Group(&'r [Vec<Option<&'r [Value]>>]),
    /// The parameters of a `fn` body.
    Params(&'r [Value]),
    /// The key inputs of a `ref`: the key expression's columns, bound.
    Bound(&'r [(ColumnId, Value)]),
}

/// A lookup ready to use: keys by [`key_text`].
struct LookupTable {
    entries: HashMap<String, Value>,
    otherwise: Option<Value>,
}

/// The key expression of the map into a table, for `ref`.
pub(crate) struct KeyExpr<'ir> {
    pub expr: &'ir Expr,
    pub inputs: Vec<ColumnId>,
    pub ty: TypeKind,
}

/// An IR prepared for evaluation: column positions, lookup tables and key
/// expressions, computed once.
pub struct Engine<'ir> {
    pub(crate) ir: &'ir Ir,
    /// Position of each column within its table's row.
    pub(crate) position: Vec<usize>,
    lookups: Vec<LookupTable>,
    keys: HashMap<TableId, KeyExpr<'ir>>,
    pub(crate) now: NaiveDateTime,
}

impl<'ir> Engine<'ir> {
    /// Prepares `ir`; `now` is what `now()` returns for the whole run.
    pub fn new(ir: &'ir Ir, now: NaiveDateTime) -> Engine<'ir> {
        let mut position = vec![0; ir.columns.len()];
        for t in &ir.tables {
            for (i, c) in t.columns.iter().enumerate() {
                position[c.index()] = i;
            }
        }
        let lookups =
            ir.lookups
                .iter()
                .map(|l| {
                    let mut entries = HashMap::new();
                    for e in &l.entries {
                        let value =
                            Value::from_const(&e.value, l.value_type.kind).unwrap_or(Value::Null);
                        for (k, _) in &e.keys {
                            let kv = Value::from_const(k, l.key_type.kind).unwrap_or(Value::Null);
                            if let Some(kt) = key_text(&kv) {
                                entries.entry(kt).or_insert_with(|| value.clone());
                            }
                        }
                    }
                    LookupTable {
                        entries,
                        otherwise: l.otherwise.as_ref().map(|c| {
                            Value::from_const(c, l.value_type.kind).unwrap_or(Value::Null)
                        }),
                    }
                })
                .collect();
        let mut keys = HashMap::new();
        for m in &ir.maps {
            if keys.contains_key(&m.target) {
                continue;
            }
            if let Some(a) = m.assignments.iter().find(|a| a.key) {
                let mut inputs = Vec::new();
                crate::walk(&a.expr, &mut |e| {
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
        Engine {
            ir,
            position,
            lookups,
            keys,
            now,
        }
    }

    /// Evaluates an expression that reads no column, parameter, clock or
    /// aggregate (the backends fold such expressions at build time).
    pub fn eval_constant(&self, e: &Expr) -> Result<Value, Fail> {
        self.eval(e, Scope::Params(&[]))
    }

    /// Evaluates an expression.
    pub(crate) fn eval(&self, e: &Expr, scope: Scope<'_>) -> Result<Value, Fail> {
        // Expressions nest up to 256 deep (and `fn` bodies add more): grow
        // the stack rather than overflow it, whatever thread runs this.
        stacker::maybe_grow(RED_ZONE, STACK_STEP, || self.eval_here(e, scope))
    }

    fn eval_here(&self, e: &Expr, scope: Scope<'_>) -> Result<Value, Fail> {
        match &e.kind {
            ExprKind::Literal(c) => literal(c, e.ty.kind),
            ExprKind::Column { source, column } => Ok(self.column(*source, *column, scope)),
            ExprKind::Param(i) => Ok(match scope {
                Scope::Params(p) => p.get(*i as usize).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            }),
            ExprKind::Call { func, args } => self.call(*func, args, e.ty.kind, scope),
            ExprKind::Lookup { lookup, key } => {
                let k = self.eval(key, scope)?;
                self.lookup(*lookup, &k)
            }
            ExprKind::Ref { table, args } => {
                let values = args
                    .iter()
                    .map(|a| self.eval(a, scope))
                    .collect::<Result<Vec<_>, _>>()?;
                self.reference(*table, values)
            }
            ExprKind::Cast { expr, to } => self.eval(expr, scope)?.cast(to.kind),
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                let subject = match subject {
                    Some(s) => Some(self.eval(s, scope)?),
                    None => None,
                };
                for (when, then) in whens {
                    let w = self.eval(when, scope)?;
                    let hit = match &subject {
                        Some(s) => sql_eq(s, &w) == Some(true),
                        None => w == Value::Bool(true),
                    };
                    if hit {
                        return self.typed(then, e.ty.kind, scope);
                    }
                }
                match otherwise {
                    Some(o) => self.typed(o, e.ty.kind, scope),
                    None => Ok(Value::Null),
                }
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                if self.eval(cond, scope)? == Value::Bool(true) {
                    self.typed(then, e.ty.kind, scope)
                } else {
                    self.typed(otherwise, e.ty.kind, scope)
                }
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand, scope)?;
                match (op, v) {
                    (_, Value::Null) => Ok(Value::Null),
                    (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                    (UnaryOp::Neg, Value::Int(i)) => match i.checked_neg() {
                        Some(n) => crate::value::check_int(n, e.ty.kind),
                        None => fail(format!("-({i}) is out of range for {}", e.ty.kind)),
                    },
                    (UnaryOp::Neg, Value::Decimal(d)) => Ok(Value::Decimal(d.negate())),
                    (UnaryOp::Neg, Value::Float(x)) => Ok(Value::Float(-x)),
                    (_, v) => fail(format!("cannot apply {op:?} to {}", v.display())),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.ty.kind, scope),
            ExprKind::IsNull { operand, negated } => {
                let v = self.eval(operand, scope)?;
                Ok(Value::Bool(v.is_null() != *negated))
            }
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let v = self.eval(operand, scope)?;
                let lo = self.eval(low, scope)?;
                let hi = self.eval(high, scope)?;
                let ge = compare(&v, &lo).map(|o| o != Ordering::Less);
                let le = compare(&v, &hi).map(|o| o != Ordering::Greater);
                Ok(not_if(and3(ge, le), *negated))
            }
            ExprKind::In {
                operand,
                list,
                negated,
            } => {
                let v = self.eval(operand, scope)?;
                let mut result = Some(false);
                for item in list {
                    match sql_eq(&v, &self.eval(item, scope)?) {
                        Some(true) => {
                            result = Some(true);
                            break;
                        }
                        Some(false) => {}
                        None => result = None,
                    }
                }
                Ok(not_if(result, *negated))
            }
            ExprKind::Error => fail("the expression did not compile"),
        }
    }

    /// A branch's value in the type of the whole `case`/`if`, so every
    /// branch gives the same kind of value (an int branch of a decimal `if`).
    fn typed(&self, e: &Expr, kind: TypeKind, scope: Scope<'_>) -> Result<Value, Fail> {
        let v = self.eval(e, scope)?;
        if e.ty.kind == kind || kind.is_text() {
            Ok(v)
        } else {
            v.cast(kind)
        }
    }

    fn column(&self, source: u32, column: ColumnId, scope: Scope<'_>) -> Value {
        let pos = self.position[column.index()];
        let from_row = |row: &[Option<&[Value]>]| {
            row.get(source as usize)
                .copied()
                .flatten()
                .and_then(|r| r.get(pos))
                .cloned()
                .unwrap_or(Value::Null)
        };
        match scope {
            Scope::Row(row) => from_row(row),
            Scope::Group(rows) => rows.first().map(|r| from_row(r)).unwrap_or(Value::Null),
            Scope::Bound(bound) => bound
                .iter()
                .find(|(c, _)| *c == column)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null),
            Scope::Params(_) => Value::Null,
        }
    }

    fn lookup(&self, id: LookupId, key: &Value) -> Result<Value, Fail> {
        let l = &self.lookups[id.index()];
        // NULL matches no key.
        if let Some(v) = key_text(key).and_then(|k| l.entries.get(&k)) {
            return Ok(v.clone());
        }
        match &l.otherwise {
            Some(v) => Ok(v.clone()),
            None => fail(format!(
                "{} is not a key of lookup `{}`",
                key.display(),
                self.ir.lookup(id).name
            )),
        }
    }

    /// `ref T(args)`: the key the map into `T` computes from these inputs.
    fn reference(&self, table: TableId, args: Vec<Value>) -> Result<Value, Fail> {
        if args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        let Some(k) = self.keys.get(&table) else {
            return fail(format!(
                "no map with a key fills `{}`",
                self.ir.table_path(table)
            ));
        };
        let bound: Vec<(ColumnId, Value)> = k
            .inputs
            .iter()
            .zip(args)
            .map(|(c, v)| v.cast(self.ir.column(*c).ty.kind).map(|v| (*c, v)))
            .collect::<Result<_, _>>()?;
        self.eval(k.expr, Scope::Bound(&bound))?.cast(k.ty)
    }

    fn call(
        &self,
        func: Func,
        args: &[Expr],
        result: TypeKind,
        scope: Scope<'_>,
    ) -> Result<Value, Fail> {
        match func {
            Func::Builtin(b) if b.is_aggregate() => self.aggregate(b, args, result, scope),
            // Like SQL's COALESCE: arguments after the first non-NULL one
            // are not evaluated, so they cannot fail the row.
            Func::Builtin(Builtin::Coalesce) => {
                for a in args {
                    let v = self.eval(a, scope)?;
                    if !v.is_null() {
                        // Widen to the common type (an int among decimals).
                        return if result.is_numeric() {
                            v.cast(result)
                        } else {
                            Ok(v)
                        };
                    }
                }
                Ok(Value::Null)
            }
            Func::Builtin(b) => {
                let values = args
                    .iter()
                    .map(|a| self.eval(a, scope))
                    .collect::<Result<Vec<_>, _>>()?;
                functions::call(b, &values, result, self.now)
            }
            Func::User(id) => {
                let f = self.ir.func(id);
                let mut values = Vec::with_capacity(args.len());
                for (a, p) in args.iter().zip(&f.params) {
                    let v = self.eval(a, scope)?;
                    // Strict: a NULL for a parameter without `?` gives NULL.
                    if v.is_null() && !p.ty.nullable {
                        return Ok(Value::Null);
                    }
                    values.push(v.cast(p.ty.kind)?);
                }
                self.eval(&f.body, Scope::Params(&values))?.cast(f.ret.kind)
            }
        }
    }

    fn aggregate(
        &self,
        b: Builtin,
        args: &[Expr],
        result: TypeKind,
        scope: Scope<'_>,
    ) -> Result<Value, Fail> {
        let rows: Vec<Scope<'_>> = match scope {
            Scope::Group(rows) => rows.iter().map(|r| Scope::Row(r)).collect(),
            other => vec![other],
        };
        if b == Builtin::Count && args.is_empty() {
            return Ok(Value::Int(rows.len() as i64));
        }
        let arg = args
            .first()
            .ok_or_else(|| Fail(format!("{} needs an argument", b.name())))?;
        let mut values = Vec::with_capacity(rows.len());
        for r in rows {
            let v = self.eval(arg, r)?;
            if !v.is_null() {
                values.push(v);
            }
        }
        match b {
            Builtin::Count => Ok(Value::Int(values.len() as i64)),
            Builtin::Sum => {
                let mut acc: Option<Value> = None;
                for v in values {
                    let v = v.cast(result)?;
                    acc = Some(match acc {
                        None => v,
                        Some(a) => arith(BinaryOp::Add, a, v, result)?,
                    });
                }
                Ok(acc.unwrap_or(Value::Null))
            }
            _ => {
                let mut best: Option<Value> = None;
                for v in values {
                    let better = match &best {
                        None => true,
                        Some(cur) => {
                            let o = compare(&v, cur);
                            if b == Builtin::Min {
                                o == Some(Ordering::Less)
                            } else {
                                o == Some(Ordering::Greater)
                            }
                        }
                    };
                    if better {
                        best = Some(v);
                    }
                }
                Ok(best.unwrap_or(Value::Null))
            }
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        result: TypeKind,
        scope: Scope<'_>,
    ) -> Result<Value, Fail> {
        // `and`/`or` are three-valued and skip the right side when the
        // left decides, so a failing right side cannot fail a decided row.
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let l = truth(&self.eval(lhs, scope)?);
            let decided = if op == BinaryOp::And {
                Some(false)
            } else {
                Some(true)
            };
            if l == decided {
                return Ok(Value::Bool(l == Some(true)));
            }
            let r = truth(&self.eval(rhs, scope)?);
            let out = if op == BinaryOp::And {
                and3(l, r)
            } else {
                or3(l, r)
            };
            return Ok(out.map(Value::Bool).unwrap_or(Value::Null));
        }
        let a = self.eval(lhs, scope)?;
        let b = self.eval(rhs, scope)?;
        if a.is_null() || b.is_null() {
            return Ok(Value::Null);
        }
        let cmp = |f: fn(Ordering) -> bool| -> Result<Value, Fail> {
            Ok(compare(&a, &b)
                .map(|o| Value::Bool(f(o)))
                .unwrap_or(Value::Null))
        };
        match op {
            BinaryOp::Eq => cmp(|o| o == Ordering::Equal),
            BinaryOp::Ne => cmp(|o| o != Ordering::Equal),
            BinaryOp::Lt => cmp(|o| o == Ordering::Less),
            BinaryOp::Le => cmp(|o| o != Ordering::Greater),
            BinaryOp::Gt => cmp(|o| o == Ordering::Greater),
            BinaryOp::Ge => cmp(|o| o != Ordering::Less),
            BinaryOp::Like => match (&a, &b) {
                (Value::Text(s), Value::Text(p)) => Ok(Value::Bool(like(s, p))),
                _ => fail("`like` needs text"),
            },
            BinaryOp::Concat => match (a.to_text(), b.to_text()) {
                (Some(x), Some(y)) => Ok(Value::Text(x + &y)),
                _ => fail("`++` needs text"),
            },
            _ => arith(op, a, b, result),
        }
    }
}

/// The value of a literal of type `kind`: what the checks fold constant
/// casts with, so they agree with evaluation.
pub fn literal(c: &Const, kind: TypeKind) -> Result<Value, Fail> {
    match (c, kind) {
        // A string literal keeps its text whatever the expression's type.
        (Const::Text(s), _) => Ok(Value::Text(s.clone())),
        (Const::Null, _) => Ok(Value::Null),
        (c, k) => Value::from_const(c, k),
    }
}

/// SQL's view of a value as a condition.
fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

fn not_if(v: Option<bool>, negated: bool) -> Value {
    match v {
        Some(b) => Value::Bool(b != negated),
        None => Value::Null,
    }
}

/// Arithmetic in the result type: integers check their range, decimals
/// are exact (division rounds to the result's scale), floats must stay
/// finite. Dividing by zero fails.
pub fn arith(op: BinaryOp, a: Value, b: Value, result: TypeKind) -> Result<Value, Fail> {
    use crate::decimal::Decimal as D;
    let overflow = || {
        Fail(format!(
            "{} {} {} overflows {result}",
            a.display(),
            op.symbol(),
            b.display()
        ))
    };
    let zero = |v: &Value| match v {
        Value::Int(i) => *i == 0,
        Value::Decimal(d) => d.is_zero(),
        Value::Float(x) => *x == 0.0,
        _ => false,
    };
    if matches!(op, BinaryOp::Div | BinaryOp::Rem) && zero(&b) {
        return fail("division by zero");
    }
    match result {
        TypeKind::Float => {
            let (x, y) = (as_f64(&a), as_f64(&b));
            let r = match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div => x / y,
                _ => x % y,
            };
            if r.is_finite() {
                Ok(Value::Float(r))
            } else {
                Err(overflow())
            }
        }
        k if k.is_integer() => {
            let (Value::Int(x), Value::Int(y)) = (&a, &b) else {
                return fail(format!(
                    "{} {} {} is not integer arithmetic",
                    a.display(),
                    op.symbol(),
                    b.display()
                ));
            };
            let r = match op {
                BinaryOp::Add => x.checked_add(*y),
                BinaryOp::Sub => x.checked_sub(*y),
                BinaryOp::Mul => x.checked_mul(*y),
                BinaryOp::Rem => x.checked_rem(*y),
                _ => None,
            };
            match r {
                Some(r) => crate::value::check_int(r, k).map_err(|_| overflow()),
                None => Err(overflow()),
            }
        }
        TypeKind::Decimal { scale, .. } => {
            let dec = |v: &Value| match v {
                Value::Int(i) => Some(D::from_i64(*i)),
                Value::Decimal(d) => Some(*d),
                Value::Float(x) => D::from_f64(*x, scale),
                _ => None,
            };
            let (Some(x), Some(y)) = (dec(&a), dec(&b)) else {
                return Err(overflow());
            };
            let r = match op {
                BinaryOp::Add => x.checked_add(y),
                BinaryOp::Sub => x.checked_sub(y),
                // Exact: the scales add up (rounded only if over 38 digits).
                BinaryOp::Mul => x.mul(y, x.scale.saturating_add(y.scale).min(38)),
                BinaryOp::Div => x.div(y, scale),
                _ => x.checked_rem(y),
            };
            r.map(Value::Decimal).ok_or_else(overflow)
        }
        _ => Err(overflow()),
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Decimal(d) => d.to_f64(),
        Value::Float(x) => *x,
        _ => f64::NAN,
    }
}

/// SQL `like`: `%` any run of characters, `_` one character, `\` makes
/// the next character literal. Case-sensitive, on characters.
pub fn like(text: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut pat = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        pat.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Lit(chars.next().unwrap_or('\\')),
            c => P::Lit(c),
        });
    }
    let t: Vec<char> = text.chars().collect();
    // Greedy match with one backtrack point: linear in practice, never
    // exponential.
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match pat.get(pi) {
            Some(P::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(P::One) => {
                ti += 1;
                pi += 1;
            }
            Some(P::Lit(c)) if *c == t[ti] => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[pi..].iter().all(|p| *p == P::Any)
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns() {
        assert!(like(
            "/legacy/storage/models/v1/a.pkl",
            "/legacy/storage/models/%/%.pkl"
        ));
        assert!(!like(
            "/legacy/storage/models/a.pkl",
            "/legacy/storage/models/%/%.pkl"
        ));
        assert!(like("abc", "a_c"));
        assert!(!like("abc", "A%"));
        assert!(like("50%", "50\\%"));
        assert!(!like("500", "50\\%"));
        assert!(like("", "%"));
        assert!(like("héllo", "h_llo"));
        assert!(like(&"a".repeat(5000), &"%a".repeat(50)));
    }
}
