//! Facts about expressions that several checks need: whether an expression
//! can fail (and so needs `else`), whether it is deterministic, which `pii`
//! source columns reach its value unmasked, and which columns it reads.
//! `fn` calls are looked through: a call has the facts of its body with the
//! arguments in place of the parameters.

use cutover_ir::{Builtin, ColumnId, Const, Expr, ExprKind, FnId, Func, Ir, TypeKind};
use std::collections::BTreeSet;

/// What one `fn` body does with its parameters.
#[derive(Clone, Debug, Default)]
struct FnFacts {
    fallible: bool,
    deterministic: bool,
    /// Parameters whose value reaches the result unmasked.
    passes_pii: Vec<bool>,
}

/// Facts of an expression.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub fallible: bool,
    pub deterministic: bool,
    /// `pii` columns whose value reaches the result without `sha256`,
    /// `mask` or `uuid_v5`.
    pub pii: BTreeSet<ColumnId>,
}

/// Computes facts, with each `fn`'s facts worked out once.
pub struct FactFinder<'a> {
    ir: &'a Ir,
    fns: Vec<FnFacts>,
}

/// Functions whose result does not reveal their input.
fn masks(b: Builtin) -> bool {
    matches!(b, Builtin::Sha256 | Builtin::Mask | Builtin::UuidV5)
}

impl<'a> FactFinder<'a> {
    pub fn new(ir: &'a Ir) -> Self {
        let mut finder = FactFinder {
            ir,
            fns: vec![FnFacts::default(); ir.fns.len()],
        };
        // An fn may call fns declared after it; the resolver has refused
        // cycles, so at most one round per fn settles every fact.
        for _ in 0..=ir.fns.len() {
            let mut changed = false;
            for (i, f) in ir.fns.iter().enumerate() {
                let params: Vec<Facts> = (0..f.params.len())
                    .map(|p| Facts {
                        fallible: false,
                        deterministic: true,
                        pii: BTreeSet::from([ColumnId(u32::MAX - p as u32)]),
                    })
                    .collect();
                let body = finder.facts_in(&f.body, &params);
                let facts = FnFacts {
                    fallible: body.fallible,
                    deterministic: body.deterministic,
                    passes_pii: (0..f.params.len())
                        .map(|p| body.pii.contains(&ColumnId(u32::MAX - p as u32)))
                        .collect(),
                };
                let old = &finder.fns[i];
                if old.fallible != facts.fallible
                    || old.deterministic != facts.deterministic
                    || old.passes_pii != facts.passes_pii
                {
                    changed = true;
                }
                finder.fns[i] = facts;
            }
            if !changed {
                break;
            }
        }
        finder
    }

    /// Facts of an expression over table columns.
    pub fn facts(&self, e: &Expr) -> Facts {
        self.facts_in(e, &[])
    }

    /// `params` stands for the arguments when inside an fn body.
    fn facts_in(&self, e: &Expr, params: &[Facts]) -> Facts {
        let mut out = Facts {
            fallible: false,
            deterministic: true,
            pii: BTreeSet::new(),
        };
        let merge_all = |out: &mut Facts, children: &[Facts], carry_pii: bool| {
            for c in children {
                out.fallible |= c.fallible;
                out.deterministic &= c.deterministic;
                if carry_pii {
                    out.pii.extend(c.pii.iter().copied());
                }
            }
        };
        match &e.kind {
            ExprKind::Literal(_) | ExprKind::Error => {}
            ExprKind::Column { column, .. } => {
                if self.ir.column(*column).pii {
                    out.pii.insert(*column);
                }
            }
            ExprKind::Param(i) => {
                if let Some(p) = params.get(*i as usize) {
                    out = p.clone();
                }
            }
            ExprKind::Call {
                func: Func::Builtin(b),
                args,
            } => {
                let children: Vec<Facts> = args.iter().map(|a| self.facts_in(a, params)).collect();
                merge_all(&mut out, &children, !masks(*b));
                out.deterministic &= b.is_deterministic();
                out.fallible |= b.is_fallible();
            }
            ExprKind::Call {
                func: Func::User(id),
                args,
            } => {
                let children: Vec<Facts> = args.iter().map(|a| self.facts_in(a, params)).collect();
                let f = self.fn_facts(*id);
                merge_all(&mut out, &children, false);
                out.fallible |= f.fallible;
                out.deterministic &= f.deterministic;
                for (i, c) in children.iter().enumerate() {
                    if f.passes_pii.get(i).copied().unwrap_or(true) {
                        out.pii.extend(c.pii.iter().copied());
                    }
                }
            }
            ExprKind::Lookup { lookup, key } => {
                let k = self.facts_in(key, params);
                // The value comes from the lookup's constants, not the key.
                merge_all(&mut out, &[k], false);
                out.fallible |= self.ir.lookup(*lookup).otherwise.is_none();
            }
            ExprKind::Ref { args, .. } => {
                // A `ref` is a uuid_v5 of its arguments: masked.
                let children: Vec<Facts> = args.iter().map(|a| self.facts_in(a, params)).collect();
                merge_all(&mut out, &children, false);
            }
            ExprKind::Cast { expr, to } => {
                let inner = self.facts_in(expr, params);
                out = inner;
                out.fallible |= cast_can_fail(expr, to.kind);
            }
            ExprKind::Case {
                subject,
                whens,
                otherwise,
            } => {
                let mut children = Vec::new();
                if let Some(s) = subject {
                    let mut f = self.facts_in(s, params);
                    f.pii.clear();
                    children.push(f);
                }
                for (w, t) in whens {
                    let mut wf = self.facts_in(w, params);
                    wf.pii.clear();
                    children.push(wf);
                    children.push(self.facts_in(t, params));
                }
                if let Some(o) = otherwise {
                    children.push(self.facts_in(o, params));
                }
                merge_all(&mut out, &children, true);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let mut c = self.facts_in(cond, params);
                c.pii.clear();
                let children = [
                    c,
                    self.facts_in(then, params),
                    self.facts_in(otherwise, params),
                ];
                merge_all(&mut out, &children, true);
            }
            ExprKind::Unary { operand, .. } => {
                out = self.facts_in(operand, params);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                let children = [self.facts_in(lhs, params), self.facts_in(rhs, params)];
                // A comparison yields a bool, which reveals little of its inputs.
                let carries = e.ty.kind != TypeKind::Bool;
                merge_all(&mut out, &children, carries);
            }
            ExprKind::IsNull { operand, .. } => {
                let f = self.facts_in(operand, params);
                merge_all(&mut out, &[f], false);
            }
            ExprKind::Between {
                operand, low, high, ..
            } => {
                let children = [
                    self.facts_in(operand, params),
                    self.facts_in(low, params),
                    self.facts_in(high, params),
                ];
                merge_all(&mut out, &children, false);
            }
            ExprKind::In { operand, list, .. } => {
                let mut children = vec![self.facts_in(operand, params)];
                children.extend(list.iter().map(|i| self.facts_in(i, params)));
                merge_all(&mut out, &children, false);
            }
        }
        out
    }

    fn fn_facts(&self, id: FnId) -> FnFacts {
        self.fns.get(id.index()).cloned().unwrap_or_default()
    }
}

/// Whether `cast(expr as to)` can fail for some value. A constant is
/// checked by the constant check instead, so it never counts as fallible.
pub fn cast_can_fail(expr: &Expr, to: TypeKind) -> bool {
    if matches!(expr.kind, ExprKind::Literal(_)) {
        return false;
    }
    let from = expr.ty.kind;
    use TypeKind::*;
    match (from, to) {
        (f, t) if f == t => false,
        (Null | Error, _) | (_, Error) => false,
        // Text parses into anything else: it can fail.
        (f, t) if f.is_text() && !t.is_text() => true,
        // Text into shorter text fails rather than cutting (use truncate).
        (f, t) if f.is_text() && t.is_text() => match (f.max_chars(), t.max_chars()) {
            (_, None) => false,
            (Some(m), Some(n)) => m > n,
            (None, Some(_)) => true,
        },
        // Numbers into text never fail when the text is unbounded.
        (_, t) if t.is_text() => t.max_chars().is_some(),
        (SmallInt, Int | BigInt) | (Int, BigInt) => false,
        (f, Float) if f.is_numeric() => false,
        (f, Decimal { precision, scale }) if f.is_integer() => {
            (precision - scale) < f.integer_digits().unwrap_or(19)
        }
        // Extra scale is rounded away, and rounding can carry into one more
        // integer digit (9.99 -> 10.0): that, or fewer integer digits, overflows.
        (
            Decimal {
                precision: p1,
                scale: s1,
            },
            Decimal {
                precision: p2,
                scale: s2,
            },
        ) => (p1 - s1) + u8::from(s1 > s2) > (p2 - s2),
        (Date, Timestamp | Timestamptz) => false,
        (Timestamp | Timestamptz, Date | Time) => false,
        (Timestamp, Timestamptz) | (Timestamptz, Timestamp) => false,
        (Bool, t) | (t, Bool) if t.is_integer() => false,
        _ => true,
    }
}

/// The columns an expression reads, with their source index.
pub fn columns_read(e: &Expr, out: &mut BTreeSet<(u32, ColumnId)>) {
    walk(e, &mut |x| {
        if let ExprKind::Column { source, column } = &x.kind {
            out.insert((*source, *column));
        }
    });
}

/// Whether an expression reads no column (a constant value).
pub fn is_constant(e: &Expr) -> bool {
    let mut cols = BTreeSet::new();
    columns_read(e, &mut cols);
    cols.is_empty() && !matches!(e.kind, ExprKind::Param(_))
}

/// Every sub-expression, depth first.
pub fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    for c in e.children() {
        walk(c, f);
    }
}

/// A text constant, if the expression is one.
pub fn text_literal(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Literal(Const::Text(s)) => Some(s),
        _ => None,
    }
}
