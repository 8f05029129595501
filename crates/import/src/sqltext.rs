//! SQL fragments the readers keep as text (checks, view bodies), made
//! comparable and translated. A check a person wrote (`email LIKE '%@%'`)
//! and the one PostgreSQL's catalog prints back
//! (`((email)::text ~~ '%@%'::text)`) mean the same; [`canonical_expr`]
//! gives both one spelling. [`check_to_cutover`] turns a check into a
//! Cutover expression when every part of it has a Cutover equivalent.
//!
//! Texts are parsed with sqlparser's PostgreSQL dialect: they come from
//! JSON, DDL and catalogs, and PostgreSQL's syntax covers what those write.

use cutover_diagnostics::Span;
use cutover_syntax::ast as cut;
use sqlparser::ast::{
    visit_expressions_mut, ArrayElemTypeDef, BinaryOperator, CastKind, DataType, Expr, FunctionArg,
    FunctionArgExpr, FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, SelectItem,
    SetExpr, Statement, TableFactor, TableWithJoins, UnaryOperator, Value, ValueWithSpan, VisitMut,
    VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::ops::ControlFlow;

/// One spelling per meaning of a SQL expression: redundant parentheses and
/// casts dropped, `~~` read as `LIKE`, `= ANY (ARRAY[…])` as `IN (…)`,
/// `BETWEEN` as its two comparisons, one-item `IN` as `=`, identifiers and
/// function names folded to lower case; then every compound operand
/// parenthesised, so that different trees never print alike. Text that
/// does not parse is compared lower-cased with its whitespace collapsed.
pub fn canonical_expr(sql: &str) -> String {
    let Ok(mut expr) = parse_expr(sql) else {
        return collapsed(sql);
    };
    normalise(&mut expr, Mode::Compare);
    expr.to_string()
}

/// [`canonical_expr`]'s normalisation for a view body: also schema
/// qualifiers on tables, `AS` before aliases, a projection's alias that
/// repeats the column's own name, parenthesised joins and the trailing `;`
/// that `pg_get_viewdef` prints.
pub fn canonical_query(sql: &str) -> String {
    let text = sql.trim().trim_end_matches(';');
    let dialect = PostgreSqlDialect {};
    let Ok(mut statements) = Parser::parse_sql(&dialect, text) else {
        return collapsed(sql);
    };
    let [Statement::Query(query)] = statements.as_mut_slice() else {
        return collapsed(sql);
    };
    normalise(query.as_mut(), Mode::Compare);
    tidy_query(query);
    query.to_string()
}

/// A CHECK expression as a Cutover expression, or None when some part has
/// no faithful Cutover equivalent (a regular expression, a subquery, a
/// cast to another type than text, integer division, a function Cutover
/// lacks or defines differently).
pub fn check_to_cutover(sql: &str) -> Option<cut::Expr> {
    let mut expr = parse_expr(sql).ok()?;
    normalise(&mut expr, Mode::Translate);
    to_cutover(&expr)
}

fn parse_expr(sql: &str) -> Result<Expr, sqlparser::parser::ParserError> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(sql)?;
    let expr = parser.parse_expr()?;
    // Trailing text (`a = 1 junk`) is not an expression.
    parser.expect_token(&sqlparser::tokenizer::Token::EOF)?;
    Ok(expr)
}

fn collapsed(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

// ─────────────────────────── Normalisation ───────────────────────────

/// What [`normalise`] is for. Comparing drops every cast and spells
/// `BETWEEN` and one-item `IN` as PostgreSQL stores them; translating keeps
/// both forms (Cutover has them) and drops only casts to text, which change
/// nothing Cutover's text values would see (a cast to another type does).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Compare,
    Translate,
}

fn normalise<V: VisitMut>(node: &mut V, mode: Mode) {
    let _ = node.visit(&mut Normaliser { mode });
    // Children first, so a parent sees its operands already rewritten and
    // unwrapped; parentheses go back only where an operand is compound.
    let _ = visit_expressions_mut(node, |e| {
        parenthesise(e);
        ControlFlow::<()>::Continue(())
    });
}

struct Normaliser {
    mode: Mode,
}

impl VisitorMut for Normaliser {
    type Break = ();

    fn post_visit_ident(&mut self, ident: &mut Ident) -> ControlFlow<()> {
        fold(ident);
        ControlFlow::Continue(())
    }

    fn post_visit_relation(&mut self, name: &mut ObjectName) -> ControlFlow<()> {
        // `public.users` and `users` are one table for a reader that keeps
        // only the last part of names.
        if name.0.len() > 1 {
            name.0.drain(..name.0.len() - 1);
        }
        for part in &mut name.0 {
            if let ObjectNamePart::Identifier(i) = part {
                fold(i);
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            alias: Some(alias), ..
        } = factor
        {
            alias.explicit = true;
            fold(&mut alias.name);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let _ = rewrite(expr, self.mode);
        ControlFlow::Continue(())
    }
}

/// PostgreSQL's folding: an unquoted name is lower-cased; a quoted one that
/// is already a plain lower-case name means the same unquoted.
fn fold(ident: &mut Ident) {
    match ident.quote_style {
        None => ident.value = ident.value.to_lowercase(),
        Some('"') if is_plain(&ident.value) => ident.quote_style = None,
        Some(_) => {}
    }
}

fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Whether an expression is the string `'\\'`.
fn is_backslash(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s),
            ..
        }) if s == "\\"
    )
}

/// `like_escape(pattern, '\\')`: the index of its pattern argument.
fn default_escape_pattern(e: &Expr) -> Option<usize> {
    let Expr::Function(f) = e else { return None };
    let [ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else {
        return None;
    };
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [_, FunctionArg::Unnamed(FunctionArgExpr::Expr(escape))]
            if name.value.eq_ignore_ascii_case("like_escape") && is_backslash(escape) =>
        {
            Some(0)
        }
        _ => None,
    }
}

fn take(e: &mut Expr) -> Expr {
    std::mem::replace(e, Expr::value(Value::Null))
}

/// One node rewritten; its children are already rewritten.
fn rewrite(expr: &mut Expr, mode: Mode) -> Option<()> {
    loop {
        let next = match expr {
            Expr::Nested(inner) => take(inner),
            // The catalog prints `-1` as `'-1'::integer`: a number either way.
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } if is_numeric(data_type) && number_text(inner).is_some() => {
                Expr::value(Value::Number(number_text(inner)?, false))
            }
            Expr::Cast {
                kind: CastKind::Cast | CastKind::DoubleColon,
                expr: inner,
                data_type,
                format: None,
            } if mode == Mode::Compare || is_text(data_type) => take(inner),
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: inner,
            } => match inner.as_ref() {
                Expr::Value(ValueWithSpan {
                    value: Value::Number(n, long),
                    ..
                }) if !n.starts_with('-') => Expr::value(Value::Number(format!("-{n}"), *long)),
                _ => return Some(()),
            },
            Expr::BinaryOp { left, op, right }
                if matches!(
                    op,
                    BinaryOperator::PGLikeMatch | BinaryOperator::PGNotLikeMatch
                ) =>
            {
                Expr::Like {
                    negated: *op == BinaryOperator::PGNotLikeMatch,
                    any: false,
                    expr: Box::new(take(left)),
                    pattern: Box::new(take(right)),
                    escape_char: None,
                }
            }
            // Backslash is LIKE's default escape; PostgreSQL stores an
            // explicit `ESCAPE '\\'` (the build writes one) as
            // `~~ like_escape(pattern, '\\')`.
            Expr::Like {
                negated,
                any,
                expr: inner,
                pattern,
                escape_char,
            } if mode == Mode::Compare
                && (escape_char.as_deref().is_some_and(is_backslash)
                    || default_escape_pattern(pattern).is_some()) =>
            {
                let pattern = match default_escape_pattern(pattern) {
                    Some(index) => match pattern.as_mut() {
                        Expr::Function(f) => match &mut f.args {
                            FunctionArguments::List(list) => match &mut list.args[index] {
                                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => take(e),
                                _ => return Some(()),
                            },
                            _ => return Some(()),
                        },
                        _ => return Some(()),
                    },
                    None => take(pattern),
                };
                Expr::Like {
                    negated: *negated,
                    any: *any,
                    expr: Box::new(take(inner)),
                    pattern: Box::new(pattern),
                    escape_char: None,
                }
            }
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                right,
                ..
            } => match right.as_mut() {
                Expr::Array(array) => Expr::InList {
                    expr: Box::new(take(left)),
                    list: std::mem::take(&mut array.elem),
                    negated: false,
                },
                _ => return Some(()),
            },
            Expr::AllOp {
                left,
                compare_op: BinaryOperator::NotEq,
                right,
            } => match right.as_mut() {
                Expr::Array(array) => Expr::InList {
                    expr: Box::new(take(left)),
                    list: std::mem::take(&mut array.elem),
                    negated: true,
                },
                _ => return Some(()),
            },
            // PostgreSQL stores `x IN (a)` as `x = a`.
            Expr::InList {
                expr: inner,
                list,
                negated,
            } if mode == Mode::Compare && list.len() == 1 => Expr::BinaryOp {
                left: Box::new(take(inner)),
                op: if *negated {
                    BinaryOperator::NotEq
                } else {
                    BinaryOperator::Eq
                },
                right: Box::new(list.remove(0)),
            },
            // And `BETWEEN` as its two comparisons.
            Expr::Between {
                expr: inner,
                negated,
                low,
                high,
            } if mode == Mode::Compare => {
                let (lo_op, hi_op, join) = if *negated {
                    (BinaryOperator::Lt, BinaryOperator::Gt, BinaryOperator::Or)
                } else {
                    (
                        BinaryOperator::GtEq,
                        BinaryOperator::LtEq,
                        BinaryOperator::And,
                    )
                };
                let operand = take(inner);
                Expr::BinaryOp {
                    left: Box::new(Expr::BinaryOp {
                        left: Box::new(operand.clone()),
                        op: lo_op,
                        right: Box::new(take(low)),
                    }),
                    op: join,
                    right: Box::new(Expr::BinaryOp {
                        left: Box::new(operand),
                        op: hi_op,
                        right: Box::new(take(high)),
                    }),
                }
            }
            _ => return Some(()),
        };
        *expr = next;
    }
}

fn is_text(ty: &DataType) -> bool {
    match ty {
        DataType::Array(
            ArrayElemTypeDef::AngleBracket(t)
            | ArrayElemTypeDef::SquareBracket(t, _)
            | ArrayElemTypeDef::Parenthesis(t),
        ) => is_text(t),
        DataType::Text
        | DataType::Varchar(_)
        | DataType::CharacterVarying(_)
        | DataType::CharVarying(_)
        | DataType::Nvarchar(_)
        | DataType::String(_) => true,
        _ => false,
    }
}

/// The text of a string literal that spells a number.
fn number_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) if is_number(s) => Some(s.clone()),
        _ => None,
    }
}

fn is_numeric(ty: &DataType) -> bool {
    let name = ty.to_string().to_ascii_lowercase();
    [
        "int", "bigint", "smallint", "integer", "numeric", "decimal", "real", "double", "float",
    ]
    .iter()
    .any(|n| name.starts_with(n))
}

fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit())
}

/// Wraps the compound operands of an operator in parentheses.
fn parenthesise(expr: &mut Expr) {
    let wrap = |e: &mut Box<Expr>| {
        if !is_atomic(e) {
            let inner = take(e);
            **e = Expr::Nested(Box::new(inner));
        }
    };
    match expr {
        Expr::BinaryOp { left, right, .. } => {
            wrap(left);
            wrap(right);
        }
        Expr::UnaryOp { expr, .. }
        | Expr::IsNull(expr)
        | Expr::IsNotNull(expr)
        | Expr::IsTrue(expr)
        | Expr::IsFalse(expr)
        | Expr::IsNotTrue(expr)
        | Expr::IsNotFalse(expr)
        | Expr::InList { expr, .. } => wrap(expr),
        Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => {
            wrap(expr);
            wrap(pattern);
        }
        _ => {}
    }
}

fn is_atomic(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::Value(_)
            | Expr::Function(_)
            | Expr::Nested(_)
            | Expr::Array(_)
            | Expr::Tuple(_)
            | Expr::Case { .. }
            | Expr::Subquery(_)
            | Expr::Cast { .. }
    )
}

/// The view-body parts that are not expressions.
fn tidy_query(query: &mut Query) {
    if let SetExpr::Select(select) = query.body.as_mut() {
        for item in &mut select.projection {
            if let SelectItem::ExprWithAlias { expr, alias } = item {
                if implicit_name(expr).as_ref() == Some(&alias.value) {
                    *item = SelectItem::UnnamedExpr(take(expr));
                }
            }
        }
        for from in &mut select.from {
            flatten(from);
        }
    }
}

/// The output name a projection has without an alias.
fn implicit_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
        _ => None,
    }
}

/// `(a JOIN b) JOIN c` is `a JOIN b JOIN c`: joins group from the left, and
/// `pg_get_viewdef` parenthesises them.
fn flatten(from: &mut TableWithJoins) {
    while let TableFactor::NestedJoin {
        table_with_joins,
        alias: None,
    } = &mut from.relation
    {
        let inner = (**table_with_joins).clone();
        let mut joins = inner.joins;
        joins.append(&mut from.joins);
        from.relation = inner.relation;
        from.joins = joins;
    }
}

// ─────────────────────────── To Cutover ───────────────────────────

const S: Span = Span { start: 0, end: 0 };

/// SQL functions that Cutover has under the same name and meaning.
/// `trim` is not one: PostgreSQL's trims spaces only, Cutover's all six
/// ASCII whitespace characters; nor is `round`, which PostgreSQL rounds
/// half to even on floats.
const SAME_FUNCTIONS: [&str; 11] = [
    "length",
    "lower",
    "upper",
    "abs",
    "coalesce",
    "nullif",
    "replace",
    "substr",
    "lpad",
    "rpad",
    "split_part",
];

fn node(kind: cut::ExprKind) -> cut::Expr {
    cut::Expr { kind, span: S }
}

fn boxed(e: &Expr) -> Option<Box<cut::Expr>> {
    to_cutover(e).map(Box::new)
}

fn to_cutover(e: &Expr) -> Option<cut::Expr> {
    use cut::ExprKind as K;
    let kind = match e {
        Expr::Nested(inner) => return to_cutover(inner),
        Expr::Identifier(i) => K::Path(vec![ident(i)]),
        Expr::CompoundIdentifier(parts) => K::Path(parts.iter().map(ident).collect()),
        Expr::Value(v) => K::Literal(literal(&v.value)?),
        Expr::UnaryOp { op, expr } => K::Unary {
            op: match op {
                UnaryOperator::Not => cut::UnaryOp::Not,
                UnaryOperator::Minus => cut::UnaryOp::Neg,
                UnaryOperator::Plus => return to_cutover(expr),
                _ => return None,
            },
            operand: boxed(expr)?,
        },
        Expr::BinaryOp { left, op, right } => K::Binary {
            op: binary(op)?,
            lhs: boxed(left)?,
            rhs: boxed(right)?,
        },
        Expr::IsNull(inner) | Expr::IsNotNull(inner) => K::IsNull {
            operand: boxed(inner)?,
            negated: matches!(e, Expr::IsNotNull(_)),
        },
        Expr::Like {
            negated,
            any: false,
            expr,
            pattern,
            escape_char: None,
        } => {
            let like = node(K::Binary {
                op: cut::BinaryOp::Like,
                lhs: boxed(expr)?,
                rhs: boxed(pattern)?,
            });
            if *negated {
                K::Unary {
                    op: cut::UnaryOp::Not,
                    operand: Box::new(like),
                }
            } else {
                return Some(like);
            }
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => K::In {
            operand: boxed(expr)?,
            list: list.iter().map(to_cutover).collect::<Option<_>>()?,
            negated: *negated,
        },
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => K::Between {
            operand: boxed(expr)?,
            low: boxed(low)?,
            high: boxed(high)?,
            negated: *negated,
        },
        Expr::Function(f) => {
            let [ObjectNamePart::Identifier(name)] = f.name.0.as_slice() else {
                return None;
            };
            let name = name.value.to_lowercase();
            let name = match name.as_str() {
                "char_length" | "character_length" => "length".to_owned(),
                "substring" => "substr".to_owned(),
                _ => name,
            };
            if !SAME_FUNCTIONS.contains(&name.as_str())
                || f.filter.is_some()
                || f.over.is_some()
                || !f.within_group.is_empty()
                || !matches!(f.parameters, FunctionArguments::None)
            {
                return None;
            }
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return None;
            }
            let args = list
                .args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => to_cutover(e),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            K::Call {
                name: cut::Ident { name, span: S },
                args,
            }
        }
        Expr::Substring {
            expr,
            substring_from: Some(from),
            substring_for: Some(len),
            ..
        } => K::Call {
            name: cut::Ident {
                name: "substr".to_owned(),
                span: S,
            },
            args: vec![to_cutover(expr)?, to_cutover(from)?, to_cutover(len)?],
        },
        _ => return None,
    };
    Some(node(kind))
}

fn ident(i: &Ident) -> cut::Ident {
    cut::Ident {
        name: i.value.clone(),
        span: S,
    }
}

fn literal(v: &Value) -> Option<cut::Literal> {
    Some(match v {
        Value::SingleQuotedString(s) => cut::Literal::Str(s.clone()),
        Value::Boolean(b) => cut::Literal::Bool(*b),
        Value::Null => cut::Literal::Null,
        Value::Number(n, false) => match n.parse::<i64>() {
            Ok(i) => cut::Literal::Integer(i),
            // Cutover's decimals are digits with one point, no exponent.
            Err(_) if is_number(n) && n.contains('.') => cut::Literal::Decimal(n.clone()),
            Err(_) => return None,
        },
        _ => return None,
    })
}

fn binary(op: &BinaryOperator) -> Option<cut::BinaryOp> {
    use cut::BinaryOp as B;
    Some(match op {
        BinaryOperator::Or => B::Or,
        BinaryOperator::And => B::And,
        BinaryOperator::Eq => B::Eq,
        BinaryOperator::NotEq => B::Ne,
        BinaryOperator::Lt => B::Lt,
        BinaryOperator::LtEq => B::Le,
        BinaryOperator::Gt => B::Gt,
        BinaryOperator::GtEq => B::Ge,
        BinaryOperator::StringConcat => B::Concat,
        BinaryOperator::Plus => B::Add,
        BinaryOperator::Minus => B::Sub,
        BinaryOperator::Multiply => B::Mul,
        BinaryOperator::Modulo => B::Rem,
        // SQL divides integers with truncation; Cutover never does.
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
