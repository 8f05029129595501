//! Cutover's SQLite functions: the reference evaluator's own code,
//! registered on a [`rusqlite::Connection`].
//!
//! SQLite lacks much of what docs/functions.md specifies: Unicode
//! `upper`/`lower`, `lpad`, `uuid_v5`, time zones, exact decimals,
//! range-checked integers, failure messages. The SQL backend
//! (`cutover-backend-sql`, `sqlite.rs`) therefore emits calls to
//! application-defined functions for those operations, and this crate
//! implements them by calling `cutover-eval` directly, so the embedded
//! rehearsal and the backend's tests compute exactly what the evaluator
//! computes, by construction.
//!
//! Values travel in the SQLite column representation (docs/functions.md,
//! "Backend notes / SQLite"): integers and bools as INTEGER, floats as
//! REAL, bytes as BLOB, everything else as TEXT in its canonical text form.
//!
//! Registered functions (all deterministic, UTF-8):
//!
//! - `cutover_fn(sig, args…)`: evaluates the operation `sig`
//!   (`name:type1;type2->result`, e.g. `lpad:varchar(5);int;text->varchar(3)`)
//!   on the arguments; NULL when evaluation fails.
//! - `cutover_fn_error(sig, args…)`: the failure message of the same
//!   evaluation, or NULL when it does not fail.
//! - `cutover_quote(x)`: a text as a spec literal (`"a\"b"`).
//! - `cutover_sum(x, type)`, `cutover_sum_error(x, type)`: the evaluator's
//!   `sum` into `type` (the result type), and its failure message.
//! - `cutover_min(x, type)`, `cutover_max(x, type)`: the evaluator's `min`
//!   and `max` of values of `type` (decimals compare by value).
//!
//! A malformed signature or an argument that does not decode as its
//! declared type is an SQL error: it means the generated SQL has a bug.

use chrono::NaiveDateTime;
use cutover_eval::decimal::Decimal;
use cutover_eval::value::{compare, int_range, quote};
use cutover_eval::{arith, Fail, Value};
use cutover_ir::types::MAX_DECIMAL_PRECISION;
use cutover_ir::{BinaryOp, Builtin, TypeKind};
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, Error, Result};
use std::cmp::Ordering;

/// Registers Cutover's SQLite functions on `conn`.
pub fn register(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("cutover_fn", -1, flags, |ctx| {
        Ok(match run(ctx)? {
            Ok(v) => encode(v),
            Err(_) => SqlValue::Null,
        })
    })?;
    conn.create_scalar_function("cutover_fn_error", -1, flags, |ctx| {
        Ok(match run(ctx)? {
            Ok(_) => SqlValue::Null,
            Err(f) => SqlValue::Text(f.0),
        })
    })?;
    conn.create_scalar_function("cutover_quote", 1, flags, |ctx| quote_value(ctx.get_raw(0)))?;
    conn.create_aggregate_function("cutover_sum", 2, flags, Sum { error: false })?;
    conn.create_aggregate_function("cutover_sum_error", 2, flags, Sum { error: true })?;
    conn.create_aggregate_function("cutover_min", 2, flags, Extreme { max: false })?;
    conn.create_aggregate_function("cutover_max", 2, flags, Extreme { max: true })?;
    conn.create_aggregate_function("cutover_digest_sum", 1, flags, DigestSum)?;
    Ok(())
}

/// The type a name written as [`TypeKind`]'s `Display` writes it
/// (`int`, `decimal(10,2)`, `varchar(20)`, …); `None` for anything else.
pub fn parse_type(s: &str) -> Option<TypeKind> {
    use TypeKind::*;
    let kind = match s {
        "smallint" => SmallInt,
        "int" => Int,
        "bigint" => BigInt,
        "float" => Float,
        "bool" => Bool,
        "text" => Text,
        "date" => Date,
        "time" => Time,
        "timestamp" => Timestamp,
        "timestamptz" => Timestamptz,
        "uuid" => Uuid,
        "json" => Json,
        "bytes" => Bytes,
        "null" => Null,
        _ => {
            let (name, inner) = s.strip_suffix(')')?.split_once('(')?;
            match name {
                "decimal" => {
                    let (p, sc) = inner.split_once(',')?;
                    let (precision, scale): (u8, u8) = (p.parse().ok()?, sc.parse().ok()?);
                    if scale > precision || u32::from(precision) > MAX_DECIMAL_PRECISION {
                        return None;
                    }
                    Decimal { precision, scale }
                }
                "varchar" => Varchar(inner.parse().ok()?),
                "char" => Char(inner.parse().ok()?),
                _ => return None,
            }
        }
    };
    // Exactly the inverse of `Display`: no `+5`, `007` or spaces.
    (kind.to_string() == s).then_some(kind)
}

/// What a `cutover_fn` signature asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Builtin(Builtin),
    Cast,
    Compare,
    Arith(BinaryOp),
    Neg,
}

/// A parsed `name:type1;type2->result`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Signature {
    op: Operation,
    args: Vec<TypeKind>,
    result: TypeKind,
}

fn parse_signature(sig: &str) -> std::result::Result<Signature, String> {
    let bad = |why: &str| format!("cutover_fn: bad signature {sig:?}: {why}");
    let (name, rest) = sig.split_once(':').ok_or_else(|| bad("no `:`"))?;
    let (params, result) = rest.rsplit_once("->").ok_or_else(|| bad("no `->`"))?;
    let result = parse_type(result).ok_or_else(|| bad("unknown result type"))?;
    let args = if params.is_empty() {
        Vec::new()
    } else {
        params
            .split(';')
            .map(|p| parse_type(p).ok_or_else(|| bad(&format!("unknown type {p:?}"))))
            .collect::<std::result::Result<Vec<_>, _>>()?
    };
    let (op, arity) = match name {
        "cast" => (Operation::Cast, Some(1)),
        "compare" => (Operation::Compare, Some(2)),
        "neg" => (Operation::Neg, Some(1)),
        "+" => (Operation::Arith(BinaryOp::Add), Some(2)),
        "-" => (Operation::Arith(BinaryOp::Sub), Some(2)),
        "*" => (Operation::Arith(BinaryOp::Mul), Some(2)),
        "/" => (Operation::Arith(BinaryOp::Div), Some(2)),
        "%" => (Operation::Arith(BinaryOp::Rem), Some(2)),
        _ => {
            let b = Builtin::ALL
                .into_iter()
                .find(|b| b.name() == name)
                .ok_or_else(|| bad("unknown function"))?;
            // Aggregates have their own functions; `now` is not
            // deterministic and the backend never registers it.
            if b.is_aggregate() || !b.is_deterministic() {
                return Err(bad("not a registered scalar function"));
            }
            (Operation::Builtin(b), None)
        }
    };
    if arity.is_some_and(|n| n != args.len()) {
        return Err(bad("wrong number of argument types"));
    }
    Ok(Signature { op, args, result })
}

fn bug(message: String) -> Error {
    Error::UserFunctionError(message.into())
}

/// The evaluation `cutover_fn` and `cutover_fn_error` share: the outer
/// error is an SQL error (a bug in the generated SQL), the inner one the
/// evaluator's failure.
fn run(ctx: &Context<'_>) -> Result<std::result::Result<Value, Fail>> {
    if ctx.is_empty() {
        return Err(bug("cutover_fn needs a signature".into()));
    }
    // Cached by SQLite while the signature is a constant of the statement.
    let sig = ctx.get_or_create_aux(0, |v| match v {
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => parse_signature(s),
            Err(_) => Err("cutover_fn: the signature is not UTF-8".to_owned()),
        },
        _ => Err("cutover_fn: the signature must be text".to_owned()),
    })?;
    if ctx.len() - 1 != sig.args.len() {
        return Err(bug(format!(
            "cutover_fn: {} arguments for a signature of {}",
            ctx.len() - 1,
            sig.args.len()
        )));
    }
    let mut values = Vec::with_capacity(sig.args.len());
    for (i, kind) in sig.args.iter().enumerate() {
        let v = decode(ctx.get_raw(i + 1), *kind)
            .map_err(|m| bug(format!("cutover_fn: argument {}: {m}", i + 1)))?;
        values.push(v);
    }
    Ok(evaluate(&sig, values))
}

/// The clock `functions::call` takes; no registered function reads it
/// (`now` is refused when the signature is parsed).
const NOW: NaiveDateTime = NaiveDateTime::MIN;

fn evaluate(sig: &Signature, values: Vec<Value>) -> std::result::Result<Value, Fail> {
    if let Operation::Builtin(b) = sig.op {
        return cutover_eval::functions::call(b, &values, sig.result, NOW);
    }
    let mut it = values.into_iter();
    let a = it.next().unwrap_or(Value::Null);
    let b = it.next().unwrap_or(Value::Null);
    match sig.op {
        Operation::Cast => a.cast(sig.result),
        Operation::Compare => Ok(match compare(&a, &b) {
            Some(Ordering::Less) => Value::Int(-1),
            Some(Ordering::Equal) => Value::Int(0),
            Some(Ordering::Greater) => Value::Int(1),
            None => Value::Null,
        }),
        Operation::Arith(op) => {
            if a.is_null() || b.is_null() {
                Ok(Value::Null)
            } else {
                arith(op, a, b, sig.result)
            }
        }
        Operation::Neg => negate(a, sig.result),
        Operation::Builtin(_) => Ok(Value::Null),
    }
}

/// Unary minus, as the evaluator's `ExprKind::Unary` computes it.
fn negate(v: Value, kind: TypeKind) -> std::result::Result<Value, Fail> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Int(i) => match i.checked_neg() {
            Some(n) => check_int(n, kind),
            None => Err(Fail(format!("-({i}) is out of range for {kind}"))),
        },
        Value::Decimal(d) => Ok(Value::Decimal(d.negate())),
        Value::Float(x) => Ok(Value::Float(-x)),
        other => Err(Fail(format!("cannot apply Neg to {}", other.display()))),
    }
}

/// `cutover_eval::value::check_int`, which is crate-private there.
fn check_int(i: i64, kind: TypeKind) -> std::result::Result<Value, Fail> {
    let (lo, hi) = int_range(kind);
    if (lo..=hi).contains(&i) {
        Ok(Value::Int(i))
    } else {
        Err(Fail(format!("{i} is out of range for {kind}")))
    }
}

fn utf8(t: &[u8]) -> std::result::Result<&str, String> {
    std::str::from_utf8(t).map_err(|_| "text that is not UTF-8".to_owned())
}

/// An SQLite value stored for a column of type `kind`, as the evaluator's
/// value.
fn decode(v: ValueRef<'_>, kind: TypeKind) -> std::result::Result<Value, String> {
    let bad = |f: Fail| format!("not a {kind}: {}", f.0);
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => match kind {
            TypeKind::Bool => Value::Bool(i != 0),
            k if k.is_integer() => Value::Int(i),
            TypeKind::Float => Value::Float(i as f64),
            _ => Value::Int(i).cast(kind).map_err(bad)?,
        },
        ValueRef::Real(x) if !x.is_finite() => return Err(format!("the float {x} is not finite")),
        ValueRef::Real(x) => match kind {
            TypeKind::Float => Value::Float(x),
            _ => Value::Float(x).cast(kind).map_err(bad)?,
        },
        ValueRef::Text(t) => {
            let s = utf8(t)?.to_owned();
            if kind.is_text() {
                Value::Text(s)
            } else if let (TypeKind::Decimal { .. }, Some(d)) = (kind, Decimal::parse(&s, None)) {
                // A decimal as stored or computed, with its own scale: a
                // value may exceed its static type (`round` to tens carries
                // past the precision), and the store that follows says so,
                // as the evaluator does.
                Value::Decimal(d)
            } else {
                Value::Text(s).cast(kind).map_err(bad)?
            }
        }
        ValueRef::Blob(b) => match kind {
            TypeKind::Bytes => Value::Bytes(b.to_vec()),
            _ => Value::Bytes(b.to_vec()).cast(kind).map_err(bad)?,
        },
    })
}

/// A value in the SQLite column representation.
fn encode(v: Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Int(i) => SqlValue::Integer(i),
        Value::Bool(b) => SqlValue::Integer(i64::from(b)),
        Value::Float(x) => SqlValue::Real(x),
        Value::Bytes(b) => SqlValue::Blob(b),
        other => other.to_text().map_or(SqlValue::Null, SqlValue::Text),
    }
}

/// `cutover_quote`: text as a spec literal. Other storage classes are
/// shown as `Value::display` shows the type stored in them (an integer or
/// a float unquoted, bytes as `"\x…"`).
fn quote_value(v: ValueRef<'_>) -> std::result::Result<SqlValue, Error> {
    Ok(match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Text(t) => SqlValue::Text(quote(
            utf8(t).map_err(|m| bug(format!("cutover_quote: {m}")))?,
        )),
        ValueRef::Integer(i) => SqlValue::Text(Value::Int(i).display()),
        ValueRef::Real(x) => SqlValue::Text(Value::Float(x).display()),
        ValueRef::Blob(b) => SqlValue::Text(Value::Bytes(b.to_vec()).display()),
    })
}

/// The `type` argument of an aggregate.
fn aggregate_type(ctx: &Context<'_>, function: &str) -> Result<TypeKind> {
    match ctx.get_raw(1) {
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(parse_type)
            .ok_or_else(|| {
                bug(format!(
                    "{function}: unknown type {:?}",
                    String::from_utf8_lossy(t)
                ))
            }),
        _ => Err(bug(format!("{function}: the type must be text"))),
    }
}

/// `cutover_sum` (`error: false`) and `cutover_sum_error` (`error: true`).
struct Sum {
    error: bool,
}

/// The running sum and the first failure, after which values are skipped.
#[derive(Default)]
struct SumState {
    acc: Option<Value>,
    fail: Option<Fail>,
}

impl Sum {
    fn name(&self) -> &'static str {
        if self.error {
            "cutover_sum_error"
        } else {
            "cutover_sum"
        }
    }
}

impl Aggregate<SumState, SqlValue> for Sum {
    fn init(&self, _: &mut Context<'_>) -> Result<SumState> {
        Ok(SumState::default())
    }

    /// The evaluator's `sum`: NULLs skipped, each value cast to the result
    /// type, then added in the result type.
    fn step(&self, ctx: &mut Context<'_>, state: &mut SumState) -> Result<()> {
        let result = aggregate_type(ctx, self.name())?;
        if state.fail.is_some() {
            return Ok(());
        }
        // The storage class says what the input was: integers and floats
        // as themselves, decimals as canonical text (at their own scale).
        let v = match ctx.get_raw(0) {
            ValueRef::Null => return Ok(()),
            ValueRef::Integer(i) => Value::Int(i),
            ValueRef::Real(x) => Value::Float(x),
            ValueRef::Text(t) => {
                let s = utf8(t).map_err(|m| bug(format!("{}: {m}", self.name())))?;
                match Decimal::parse(s, None) {
                    Some(d) => Value::Decimal(d),
                    None => {
                        return Err(bug(format!(
                            "{}: {} is not a decimal",
                            self.name(),
                            quote(s)
                        )))
                    }
                }
            }
            ValueRef::Blob(_) => {
                return Err(bug(format!("{}: cannot sum bytes", self.name())));
            }
        };
        let summed = v.cast(result).and_then(|v| match state.acc.take() {
            None => Ok(v),
            Some(acc) => arith(BinaryOp::Add, acc, v, result),
        });
        match summed {
            Ok(v) => state.acc = Some(v),
            Err(f) => state.fail = Some(f),
        }
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, state: Option<SumState>) -> Result<SqlValue> {
        let state = state.unwrap_or_default();
        Ok(match (self.error, state.fail) {
            (true, Some(f)) => SqlValue::Text(f.0),
            (true, None) | (false, Some(_)) => SqlValue::Null,
            (false, None) => state.acc.map_or(SqlValue::Null, encode),
        })
    }
}

/// `cutover_min` (`max: false`) and `cutover_max` (`max: true`).
struct Extreme {
    max: bool,
}

impl Extreme {
    fn name(&self) -> &'static str {
        if self.max {
            "cutover_max"
        } else {
            "cutover_min"
        }
    }
}

impl Aggregate<Option<Value>, SqlValue> for Extreme {
    fn init(&self, _: &mut Context<'_>) -> Result<Option<Value>> {
        Ok(None)
    }

    /// The evaluator's `min`/`max`: NULLs skipped, the first of equal
    /// values kept.
    fn step(&self, ctx: &mut Context<'_>, best: &mut Option<Value>) -> Result<()> {
        let kind = aggregate_type(ctx, self.name())?;
        let v = decode(ctx.get_raw(0), kind).map_err(|m| bug(format!("{}: {m}", self.name())))?;
        if v.is_null() {
            return Ok(());
        }
        let wanted = if self.max {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        let better = match best {
            None => true,
            Some(cur) => compare(&v, cur) == Some(wanted),
        };
        if better {
            *best = Some(v);
        }
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, best: Option<Option<Value>>) -> Result<SqlValue> {
        Ok(best.flatten().map_or(SqlValue::Null, encode))
    }
}

/// `cutover_digest_sum(hex)`: the sum, modulo 2^64, of each hex digest's
/// first 64 bits, as 16 hex digits; NULL over no rows. Order-independent,
/// so equal sums on both sides of a checksum mean (all but certainly) the
/// same digests, and the keyed comparison need not run.
struct DigestSum;

impl Aggregate<Option<u64>, SqlValue> for DigestSum {
    fn init(&self, _: &mut Context<'_>) -> Result<Option<u64>> {
        Ok(None)
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Option<u64>) -> Result<()> {
        let bits = match ctx.get_raw(0) {
            ValueRef::Null => return Ok(()),
            ValueRef::Text(t) => std::str::from_utf8(t.get(..16).unwrap_or(t))
                .ok()
                .and_then(|h| u64::from_str_radix(h, 16).ok()),
            _ => None,
        };
        let Some(bits) = bits else {
            return Err(bug("cutover_digest_sum: not a hex digest".into()));
        };
        *acc = Some(acc.unwrap_or(0).wrapping_add(bits));
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, acc: Option<Option<u64>>) -> Result<SqlValue> {
        Ok(acc
            .flatten()
            .map_or(SqlValue::Null, |v| SqlValue::Text(format!("{v:016x}"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip() {
        let kinds = [
            TypeKind::SmallInt,
            TypeKind::Int,
            TypeKind::BigInt,
            TypeKind::Decimal {
                precision: 38,
                scale: 2,
            },
            TypeKind::Decimal {
                precision: 5,
                scale: 0,
            },
            TypeKind::Float,
            TypeKind::Bool,
            TypeKind::Text,
            TypeKind::Varchar(200),
            TypeKind::Char(3),
            TypeKind::Date,
            TypeKind::Time,
            TypeKind::Timestamp,
            TypeKind::Timestamptz,
            TypeKind::Uuid,
            TypeKind::Json,
            TypeKind::Bytes,
            TypeKind::Null,
        ];
        for k in kinds {
            assert_eq!(parse_type(&k.to_string()), Some(k), "{k}");
        }
        for bad in [
            "",
            "integer",
            "decimal(10, 2)",
            "decimal(2,3)",
            "decimal(39,2)",
            "decimal(+5,2)",
            "varchar(07)",
            "varchar()",
            "varchar(x)",
            "{error}",
            "INT",
        ] {
            assert_eq!(parse_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn signatures() {
        let s = parse_signature("lpad:varchar(5);int;text->varchar(3)").expect("parses");
        assert_eq!(s.op, Operation::Builtin(Builtin::Lpad));
        assert_eq!(
            s.args,
            [TypeKind::Varchar(5), TypeKind::Int, TypeKind::Text]
        );
        assert_eq!(s.result, TypeKind::Varchar(3));
        let s = parse_signature("-:decimal(10,2);int->decimal(13,2)").expect("parses");
        assert_eq!(s.op, Operation::Arith(BinaryOp::Sub));
        let s = parse_signature("now:->timestamptz");
        assert!(s.is_err());
        let s = parse_signature("title:->text").expect("zero arguments");
        assert!(s.args.is_empty());
        for bad in [
            "upper",
            "upper:text",
            "nope:text->text",
            "sum:int->bigint",
            "cast:text;text->int",
            "upper:txt->text",
        ] {
            assert!(parse_signature(bad).is_err(), "{bad}");
        }
    }
}
