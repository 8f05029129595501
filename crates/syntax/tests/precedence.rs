//! Operator precedence and associativity, shown as s-expressions.

use cutover_syntax::ast::{Expr, ExprKind, Literal, UnaryOp};

fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(Literal::Integer(i)) => i.to_string(),
        ExprKind::Literal(Literal::Str(s)) => format!("{s:?}"),
        ExprKind::Literal(l) => format!("{l:?}"),
        ExprKind::Path(p) => p
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Call { name, args } => format!(
            "({} {})",
            name.name,
            args.iter().map(sexp).collect::<Vec<_>>().join(" ")
        ),
        ExprKind::Unary { op, operand } => {
            format!(
                "({} {})",
                if *op == UnaryOp::Not { "not" } else { "neg" },
                sexp(operand)
            )
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), sexp(lhs), sexp(rhs))
        }
        ExprKind::IsNull { operand, negated } => format!(
            "({} {})",
            if *negated { "is-not-null" } else { "is-null" },
            sexp(operand)
        ),
        ExprKind::Between {
            operand,
            low,
            high,
            negated,
        } => {
            format!(
                "({}between {} {} {})",
                if *negated { "not-" } else { "" },
                sexp(operand),
                sexp(low),
                sexp(high)
            )
        }
        ExprKind::In {
            operand,
            list,
            negated,
        } => format!(
            "({}in {} [{}])",
            if *negated { "not-" } else { "" },
            sexp(operand),
            list.iter().map(sexp).collect::<Vec<_>>().join(" ")
        ),
        other => format!("{other:?}"),
    }
}

fn p(src: &str) -> String {
    match cutover_syntax::parse_expr(src) {
        Ok(e) => sexp(&e),
        Err(d) => panic!("{src}: {d:#?}"),
    }
}

#[test]
fn arithmetic_binds_tighter_than_comparison_and_logic() {
    assert_eq!(
        p("a + b * c > 10 and not a == b or c"),
        "(or (and (> (+ a (* b c)) 10) (not (== a b))) c)"
    );
    assert_eq!(p("a - b - c"), "(- (- a b) c)");
    assert_eq!(p("a / b * c % d"), "(% (* (/ a b) c) d)");
    assert_eq!(p("-a * b"), "(* (neg a) b)");
    assert_eq!(p("a ++ b ++ c"), "(++ (++ a b) c)");
    assert_eq!(p("a ++ b == c"), "(== (++ a b) c)");
    assert_eq!(p("a + 1 ++ b"), "(++ (+ a 1) b)");
}

#[test]
fn postfix_operators_bind_like_comparisons() {
    assert_eq!(p("x + 1 between 0 and 10"), "(between (+ x 1) 0 10)");
    assert_eq!(
        p("x not between -1 and 1 and y"),
        "(and (not-between x (neg 1) 1) y)"
    );
    assert_eq!(
        p("x is not null or y is null"),
        "(or (is-not-null x) (is-null y))"
    );
    assert_eq!(p("s not in (\"a\", \"b\")"), "(not-in s [\"a\" \"b\"])");
    assert_eq!(p("s not like \"A%\""), "(not (like s \"A%\"))");
    assert_eq!(p("not x like y"), "(not (like x y))");
}

#[test]
fn parentheses_and_calls() {
    assert_eq!(p("(a or b) and c"), "(and (or a b) c)");
    assert_eq!(p("trim(a.b) ++ upper(c)"), "(++ (trim a.b) (upper c))");
}
