//! Exact decimal numbers of up to 38 digits: an `i128` mantissa and a scale.
//!
//! Every rounding is half away from zero (docs/functions.md, "Numbers"); an
//! operation whose exact result needs more than 38 digits gives `None`, which
//! the evaluator reports as a numeric overflow.

use std::cmp::Ordering;
use std::fmt;

/// The largest number of digits a decimal holds.
pub const MAX_DIGITS: u32 = 38;

/// `mantissa × 10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u8,
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Whether a mantissa has at most 38 digits.
fn fits(m: i128) -> bool {
    m.unsigned_abs() < 10u128.pow(MAX_DIGITS)
}

/// `n / d` rounded half away from zero; `d` is not zero.
fn div_round(n: i128, d: i128) -> Option<i128> {
    let q = n.checked_div(d)?;
    let r = n.checked_rem(d)?;
    // |2r| >= |d| without overflowing: compare |r| with |d| - |r|.
    let (ra, da) = (r.unsigned_abs(), d.unsigned_abs());
    if ra >= da - ra {
        let away = if (n < 0) != (d < 0) { -1 } else { 1 };
        q.checked_add(away)
    } else {
        Some(q)
    }
}

impl Decimal {
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    pub fn from_i64(i: i64) -> Decimal {
        Decimal {
            mantissa: i as i128,
            scale: 0,
        }
    }

    /// Plain decimal notation: `[+-]digits[.digits]`, no exponent. With
    /// `scale`, the value is rounded to that many fraction digits; without,
    /// it keeps the digits written.
    pub fn parse(text: &str, scale: Option<u8>) -> Option<Decimal> {
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return None;
        }
        let scale = scale.unwrap_or(frac.len().min(u8::MAX as usize) as u8);
        let kept = frac.len().min(scale as usize);
        let int = int.trim_start_matches('0');
        if int.len() + scale as usize > MAX_DIGITS as usize {
            return None;
        }
        let mut m: i128 = 0;
        for b in int.bytes().chain(frac[..kept].bytes()) {
            m = m * 10 + (b - b'0') as i128;
        }
        m = m.checked_mul(pow10((scale as usize - kept) as u32)?)?;
        // Round on the first dropped digit: half away from zero.
        if frac.len() > kept && frac.as_bytes()[kept] >= b'5' {
            m += 1;
        }
        if !fits(m) {
            return None;
        }
        Some(Decimal {
            mantissa: if negative { -m } else { m },
            scale,
        })
    }

    /// The same value at another scale, rounded half away from zero.
    pub fn rescale(self, scale: u8) -> Option<Decimal> {
        let m = match scale.cmp(&self.scale) {
            Ordering::Equal => self.mantissa,
            Ordering::Greater => self
                .mantissa
                .checked_mul(pow10((scale - self.scale) as u32)?)?,
            Ordering::Less => match pow10((self.scale - scale) as u32) {
                Some(p) => div_round(self.mantissa, p)?,
                // Dropping more than 38 digits leaves zero.
                None => 0,
            },
        };
        fits(m).then_some(Decimal { mantissa: m, scale })
    }

    /// Rounds to `digits` after the point; negative digits round to tens,
    /// hundreds, …; the scale becomes `max(digits, 0)`.
    pub fn round(self, digits: i64) -> Option<Decimal> {
        if digits >= 0 {
            // More digits than the scale pad with zeros (12.5 → 12.500), as
            // SQL does, while they fit in 38.
            if digits > self.scale as i64 {
                let wider = self.rescale(digits.min(MAX_DIGITS as i64) as u8);
                return Some(wider.unwrap_or(self));
            }
            return self.rescale(digits as u8);
        }
        // One rounding, of the exact value: 49.99 to hundreds is 0, not
        // 50 rounded again to 100.
        let shift = digits.unsigned_abs().min(MAX_DIGITS as u64 + 1) as u32;
        let m = match (pow10(self.scale as u32 + shift), pow10(shift)) {
            (Some(divisor), Some(p)) => div_round(self.mantissa, divisor)?.checked_mul(p)?,
            _ => 0,
        };
        Some(Decimal {
            mantissa: m,
            scale: 0,
        })
    }

    /// Whether it has at most `precision - scale` integer digits.
    pub fn fits_precision(self, precision: u8, scale: u8) -> bool {
        match self.rescale(scale) {
            Some(d) => match pow10(precision as u32) {
                Some(p) => d.mantissa.unsigned_abs() < p.unsigned_abs(),
                None => true,
            },
            None => false,
        }
    }

    fn aligned(self, other: Decimal) -> Option<(i128, i128, u8)> {
        let s = self.scale.max(other.scale);
        Some((self.rescale(s)?.mantissa, other.rescale(s)?.mantissa, s))
    }

    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(other)?;
        let m = a.checked_add(b)?;
        fits(m).then_some(Decimal { mantissa: m, scale })
    }

    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(other.negate())
    }

    pub fn negate(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    /// The exact product, rounded to `scale`.
    pub fn mul(self, other: Decimal, scale: u8) -> Option<Decimal> {
        let m = self.mantissa.checked_mul(other.mantissa)?;
        let s = self.scale as u32 + other.scale as u32;
        let exact = if s <= u8::MAX as u32 {
            Decimal {
                mantissa: m,
                scale: s as u8,
            }
        } else {
            return None;
        };
        if exact.scale > scale {
            // May be over 38 digits before rounding: round first.
            let p = pow10((exact.scale - scale) as u32)?;
            let m = div_round(exact.mantissa, p)?;
            return fits(m).then_some(Decimal { mantissa: m, scale });
        }
        exact.rescale(scale)
    }

    /// The quotient rounded to `scale`; `None` on division by zero too.
    pub fn div(self, other: Decimal, scale: u8) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        // q = a.m / 10^a.s ÷ b.m / 10^b.s, so q × 10^scale = a.m × 10^e ÷ b.m.
        let e = scale as i32 + other.scale as i32 - self.scale as i32;
        let (n, d) = if e >= 0 {
            (self.mantissa.checked_mul(pow10(e as u32)?)?, other.mantissa)
        } else {
            (
                self.mantissa,
                other.mantissa.checked_mul(pow10((-e) as u32)?)?,
            )
        };
        let m = div_round(n, d)?;
        fits(m).then_some(Decimal { mantissa: m, scale })
    }

    /// The remainder with the sign of the dividend (as SQL and `math.fmod`).
    pub fn checked_rem(self, other: Decimal) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        let (a, b, scale) = self.aligned(other)?;
        Some(Decimal {
            mantissa: a.checked_rem(b)?,
            scale,
        })
    }

    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// The integer part, if it fits an `i64`, after rounding half away
    /// from zero.
    pub fn to_i64_rounded(self) -> Option<i64> {
        i64::try_from(self.rescale(0)?.mantissa).ok()
    }

    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The float's shortest round-trip decimal form, rounded to `scale`.
    pub fn from_f64(x: f64, scale: u8) -> Option<Decimal> {
        if !x.is_finite() {
            return None;
        }
        // `Display` for f64 is the shortest round-trip text, never exponent form.
        Decimal::parse(&format!("{x}"), Some(scale))
    }

    /// Number of digits before the point (0 for |x| < 1).
    pub fn integer_digits(self) -> u32 {
        let whole = (self.mantissa / pow10(self.scale as u32).unwrap_or(i128::MAX)).unsigned_abs();
        if whole == 0 {
            0
        } else {
            whole.ilog10() + 1
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    /// Numeric order: 1.50 == 1.5.
    fn cmp(&self, other: &Self) -> Ordering {
        match self.aligned(*other) {
            Some((a, b, _)) => a.cmp(&b),
            // Aligning overflowed: compare integer parts, then fractions.
            None => {
                let split = |d: &Decimal| {
                    let p = pow10(d.scale as u32).unwrap_or(i128::MAX);
                    (d.mantissa / p, d.mantissa % p, d.scale)
                };
                let (ia, fa, sa) = split(self);
                let (ib, fb, sb) = split(other);
                ia.cmp(&ib).then_with(|| {
                    let s = sa.max(sb);
                    let up = |f: i128, from: u8| {
                        f.saturating_mul(pow10((s - from) as u32).unwrap_or(i128::MAX))
                    };
                    up(fa, sa).cmp(&up(fb, sb))
                })
            }
        }
    }
}

/// Plain notation with exactly `scale` digits after the point.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s, None).expect("valid decimal")
    }

    #[test]
    fn parse_and_print() {
        assert_eq!(d("12.50").to_string(), "12.50");
        assert_eq!(d("-0.5").to_string(), "-0.5");
        assert_eq!(d(".5").to_string(), "0.5");
        assert_eq!(d("7").to_string(), "7");
        assert_eq!(
            Decimal::parse("1.005", Some(2)).map(|x| x.to_string()),
            Some("1.01".into())
        );
        assert_eq!(
            Decimal::parse("-1.005", Some(2)).map(|x| x.to_string()),
            Some("-1.01".into())
        );
        assert_eq!(Decimal::parse("1e5", None), None);
        assert_eq!(Decimal::parse("", None), None);
        assert_eq!(Decimal::parse("-", None), None);
        assert_eq!(Decimal::parse(".", None), None);
        assert!(Decimal::parse(&"9".repeat(38), None).is_some());
        assert!(Decimal::parse(&"9".repeat(39), None).is_none());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(d("2.5").round(0).map(|x| x.to_string()), Some("3".into()));
        assert_eq!(d("-2.5").round(0).map(|x| x.to_string()), Some("-3".into()));
        assert_eq!(
            d("2.45").round(1).map(|x| x.to_string()),
            Some("2.5".into())
        );
        assert_eq!(
            d("1250").round(-2).map(|x| x.to_string()),
            Some("1300".into())
        );
        // Rounded once, from the exact value.
        assert_eq!(
            d("49.99").round(-2).map(|x| x.to_string()),
            Some("0".into())
        );
        assert_eq!(
            d("149.99").round(-2).map(|x| x.to_string()),
            Some("100".into())
        );
        assert_eq!(
            d("-150.00").round(-2).map(|x| x.to_string()),
            Some("-200".into())
        );
        assert_eq!(
            d("9.99").rescale(1).map(|x| x.to_string()),
            Some("10.0".into())
        );
    }

    #[test]
    fn arithmetic() {
        assert_eq!(
            d("1.10").checked_add(d("2.205")).map(|x| x.to_string()),
            Some("3.305".into())
        );
        assert_eq!(
            d("1").div(d("3"), 6).map(|x| x.to_string()),
            Some("0.333333".into())
        );
        assert_eq!(
            d("2").div(d("3"), 6).map(|x| x.to_string()),
            Some("0.666667".into())
        );
        assert_eq!(
            d("-2").div(d("3"), 6).map(|x| x.to_string()),
            Some("-0.666667".into())
        );
        assert_eq!(d("1").div(d("0"), 6), None);
        assert_eq!(
            d("1.5").mul(d("1.5"), 2).map(|x| x.to_string()),
            Some("2.25".into())
        );
        assert_eq!(
            d("1.25").mul(d("1.1"), 2).map(|x| x.to_string()),
            Some("1.38".into())
        );
        assert_eq!(
            d("-7").checked_rem(d("3")).map(|x| x.to_string()),
            Some("-1".into())
        );
        assert!(d(&"9".repeat(38)).checked_add(d("1")).is_none());
    }

    #[test]
    fn order_ignores_trailing_zeros() {
        assert_eq!(d("1.50").cmp(&d("1.5")), Ordering::Equal);
        assert_eq!(d("-1").cmp(&d("0.5")), Ordering::Less);
        assert!(d("0.1").fits_precision(2, 1));
        assert!(!d("10.0").fits_precision(2, 1));
        assert!(!d("9.96").fits_precision(2, 1));
        assert_eq!(d("123.4").integer_digits(), 3);
    }

    #[test]
    fn floats_use_their_shortest_form() {
        assert_eq!(
            Decimal::from_f64(2.675, 2).map(|x| x.to_string()),
            Some("2.68".into())
        );
        assert_eq!(
            Decimal::from_f64(0.1 + 0.2, 2).map(|x| x.to_string()),
            Some("0.30".into())
        );
        assert_eq!(Decimal::from_f64(f64::NAN, 2), None);
    }
}
