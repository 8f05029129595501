//! Randomized differential test: one spec whose maps exercise the
//! edge-case-heavy built-ins of docs/functions.md, run over rows drawn
//! from pools of awkward values (NULL, whitespace of every kind,
//! non-ASCII, integer limits, invalid dates, DST gaps and overlaps, …) by
//! a seeded generator. The reference evaluator, the generated SQL on
//! SQLite and the generated SQL on PostgreSQL (when a server is there)
//! must give the same target rows and the same quarantine, cell by cell.
//! A mismatch is reported with the source row, the column and every
//! side's value.

#[path = "../../../tests/support/postgres.rs"]
mod pg;

mod common;
use common::{select_text, source_sql, Cells, Db};

use cutover_backend_sql::{build, Dialect, Postgres, SpecInfo, Sqlite};
use cutover_eval::decimal::Decimal;
use cutover_eval::{Engine, Rows, Value};
use cutover_ir::{Ir, Role, TableId, TypeKind};
use std::collections::{BTreeMap, BTreeSet};

/// The spec under test. Every assignment that can fail has an `else null`
/// in the wide maps (so one failing column does not hide the others);
/// the `m_*` maps reject instead, to compare rules, columns and reasons
/// (generated ones for overflow, division by zero and padding limits).
///
/// The generator leaves out what differs in its values (see `float`,
/// `INSTANTS`, `ZONES`).
const SPEC: &str = r#"migration "differential test" {
  strategy big_bang
  owner "tests"
}

source src: sqlite {
  table t {
    id   int primary key
    s    text
    s2   varchar(20)
    sm   smallint
    n    int
    n2   int
    big  bigint
    big2 bigint
    d    decimal(12, 2)
    d2   decimal(38, 10)
    f    float
    ts   timestamp
    dt   date
    zone text
    rows ~ 1000
  }
}

target dst: postgres {
  table texts {
    id        int primary key
    trimmed   text
    ltrimmed  text
    rtrimmed  text
    squished  text
    up        text
    low       text
    up2       varchar(20)
    len       int
    sub1      text
    sub2      text
    lp        text
    rp        varchar(8)
    tr1       varchar(6)
    tr2       varchar(6)
    tr3       text
    rep       text
    rep2      text
    sp1       text
    sp2       text
    co        text
    ni        varchar(20)
    cat       text
    lk        bool
    lk2       bool
    lk3       bool
    hash      varchar(64)
    uid       uuid
    uid2      uuid
    total     text
    partial   text
    by_n      text
    masked    text
    loaded_at timestamptz not null default now()
  }

  table casts {
    id      int primary key
    ci      int
    cb      bigint
    csm     smallint
    cdec    decimal(12, 2)
    cdec0   decimal(5, 0)
    cdate   date
    cbool   bool
    cvc     varchar(5)
    cuuid   uuid
    cjson   json
    pd1     date
    pd2     date
    pd3     date
    pts     timestamp
    utc_ny  timestamptz
    utc_be  timestamptz
    utc_z   timestamptz
    n_sm    smallint
    big_int int
    d_int   int
    d2_dec  decimal(12, 2)
    f_dec   decimal(20, 4)
    f_dec0  decimal(38, 0)
    f_int   bigint
    n_bool  bool
    n_text  text
    d_text  text
    d2_text text
    dt_text text
    ts_text text
    ts_date date
  }

  table arith {
    id    int primary key
    a1    int
    a2    bigint
    a3    bigint
    a4    decimal(38, 12)
    a5    decimal(38, 10)
    a6    int
    a7    decimal(38, 6)
    a8    smallint
    a9    bigint
    a10   smallint
    a11   smallint
    a12   decimal(14, 2)
    r1    decimal(13, 1)
    r2    decimal(38, 3)
    r3    decimal(12, 2)
    r4    int
    r5    float
    r6    decimal(38, 10)
    c1    bool
    c2    bool
    c3    bool
    c4    bool
    c5    bool
    c6    bool
    c7    bool
    c8    bool
    c9    bool
    c10   bool
    k1    text
    k2    int
    k3    decimal(13, 2)
    k4    bool
  }

  table m_num  { id int primary key, v int not null, w int }
  table m_dec  { id int primary key, w bigint, v decimal(5, 2) }
  table m_date { id int primary key, v date, w date not null default "2000-01-01" }
  table m_bool { id int primary key, v bool }
  table m_vc   { id int primary key, v varchar(5) }
  table m_lk   { id int primary key, v text not null, w text not null }
  table m_utc  { id int primary key, v timestamptz, w timestamptz }
  table m_ar   { id int primary key, v1 bigint, v2 int, v3 decimal(38, 12), v4 smallint, v5 int, v6 text, v7 smallint }
  table m_where { id int primary key, v int }
  table groups {
    k     text primary key
    cnt   bigint not null
    cnt_n bigint not null
    sum_n bigint
    sum_d decimal(38, 2)
    min_s text
    max_s text
    min_d decimal(12, 2)
    max_ts timestamp
  }
}

lookup codes { "A" => "alpha", "b" => "bravo", "ß" => "eszett", " C" => "spaced", "" => "empty", else => "other" }
lookup strict_codes { "A" => "alpha", "Zoë" => "zoe", "" => "empty", "x" => null, "42" => "forty-two" }
lookup by_num { 0 => "zero", 1 => "one", -1 => "minus one", 2147483647 => "max", else => "many" }

map texts: src.t -> dst.texts {
  key id = id
  trimmed  = trim(s)
  ltrimmed = ltrim(s)
  rtrimmed = rtrim(s)
  squished = squish(s)
  up       = upper(s)
  low      = lower(s)
  up2      = upper(s2)
  len      = length(s)
  sub1     = substr(s, n, sm)
  sub2     = substr(s2, 2, 3)
  lp       = lpad(s2, sm, "ab") else null
  rp       = rpad(s2, 8, "·-")
  tr1      = truncate(s, 6)
  tr2      = truncate(s, 6, "…!")
  tr3      = truncate(s2, n2, "...")
  rep      = replace(s, "a", "Ä")
  rep2     = replace(s, s2, "<>")
  sp1      = split_part(s, " ", n2)
  sp2      = split_part(s2, "::", -1)
  co       = coalesce(nullif(trim(s), ""), s2, "none")
  ni       = nullif(s2, "")
  cat      = s ++ "|" ++ s2
  lk       = s like "%a_b%"
  lk2      = s2 like "50\\%%"
  lk3      = s like "_%\\\\"
  hash     = sha256(s)
  uid      = uuid_v5("differential/texts", s, n)
  uid2     = uuid_v5("differential/texts", d, dt, ts)
  total    = codes[s2]
  partial  = strict_codes[trim(s2)] else null
  by_n     = by_num[n]
  masked   = mask(s2)
  drop big, big2, d2, f, zone because "other maps"
}

map casts: src.t -> dst.casts {
  key id = id
  ci      = cast(s as int) else null
  cb      = cast(s as bigint) else null
  csm     = cast(s as smallint) else null
  cdec    = cast(s as decimal(12, 2)) else null
  cdec0   = cast(s as decimal(5, 0)) else null
  cdate   = cast(s as date) else null
  cbool   = cast(s as bool) else null
  cvc     = cast(s as varchar(5)) else null
  cuuid   = cast(s as uuid) else null
  cjson   = cast(s as json) else null
  pd1     = parse_date(s, "%m/%d/%Y") else null
  pd2     = parse_date(s, "%d %b %y") else null
  pd3     = parse_date(s2, "%Y%m%d") else null
  pts     = parse_timestamp(s, "%Y-%m-%d %H:%M:%S") else null
  utc_ny  = to_utc(ts, "America/New_York") else null
  utc_be  = to_utc(ts, "Europe/Berlin") else null
  utc_z   = to_utc(ts, zone) else null
  n_sm    = cast(n as smallint) else null
  big_int = cast(big as int) else null
  d_int   = cast(d as int) else null
  d2_dec  = cast(d2 as decimal(12, 2)) else null
  f_dec   = cast(f as decimal(20, 4)) else null
  f_dec0  = cast(f as decimal(38, 0)) else null
  f_int   = cast(f as bigint) else null
  n_bool  = cast(n as bool)
  n_text  = cast(n as text)
  d_text  = cast(d as text)
  d2_text = cast(d2 as text)
  dt_text = cast(dt as text)
  ts_text = cast(ts as text)
  ts_date = cast(ts as date)
  drop sm, n2, big2 because "other maps"
}

map arith: src.t -> dst.arith {
  key id = id
  a1  = n + n2 else null
  a2  = big * big2 else null
  a3  = big - n else null
  a4  = d * d2 else null
  a5  = d + d2 else null
  a6  = n % n2 else null
  a7  = d / n2 else null
  a8  = -sm else null
  a9  = abs(big) else null
  a10 = abs(sm) else null
  a11 = sm + sm else null
  a12 = d - n else null
  r1  = round(d, 1)
  r2  = round(d2, 3)
  r3  = round(d, -2) else null
  r4  = round(n, -1) else null
  r5  = round(f, 2) else null
  r6  = round(d2, 12) else null
  c1  = d > d2
  c2  = n between n2 and big
  c3  = s2 in ("A", "b", "")
  c4  = s2 in ("A", null)
  c5  = s < s2
  c6  = d == n
  c7  = f < d
  c8  = not (n not between -10 and 10)
  c9  = (n > 0 and s like "%a%") or d is null
  c10 = ts > cast(dt as timestamp)
  k1  = case when n > 0 then "pos" when n < 0 then "neg" when n == 0 then "zero" end
  k2  = case s2 when "A" then 1 when "b" then 2 when null then 3 else 0 end
  k3  = if d > 0 then d else n else null
  k4  = if s2 is null then null else s2 >= "Z"
  drop zone because "other maps"
}

map m_num: src.t -> dst.m_num {
  key id = id
  rule NUM-1 "int from text"
    v = cast(s as int) else reject "not an int"
  rule NUM-2 "int from the second text, else a sum"
    w = cast(s2 as int) else n + n2
  drop sm, big, big2, d, d2, f, ts, dt, zone because "other maps"
}

map m_dec: src.t -> dst.m_dec {
  key id = id
  w = abs(big)
  v = cast(s as decimal(5, 2)) else reject "bad decimal"
  drop s2, sm, n, n2, big2, d, d2, f, ts, dt, zone because "other maps"
}

map m_date: src.t -> dst.m_date {
  key id = id
  rule DT-1 "day first" v = parse_date(s, "%d/%m/%Y") else reject "bad date"
  w = dt
  drop s2, sm, n, n2, big, big2, d, d2, f, ts, zone because "other maps"
}

map m_bool: src.t -> dst.m_bool {
  key id = id
  v = cast(s as bool) else reject "bad bool"
  drop s2, sm, n, n2, big, big2, d, d2, f, ts, dt, zone because "other maps"
}

map m_vc: src.t -> dst.m_vc {
  key id = id
  v = cast(s as varchar(5)) else reject "too long"
  drop s2, sm, n, n2, big, big2, d, d2, f, ts, dt, zone because "other maps"
}

map m_lk: src.t -> dst.m_lk {
  key id = id
  rule LK-1 "strict code"
    v = strict_codes[s] else reject "unknown code"
  w = strict_codes[s2] else "fallback"
  drop sm, n, n2, big, big2, d, d2, f, ts, dt, zone because "other maps"
}

map m_utc: src.t -> dst.m_utc {
  key id = id
  v = to_utc(ts, "America/New_York") else reject "gap in New York"
  w = to_utc(ts, zone) else reject "no such local time"
  drop s, s2, sm, n, n2, big, big2, d, d2, f, dt because "other maps"
}

map m_ar: src.t -> dst.m_ar {
  key id = id
  v1 = big + big2
  rule AR-2 "int product"
    v2 = n * n2 else reject "n * n2 does not fit an int"
  v3 = d * d2
  v4 = -sm
  v5 = n % n2
  v6 = lpad(s2, n, "x")
  v7 = sm + sm
  drop s, f, ts, dt, zone because "other maps"
}

map m_where: src.t -> dst.m_where {
  where n + n2 > 0
  key id = id
  v = n
  drop s, s2, sm, big, big2, d, d2, f, ts, dt, zone because "other maps"
}

map groups: src.t -> dst.groups {
  group by s2
  key k = coalesce(s2, "<null>")
  cnt = count()
  cnt_n = count(n)
  sum_n = sum(n)
  sum_d = sum(d)
  min_s = min(s)
  max_s = max(s)
  min_d = min(d)
  max_ts = max(ts)
  drop sm, n2, big, big2, d2, f, dt, zone because "other maps"
}
"#;

/// How many source rows, and the generator's seed: fixed, so a failure
/// reproduces. `CUTOVER_DIFFERENTIAL_SEED` (a number) draws other rows,
/// to explore.
const ROWS: usize = 800;
const SEED: u64 = 0x5EED_C0DE_2024_0310;

fn seed() -> u64 {
    match std::env::var("CUTOVER_DIFFERENTIAL_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .expect("CUTOVER_DIFFERENTIAL_SEED is a number"),
        Err(_) => SEED,
    }
}

// ─────────────────────────── Generator ───────────────────────────

/// xorshift64*: small, deterministic, good enough to mix pools.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        (i128::from(lo) + (u128::from(self.next()) % span) as i128) as i64
    }
}

/// Texts each built-in has a documented edge case for.
#[rustfmt::skip]
const TEXTS: &[&str] = &[
    "", " ", "   ", "\t\n", "\u{B}\u{C}", "\r\n", " a ", "\ta b\t", "  ada   LOVELACE ",
    "a\u{A0} b\t\nc", "\u{A0}x ", "\u{3000}x\u{3000}", "x\u{2028}y", "\u{B}\u{C}x\r\n",
    "Zoë", "ß", "straße éa", "İSTANBUL ΣΑΣ", "ǆ ﬁ", "ᾀ", "北京", "👍🏽", "e\u{301}", "é",
    "ÉA", "ﬃ", "ı", "ŉ", "ǰ", "\u{212A}elvin", "\u{2126}", "ẞ", "Ⅻ", "ⓐ", "𐐀𐐨", "ǅ",
    "A", "b", " C", "x", "42", "a_b", "xa-bx", "ab", "a\nb", "50%", "50%off", "_\\", "a\\",
    "\\", "%", "_", "a::b::c", "::", "a b c", "a  b", "a/b/c", "héllo wörld", "héllo",
    "abcdef", "aaa", "o'neil mcdonald-SMITH 3rd", "\u{1F}", "a\u{1F}b", "\u{7F}", "\"q\"",
    "1e3", "+5", "-0", " 42 ", "\t-17\n", "007", "42.0", "1_000", "٣", "\u{A0}42",
    "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "32767", "32768",
    "-32768", "-32769", "99999", "1e400", "nan", "NaN", "inf", "Infinity", "0x1F", ".5",
    "5.", ".", "-.5", "+.5", "-0.001", "0.005", "-0.005", "123.455", "999.995", "-999.995",
    "9999999999.99", "9999999999.995", "10000000000", "1234567890.123456789012345678901234567890",
    "12345678901234567890123456789012345678", "123456789012345678901234567890123456789",
    "0.000000000000000000000000000000000000000001", "1.5e3", "- 5", "+-5", "5-", "٤٢",
    "true", "t", "YES", " OFF ", "tr", "2", "on", "No", "y", "FALSE", "0", "1", "oN", "ye",
    "2024-02-29", "2023-02-29", "2024-02-30", "0000-01-01", "0001-01-01", "9999-12-31",
    "2024-2-3", "20240301", "2024-03-01 00:00", "13/01/2020", "01/13/2020", "02/29/2023",
    "02/29/2024", "4/5/1985", "04/15/1985", " 04/15/1985", "04/15/1985 ", "15 Apr 85",
    "15 apr 69", "1 March 2024", "1 MAR 24", "31 Dec 68", "29 Feb 00", "29 Feb 01",
    "29/02/2000", "31/04/2021", "2024-03-10 02:30:00", "2024-10-27 02:30:00",
    "2024-03-01 09:00:60", "2024-03-01 24:00:00", "2024-03-01 9:5:1", "2024-03-01T09:00:00",
    "2024-03-01 23:59:59", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "12/31/9999",
    "1/1/0001", "00/10/2020", "10/00/2020",
    "9C9E339A-3F00-597A-AC99-C5B2A65CD279", "9c9e339a-3f00-597a-ac99-c5b2a65cd279",
    "{9c9e339a-3f00-597a-ac99-c5b2a65cd279}", "9c9e339a3f00597aac99c5b2a65cd279",
    "9c9e339a-3f00-597a-ac99-c5b2a65cd27g", " 9c9e339a-3f00-597a-ac99-c5b2a65cd279\t",
    " null ", "null", "{\"b\": 1, \"a\": [1.10, 2.0, 1E2, \"é\"], \"B\": 2}", "{a:1}", "[]",
    "{}", "\"x\"", "12345678901234567890123", "{\"k\":\"\\u00e9\\n\"}", "\"\\ud83d\\ude00\"",
    "{\"a\":1,\"a\":2}", "[1e400]", "-0.0", "1E-2", "[1,2,]", "{\"x\":\"\u{7F}\"}", "\"\\u0000\"", "{\"a\\u0000\":1}",
    "[0.1e+5, -0, 1.50]", "true ", "\"\u{1}\"",
];

/// Short texts (≤ 20 characters: the source column is `varchar(20)`):
/// lookup keys, padding and split inputs, number and date texts.
#[rustfmt::skip]
const SHORT: &[&str] = &[
    "A", "b", "ß", " C", "", "x", "Zoë", "42", " 42 ", "-7", "0", "yes", "no", "maybe", "50%",
    "50%off", "50\\%", "500", "a::b::c", "::x", "x::", "::", "20240229", "20230229", "2024115",
    "99991231", "00000101", "20241301", "Z", "z", "é", "ab", "abc", "a", "B", "c", "Zoe",
    "\u{212A}", "ǆ", "北京", "👍🏽", " ", "\t", "İ", "ΣΑΣ", "   x   ", "2147483647", "-2147483648",
    "2147483648", "1", "+1", "true", "OFF", "x\u{A0}",
];

/// Whitespace that conversions strip, and some they must not.
#[rustfmt::skip]
const PADS: &[&str] = &[
    "", "", "", " ", "\t", "\n", "\r\n ", "\u{B}", "\u{C}", "  \t", "\u{A0}", "\u{3000}",
];

/// Characters random texts are made of: ASCII letters that `like`
/// patterns and lookups test, wildcards and separators, whitespace, and
/// characters whose case mapping is special.
#[rustfmt::skip]
const ALPHABET: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{B}', '\u{C}', 'a', 'b', 'A', 'Z', 'z', '_', '%', '\\', ':', '/',
    '-', '0', '1', '9', 'é', 'ß', 'İ', 'ı', 'Σ', 'ς', 'ǅ', 'Ǉ', '\u{A0}', '\u{301}', '北', '👍',
    '\u{1F3FD}', '\u{1F}', '"', '\'', '\u{7F}', '\u{85}', 'ﬁ', '\u{212A}', '\u{2126}', 'ẞ', 'ᾈ',
    'Ω', 'ö', 'Ä', '…', '·', '\u{10400}', '\u{2028}',
];

#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "JAN",
    "sep", "Sept", "March", "may", "Foo",
];

fn random_chars(r: &mut Rng, max: usize) -> String {
    let n = r.below(max + 1);
    (0..n).map(|_| r.pick(ALPHABET)).collect()
}

fn padded(r: &mut Rng, s: &str) -> String {
    format!("{}{s}{}", r.pick(PADS), r.pick(PADS))
}

/// Digits, sign, point and exponent in random, mostly plausible places.
fn number_text(r: &mut Rng) -> String {
    let mut s = String::from(r.pick(&["", "", "", "-", "+"]));
    let int_digits = if r.percent(20) {
        r.below(42)
    } else {
        r.below(6)
    };
    for i in 0..int_digits {
        let lead = i == 0 && !r.percent(10);
        s.push(char::from(b'0' + r.range(i64::from(lead), 9) as u8));
    }
    if r.percent(50) {
        s.push('.');
        for _ in 0..r.below(14) {
            s.push(char::from(b'0' + r.range(0, 9) as u8));
        }
    }
    if r.percent(5) {
        s.push_str(&format!("e{}", r.range(-5, 5)));
    }
    s
}

/// A date (or date and time) as text, valid or nearly.
fn date_text(r: &mut Rng) -> String {
    let y = if r.percent(50) {
        r.pick(&[
            0, 1, 1969, 1970, 1985, 1999, 2000, 2023, 2024, 2068, 2069, 9999,
        ])
    } else {
        r.range(1, 9999)
    };
    let m = if r.percent(90) {
        r.range(1, 12)
    } else {
        r.pick(&[0, 13])
    };
    let d = if r.percent(85) {
        r.range(1, 28)
    } else {
        r.range(29, 32)
    };
    let (hh, mm, ss) = if r.percent(85) {
        (r.range(0, 23), r.range(0, 59), r.range(0, 59))
    } else {
        (r.range(0, 24), r.range(0, 60), r.range(0, 60))
    };
    match r.below(8) {
        0 => format!("{y:04}-{m:02}-{d:02}"),
        1 => format!("{m:02}/{d:02}/{y:04}"),
        2 => format!("{m}/{d}/{y}"),
        3 => format!("{d} {} {:02}", r.pick(MONTHS), y % 100),
        4 => format!("{d:02}/{m:02}/{y:04}"),
        5 => format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}"),
        6 => format!("{y:04}-{m:02}-{d:02} {hh}:{mm}:{ss}"),
        _ => format!("{y:04}{m:02}{d:02}"),
    }
}

/// The `text` column: anything.
fn text(r: &mut Rng) -> String {
    match r.below(12) {
        0..=4 => r.pick(TEXTS).to_string(),
        5 => {
            let t = r.pick(TEXTS);
            padded(r, t)
        }
        6 => {
            let t = number_text(r);
            padded(r, &t)
        }
        7 => date_text(r),
        8 => random_chars(r, 12),
        9 => format!(
            "{}{}{}",
            r.pick(TEXTS),
            r.pick(&[" ", "", "::", "a", "/"]),
            r.pick(SHORT)
        ),
        10 => {
            let t = r.pick(SHORT);
            padded(r, t)
        }
        // Long texts: truncation, padding and hashing at length.
        _ => {
            let unit = random_chars(r, 8);
            let unit = if unit.is_empty() {
                "ab ".to_string()
            } else {
                unit
            };
            unit.repeat(r.range(20, 600) as usize)
        }
    }
}

/// The `varchar(20)` column.
fn short_text(r: &mut Rng) -> String {
    loop {
        let s = match r.below(6) {
            0..=2 => r.pick(SHORT).to_string(),
            3 => random_chars(r, 20),
            4 => {
                let t = number_text(r);
                padded(r, &t)
            }
            _ => text(r),
        };
        // `<null>` is the group key of NULL in map `groups`.
        if s.chars().count() <= 20 && s != "<null>" {
            return s;
        }
    }
}

/// From a pool of limits most of the time, else uniform in `lo..=hi`.
fn int(r: &mut Rng, pool: &[i64], lo: i64, hi: i64) -> i64 {
    if r.percent(55) {
        r.pick(pool)
    } else {
        r.range(lo, hi)
    }
}

#[rustfmt::skip]
const SMALLINTS: &[i64] = &[
    0, 1, -1, 2, 3, 4, 5, 6, 8, 10, 20, 100, 32767, -32768, 32766, -32767, -3, -10,
];
#[rustfmt::skip]
const INTS: &[i64] = &[
    0, 1, -1, 2, 3, 5, 7, -7, 10, -10, 100, 2147483647, -2147483648, 2147483646, -2147483647,
    46340, 46341, -46341, 65535, 65536, 10_000_001, 1_000_000_000, -1_000_000_000,
];
#[rustfmt::skip]
const BIGINTS: &[i64] = &[
    0, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1, 3037000499, 3037000500,
    -3037000500, 4294967296, 9007199254740993, 2147483648, -2147483649, 2147483647,
    -2147483648, 1_000_000_000_000,
];

/// A decimal of this scale and at most `int_digits` digits before the point.
fn decimal(r: &mut Rng, pool: &[&str], scale: u8, int_digits: usize) -> Decimal {
    let text = if r.percent(45) {
        r.pick(pool).to_string()
    } else {
        let sign = if r.percent(40) { "-" } else { "" };
        let digits = |r: &mut Rng, n: usize| -> String {
            (0..n)
                .map(|_| char::from(b'0' + r.range(0, 9) as u8))
                .collect()
        };
        let n = if r.percent(30) {
            int_digits
        } else {
            r.below(int_digits.min(8) + 1)
        };
        let int = digits(r, n);
        let frac = digits(r, scale as usize);
        format!("{sign}{}.{frac}", if int.is_empty() { "0" } else { &int })
    };
    Decimal::parse(&text, Some(scale)).unwrap_or_else(|| panic!("decimal pool: {text}"))
}

#[rustfmt::skip]
const DECIMALS_12_2: &[&str] = &[
    "0.00", "0.01", "-0.01", "0.05", "-0.05", "2.25", "-2.25", "2.50", "-2.50", "1.15", "9.99",
    "-9.99", "0.50", "-0.50", "12.35", "9999999999.99", "-9999999999.99", "9999999999.95",
    "99.95", "1.00", "100.00", "-100.00", "0.49", "-0.49", "2147483647.49", "2147483647.50",
    "-2147483648.50", "-2147483648.49", "149.99", "150.00", "-150.00", "49.99", "50.00",
];
#[rustfmt::skip]
const DECIMALS_38_10: &[&str] = &[
    "0", "1", "-1", "0.0000000001", "-0.0000000001", "0.0000000005", "2.5", "2.4999999999",
    "2.0005", "-2.0005", "12.3455", "9999999999999999999999999999.9999999999",
    "-9999999999999999999999999999.9999999999", "1234567890123456789.0123456789", "0.9995",
    "0.0005", "-0.0005", "9.9995", "0.004999", "99999999999.995", "1000000000000000000000000000",
];

#[rustfmt::skip]
const FLOATS: &[f64] = &[
    0.0, 0.1, 0.2, 0.30000000000000004, 2.675, 2.5, -2.5, 0.5, -0.5, 1.5, -0.4, 1e15, 1e-5,
    -1.5e-7, 123456789012345.6, 9007199254740993.0, 1e300, -1e300, 1e20, 9.223372036854776e18,
    4503599627370496.5, 0.125, 1.005, 1234.5678, 12345678.9, 1e16,
    99999999999999.99995, 0.00005, -0.00005, 0.00015,
];

fn float(r: &mut Rng) -> f64 {
    match r.below(3) {
        0 => r.pick(FLOATS),
        1 => {
            let mantissa = r.range(-1_000_000_000, 1_000_000_000) as f64;
            mantissa * 10f64.powi(r.range(-12, 6) as i32)
        }
        // Any bit pattern, of moderate magnitude: beyond about 1e±80
        // SQLite reads the shortest digits back an ulp off, and from about
        // 1e9 PostgreSQL's float text can differ from the shortest digits
        // the evaluator uses (ties: 220384566461813.125 prints .12 there,
        // .13 here; 2.08297205e19 prints as 2.0829720499999998e+19), which
        // float → decimal and float → integer casts see. For the same
        // reason the other branches stay below 2^53 and -2^63 is not drawn.
        _ => loop {
            let x = f64::from_bits(r.next());
            if x.is_finite() && (1e-70..1e9).contains(&x.abs()) {
                break x;
            }
        },
    }
}

/// Clock changes of the zones the spec names, and historical and
/// out-of-range instants. None after 2099 but in December: chrono-tz
/// keeps the offset of the last change of 2099 for ever (northern zones
/// stay on standard time), PostgreSQL keeps applying the rules.
#[rustfmt::skip]
const INSTANTS: &[&str] = &[
    "2024-03-10 02:00:00", "2024-11-03 01:00:00", "2024-11-03 02:00:00", "2024-03-31 02:00:00",
    "2024-10-27 02:00:00", "2024-10-27 03:00:00", "2007-03-11 02:00:00", "1918-03-31 02:00:00",
    "2037-03-08 02:00:00", "2038-03-14 02:00:00", "2099-10-25 02:30:00", "1883-11-18 12:03:58",
    "1893-04-01 00:00:00", "1945-05-24 02:00:00", "1945-09-24 03:00:00", "1916-04-30 23:00:00",
    "1970-01-01 00:00:00", "2000-02-29 12:00:00", "2024-02-29 23:59:59", "0001-01-01 00:00:00",
    "0001-01-01 05:00:00", "9999-12-31 23:59:59", "9999-12-31 18:00:00", "2011-12-29 23:59:59",
    "2024-04-07 02:30:00", "2024-10-06 02:00:00",
];

fn timestamp(r: &mut Rng) -> chrono::NaiveDateTime {
    let base = chrono::NaiveDateTime::parse_from_str(r.pick(INSTANTS), "%Y-%m-%d %H:%M:%S")
        .expect("instant pool");
    let shifted = match r.below(4) {
        0 => base,
        1 => base + chrono::Duration::minutes(r.range(-90, 90)),
        2 => base + chrono::Duration::seconds(r.range(-3700, 3700)),
        _ => base + chrono::Duration::microseconds(r.range(-1_000_000, 1_000_000)),
    };
    // Stay within years 1–9999 (the shift may leave them).
    shifted.clamp(
        chrono::NaiveDate::from_ymd_opt(1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("year 1"),
        chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
            .expect("year 9999"),
    )
}

fn date(r: &mut Rng) -> chrono::NaiveDate {
    let fixed = [
        (2024, 2, 29),
        (2000, 2, 29),
        (1900, 3, 1),
        (1, 1, 1),
        (9999, 12, 31),
        (1970, 1, 1),
        (2024, 3, 10),
    ];
    let (y, m, d) = if r.percent(40) {
        r.pick(&fixed)
    } else {
        (
            r.range(1, 9999) as i32,
            r.range(1, 12) as u32,
            r.range(1, 28) as u32,
        )
    };
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// Zone names: exact IANA names, links, case and POSIX look-alikes that
/// must fail, zones with odd offsets. Not `EST` nor `EST5EDT`: links to
/// America/Panama and America/New_York in chrono-tz, fixed offsets in
/// Debian's tzdata.
#[rustfmt::skip]
const ZONES: &[&str] = &[
    "America/New_York", "Europe/Berlin", "UTC", "Etc/UTC", "GMT", "Europe/London",
    "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns",
    "Asia/Kathmandu", "US/Eastern", "Etc/GMT+5", "america/new_york", "Mars/Olympus",
    "", " UTC", "+05:00", "UTC+3", "Europe/Kiev", "Pacific/Apia", "Antarctica/Troll",
    "America/Sao_Paulo", "Europe/Dublin",
];

/// `n` source rows, a value per column of `src.t`, NULL in about one cell
/// in eight.
fn source_rows(ir: &Ir, t: TableId, n: usize, seed: u64) -> Rows {
    // xorshift never leaves 0.
    let mut r = Rng(seed.max(1));
    let table = ir.table(t);
    (1..=n)
        .map(|id| {
            table
                .columns
                .iter()
                .map(|c| {
                    let col = ir.column(*c);
                    if col.name != "id" && r.percent(12) {
                        return Value::Null;
                    }
                    match col.name.as_str() {
                        "id" => Value::Int(id as i64),
                        "s" => Value::Text(text(&mut r)),
                        "s2" => Value::Text(short_text(&mut r)),
                        "sm" => Value::Int(int(&mut r, SMALLINTS, -40, 40)),
                        "n" | "n2" => Value::Int(int(&mut r, INTS, -50, 50)),
                        "big" | "big2" => {
                            let bits = r.range(1, 63);
                            let x = r.range(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
                            Value::Int(int(&mut r, BIGINTS, x, x))
                        }
                        "d" => Value::Decimal(decimal(&mut r, DECIMALS_12_2, 2, 10)),
                        "d2" => Value::Decimal(decimal(&mut r, DECIMALS_38_10, 10, 28)),
                        "f" => Value::Float(float(&mut r)),
                        "ts" => Value::Timestamp(timestamp(&mut r)),
                        "dt" => Value::Date(date(&mut r)),
                        "zone" => Value::Text(r.pick(ZONES).to_string()),
                        other => panic!("no generator for column {other}"),
                    }
                })
                .collect()
        })
        .collect()
}

// ───────────────────── Running (as in tests/load.rs) ─────────────────────

fn ir() -> Ir {
    let compiled = cutover_check::compile(SPEC);
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let at = d.primary_span().range().start;
            let line = SPEC[..at.min(SPEC.len())].lines().count();
            format!("line {line}: {}: {}", d.code.as_str(), d.message)
        })
        .collect();
    assert!(
        errors.is_empty(),
        "the spec has errors:\n{}",
        errors.join("\n")
    );
    compiled.ir.expect("ir")
}

fn scripts(ir: &Ir, d: &dyn Dialect) -> BTreeMap<String, String> {
    build(
        ir,
        d,
        &SpecInfo {
            path: "differential.cutover",
            sha256: "0",
            text: SPEC,
        },
    )
    .unwrap_or_else(|e| panic!("{} cannot compile: {}", d.name(), e.what))
    .into_iter()
    .map(|s| (s.name, s.text))
    .collect()
}

fn batch_clock(db: &mut dyn Db, d: &dyn Dialect, batch: i64) -> chrono::NaiveDateTime {
    let rows = db.texts(&format!(
        "SELECT CAST(started_at AS text) FROM {} WHERE batch_id = {batch}",
        d.meta_table("batches")
    ));
    let text = rows[0][0].clone().expect("start time");
    cutover_eval::value::parse_iso_timestamptz(&text).unwrap_or_else(|| panic!("clock {text}"))
}

fn sqlite(ir: &Ir) -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().expect("sqlite");
    cutover_sqlite_functions::register(&db).expect("functions");
    for s in &ir.systems {
        db.execute_batch(&format!(
            "ATTACH DATABASE ':memory:' AS {};",
            Sqlite.ident(&s.name)
        ))
        .expect("attach");
    }
    db
}

fn postgres() -> Option<postgres::Client> {
    let mut db = pg::database("differential")?;
    db.run(&Postgres.session().join("\n").replace("SET LOCAL", "SET"));
    Some(db)
}

// ─────────────────────────── Comparing ───────────────────────────

/// What one side made of the rows: target rows by (table, first column),
/// quarantine rows (rule, column, reason) by (map, source key).
#[derive(Default)]
struct Outcome {
    rows: BTreeMap<(String, String), Cells>,
    quarantine: BTreeMap<(String, String), Cells>,
}

impl Outcome {
    fn add_row(&mut self, table: &str, row: Cells) {
        let key = (table.to_string(), row[0].clone().unwrap_or_default());
        let again = self.rows.insert(key.clone(), row);
        assert!(again.is_none(), "two rows with key {key:?}");
    }

    fn add_rejection(&mut self, map: String, source_key: String, rest: Cells) {
        let key = (map, source_key);
        let again = self.quarantine.insert(key.clone(), rest);
        assert!(again.is_none(), "two rejections of {key:?}");
    }
}

/// What the evaluator computes from the rows with this clock.
fn expected(ir: &Ir, rows: &BTreeMap<TableId, Rows>, now: chrono::NaiveDateTime) -> Outcome {
    let engine = Engine::new(ir, now);
    let mut out = Outcome::default();
    let order = cutover_backend_sql::load::map_order(ir);
    for (id, result) in engine.run_migration(&order, rows) {
        let m = ir.map(id);
        let target = &ir.table(m.target).name;
        for r in &result.rows {
            out.add_row(target, r.iter().map(Value::to_text).collect());
        }
        let primary = ir.table(m.source());
        let source = &rows[&m.source()];
        for rej in &result.rejected {
            let key: Vec<String> = primary
                .primary_key
                .iter()
                .map(|c| {
                    let pos = primary.columns.iter().position(|x| x == c).unwrap_or(0);
                    source[rej.row][pos].to_text().unwrap_or_default()
                })
                .collect();
            out.add_rejection(
                m.name.clone(),
                key.join(","),
                vec![
                    rej.rule.clone(),
                    rej.column.map(|c| ir.column(c).name.clone()),
                    Some(rej.reason.clone()),
                ],
            );
        }
    }
    out
}

/// Float cells as the evaluator prints them. PostgreSQL's `float8::text`
/// is not always the shortest round-trip text (`2.0829720499999998e+19`
/// for 2.08297205e19), so floats read back are compared as numbers.
fn normalize(ir: &Ir, t: TableId, row: &mut Cells) {
    for (cell, c) in row.iter_mut().zip(&ir.table(t).columns) {
        if ir.column(*c).ty.kind == TypeKind::Float {
            if let Some(x) = cell.as_deref().and_then(|s| s.parse::<f64>().ok()) {
                *cell = Some(cutover_eval::value::float_text(x));
            }
        }
    }
}

/// Runs the generated schema and load scripts over the rows; what the
/// load left, and what the evaluator computes with the batch's clock.
/// The source as stored must read back as the rows the evaluator gets:
/// otherwise the comparison would test the literals, not the load.
fn load(
    db: &mut dyn Db,
    d: &dyn Dialect,
    ir: &Ir,
    rows: &BTreeMap<TableId, Rows>,
) -> (Outcome, Outcome) {
    let scripts = scripts(ir, d);
    db.run(&source_sql(ir, d, rows));
    for (t, rows) in rows {
        let mut stored = db.texts(&select_text(ir, d, *t));
        for r in &mut stored {
            normalize(ir, *t, r);
        }
        stored.sort_by_key(|r| r[0].as_deref().and_then(|id| id.parse::<i64>().ok()));
        assert_eq!(stored.len(), rows.len(), "{}: source rows stored", d.name());
        for (s, r) in stored.iter().zip(rows) {
            let want: Cells = r.iter().map(Value::to_text).collect();
            for ((got, want), c) in s.iter().zip(&want).zip(&ir.table(*t).columns) {
                assert!(
                    got == want,
                    "{}: the source literal of {} reads back as {} instead of {}",
                    d.name(),
                    ir.column(*c).name,
                    show(Some(got)),
                    show(Some(want)),
                );
            }
        }
    }
    db.run(&scripts["10_schema.sql"]);
    db.run(&scripts["30_load.sql"]);
    let mut got = Outcome::default();
    for t in cutover_backend_sql::rollback::loaded_tables(ir) {
        for mut row in db.texts(&select_text(ir, d, t)) {
            normalize(ir, t, &mut row);
            got.add_row(&ir.table(t).name, row);
        }
    }
    let quarantine = db.texts(&format!(
        "SELECT map_name, source_key, rule_id, column_name, reason FROM {}",
        d.meta_table("quarantine")
    ));
    for mut q in quarantine {
        let rest = q.split_off(2);
        let key = q.pop().flatten().unwrap_or_default();
        let map = q.pop().flatten().unwrap_or_default();
        got.add_rejection(map, key, rest);
    }
    let now = batch_clock(db, d, 1);
    (got, expected(ir, rows, now))
}

/// One database's load and the evaluator's result with its clock.
struct Side {
    name: &'static str,
    got: Outcome,
    want: Outcome,
}

fn show(v: Option<&Option<String>>) -> String {
    match v {
        None => "(no row)".into(),
        Some(None) => "null".into(),
        Some(Some(s)) if s.chars().count() > 120 => {
            let head: String = s.chars().take(120).collect();
            format!(
                "{}… ({} characters)",
                cutover_eval::value::quote(&head),
                s.chars().count()
            )
        }
        Some(Some(s)) => cutover_eval::value::quote(s),
    }
}

/// The source row(s) behind a target or quarantine row, as spec constants.
fn source_of(ir: &Ir, t: TableId, rows: &Rows, table: &str, key: &str) -> String {
    let cols = &ir.table(t).columns;
    let s2 = cols
        .iter()
        .position(|c| ir.column(*c).name == "s2")
        .expect("s2");
    let show_row = |r: &Vec<Value>| -> String {
        let cells: Vec<String> = r
            .iter()
            .zip(cols)
            .map(|(v, c)| {
                let shown = match v {
                    Value::Float(x) => cutover_eval::value::float_text(*x),
                    v => v.display(),
                };
                format!("{}: {shown}", ir.column(*c).name)
            })
            .collect();
        format!("{{ {} }}", cells.join(", "))
    };
    let matching: Vec<&Vec<Value>> = if table == "groups" {
        // A group's rows: its key is coalesce(s2, "<null>").
        rows.iter()
            .filter(|r| r[s2].to_text().unwrap_or_else(|| "<null>".into()) == key)
            .collect()
    } else {
        rows.iter()
            .filter(|r| r[0].to_text().as_deref() == Some(key))
            .collect()
    };
    let mut out: Vec<String> = matching.iter().take(3).map(|r| show_row(r)).collect();
    if matching.len() > 3 {
        out.push(format!("… ({} rows)", matching.len()));
    }
    out.join("\n    ")
}

/// Every cell where a database differs from the evaluator (run with that
/// database's clock) or from the other database, with every side's value.
fn differences(ir: &Ir, t: TableId, rows: &Rows, sides: &[Side]) -> Vec<(String, String)> {
    let column_names = |table: &str| -> Vec<String> {
        ir.tables
            .iter()
            .find(|x| x.name == table && ir.system(x.system).role == Role::Target)
            .map(|x| {
                x.columns
                    .iter()
                    .map(|c| ir.column(*c).name.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut compare = |what: &str,
                       table: &str,
                       key: &str,
                       names: &[String],
                       pick: &dyn Fn(&Outcome) -> Option<&Cells>| {
        let width = sides
            .iter()
            .flat_map(|s| [pick(&s.got), pick(&s.want)])
            .flatten()
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        for i in 0..width {
            let cell = |o: &Outcome| pick(o).map(|r| r.get(i).cloned().flatten());
            let wants: Vec<Option<Option<String>>> = sides.iter().map(|s| cell(&s.want)).collect();
            let gots: Vec<Option<Option<String>>> = sides.iter().map(|s| cell(&s.got)).collect();
            let mut kinds = Vec::new();
            for (s, (g, w)) in sides.iter().zip(gots.iter().zip(&wants)) {
                if g != w {
                    kinds.push(format!("{} ≠ evaluator", s.name));
                }
            }
            // The databases directly, where the clock makes no difference.
            if sides.len() == 2 && wants[0] == wants[1] && gots[0] != gots[1] {
                kinds.push(format!("{} ≠ {}", sides[0].name, sides[1].name));
            }
            if kinds.is_empty() {
                continue;
            }
            let column = names.get(i).cloned().unwrap_or_else(|| i.to_string());
            let mut values = Vec::new();
            if wants.iter().all(|w| *w == wants[0]) {
                values.push(format!("evaluator {}", show(wants[0].as_ref())));
            } else {
                for (s, w) in sides.iter().zip(&wants) {
                    values.push(format!("evaluator@{} {}", s.name, show(w.as_ref())));
                }
            }
            for (s, g) in sides.iter().zip(&gots) {
                values.push(format!("{} {}", s.name, show(g.as_ref())));
            }
            let class = format!("{what}.{column} ({})", kinds.join(", "));
            out.push((
                class.clone(),
                format!(
                    "{class}, key {key}: {}\n    source: {}",
                    values.join(" | "),
                    source_of(ir, t, rows, table, key)
                ),
            ));
        }
    };
    let row_keys: BTreeSet<&(String, String)> = sides
        .iter()
        .flat_map(|s| s.got.rows.keys().chain(s.want.rows.keys()))
        .collect();
    for k in row_keys {
        let names = column_names(&k.0);
        compare(&k.0, &k.0, &k.1, &names, &|o: &Outcome| o.rows.get(k));
    }
    let q_keys: BTreeSet<&(String, String)> = sides
        .iter()
        .flat_map(|s| s.got.quarantine.keys().chain(s.want.quarantine.keys()))
        .collect();
    let q_names: Vec<String> = ["rule_id", "column_name", "reason"]
        .map(String::from)
        .into();
    for k in q_keys {
        compare(
            &format!("quarantine[{}]", k.0),
            "",
            &k.1,
            &q_names,
            &|o: &Outcome| o.quarantine.get(k),
        );
    }
    out
}

/// The evaluator, the SQL on SQLite and the SQL on PostgreSQL agree on
/// every target cell and every quarantined row, over rows drawn from the
/// edge cases of docs/functions.md.
#[test]
fn evaluator_sqlite_and_postgres_agree_on_random_edge_cases() {
    let ir = ir();
    let t = TableId(
        ir.tables
            .iter()
            .position(|x| x.name == "t" && ir.system(x.system).role == Role::Source)
            .expect("src.t") as u32,
    );
    let seed = seed();
    let rows = source_rows(&ir, t, ROWS, seed);
    let input: BTreeMap<TableId, Rows> = [(t, rows.clone())].into();

    let mut sides = Vec::new();
    let mut lite = sqlite(&ir);
    let (got, want) = load(&mut lite, &Sqlite, &ir, &input);
    sides.push(Side {
        name: "sqlite",
        got,
        want,
    });
    if let Some(mut db) = postgres() {
        let (got, want) = load(&mut db, &Postgres, &ir, &input);
        sides.push(Side {
            name: "postgres",
            got,
            want,
        });
    }

    // The test can only fail if the maps produced something to compare.
    let want = &sides[0].want;
    assert!(
        want.rows.len() > ROWS * 4,
        "{} target rows",
        want.rows.len()
    );
    assert!(!want.quarantine.is_empty(), "nothing was rejected");

    let diffs = differences(&ir, t, &rows, &sides);
    if !diffs.is_empty() {
        let mut by_class: BTreeMap<&str, usize> = BTreeMap::new();
        for (class, _) in &diffs {
            *by_class.entry(class).or_default() += 1;
        }
        let summary: Vec<String> = by_class
            .iter()
            .map(|(c, n)| format!("  {n:4}  {c}"))
            .collect();
        // The first few of each kind, so one noisy column does not hide another.
        let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
        let details: Vec<&str> = diffs
            .iter()
            .filter(|(class, _)| {
                let n = shown.entry(class).or_default();
                *n += 1;
                *n <= 3
            })
            .map(|(_, line)| line.as_str())
            .collect();
        panic!(
            "{} cells differ (seed {seed}, {ROWS} rows):\n{}\n\n{}",
            diffs.len(),
            summary.join("\n"),
            details.join("\n")
        );
    }
}
