//! The body of a map's row function, `map_<name>(row, now)`: every
//! assignment's code inline, then the conversion into its column's type,
//! then what a failure gives (a rejection, the `else`, or the column's
//! default for a NULL), exactly as the evaluator's `target_row` and as
//! `engine.reference_row` does through the functions of the assignments.
//! Inline because a call per column is most of the cost of a row in
//! CPython; the generated example tests run both and compare them.

use crate::expr::{call_lines_then, string, ty, width, Block, Code, Py, Rows, Unsupported, LINE};
use cutover_ir::{Builtin, Expr, ExprKind, Func, TypeKind};

/// Where the value of one target column comes from.
pub struct Column<'e> {
    /// The Python local holding the value.
    pub local: String,
    pub name: String,
    pub kind: TypeKind,
    pub not_null: bool,
    pub rule: Option<String>,
    pub fill: Fill<'e>,
}

impl<'e> Column<'e> {
    /// The value of target column `col` in local `local`.
    pub fn new(
        local: String,
        col: &cutover_ir::Column,
        rule: Option<String>,
        fill: Fill<'e>,
    ) -> Column<'e> {
        Column {
            local,
            name: col.name.clone(),
            kind: col.ty.kind,
            not_null: !col.ty.nullable,
            rule,
            fill,
        }
    }
}

pub enum Fill<'e> {
    /// An assignment, and what its failure gives.
    Assign {
        expr: &'e Expr,
        on_failure: OnFail<'e>,
    },
    /// The column's default, for a column no assignment sets.
    Default(&'e Expr),
}

pub enum OnFail<'e> {
    /// A rejection naming the column and the failure.
    Reject,
    /// `else reject "reason"`.
    RejectWith(&'e str),
    /// `else <expr>`.
    Otherwise(&'e Expr),
    /// The column's default fills a NULL (the column is not null).
    Default(&'e Expr),
}

/// The statements that set `c.local`, at `b`'s depth.
pub fn column(
    py: &Py<'_>,
    b: &mut Block,
    c: &Column<'_>,
    rows: Rows<'_>,
) -> Result<(), Unsupported> {
    py.reset_temps();
    let rule = c
        .rule
        .as_deref()
        .map(string)
        .unwrap_or_else(|| "None".into());
    let name = string(&c.name);
    let x = &c.local;
    let is_default = matches!(c.fill, Fill::Default(_));
    // `raise _failed(rule, "column", what)`, `what` the failure `f` or
    // `_NOT_NULL`; after `f`, ` from None`.
    let failed = |b: &mut Block, what: &str| {
        let mut args = vec![rule.clone(), name.clone(), what.to_string()];
        if is_default {
            args.push("default=True".into());
        }
        let tail = if what == "f" { " from None" } else { "" };
        call_lines_then(b, "raise ", "_failed", &args, tail);
    };
    let if_null = |b: &mut Block, then: &mut dyn FnMut(&mut Block) -> Result<(), Unsupported>| {
        b.push(format!("if {x} is None:"));
        let mut inner = b.nested();
        let r = then(&mut inner);
        b.append(inner);
        r
    };
    match &c.fill {
        Fill::Default(d) => {
            value(py, b, c, d, rows, "except rt.Fail as f:", &|b| {
                failed(b, "f")
            })?;
            if c.not_null {
                if_null(b, &mut |b| {
                    failed(b, "_NOT_NULL");
                    Ok(())
                })?;
            }
        }
        Fill::Assign { expr, on_failure } => match on_failure {
            OnFail::Reject | OnFail::Default(_) => {
                value(py, b, c, expr, rows, "except rt.Fail as f:", &|b| {
                    failed(b, "f")
                })?;
                if c.not_null {
                    if_null(b, &mut |b| {
                        if let OnFail::Default(d) = on_failure {
                            py.reset_temps();
                            value(py, b, c, d, rows, "except rt.Fail as f:", &|b| {
                                failed(b, "f")
                            })?;
                            if_null(b, &mut |b| {
                                failed(b, "_NOT_NULL");
                                Ok(())
                            })
                        } else {
                            failed(b, "_NOT_NULL");
                            Ok(())
                        }
                    })?;
                }
            }
            OnFail::RejectWith(reason) => {
                let reject = |b: &mut Block, tail: &str| {
                    let args = [rule.clone(), name.clone(), string(reason)];
                    call_lines_then(b, "raise ", "Reject", &args, tail);
                };
                value(py, b, c, expr, rows, "except rt.Fail:", &|b| {
                    reject(b, " from None")
                })?;
                if c.not_null {
                    if_null(b, &mut |b| {
                        reject(b, "");
                        Ok(())
                    })?;
                }
            }
            OnFail::Otherwise(otherwise) if date_or_null(py, b, c, expr, otherwise, rows)? => {}
            OnFail::Otherwise(otherwise) => {
                // A NULL in a not-null column falls to the `else` too.
                let mut first = b.nested();
                compute(py, &mut first, c, expr, rows)?;
                if c.not_null {
                    first.push(format!("if {x} is None:"));
                    first.push("    raise rt.Fail(_NOT_NULL)");
                }
                b.push("try:");
                b.append(first);
                b.push("except rt.Fail:");
                let mut inner = b.nested();
                py.reset_temps();
                value(
                    py,
                    &mut inner,
                    c,
                    otherwise,
                    rows,
                    "except rt.Fail as f:",
                    &|b| failed(b, "f"),
                )?;
                if c.not_null {
                    if_null(&mut inner, &mut |b| {
                        failed(b, "_NOT_NULL");
                        Ok(())
                    })?;
                }
                b.append(inner);
            }
        },
    }
    Ok(())
}

/// `date = parse_date(text, format) else null` into a nullable date
/// column, the commonest way a migration reads a legacy date, as one call
/// that returns NULL instead of raising: written when the arguments are
/// plain reads or constants.
fn date_or_null(
    py: &Py<'_>,
    b: &mut Block,
    c: &Column<'_>,
    e: &Expr,
    otherwise: &Expr,
    rows: Rows<'_>,
) -> Result<bool, Unsupported> {
    let ExprKind::Call {
        func: Func::Builtin(Builtin::ParseDate),
        args,
    } = &e.kind
    else {
        return Ok(false);
    };
    let fits = otherwise.ty.kind == TypeKind::Null
        && !c.not_null
        && c.kind == TypeKind::Date
        && args.len() == 2
        && args.iter().all(|a| a.ty.kind.is_text());
    if !fits {
        return Ok(false);
    }
    let mut scratch = b.nested();
    let mut parts = Vec::new();
    for a in args {
        let code = py.expr(a, rows, &mut scratch)?;
        if !code.atom || !scratch.lines.is_empty() {
            return Ok(false);
        }
        parts.push(code.text);
    }
    let code = Code {
        text: format!("rt.parse_date_or_null({})", parts.join(", ")),
        atom: false,
        bare: false,
    };
    set(b, &c.local, &code);
    Ok(true)
}

/// `x = <e>` converted to the column's type, in a `try` whose `handler`
/// runs `failed` — or without one when nothing can fail: a row read or a
/// constant already of the column's type.
fn value(
    py: &Py<'_>,
    b: &mut Block,
    c: &Column<'_>,
    e: &Expr,
    rows: Rows<'_>,
    handler: &str,
    failed: &dyn Fn(&mut Block),
) -> Result<(), Unsupported> {
    let mut inner = b.nested();
    let code = py.expr(e, rows, &mut inner)?;
    let nothing = matches!(conversion(c.kind, e.ty.kind), Conversion::Nothing);
    if code.atom && inner.lines.is_empty() && nothing {
        set(b, &c.local, &code);
        return Ok(());
    }
    set(&mut inner, &c.local, &code);
    convert(&mut inner, &c.local, c.kind, e.ty.kind);
    b.push("try:");
    b.append(inner);
    b.push(handler);
    b.within(|b| failed(b));
    Ok(())
}

/// `x = <e>` and its conversion, with no `try` of its own.
fn compute(
    py: &Py<'_>,
    b: &mut Block,
    c: &Column<'_>,
    e: &Expr,
    rows: Rows<'_>,
) -> Result<(), Unsupported> {
    let code = py.expr(e, rows, b)?;
    set(b, &c.local, &code);
    convert(b, &c.local, c.kind, e.ty.kind);
    Ok(())
}

/// `local = value`, through a temporary when the line would be too long.
fn set(b: &mut Block, local: &str, value: &Code) {
    let line = format!("{local} = {}", value.text);
    if width(&line) + b.depth * 4 <= LINE {
        b.push(line);
    } else {
        b.push(format!("t = {}", value.text));
        b.push(format!("{local} = t"));
    }
}

/// What a value of static type `from` needs to become one of the column's
/// type `to`.
enum Conversion {
    /// Nothing: the runtime keeps every value in its type's Python form (a
    /// uuid is a UUID, a timestamp a naive datetime, a text a str).
    Nothing,
    /// A text whose length is checked.
    Length(u32),
    /// An integer whose range is checked: `_INT` and the like.
    Range(&'static str),
    Cast,
}

fn conversion(to: TypeKind, from: TypeKind) -> Conversion {
    use TypeKind::*;
    match (to, from) {
        (_, Null) => Conversion::Nothing,
        (Text, f) if f.is_text() => Conversion::Nothing,
        (Varchar(n) | Char(n), f) if f.is_text() => Conversion::Length(n),
        (SmallInt, f) if f.is_integer() => Conversion::Range("_SMALLINT"),
        (Int, f) if f.is_integer() => Conversion::Range("_INT"),
        (BigInt, f) if f.is_integer() => Conversion::Range("_BIGINT"),
        (Float | Bool | Date | Time | Timestamp | Timestamptz | Uuid | Json | Bytes, f)
            if f == to =>
        {
            Conversion::Nothing
        }
        _ => Conversion::Cast,
    }
}

fn convert(b: &mut Block, x: &str, to: TypeKind, from: TypeKind) {
    let args = [x.to_string(), ty(to)];
    let lead = format!("{x} = ");
    // Out of range or too long fails in the cast, with its message.
    let check = match conversion(to, from) {
        Conversion::Nothing => return,
        Conversion::Length(n) => format!("if {x} is not None and len({x}) > {n}:"),
        Conversion::Range(range) => format!("if {x} is not None and {x} not in {range}:"),
        Conversion::Cast => String::new(),
    };
    if !check.is_empty() && width(&check) + b.depth * 4 <= LINE {
        b.push(check);
        b.within(|b| call_lines_then(b, &lead, "rt.cast", &args, ""));
    } else {
        call_lines_then(b, &lead, "rt.cast", &args, "");
    }
}
