//! Assignments: type compatibility and narrowing (E0301, E0302), NULLs into
//! `not null` columns (E0303), expressions that can fail without `else`
//! (E0304), constants that cannot convert (E0305), and `pii` flowing into a
//! target unmasked (E0340).

use crate::facts::{walk, FactFinder};
use crate::Checker;
use cutover_diagnostics::{codes, Diagnostic};
use cutover_ir::{Assignment, Const, Expr, ExprKind, OnFailure, TypeKind};

/// How a value of one type goes into a column of another.
#[derive(Debug, PartialEq, Eq)]
pub enum Fit {
    /// Widening or equal: fine.
    Fits,
    /// Possible, but only with an explicit conversion; the help says which.
    Narrowing(String),
    /// No conversion exists.
    Mismatch,
}

/// Whether a value of type `from` can be stored in a column of type `to`.
pub fn fit(from: TypeKind, to: TypeKind) -> Fit {
    use TypeKind::*;
    let digits = |k: TypeKind| u32::from(k.integer_digits().unwrap_or(19));
    match (from, to) {
        (Null | Error, _) | (_, Error) => Fit::Fits,
        (f, t) if f == t => Fit::Fits,
        (f, t) if f.is_text() && t.is_text() => match (f.max_chars(), t.max_chars()) {
            (_, None) => Fit::Fits,
            (Some(m), Some(n)) if m <= n => Fit::Fits,
            (m, Some(n)) => Fit::Narrowing(format!(
                "{} may be longer than {n} characters: use `truncate(x, {n})`, or `cast(x as {to}) else reject \"…\"`",
                m.map_or("text".to_owned(), |m| format!("this value (up to {m})"))
            )),
        },
        (f, t) if f.is_integer() && t.is_integer() => {
            if digits(f) <= digits(t) {
                Fit::Fits
            } else {
                Fit::Narrowing(format!("{f} values may not fit in {t}: use `cast(x as {t}) else reject \"…\"`"))
            }
        }
        (f, Decimal { precision, scale }) if f.is_integer() => {
            if (precision - scale) as u32 >= digits(f) {
                Fit::Fits
            } else {
                Fit::Narrowing(format!("{f} values may not fit in {to}: use `cast(x as {to}) else reject \"…\"`"))
            }
        }
        (Decimal { precision: p1, scale: s1 }, Decimal { precision: p2, scale: s2 }) => {
            if s1 <= s2 && p1 - s1 <= p2 - s2 {
                Fit::Fits
            } else if s1 > s2 && p1 - s1 <= p2 - s2 {
                // `round` may carry into one more integer digit, so only a
                // cast can say what happens when it does.
                Fit::Narrowing(format!(
                    "{from} has more decimal places than {to}: use `cast(x as {to}) else reject \"…\"`, which rounds and quarantines a value whose rounding overflows"
                ))
            } else {
                Fit::Narrowing(format!(
                    "{from} may not fit in {to}: use `cast(x as {to}) else reject \"…\"` to quarantine values out of range"
                ))
            }
        }
        (f, Float) if f.is_numeric() => Fit::Fits,
        (Float, t) if t.is_numeric() => Fit::Narrowing(format!("a float may not fit in {t}: use `cast(x as {t}) else reject \"…\"`")),
        (Decimal { .. }, t) if t.is_integer() => {
            Fit::Narrowing(format!("decimals lose their fraction in {t}: use `cast(round(x) as {t}) else reject \"…\"`"))
        }
        (Date, Timestamp) => Fit::Fits,
        (Date, Timestamptz) => Fit::Narrowing(
            "a date has no time zone: say which with `to_utc(cast(x as timestamp), \"Area/City\")`".to_owned(),
        ),
        (Timestamp, Timestamptz) => Fit::Narrowing(
            "a timestamp has no time zone: say which with `to_utc(x, \"Area/City\")`".to_owned(),
        ),
        (Timestamptz, Timestamp) => Fit::Narrowing("drops the time zone: use `cast(x as timestamp)` (UTC)".to_owned()),
        (Timestamp | Timestamptz, Date) => Fit::Narrowing("drops the time of day: use `cast(x as date)`".to_owned()),
        (f, t) if f.is_text() => Fit::Narrowing(format!(
            "text must be parsed into {t}: use `cast(x as {t}) else reject \"…\"`{}",
            if matches!(t, Date | Timestamp) { " or `parse_date(x, \"%m/%d/%Y\") else …`" } else { "" }
        )),
        (f, t) if t.is_text() && f != Bytes && f != Json => Fit::Narrowing(format!("convert it explicitly: `cast(x as {t})`")),
        (Json, t) if t.is_text() => Fit::Narrowing(format!("convert it explicitly: `cast(x as {t})`")),
        _ => Fit::Mismatch,
    }
}

impl Checker<'_> {
    pub(crate) fn assignments(&mut self, facts: &FactFinder<'_>) {
        for map in &self.ir.maps {
            for a in &map.assignments {
                self.assignment(a, facts);
            }
            if let Some(w) = &map.filter {
                self.no_failure_outside_assignment(w, facts, "a `where` condition");
            }
            for g in &map.group_by {
                self.no_failure_outside_assignment(g, facts, "a `group by` expression");
            }
            for s in &map.sources {
                if let Some(j) = &s.join {
                    self.no_failure_outside_assignment(&j.on, facts, "a join condition");
                }
            }
        }
        // Constants anywhere in the spec: a bad literal cast fails every row.
        let ir = self.ir;
        let mut all = Vec::new();
        for m in &ir.maps {
            for a in &m.assignments {
                all.push(&a.expr);
                if let Some(OnFailure::Default { expr, .. }) = &a.on_failure {
                    all.push(expr);
                }
            }
            all.extend(m.filter.iter());
        }
        all.extend(ir.columns.iter().filter_map(|c| c.default.as_ref()));
        all.extend(ir.fns.iter().map(|f| &f.body));
        for g in &ir.gates {
            for c in &g.checks {
                if let cutover_ir::CheckKind::AssertRows { predicate, .. } = &c.kind {
                    all.push(predicate);
                }
            }
        }
        for e in all {
            walk(e, &mut |x| self.constant_cast(x));
        }
    }

    fn assignment(&mut self, a: &Assignment, facts: &FactFinder<'_>) {
        let col = self.ir.column(a.target);
        let target = col.ty;
        let e = &a.expr;
        if e.ty.is_error() || target.is_error() {
            return;
        }
        let path = &col.name;
        match fit(e.ty.kind, target.kind) {
            Fit::Fits => {}
            Fit::Narrowing(help) => {
                let d = Diagnostic::new(
                    codes::NARROWING,
                    format!(
                        "`{path}` is {}, but this value is {}",
                        target.kind, e.ty.kind
                    ),
                )
                .primary(
                    e.span,
                    format!("{} does not always fit in {}", e.ty.kind, target.kind),
                )
                .secondary(col.span, "column declared here")
                .help(help);
                self.report(d);
                return;
            }
            Fit::Mismatch => {
                let d = Diagnostic::new(
                    codes::ASSIGN_MISMATCH,
                    format!(
                        "cannot store {} in `{path}`, which is {}",
                        e.ty.kind, target.kind
                    ),
                )
                .primary(e.span, format!("this is {}", e.ty))
                .secondary(col.span, "column declared here")
                .help(format!(
                    "compute a {} value for `{path}`; no conversion from {} exists",
                    target.kind, e.ty.kind
                ));
                self.report(d);
                return;
            }
        }
        let f = facts.facts(e);
        match &a.on_failure {
            None if f.fallible => {
                let d = Diagnostic::new(codes::FALLIBLE, format!("the value of `{path}` can fail, and nothing says what happens then"))
                    .primary(e.span, failure_cause(e, self.ir, facts))
                    .help("add `else reject \"reason\"` to quarantine the row, or `else <value>` to use a fallback");
                self.report(d);
            }
            Some(OnFailure::Default { expr: fallback, .. }) => {
                if let Fit::Mismatch | Fit::Narrowing(_) = fit(fallback.ty.kind, target.kind) {
                    let d = Diagnostic::new(
                        codes::ASSIGN_MISMATCH,
                        format!(
                            "the fallback for `{path}` is {}, but the column is {}",
                            fallback.ty.kind, target.kind
                        ),
                    )
                    .primary(fallback.span, format!("this is {}", fallback.ty))
                    .help(format!("give a {} fallback", target.kind));
                    self.report(d);
                }
                if facts.facts(fallback).fallible {
                    let d = Diagnostic::new(
                        codes::FALLIBLE,
                        format!("the fallback for `{path}` can itself fail"),
                    )
                    .primary(fallback.span, failure_cause(fallback, self.ir, facts))
                    .help("use a fallback that always succeeds, such as a constant or `null`");
                    self.report(d);
                }
            }
            _ => {}
        }
        // A NULL into `not null` is a failure too: `else`, or the column's
        // default, says what happens.
        if !target.nullable && col.default.is_none() {
            match &a.on_failure {
                None if e.ty.nullable => {
                    let d = Diagnostic::new(codes::NULL_INTO_NOT_NULL, format!("`{path}` is not null, but this value can be NULL"))
                        .primary(e.span, format!("this {} can be NULL", e.ty.kind))
                        .secondary(col.span, "declared `not null` here")
                        .help("use `coalesce(x, fallback)`, add `else reject \"reason\"` or `else <value>`, or give the column a `default`");
                    self.report(d);
                }
                // The fallback is used on failure whether or not the value
                // itself can be NULL, so it must not be NULL either.
                Some(OnFailure::Default { expr: fallback, .. }) if fallback.ty.nullable => {
                    let d = Diagnostic::new(
                        codes::NULL_INTO_NOT_NULL,
                        format!("`{path}` is not null, but its fallback can be NULL"),
                    )
                    .primary(fallback.span, "can be NULL")
                    .secondary(col.span, "declared `not null` here")
                    .help("give a fallback that is never NULL, or `else reject \"reason\"`");
                    self.report(d);
                }
                _ => {}
            }
        }
        if a.allow_pii.is_none() {
            let mut pii = f.pii.clone();
            let mut span = e.span;
            if let Some(OnFailure::Default { expr: fallback, .. }) = &a.on_failure {
                let fb = facts.facts(fallback).pii;
                if pii.is_empty() && !fb.is_empty() {
                    span = fallback.span;
                }
                pii.extend(fb);
            }
            if let Some(&pii_col) = pii.iter().next() {
                let src = self.ir.column(pii_col);
                let d = Diagnostic::new(codes::PII_UNMASKED, format!("personal data from `{}` flows into `{path}` unmasked", self.ir.column_path(pii_col)))
                    .primary(span, "carries a `pii` column")
                    .secondary(src.span, "declared `pii` here")
                    .help("mask it (`sha256(x)`, `mask(x)`), drop it, or record the decision: `… allow pii \"reason\"`");
                self.report(d);
            }
        }
    }

    fn no_failure_outside_assignment(&mut self, e: &Expr, facts: &FactFinder<'_>, what: &str) {
        if !e.ty.is_error() && facts.facts(e).fallible {
            let d = Diagnostic::new(codes::FALLIBLE, format!("{what} can fail, and there is no `else` for it"))
                .primary(e.span, failure_cause(e, self.ir, facts))
                .help("move the fallible part into an assignment with `else`, or make it total (a lookup with `else =>`, `coalesce`)");
            self.report(d);
        }
    }

    /// `cast("…" as T)` of a literal is checked now: it fails on every row.
    fn constant_cast(&mut self, e: &Expr) {
        let ExprKind::Cast { expr, to } = &e.kind else {
            return;
        };
        let ExprKind::Literal(c) = &expr.kind else {
            return;
        };
        if let Some(problem) = literal_cast_problem(c, expr.ty.kind, to.kind) {
            let shown = match c {
                Const::Text(s) => format!("{s:?}"),
                Const::Int(i) => i.to_string(),
                Const::Decimal(d) => d.clone(),
                Const::Bool(b) => b.to_string(),
                Const::Null => "null".to_owned(),
            };
            let d = Diagnostic::new(
                codes::BAD_CONSTANT,
                format!("{shown} cannot be converted to {}", to.kind),
            )
            .primary(expr.span, problem)
            .help(format!("write a valid {} literal", to.kind));
            self.report(d);
        }
    }
}

/// Says why an expression can fail, naming the first fallible part.
fn failure_cause(e: &Expr, ir: &cutover_ir::Ir, facts: &FactFinder<'_>) -> String {
    let mut cause = None;
    walk(e, &mut |x| {
        if cause.is_some() {
            return;
        }
        cause = match &x.kind {
            ExprKind::Lookup { lookup, .. } if ir.lookup(*lookup).otherwise.is_none() => {
                Some(format!(
                    "lookup `{}` has no `else =>` entry, so a missing key fails",
                    ir.lookup(*lookup).name
                ))
            }
            ExprKind::Call {
                func: cutover_ir::Func::Builtin(b),
                ..
            } if b.is_fallible() => Some(format!("`{}` fails on values it cannot read", b.name())),
            ExprKind::Cast { expr, to } if crate::facts::cast_can_fail(expr, to.kind) => {
                Some(format!(
                    "casting {} to {} fails on values that do not convert",
                    expr.ty.kind, to.kind
                ))
            }
            ExprKind::Call {
                func: cutover_ir::Func::User(id),
                ..
            } if facts.facts(x).fallible => Some(format!("`{}` can fail", ir.func(*id).name)),
            _ => None,
        };
    });
    cause.unwrap_or_else(|| "this can fail".to_owned())
}

/// Why a constant does not convert to a type, if it does not: the
/// evaluator's own cast rules (docs/functions.md, "Casts"), so a constant
/// the check accepts is one every run accepts.
fn literal_cast_problem(c: &Const, from: TypeKind, to: TypeKind) -> Option<String> {
    cutover_eval::literal(c, from)
        .and_then(|v| v.cast(to))
        .err()
        .map(|f| f.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TypeKind::*;

    #[test]
    fn fits() {
        assert_eq!(fit(Varchar(50), Varchar(100)), Fit::Fits);
        assert!(matches!(fit(Varchar(500), Varchar(100)), Fit::Narrowing(_)));
        assert!(matches!(fit(Text, Varchar(100)), Fit::Narrowing(_)));
        assert_eq!(fit(Int, BigInt), Fit::Fits);
        assert!(matches!(fit(BigInt, Int), Fit::Narrowing(_)));
        assert_eq!(
            fit(
                Decimal {
                    precision: 10,
                    scale: 2
                },
                Decimal {
                    precision: 12,
                    scale: 2
                }
            ),
            Fit::Fits
        );
        assert!(matches!(
            fit(
                Decimal {
                    precision: 12,
                    scale: 2
                },
                Decimal {
                    precision: 10,
                    scale: 2
                }
            ),
            Fit::Narrowing(_)
        ));
        assert!(matches!(fit(Text, Int), Fit::Narrowing(_)));
        assert!(matches!(fit(Text, Date), Fit::Narrowing(_)));
        assert!(matches!(fit(Timestamptz, Date), Fit::Narrowing(_)));
        assert_eq!(fit(Bool, Date), Fit::Mismatch);
        assert_eq!(fit(Null, Date), Fit::Fits);
    }

    #[test]
    fn literal_casts() {
        let t = |s: &str| Const::Text(s.to_owned());
        let literal_cast_problem_t = |c: &Const, to| literal_cast_problem(c, Text, to);
        assert_eq!(
            literal_cast_problem_t(&t("00000000-0000-0000-0000-000000000000"), Uuid),
            None
        );
        assert!(literal_cast_problem_t(&t("0000-0000"), Uuid).is_some());
        assert_eq!(literal_cast_problem_t(&t("2024-02-29"), Date), None);
        assert!(literal_cast_problem_t(&t("2023-02-29"), Date).is_some());
        assert_eq!(
            literal_cast_problem_t(&t("2025-06-14 02:00:00"), Timestamp),
            None
        );
        assert!(literal_cast_problem_t(&t("2024-01-01 1é:00"), Timestamp).is_some());
        assert!(literal_cast_problem_t(&t("1é:00"), Time).is_some());
        assert!(literal_cast_problem_t(&t("12x"), Int).is_some());
        assert!(literal_cast_problem_t(&t("99999"), SmallInt).is_some());
        assert!(literal_cast_problem_t(
            &t("NaN"),
            Decimal {
                precision: 10,
                scale: 2
            }
        )
        .is_some());
        // The evaluator's float syntax has exponents, and its bool words.
        assert_eq!(literal_cast_problem_t(&t("1e5"), Float), None);
        assert_eq!(literal_cast_problem_t(&t("yes"), Bool), None);
        assert_eq!(
            literal_cast_problem_t(&t("2024-03-01 09:00:00-05:00"), Timestamptz),
            None
        );
        assert!(literal_cast_problem_t(&t("12:00:00.1234567"), Time).is_some());
        assert!(literal_cast_problem_t(
            &t("999.995"),
            Decimal {
                precision: 5,
                scale: 2
            }
        )
        .is_some());
        assert!(literal_cast_problem_t(&t("too long"), Varchar(3)).is_some());
        assert!(literal_cast_problem(&Const::Int(99_999_999_999), BigInt, Int).is_some());
        assert_eq!(literal_cast_problem(&Const::Int(5), Int, SmallInt), None);
        assert!(literal_cast_problem(
            &Const::Decimal("123.45".into()),
            Decimal {
                precision: 5,
                scale: 2
            },
            Decimal {
                precision: 4,
                scale: 2
            }
        )
        .is_some());
    }
}
