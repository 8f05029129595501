//! Column and expression types, with nullability.
//!
//! Every IR expression has a [`Type`]. `Null` is the type of the literal
//! `null` (it fits anywhere); `Error` marks an expression that already has a
//! diagnostic, so no later rule reports it again.

use std::fmt;

/// A type and whether it admits NULL.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Type {
    pub kind: TypeKind,
    pub nullable: bool,
}

/// The types of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeKind {
    SmallInt,
    Int,
    BigInt,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Float,
    Bool,
    Text,
    Varchar(u32),
    Char(u32),
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Uuid,
    Json,
    Bytes,
    /// The literal `null`.
    Null,
    /// Already reported.
    Error,
}

/// Largest decimal precision every dialect stores exactly.
pub const MAX_DECIMAL_PRECISION: u32 = 38;

/// Type names as written in specs, for "did you mean".
pub const TYPE_NAMES: [&str; 17] = [
    "int",
    "bigint",
    "smallint",
    "decimal",
    "float",
    "bool",
    "text",
    "varchar",
    "char",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "uuid",
    "json",
    "bytes",
    "null",
];

/// Names other systems use, and what Cutover calls them.
pub const TYPE_ALIASES: [(&str, &str); 14] = [
    ("integer", "int"),
    ("int4", "int"),
    ("int8", "bigint"),
    ("int2", "smallint"),
    ("boolean", "bool"),
    ("numeric", "decimal"),
    ("double", "float"),
    ("real", "float"),
    ("string", "text"),
    ("datetime", "timestamp"),
    ("varchar2", "varchar"),
    ("character", "char"),
    ("blob", "bytes"),
    ("bytea", "bytes"),
];

impl Type {
    pub const fn new(kind: TypeKind, nullable: bool) -> Self {
        Type { kind, nullable }
    }
    pub const fn not_null(kind: TypeKind) -> Self {
        Type {
            kind,
            nullable: false,
        }
    }
    pub const fn nullable(kind: TypeKind) -> Self {
        Type {
            kind,
            nullable: true,
        }
    }
    pub const ERROR: Type = Type {
        kind: TypeKind::Error,
        nullable: true,
    };
    pub const NULL: Type = Type {
        kind: TypeKind::Null,
        nullable: true,
    };
    pub const BOOL: Type = Type {
        kind: TypeKind::Bool,
        nullable: false,
    };

    pub fn is_error(self) -> bool {
        self.kind == TypeKind::Error
    }

    pub fn with_nullable(self, nullable: bool) -> Self {
        Type { nullable, ..self }
    }
}

impl TypeKind {
    pub fn is_text(self) -> bool {
        matches!(
            self,
            TypeKind::Text | TypeKind::Varchar(_) | TypeKind::Char(_)
        )
    }

    pub fn is_integer(self) -> bool {
        matches!(self, TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt)
    }

    pub fn is_numeric(self) -> bool {
        self.is_integer() || matches!(self, TypeKind::Decimal { .. } | TypeKind::Float)
    }

    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            TypeKind::Date | TypeKind::Time | TypeKind::Timestamp | TypeKind::Timestamptz
        )
    }

    /// Maximum length in characters, for text types that have one.
    pub fn max_chars(self) -> Option<u32> {
        match self {
            TypeKind::Varchar(n) | TypeKind::Char(n) => Some(n),
            _ => None,
        }
    }

    /// Digits before the point an integer type needs, as a decimal.
    pub fn integer_digits(self) -> Option<u8> {
        match self {
            TypeKind::SmallInt => Some(5),
            TypeKind::Int => Some(10),
            TypeKind::BigInt => Some(19),
            _ => None,
        }
    }

    /// The type both operands of arithmetic or a comparison widen to, and of
    /// `case` branches or `coalesce` arguments; `None` if they do not mix.
    pub fn common(a: TypeKind, b: TypeKind) -> Option<TypeKind> {
        use TypeKind::*;
        Some(match (a, b) {
            (Error, _) | (_, Error) => Error,
            (Null, x) | (x, Null) => x,
            _ if a == b => a,
            (Varchar(m), Varchar(n)) => Varchar(m.max(n)),
            (Char(m), Char(n)) => Char(m.max(n)),
            (Varchar(m), Char(n)) | (Char(n), Varchar(m)) => Varchar(m.max(n)),
            _ if a.is_text() && b.is_text() => Text,
            (Float, x) | (x, Float) if x.is_numeric() => Float,
            (
                Decimal {
                    precision: p1,
                    scale: s1,
                },
                Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => {
                let scale = s1.max(s2);
                let int_digits = (p1 - s1).max(p2 - s2);
                Decimal {
                    precision: (int_digits as u32 + scale as u32).min(MAX_DECIMAL_PRECISION) as u8,
                    scale,
                }
            }
            (Decimal { precision, scale }, i) | (i, Decimal { precision, scale })
                if i.is_integer() =>
            {
                let int_digits = (precision - scale).max(i.integer_digits().unwrap_or(19));
                Decimal {
                    precision: (int_digits as u32 + scale as u32).min(MAX_DECIMAL_PRECISION) as u8,
                    scale,
                }
            }
            _ if a.is_integer() && b.is_integer() => {
                if a == BigInt || b == BigInt {
                    BigInt
                } else if a == Int || b == Int {
                    Int
                } else {
                    SmallInt
                }
            }
            (Timestamp, Timestamptz) | (Timestamptz, Timestamp) => return None,
            _ => return None,
        })
    }

    /// Whether `cast(x as to)` can succeed for some value of this type.
    pub fn can_cast_to(self, to: TypeKind) -> bool {
        use TypeKind::*;
        if self == to || matches!(self, Null | Error) || to == Error {
            return true;
        }
        match (self, to) {
            (f, t) if f.is_text() || t.is_text() => {
                !matches!((f, t), (Bytes, _) | (_, Bytes)) || f.is_text()
            }
            (f, t) if f.is_numeric() && t.is_numeric() => true,
            (Bool, t) | (t, Bool) if t.is_integer() => true,
            (Date, Timestamp | Timestamptz) | (Timestamp | Timestamptz, Date) => true,
            (Timestamp, Timestamptz) | (Timestamptz, Timestamp) => true,
            (Timestamp | Timestamptz, Time) => true,
            _ => false,
        }
    }
}

/// The exact result type of decimal `+`, `-` (one more integer digit for
/// the carry) or `*` (digits and scales add up), capped at 38 digits. The
/// evaluator computes these exactly (docs/functions.md, "Numbers").
pub fn decimal_arithmetic(multiply: bool, a: TypeKind, b: TypeKind) -> TypeKind {
    let parts = |k: TypeKind| match k {
        TypeKind::Decimal { precision, scale } => ((precision - scale) as u32, scale as u32),
        other => (other.integer_digits().unwrap_or(19) as u32, 0),
    };
    let ((i1, s1), (i2, s2)) = (parts(a), parts(b));
    let (int_digits, scale) = if multiply {
        (i1 + i2, s1 + s2)
    } else {
        (i1.max(i2) + 1, s1.max(s2))
    };
    let scale = scale.min(MAX_DECIMAL_PRECISION);
    TypeKind::Decimal {
        precision: (int_digits + scale).min(MAX_DECIMAL_PRECISION) as u8,
        scale: scale as u8,
    }
}

impl fmt::Display for TypeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TypeKind::*;
        match self {
            SmallInt => f.write_str("smallint"),
            Int => f.write_str("int"),
            BigInt => f.write_str("bigint"),
            Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            Float => f.write_str("float"),
            Bool => f.write_str("bool"),
            Text => f.write_str("text"),
            Varchar(n) => write!(f, "varchar({n})"),
            Char(n) => write!(f, "char({n})"),
            Date => f.write_str("date"),
            Time => f.write_str("time"),
            Timestamp => f.write_str("timestamp"),
            Timestamptz => f.write_str("timestamptz"),
            Uuid => f.write_str("uuid"),
            Json => f.write_str("json"),
            Bytes => f.write_str("bytes"),
            Null => f.write_str("null"),
            Error => f.write_str("{error}"),
        }
    }
}

/// `varchar(200) not null`, `int null`: how diagnostics show a type.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == TypeKind::Null {
            return f.write_str("null");
        }
        write!(
            f,
            "{}{}",
            self.kind,
            if self.nullable { " null" } else { " not null" }
        )
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.kind, if self.nullable { "?" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::TypeKind::*;
    use super::*;

    #[test]
    fn common_types_widen() {
        assert_eq!(TypeKind::common(Int, BigInt), Some(BigInt));
        assert_eq!(
            TypeKind::common(Varchar(10), Varchar(50)),
            Some(Varchar(50))
        );
        assert_eq!(TypeKind::common(Varchar(10), Text), Some(Text));
        assert_eq!(TypeKind::common(Null, Date), Some(Date));
        assert_eq!(
            TypeKind::common(
                Decimal {
                    precision: 10,
                    scale: 2
                },
                Decimal {
                    precision: 12,
                    scale: 4
                }
            ),
            Some(Decimal {
                precision: 12,
                scale: 4
            })
        );
        assert_eq!(
            TypeKind::common(
                Int,
                Decimal {
                    precision: 5,
                    scale: 2
                }
            ),
            Some(Decimal {
                precision: 12,
                scale: 2
            })
        );
        assert_eq!(TypeKind::common(Text, Int), None);
        assert_eq!(TypeKind::common(Date, Timestamp), None);
    }

    #[test]
    fn decimal_arithmetic_is_exact() {
        let d = |precision, scale| Decimal { precision, scale };
        assert_eq!(decimal_arithmetic(true, d(10, 2), d(10, 4)), d(20, 6));
        assert_eq!(decimal_arithmetic(false, d(10, 2), d(6, 4)), d(13, 4));
        assert_eq!(decimal_arithmetic(false, Int, d(5, 2)), d(13, 2));
        assert_eq!(decimal_arithmetic(true, d(38, 10), d(38, 10)), d(38, 20));
    }

    #[test]
    fn casts() {
        assert!(Text.can_cast_to(Int));
        assert!(Int.can_cast_to(Varchar(10)));
        assert!(Date.can_cast_to(Timestamp));
        assert!(!Bool.can_cast_to(Date));
        assert!(!Uuid.can_cast_to(Int));
        assert!(!Bytes.can_cast_to(Text));
        assert!(Text.can_cast_to(Bytes));
    }

    #[test]
    fn display() {
        assert_eq!(Type::nullable(Varchar(20)).to_string(), "varchar(20) null");
        assert_eq!(format!("{:?}", Type::not_null(Int)), "int");
    }
}
