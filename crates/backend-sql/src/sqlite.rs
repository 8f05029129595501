//! SQLite (3.37 or later, STRICT tables): native SQL where SQLite means
//! what docs/functions.md says, and otherwise the registered function set
//! of `cutover-sqlite-functions` (`cutover_fn`, `cutover_fn_error`,
//! `cutover_quote` and four aggregates), which runs the reference
//! evaluator's own code, so results are identical by construction.

use crate::dialect::{compare_symbol, Dialect};
use crate::expr::{Arg, Code, Op, Scope, Unsupported};
use cutover_ir::{BinaryOp, Builtin, TypeKind};

/// SQLite 3.37 or later (STRICT tables).
pub struct Sqlite;

/// The six whitespace characters for SQLite's `trim`.
const WS: &str = "char(32, 9, 10, 13, 11, 12)";

impl Sqlite {
    /// `cutover_fn('name', 'argtypes->result', args…)` and its message.
    fn registered(&self, name: &str, args: &[Arg], result: TypeKind) -> Op {
        let sig: Vec<String> = args.iter().map(|a| a.kind.to_string()).collect();
        let sig = self.text(&format!("{name}:{}->{result}", sig.join(";")));
        let vals: Vec<&str> = args.iter().map(|a| a.sql.as_str()).collect();
        let rest = if vals.is_empty() {
            String::new()
        } else {
            format!(", {}", vals.join(", "))
        };
        Op {
            v: format!("cutover_fn({sig}{rest})"),
            err: Some(format!("cutover_fn_error({sig}{rest})")),
        }
    }

    /// As [`Self::registered`], for operations that cannot fail.
    fn registered_total(&self, name: &str, args: &[Arg], result: TypeKind) -> Op {
        Op::ok(self.registered(name, args, result).v)
    }

    fn exact(kind: TypeKind) -> bool {
        matches!(kind, TypeKind::Decimal { .. })
    }
}

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    /// Cutover's own tables sit in the main database, prefixed.
    fn meta_table(&self, name: &str) -> String {
        self.table("main", &format!("cutover_{name}"))
    }

    /// STRICT column types. Exact decimals, dates, times and UUIDs are
    /// TEXT in their canonical text form (docs/functions.md), so they
    /// compare and round-trip exactly.
    fn column_type(&self, ty: TypeKind) -> String {
        use TypeKind::*;
        match ty {
            SmallInt | Int | BigInt | Bool => "INTEGER".into(),
            Float => "REAL".into(),
            Bytes => "BLOB".into(),
            _ => "TEXT".into(),
        }
    }

    fn type_checks(&self, column: &str, ty: TypeKind) -> Vec<String> {
        use TypeKind::*;
        let c = self.ident(column);
        match ty {
            Varchar(n) | Char(n) => vec![format!("length({c}) <= {n}")],
            SmallInt => vec![format!("{c} BETWEEN -32768 AND 32767")],
            Int => vec![format!("{c} BETWEEN -2147483648 AND 2147483647")],
            Bool => vec![format!("{c} IN (0, 1)")],
            Uuid => vec![format!("length({c}) = 36")],
            Date => vec![format!(
                "{c} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'"
            )],
            _ => Vec::new(),
        }
    }

    fn table_options(&self) -> &'static str {
        " STRICT"
    }

    fn references(&self, _system: &str, table: &str) -> String {
        self.ident(table)
    }

    fn create_index(&self, system: &str, table: &str, name: &str, columns: &[String]) -> String {
        format!(
            "CREATE INDEX IF NOT EXISTS {}.{} ON {} ({});",
            self.ident(system),
            self.ident(name),
            self.ident(table),
            columns.join(", ")
        )
    }

    fn meta_index(&self, table: &str, name: &str, columns: &[String]) -> String {
        self.create_index(
            "main",
            &format!("cutover_{table}"),
            &format!("cutover_{name}"),
            columns,
        )
    }

    /// SQLite plans its lookups by the indexes alone.
    fn analyze(&self, _table: &str) -> Option<String> {
        None
    }

    /// Instants are canonical text ending in `+00` (UTC), which
    /// `julianday` reads without the offset.
    fn seconds_between(&self, a: &str, b: &str) -> String {
        format!(
            "((julianday(replace({b}, '+00', '')) - julianday(replace({a}, '+00', ''))) * 86400.0)"
        )
    }

    /// Times are canonical text (fraction zeros trimmed, `+00` for an
    /// instant), which compares in time order; the result is written the
    /// same way. `strftime` keeps milliseconds, so a millisecond more is
    /// taken off: a bound a little early reads a row more, never one less.
    fn minus_seconds(&self, x: &str, kind: TypeKind, seconds: u64) -> String {
        match kind {
            TypeKind::Date => format!("date({x}, '-{} days')", seconds.div_ceil(86_400)),
            _ => {
                let t = format!(
                    "rtrim(rtrim(strftime('%Y-%m-%d %H:%M:%f', replace({x}, '+00', ''), '-{seconds}.001 seconds'), '0'), '.')"
                );
                if kind == TypeKind::Timestamptz {
                    format!("({t} || '+00')")
                } else {
                    t
                }
            }
        }
    }

    fn create_namespace(&self, _name: &str) -> Option<String> {
        None
    }

    fn serial_key(&self) -> &'static str {
        "INTEGER"
    }

    fn instant_type(&self) -> &'static str {
        "TEXT"
    }

    fn now(&self) -> &'static str {
        "strftime('%Y-%m-%d %H:%M:%f+00', 'now')"
    }

    /// SQLite has no digest function: the registered `sha256`.
    fn hash(&self, text: &str) -> String {
        format!("cutover_fn('sha256:text->text', {text})")
    }

    fn fence(&self) -> &'static str {
        " LIMIT -1 OFFSET 0"
    }

    /// Filled row by row with INSERT rather than by CREATE TABLE … AS,
    /// which SQLite's update hook does not see: a rehearsal counts the
    /// rows as they are staged. The view keeps the column types CREATE
    /// TABLE … AS gives.
    fn create_stage(&self, name: &str, select: &str) -> String {
        let table = self.ident(name);
        let rows = self.ident(&format!("{name}_rows"));
        format!(
            "DROP VIEW IF EXISTS {rows};\nCREATE TEMP VIEW {rows} AS\n{select};\nCREATE TEMP TABLE {table} AS SELECT * FROM {rows} LIMIT 0;\nINSERT INTO {table} SELECT * FROM {rows};\nDROP VIEW {rows};"
        )
    }

    /// The registered `cutover_digest_sum` (first 64 bits, modulo 2^64).
    fn digest_sum(&self, digest: &str) -> Option<String> {
        Some(format!("cutover_digest_sum({digest})"))
    }

    /// SQLite builds no automatic index for either side of a FULL JOIN
    /// of subqueries: the comparison would be quadratic.
    fn full_join(&self) -> bool {
        false
    }

    fn same(&self, a: &str, b: &str) -> String {
        format!("{a} IS {b}")
    }

    fn json_object(&self, pairs: &str) -> String {
        format!("json_object({pairs})")
    }

    fn json_merge(&self, objects: &[String]) -> String {
        objects
            .iter()
            .skip(1)
            .fold(objects.first().cloned().unwrap_or_default(), |acc, o| {
                format!("json_patch({acc}, {o})")
            })
    }

    fn bool_literal(&self, b: bool) -> String {
        (if b { "1" } else { "0" }).into()
    }

    /// Decimals are canonical text: they compare by value only through
    /// the registered comparison.
    fn native_order(&self, a: TypeKind, b: TypeKind) -> bool {
        !(Self::exact(a) || Self::exact(b))
    }

    fn compare(&self, op: BinaryOp, l: &Arg, r: &Arg) -> Result<String, Unsupported> {
        let sym = compare_symbol(op);
        if Self::exact(l.kind) || Self::exact(r.kind) {
            let c = self.registered_total("compare", &[l.clone(), r.clone()], TypeKind::Int);
            return Ok(format!("({} {sym} 0)", c.v));
        }
        Ok(format!("({} {sym} {})", l.sql, r.sql))
    }

    /// SQLite's LIKE ignores ASCII case; GLOB does not, so the literal
    /// pattern is translated.
    fn like(&self, s: &str, pattern: &str) -> String {
        format!(
            "({s} GLOB {})",
            self.text(&crate::expr::like_to_glob(pattern))
        )
    }

    fn display(&self, x: &Arg) -> Result<String, Unsupported> {
        let shown = match x.kind {
            k if k.is_text() => format!("cutover_quote({})", x.sql),
            k if k.is_integer() => format!("CAST({} AS TEXT)", x.sql),
            TypeKind::Bool => format!("CASE {} WHEN 1 THEN 'true' ELSE 'false' END", x.sql),
            TypeKind::Decimal { .. } => x.sql.clone(),
            _ => format!("cutover_quote({})", x.sql),
        };
        Ok(format!("COALESCE({shown}, 'null')"))
    }

    fn cast(&self, x: &Arg, to: TypeKind, _scope: &dyn Scope) -> Result<Op, Unsupported> {
        use TypeKind::*;
        let from = x.kind;
        if from == to || matches!(to, Null | Error) || matches!(from, Null | Error) {
            return Ok(Op::ok(x.sql.clone()));
        }
        // Text into text: only a length to check.
        if from.is_text() && to.is_text() {
            return Ok(match to.max_chars() {
                Some(n) if !matches!(from.max_chars(), Some(m) if m <= n) => Op {
                    v: x.sql.clone(),
                    err: Some(format!(
                        "CASE WHEN length({v}) > {n} THEN cutover_quote({v}) || ' is longer than {n} characters' END",
                        v = x.sql
                    )),
                },
                _ => Op::ok(x.sql.clone()),
            });
        }
        // Widening between integers, which share one storage class.
        if from.is_integer() && to.is_integer() {
            let (flo, fhi) = cutover_eval::value::int_range(from);
            let (lo, hi) = cutover_eval::value::int_range(to);
            if flo >= lo && fhi <= hi {
                return Ok(Op::ok(x.sql.clone()));
            }
        }
        // Into text, what SQLite holds is already the canonical text
        // (docs/functions.md, "Backend notes / SQLite"), or for an integer
        // prints the same: no call per row.
        if to == Text {
            if from.is_integer() {
                return Ok(Op::ok(format!("CAST({} AS TEXT)", x.sql)));
            }
            if matches!(from, Date | Time | Timestamp | Timestamptz | Uuid) {
                return Ok(Op::ok(x.sql.clone()));
            }
        }
        Ok(self.registered("cast", std::slice::from_ref(x), to))
    }

    fn builtin(
        &self,
        b: Builtin,
        args: &[Arg],
        result: TypeKind,
        _scope: &dyn Scope,
    ) -> Result<Op, Unsupported> {
        use Builtin::*;
        let a = |i: usize| {
            args.get(i)
                .map(|x| x.sql.clone())
                .unwrap_or_else(|| "NULL".into())
        };
        let (x, n) = (a(0), a(1));
        Ok(match b {
            Trim => Op::ok(format!("trim({x}, {WS})")),
            Ltrim => Op::ok(format!("ltrim({x}, {WS})")),
            Rtrim => Op::ok(format!("rtrim({x}, {WS})")),
            Length => Op::ok(format!("length({x})")),
            Replace => Op::ok(format!("replace({x}, {n}, {})", a(2))),
            Truncate => Op::ok(crate::expr::truncate(
                &x,
                &n,
                args.get(2).map(|s| s.sql.as_str()),
            )),
            Squish | Upper | Lower | Title | Substr | SplitPart | Mask | Sha256 | UuidV5 => {
                self.registered_total(b.name(), args, result)
            }
            Lpad | Rpad | Round | Abs | ParseDate | ParseTimestamp | ToUtc => {
                self.registered(b.name(), args, result)
            }
            Coalesce | Nullif | Now | Count | Sum | Min | Max => {
                return Err(Unsupported::new(format!("`{}` here", b.name())))
            }
        })
    }

    fn aggregate(
        &self,
        b: Builtin,
        arg: Option<(Code, TypeKind)>,
        result: TypeKind,
    ) -> Result<Code, Unsupported> {
        let Some((x, kind)) = arg else {
            return Ok(Code::ok("count(*)"));
        };
        let err = x.err.as_ref().map(|e| format!("min({e})"));
        let typed = |f: &str, ty: TypeKind| format!("{f}({}, {})", x.v, self.text(&ty.to_string()));
        Ok(match b {
            Builtin::Count => Code {
                v: format!("count({})", x.v),
                err,
            },
            // SQLite's sum raises on integer overflow and rounds decimals
            // through REAL: the registered sum is exact and reports.
            Builtin::Sum => Code {
                v: typed("cutover_sum", result),
                err: crate::expr::first_error([err, Some(typed("cutover_sum_error", result))]),
            },
            Builtin::Min | Builtin::Max if Self::exact(kind) => Code {
                v: typed(
                    if b == Builtin::Min {
                        "cutover_min"
                    } else {
                        "cutover_max"
                    },
                    kind,
                ),
                err,
            },
            Builtin::Min | Builtin::Max => Code {
                v: format!("{}({})", b.name(), x.v),
                err,
            },
            _ => return Err(Unsupported::new(format!("`{}` as an aggregate", b.name()))),
        })
    }

    fn arith(&self, op: BinaryOp, l: &Arg, r: &Arg, result: TypeKind) -> Result<Op, Unsupported> {
        Ok(self.registered(op.symbol(), &[l.clone(), r.clone()], result))
    }

    fn negate(&self, x: &Arg) -> Result<Op, Unsupported> {
        Ok(self.registered("neg", std::slice::from_ref(x), x.kind))
    }
}
