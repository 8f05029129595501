//! The built-in scalar functions: the executable form of docs/functions.md.
//!
//! Text functions work on Unicode scalar values (characters), never bytes,
//! so nothing ever splits a multi-byte character.

use crate::decimal::Decimal;
use crate::value::{check_int, fail, is_space, trim_spaces, Fail, Value};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use cutover_ir::{Builtin, TypeKind};
use sha2::Digest;

/// The longest text `lpad`/`rpad` build, in characters; longer is a failure
/// rather than an out-of-memory.
pub const MAX_PAD: i64 = 10_000_000;

/// Joins the values `uuid_v5` hashes: the unit separator.
pub const UUID_V5_SEPARATOR: char = '\u{1f}';

/// Calls a scalar built-in. `result` is the call's type; `now` is the
/// run's clock.
pub fn call(
    b: Builtin,
    args: &[Value],
    result: TypeKind,
    now: NaiveDateTime,
) -> Result<Value, Fail> {
    use Builtin::*;
    match b {
        Coalesce => {
            let v = args.iter().find(|a| !a.is_null()).cloned();
            return Ok(v.unwrap_or(Value::Null));
        }
        Nullif => {
            let (a, b) = (arg(args, 0), arg(args, 1));
            return Ok(match crate::value::sql_eq(&a, &b) {
                Some(true) => Value::Null,
                _ => a,
            });
        }
        Now => return Ok(Value::Timestamptz(now)),
        _ => {}
    }
    // Every other function is strict: NULL in, NULL out.
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let text = |i: usize| -> &str {
        match args.get(i) {
            Some(Value::Text(s)) => s,
            _ => "",
        }
    };
    let int = |i: usize| -> i64 {
        match args.get(i) {
            Some(Value::Int(n)) => *n,
            _ => 0,
        }
    };
    Ok(match b {
        Trim => Value::Text(trim_spaces(text(0)).to_owned()),
        Ltrim => Value::Text(text(0).trim_start_matches(is_space).to_owned()),
        Rtrim => Value::Text(text(0).trim_end_matches(is_space).to_owned()),
        Squish => Value::Text(squish(text(0))),
        Upper => Value::Text(text(0).chars().map(upper_char).collect()),
        Lower => Value::Text(text(0).chars().map(lower_char).collect()),
        Title => Value::Text(title(text(0))),
        Length => Value::Int(text(0).chars().count() as i64),
        Substr => Value::Text(substr(text(0), int(1), int(2))),
        Lpad | Rpad => Value::Text(pad(text(0), int(1), text(2), b == Lpad)?),
        Truncate => Value::Text(truncate(text(0), int(1), text(2))),
        Replace => Value::Text(if text(1).is_empty() {
            text(0).to_owned()
        } else {
            text(0).replace(text(1), text(2))
        }),
        SplitPart => Value::Text(split_part(text(0), text(1), int(2))),
        Mask => Value::Text(mask(text(0))),
        Sha256 => {
            let digest = sha2::Sha256::digest(text(0).as_bytes());
            Value::Text(crate::value::hex(&digest))
        }
        Round => round(
            arg(args, 0),
            args.get(1).map(|_| int(1)).unwrap_or(0),
            result,
        )?,
        Abs => match arg(args, 0) {
            Value::Int(i) => match i.checked_abs() {
                Some(a) => check_int(a, result)?,
                None => return fail(format!("abs({i}) is out of range for {result}")),
            },
            Value::Decimal(d) => Value::Decimal(if d.mantissa < 0 { d.negate() } else { d }),
            Value::Float(x) => Value::Float(x.abs()),
            other => other,
        },
        ParseDate => Value::Date(parse_with_format(text(0), text(1))?.date()),
        ParseTimestamp => Value::Timestamp(parse_with_format(text(0), text(1))?),
        ToUtc => match arg(args, 0) {
            Value::Timestamp(t) => Value::Timestamptz(to_utc(t, text(1))?),
            other => return fail(format!("to_utc needs a timestamp, not {}", other.display())),
        },
        UuidV5 => uuid_v5(text(0), &args[1..])?,
        Coalesce | Nullif | Now => Value::Null,
        Count | Sum | Min | Max => return fail(format!("{} outside a group", b.name())),
    })
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Null)
}

/// Trims, and turns every inner run of whitespace into one space.
pub fn squish(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(is_space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Unicode's uppercase of one character when it is one character; a
/// character whose uppercase is several (ß, ŉ, ﬁ) is kept, so the length
/// never changes.
pub fn upper_char(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// As [`upper_char`], for lowercase (İ is kept).
pub fn lower_char(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Upper-cases the first character of every word and lower-cases the
/// rest; a word is a run of alphanumeric characters.
pub fn title(s: &str) -> String {
    let mut in_word = false;
    s.chars()
        .map(|c| {
            let out = if in_word {
                lower_char(c)
            } else {
                upper_char(c)
            };
            in_word = c.is_alphanumeric();
            out
        })
        .collect()
}

/// Characters `start .. start + length` (1-based), clipped to the text.
pub fn substr(s: &str, start: i64, length: i64) -> String {
    if length <= 0 {
        return String::new();
    }
    let end = start.saturating_add(length);
    let from = start.max(1);
    if end <= from {
        return String::new();
    }
    s.chars()
        .skip((from - 1) as usize)
        .take(usize::try_from(end - from).unwrap_or(usize::MAX))
        .collect()
}

/// Pads to exactly `length` characters with `fill` repeated, or cuts to
/// `length` when the text is longer; an empty fill pads nothing.
pub fn pad(s: &str, length: i64, fill: &str, left: bool) -> Result<String, Fail> {
    if length <= 0 {
        return Ok(String::new());
    }
    if length > MAX_PAD {
        return fail(format!(
            "padding to {length} characters is over the limit of {MAX_PAD}"
        ));
    }
    let n = s.chars().count();
    let length = length as usize;
    if n >= length {
        return Ok(s.chars().take(length).collect());
    }
    if fill.is_empty() {
        return Ok(s.to_owned());
    }
    let padding: String = fill.chars().cycle().take(length - n).collect();
    Ok(if left {
        padding + s
    } else {
        s.to_owned() + &padding
    })
}

/// At most `length` characters; a cut text ends with `suffix`, counted in
/// the length (a suffix as long as the limit is left off).
pub fn truncate(s: &str, length: i64, suffix: &str) -> String {
    if length <= 0 {
        return String::new();
    }
    let n = s.chars().count();
    if n as i64 <= length {
        return s.to_owned();
    }
    let suffix_len = suffix.chars().count() as i64;
    if suffix_len >= length {
        return s.chars().take(length as usize).collect();
    }
    let mut out: String = s.chars().take((length - suffix_len) as usize).collect();
    out.push_str(suffix);
    out
}

/// The `n`-th field (1-based; negative counts from the end); `""` when
/// there is no such field. An empty delimiter makes the whole text one field.
pub fn split_part(s: &str, delimiter: &str, n: i64) -> String {
    let fields: Vec<&str> = if delimiter.is_empty() {
        vec![s]
    } else {
        s.split(delimiter).collect()
    };
    let i = if n > 0 {
        (n - 1) as usize
    } else if n < 0 {
        match fields.len().checked_sub(n.unsigned_abs() as usize) {
            Some(i) => i,
            None => return String::new(),
        }
    } else {
        return String::new();
    };
    fields.get(i).map(|f| (*f).to_owned()).unwrap_or_default()
}

/// Every character but the last four becomes `*`; four or fewer are all
/// masked.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    let mut out = "*".repeat(n - 4);
    out.extend(s.chars().skip(n - 4));
    out
}

fn round(x: Value, digits: i64, result: TypeKind) -> Result<Value, Fail> {
    Ok(match x {
        Value::Int(i) if digits >= 0 => Value::Int(i),
        Value::Int(i) => match Decimal::from_i64(i)
            .round(digits)
            .and_then(|d| d.to_i64_rounded())
        {
            Some(r) => check_int(r, result)?,
            None => return fail(format!("round({i}, {digits}) is out of range for {result}")),
        },
        Value::Decimal(d) => match d.round(digits) {
            Some(r) => Value::Decimal(r),
            None => return fail(format!("round({d}, {digits}) overflows")),
        },
        Value::Float(f) => {
            let r: f64 = round_plain(&format!("{f}"), digits).parse().unwrap_or(f);
            if !r.is_finite() {
                return fail(format!("round({f}, {digits}) overflows"));
            }
            Value::Float(r)
        }
        other => other,
    })
}

/// Rounds plain decimal text half away from zero at `digits` after the
/// point, exactly, at any length.
pub fn round_plain(text: &str, digits: i64) -> String {
    let (negative, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if digits >= frac.len() as i64 {
        return text.to_owned();
    }
    // All digits as one string; `keep` of them survive.
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let keep = int.len() as i64 + digits;
    if keep < 0 {
        return "0".into();
    }
    let keep = keep as usize;
    let mut kept: Vec<u8> = all[..keep].to_vec();
    if all[keep] >= b'5' {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let carried = kept.len() - keep;
    let int_len = (int.len() + carried).min(kept.len());
    let mut out = String::from_utf8_lossy(&kept[..int_len]).into_owned();
    if digits < 0 {
        if out.is_empty() {
            return "0".into();
        }
        out.push_str(&"0".repeat(digits.unsigned_abs() as usize));
    } else if digits > 0 {
        out.push('.');
        out.push_str(&String::from_utf8_lossy(&kept[int_len..]));
    }
    if out.is_empty() {
        out.push('0');
    }
    if negative && out.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.insert(0, '-');
    }
    out
}

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

/// Reads text with a strftime-style format: `%Y` (4 digits), `%y` (2
/// digits: 00–68 are 20xx, 69–99 are 19xx), `%m` `%d` `%H` `%M` `%S` (1 or
/// 2 digits), `%f` (1–6 fraction digits), `%b` / `%B` (English month
/// names, any case), `%%`. Everything else matches itself; the whole text
/// must match, and the date must exist.
pub fn parse_with_format(text: &str, format: &str) -> Result<NaiveDateTime, Fail> {
    let bad = || {
        Fail(format!(
            "{} does not match the format {}",
            crate::value::quote(text),
            crate::value::quote(format)
        ))
    };
    let t: Vec<char> = text.chars().collect();
    let mut pos = 0usize;
    let (mut year, mut month, mut day) = (None::<i32>, None::<u32>, None::<u32>);
    let (mut hour, mut minute, mut second, mut micros) = (0u32, 0u32, 0u32, 0u32);
    let mut fmt = format.chars();
    let take_digits = |pos: &mut usize, min: usize, max: usize| -> Option<(u32, usize)> {
        let start = *pos;
        while *pos < t.len() && *pos - start < max && t[*pos].is_ascii_digit() {
            *pos += 1;
        }
        let n = *pos - start;
        if n < min {
            return None;
        }
        let s: String = t[start..*pos].iter().collect();
        s.parse().ok().map(|v| (v, n))
    };
    while let Some(f) = fmt.next() {
        if f != '%' {
            if t.get(pos) != Some(&f) {
                return Err(bad());
            }
            pos += 1;
            continue;
        }
        match fmt.next() {
            Some('Y') => year = Some(take_digits(&mut pos, 4, 4).ok_or_else(bad)?.0 as i32),
            Some('y') => {
                let y = take_digits(&mut pos, 2, 2).ok_or_else(bad)?.0 as i32;
                year = Some(if y < 69 { 2000 + y } else { 1900 + y });
            }
            Some('m') => month = Some(take_digits(&mut pos, 1, 2).ok_or_else(bad)?.0),
            Some('d') => day = Some(take_digits(&mut pos, 1, 2).ok_or_else(bad)?.0),
            Some('H') => hour = take_digits(&mut pos, 1, 2).ok_or_else(bad)?.0,
            Some('M') => minute = take_digits(&mut pos, 1, 2).ok_or_else(bad)?.0,
            Some('S') => second = take_digits(&mut pos, 1, 2).ok_or_else(bad)?.0,
            Some('f') => {
                let (v, n) = take_digits(&mut pos, 1, 6).ok_or_else(bad)?;
                micros = v * 10u32.pow(6 - n as u32);
            }
            Some(c @ ('b' | 'B')) => {
                let rest: String = t[pos..].iter().collect::<String>().to_lowercase();
                let found = MONTHS.iter().enumerate().find_map(|(i, name)| {
                    let want = if c == 'b' { &name[..3] } else { name };
                    rest.starts_with(want)
                        .then_some((i as u32 + 1, want.chars().count()))
                });
                let (m, len) = found.ok_or_else(bad)?;
                month = Some(m);
                pos += len;
            }
            Some('%') => {
                if t.get(pos) != Some(&'%') {
                    return Err(bad());
                }
                pos += 1;
            }
            Some(other) => {
                return fail(format!(
                    "unsupported directive %{other} in the format {}",
                    crate::value::quote(format)
                ))
            }
            None => {
                return fail(format!(
                    "the format {} ends with a lone %",
                    crate::value::quote(format)
                ))
            }
        }
    }
    if pos != t.len() {
        return Err(bad());
    }
    let (Some(y), Some(m), Some(d)) = (year, month, day) else {
        return fail(format!(
            "the format {} needs a year, a month and a day",
            crate::value::quote(format)
        ));
    };
    let date = NaiveDate::from_ymd_opt(y, m, d)
        .filter(|_| y >= 1)
        .ok_or_else(|| {
            Fail(format!(
                "{} is not a date that exists",
                crate::value::quote(text)
            ))
        })?;
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros)
        .filter(|_| second < 60)
        .ok_or_else(|| {
            Fail(format!(
                "{} is not a valid time of day",
                crate::value::quote(text)
            ))
        })?;
    Ok(date.and_time(time))
}

/// A local wall time in an IANA zone as a UTC instant. A time skipped by a
/// daylight-saving change fails; a repeated time is its first occurrence.
pub fn to_utc(local: NaiveDateTime, zone: &str) -> Result<NaiveDateTime, Fail> {
    let tz: chrono_tz::Tz = zone
        .parse()
        .map_err(|_| Fail(format!("unknown time zone {}", crate::value::quote(zone))))?;
    let utc = match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.naive_utc(),
        chrono::LocalResult::Ambiguous(first, _) => first.naive_utc(),
        chrono::LocalResult::None => fail(format!(
            "local time {} does not exist in {zone} (daylight-saving gap)",
            crate::value::timestamp_text(local)
        ))?,
    };
    // Timestamps hold years 1–9999 in every backend.
    if !(1..=9999).contains(&chrono::Datelike::year(&utc)) {
        return fail(format!(
            "{} in {zone} is outside the years 1–9999 in UTC",
            crate::value::timestamp_text(local)
        ));
    }
    Ok(utc)
}

/// The namespace's UUID: version 5 of its UTF-8 text under the RFC 9562
/// URL namespace.
pub fn uuid_v5_namespace(namespace: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, namespace.as_bytes())
}

/// Version 5 UUID of the values' text forms joined by U+001F.
pub fn uuid_v5(namespace: &str, values: &[Value]) -> Result<Value, Fail> {
    let mut name = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            name.push(UUID_V5_SEPARATOR);
        }
        match v.to_text() {
            Some(t) => name.push_str(&t),
            None => return fail("uuid_v5 cannot hash bytes"),
        }
    }
    Ok(Value::Uuid(uuid::Uuid::new_v5(
        &uuid_v5_namespace(namespace),
        name.as_bytes(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_ascii() {
        assert_eq!(squish("\t a \n\x0b b  "), "a b");
        assert_eq!(trim_spaces("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
    }

    #[test]
    fn case_mapping_keeps_the_length() {
        let up: String = "straße ǆ éa".chars().map(upper_char).collect();
        assert_eq!(up, "STRAßE Ǆ ÉA");
        let low: String = "İSTANBUL ΣΑΣ".chars().map(lower_char).collect();
        assert_eq!(low, "İstanbul σασ");
        assert_eq!(
            title("o'neil mcdonald-SMITH 3rd"),
            "O'Neil Mcdonald-Smith 3rd"
        );
    }

    #[test]
    fn substr_pad_truncate_split() {
        assert_eq!(substr("abcdef", 2, 3), "bcd");
        assert_eq!(substr("abcdef", 0, 2), "a");
        assert_eq!(substr("abcdef", -5, 10), "abcd");
        assert_eq!(substr("abc", 5, 2), "");
        assert_eq!(substr("héllo", 2, 2), "él");
        assert_eq!(pad("7", 3, "0", true).ok(), Some("007".into()));
        assert_eq!(pad("hello", 3, "*", true).ok(), Some("hel".into()));
        assert_eq!(pad("ab", 5, "xy", false).ok(), Some("abxyx".into()));
        assert_eq!(pad("ab", 5, "", false).ok(), Some("ab".into()));
        assert!(pad("ab", MAX_PAD + 1, "x", false).is_err());
        assert_eq!(truncate("héllo wörld", 8, "..."), "héllo...");
        assert_eq!(truncate("héllo", 5, "..."), "héllo");
        assert_eq!(truncate("héllo", 2, "..."), "hé");
        assert_eq!(split_part("a/b/c", "/", 2), "b");
        assert_eq!(split_part("a/b/c", "/", -1), "c");
        assert_eq!(split_part("a/b/c", "/", 4), "");
        assert_eq!(split_part("a/b/c", "", 1), "a/b/c");
        assert_eq!(mask("4111111111111111"), "************1111");
        assert_eq!(mask("abc"), "***");
    }

    #[test]
    fn rounding_text_exactly() {
        assert_eq!(round_plain("2.675", 2), "2.68");
        assert_eq!(round_plain("-2.5", 0), "-3");
        assert_eq!(round_plain("9.99", 1), "10.0");
        assert_eq!(round_plain("1250", -2), "1300");
        assert_eq!(round_plain("-0.4", 0), "0");
        assert_eq!(round_plain("0.00001", 2), "0.00");
        assert_eq!(round_plain("999", -3), "1000");
        assert_eq!(round_plain("499", -3), "0");
        assert_eq!(round_plain("12.5", 3), "12.5");
    }

    #[test]
    fn formats() {
        let p = |t: &str, f: &str| parse_with_format(t, f).map(|d| d.to_string());
        assert_eq!(
            p("04/15/1985", "%m/%d/%Y").ok(),
            Some("1985-04-15 00:00:00".into())
        );
        assert_eq!(
            p("4/5/1985", "%m/%d/%Y").ok(),
            Some("1985-04-05 00:00:00".into())
        );
        assert!(p("02/30/2021", "%m/%d/%Y").is_err());
        assert!(p("13/01/2020", "%m/%d/%Y").is_err());
        assert!(p("1985-04-12", "%m/%d/%Y").is_err());
        assert!(p("", "%m/%d/%Y").is_err());
        assert!(p(" 04/15/1985", "%m/%d/%Y").is_err());
        assert_eq!(
            p("15 Apr 85 13:05:09.25", "%d %b %y %H:%M:%S.%f").ok(),
            Some("1985-04-15 13:05:09.250".into())
        );
        assert_eq!(
            p("1 MARCH 2024", "%d %B %Y").ok(),
            Some("2024-03-01 00:00:00".into())
        );
        assert!(p("2024", "%Y %q").is_err());
        assert!(p("10:00", "%H:%M").is_err());
    }

    #[test]
    fn utc_across_daylight_saving() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("valid");
        let ny = "America/New_York";
        assert_eq!(
            to_utc(t("2024-03-01 09:00:00"), ny).ok(),
            Some(t("2024-03-01 14:00:00"))
        );
        assert!(to_utc(t("2024-03-10 02:15:00"), ny).is_err());
        // 01:30 happens twice on 2024-11-03: the first is EDT (UTC-4).
        assert_eq!(
            to_utc(t("2024-11-03 01:30:00"), ny).ok(),
            Some(t("2024-11-03 05:30:00"))
        );
        assert!(to_utc(t("2024-11-03 01:30:00"), "Mars/Olympus").is_err());
    }

    #[test]
    fn uuid_v5_layout() {
        // RFC 9562 appendix A.4: v5 of "www.example.com" in the DNS namespace.
        let u = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, b"www.example.com");
        assert_eq!(u.to_string(), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
        let a = uuid_v5("ns", &[Value::Int(42)]).ok();
        let b = uuid_v5("ns", &[Value::Text("42".into())]).ok();
        assert_eq!(a, b);
        let two = uuid_v5("ns", &[Value::Int(4), Value::Int(2)]).ok();
        assert_ne!(a, two);
    }
}
