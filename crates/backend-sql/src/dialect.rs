//! What differs between SQL dialects, behind one trait with defaults: a
//! dialect overrides only what it does differently.

use crate::expr::{Arg, Code, Op, Scope, Unsupported};
use cutover_eval::Value;
use cutover_ir::{BinaryOp, Builtin, TypeKind};

/// A SQL dialect Cutover generates for.
pub trait Dialect {
    /// `postgres`, `sqlite`: the folder name under `sql/`.
    fn name(&self) -> &'static str;

    /// A quoted identifier: always quoted, so reserved words, spaces,
    /// capitals and non-ASCII names are safe; a `"` is doubled.
    fn ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// `"system"."table"`: every table lives in the namespace named after
    /// its system (a schema, or an attached database).
    fn table(&self, system: &str, table: &str) -> String {
        format!("{}.{}", self.ident(system), self.ident(table))
    }

    /// A table of Cutover's own (quarantine, batches).
    fn meta_table(&self, name: &str) -> String {
        self.table("cutover", name)
    }

    /// A string literal: `'…'` with `'` doubled; nothing else is special
    /// (PostgreSQL with `standard_conforming_strings`, SQLite).
    fn text(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// The column type for a Cutover type.
    fn column_type(&self, ty: TypeKind) -> String;

    /// Extra CHECK constraints the column type needs in this dialect (a
    /// length limit SQLite does not enforce by itself).
    fn type_checks(&self, _column: &str, _ty: TypeKind) -> Vec<String> {
        Vec::new()
    }

    /// The table a `REFERENCES` clause names (SQLite allows only a table
    /// of the same database, unqualified).
    fn references(&self, system: &str, table: &str) -> String {
        self.table(system, table)
    }

    /// `CREATE INDEX` on columns of a table.
    fn create_index(&self, system: &str, table: &str, name: &str, columns: &[String]) -> String {
        format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} ({});",
            self.ident(name),
            self.table(system, table),
            columns.join(", ")
        )
    }

    /// `CREATE INDEX` on one of Cutover's own tables (see `meta_table`).
    fn meta_index(&self, table: &str, name: &str, columns: &[String]) -> String {
        self.create_index("cutover", table, name, columns)
    }

    /// Refreshes the planner's statistics of a table the load just filled,
    /// so the next statements (and the gates) plan with its real size.
    fn analyze(&self, table: &str) -> Option<String> {
        Some(format!("ANALYZE {table};"))
    }

    /// Whether `CROSS JOIN LATERAL` is available (see [`crate::expr::Scope::memo`]).
    fn lateral(&self) -> bool {
        false
    }

    /// Starts the transaction the gate checks run in: read-only, one
    /// snapshot for every check where the dialect has it.
    fn begin_read_only(&self) -> &'static str {
        "BEGIN;"
    }

    /// Settings for the gate checks only, after [`Dialect::session`].
    fn gate_session(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether DDL can run inside a transaction.
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// Words after a `CREATE TABLE (…)` body.
    fn table_options(&self) -> &'static str {
        ""
    }

    /// The statement that makes a namespace, if the dialect has them as
    /// DDL (SQLite attaches databases instead).
    fn create_namespace(&self, name: &str) -> Option<String> {
        Some(format!("CREATE SCHEMA IF NOT EXISTS {};", self.ident(name)))
    }

    /// Type of an auto-numbered key column.
    fn serial_key(&self) -> &'static str;

    /// Type for a timestamp Cutover records (batch start, quarantine time).
    fn instant_type(&self) -> &'static str;

    /// The current instant, as an expression of `instant_type`.
    fn now(&self) -> &'static str;

    // ── Expressions (crate::expr asks these; see docs/functions.md) ──

    /// A value as a literal in the column representation of `kind`.
    fn value(&self, v: &Value, kind: TypeKind) -> String {
        crate::values::literal(self, v, kind)
    }

    /// NULL of a type (PostgreSQL needs the type in `CASE` branches).
    fn null(&self, _kind: TypeKind) -> String {
        "NULL".into()
    }

    fn bool_literal(&self, b: bool) -> String {
        (if b { "TRUE" } else { "FALSE" }).into()
    }

    /// `l op r` for a comparison, in three-valued logic.
    fn compare(&self, op: BinaryOp, l: &Arg, r: &Arg) -> Result<String, Unsupported> {
        Ok(format!("({} {} {})", l.sql, compare_symbol(op), r.sql))
    }

    /// Whether SQL's own `=`, `IN` and `BETWEEN` on these types mean what
    /// Cutover's comparison means.
    fn native_order(&self, _a: TypeKind, _b: TypeKind) -> bool {
        true
    }

    /// `s like pattern` with a literal pattern: case-sensitive, `\` escapes.
    fn like(&self, s: &str, pattern: &str) -> String {
        format!(
            "({s} LIKE {} ESCAPE '\\')",
            self.text(&crate::expr::like_pattern(pattern))
        )
    }

    /// A value as a spec constant in messages (`"text"`, `42`, `null`).
    fn display(&self, x: &Arg) -> Result<String, Unsupported>;

    /// A conversion (docs/functions.md, "Casts").
    fn cast(&self, x: &Arg, to: TypeKind, scope: &dyn Scope) -> Result<Op, Unsupported>;

    /// A scalar built-in other than `coalesce`, `nullif` and `now`, on
    /// arguments that did not fail.
    fn builtin(
        &self,
        b: Builtin,
        args: &[Arg],
        result: TypeKind,
        scope: &dyn Scope,
    ) -> Result<Op, Unsupported>;

    /// An aggregate over the rows of a group; `arg` is `None` for `count()`.
    fn aggregate(
        &self,
        b: Builtin,
        arg: Option<(Code, TypeKind)>,
        result: TypeKind,
    ) -> Result<Code, Unsupported>;

    /// `l op r` for `+ - * / %` in the result type.
    fn arith(&self, op: BinaryOp, l: &Arg, r: &Arg, result: TypeKind) -> Result<Op, Unsupported>;

    /// Unary minus.
    fn negate(&self, x: &Arg) -> Result<Op, Unsupported>;

    /// Ends an inner query so the planner computes its columns once
    /// instead of merging it into the outer query.
    fn fence(&self) -> &'static str {
        " OFFSET 0"
    }

    /// A hex digest of a text, for checksums and sampling (the same
    /// function on both sides of a comparison, so any digest will do).
    fn hash(&self, text: &str) -> String {
        format!("md5({text})")
    }

    /// One unambiguous text of several canonical texts, for a row digest:
    /// `length:text` each, `-` for NULL, comma separated.
    fn row_text(&self, texts: &[String]) -> String {
        let parts: Vec<String> = texts
            .iter()
            .map(|t| format!("COALESCE(length({t}) || ':' || {t}, '-')"))
            .collect();
        parts.join(" || ',' || ")
    }

    /// An order-independent aggregate of row digests (`hash` values): equal
    /// on both sides of a checksum means every row matches, so the keyed
    /// comparison that lists the differing rows need not run. `None`: the
    /// dialect always runs the keyed comparison.
    fn digest_sum(&self, _digest: &str) -> Option<String> {
        None
    }

    /// A temporary table `name` holding the rows of `select`.
    fn create_stage(&self, name: &str, select: &str) -> String {
        format!("CREATE TEMP TABLE {} AS\n{select};", self.ident(name))
    }

    /// Whether a FULL JOIN of two subqueries on a key is planned with an
    /// index or a hash; where not, checksums join each way instead.
    fn full_join(&self) -> bool {
        true
    }

    /// NULL-safe equality, for joining on group keys.
    fn same(&self, a: &str, b: &str) -> String {
        format!("{a} IS NOT DISTINCT FROM {b}")
    }

    /// A JSON object as text from `'name', value` pairs.
    fn json_object(&self, pairs: &str) -> String {
        format!("CAST(json_build_object({pairs}) AS text)")
    }

    /// Several JSON objects (text) merged into one.
    fn json_merge(&self, objects: &[String]) -> String {
        match objects {
            [one] => one.clone(),
            many => format!(
                "CAST({} AS text)",
                many.iter()
                    .map(|o| format!("CAST({o} AS jsonb)"))
                    .collect::<Vec<_>>()
                    .join(" || ")
            ),
        }
    }

    /// Helper functions the scripts call, created by the schema script.
    fn runtime(&self) -> String {
        String::new()
    }

    /// Statements a load script runs first (session settings).
    fn session(&self) -> Vec<String> {
        Vec::new()
    }

    /// The statements of one chunk of a `batch` map, repeated until a
    /// chunk holds no key (`cutover_chunk` is empty), each chunk committed:
    /// `pick` fills `cutover_chunk` with the chunk's keys (of type
    /// `key_type`), `load` loads their rows. Without loops in the language,
    /// the part is marked for the runner to repeat
    /// ([`crate::load::CHUNK_BEGIN`]).
    fn repeat_chunk(&self, session: &[String], pick: &str, load: &str, _key_type: &str) -> String {
        let mut out = format!("{}\nBEGIN;\n", crate::load::CHUNK_BEGIN);
        for s in session {
            out.push_str(s);
            out.push('\n');
        }
        out.push_str(pick);
        out.push_str(load);
        out.push_str("COMMIT;\n");
        out.push_str(crate::load::CHUNK_END);
        out.push('\n');
        out
    }

    /// Seconds from instant `a` to instant `b` (both of the instant type),
    /// as a number.
    fn seconds_between(&self, a: &str, b: &str) -> String;

    /// A `date`, `timestamp` or `timestamptz` value `seconds` earlier (a
    /// date: the whole days that cover them), for a sync's `skew`.
    fn minus_seconds(&self, x: &str, kind: TypeKind, seconds: u64) -> String;

    /// The stage of the rows a sync reads: `select` holds
    /// [`crate::sync::SINCE`] where the bound `since` (an expression of
    /// type `since_type`, NULL before the first watermark) goes.
    fn create_stage_since(
        &self,
        name: &str,
        select: &str,
        since: &str,
        _since_type: &str,
    ) -> String {
        self.create_stage(name, &select.replace(crate::sync::SINCE, since))
    }

    /// The stage of one chunk of a `batch` map: `select` holds
    /// [`crate::load::CHUNK_LO`] and [`crate::load::CHUNK_HI`] where the
    /// chunk's first and last key go; by default, subqueries of
    /// `cutover_chunk`.
    fn create_chunk_stage(&self, name: &str, select: &str) -> String {
        let chunk = self.ident("cutover_chunk");
        let k = self.ident("k");
        self.create_stage(
            name,
            &select
                .replace(
                    crate::load::CHUNK_LO,
                    &format!("(SELECT min({k}) FROM {chunk})"),
                )
                .replace(
                    crate::load::CHUNK_HI,
                    &format!("(SELECT max({k}) FROM {chunk})"),
                ),
        )
    }
}

/// The SQL symbol of a comparison.
pub fn compare_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Eq => "=",
        BinaryOp::Ne => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        _ => ">=",
    }
}

pub use crate::postgres::Postgres;
pub use crate::sqlite::Sqlite;

/// The dialect of a name, as written on the command line.
pub fn by_name(name: &str) -> Option<Box<dyn Dialect>> {
    match name {
        "postgres" => Some(Box::new(Postgres)),
        "sqlite" => Some(Box::new(Sqlite)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_quoted() {
        let d = Postgres;
        assert_eq!(d.ident("select"), "\"select\"");
        assert_eq!(d.ident("a\"b c"), "\"a\"\"b c\"");
        assert_eq!(d.text("O'Brien"), "'O''Brien'");
        assert_eq!(
            Sqlite.meta_table("quarantine"),
            "\"main\".\"cutover_quarantine\""
        );
    }
}
