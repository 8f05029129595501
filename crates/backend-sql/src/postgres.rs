//! PostgreSQL (12 or later, UTF8 database): native SQL where PostgreSQL
//! already means what docs/functions.md says, guarded forms where it would
//! raise or differ, and a few helper functions in the `cutover` schema
//! ([`runtime`]) for what has no expression form.

use crate::dialect::{compare_symbol, Dialect};
use crate::expr::{Arg, Code, Op, Scope, Unsupported};
use cutover_eval::Value;
use cutover_ir::{BinaryOp, Builtin, TypeKind};

/// PostgreSQL 12 or later.
pub struct Postgres;

/// The six whitespace characters, as a PostgreSQL escape string.
const WS: &str = "E' \\t\\n\\r\\013\\f'";
/// The same set inside a regular expression bracket.
const WS_RE: &str = "[ \\t\\n\\r\\v\\f]";

fn int_bounds(kind: TypeKind) -> (i64, i64) {
    cutover_eval::value::int_range(kind)
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, Unsupported> {
    Err(Unsupported::new(what))
}

impl Postgres {
    fn quote(&self, x: &str) -> String {
        format!("\"cutover\".\"quote\"({x})")
    }

    /// Canonical text of a value that is not text.
    fn text_form(&self, x: &Arg) -> Result<String, Unsupported> {
        use TypeKind::*;
        Ok(match x.kind {
            Text | Varchar(_) | Char(_) => x.sql.clone(),
            Bytes => return unsupported("bytes as text"),
            _ => format!("CAST({} AS text)", x.sql),
        })
    }

    /// `make_date` only where the date exists, years 1–9999.
    fn date_exists(y: &str, m: &str, d: &str) -> String {
        format!(
            "({y} BETWEEN 1 AND 9999 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND \
             CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} <> 2 THEN 31 \
             WHEN {y} % 4 = 0 AND ({y} % 100 <> 0 OR {y} % 400 = 0) THEN 29 ELSE 28 END)"
        )
    }

    fn text_to(&self, x: &Arg, to: TypeKind, scope: &dyn Scope) -> Result<Op, Unsupported> {
        use TypeKind::*;
        let v = &x.sql;
        let t = format!("btrim({v}, {WS})");
        let invalid = |what: &str| format!("{} || ' is not a valid {what}'", self.quote(v));
        Ok(match to {
            SmallInt | Int | BigInt => {
                let ok = format!("({v} ~ '^{WS_RE}*[+-]?[0-9]+{WS_RE}*$')");
                let n = format!("CAST({t} AS numeric)");
                let (lo, hi) = int_bounds(to);
                let (min, max) = int_bounds(BigInt);
                Op {
                    v: format!(
                        "CASE WHEN {ok} THEN CASE WHEN {n} BETWEEN {lo} AND {hi} THEN CAST({n} AS {}) END END",
                        self.column_type(to)
                    ),
                    err: Some(format!(
                        "CASE WHEN {v} IS NULL THEN NULL WHEN NOT {ok} THEN {} \
                         WHEN {n} NOT BETWEEN {min} AND {max} THEN {} \
                         WHEN {n} NOT BETWEEN {lo} AND {hi} THEN CAST({n} AS text) || ' is out of range for {to}' END",
                        invalid(&to.to_string()),
                        invalid(&to.to_string())
                    )),
                }
            }
            Decimal { precision, scale } => {
                let ok = format!("({v} ~ '^{WS_RE}*[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+){WS_RE}*$')");
                let int_digits =
                    format!("length(ltrim(split_part(ltrim({t}, '+-'), '.', 1), '0'))");
                let n = format!("round(CAST({t} AS numeric), {scale})");
                let limit = format!("1e{}", precision - scale);
                Op {
                    v: format!(
                        "CASE WHEN {ok} THEN CASE WHEN {int_digits} + {scale} <= 38 AND abs({n}) < {limit} THEN {n} END END"
                    ),
                    err: Some(format!(
                        "CASE WHEN {v} IS NULL THEN NULL WHEN NOT {ok} THEN {} \
                         WHEN {int_digits} + {scale} > 38 THEN {} \
                         WHEN abs({n}) >= {limit} THEN {} || ' does not fit {to}' END",
                        invalid(&to.to_string()),
                        invalid(&to.to_string()),
                        self.quote(v)
                    )),
                }
            }
            Bool => {
                let w = format!("lower({t} COLLATE \"C\")");
                let yes = "('true', 't', 'yes', 'y', 'on', '1')";
                let no = "('false', 'f', 'no', 'n', 'off', '0')";
                Op {
                    v: format!("CASE WHEN {w} IN {yes} THEN TRUE WHEN {w} IN {no} THEN FALSE END"),
                    err: Some(format!(
                        "CASE WHEN {w} NOT IN {yes} AND {w} NOT IN {no} THEN {} END",
                        invalid("bool")
                    )),
                }
            }
            Date => {
                // Parenthesized: subscripted where it is not hoisted.
                let m = scope.memo(format!(
                    "(regexp_match({v}, '^{WS_RE}*([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}}){WS_RE}*$'))"
                ));
                // Each part and the check once per row, not once per use.
                let part = |i: usize| scope.hoist(format!("CAST({m}[{i}] AS int)"));
                let exists = scope.hoist(Self::date_exists(&part(1), &part(2), &part(3)));
                Op {
                    v: format!(
                        "CASE WHEN {exists} THEN make_date({}, {}, {}) END",
                        part(1),
                        part(2),
                        part(3)
                    ),
                    err: Some(format!(
                        "CASE WHEN {v} IS NULL THEN NULL WHEN {exists} IS NOT TRUE THEN {} END",
                        invalid("date")
                    )),
                }
            }
            Uuid => {
                let ok = format!(
                    "({v} ~ '^{WS_RE}*[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}{WS_RE}*$')"
                );
                Op {
                    v: format!("CASE WHEN {ok} THEN CAST({t} AS uuid) END"),
                    err: Some(format!("CASE WHEN NOT {ok} THEN {} END", invalid("uuid"))),
                }
            }
            Json => {
                let j = scope.hoist(format!("\"cutover\".\"json_text\"({v})"));
                Op {
                    v: format!("CAST({j} AS json)"),
                    err: Some(format!(
                        "CASE WHEN {v} IS NOT NULL AND {j} IS NULL THEN {} || ' is not valid JSON' END",
                        self.quote(v)
                    )),
                }
            }
            Bytes => Op::ok(format!("convert_to({v}, 'UTF8')")),
            other => return unsupported(format!("text to {other}")),
        })
    }

    /// An integer result in numeric `n`, checked against `kind`'s range.
    fn checked_int(&self, n: &str, kind: TypeKind, message: String) -> Op {
        let (lo, hi) = int_bounds(kind);
        Op {
            v: format!(
                "CASE WHEN {n} BETWEEN {lo} AND {hi} THEN CAST({n} AS {}) END",
                self.column_type(kind)
            ),
            err: Some(format!(
                "CASE WHEN {n} NOT BETWEEN {lo} AND {hi} THEN {message} END"
            )),
        }
    }

    /// `parse_date`/`parse_timestamp` with a literal format, as one regular
    /// expression whose digit groups never give back a digit (docs: "a
    /// directive takes as many digits as it can").
    fn parse(
        &self,
        text: &str,
        format: &str,
        keep_time: bool,
        scope: &dyn Scope,
    ) -> Result<Op, Unsupported> {
        const MONTHS: [&str; 12] = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ];
        let digits = |max: usize, min: usize| -> String {
            let alts: Vec<String> = (min..=max)
                .rev()
                .map(|n| {
                    if n == max {
                        format!("[0-9]{{{n}}}")
                    } else {
                        format!("[0-9]{{{n}}}(?![0-9])")
                    }
                })
                .collect();
            format!("({})", alts.join("|"))
        };
        let caseless = |word: &str| -> String {
            word.chars()
                .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c))
                .collect()
        };
        let mut re = String::from("^");
        let mut groups: Vec<char> = Vec::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                if c.is_ascii_alphanumeric() || !c.is_ascii() {
                    re.push(c);
                } else if c == '\'' {
                    re.push_str("''");
                } else {
                    re.push('\\');
                    re.push(c);
                }
                continue;
            }
            let Some(dir) = chars.next() else {
                return Err(Unsupported::new("a format ending with a lone %"));
            };
            let group = match dir {
                'Y' => "([0-9]{4})".to_string(),
                'y' => "([0-9]{2})".to_string(),
                'm' | 'd' | 'H' | 'M' | 'S' => digits(2, 1),
                'f' => digits(6, 1),
                'b' => format!(
                    "({})",
                    MONTHS
                        .iter()
                        .map(|m| caseless(&m[..3]))
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                'B' => format!(
                    "({})",
                    MONTHS
                        .iter()
                        .map(|m| caseless(m))
                        .collect::<Vec<_>>()
                        .join("|")
                ),
                '%' => {
                    re.push('%');
                    continue;
                }
                _ => return Err(Unsupported::new(format!("the directive %{dir}"))),
            };
            re.push_str(&group);
            groups.push(dir);
        }
        re.push('$');
        let find = |want: &[char]| groups.iter().rposition(|g| want.contains(g)).map(|i| i + 1);
        let (Some(yi), Some(mi), Some(di)) =
            (find(&['Y', 'y']), find(&['m', 'b', 'B']), find(&['d']))
        else {
            return Err(Unsupported::new(
                "a format without a year, a month and a day",
            ));
        };
        let m = scope.memo(format!("(regexp_match({text}, '{re}'))"));
        // Each field and the checks once per row, not once per use.
        let num = |i: usize| scope.hoist(format!("CAST({m}[{i}] AS int)"));
        let year = if groups[yi - 1] == 'y' {
            format!(
                "(CASE WHEN {} < 69 THEN 2000 ELSE 1900 END + {})",
                num(yi),
                num(yi)
            )
        } else {
            num(yi)
        };
        let month = if matches!(groups[mi - 1], 'b' | 'B') {
            format!(
                "((position(lower(left({m}[{mi}], 3)) in 'janfebmaraprmayjunjulaugsepoctnovdec') + 2) / 3)"
            )
        } else {
            num(mi)
        };
        let day = num(di);
        let field = |d: char| find(&[d]).map(num).unwrap_or_else(|| "0".into());
        let (h, mn, s) = (field('H'), field('M'), field('S'));
        let (year, month) = (scope.hoist(year), scope.hoist(month));
        let exists = scope.hoist(Self::date_exists(&year, &month, &day));
        let time_ok = format!("({h} <= 23 AND {mn} <= 59 AND {s} <= 59)");
        let date = format!("make_date({year}, {month}, {day})");
        let value = if keep_time {
            let micros = match find(&['f']) {
                Some(i) => format!("CAST(rpad({m}[{i}], 6, '0') AS int)"),
                None => "0".into(),
            };
            format!(
                "({date} + make_interval(hours => {h}, mins => {mn}, secs => {s} + {micros} / 1000000.0))"
            )
        } else {
            date
        };
        let q = self.quote(text);
        let fmt = cutover_eval::value::quote(format);
        Ok(Op {
            v: format!("CASE WHEN {exists} AND {time_ok} THEN {value} END"),
            err: Some(format!(
                "CASE WHEN {text} IS NULL THEN NULL \
                 WHEN {m} IS NULL THEN {q} || {} \
                 WHEN NOT {exists} THEN {q} || ' is not a date that exists' \
                 WHEN NOT {time_ok} THEN {q} || ' is not a valid time of day' END",
                self.text(&format!(" does not match the format {fmt}"))
            )),
        })
    }
}

/// The generated character table for `upper` or `lower` beyond ASCII:
/// every character whose mapping in the evaluator is another single
/// character.
fn case_table(map: fn(char) -> char) -> (String, String) {
    let (mut from, mut to) = (String::new(), String::new());
    for c in (0x80u32..=0x10FFFF).filter_map(char::from_u32) {
        let m = map(c);
        if m != c {
            from.push(c);
            to.push(m);
        }
    }
    (from, to)
}

/// The helper functions every PostgreSQL script may call, created by
/// `10_schema.sql` in the `cutover` schema. Each is IMMUTABLE; the SQL ones
/// are inlined by the planner.
pub fn runtime(d: &Postgres) -> String {
    let (up_from, up_to) = case_table(cutover_eval::functions::upper_char);
    let (low_from, low_to) = case_table(cutover_eval::functions::lower_char);
    let case_fn = |name: &str, ascii: &str, from: &str, to: &str| {
        format!(
            "CREATE OR REPLACE FUNCTION \"cutover\".\"{name}\"(x text) RETURNS text\n\
             LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$\n  \
             SELECT CASE WHEN octet_length(x) = length(x) THEN {ascii}(x COLLATE \"C\")\n  \
             ELSE translate({ascii}(x COLLATE \"C\"), {}, {}) END\n$$;\n",
            d.text(from),
            d.text(to)
        )
    };
    let mut out = String::new();
    out.push_str(
        "-- uuid_v5 uses uuid_generate_v5 from the uuid-ossp extension (PostgreSQL contrib).\n",
    );
    out.push_str("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";\n\n");
    out.push_str("-- Case mapping one character to one (docs/functions.md): ASCII by the C\n-- collation, the rest by a table generated from the reference evaluator.\n");
    out.push_str(&case_fn("upper", "upper", &up_from, &up_to));
    out.push_str(&case_fn("lower", "lower", &low_from, &low_to));
    out.push_str(RUNTIME_PLPGSQL);
    out
}

const RUNTIME_PLPGSQL: &str = r#"
-- A text as a spec string in messages: "…" with \\ \" \n \t \r escaped and
-- other control characters as \u{hex}.
CREATE OR REPLACE FUNCTION "cutover"."quote"(x text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  out text := '';
  c text;
  n int;
BEGIN
  IF x IS NULL THEN RETURN NULL; END IF;
  IF x !~ '[\x01-\x1f\x7f-\x9f"\\]' THEN RETURN '"' || x || '"'; END IF;
  FOREACH c IN ARRAY regexp_split_to_array(x, '') LOOP
    n := ascii(c);
    out := out || CASE
      WHEN c = '"' THEN '\"'
      WHEN c = '\' THEN '\\'
      WHEN n = 10 THEN '\n'
      WHEN n = 9 THEN '\t'
      WHEN n = 13 THEN '\r'
      WHEN n < 32 OR n BETWEEN 127 AND 159 THEN '\u{' || to_hex(n) || '}'
      ELSE c END;
  END LOOP;
  RETURN '"' || out || '"';
END $$;

-- JSON text in Cutover's canonical form: compact, object keys in code-point
-- order (the last of repeated keys wins), numbers as written with the
-- exponent as e+N / e-N. NULL when the text is not JSON.
CREATE OR REPLACE FUNCTION "cutover"."json_canonical"(j json) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  kind text := json_typeof(j);
  out text;
BEGIN
  IF kind = 'object' THEN
    SELECT '{' || coalesce(string_agg(to_json(k)::text || ':' || "cutover"."json_canonical"(v), ',' ORDER BY k COLLATE "C"), '') || '}'
      INTO out
      FROM (SELECT DISTINCT ON (key COLLATE "C") key AS k, value AS v
              FROM json_each(j) WITH ORDINALITY AS e(key, value, n)
             ORDER BY key COLLATE "C", n DESC) AS last_of_each;
    RETURN out;
  ELSIF kind = 'array' THEN
    SELECT '[' || coalesce(string_agg("cutover"."json_canonical"(v), ',' ORDER BY n), '') || ']'
      INTO out FROM json_array_elements(j) WITH ORDINALITY AS e(v, n);
    RETURN out;
  ELSIF kind = 'string' THEN
    RETURN to_json(j #>> '{}')::text;
  ELSIF kind = 'number' THEN
    RETURN regexp_replace(regexp_replace(btrim(j::text, E' \t\n\r'), '[eE][+]?', 'e+'), 'e[+]-', 'e-');
  ELSE
    RETURN btrim(j::text, E' \t\n\r');
  END IF;
END $$;

CREATE OR REPLACE FUNCTION "cutover"."json_text"(x text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF x IS NULL THEN RETURN NULL; END IF;
  RETURN "cutover"."json_canonical"(CAST(btrim(x, E' \t\n\r\013\f') AS json));
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

-- Zone names exactly as the server's tz database spells them.
CREATE TABLE IF NOT EXISTS "cutover"."time_zones" (name text PRIMARY KEY);
INSERT INTO "cutover"."time_zones" SELECT name FROM pg_timezone_names ON CONFLICT DO NOTHING;

-- A wall-clock time in a zone as an instant: the candidates are the time
-- read with the offsets in force a day before and a day after; those that
-- read back as the same wall time are real; the earlier one wins (the
-- first occurrence of a repeated hour); none means a daylight-saving gap.
CREATE OR REPLACE FUNCTION "cutover"."to_utc_candidates"(t timestamp, zone text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  before_off interval;
  after_off interval;
  a timestamptz;
  b timestamptz;
  best timestamptz;
BEGIN
  before_off := ((t - interval '1 day') AT TIME ZONE 'UTC') AT TIME ZONE zone - (t - interval '1 day');
  after_off := ((t + interval '1 day') AT TIME ZONE 'UTC') AT TIME ZONE zone - (t + interval '1 day');
  a := (t - before_off) AT TIME ZONE 'UTC';
  b := (t - after_off) AT TIME ZONE 'UTC';
  IF (a AT TIME ZONE zone) = t THEN best := a; END IF;
  IF (b AT TIME ZONE zone) = t AND (best IS NULL OR b < best) THEN best := b; END IF;
  RETURN best;
END $$;

CREATE OR REPLACE FUNCTION "cutover"."to_utc"(t timestamp, zone text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  r timestamptz;
BEGIN
  IF t IS NULL OR zone IS NULL THEN RETURN NULL; END IF;
  IF NOT EXISTS (SELECT 1 FROM "cutover"."time_zones" WHERE name = zone) THEN RETURN NULL; END IF;
  r := "cutover"."to_utc_candidates"(t, zone);
  IF r IS NULL OR extract(year FROM r AT TIME ZONE 'UTC') NOT BETWEEN 1 AND 9999 THEN RETURN NULL; END IF;
  RETURN r;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "cutover"."to_utc_error"(t timestamp, zone text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  r timestamptz;
BEGIN
  IF t IS NULL OR zone IS NULL THEN RETURN NULL; END IF;
  IF NOT EXISTS (SELECT 1 FROM "cutover"."time_zones" WHERE name = zone) THEN
    RETURN 'unknown time zone ' || "cutover"."quote"(zone);
  END IF;
  BEGIN
    r := "cutover"."to_utc_candidates"(t, zone);
  EXCEPTION WHEN others THEN
    RETURN t::text || ' in ' || zone || ' is outside the years 1–9999 in UTC';
  END;
  IF r IS NULL THEN
    RETURN 'local time ' || t::text || ' does not exist in ' || zone || ' (daylight-saving gap)';
  END IF;
  IF extract(year FROM r AT TIME ZONE 'UTC') NOT BETWEEN 1 AND 9999 THEN
    RETURN t::text || ' in ' || zone || ' is outside the years 1–9999 in UTC';
  END IF;
  RETURN NULL;
END $$;
"#;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn lateral(&self) -> bool {
        true
    }

    fn begin_read_only(&self) -> &'static str {
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
    }

    /// Each check is one pass over its tables, with long expressions:
    /// compiling them (JIT) costs more than it saves.
    fn gate_session(&self) -> Vec<String> {
        vec!["SET LOCAL jit = off;".into()]
    }

    /// A row value's text: quoted where needed, NULL as nothing, `""` for
    /// the empty text, in one call.
    fn row_text(&self, texts: &[String]) -> String {
        format!("CAST(ROW({}) AS text)", texts.join(", "))
    }

    /// The sum of each md5's first 64 bits, exact in numeric.
    fn digest_sum(&self, digest: &str) -> Option<String> {
        Some(format!(
            "sum(CAST(CAST(CAST('x' || substr({digest}, 1, 16) AS bit(64)) AS bigint) AS numeric))"
        ))
    }

    fn column_type(&self, ty: TypeKind) -> String {
        use TypeKind::*;
        match ty {
            SmallInt => "smallint".into(),
            Int => "integer".into(),
            BigInt => "bigint".into(),
            Decimal { precision, scale } => format!("numeric({precision}, {scale})"),
            Float => "double precision".into(),
            Bool => "boolean".into(),
            Text | Null | Error => "text".into(),
            // char(n) is never padded (docs/functions.md): PostgreSQL's
            // character(n) pads, so it is stored as varchar(n).
            Varchar(n) | Char(n) => format!("varchar({n})"),
            Date => "date".into(),
            Time => "time".into(),
            Timestamp => "timestamp".into(),
            Timestamptz => "timestamptz".into(),
            Uuid => "uuid".into(),
            // The canonical text is stored as written; jsonb would reorder.
            Json => "json".into(),
            Bytes => "bytea".into(),
        }
    }

    fn serial_key(&self) -> &'static str {
        "bigint GENERATED ALWAYS AS IDENTITY"
    }

    fn instant_type(&self) -> &'static str {
        "timestamptz"
    }

    fn now(&self) -> &'static str {
        "now()"
    }

    fn runtime(&self) -> String {
        runtime(self)
    }

    /// A `DO` block that commits each chunk: psql runs it outside a
    /// transaction block, so a stopped load keeps every committed chunk.
    /// The chunk's first and last keys go into variables for
    /// [`Dialect::create_chunk_stage`].
    fn repeat_chunk(&self, session: &[String], pick: &str, load: &str, key_type: &str) -> String {
        let mut body = String::new();
        for s in session {
            body.push_str(s);
            body.push('\n');
        }
        body.push_str(pick);
        body.push_str("SELECT min(\"k\"), max(\"k\") INTO cutover_chunk_lo, cutover_chunk_hi FROM \"cutover_chunk\";\nEXIT WHEN cutover_chunk_lo IS NULL;\n");
        body.push_str(load);
        body.push_str("COMMIT;\n");
        // Not indented: a string literal may span lines.
        format!(
            "DO $cutover_chunk$\nDECLARE\ncutover_chunk_lo {key_type};\ncutover_chunk_hi {key_type};\nBEGIN\nLOOP\n{body}END LOOP;\nEND\n$cutover_chunk$;\n"
        )
    }

    fn minus_seconds(&self, x: &str, kind: TypeKind, seconds: u64) -> String {
        match kind {
            TypeKind::Date => format!("({x} - {})", seconds.div_ceil(86_400)),
            _ => format!("({x} - interval '{seconds} seconds')"),
        }
    }

    fn seconds_between(&self, a: &str, b: &str) -> String {
        format!("EXTRACT(EPOCH FROM ({b} - {a}))")
    }

    /// The bound as a constant: compared with subqueries, the planner
    /// reads the whole source instead of the index on the watermark
    /// column (nine times slower on a million rows).
    fn create_stage_since(
        &self,
        name: &str,
        select: &str,
        since: &str,
        since_type: &str,
    ) -> String {
        let statement = self.create_stage(
            name,
            &select
                .replace('%', "%%")
                .replace(crate::sync::SINCE, "%1$L"),
        );
        let mut tag = "$cutover_sql$".to_owned();
        while statement.contains(&tag) {
            tag.insert(tag.len() - 1, '_');
        }
        format!(
            "DO $cutover_since$\nDECLARE\ncutover_since {since_type} := {since};\nBEGIN\nEXECUTE format({tag}{}{tag}, cutover_since);\nEND\n$cutover_since$;",
            statement.trim_end().trim_end_matches(';')
        )
    }

    /// The stage is planned with the chunk's keys as constants: the
    /// planner then knows its real number of rows (a range between
    /// subqueries is estimated at a small fraction) and caches repeated
    /// per-row work (Memoize) as it does for a one-shot load.
    fn create_chunk_stage(&self, name: &str, select: &str) -> String {
        let statement = self.create_stage(
            name,
            &select
                .replace('%', "%%")
                .replace(crate::load::CHUNK_LO, "%1$L")
                .replace(crate::load::CHUNK_HI, "%2$L"),
        );
        let mut tag = "$cutover_sql$".to_owned();
        while statement.contains(&tag) {
            tag.insert(tag.len() - 1, '_');
        }
        format!(
            "EXECUTE format({tag}{}{tag}, cutover_chunk_lo, cutover_chunk_hi);",
            statement.trim_end().trim_end_matches(';')
        )
    }

    fn session(&self) -> Vec<String> {
        vec![
            "SET LOCAL TimeZone = 'UTC';".into(),
            "SET LOCAL DateStyle = 'ISO, YMD';".into(),
            "SET LOCAL extra_float_digits = 1;".into(),
        ]
    }

    fn value(&self, v: &Value, kind: TypeKind) -> String {
        match v {
            Value::Null => self.null(kind),
            Value::Int(i) if *i < 0 => format!("({i})"),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) if d.mantissa < 0 => format!("({d})"),
            Value::Decimal(d) => d.to_string(),
            Value::Date(_) => format!(
                "CAST({} AS date)",
                self.text(&v.to_text().unwrap_or_default())
            ),
            Value::Time(_) => format!(
                "CAST({} AS time)",
                self.text(&v.to_text().unwrap_or_default())
            ),
            Value::Timestamp(_) => format!(
                "CAST({} AS timestamp)",
                self.text(&v.to_text().unwrap_or_default())
            ),
            Value::Timestamptz(_) => format!(
                "CAST({} AS timestamptz)",
                self.text(&v.to_text().unwrap_or_default())
            ),
            Value::Uuid(_) => format!(
                "CAST({} AS uuid)",
                self.text(&v.to_text().unwrap_or_default())
            ),
            Value::Json(_) => format!(
                "CAST({} AS json)",
                self.text(&v.to_text().unwrap_or_default())
            ),
            Value::Text(s) => self.text(s),
            other => crate::values::literal(self, other, kind),
        }
    }

    fn null(&self, kind: TypeKind) -> String {
        match kind {
            TypeKind::Null | TypeKind::Error => "NULL".into(),
            k => format!("CAST(NULL AS {})", self.column_type(k)),
        }
    }

    /// Text orders by code point only with `COLLATE "C"`; json has no
    /// operators of its own.
    fn native_order(&self, a: TypeKind, b: TypeKind) -> bool {
        !(a.is_text() || b.is_text() || a == TypeKind::Json || b == TypeKind::Json)
    }

    fn compare(&self, op: BinaryOp, l: &Arg, r: &Arg) -> Result<String, Unsupported> {
        let sym = compare_symbol(op);
        Ok(match (l.kind, r.kind) {
            // Equality of text is exact in every deterministic collation.
            (a, b) if a.is_text() && b.is_text() && matches!(op, BinaryOp::Eq | BinaryOp::Ne) => {
                format!("({} {sym} {})", l.sql, r.sql)
            }
            (a, b) if a.is_text() && b.is_text() => {
                format!("({} {sym} {} COLLATE \"C\")", l.sql, r.sql)
            }
            (TypeKind::Json, _) | (_, TypeKind::Json) => {
                format!(
                    "(CAST({} AS text) {sym} CAST({} AS text) COLLATE \"C\")",
                    l.sql, r.sql
                )
            }
            _ => format!("({} {sym} {})", l.sql, r.sql),
        })
    }

    fn display(&self, x: &Arg) -> Result<String, Unsupported> {
        use TypeKind::*;
        let shown = match x.kind {
            k if k.is_text() => self.quote(&x.sql),
            SmallInt | Int | BigInt | Decimal { .. } | Bool => format!("CAST({} AS text)", x.sql),
            Date | Time | Timestamp | Uuid => self.quote(&format!("CAST({} AS text)", x.sql)),
            other => return unsupported(format!("showing a {other} in a message")),
        };
        Ok(format!("COALESCE({shown}, 'null')"))
    }

    fn cast(&self, x: &Arg, to: TypeKind, scope: &dyn Scope) -> Result<Op, Unsupported> {
        use TypeKind::*;
        let from = x.kind;
        let v = &x.sql;
        if from == to || matches!(to, Null | Error) {
            return Ok(Op::ok(v.clone()));
        }
        if matches!(from, Null | Error) {
            return Ok(Op::ok(self.null(to)));
        }
        if to.is_text() {
            let text = self.text_form(x)?;
            return Ok(match to.max_chars() {
                Some(n) if !matches!(from.max_chars(), Some(m) if m <= n) => Op {
                    err: Some(format!(
                        "CASE WHEN length({text}) > {n} THEN {} || ' is longer than {n} characters' END",
                        self.quote(&text)
                    )),
                    v: text,
                },
                _ => Op::ok(text),
            });
        }
        if from.is_text() {
            return self.text_to(x, to, scope);
        }
        let as_numeric = |sql: &str| format!("CAST({sql} AS numeric)");
        Ok(match (from, to) {
            (f, t) if f.is_integer() && t.is_integer() => {
                let (lo, hi) = int_bounds(t);
                let (flo, fhi) = int_bounds(f);
                if flo >= lo && fhi <= hi {
                    Op::ok(format!("CAST({v} AS {})", self.column_type(t)))
                } else {
                    self.checked_int(
                        v,
                        t,
                        format!("CAST({v} AS text) || ' is out of range for {t}'"),
                    )
                }
            }
            (f, Decimal { precision, scale })
                if f.is_integer() || matches!(f, Decimal { .. }) || f == Float =>
            {
                let n = match f {
                    Float => format!("round(CAST(CAST({v} AS text) AS numeric), {scale})"),
                    _ => format!("round({}, {scale})", as_numeric(v)),
                };
                let text = format!("CAST({v} AS text)");
                Op {
                    v: format!("CASE WHEN abs({n}) < 1e{} THEN {n} END", precision - scale),
                    err: Some(format!(
                        "CASE WHEN abs({n}) >= 1e{} THEN {text} || ' does not fit {to}' END",
                        precision - scale
                    )),
                }
            }
            (Decimal { .. } | Float, t) if t.is_integer() => {
                let r = match from {
                    Float => format!("round(CAST(CAST({v} AS text) AS numeric))"),
                    _ => format!("round({v})"),
                };
                let (min, max) = int_bounds(BigInt);
                let inner = self.checked_int(
                    &r,
                    t,
                    format!("CAST({r} AS text) || ' is out of range for {t}'"),
                );
                Op {
                    v: format!("CASE WHEN {r} BETWEEN {min} AND {max} THEN {} END", inner.v),
                    err: Some(format!(
                        "CASE WHEN {r} NOT BETWEEN {min} AND {max} THEN CAST({v} AS text) || ' is out of range for {t}' ELSE {} END",
                        inner.err.unwrap_or_else(|| "NULL".into())
                    )),
                }
            }
            (f, Float) if f.is_numeric() => Op::ok(format!("CAST({v} AS double precision)")),
            (Bool, t) if t.is_integer() => Op::ok(format!(
                "CAST(CAST({v} AS integer) AS {})",
                self.column_type(t)
            )),
            (f, Bool) if f.is_integer() => Op::ok(format!("({v} <> 0)")),
            (Date, Timestamp) => Op::ok(format!("CAST({v} AS timestamp)")),
            (Date, Timestamptz) => Op::ok(format!("(CAST({v} AS timestamp) AT TIME ZONE 'UTC')")),
            (Timestamp, Date) => Op::ok(format!("CAST({v} AS date)")),
            (Timestamp, Time) => Op::ok(format!("CAST({v} AS time)")),
            (Timestamp, Timestamptz) => Op::ok(format!("({v} AT TIME ZONE 'UTC')")),
            (Timestamptz, Timestamp) => Op::ok(format!("({v} AT TIME ZONE 'UTC')")),
            (Timestamptz, Date) => Op::ok(format!("CAST(({v} AT TIME ZONE 'UTC') AS date)")),
            (Timestamptz, Time) => Op::ok(format!("CAST(({v} AT TIME ZONE 'UTC') AS time)")),
            (f, t) => return unsupported(format!("a cast from {f} to {t}")),
        })
    }

    fn builtin(
        &self,
        b: Builtin,
        args: &[Arg],
        result: TypeKind,
        scope: &dyn Scope,
    ) -> Result<Op, Unsupported> {
        use Builtin::*;
        let a = |i: usize| {
            args.get(i)
                .map(|x| x.sql.clone())
                .unwrap_or_else(|| "NULL".into())
        };
        let (x, n) = (a(0), a(1));
        Ok(match b {
            Trim => Op::ok(format!("btrim({x}, {WS})")),
            Ltrim => Op::ok(format!("ltrim({x}, {WS})")),
            Rtrim => Op::ok(format!("rtrim({x}, {WS})")),
            Squish => Op::ok(format!(
                "btrim(regexp_replace({x}, '{WS_RE}+', ' ', 'g'), {WS})"
            )),
            Upper => Op::ok(format!("\"cutover\".\"upper\"({x})")),
            Lower => Op::ok(format!("\"cutover\".\"lower\"({x})")),
            Length => Op::ok(format!("length({x})")),
            Substr => {
                let len = a(2);
                // Strict: any NULL argument gives NULL, before the guard.
                Op::ok(format!(
                    "CASE WHEN {x} IS NULL OR {n} IS NULL OR {len} IS NULL THEN NULL WHEN {len} <= 0 THEN '' ELSE substr({x}, {n}, {len}) END"
                ))
            }
            Lpad | Rpad => {
                let f = if b == Lpad { "lpad" } else { "rpad" };
                Op {
                    v: format!("CASE WHEN {n} <= 10000000 THEN {f}({x}, {n}, {}) END", a(2)),
                    err: Some(format!(
                        "CASE WHEN {n} > 10000000 AND {x} IS NOT NULL AND {} IS NOT NULL THEN 'padding to ' || {n} || ' characters is over the limit of 10000000' END",
                        a(2)
                    )),
                }
            }
            Truncate => Op::ok(crate::expr::truncate(&x, &n, args.get(2).map(|s| s.sql.as_str()))),
            Replace => Op::ok(format!("replace({x}, {n}, {})", a(2))),
            SplitPart => Op::ok(format!(
                "CASE WHEN {x} IS NULL OR {n} IS NULL OR {i} IS NULL THEN NULL WHEN {i} = 0 THEN '' ELSE split_part({x}, {n}, {i}) END",
                i = a(2)
            )),
            Mask => Op::ok(format!(
                "CASE WHEN length({x}) <= 4 THEN repeat('*', length({x})) ELSE repeat('*', length({x}) - 4) || right({x}, 4) END"
            )),
            Sha256 => Op::ok(format!("encode(sha256(convert_to({x}, 'UTF8')), 'hex')")),
            Round => {
                let digits = if args.len() > 1 { n.clone() } else { "0".into() };
                match args.first().map(|x| x.kind) {
                    Some(TypeKind::Decimal { .. }) => Op::ok(format!("round({x}, {digits})")),
                    Some(TypeKind::Float) => Op::ok(format!(
                        "CAST(round(CAST(CAST({x} AS text) AS numeric), {digits}) AS double precision)"
                    )),
                    Some(k) if k.is_integer() => {
                        let r = format!("round(CAST({x} AS numeric), {digits})");
                        let inner = self.checked_int(
                            &r,
                            result,
                            format!("'round(' || {x} || ', ' || {digits} || ') is out of range for {result}'"),
                        );
                        Op {
                            v: format!("CASE WHEN {digits} >= 0 THEN {x} ELSE {} END", inner.v),
                            err: inner.err.map(|e| format!("CASE WHEN {digits} < 0 THEN {e} END")),
                        }
                    }
                    _ => return unsupported("round of this type"),
                }
            }
            Abs => match args.first().map(|x| x.kind) {
                Some(k) if k.is_integer() => self.checked_int(
                    &format!("abs(CAST({x} AS numeric))"),
                    result,
                    format!("'abs(' || {x} || ') is out of range for {result}'"),
                ),
                _ => Op::ok(format!("abs({x})")),
            },
            ParseDate | ParseTimestamp => {
                let Some(format) = args.get(1).and_then(|f| crate::expr::literal_text(&f.sql)) else {
                    return unsupported(format!("`{}` with a format that is not a literal", b.name()));
                };
                self.parse(&x, &format, b == ParseTimestamp, scope)?
            }
            ToUtc => Op {
                v: format!("\"cutover\".\"to_utc\"({x}, {n})"),
                err: Some(format!("\"cutover\".\"to_utc_error\"({x}, {n})")),
            },
            UuidV5 => {
                let Some(namespace) = args.first().and_then(|f| crate::expr::literal_text(&f.sql)) else {
                    return unsupported("`uuid_v5` with a namespace that is not a literal");
                };
                let ns = cutover_eval::functions::uuid_v5_namespace(&namespace);
                let mut parts = Vec::new();
                for v in &args[1..] {
                    parts.push(self.text_form(v)?);
                }
                Op::ok(format!(
                    "uuid_generate_v5(CAST('{}' AS uuid), {})",
                    ns.hyphenated(),
                    parts.join(" || chr(31) || ")
                ))
            }
            Title => return unsupported("`title`"),
            Coalesce | Nullif | Now | Count | Sum | Min | Max => {
                return unsupported(format!("`{}` here", b.name()))
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
        let v = match b {
            Builtin::Count => format!("count({})", x.v),
            Builtin::Sum => match result {
                TypeKind::BigInt => {
                    let s = format!("sum(CAST({} AS numeric))", x.v);
                    let op = self.checked_int(&s, result, "'sum overflows bigint'".into());
                    return Ok(Code {
                        v: op.v,
                        err: crate::expr::first_error([err, op.err]),
                    });
                }
                _ => format!("sum({})", x.v),
            },
            Builtin::Min | Builtin::Max => {
                let f = b.name();
                if kind.is_text() {
                    format!("{f}({} COLLATE \"C\")", x.v)
                } else if kind == TypeKind::Json {
                    return unsupported("min/max of json");
                } else {
                    format!("{f}({})", x.v)
                }
            }
            _ => return unsupported(format!("`{}` as an aggregate", b.name())),
        };
        Ok(Code { v, err })
    }

    fn arith(&self, op: BinaryOp, l: &Arg, r: &Arg, result: TypeKind) -> Result<Op, Unsupported> {
        let sym = match op {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            _ => return unsupported(format!("`{}`", op.symbol())),
        };
        let zero = matches!(op, BinaryOp::Div | BinaryOp::Rem);
        // Strict: a NULL dividend gives NULL, even over zero.
        let div_err = format!(
            "CASE WHEN {} IS NOT NULL AND {} = 0 THEN 'division by zero' END",
            l.sql, r.sql
        );
        let shown = |x: &Arg| match x.kind {
            TypeKind::Float => format!("CAST({} AS text)", x.sql),
            _ => format!("CAST({} AS text)", x.sql),
        };
        let overflow = format!(
            "{} || ' {} ' || {} || ' overflows {result}'",
            shown(l),
            op.symbol(),
            shown(r)
        );
        let rhs = if zero {
            format!("NULLIF({}, 0)", r.sql)
        } else {
            r.sql.clone()
        };
        Ok(match result {
            TypeKind::Float => {
                let f = |x: &Arg| format!("CAST({} AS double precision)", x.sql);
                let rhs = if zero {
                    format!("NULLIF({}, 0)", f(r))
                } else {
                    f(r)
                };
                Op {
                    v: format!("({} {sym} {rhs})", f(l)),
                    err: zero.then_some(div_err),
                }
            }
            k if k.is_integer() => {
                if op == BinaryOp::Div {
                    return unsupported("integer division");
                }
                let n = format!("(CAST({} AS numeric) {sym} {rhs})", l.sql);
                let checked = self.checked_int(&n, k, overflow);
                Op {
                    v: checked.v,
                    err: crate::expr::first_error([zero.then_some(div_err), checked.err]),
                }
            }
            TypeKind::Decimal { scale, .. } => {
                let n = if op == BinaryOp::Div {
                    let shift = scale as u32 + 1;
                    format!(
                        "round(div(CAST({} AS numeric) * 1e{shift}, {rhs}) * 1e-{shift}, {scale})",
                        l.sql
                    )
                } else {
                    format!("(CAST({} AS numeric) {sym} {rhs})", l.sql)
                };
                let limit = format!("1e{}", 38 - scale.min(38) as i32);
                Op {
                    v: format!("CASE WHEN abs({n}) < {limit} THEN {n} END"),
                    err: crate::expr::first_error([
                        zero.then_some(div_err),
                        Some(format!("CASE WHEN abs({n}) >= {limit} THEN {overflow} END")),
                    ]),
                }
            }
            other => return unsupported(format!("arithmetic in {other}")),
        })
    }

    fn negate(&self, x: &Arg) -> Result<Op, Unsupported> {
        Ok(match x.kind {
            k if k.is_integer() => {
                let (min, _) = int_bounds(TypeKind::BigInt);
                let n = format!("(-CAST({} AS numeric))", x.sql);
                let inner = self.checked_int(
                    &n,
                    k,
                    format!("CAST({n} AS text) || ' is out of range for {k}'"),
                );
                Op {
                    v: inner.v,
                    err: Some(format!(
                        "CASE WHEN {} = {min} THEN '-(' || {} || ') is out of range for {k}' ELSE {} END",
                        x.sql,
                        x.sql,
                        inner.err.unwrap_or_else(|| "NULL".into())
                    )),
                }
            }
            _ => Op::ok(format!("(-{})", x.sql)),
        })
    }
}
