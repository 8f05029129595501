//! Differential test of the Python runtime (`runtime/cutover_runtime.py`)
//! against the reference evaluator.
//!
//! Cases come from pools of awkward values (NULL, every kind of whitespace,
//! non-ASCII text, integer limits and beyond, decimals of 38 digits, floats
//! at the edges, invalid and leap dates, daylight-saving gaps and overlaps
//! in every zone, JSON texts, …) and from a seeded generator that combines
//! them. For each case the evaluator's result (its canonical text, or its
//! failure message) is computed through the public `cutover_eval` API;
//! `runtime/check_runtime.py` decodes the same inputs in Python, runs the
//! runtime and compares, byte for byte. Case mapping and the alphanumeric
//! test of `title` are compared over every assigned code point.
//!
//! What the evaluator does privately is reached through the engine:
//! operators, `coalesce` and lookups by evaluating constructed expressions
//! (`Engine::eval_constant`), aggregates by running a spec's `group by`
//! maps. `store` (map.rs) is the cast plus the not-null check, written out
//! here the same way; the aggregate spec checks the not-null message end
//! to end.
//!
//! Kept out, because the time zone data is not the same (chrono-tz's
//! compiled tzdata in the evaluator, the system's tzdata through `zoneinfo`
//! in Python; both release 2025b here): `to_utc` of local times from 2100
//! except in fixed-offset zones, before 1970 except in the zones of
//! `ZONES`, and in the legacy zones (`EST`, `EST5EDT`, `CET`, `WET`, …)
//! before 1980. `tz_data_differs` says why; the test counts them as
//! "to_utc left out". Any other disagreement would go in
//! `KNOWN_DIFFERENCES`, with its reason; there is none.
//!
//! `CUTOVER_RUNTIME_SEED` (a number) draws other random cases;
//! `CUTOVER_PYTHON` names the interpreter (default `python3`);
//! `CUTOVER_RUNTIME_KEEP` keeps the cases file, which a failure always keeps.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use cutover_eval::value::{float_text, key_text};
use cutover_eval::{functions, Engine, Fail, Value};
use cutover_ir::builtins::{type_call, Arg};
use cutover_ir::types::decimal_arithmetic;
use cutover_ir::{
    BinaryOp, Builtin, Const, Expr, ExprKind, Func, Ir, Lookup, LookupId, Type, TypeKind, UnaryOp,
};
use serde_json::{json, Value as J};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SEED: u64 = 0xC0DE_2024_0610_5EED;

/// Cases left out because the runtime and the evaluator disagree for a
/// reason this test cannot remove: (operation, first argument, why).
/// Empty: every disagreement found so far was fixed.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[];

// ─────────────────────────── Generator ───────────────────────────

/// xorshift64*: small and deterministic, so a failure reproduces.
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

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn seed() -> u64 {
    match std::env::var("CUTOVER_RUNTIME_SEED") {
        Ok(s) => s.trim().parse().expect("CUTOVER_RUNTIME_SEED is a number"),
        Err(_) => SEED,
    }
}

// ─────────────────────────── Pools ───────────────────────────

const TEXTS: &[&str] = &[
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\u{B}",
    "\u{C}",
    "\u{A0}",
    "\u{2028}",
    "\u{3000}",
    "\u{1C}",
    "\u{85}",
    "\u{FEFF}",
    "a",
    "A",
    "abc",
    "ABC",
    "  a b \t",
    "\u{B}\u{C}x\r\n",
    "\u{A0}x ",
    " \t x ",
    " x \n",
    "  ada   LOVELACE ",
    "a\u{A0} b\t\nc",
    " \t ",
    "\u{B}a\u{C}\u{C}b\u{1C}c",
    "Zoë",
    "ß",
    "straße éa",
    "İSTANBUL ΣΑΣ",
    "İ",
    "ǅ",
    "ǆemal straße",
    "ǆ ﬁ",
    "ᾀ",
    "ŉ",
    "ﬁ",
    "👍🏽",
    "e\u{301}",
    "é",
    "o'neil mcdonald-SMITH 3rd",
    "ada LOVELACE",
    "x2y_z",
    "3rd",
    "Ⅻ ⅻ",
    "½x",
    "٣a",
    "कि",
    "ǈ",
    "Ꭰꭰ",
    "ꞵꞴ",
    "ΐ",
    "\u{10D50}\u{10D70}",
    "\u{A7CB}\u{264}",
    "a/b/c",
    "a//c",
    "a::b::c",
    "a-b-c",
    "aaa",
    "Abc",
    "50%",
    "500",
    "50% off",
    "a_b",
    "a%b",
    "\\",
    "a\\b",
    "\\%",
    "%",
    "_",
    "\"quoted\"",
    "tab\there",
    "\0",
    "nul\0x",
    "\u{7F}",
    "\u{9F}",
    "\u{1F}",
    "a\u{1F}b",
    "4111111111111111",
    "abcde",
    "abcd",
    "héllo wörld",
    "héllo",
    "hello",
    "abcdef",
    "/legacy/storage/models/v1/a.pkl",
    "1001",
    "42",
    " 42 ",
    "-0",
    "2024-03-01",
    "true",
];

const NUMBER_TEXTS: &[&str] = &[
    "0",
    "-0",
    "+0",
    "007",
    " +42\t",
    "42.0",
    "1e3",
    "1E3",
    "1_000",
    "٣",
    "١٢",
    "\u{A0}42",
    "42\u{A0}",
    "\u{B}7\u{C}",
    "\u{1C}7",
    "32767",
    "32768",
    "-32768",
    "-32769",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "000000000000000000000000000009223372036854775807",
    "99999999999999999999",
    ".5",
    "5.",
    "-.5",
    "-0.001",
    ".",
    "-",
    "+",
    "",
    "1.005",
    "2.25",
    "-2.25",
    "2.5",
    "9.99",
    "9.995",
    "999.995",
    "99999999999999999999999999999999999999",
    "999999999999999999999999999999999999999",
    "99999999999999999999999999999999999999.5",
    "9999999999999999999999999999.99999999995",
    "0.00000000000000000000000000000000000001",
    "0.000000000000000000000000000000000000005",
    "123456789012345678901234567890.123456789",
    "1.5e3",
    "1E-2",
    "1e+2",
    "1e",
    "1e+",
    "e5",
    ".e5",
    "1.e5",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "4.9e-324",
    "2.4703282292062328e-324",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "0x1F",
    "1 000",
    "--1",
    "+-1",
    "1.2.3",
    " 12.345 ",
    "12345678901234567890123",
    "0.1",
    "2.675",
    "-2.675",
    "1e15",
    "123456789012345.6",
    "9007199254740993",
    "9.223372036854776e18",
    "0.30000000000000004",
    "1e-5",
    "00000000000000000000000000000000000000000001.5",
];

const BOOL_TEXTS: &[&str] = &[
    "true",
    "t",
    "yes",
    "y",
    "on",
    "1",
    "false",
    "f",
    "no",
    "n",
    "off",
    "0",
    "Yes",
    " OFF ",
    "TRUE",
    "tRuE",
    "tr",
    "2",
    "yes!",
    "ｙｅｓ",
    "\u{A0}yes",
    "\u{B}no\u{C}",
    "Ｔ",
    "ON ",
    "nO",
    "-1",
    "0.0",
    "K",
    "\u{212A}",
];

const DATE_TEXTS: &[&str] = &[
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-2-3",
    "20240301",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-03-01 00:00",
    "  2024-03-01\n",
    "2024-13-01",
    "2024-00-10",
    "2024-01-00",
    "2024-01-32",
    "１９８５-01-01",
    "1985-0١-01",
    "2024/03/01",
    "-024-01-01",
    "+2024-01-01",
    "2024-03-01T09:00:00.5",
    "2024-03-01 09:00:00.123456",
    "2024-03-01t09:00",
    "2024-03-01 09:00Z",
    "2024-03-01  09:00",
    "2024-03-01T24:00",
    "2024-03-01 23:59:59.999999",
    "2024-03-01 23:59:60",
    "2024-03-01 09:00:00-05:00",
    "2024-03-01T14:00:00Z",
    "2024-03-01Z",
    "2024-03-01z",
    "2024-03-01 09:00+0530",
    "2024-03-01 09:00+16",
    "2024-03-01 09:00+15",
    "2024-03-01 09:00+15:00",
    "2024-03-01 09:00-15:01",
    "2024-03-01 09:00+05:99",
    "2024-03-01 09:00+05:60",
    "2024-03-01+01",
    "2024-03-01 09:00:00.1234567",
    "2024-03-01 09:00+5",
    "2024-03-01 09:00+05:3",
    "2024-03-01 09:00+05:30:00",
    "2024-03-01 09:00:00+00",
    "2024-03-01 09:00:00.000001+00:00",
    "2024-03-01 09:00 +01",
    "2024-03-01 09:00+01Z",
    "0001-01-01 00:00+01",
    "0001-01-01 00:00-01",
    "0001-01-01 00:30+00:30",
    "9999-12-31 23:30-01",
    "9999-12-31 23:30+01",
    "9999-12-31 23:59:59.999999Z",
    "2024-03-01T09:00:00+05:30",
    "2024-03-01é09:00",
];

const TIME_TEXTS: &[&str] = &[
    "09:05",
    "09:05:00",
    "09:05:01.12",
    "09:05:01.120",
    "9:05",
    "24:00",
    "23:59:59.999999",
    "00:00",
    "12:00:60",
    "12:60",
    "12:00:00.1234567",
    "12:00:00.",
    "12:00:00.5.5",
    "12",
    "12:00:00:00",
    "1２:00",
    " 12:00 ",
    "12:00:00.000000",
    "12:00:00.0",
    "12:00:00,5",
    "12:00:5",
    "-1:00",
    "+1:00",
    "12:00:00Z",
];

const UUID_TEXTS: &[&str] = &[
    "9C9E339A-3F00-597A-AC99-C5B2A65CD279",
    "9c9e339a-3f00-597a-ac99-c5b2a65cd279",
    " 9c9e339a-3f00-597a-ac99-c5b2a65cd279\t",
    "{9c9e339a-3f00-597a-ac99-c5b2a65cd279}",
    "9c9e339a3f00597aac99c5b2a65cd279",
    "urn:uuid:9c9e339a-3f00-597a-ac99-c5b2a65cd279",
    "9c9e339a-3f00-597a-ac99-c5b2a65cd27g",
    "9c9e339a-3f00-597a-ac99c-5b2a65cd279",
    "9c9e339a-3f00-597a-ac99-c5b2a65cd27",
    "9c9e339a-3f00-597a-ac99-c5b2a65cd2790",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "9c9e339a-3f00-597a-ac99-c5b2a65cd2٧9",
    "9c9e339a+3f00-597a-ac99-c5b2a65cd279",
];

fn json_texts() -> Vec<String> {
    let mut out: Vec<String> = [
        "null",
        " null ",
        "true",
        "false",
        "1",
        "-0",
        "0",
        "-0.0",
        "1.10",
        "1E2",
        "1e-05",
        "1E+02",
        "2.5e0",
        "12345678901234567890123",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "1e400",
        "-1.5E-7",
        "0.1e1",
        r#"{"b": 1, "a": [1.10, 2.0, 1E2, "é"], "B": 2}"#,
        "{a:1}",
        r#"{"a":1,"a":2}"#,
        r#"{"a":1,"b":{"a":2,"a":[3]}}"#,
        r#""\u0000""#,
        r#"{"\u0000":1}"#,
        r#"["a\u0000b"]"#,
        r#""\ud800""#,
        r#""\udc00""#,
        r#""\ud83d\ude00""#,
        r#""\uD83D\uDE00""#,
        r#""\ud83d x""#,
        r#""\ud83d\u0041""#,
        r#""\ud83d\ud83d\ude00""#,
        "[1,]",
        "[01]",
        "[1 2]",
        "NaN",
        "Infinity",
        "-Infinity",
        "nan",
        "1.",
        ".5",
        "+1",
        "-",
        "--1",
        "\"tab\tin\"",
        "\"nl\nin\"",
        r#""\t\n\u001f\u007f\u0080\b\f\r\/\\\"""#,
        "\"\u{7f}\u{80}\u{9f}\"",
        r#"["\/"]"#,
        r#"{"é":1,"z":2,"Z":3,"":0,"😀":4,"\uffff":5,"ﬀ":6}"#,
        "1 2",
        "",
        " ",
        "\u{FEFF}1",
        "[1,\n2]",
        "[1,\u{B}2]",
        "[1,\u{C}2]",
        "\u{B}[1]\u{C}",
        "\u{A0}1",
        r#""a\u00e9""#,
        "\"\u{2028}\"",
        r#""\x41""#,
        r#""\u12""#,
        r#""\U0041""#,
        "'a'",
        "[true, false, null]",
        "{\"a\" : 1 , \"b\" :[ ] ,\"c\":{ }}",
        "[[]]",
        "{\"k\":\"v\"",
        "[\"unterminated]",
        "tru",
        "nulls",
        "0.0000000000000000000000000000000000000000001",
        "1E-0",
        "1e+0",
        "-0e-0",
        "123.456e-789",
        r#"{"\u00e9":1,"é":2}"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for depth in [126, 127, 128, 129, 2000] {
        out.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
    }
    out.push(format!("{}1{}", "{\"a\":".repeat(127), "}".repeat(127)));
    out.push(format!("{}1{}", "{\"a\":".repeat(128), "}".repeat(128)));
    out
}

const INTS: &[i64] = &[
    0,
    1,
    -1,
    2,
    3,
    5,
    7,
    -7,
    10,
    42,
    100,
    127,
    1250,
    -1250,
    1001,
    32767,
    -32768,
    32768,
    -32769,
    65535,
    2147483647,
    -2147483648,
    2147483648,
    -2147483649,
    4294967295,
    9007199254740993,
    999999999999999999,
    1000000000000000000,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    -9223372036854775807,
    4611686018427387904,
    3037000500,
    -3037000500,
];

const DECIMALS: &[&str] = &[
    "0",
    "0.00",
    "1",
    "1.5",
    "1.50",
    "-1.5",
    "2.25",
    "-2.25",
    "2.5",
    "-2.5",
    "2.675",
    "9.99",
    "9.995",
    "-0.001",
    "0.001",
    "12.345",
    "1250.75",
    "-150.00",
    "49.99",
    "149.99",
    "12.5",
    "0.5",
    "-0.5",
    "0.333333",
    "3",
    "7",
    "-7",
    "9999999999.99",
    "99999999999999999999999999999999999999",
    "-99999999999999999999999999999999999999",
    "9999999999999999999999999999.9999999999",
    "0.00000000000000000000000000000000000001",
    "-0.00000000000000000000000000000000000005",
    "0.99999999999999999999",
    "1234567890123456789.0123456789",
    "9223372036854775807.5",
    "9223372036854775808",
    "-9223372036854775808.4",
    "-9223372036854775808.5",
    "32767.5",
    "-32768.5",
    "2147483647.49",
    "0.1",
    "0.2",
    "100",
    "10000000000000000000000000000000000000",
    "5000000000000000000000000000000000000",
    "1.0000000000000000000000000000000000001",
];

const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    0.1,
    0.2,
    0.30000000000000004,
    0.3,
    1.0,
    -1.0,
    1.5,
    2.5,
    -2.5,
    0.5,
    -0.5,
    -0.4,
    2.675,
    1.005,
    0.49999999999999994,
    1e15,
    1e-5,
    1e-4,
    9.9999e-5,
    123456789012345.6,
    999999999999999.9,
    1e16,
    1e20,
    1e21,
    1e22,
    1e300,
    1e308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    5e-324,
    2.2250738585072014e-308,
    9007199254740992.0,
    9.223372036854776e18,
    -9.223372036854776e18,
    9.223372036854775e18,
    2147483647.5,
    -2147483648.5,
    32767.5,
    32767.49999999,
    -32768.5,
    2.08297205e19,
    -1.5e-7,
    3.4028235e38,
    1e-11,
    1234.5678,
    f64::EPSILON,
    100.0,
    7.0,
    3.0,
    -7.0,
    0.1 + 0.7,
    4.35,
    1.15,
    8.5e-5,
];

const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Moscow",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Asia/Gaza",
    "Asia/Pyongyang",
    "America/St_Johns",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Havana",
    "America/Caracas",
    "America/Scoresbysund",
    "America/Nuuk",
    "America/Los_Angeles",
    "America/Godthab",
    "Africa/Casablanca",
    "Africa/Cairo",
    "Antarctica/Troll",
    "EST",
    "EST5EDT",
    "CET",
    "US/Eastern",
    "Etc/GMT+5",
    "Etc/GMT-14",
    "UTC",
];

/// Zones tzdata 2024b turned into links (as chrono-tz has them), which a
/// system tzdata built with `backzone` (Debian's) keeps as the old zones.
const LEGACY_ZONES: &[&str] = &[
    "CET", "CST6CDT", "EET", "EST", "EST5EDT", "HST", "MET", "MST", "MST7MDT", "PST8PDT", "WET",
];

/// Where the two tz databases differ: chrono-tz stops at its last
/// precomputed transition (in 2100 or so) where `zoneinfo` keeps applying
/// the zone's rule; before 1970 tzdata's main data merges zones that a
/// `backzone` build keeps apart (Africa/Accra has its own mean time there,
/// Africa/Abidjan's in chrono-tz), so only the zones of `ZONES`, which have
/// their own history, are compared that early; the legacy zones differ
/// until the late 1970s (WET was Portugal's CET then).
fn tz_data_differs(zone: &str, local: NaiveDateTime) -> bool {
    let fixed = zone == "UTC" || zone.starts_with("Etc/");
    let legacy = LEGACY_ZONES.contains(&zone);
    (local.year() >= 2100 && !fixed)
        || (local.year() < 1970 && (legacy || !ZONES.contains(&zone)))
        || (legacy && local.year() < 1980)
}

const BAD_ZONES: &[&str] = &[
    "america/new_york",
    "Mars/Olympus",
    "+05:00",
    "",
    " UTC",
    "UTC ",
    "Factory",
    "localtime",
    "posixrules",
    "US/Pacific-New",
    "posix/America/New_York",
    "right/UTC",
    "America/New_York/",
    "America/../UTC",
    "../etc/passwd",
    "EST5",
    "utc",
    "Z",
];

const FORMATS: &[&str] = &[
    "%m/%d/%Y",
    "%d %b %y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y%m%d",
    "%Y-%m-%d",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y %q",
    "%Y-%m-%d %",
    "%H:%M",
    "%Y-%m",
    "%%%Y%m%d%%",
    "%b %d, %Y",
    "%y%m%d",
    "%B",
    "",
    "%Y-%m-%d%",
    "%d/%m/%Y",
    "%Y-%m-%d %H",
];

const FORMAT_TEXTS: &[&str] = &[
    "04/15/1985",
    "4/5/1985",
    "15 Apr 85",
    "1 MARCH 2024",
    "1 March 2024",
    "02/29/2023",
    "02/29/2024",
    " 04/15/1985",
    "04/15/1985 ",
    "2024-03-01 09:00:60",
    "2024-03-01 24:00:00",
    "2024-03-01 23:59:59",
    "2024-03-01 9:5:7",
    "2024115",
    "20241105",
    "20240230",
    "10:00",
    "0000-01-01",
    "15 Sep 68",
    "15 Sep 69",
    "01.02.2024 7:5",
    "2024-03-01T09:00:00.25",
    "2024-03-01T09:00:00.1234567",
    "2024-03-01 09:00:00.000001",
    "%20240301%",
    "Sep 5, 2024",
    "SEPT 5, 2024",
    "",
    "2024",
    "2024-03",
    "١٩٨٥-04-15",
    "2024-02-30",
    "13/01/2020",
    "31 DEC 99",
    "1 mAy 2000",
    "1 may2000",
    "2024-03-01%",
    "2024-03-01 7",
    "29/02/2000",
    "29/02/1900",
    "May",
    "1 İstanbul 2000",
    "1 \u{212A}an 2000",
];

const LIKE_PATTERNS: &[&str] = &[
    "%",
    "",
    "_",
    "a%",
    "%a",
    "%a%",
    "a_c",
    "A%",
    "50\\%",
    "50\\%%",
    "%\\\\",
    "_%\\\\",
    "\\",
    "a\\",
    "%a_b%",
    "%/%.pkl",
    "/legacy/storage/models/%/%.pkl",
    "h_llo",
    "%b_",
    "__",
    "%%",
    "_%_",
    "%ß%",
    "Z_ë",
    "%\n%",
    "\\_",
    "\\a",
    "%a%a%",
    "____",
    "%\u{1F}%",
];

// ─────────────────────────── Values and cases ───────────────────────────

/// An input: a type and the canonical text of its value (NULL: `None`;
/// bytes: the text whose UTF-8 they are).
#[derive(Clone, Debug)]
struct In {
    ty: TypeKind,
    text: Option<String>,
}

impl In {
    fn new(ty: TypeKind, text: impl Into<String>) -> In {
        In {
            ty,
            text: Some(text.into()),
        }
    }

    fn null(ty: TypeKind) -> In {
        In { ty, text: None }
    }

    fn value(&self) -> Value {
        match &self.text {
            None => Value::Null,
            Some(t) => Value::Text(t.clone())
                .cast(self.ty)
                .unwrap_or_else(|f| panic!("the pool value {t:?} is not a {}: {f}", self.ty)),
        }
    }

    /// The expression `cast("text" as ty)`, or a typed `null`.
    fn expr(&self) -> Expr {
        let ty = Type::nullable(self.ty);
        match &self.text {
            None => node(ExprKind::Literal(Const::Null), ty),
            Some(t) => node(
                ExprKind::Cast {
                    expr: Box::new(node(
                        ExprKind::Literal(Const::Text(t.clone())),
                        Type::not_null(TypeKind::Text),
                    )),
                    to: ty,
                },
                ty,
            ),
        }
    }

    fn json(&self) -> J {
        json!([self.ty.to_string(), self.text])
    }
}

fn node(kind: ExprKind, ty: Type) -> Expr {
    Expr {
        kind,
        ty,
        span: Default::default(),
    }
}

/// A result as check_runtime.py encodes it.
fn outcome(r: Result<Value, Fail>) -> J {
    let v = match r {
        Err(f) => return json!(["fail", f.0]),
        Ok(v) => v,
    };
    let kind = match &v {
        Value::Null => return json!(["Null"]),
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            return json!(["Bytes", hex]);
        }
        Value::Bool(_) => "Bool",
        Value::Int(_) => "Int",
        Value::Decimal(_) => "Decimal",
        Value::Float(_) => "Float",
        Value::Text(_) => "Text",
        Value::Date(_) => "Date",
        Value::Time(_) => "Time",
        Value::Timestamp(_) => "Timestamp",
        Value::Timestamptz(_) => "Timestamptz",
        Value::Uuid(_) => "Uuid",
        Value::Json(_) => "Json",
    };
    json!([kind, v.to_text()])
}

/// Types as the generator may spell them: `decimal(12,2)` (Display) or
/// `decimal(12, 2)` (as in specs).
fn spell(t: TypeKind, rng: &mut Rng) -> String {
    match t {
        TypeKind::Decimal { precision, scale } if rng.chance(50) => {
            format!("decimal({precision}, {scale})")
        }
        other => other.to_string(),
    }
}

struct Cases {
    list: Vec<J>,
    counts: BTreeMap<&'static str, usize>,
    engine_ir: Ir,
    now: NaiveDateTime,
}

impl Cases {
    fn push(&mut self, op: &'static str, case: J) {
        let first = case["args"]
            .get(0)
            .and_then(|a| a.get(1))
            .and_then(J::as_str)
            .unwrap_or("")
            .to_owned();
        if KNOWN_DIFFERENCES
            .iter()
            .any(|(o, arg, _)| *o == op && *arg == first)
        {
            return;
        }
        let mut case = case;
        case["op"] = json!(op);
        *self.counts.entry(op).or_default() += 1;
        self.list.push(case);
    }

    /// The engine's value of a constructed expression.
    fn eval(&self, e: &Expr) -> Result<Value, Fail> {
        Engine::new(&self.engine_ir, self.now).eval_constant(e)
    }
}

fn decimal_type(text: &str, rng: &mut Rng) -> TypeKind {
    let body = text.trim_start_matches(['-', '+']);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let int_digits = int.trim_start_matches('0').len() as u32;
    let scale = frac.len() as u32;
    let extra = rng.below(3) as u32;
    let precision = (int_digits + scale + extra).clamp(scale.max(1), 38);
    TypeKind::Decimal {
        precision: precision as u8,
        scale: scale as u8,
    }
}

fn random_decimal(rng: &mut Rng) -> String {
    let n = 1 + rng.below(38);
    let digits: String = (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    let scale = rng.below(n + 1);
    let (int, frac) = digits.split_at(n - scale);
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let sign = if rng.chance(30) { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

fn random_float(rng: &mut Rng) -> f64 {
    loop {
        let x = if rng.chance(50) {
            f64::from_bits(rng.next())
        } else {
            // A "nice" number: few digits, any magnitude.
            let mantissa = (rng.next() % 100_000) as f64 / 100.0;
            let exp = rng.below(40) as i32 - 20;
            let sign = if rng.chance(30) { -1.0 } else { 1.0 };
            sign * mantissa * 10f64.powi(exp)
        };
        if x.is_finite() {
            return x;
        }
    }
}

/// Every kind of value, typed; the first of each family is NULL.
struct Pools {
    ints: Vec<In>,
    decimals: Vec<In>,
    floats: Vec<In>,
    texts: Vec<In>,
    bools: Vec<In>,
    dates: Vec<In>,
    times: Vec<In>,
    timestamps: Vec<In>,
    tstzs: Vec<In>,
    uuids: Vec<In>,
    jsons: Vec<In>,
    bytes: Vec<In>,
}

impl Pools {
    fn new(rng: &mut Rng) -> Pools {
        let int_types = [TypeKind::SmallInt, TypeKind::Int, TypeKind::BigInt];
        let mut ints = vec![In::null(TypeKind::Int)];
        for &i in INTS {
            for t in int_types {
                let (lo, hi) = cutover_eval::value::int_range(t);
                if (lo..=hi).contains(&i) {
                    ints.push(In::new(t, i.to_string()));
                }
            }
        }
        let mut decimals = vec![In::null(TypeKind::Decimal {
            precision: 12,
            scale: 2,
        })];
        for d in DECIMALS {
            decimals.push(In::new(decimal_type(d, rng), *d));
        }
        for _ in 0..80 {
            let d = random_decimal(rng);
            decimals.push(In::new(decimal_type(&d, rng), d));
        }
        let mut floats = vec![In::null(TypeKind::Float)];
        for &x in FLOATS {
            floats.push(In::new(TypeKind::Float, float_text(x)));
        }
        for _ in 0..100 {
            floats.push(In::new(TypeKind::Float, float_text(random_float(rng))));
        }
        let texts = std::iter::once(In::null(TypeKind::Text))
            .chain(TEXTS.iter().map(|t| In::new(TypeKind::Text, *t)))
            .collect();
        let bools = vec![
            In::null(TypeKind::Bool),
            In::new(TypeKind::Bool, "true"),
            In::new(TypeKind::Bool, "false"),
        ];
        let valid = |ty: TypeKind, texts: &[&str]| -> Vec<In> {
            let mut out = vec![In::null(ty)];
            for t in texts {
                if let Ok(v) = Value::Text(t.to_string()).cast(ty) {
                    out.push(In::new(ty, v.to_text().expect("text form")));
                }
            }
            out
        };
        let dates = valid(
            TypeKind::Date,
            &[
                "2024-02-29",
                "0001-01-01",
                "9999-12-31",
                "2024-03-01",
                "0999-12-31",
                "1970-01-01",
                "2024-03-10",
                "2024-11-03",
            ],
        );
        let times = valid(TypeKind::Time, TIME_TEXTS);
        let mut ts_texts: Vec<&str> = DATE_TEXTS.to_vec();
        ts_texts.extend([
            "2024-03-10 02:15:00",
            "2024-11-03 01:30:00",
            "2024-03-01 09:00:00",
            "2024-07-03 09:00",
            "0001-01-01 00:00",
            "9999-12-31 23:59:59.999999",
        ]);
        let timestamps = valid(TypeKind::Timestamp, &ts_texts);
        let tstzs = valid(TypeKind::Timestamptz, DATE_TEXTS);
        let uuids = valid(TypeKind::Uuid, UUID_TEXTS);
        let json_texts = json_texts();
        let json_refs: Vec<&str> = json_texts.iter().map(String::as_str).collect();
        let jsons = valid(TypeKind::Json, &json_refs);
        let bytes = std::iter::once(In::null(TypeKind::Bytes))
            .chain(
                ["", "abc", "héllo", "\0\u{1}", "👍🏽"]
                    .iter()
                    .map(|t| In::new(TypeKind::Bytes, *t)),
            )
            .collect();
        Pools {
            ints,
            decimals,
            floats,
            texts,
            bools,
            dates,
            times,
            timestamps,
            tstzs,
            uuids,
            jsons,
            bytes,
        }
    }

    fn numbers(&self) -> Vec<&In> {
        self.ints
            .iter()
            .chain(&self.decimals)
            .chain(&self.floats)
            .collect()
    }

    fn all(&self) -> Vec<&In> {
        [
            &self.ints,
            &self.decimals,
            &self.floats,
            &self.texts,
            &self.bools,
            &self.dates,
            &self.times,
            &self.timestamps,
            &self.tstzs,
            &self.uuids,
            &self.jsons,
            &self.bytes,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

fn targets() -> Vec<TypeKind> {
    use TypeKind::*;
    vec![
        SmallInt,
        Int,
        BigInt,
        Decimal {
            precision: 5,
            scale: 2,
        },
        Decimal {
            precision: 12,
            scale: 2,
        },
        Decimal {
            precision: 38,
            scale: 0,
        },
        Decimal {
            precision: 38,
            scale: 10,
        },
        Decimal {
            precision: 2,
            scale: 1,
        },
        Decimal {
            precision: 5,
            scale: 0,
        },
        Decimal {
            precision: 38,
            scale: 38,
        },
        Decimal {
            precision: 20,
            scale: 4,
        },
        Float,
        Bool,
        Text,
        Varchar(3),
        Varchar(5),
        Char(2),
        Date,
        Time,
        Timestamp,
        Timestamptz,
        Uuid,
        Json,
        Bytes,
    ]
}

// ─────────────────────────── Case builders ───────────────────────────

fn casts(c: &mut Cases, p: &Pools, rng: &mut Rng) {
    let mut texts: Vec<String> = TEXTS.iter().map(|s| s.to_string()).collect();
    for pool in [NUMBER_TEXTS, BOOL_TEXTS, DATE_TEXTS, TIME_TEXTS, UUID_TEXTS] {
        texts.extend(pool.iter().map(|s| s.to_string()));
    }
    texts.extend(json_texts());
    // Every text into every type; then every typed value.
    for t in &texts {
        let input = In::new(TypeKind::Text, t.clone());
        for to in targets() {
            c.push(
                "cast",
                json!({"args": [input.json()], "type": spell(to, rng),
                       "expect": outcome(input.value().cast(to))}),
            );
        }
    }
    for input in p.all() {
        for to in targets() {
            c.push(
                "cast",
                json!({"args": [input.json()], "type": spell(to, rng),
                       "expect": outcome(input.value().cast(to))}),
            );
        }
    }
}

fn stores(c: &mut Cases, p: &Pools, rng: &mut Rng) {
    let all = p.all();
    let targets = targets();
    for _ in 0..1500 {
        let input = *rng.pick(&all);
        let to = *rng.pick(&targets);
        let nullable = rng.chance(50);
        // map.rs `store`: the cast, then NULL refused by a not-null column.
        let expect = match input.value().cast(to) {
            Ok(Value::Null) if !nullable => Err(Fail("NULL in a not-null column".into())),
            other => other,
        };
        let ty = format!(
            "{}{}",
            spell(to, rng),
            if nullable { " null" } else { " not null" }
        );
        c.push(
            "store",
            json!({"args": [input.json()], "type": ty, "expect": outcome(expect)}),
        );
    }
}

fn to_texts(c: &mut Cases, p: &Pools) {
    for input in p.all() {
        let expect = match input.value().to_text() {
            Some(t) => json!(["Text", t]),
            None => json!(["Null"]),
        };
        c.push("to_text", json!({"args": [input.json()], "expect": expect}));
    }
}

fn lookups(c: &mut Cases, p: &Pools) {
    let names = ["status_names", "codes", "a`b"];
    let mut ir = Ir::default();
    for name in names {
        ir.lookups.push(Lookup {
            name: name.into(),
            key_type: Type::not_null(TypeKind::Text),
            value_type: Type::nullable(TypeKind::Text),
            entries: Vec::new(),
            otherwise: None,
            span: Default::default(),
        });
    }
    let engine = Engine::new(&ir, c.now);
    for (i, input) in p.all().into_iter().enumerate() {
        let which = i % names.len();
        let e = node(
            ExprKind::Lookup {
                lookup: LookupId(which as u32),
                key: Box::new(input.expr()),
            },
            Type::nullable(TypeKind::Text),
        );
        c.push(
            "lookup_miss",
            json!({"args": [input.json()], "name": names[which],
                   "expect": outcome(engine.eval_constant(&e))}),
        );
        let key = match key_text(&input.value()) {
            Some(k) => json!(["Key", k]),
            None => json!(["Null"]),
        };
        c.push("lookup_key", json!({"args": [input.json()], "expect": key}));
    }
}

/// The result type the resolver gives `a op b` (crates/ir/src/resolve.rs);
/// `%` is also tried on decimals and floats, which the evaluator computes.
fn arith_type(op: BinaryOp, a: TypeKind, b: TypeKind) -> Option<TypeKind> {
    let common = TypeKind::common(a, b)?;
    if !common.is_numeric() {
        return None;
    }
    Some(match (op, common) {
        (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul, TypeKind::Decimal { .. }) => {
            decimal_arithmetic(op == BinaryOp::Mul, a, b)
        }
        (BinaryOp::Div, TypeKind::Float) => TypeKind::Float,
        (BinaryOp::Div, TypeKind::Decimal { scale, .. }) => TypeKind::Decimal {
            precision: 38,
            scale: scale.max(6),
        },
        (BinaryOp::Div, _) => TypeKind::Decimal {
            precision: 38,
            scale: 6,
        },
        (_, k) => k,
    })
}

fn binary(c: &Cases, op: BinaryOp, a: &In, b: &In, result: TypeKind) -> Result<Value, Fail> {
    c.eval(&node(
        ExprKind::Binary {
            op,
            lhs: Box::new(a.expr()),
            rhs: Box::new(b.expr()),
        },
        Type::nullable(result),
    ))
}

fn ariths(c: &mut Cases, p: &Pools, rng: &mut Rng) {
    let ops = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
    ];
    let numbers = p.numbers();
    // Edges against edges (a sample), then random pairs.
    let small = [
        "0", "-0", "1", "-1", "3", "7", "-7", "0.5", "2.5", "-2.5", "1.5",
    ];
    let edges: Vec<&In> = numbers
        .iter()
        .copied()
        .filter(|i| {
            let t = i.text.as_deref().unwrap_or("");
            let fixed = match i.ty {
                TypeKind::Float => FLOATS.iter().any(|x| float_text(*x) == t),
                TypeKind::Decimal { .. } => DECIMALS.contains(&t),
                _ => true,
            };
            fixed && (small.contains(&t) || t.len() > 15)
        })
        .collect();
    let mut pairs: Vec<(&In, &In)> = Vec::new();
    for a in &edges {
        for b in &edges {
            if rng.chance(12) {
                pairs.push((a, b));
            }
        }
    }
    for _ in 0..2500 {
        pairs.push((*rng.pick(&numbers), *rng.pick(&numbers)));
    }
    for (a, b) in pairs {
        for op in ops {
            let Some(result) = arith_type(op, a.ty, b.ty) else {
                continue;
            };
            let expect = binary(c, op, a, b, result);
            c.push(
                "arith",
                json!({"name": op.symbol(), "args": [a.json(), b.json()],
                       "type": spell(result, rng), "expect": outcome(expect)}),
            );
        }
    }
    // A result type wider than the operands' (as a case branch or a sum
    // would use), and mismatches the evaluator reports as it does.
    for _ in 0..400 {
        let (a, b) = (*rng.pick(&numbers), *rng.pick(&numbers));
        let op = *rng.pick(&ops);
        let result = *rng.pick(&[
            TypeKind::BigInt,
            TypeKind::Int,
            TypeKind::Float,
            TypeKind::Decimal {
                precision: 38,
                scale: 4,
            },
            TypeKind::Decimal {
                precision: 10,
                scale: 0,
            },
            TypeKind::Text,
        ]);
        let expect = binary(c, op, a, b, result);
        c.push(
            "arith",
            json!({"name": op.symbol(), "args": [a.json(), b.json()],
                   "type": spell(result, rng), "expect": outcome(expect)}),
        );
    }
    // `++` on text (and what is not text).
    let texts: Vec<&In> = p.texts.iter().chain(&p.bytes).chain(&p.ints).collect();
    for _ in 0..600 {
        let (a, b) = (*rng.pick(&texts), *rng.pick(&texts));
        let expect = binary(c, BinaryOp::Concat, a, b, TypeKind::Text);
        c.push(
            "arith",
            json!({"name": "++", "args": [a.json(), b.json()], "type": "text",
                   "expect": outcome(expect)}),
        );
    }
    // Unary minus.
    for a in numbers
        .iter()
        .chain(p.texts.iter().take(3).collect::<Vec<_>>().iter())
    {
        let mut types = vec![a.ty];
        if a.ty.is_integer() {
            types = vec![TypeKind::SmallInt, TypeKind::Int, TypeKind::BigInt];
        }
        for ty in types {
            let e = node(
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand: Box::new(a.expr()),
                },
                Type::nullable(ty),
            );
            let expect = c.eval(&e);
            c.push(
                "negate",
                json!({"args": [a.json()], "type": spell(ty, rng), "expect": outcome(expect)}),
            );
        }
    }
}

/// Numbers equal or not depending on how they are compared: by value
/// across scales, and through the nearest double when a float is involved
/// (so decimal 0.1 equals float 0.1, and 2^53 + 1 equals 2^53 as a float).
fn numeric_ties(rng: &mut Rng) -> Vec<(In, In)> {
    let dec = |t: &str, rng: &mut Rng| In::new(decimal_type(t, rng), t);
    let float = |x: f64| In::new(TypeKind::Float, float_text(x));
    let mut out = vec![
        (dec("1", rng), dec("1.00", rng)),
        (dec("1.50", rng), dec("1.5", rng)),
        (dec("0", rng), dec("0.000", rng)),
        (dec("-2.5", rng), dec("-2.50", rng)),
        (dec("0.1", rng), float(0.1)),
        (dec("2.675", rng), float(2.675)),
        (dec("0.30000000000000004", rng), float(0.1 + 0.2)),
        (dec("0.3", rng), float(0.1 + 0.2)),
        (dec("9007199254740993", rng), float(9007199254740992.0)),
        (
            dec("99999999999999999999999999999999999999", rng),
            float(1e38),
        ),
        (big(9007199254740993), float(9007199254740992.0)),
        (big(i64::MAX), float(9.223372036854776e18)),
        (big(i64::MIN), float(-9.223372036854776e18)),
        (int(1), float(1.0)),
        (int(0), float(-0.0)),
        (float(-0.0), float(0.0)),
        (int(1), dec("1.000", rng)),
    ];
    let swapped: Vec<(In, In)> = out.iter().map(|(a, b)| (b.clone(), a.clone())).collect();
    out.extend(swapped);
    out
}

fn compares(c: &mut Cases, p: &Pools, rng: &mut Rng) {
    let ops = [
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
    ];
    let numbers = p.numbers();
    let temporal: Vec<&In> = p
        .dates
        .iter()
        .chain(&p.timestamps)
        .chain(&p.tstzs)
        .collect();
    let families: Vec<Vec<&In>> = vec![
        numbers,
        p.texts.iter().collect(),
        p.bools.iter().collect(),
        temporal,
        p.times.iter().collect(),
        p.uuids.iter().collect(),
        p.jsons.iter().collect(),
        p.bytes.iter().collect(),
    ];
    let all = p.all();
    let ties = numeric_ties(rng);
    let mut pairs: Vec<(&In, &In)> = ties.iter().map(|(a, b)| (a, b)).collect();
    for family in &families {
        for _ in 0..(family.len() * 3).min(800) {
            pairs.push((*rng.pick(family), *rng.pick(family)));
        }
    }
    for _ in 0..200 {
        pairs.push((*rng.pick(&all), *rng.pick(&all)));
    }
    for (a, b) in pairs {
        for op in ops {
            let expect = binary(c, op, a, b, TypeKind::Bool);
            c.push(
                "compare",
                json!({"name": op.symbol(), "args": [a.json(), b.json()],
                       "expect": outcome(expect)}),
            );
        }
    }
}

fn likes(c: &mut Cases, p: &Pools, rng: &mut Rng) {
    let patterns: Vec<In> = std::iter::once(In::null(TypeKind::Text))
        .chain(LIKE_PATTERNS.iter().map(|t| In::new(TypeKind::Text, *t)))
        .collect();
    for text in &p.texts {
        for pattern in &patterns {
            let expect = binary(c, BinaryOp::Like, text, pattern, TypeKind::Bool);
            c.push(
                "like",
                json!({"args": [text.json(), pattern.json()], "expect": outcome(expect)}),
            );
        }
    }
    // Long texts against many wildcards: linear, never exponential.
    for _ in 0..20 {
        let n = 1 + rng.below(60);
        let text: String = (0..n).map(|_| *rng.pick(&['a', 'b', '%', '_'])).collect();
        let pattern: String = (0..rng.below(12))
            .map(|_| *rng.pick(&["%", "_", "a", "b", "\\%", "%a"]))
            .collect();
        let (t, pt) = (
            In::new(TypeKind::Text, text),
            In::new(TypeKind::Text, pattern),
        );
        let expect = binary(c, BinaryOp::Like, &t, &pt, TypeKind::Bool);
        c.push(
            "like",
            json!({"args": [t.json(), pt.json()], "expect": outcome(expect)}),
        );
    }
}

/// One call of a built-in, typed as the resolver types it.
fn call(c: &mut Cases, b: Builtin, args: Vec<In>, int_literals: bool, rng: &mut Rng) {
    let typing: Vec<Arg> = args
        .iter()
        .map(|a| Arg {
            ty: Type::new(a.ty, a.text.is_none()),
            int_literal: match (&a.text, int_literals && a.ty.is_integer()) {
                (Some(t), true) => t.parse().ok(),
                _ => None,
            },
        })
        .collect();
    let Ok(result) = type_call(b, &typing) else {
        return;
    };
    let e = node(
        ExprKind::Call {
            func: Func::Builtin(b),
            args: args.iter().map(In::expr).collect(),
        },
        result,
    );
    let expect = c.eval(&e);
    c.push(
        "call",
        json!({"name": b.name(), "args": args.iter().map(In::json).collect::<Vec<_>>(),
               "type": spell(result.kind, rng), "expect": outcome(expect)}),
    );
}

fn int(i: i64) -> In {
    In::new(TypeKind::Int, i.to_string())
}

fn big(i: i64) -> In {
    In::new(TypeKind::BigInt, i.to_string())
}

fn text(t: impl Into<String>) -> In {
    In::new(TypeKind::Text, t)
}

fn calls(c: &mut Cases, p: &Pools, rng: &mut Rng, zones: &[String]) {
    use Builtin::*;
    let texts = &p.texts;
    for t in texts {
        for b in [
            Trim, Ltrim, Rtrim, Squish, Upper, Lower, Title, Length, Mask, Sha256,
        ] {
            call(c, b, vec![t.clone()], true, rng);
        }
        let vc = In {
            ty: TypeKind::Varchar(40),
            text: t.text.clone(),
        };
        if t.text.as_ref().is_none_or(|s| s.chars().count() <= 40) {
            call(c, Upper, vec![vc.clone()], true, rng);
            call(c, Trim, vec![vc], true, rng);
        }
    }
    let lengths = [
        i64::MIN,
        -5,
        -1,
        0,
        1,
        2,
        3,
        4,
        5,
        8,
        10,
        100,
        10_000_001,
        i64::MAX,
    ];
    let starts = [i64::MIN, -5, -1, 0, 1, 2, 3, 5, 100, i64::MAX];
    let ns = [i64::MIN, -4, -3, -2, -1, 0, 1, 2, 3, 4, i64::MAX];
    let fills = ["", "0", "xy", "·-", "👍🏽", " "];
    let suffixes = [None, Some(""), Some("..."), Some("…!"), Some("abcdefgh")];
    let froms = ["", "a", "aa", "-", "ß", "%", "abc", "\u{301}", "héllo"];
    let tos = ["", "+", "Ä", "<>", "aa"];
    let delimiters = ["", " ", "/", "::", "a", "ß", "//", "x"];
    for _ in 0..900 {
        let t = rng.pick(texts).clone();
        let len = big(*rng.pick(&lengths));
        let start = big(*rng.pick(&starts));
        call(c, Substr, vec![t.clone(), start, len.clone()], false, rng);
        let fill = text(*rng.pick(&fills));
        call(
            c,
            Lpad,
            vec![t.clone(), len.clone(), fill.clone()],
            true,
            rng,
        );
        call(c, Rpad, vec![t.clone(), len.clone(), fill], true, rng);
        let mut args = vec![t.clone(), len];
        if let Some(s) = rng.pick(&suffixes) {
            args.push(text(*s));
        }
        call(c, Truncate, args, true, rng);
        call(
            c,
            Replace,
            vec![t.clone(), text(*rng.pick(&froms)), text(*rng.pick(&tos))],
            true,
            rng,
        );
        call(
            c,
            SplitPart,
            vec![t.clone(), text(*rng.pick(&delimiters)), big(*rng.pick(&ns))],
            true,
            rng,
        );
    }
    // NULL in each position of the strict text functions.
    for b in [Substr, Lpad, Rpad, Truncate, Replace, SplitPart] {
        for i in 0..3 {
            let mut args = vec![text("abc"), int(2), text("x")];
            if matches!(b, Substr) {
                args[2] = int(1);
            }
            if matches!(b, Replace) {
                args[1] = text("b");
            }
            if matches!(b, SplitPart) {
                args[1] = text("b");
                args[2] = int(1);
            }
            args[i] = In::null(args[i].ty);
            call(c, b, args, true, rng);
        }
    }
    // coalesce and nullif within a family, with NULLs.
    let numbers = p.numbers();
    let families: Vec<Vec<&In>> = vec![
        numbers,
        p.texts.iter().collect(),
        p.dates.iter().chain(&p.timestamps).collect(),
        p.jsons.iter().collect(),
        p.uuids.iter().collect(),
        p.bools.iter().collect(),
    ];
    for family in &families {
        for _ in 0..150 {
            let n = 2 + rng.below(3);
            let args: Vec<In> = (0..n)
                .map(|_| {
                    let a = (*rng.pick(family)).clone();
                    if rng.chance(35) {
                        In::null(a.ty)
                    } else {
                        a
                    }
                })
                .collect();
            call(c, Coalesce, args, true, rng);
            let pair = vec![(*rng.pick(family)).clone(), (*rng.pick(family)).clone()];
            call(c, Nullif, pair, true, rng);
        }
    }
    for (a, b) in numeric_ties(rng) {
        call(c, Nullif, vec![a.clone(), b.clone()], true, rng);
        call(c, Coalesce, vec![In::null(a.ty), a, b], true, rng);
    }
    for s in ["", "a", "A"] {
        call(c, Nullif, vec![text(s), text("")], true, rng);
        call(
            c,
            Nullif,
            vec![text(s), In::null(TypeKind::Text)],
            true,
            rng,
        );
    }
    // round and abs.
    let int_digits = [
        i64::MIN,
        -20,
        -19,
        -18,
        -10,
        -3,
        -2,
        -1,
        0,
        1,
        2,
        40,
        i64::MAX,
    ];
    let dec_digits = [
        -40, -39, -38, -37, -20, -5, -2, -1, 0, 1, 2, 3, 10, 36, 38, 39, 100,
    ];
    let float_digits = [-400, -309, -308, -300, -20, -2, -1, 0, 1, 2, 5, 15, 17, 400];
    for a in &p.ints {
        call(c, Abs, vec![a.clone()], true, rng);
        call(c, Round, vec![a.clone()], true, rng);
        for d in int_digits {
            if rng.chance(40) {
                call(c, Round, vec![a.clone(), big(d)], true, rng);
            }
        }
    }
    for a in &p.decimals {
        call(c, Abs, vec![a.clone()], true, rng);
        call(c, Round, vec![a.clone()], true, rng);
        for d in dec_digits {
            if rng.chance(30) {
                call(c, Round, vec![a.clone(), int(d)], rng.chance(50), rng);
            }
        }
    }
    for a in &p.floats {
        call(c, Abs, vec![a.clone()], true, rng);
        call(c, Round, vec![a.clone()], true, rng);
        for d in float_digits {
            if rng.chance(30) {
                call(c, Round, vec![a.clone(), int(d)], true, rng);
            }
        }
    }
    call(c, Round, vec![In::null(TypeKind::Float), int(2)], true, rng);
    call(
        c,
        Round,
        vec![In::new(TypeKind::Float, "2.5"), In::null(TypeKind::Int)],
        true,
        rng,
    );
    // parse_date and parse_timestamp: every text with every format.
    for t in FORMAT_TEXTS {
        for f in FORMATS {
            call(c, ParseDate, vec![text(*t), text(*f)], true, rng);
            call(c, ParseTimestamp, vec![text(*t), text(*f)], true, rng);
        }
    }
    call(
        c,
        ParseDate,
        vec![In::null(TypeKind::Text), text("%Y")],
        true,
        rng,
    );
    call(
        c,
        ParseDate,
        vec![text("2024"), In::null(TypeKind::Text)],
        true,
        rng,
    );
    // uuid_v5 over every kind of value.
    let all = p.all();
    let namespaces = [
        "legacy-crm/accounts",
        "",
        "ns",
        "Zoë",
        "a\u{1F}b",
        "datasets",
    ];
    call(
        c,
        UuidV5,
        vec![text("legacy-crm/accounts"), int(1001)],
        true,
        rng,
    );
    for _ in 0..400 {
        let mut args = vec![text(*rng.pick(&namespaces))];
        for _ in 0..1 + rng.below(3) {
            args.push((*rng.pick(&all)).clone());
        }
        if rng.chance(5) {
            args[0] = In::null(TypeKind::Text);
        }
        call(c, UuidV5, args, true, rng);
    }
    to_utcs(c, p, rng, zones);
}

fn ts_text(t: NaiveDateTime) -> String {
    cutover_eval::value::timestamp_text(t)
}

/// `to_utc` in every zone the runtime knows, around every offset change of
/// a few years, and at the ends of time.
fn to_utcs(c: &mut Cases, p: &Pools, rng: &mut Rng, zones: &[String]) {
    let day = |y: i32, m: u32, d: u32| {
        NaiveDate::from_ymd_opt(y, m, d)
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("time")
    };
    let push = |c: &mut Cases, rng: &mut Rng, local: NaiveDateTime, zone: &str| {
        if tz_data_differs(zone, local) {
            *c.counts.entry("to_utc left out").or_default() += 1;
            return;
        }
        let args = vec![In::new(TypeKind::Timestamp, ts_text(local)), text(zone)];
        call(c, Builtin::ToUtc, args, true, rng);
    };
    for zone in zones {
        for local in [
            day(1, 1, 1),
            day(1800, 6, 1),
            day(1900, 1, 1),
            day(1970, 1, 1),
            day(1985, 1, 1),
            day(2024, 1, 15) + Duration::hours(12),
            day(2024, 7, 15) + Duration::hours(12),
            day(2099, 12, 31) + Duration::microseconds(86_399_999_999),
            day(9999, 12, 31) + Duration::hours(23),
        ] {
            push(c, rng, local, zone);
        }
    }
    for zone in BAD_ZONES {
        push(c, rng, day(2024, 3, 1), zone);
    }
    for t in &p.timestamps {
        if let Some(local) = t.value().to_text() {
            let local = cutover_eval::value::parse_iso_timestamp(&local).expect("timestamp");
            for zone in [
                "America/New_York",
                "Etc/GMT-14",
                "Pacific/Kiritimati",
                "UTC",
            ] {
                push(c, rng, local, zone);
            }
        }
    }
    call(
        c,
        Builtin::ToUtc,
        vec![In::null(TypeKind::Timestamp), text("UTC")],
        true,
        rng,
    );
    call(
        c,
        Builtin::ToUtc,
        vec![
            In::new(TypeKind::Timestamp, "2024-03-01 00:00:00"),
            In::null(TypeKind::Text),
        ],
        true,
        rng,
    );
    // Offset changes: found day by day at noon, then every half hour of
    // the 24 hours before, keeping the boundaries (and a second either side).
    let mut plan: Vec<(String, i32)> = Vec::new();
    for zone in zones {
        plan.push((zone.clone(), 2024));
    }
    for zone in ZONES {
        for year in [
            1883, 1918, 1942, 1945, 1970, 1995, 2011, 2016, 2037, 2038, 2050, 2099,
        ] {
            plan.push((zone.to_string(), year));
        }
    }
    let offset = |local: NaiveDateTime, zone: &str| -> Option<i64> {
        functions::to_utc(local, zone)
            .ok()
            .map(|u| (u - local).num_seconds())
    };
    let mut boundary: Vec<(NaiveDateTime, String)> = Vec::new();
    for (zone, year) in plan {
        let mut d = day(year, 1, 1) + Duration::hours(12);
        let mut last = offset(d, &zone);
        while d.year() == year {
            let next = d + Duration::days(1);
            let now = offset(next, &zone);
            if now != last {
                let steps: Vec<NaiveDateTime> =
                    (0..=48).map(|k| d + Duration::minutes(30 * k)).collect();
                let offsets: Vec<Option<i64>> = steps.iter().map(|t| offset(*t, &zone)).collect();
                for k in 0..steps.len() {
                    let edge = offsets[k].is_none()
                        || (k > 0 && offsets[k] != offsets[k - 1])
                        || (k + 1 < steps.len() && offsets[k] != offsets[k + 1]);
                    // A second either side in the zones picked for it.
                    let seconds: &[i64] = if ZONES.contains(&zone.as_str()) {
                        &[-1, 0, 1]
                    } else {
                        &[0]
                    };
                    if edge {
                        for s in seconds {
                            boundary.push((steps[k] + Duration::seconds(*s), zone.clone()));
                        }
                    }
                }
            }
            last = now;
            d = next;
        }
    }
    for (local, zone) in boundary {
        push(c, rng, local, &zone);
    }
}

// ─────────────────────────── Aggregates ───────────────────────────

/// Source columns the aggregate spec groups over, and pools for them.
fn aggregate_columns() -> Vec<(&'static str, &'static str, TypeKind)> {
    use TypeKind::*;
    vec![
        ("vsm", "smallint", SmallInt),
        ("vi", "int", Int),
        ("vbig", "bigint", BigInt),
        (
            "vd",
            "decimal(12, 2)",
            Decimal {
                precision: 12,
                scale: 2,
            },
        ),
        (
            "vd2",
            "decimal(38, 10)",
            Decimal {
                precision: 38,
                scale: 10,
            },
        ),
        ("vf", "float", Float),
        ("vt", "text", Text),
        ("vdt", "date", Date),
        ("vts", "timestamp", Timestamp),
        ("vtz", "timestamptz", Timestamptz),
        ("vu", "uuid", Uuid),
        ("vb", "bool", Bool),
        ("vtm", "time", Time),
        ("vj", "json", Json),
    ]
}

fn aggregate_spec() -> (String, Vec<(String, &'static str, usize)>) {
    let columns = aggregate_columns();
    let mut spec = String::from(
        "migration \"runtime aggregates\" {\n  strategy big_bang\n  owner \"tests\"\n}\n\n\
         source src: sqlite {\n  table t {\n    id int primary key\n    g int\n",
    );
    for (name, ty, _) in &columns {
        spec.push_str(&format!("    {name} {ty}\n"));
    }
    spec.push_str("  }\n}\n\ntarget dst: postgres {\n");
    // (map name, aggregate, column index); usize::MAX: count().
    let mut maps: Vec<(String, &'static str, usize)> = vec![("rows".into(), "count", usize::MAX)];
    for (i, (_, _, kind)) in columns.iter().enumerate() {
        for agg in ["count", "sum", "min", "max"] {
            if agg == "sum" && !kind.is_numeric() {
                continue;
            }
            maps.push((format!("{agg}_{}", columns[i].0), agg, i));
        }
    }
    maps.push(("maxnn".into(), "max", 6));
    for (name, agg, col) in &maps {
        let ty = match (*agg, *col) {
            ("count", _) => "bigint not null".to_string(),
            ("sum", i) => match columns[i].2 {
                TypeKind::Float => "float".into(),
                TypeKind::Decimal { scale, .. } => format!("decimal(38, {scale})"),
                _ => "bigint".into(),
            },
            (_, i) if name == "maxnn" => format!("{} not null", columns[i].1),
            (_, i) => columns[i].1.to_string(),
        };
        spec.push_str(&format!("  table {name} {{ g int primary key, v {ty} }}\n"));
    }
    spec.push_str("}\n");
    for (name, agg, col) in &maps {
        let (arg, read) = if *col == usize::MAX {
            (String::new(), None)
        } else {
            (columns[*col].0.to_string(), Some(columns[*col].0))
        };
        let dropped: Vec<&str> = std::iter::once("id")
            .chain(columns.iter().map(|c| c.0))
            .filter(|c| Some(*c) != read)
            .collect();
        spec.push_str(&format!(
            "\nmap {name}: src.t -> dst.{name} {{\n  group by g\n  key g = g\n  v = {agg}({arg})\n  drop {} because \"other maps\"\n}}\n",
            dropped.join(", ")
        ));
    }
    (spec, maps)
}

fn aggregates(c: &mut Cases, p: &Pools, rng: &mut Rng) {
    let (spec, maps) = aggregate_spec();
    let compiled = cutover_check::compile(&spec);
    let errors: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    let ir = compiled.ir.expect("the aggregate spec parses");
    let columns = aggregate_columns();
    // The evaluator checks nothing of the spec but runs it; errors other
    // than the not-null `maxnn` (meant to fail) would make it another test.
    assert!(
        errors
            .iter()
            .all(|e| e.contains("maxnn") || e.contains("not null") || e.contains("NULL")),
        "the aggregate spec has errors:\n{}\n{spec}",
        errors.join("\n")
    );
    let engine = Engine::new(&ir, c.now);
    let pool_for = |kind: TypeKind| -> Vec<In> {
        p.all()
            .into_iter()
            .filter(|i| i.text.is_some())
            .filter_map(|i| {
                let v = i.value().cast(kind).ok()?;
                if matches!(v, Value::Null | Value::Bytes(_)) {
                    return None;
                }
                let same_family = match kind {
                    TypeKind::Text => i.ty.is_text(),
                    k => i.ty == k || (k.is_numeric() && i.ty.is_numeric()),
                };
                same_family.then(|| In::new(kind, v.to_text().expect("text form")))
            })
            .collect()
    };
    let pools: Vec<Vec<In>> = columns.iter().map(|(_, _, k)| pool_for(*k)).collect();
    for (map_index, (_, agg, col)) in maps.iter().enumerate() {
        let m = &ir.maps[map_index];
        let assignment = m
            .assignments
            .iter()
            .find(|a| ir.column(a.target).name == "v")
            .expect("v is assigned");
        let result = assignment.expr.ty.kind;
        let target = ir.column(assignment.target).ty;
        let source = ir.table(m.source());
        let col_pos = |name: &str| {
            source
                .columns
                .iter()
                .position(|c| ir.column(*c).name == name)
                .expect("source column")
        };
        let pool_index = if *col == usize::MAX { 6 } else { *col };
        let pool = &pools[pool_index];
        let pos = col_pos(columns[pool_index].0);
        // Random groups, then groups whose values are equal but print
        // differently: min and max keep the first one met.
        let kind = columns[pool_index].2;
        let zeros: Vec<Vec<In>> = if kind == TypeKind::Float {
            [["0", "-0"], ["-0", "0"]]
                .iter()
                .map(|g| g.iter().map(|t| In::new(kind, *t)).collect())
                .collect()
        } else {
            Vec::new()
        };
        let groups = 60 + zeros.len();
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut group_values: Vec<Vec<In>> = vec![Vec::new(); groups];
        let mut id = 0;
        for (g, values) in group_values.iter_mut().enumerate() {
            if let Some(preset) = g.checked_sub(60).and_then(|i| zeros.get(i)) {
                for v in preset {
                    let mut row = vec![Value::Null; source.columns.len()];
                    row[col_pos("id")] = Value::Int(id);
                    row[col_pos("g")] = Value::Int(g as i64);
                    row[pos] = v.value();
                    rows.push(row);
                    values.push(v.clone());
                    id += 1;
                }
                continue;
            }
            let n = 1 + rng.below(6);
            // Sums of the largest values overflow; some groups are all NULL.
            let all_null = rng.chance(10);
            let big_only = rng.chance(20);
            for _ in 0..n {
                let v = if all_null || rng.chance(20) {
                    In::null(columns[pool_index].2)
                } else if big_only {
                    pool.iter()
                        .rev()
                        .nth(rng.below(pool.len().min(8)))
                        .expect("pool")
                        .clone()
                } else {
                    rng.pick(pool).clone()
                };
                let mut row = vec![Value::Null; source.columns.len()];
                row[col_pos("id")] = Value::Int(id);
                row[col_pos("g")] = Value::Int(g as i64);
                row[pos] = v.value();
                rows.push(row);
                values.push(v);
                id += 1;
            }
        }
        let out = engine.run_map(cutover_ir::MapId(map_index as u32), &[rows.clone()]);
        let mut expect: Vec<Option<J>> = vec![None; groups];
        for r in &out.rows {
            let Value::Int(g) = r[0] else {
                panic!("group key {r:?}")
            };
            expect[g as usize] = Some(outcome(Ok(r[1].clone())));
        }
        for rej in &out.rejected {
            let Value::Int(g) = rows[rej.row][col_pos("g")] else {
                panic!("group key")
            };
            let reason = rej.reason.strip_prefix("`v`: ").unwrap_or(&rej.reason);
            expect[g as usize] = Some(json!(["fail", reason]));
        }
        for (g, values) in group_values.iter().enumerate() {
            let expect = expect[g]
                .clone()
                .expect("every group is a row or a rejection");
            let args: Vec<J> = if *col == usize::MAX {
                // count(): one non-NULL item per row.
                values.iter().map(|_| json!(["bool", "true"])).collect()
            } else {
                values.iter().map(In::json).collect()
            };
            if maps[map_index].0 == "maxnn" {
                c.push(
                    "agg_store",
                    json!({"name": agg, "args": args, "type": result.to_string(),
                           "store": target.to_string(), "expect": expect}),
                );
            } else {
                c.push(
                    "agg",
                    json!({"name": agg, "args": args, "type": result.to_string(), "expect": expect}),
                );
            }
        }
    }
}

// ─────────────────────────── Unicode ───────────────────────────

fn unicode_tables() -> J {
    let mut upper = Vec::new();
    let mut lower = Vec::new();
    let mut alnum: Vec<(u32, u32)> = Vec::new();
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let u = functions::upper_char(c);
        if u != c {
            upper.push(json!([c as u32, u as u32]));
        }
        let l = functions::lower_char(c);
        if l != c {
            lower.push(json!([c as u32, l as u32]));
        }
        if c.is_alphanumeric() {
            match alnum.last_mut() {
                Some((_, last)) if *last + 1 == c as u32 => *last = c as u32,
                _ => alnum.push((c as u32, c as u32)),
            }
        }
    }
    // `title` must also agree with the evaluator's own, on a sample.
    assert_eq!(functions::title("x2y_z ǆemal"), "X2y_Z Ǆemal");
    json!({"upper": upper, "lower": lower, "alnum": alnum})
}

// ─────────────────────────── Running ───────────────────────────

fn python() -> String {
    std::env::var("CUTOVER_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime")
}

fn zones() -> Vec<String> {
    let out = Command::new(python())
        .env("PYTHONDONTWRITEBYTECODE", "1") // no __pycache__ in the source tree
        .arg(runtime_dir().join("check_runtime.py"))
        .arg("--zones")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python()));
    assert!(
        out.status.success(),
        "check_runtime.py --zones failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn python_runtime_agrees_with_the_evaluator() {
    let started = Instant::now();
    let mut rng = Rng(seed());
    let now = NaiveDate::from_ymd_opt(2024, 6, 10)
        .expect("date")
        .and_hms_opt(12, 0, 0)
        .expect("time");
    let mut c = Cases {
        list: Vec::new(),
        counts: BTreeMap::new(),
        engine_ir: Ir::default(),
        now,
    };
    let p = Pools::new(&mut rng);
    for input in p.all() {
        if input.ty != TypeKind::Bytes {
            assert_eq!(
                input.value().to_text(),
                input.text,
                "pool values are in their canonical text"
            );
        }
    }
    let zones = zones();
    casts(&mut c, &p, &mut rng);
    stores(&mut c, &p, &mut rng);
    to_texts(&mut c, &p);
    lookups(&mut c, &p);
    ariths(&mut c, &p, &mut rng);
    compares(&mut c, &p, &mut rng);
    likes(&mut c, &p, &mut rng);
    calls(&mut c, &p, &mut rng, &zones);
    aggregates(&mut c, &p, &mut rng);
    let document = json!({"cases": c.list, "unicode": unicode_tables()});
    let path =
        std::env::temp_dir().join(format!("cutover-runtime-cases-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string(&document).expect("json")).expect("write cases");
    let built = started.elapsed();
    let out = Command::new(python())
        .env("PYTHONDONTWRITEBYTECODE", "1") // no __pycache__ in the source tree
        .arg(runtime_dir().join("check_runtime.py"))
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python()));
    let report = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    println!(
        "{} cases ({}), built in {:.1?}, checked in {:.1?}\n{report}",
        c.list.len(),
        c.counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        built,
        started.elapsed() - built
    );
    if out.status.success() && std::env::var_os("CUTOVER_RUNTIME_KEEP").is_none() {
        let _ = std::fs::remove_file(&path);
    }
    assert!(
        out.status.success(),
        "the Python runtime disagrees with the evaluator (cases kept in {}):\n{report}{errors}",
        path.display()
    );
}
