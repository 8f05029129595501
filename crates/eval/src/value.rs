//! Runtime values, their text forms, casts and comparison.
//!
//! These are the rules docs/functions.md states for every backend: how text
//! converts into each type (the `cast` rules), how each type prints, how
//! values compare. Dates are proleptic Gregorian, years 1–9999; times have
//! microsecond precision; a `timestamptz` is a UTC instant.

use crate::decimal::Decimal;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use cutover_ir::{Const, TypeKind};
use std::cmp::Ordering;
use std::fmt;

/// A value of the language.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// smallint, int and bigint.
    Int(i64),
    Decimal(Decimal),
    /// Always finite.
    Float(f64),
    Text(String),
    Date(NaiveDate),
    Time(NaiveTime),
    Timestamp(NaiveDateTime),
    /// A UTC instant.
    Timestamptz(NaiveDateTime),
    Uuid(uuid::Uuid),
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

/// Why evaluating failed: a parse error, an overflow, a missing lookup
/// entry. An assignment's `else` catches it; otherwise the row is rejected
/// with this message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fail(pub String);

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail(message.into()))
}

/// The whitespace `trim`, `squish` and every text-to-value conversion
/// strip: ASCII only, the same in every backend.
pub const WHITESPACE: [char; 6] = [' ', '\t', '\n', '\r', '\x0B', '\x0C'];

pub fn is_space(c: char) -> bool {
    WHITESPACE.contains(&c)
}

pub fn trim_spaces(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// The inclusive range of an integer type.
pub fn int_range(kind: TypeKind) -> (i64, i64) {
    match kind {
        TypeKind::SmallInt => (i16::MIN as i64, i16::MAX as i64),
        TypeKind::Int => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    }
}

pub(crate) fn check_int(i: i64, kind: TypeKind) -> Result<Value, Fail> {
    let (lo, hi) = int_range(kind);
    if (lo..=hi).contains(&i) {
        Ok(Value::Int(i))
    } else {
        fail(format!("{i} is out of range for {kind}"))
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_int(s: &str) -> Option<i64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits(body) {
        return None;
    }
    s.parse().ok()
}

/// `[+-]digits[.digits][(e|E)[+-]digits]`; no NaN or infinity.
fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let ok_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !ok_digits(int) || !ok_digits(frac) {
        return None;
    }
    if let Some(e) = exponent {
        if !digits(e.strip_prefix(['-', '+']).unwrap_or(e)) {
            return None;
        }
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Words that convert to a bool, compared without case.
const TRUE_WORDS: [&str; 6] = ["true", "t", "yes", "y", "on", "1"];
const FALSE_WORDS: [&str; 6] = ["false", "f", "no", "n", "off", "0"];

fn parse_bool(s: &str) -> Option<bool> {
    let l = s.to_ascii_lowercase();
    if TRUE_WORDS.contains(&l.as_str()) {
        Some(true)
    } else if FALSE_WORDS.contains(&l.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// `YYYY-MM-DD`, exactly.
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (&s[0..4], &s[5..7], &s[8..10]);
    if !(digits(y) && digits(m) && digits(d)) {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    if year < 1 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

/// `HH:MM[:SS[.ffffff]]`, 24-hour, at most 6 fraction digits.
pub fn parse_iso_time(s: &str) -> Option<NaiveTime> {
    let parts: Vec<&str> = s.split(':').collect();
    let two = |x: &str| {
        (x.len() == 2 && digits(x))
            .then(|| x.parse::<u32>().ok())
            .flatten()
    };
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (two(h)?, two(m)?, "00"),
        [h, m, s] => (two(h)?, two(m)?, *s),
        _ => return None,
    };
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let s = two(whole)?;
    if sec.contains('.') && !(digits(frac) && frac.len() <= 6) {
        return None;
    }
    let micros: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().ok()?
    };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    NaiveTime::from_hms_micro_opt(h, m, s, micros)
}

/// `YYYY-MM-DD`, or the date and a time separated by a space or `T`.
pub fn parse_iso_timestamp(s: &str) -> Option<NaiveDateTime> {
    if s.len() == 10 {
        return parse_iso_date(s).map(|d| d.and_time(NaiveTime::MIN));
    }
    let (d, t) = (s.get(..10)?, s.get(11..)?);
    if !matches!(s.as_bytes().get(10), Some(b' ' | b'T')) {
        return None;
    }
    Some(parse_iso_date(d)?.and_time(parse_iso_time(t)?))
}

/// A timestamp with an optional offset (`Z`, `±HH`, `±HH:MM`); no offset
/// means UTC. Gives the UTC instant.
pub fn parse_iso_timestamptz(s: &str) -> Option<NaiveDateTime> {
    if let Some(rest) = s.strip_suffix(['Z', 'z']) {
        return parse_iso_timestamp(rest);
    }
    // An offset starts at the last sign after the date part.
    let tail = s.get(11..).unwrap_or("");
    if let Some(i) = tail.rfind(['+', '-']).map(|i| i + 11) {
        let (ts, off) = (&s[..i], &s[i..]);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = match off[1..].split_once(':') {
            Some((h, m)) => (h, m),
            None => (&off[1..], "00"),
        };
        if oh.len() != 2 || om.len() != 2 || !digits(oh) || !digits(om) || om > "59" {
            return None;
        }
        let minutes: i64 = oh.parse::<i64>().ok()? * 60 + om.parse::<i64>().ok()?;
        if minutes > 15 * 60 {
            return None;
        }
        let local = parse_iso_timestamp(ts)?;
        return local.checked_sub_signed(chrono::Duration::minutes(sign * minutes));
    }
    parse_iso_timestamp(s)
}

fn in_year_range(d: NaiveDate) -> bool {
    (1..=9999).contains(&d.year())
}

/// Text in the form `cast(x as text)` gives. Floats print their shortest
/// round-trip digits, in exponent form below 1e-4 or from 1e15 (as
/// PostgreSQL 12+ does).
pub fn float_text(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..15).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    format!("{x}")
}

fn fraction(micros: u32) -> String {
    if micros == 0 {
        String::new()
    } else {
        format!(".{micros:06}").trim_end_matches('0').to_owned()
    }
}

pub fn time_text(t: NaiveTime) -> String {
    format!(
        "{:02}:{:02}:{:02}{}",
        t.hour(),
        t.minute(),
        t.second(),
        fraction(t.nanosecond() / 1000)
    )
}

pub fn date_text(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

pub fn timestamp_text(t: NaiveDateTime) -> String {
    format!("{} {}", date_text(t.date()), time_text(t.time()))
}

/// JSON as compact text with object keys in code-point order.
/// Lower-case hex of bytes (digests, `bytes` values): per row in checksums,
/// so without a formatter call per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

pub fn json_text(j: &serde_json::Value) -> String {
    // serde_json's default map is ordered by key.
    serde_json::to_string(j).unwrap_or_default()
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text `cast(x as text)` gives; `None` for NULL and bytes.
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Value::Null | Value::Bytes(_) => return None,
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Float(x) => float_text(*x),
            Value::Text(s) => s.clone(),
            Value::Date(d) => date_text(*d),
            Value::Time(t) => time_text(*t),
            Value::Timestamp(t) => timestamp_text(*t),
            Value::Timestamptz(t) => format!("{}+00", timestamp_text(*t)),
            Value::Uuid(u) => u.hyphenated().to_string(),
            Value::Json(j) => json_text(j),
        })
    }

    /// How examples and diffs show a value: as a spec constant would be
    /// written (timestamptz in ISO 8601 with `Z`).
    pub fn display(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Float(x) => format!("{x}"),
            Value::Timestamptz(t) => {
                format!("\"{}T{}Z\"", date_text(t.date()), time_text(t.time()))
            }
            Value::Bytes(b) => {
                format!("\"\\x{}\"", hex(b))
            }
            other => quote(&other.to_text().unwrap_or_default()),
        }
    }

    /// The value a spec constant gives a column of this type: strings are
    /// read as the type's text form (`"2024-03-01"` for a date).
    pub fn from_const(c: &Const, to: TypeKind) -> Result<Value, Fail> {
        let v = match c {
            Const::Null => return Ok(Value::Null),
            Const::Text(s) => return Value::Text(s.clone()).cast(to),
            Const::Int(i) => Value::Int(*i),
            Const::Decimal(d) => match Decimal::parse(d, None) {
                Some(x) => Value::Decimal(x),
                None => match parse_float(d) {
                    Some(x) => Value::Float(x),
                    None => return fail(format!("{d} is not a number")),
                },
            },
            Const::Bool(b) => Value::Bool(*b),
        };
        let compatible = match (&v, to) {
            // A fraction is not silently rounded into an integer column.
            (Value::Decimal(d), k) if k.is_integer() => 10i128
                .checked_pow(d.scale as u32)
                .is_some_and(|p| d.mantissa % p == 0),
            (Value::Int(_) | Value::Decimal(_), k) => k.is_numeric(),
            (Value::Float(_), k) => k == TypeKind::Float,
            (Value::Bool(_), k) => k == TypeKind::Bool,
            _ => false,
        };
        if !compatible {
            return fail(format!("{} is not a {to} value", v.display()));
        }
        v.cast(to)
    }

    /// `cast(self as to)`, and the conversion a value gets when it is
    /// stored into a column of type `to`.
    pub fn cast(self, to: TypeKind) -> Result<Value, Fail> {
        use TypeKind::*;
        if self.is_null() || matches!(to, Null | Error) {
            return Ok(self);
        }
        if let Value::Text(s) = &self {
            if !to.is_text() {
                return text_to(s, to);
            }
        }
        match to {
            Text | Varchar(_) | Char(_) => {
                let Some(s) = self.to_text() else {
                    return fail("bytes do not convert to text");
                };
                match to.max_chars() {
                    Some(n) if s.chars().count() > n as usize => {
                        fail(format!("{} is longer than {n} characters", quote(&s)))
                    }
                    _ => Ok(Value::Text(s)),
                }
            }
            SmallInt | Int | BigInt => match self {
                Value::Int(i) => check_int(i, to),
                Value::Bool(b) => Ok(Value::Int(b as i64)),
                Value::Decimal(d) => match d.to_i64_rounded() {
                    Some(i) => check_int(i, to),
                    None => fail(format!("{d} is out of range for {to}")),
                },
                Value::Float(x) => {
                    let r = x.round();
                    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&r) {
                        check_int(r as i64, to)
                    } else {
                        fail(format!("{} is out of range for {to}", float_text(x)))
                    }
                }
                other => mismatch(&other, to),
            },
            Decimal { precision, scale } => {
                let d = match &self {
                    Value::Int(i) => crate::decimal::Decimal::from_i64(*i).rescale(scale),
                    Value::Decimal(d) => d.rescale(scale),
                    Value::Float(x) => crate::decimal::Decimal::from_f64(*x, scale),
                    other => return mismatch(other, to),
                };
                match d {
                    Some(d) if d.fits_precision(precision, scale) => Ok(Value::Decimal(d)),
                    _ => fail(format!(
                        "{} does not fit {to}",
                        self.to_text().unwrap_or_default()
                    )),
                }
            }
            Float => match self {
                Value::Float(x) => Ok(Value::Float(x)),
                Value::Int(i) => Ok(Value::Float(i as f64)),
                Value::Decimal(d) => Ok(Value::Float(d.to_f64())),
                other => mismatch(&other, to),
            },
            Bool => match self {
                Value::Bool(b) => Ok(Value::Bool(b)),
                Value::Int(i) => Ok(Value::Bool(i != 0)),
                other => mismatch(&other, to),
            },
            Date => match self {
                Value::Date(d) => Ok(Value::Date(d)),
                Value::Timestamp(t) | Value::Timestamptz(t) => Ok(Value::Date(t.date())),
                other => mismatch(&other, to),
            },
            Time => match self {
                Value::Time(t) => Ok(Value::Time(t)),
                Value::Timestamp(t) | Value::Timestamptz(t) => Ok(Value::Time(t.time())),
                other => mismatch(&other, to),
            },
            Timestamp => match self {
                Value::Date(d) => Ok(Value::Timestamp(d.and_time(NaiveTime::MIN))),
                Value::Timestamp(t) | Value::Timestamptz(t) => Ok(Value::Timestamp(t)),
                other => mismatch(&other, to),
            },
            Timestamptz => match self {
                Value::Date(d) => Ok(Value::Timestamptz(d.and_time(NaiveTime::MIN))),
                Value::Timestamp(t) | Value::Timestamptz(t) => Ok(Value::Timestamptz(t)),
                other => mismatch(&other, to),
            },
            Uuid => match self {
                Value::Uuid(u) => Ok(Value::Uuid(u)),
                other => mismatch(&other, to),
            },
            Json => match self {
                Value::Json(j) => Ok(Value::Json(j)),
                other => mismatch(&other, to),
            },
            Bytes => match self {
                Value::Bytes(b) => Ok(Value::Bytes(b)),
                other => mismatch(&other, to),
            },
            Null | Error => Ok(self),
        }
    }
}

fn mismatch(v: &Value, to: TypeKind) -> Result<Value, Fail> {
    fail(format!("{} does not convert to {to}", v.display()))
}

/// Text into a non-text type: the text is trimmed of ASCII whitespace
/// first, then must be in the type's text form.
fn text_to(s: &str, to: TypeKind) -> Result<Value, Fail> {
    use TypeKind::*;
    let t = trim_spaces(s);
    let bad = || fail(format!("{} is not a valid {to}", quote(s)));
    match to {
        SmallInt | Int | BigInt => match parse_int(t) {
            Some(i) => check_int(i, to),
            None => bad(),
        },
        Decimal { precision, scale } => match crate::decimal::Decimal::parse(t, Some(scale)) {
            Some(d) if d.fits_precision(precision, scale) => Ok(Value::Decimal(d)),
            Some(_) => fail(format!("{} does not fit {to}", quote(s))),
            None => bad(),
        },
        Float => parse_float(t).map(Value::Float).map_or_else(bad, Ok),
        Bool => parse_bool(t).map(Value::Bool).map_or_else(bad, Ok),
        Date => parse_iso_date(t).map(Value::Date).map_or_else(bad, Ok),
        Time => parse_iso_time(t).map(Value::Time).map_or_else(bad, Ok),
        Timestamp => parse_iso_timestamp(t)
            .map(Value::Timestamp)
            .map_or_else(bad, Ok),
        Timestamptz => match parse_iso_timestamptz(t) {
            Some(x) if in_year_range(x.date()) => Ok(Value::Timestamptz(x)),
            _ => bad(),
        },
        Uuid => {
            let ok = t.len() == 36
                && t.char_indices().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => c == '-',
                    _ => c.is_ascii_hexdigit(),
                });
            match ok.then(|| uuid::Uuid::parse_str(t).ok()).flatten() {
                Some(u) => Ok(Value::Uuid(u)),
                None => bad(),
            }
        }
        // U+0000 is refused as PostgreSQL's json types refuse it.
        Json => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(j) if !holds_nul(&j) => Ok(Value::Json(j)),
            _ => fail(format!("{} is not valid JSON", quote(s))),
        },
        // Bytes are the text's UTF-8 encoding, untrimmed.
        Bytes => Ok(Value::Bytes(s.as_bytes().to_vec())),
        Text | Varchar(_) | Char(_) | Null | Error => Ok(Value::Text(s.to_owned())),
    }
}

/// Whether a string or key anywhere in `j` holds U+0000.
fn holds_nul(j: &serde_json::Value) -> bool {
    match j {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(holds_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// A string as a spec literal: double quotes, `\\`, `\"`, `\n`, `\t`,
/// `\r` and `\u{…}` for other control characters.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// SQL comparison: `None` when either side is NULL or the values do not
/// compare. Numbers compare by value across int, decimal and float; text
/// by code point (the `C` collation).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Null, _) | (_, Null) => None,
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Decimal(x), Decimal(y)) => Some(x.cmp(y)),
        (Int(x), Decimal(y)) => Some(crate::decimal::Decimal::from_i64(*x).cmp(y)),
        (Decimal(x), Int(y)) => Some(x.cmp(&crate::decimal::Decimal::from_i64(*y))),
        (Float(x), Float(y)) => x.partial_cmp(y),
        (Float(x), Int(y)) => x.partial_cmp(&(*y as f64)),
        (Int(x), Float(y)) => (*x as f64).partial_cmp(y),
        (Float(x), Decimal(y)) => x.partial_cmp(&y.to_f64()),
        (Decimal(x), Float(y)) => x.to_f64().partial_cmp(y),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Text(x), Text(y)) => Some(x.cmp(y)),
        (Date(x), Date(y)) => Some(x.cmp(y)),
        (Time(x), Time(y)) => Some(x.cmp(y)),
        (Timestamp(x), Timestamp(y)) | (Timestamptz(x), Timestamptz(y)) => Some(x.cmp(y)),
        (Date(x), Timestamp(y)) | (Date(x), Timestamptz(y)) => {
            Some(x.and_time(NaiveTime::MIN).cmp(y))
        }
        (Timestamp(x), Date(y)) | (Timestamptz(x), Date(y)) => {
            Some(x.cmp(&y.and_time(NaiveTime::MIN)))
        }
        (Uuid(x), Uuid(y)) => Some(x.cmp(y)),
        (Bytes(x), Bytes(y)) => Some(x.cmp(y)),
        (Json(x), Json(y)) => Some(json_text(x).cmp(&json_text(y))),
        _ => None,
    }
}

/// SQL `=`: NULL when either side is NULL.
pub fn sql_eq(a: &Value, b: &Value) -> Option<bool> {
    compare(a, b).map(|o| o == Ordering::Equal)
}

/// A hashable form of a value for lookups, joins and grouping, equal
/// exactly when the values compare equal (numbers by value).
pub fn key_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Int(i) => format!("n{i}"),
        Value::Decimal(d) => {
            let s = d.to_string();
            let s = if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                s
            };
            format!("n{}", if s == "-0" { "0" } else { &s })
        }
        Value::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => format!("n{}", *x as i64),
        Value::Float(x) => match crate::decimal::Decimal::parse(&format!("{x}"), None) {
            Some(d) => return key_text(&Value::Decimal(d)),
            None => format!("f{x}"),
        },
        Value::Text(s) => format!("t{s}"),
        Value::Bool(b) => format!("b{b}"),
        Value::Date(d) => format!("d{}", date_text(*d)),
        Value::Timestamp(t) | Value::Timestamptz(t) => format!("s{}", timestamp_text(*t)),
        Value::Time(t) => format!("h{}", time_text(*t)),
        Value::Uuid(u) => format!("u{u}"),
        Value::Json(j) => format!("j{}", json_text(j)),
        Value::Bytes(b) => format!("x{b:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(s: &str, to: TypeKind) -> Result<Value, Fail> {
        Value::Text(s.into()).cast(to)
    }

    #[test]
    fn text_converts_after_trimming_ascii_whitespace() {
        assert_eq!(cast(" 42\t", TypeKind::Int), Ok(Value::Int(42)));
        assert!(cast("42.0", TypeKind::Int).is_err());
        assert!(cast("\u{a0}42", TypeKind::Int).is_err());
        assert!(cast("40000", TypeKind::SmallInt).is_err());
        assert_eq!(cast("Yes", TypeKind::Bool), Ok(Value::Bool(true)));
        assert!(cast("nan", TypeKind::Float).is_err());
        assert!(cast("1e400", TypeKind::Float).is_err());
        assert_eq!(cast("1.5e3", TypeKind::Float), Ok(Value::Float(1500.0)));
    }

    #[test]
    fn dates_and_times() {
        assert!(cast("2024-02-30", TypeKind::Date).is_err());
        assert!(cast("2024-2-3", TypeKind::Date).is_err());
        assert!(cast("0000-01-01", TypeKind::Date).is_err());
        let ts = cast("2024-03-01T09:00:00.5", TypeKind::Timestamp).expect("valid");
        assert_eq!(ts.to_text().as_deref(), Some("2024-03-01 09:00:00.5"));
        let tz = cast("2024-03-01 09:00:00-05:00", TypeKind::Timestamptz).expect("valid");
        assert_eq!(tz.to_text().as_deref(), Some("2024-03-01 14:00:00+00"));
        assert_eq!(tz.display(), "\"2024-03-01T14:00:00Z\"");
        assert!(cast("24:00", TypeKind::Time).is_err());
        assert!(cast("12:00:00.1234567", TypeKind::Time).is_err());
    }

    #[test]
    fn json_keeps_numbers_as_written_and_sorts_keys() {
        let j = cast(
            r#" {"b": 12345678901234567890123, "a": [1.0, -0, "x", 1E2]} "#,
            TypeKind::Json,
        )
        .expect("valid JSON");
        assert_eq!(
            j.to_text().as_deref(),
            Some(r#"{"a":[1.0,-0,"x",1e+2],"b":12345678901234567890123}"#)
        );
        assert!(cast("{lr: 0.01,", TypeKind::Json).is_err());
    }

    #[test]
    fn numbers_round_half_away_from_zero() {
        let d = TypeKind::Decimal {
            precision: 5,
            scale: 1,
        };
        assert_eq!(cast("2.25", d).map(|v| v.display()), Ok("2.3".into()));
        assert_eq!(cast("-2.25", d).map(|v| v.display()), Ok("-2.3".into()));
        assert!(cast("12345.6", d).is_err());
        assert_eq!(Value::Float(2.5).cast(TypeKind::Int), Ok(Value::Int(3)));
        assert_eq!(Value::Float(-2.5).cast(TypeKind::Int), Ok(Value::Int(-3)));
    }

    #[test]
    fn floats_print_like_postgres() {
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(100.0), "100");
        assert_eq!(float_text(1e15), "1e+15");
        assert_eq!(float_text(123456789012345.0), "123456789012345");
        assert_eq!(float_text(0.0001), "0.0001");
        assert_eq!(float_text(0.00001), "1e-05");
        assert_eq!(float_text(-1.5e-7), "-1.5e-07");
    }

    #[test]
    fn numbers_compare_and_hash_by_value() {
        let one = Value::Int(1);
        let one_dec = Value::Decimal(Decimal::parse("1.00", None).expect("valid"));
        assert_eq!(sql_eq(&one, &one_dec), Some(true));
        assert_eq!(key_text(&one), key_text(&one_dec));
        assert_eq!(key_text(&Value::Float(1.0)), key_text(&one));
        assert_eq!(
            key_text(&Value::Float(0.5)),
            key_text(&Value::Decimal(
                Decimal::parse("0.50", None).expect("valid")
            ))
        );
        assert_eq!(sql_eq(&Value::Null, &Value::Null), None);
    }

    #[test]
    fn constants_fit_their_columns() {
        assert!(Value::from_const(&Const::Int(7), TypeKind::Text).is_err());
        assert!(Value::from_const(&Const::Decimal("2.5".into()), TypeKind::Int).is_err());
        assert_eq!(
            Value::from_const(&Const::Decimal("2.0".into()), TypeKind::Int),
            Ok(Value::Int(2))
        );
        assert!(Value::Text("2024-03-01 09:00+05:99".into())
            .cast(TypeKind::Timestamptz)
            .is_err());
        assert_eq!(
            Value::from_const(&Const::Text("2024-01-02".into()), TypeKind::Date)
                .map(|v| v.display()),
            Ok("\"2024-01-02\"".into())
        );
        assert!(Value::from_const(&Const::Text("abc".into()), TypeKind::Varchar(2)).is_err());
    }
}
