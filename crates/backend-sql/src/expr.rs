//! Typed IR expressions compiled to SQL.
//!
//! Only what the schema needs so far: column and table `check`s and column
//! defaults (literals, columns, comparisons, logic, `in`, `between`, `like`,
//! `is null`, arithmetic, `length`, `now()`). A construct not compiled yet
//! is an [`Unsupported`] error naming it, never wrong SQL.

use crate::dialect::Dialect;
use cutover_ir::{BinaryOp, Builtin, ColumnId, Const, Expr, ExprKind, Func, Ir, TypeKind, UnaryOp};

/// A construct this backend cannot compile (yet, or in this dialect).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// Compiles expressions for one dialect; `column` names a column reference.
pub struct SqlExpr<'a> {
    pub ir: &'a Ir,
    pub dialect: &'a dyn Dialect,
    pub column: &'a dyn Fn(u32, ColumnId) -> String,
}

type Sql = Result<String, Unsupported>;

impl SqlExpr<'_> {
    pub fn compile(&self, e: &Expr) -> Sql {
        let d = self.dialect;
        Ok(match &e.kind {
            ExprKind::Literal(c) => self.literal(c, e.ty.kind),
            ExprKind::Column { source, column } => (self.column)(*source, *column),
            ExprKind::Unary { op, operand } => {
                let x = self.compile(operand)?;
                match op {
                    UnaryOp::Not => format!("(NOT {x})"),
                    UnaryOp::Neg => format!("(-{})", self.number(operand, x)),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs)?,
            ExprKind::IsNull { operand, negated } => format!(
                "({} IS {}NULL)",
                self.compile(operand)?,
                if *negated { "NOT " } else { "" }
            ),
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => format!(
                "({} {}BETWEEN {} AND {})",
                self.operand(operand)?,
                if *negated { "NOT " } else { "" },
                self.operand(low)?,
                self.operand(high)?
            ),
            ExprKind::In {
                operand,
                list,
                negated,
            } => {
                let items = list
                    .iter()
                    .map(|i| self.operand(i))
                    .collect::<Result<Vec<_>, _>>()?;
                format!(
                    "({} {}IN ({}))",
                    self.operand(operand)?,
                    if *negated { "NOT " } else { "" },
                    items.join(", ")
                )
            }
            ExprKind::Call {
                func: Func::Builtin(Builtin::Length),
                args,
            } => match args.as_slice() {
                [a] => format!("length({})", self.compile(a)?),
                _ => return Err(Unsupported("length with other than one argument".into())),
            },
            ExprKind::Call {
                func: Func::Builtin(Builtin::Now),
                ..
            } => d.now().to_owned(),
            ExprKind::Call { func, .. } => {
                let name = match func {
                    Func::Builtin(b) => b.name().to_owned(),
                    Func::User(f) => self.ir.func(*f).name.clone(),
                };
                return Err(Unsupported(format!("`{name}` in SQL")));
            }
            other => {
                let what = match other {
                    ExprKind::Lookup { .. } => "a lookup",
                    ExprKind::Ref { .. } => "`ref`",
                    ExprKind::Cast { .. } => "`cast`",
                    ExprKind::Case { .. } | ExprKind::If { .. } => "`case`/`if`",
                    ExprKind::Param(_) => "a parameter",
                    _ => "this expression",
                };
                return Err(Unsupported(format!("{what} in SQL")));
            }
        })
    }

    /// A literal in the column representation of its type.
    pub fn literal(&self, c: &Const, kind: TypeKind) -> String {
        let d = self.dialect;
        match c {
            Const::Null => "NULL".into(),
            Const::Int(i) => i.to_string(),
            Const::Decimal(x) => x.clone(),
            Const::Bool(b) => match d.name() {
                "sqlite" => (if *b { "1" } else { "0" }).into(),
                _ => (if *b { "TRUE" } else { "FALSE" }).into(),
            },
            Const::Text(s) => {
                // A string literal of another type (a date, a uuid) is
                // written in that type's canonical text form.
                let text = if kind.is_text() {
                    s.clone()
                } else {
                    cutover_eval::Value::Text(s.clone())
                        .cast(kind)
                        .ok()
                        .and_then(|v| v.to_text())
                        .unwrap_or_else(|| s.clone())
                };
                let lit = d.text(&text);
                match (d.name(), kind) {
                    ("postgres", k) if !k.is_text() && k != TypeKind::Null => {
                        format!("CAST({lit} AS {})", d.column_type(k))
                    }
                    _ => lit,
                }
            }
        }
    }

    /// An operand of a comparison or arithmetic: exact decimals, stored as
    /// text in SQLite, compare as numbers there.
    fn operand(&self, e: &Expr) -> Sql {
        let x = self.compile(e)?;
        Ok(self.number(e, x))
    }

    fn number(&self, e: &Expr, sql: String) -> String {
        match (self.dialect.name(), e.ty.kind) {
            ("sqlite", TypeKind::Decimal { .. }) => format!("CAST({sql} AS REAL)"),
            _ => sql,
        }
    }

    fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Sql {
        let sym = match op {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Like => "LIKE",
            BinaryOp::Concat => "||",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div | BinaryOp::Rem => {
                return Err(Unsupported(format!("`{}` in SQL", op.symbol())))
            }
        };
        let (l, r) = if matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Concat) {
            (self.compile(lhs)?, self.compile(rhs)?)
        } else {
            (self.operand(lhs)?, self.operand(rhs)?)
        };
        // `like` is case-sensitive with `\` as escape in every dialect
        // (docs/functions.md); SQLite needs both spelled out.
        if op == BinaryOp::Like {
            return match self.dialect.name() {
                // SQLite's LIKE ignores ASCII case; GLOB does not, so a
                // literal pattern is translated to a GLOB pattern.
                "sqlite" => match &rhs.kind {
                    ExprKind::Literal(Const::Text(p)) => Ok(format!(
                        "({l} GLOB {})",
                        self.dialect.text(&like_to_glob(p))
                    )),
                    _ => Err(Unsupported(
                        "`like` with a pattern that is not a literal, in SQLite".into(),
                    )),
                },
                _ => Ok(format!("({l} LIKE {r} ESCAPE '\\')")),
            };
        }
        Ok(format!("({l} {sym} {r})"))
    }
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

#[cfg(test)]
mod tests {
    use super::like_to_glob;

    #[test]
    fn like_patterns_become_glob_patterns() {
        assert_eq!(like_to_glob("s3://bucket/%"), "s3://bucket/*");
        assert_eq!(like_to_glob("a_c"), "a?c");
        assert_eq!(like_to_glob("50\\%*[x"), "50%[*][[]x");
    }
}
