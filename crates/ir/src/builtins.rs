//! The built-in functions: names, signatures and typing rules.
//!
//! Their meaning is specified in docs/functions.md; this table only says
//! which arguments each accepts and what type it returns. Unless a function
//! says otherwise, a NULL argument gives NULL (the result is nullable when
//! any argument is).

use crate::types::{Type, TypeKind};

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Trim,
    Ltrim,
    Rtrim,
    Squish,
    Upper,
    Lower,
    Title,
    Length,
    Substr,
    Lpad,
    Rpad,
    Truncate,
    Replace,
    SplitPart,
    Mask,
    Sha256,
    Coalesce,
    Nullif,
    Round,
    Abs,
    ParseDate,
    ParseTimestamp,
    ToUtc,
    UuidV5,
    Now,
    Count,
    Sum,
    Min,
    Max,
}

impl Builtin {
    /// Every built-in, in documentation order.
    pub const ALL: [Builtin; 29] = [
        Builtin::Trim,
        Builtin::Ltrim,
        Builtin::Rtrim,
        Builtin::Squish,
        Builtin::Upper,
        Builtin::Lower,
        Builtin::Title,
        Builtin::Length,
        Builtin::Substr,
        Builtin::Lpad,
        Builtin::Rpad,
        Builtin::Truncate,
        Builtin::Replace,
        Builtin::SplitPart,
        Builtin::Mask,
        Builtin::Sha256,
        Builtin::Coalesce,
        Builtin::Nullif,
        Builtin::Round,
        Builtin::Abs,
        Builtin::ParseDate,
        Builtin::ParseTimestamp,
        Builtin::ToUtc,
        Builtin::UuidV5,
        Builtin::Now,
        Builtin::Count,
        Builtin::Sum,
        Builtin::Min,
        Builtin::Max,
    ];

    pub fn name(self) -> &'static str {
        self.info().0
    }

    /// The signature shown in diagnostics, hover and docs.
    pub fn signature(self) -> &'static str {
        self.info().1
    }

    fn info(self) -> (&'static str, &'static str) {
        use Builtin::*;
        match self {
            Trim => ("trim", "trim(text) -> text"),
            Ltrim => ("ltrim", "ltrim(text) -> text"),
            Rtrim => ("rtrim", "rtrim(text) -> text"),
            Squish => ("squish", "squish(text) -> text"),
            Upper => ("upper", "upper(text) -> text"),
            Lower => ("lower", "lower(text) -> text"),
            Title => ("title", "title(text) -> text"),
            Length => ("length", "length(text) -> int"),
            Substr => ("substr", "substr(text, start: int, length: int) -> text"),
            Lpad => ("lpad", "lpad(text, length: int, fill: text) -> text"),
            Rpad => ("rpad", "rpad(text, length: int, fill: text) -> text"),
            Truncate => (
                "truncate",
                "truncate(text, length: int[, suffix: text]) -> varchar(length)",
            ),
            Replace => ("replace", "replace(text, from: text, to: text) -> text"),
            SplitPart => (
                "split_part",
                "split_part(text, delimiter: text, n: int) -> text",
            ),
            Mask => ("mask", "mask(text) -> text"),
            Sha256 => ("sha256", "sha256(text) -> varchar(64)"),
            Coalesce => (
                "coalesce",
                "coalesce(a, b, …) -> common type of the arguments",
            ),
            Nullif => ("nullif", "nullif(a, b) -> type of a, nullable"),
            Round => ("round", "round(number[, digits: int]) -> number"),
            Abs => ("abs", "abs(number) -> number"),
            ParseDate => ("parse_date", "parse_date(text, format: text) -> date"),
            ParseTimestamp => (
                "parse_timestamp",
                "parse_timestamp(text, format: text) -> timestamp",
            ),
            ToUtc => ("to_utc", "to_utc(timestamp, zone: text) -> timestamptz"),
            UuidV5 => ("uuid_v5", "uuid_v5(namespace: text, value, …) -> uuid"),
            Now => ("now", "now() -> timestamptz"),
            Count => ("count", "count([value]) -> bigint   (in `group by` maps)"),
            Sum => ("sum", "sum(number) -> number   (in `group by` maps)"),
            Min => ("min", "min(value) -> value   (in `group by` maps)"),
            Max => ("max", "max(value) -> value   (in `group by` maps)"),
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Aggregates are allowed only in maps with `group by`.
    pub fn is_aggregate(self) -> bool {
        matches!(
            self,
            Builtin::Count | Builtin::Sum | Builtin::Min | Builtin::Max
        )
    }

    /// Whether the same inputs always give the same output.
    pub fn is_deterministic(self) -> bool {
        self != Builtin::Now
    }

    /// Whether it can fail on a value (a parse error, a bad zone), so an
    /// assignment using it may need `else`.
    pub fn is_fallible(self) -> bool {
        matches!(
            self,
            Builtin::ParseDate | Builtin::ParseTimestamp | Builtin::ToUtc
        )
    }
}

/// What the typing rule knows about one argument.
pub struct Arg {
    pub ty: Type,
    /// The value of an integer literal argument (lengths, digits).
    pub int_literal: Option<i64>,
}

/// Why a call does not type.
#[derive(Debug, PartialEq, Eq)]
pub enum CallError {
    Arity {
        expected: &'static str,
    },
    Argument {
        index: usize,
        expected: &'static str,
    },
    /// Arguments that must share a type do not.
    Mixed {
        index: usize,
    },
}

fn any_nullable(args: &[Arg]) -> bool {
    args.iter().any(|a| a.ty.nullable)
}

fn text_arg(args: &[Arg], i: usize) -> Result<(), CallError> {
    match args.get(i) {
        Some(a) if a.ty.kind.is_text() || matches!(a.ty.kind, TypeKind::Null | TypeKind::Error) => {
            Ok(())
        }
        _ => Err(CallError::Argument {
            index: i,
            expected: "text",
        }),
    }
}

fn int_arg(args: &[Arg], i: usize) -> Result<(), CallError> {
    match args.get(i) {
        Some(a)
            if a.ty.kind.is_integer() || matches!(a.ty.kind, TypeKind::Null | TypeKind::Error) =>
        {
            Ok(())
        }
        _ => Err(CallError::Argument {
            index: i,
            expected: "an integer",
        }),
    }
}

fn arity(args: &[Arg], min: usize, max: usize, expected: &'static str) -> Result<(), CallError> {
    if (min..=max).contains(&args.len()) {
        Ok(())
    } else {
        Err(CallError::Arity { expected })
    }
}

/// Text results keep the argument's length bound where the function cannot
/// lengthen the text (trim, squish, substr; case mapping is 1:1 per char).
fn same_text(args: &[Arg]) -> TypeKind {
    match args.first().map(|a| a.ty.kind) {
        Some(TypeKind::Char(n)) => TypeKind::Varchar(n),
        Some(k @ TypeKind::Varchar(_)) => k,
        _ => TypeKind::Text,
    }
}

fn length_literal(args: &[Arg], i: usize) -> TypeKind {
    match args.get(i).and_then(|a| a.int_literal) {
        Some(n) if n > 0 && n <= u32::MAX as i64 => TypeKind::Varchar(n as u32),
        _ => TypeKind::Text,
    }
}

/// The result type of a call, or why it does not type.
pub fn type_call(b: Builtin, args: &[Arg]) -> Result<Type, CallError> {
    use Builtin::*;
    let nullable = any_nullable(args);
    let kind = match b {
        Trim | Ltrim | Rtrim | Squish | Upper | Lower | Title => {
            arity(args, 1, 1, "1 argument")?;
            text_arg(args, 0)?;
            same_text(args)
        }
        Mask => {
            arity(args, 1, 1, "1 argument")?;
            text_arg(args, 0)?;
            same_text(args)
        }
        Sha256 => {
            arity(args, 1, 1, "1 argument")?;
            text_arg(args, 0)?;
            TypeKind::Varchar(64)
        }
        Length => {
            arity(args, 1, 1, "1 argument")?;
            text_arg(args, 0)?;
            TypeKind::Int
        }
        Substr => {
            arity(args, 3, 3, "3 arguments")?;
            text_arg(args, 0)?;
            int_arg(args, 1)?;
            int_arg(args, 2)?;
            same_text(args)
        }
        Lpad | Rpad => {
            arity(args, 3, 3, "3 arguments")?;
            text_arg(args, 0)?;
            int_arg(args, 1)?;
            text_arg(args, 2)?;
            length_literal(args, 1)
        }
        Truncate => {
            arity(args, 2, 3, "2 or 3 arguments")?;
            text_arg(args, 0)?;
            int_arg(args, 1)?;
            if args.len() == 3 {
                text_arg(args, 2)?;
            }
            length_literal(args, 1)
        }
        Replace => {
            arity(args, 3, 3, "3 arguments")?;
            (0..3).try_for_each(|i| text_arg(args, i))?;
            TypeKind::Text
        }
        SplitPart => {
            arity(args, 3, 3, "3 arguments")?;
            text_arg(args, 0)?;
            text_arg(args, 1)?;
            int_arg(args, 2)?;
            same_text(args)
        }
        Coalesce => {
            if args.len() < 2 {
                return Err(CallError::Arity {
                    expected: "at least 2 arguments",
                });
            }
            let mut kind = TypeKind::Null;
            for (i, a) in args.iter().enumerate() {
                kind = TypeKind::common(kind, a.ty.kind).ok_or(CallError::Mixed { index: i })?;
            }
            // NULL only if every argument can be NULL.
            return Ok(Type::new(kind, args.iter().all(|a| a.ty.nullable)));
        }
        Nullif => {
            arity(args, 2, 2, "2 arguments")?;
            TypeKind::common(args[0].ty.kind, args[1].ty.kind)
                .ok_or(CallError::Mixed { index: 1 })?;
            return Ok(Type::nullable(args[0].ty.kind));
        }
        Round => {
            arity(args, 1, 2, "1 or 2 arguments")?;
            let k = args[0].ty.kind;
            if !(k.is_numeric() || matches!(k, TypeKind::Null | TypeKind::Error)) {
                return Err(CallError::Argument {
                    index: 0,
                    expected: "a number",
                });
            }
            if args.len() == 2 {
                int_arg(args, 1)?;
            }
            let digits = if args.len() == 2 {
                args[1].int_literal
            } else {
                Some(0)
            };
            match (k, digits) {
                (TypeKind::Decimal { precision, scale }, Some(d))
                    if (0..=scale as i64).contains(&d) =>
                {
                    // Rounding can carry into one more integer digit.
                    let int_digits = (precision - scale) as u32 + 1;
                    TypeKind::Decimal {
                        precision: (int_digits + d as u32).min(crate::types::MAX_DECIMAL_PRECISION)
                            as u8,
                        scale: d as u8,
                    }
                }
                _ => k,
            }
        }
        Abs => {
            arity(args, 1, 1, "1 argument")?;
            let k = args[0].ty.kind;
            if !(k.is_numeric() || matches!(k, TypeKind::Null | TypeKind::Error)) {
                return Err(CallError::Argument {
                    index: 0,
                    expected: "a number",
                });
            }
            k
        }
        ParseDate | ParseTimestamp => {
            arity(args, 2, 2, "2 arguments")?;
            text_arg(args, 0)?;
            text_arg(args, 1)?;
            if b == ParseDate {
                TypeKind::Date
            } else {
                TypeKind::Timestamp
            }
        }
        ToUtc => {
            arity(args, 2, 2, "2 arguments")?;
            match args[0].ty.kind {
                TypeKind::Timestamp | TypeKind::Null | TypeKind::Error => {}
                _ => {
                    return Err(CallError::Argument {
                        index: 0,
                        expected: "a timestamp",
                    })
                }
            }
            text_arg(args, 1)?;
            TypeKind::Timestamptz
        }
        UuidV5 => {
            if args.len() < 2 {
                return Err(CallError::Arity {
                    expected: "a namespace and at least 1 value",
                });
            }
            text_arg(args, 0)?;
            TypeKind::Uuid
        }
        Now => {
            arity(args, 0, 0, "no arguments")?;
            return Ok(Type::not_null(TypeKind::Timestamptz));
        }
        Count => {
            arity(args, 0, 1, "0 or 1 argument")?;
            return Ok(Type::not_null(TypeKind::BigInt));
        }
        Sum => {
            arity(args, 1, 1, "1 argument")?;
            match args[0].ty.kind {
                k if k.is_integer() => TypeKind::BigInt,
                TypeKind::Decimal { scale, .. } => TypeKind::Decimal {
                    precision: crate::types::MAX_DECIMAL_PRECISION as u8,
                    scale,
                },
                k @ (TypeKind::Float | TypeKind::Null | TypeKind::Error) => k,
                _ => {
                    return Err(CallError::Argument {
                        index: 0,
                        expected: "a number",
                    })
                }
            }
        }
        Min | Max => {
            arity(args, 1, 1, "1 argument")?;
            args[0].ty.kind
        }
    };
    Ok(Type::new(kind, nullable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use TypeKind::*;

    fn arg(kind: TypeKind, nullable: bool) -> Arg {
        Arg {
            ty: Type::new(kind, nullable),
            int_literal: None,
        }
    }

    #[test]
    fn names_round_trip() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::from_name(b.name()), Some(b));
            assert!(b.signature().starts_with(b.name()));
        }
    }

    #[test]
    fn typing() {
        assert_eq!(
            type_call(Builtin::Trim, &[arg(Varchar(50), true)]),
            Ok(Type::nullable(Varchar(50)))
        );
        assert_eq!(
            type_call(Builtin::Trim, &[arg(Int, false)]),
            Err(CallError::Argument {
                index: 0,
                expected: "text"
            })
        );
        assert_eq!(
            type_call(Builtin::Trim, &[]),
            Err(CallError::Arity {
                expected: "1 argument"
            })
        );
        let n500 = Arg {
            ty: Type::not_null(Int),
            int_literal: Some(500),
        };
        assert_eq!(
            type_call(Builtin::Truncate, &[arg(Text, true), n500]),
            Ok(Type::nullable(Varchar(500)))
        );
        assert_eq!(
            type_call(
                Builtin::Coalesce,
                &[arg(Varchar(10), true), arg(Varchar(20), false)]
            ),
            Ok(Type::not_null(Varchar(20)))
        );
        assert_eq!(
            type_call(Builtin::Coalesce, &[arg(Text, true), arg(Int, false)]),
            Err(CallError::Mixed { index: 1 })
        );
        let two = Arg {
            ty: Type::not_null(Int),
            int_literal: Some(2),
        };
        assert_eq!(
            type_call(
                Builtin::Round,
                &[
                    arg(
                        Decimal {
                            precision: 12,
                            scale: 4
                        },
                        false
                    ),
                    two
                ]
            ),
            Ok(Type::not_null(Decimal {
                precision: 11,
                scale: 2
            }))
        );
    }
}
