"""Cutover's runtime for generated Python transforms.

This module is docs/functions.md in Python: every value, cast, operator and
built-in function behaves exactly as the reference evaluator (crates/eval)
does, with the same results and the same failure messages, byte for byte.
The differential test crates/backend-python/tests/runtime.rs runs thousands
of cases through both and compares them.

Values:

    NULL                      None
    text, varchar(n), char(n) str
    smallint, int, bigint     int
    bool                      bool
    decimal(p, s)             decimal.Decimal (its exponent is the scale)
    float                     float (always finite)
    date                      datetime.date
    time                      datetime.time
    timestamp                 datetime.datetime, naive
    timestamptz               datetime.datetime in UTC (tzinfo=timezone.utc)
    uuid                      uuid.UUID
    json                      Json (so a JSON null is not NULL)
    bytes                     bytes

Types are passed as Cutover spells them: "int", "decimal(12,2)" (or
"decimal(12, 2)"), "varchar(20)", "timestamptz"; `store` also takes
"int not null". A failure raises `Fail`, whose str() is the evaluator's
message.

Standard library only, Python 3.11 or later. Decimals never go through
decimal arithmetic (its context rounds and has a signed zero): they are
computed as integer mantissas and scales, exactly as crates/eval/src/decimal.rs
does with i128.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import decimal
import hashlib
import json
import math
import re
import unicodedata
import uuid
import zoneinfo
from functools import lru_cache
from operator import methodcaller
from typing import Any, Callable, NamedTuple

__all__ = [
    "Fail",
    "Json",
    "JsonNumber",
    "agg",
    "arith",
    "call",
    "cast",
    "compare",
    "like",
    "lookup_key",
    "lookup_miss",
    "lower",
    "negate",
    "parse_date",
    "parse_date_or_null",
    "parse_type",
    "store",
    "to_text",
    "upper",
    "uuid_v5",
]

UTC = _dt.timezone.utc


class Fail(Exception):
    """Evaluation failed on a row; str() is the evaluator's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# ─────────────────────────────── Types ───────────────────────────────

INTEGER_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_TEXT_TYPES = ("text", "varchar", "char")
_SIMPLE_TYPES = frozenset(
    [
        "smallint",
        "int",
        "bigint",
        "float",
        "bool",
        "text",
        "date",
        "time",
        "timestamp",
        "timestamptz",
        "uuid",
        "json",
        "bytes",
        "null",
    ]
)


class Type(NamedTuple):
    """A parsed type name."""

    name: str
    precision: int = 0  # decimal
    scale: int = 0  # decimal
    length: int | None = None  # varchar(n), char(n)
    nullable: bool = True  # only `store` looks at it

    def __str__(self) -> str:
        # As TypeKind's Display, which failure messages use: no space.
        if self.name == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.name in ("varchar", "char"):
            return f"{self.name}({self.length})"
        return self.name

    @property
    def is_text(self) -> bool:
        return self.name in _TEXT_TYPES

    @property
    def is_integer(self) -> bool:
        return self.name in INTEGER_RANGES

    @property
    def is_numeric(self) -> bool:
        return self.is_integer or self.name in ("decimal", "float")


_TYPE_RE = re.compile(
    r"\s*([a-z]+)\s*(?:\(\s*([0-9]+)\s*(?:,\s*([0-9]+)\s*)?\))?(?:\s+(not\s+null|null))?\s*"
)


@lru_cache(maxsize=None)
def parse_type(spelling: str) -> Type:
    """`"decimal(12, 2)"` → Type("decimal", 12, 2). A bad name is a bug in
    the caller, not a row failure: ValueError."""
    m = _TYPE_RE.fullmatch(spelling)
    if not m:
        raise ValueError(f"not a Cutover type: {spelling!r}")
    name, first, second, null = m.groups()
    nullable = null is None or null == "null"
    if name == "decimal" and first is not None and second is not None:
        return Type("decimal", int(first), int(second), nullable=nullable)
    if name in ("varchar", "char") and first is not None and second is None:
        return Type(name, length=int(first), nullable=nullable)
    if name in _SIMPLE_TYPES and first is None:
        return Type(name, nullable=nullable)
    raise ValueError(f"not a Cutover type: {spelling!r}")


def _kind(v: Any) -> str:
    """The Cutover type family of a runtime value."""
    k = _KINDS.get(type(v))
    if k is not None:
        return k
    return _kind_of(v)


def _kind_of(v: Any) -> str:
    # Subclasses, datetimes (their kind depends on the zone) and Json.
    if v is None:
        return "null"
    if isinstance(v, bool):  # before int: bool is an int in Python
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, decimal.Decimal):
        return "decimal"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "text"
    if isinstance(v, _dt.datetime):  # before date: datetime is a date
        return "timestamp" if v.tzinfo is None else "timestamptz"
    if isinstance(v, _dt.date):
        return "date"
    if isinstance(v, _dt.time):
        return "time"
    if isinstance(v, uuid.UUID):
        return "uuid"
    if isinstance(v, Json):
        return "json"
    if isinstance(v, (bytes, bytearray)):
        return "bytes"
    raise TypeError(f"not a Cutover value: {v!r}")


# The kind of a value by its exact type, where the type says it.
_KINDS: dict[type, str] = {
    type(None): "null",
    bool: "bool",
    int: "int",
    decimal.Decimal: "decimal",
    float: "float",
    str: "text",
    _dt.date: "date",
    _dt.time: "time",
    uuid.UUID: "uuid",
    bytes: "bytes",
    bytearray: "bytes",
}


def _utc(v: _dt.datetime) -> _dt.datetime:
    """A timestamptz as its naive UTC date and time."""
    if v.utcoffset() == _dt.timedelta(0):
        return v.replace(tzinfo=None)
    return v.astimezone(UTC).replace(tzinfo=None)


def _check_int(i: int, t: Type) -> int:
    lo, hi = INTEGER_RANGES.get(t.name, INTEGER_RANGES["bigint"])
    if lo <= i <= hi:
        return i
    raise Fail(f"{i} is out of range for {t}")


# ─────────────────── Decimals: (mantissa, scale) pairs ───────────────────
#
# A port of crates/eval/src/decimal.rs. The evaluator holds the mantissa in
# an i128 and refuses results over 38 digits; where it overflows an i128 on
# the way (a product of two long mantissas), so does this.

MAX_DIGITS = 38
_LIMIT = 10**MAX_DIGITS
_I128_MIN, _I128_MAX = -(2**127), 2**127 - 1
_I64_MIN, _I64_MAX = INTEGER_RANGES["bigint"]

Dec = tuple[int, int]  # (mantissa, scale): mantissa × 10^-scale


def _i128(x: int) -> int | None:
    return x if _I128_MIN <= x <= _I128_MAX else None


def _pow10(n: int) -> int | None:
    # 10^38 is the largest power of ten an i128 holds.
    return 10**n if 0 <= n <= MAX_DIGITS else None


def _fits(m: int) -> bool:
    return abs(m) < _LIMIT


def _tdiv(n: int, d: int) -> tuple[int, int]:
    """Quotient and remainder truncated toward zero, as Rust's `/` and `%`
    (Python's `//` and `%` floor instead)."""
    q = abs(n) // abs(d)
    if (n < 0) != (d < 0):
        q = -q
    return q, n - q * d


def _div_round(n: int, d: int) -> int | None:
    """n / d rounded half away from zero."""
    q, r = _tdiv(n, d)
    if _i128(q) is None:
        return None
    if abs(r) >= abs(d) - abs(r):
        q += -1 if (n < 0) != (d < 0) else 1
    return _i128(q)


_DIGITS_RE = re.compile(r"[0-9]*")  # ASCII only: Python's \d and int() take any script


def _digits(s: str) -> bool:
    """Zero or more ASCII digits."""
    return _DIGITS_RE.fullmatch(s) is not None


def _dec_parse(text: str, scale: int | None) -> Dec | None:
    """`[+-]digits[.digits]`, no exponent; rounded half away from zero to
    `scale`, or keeping the digits written when it is None."""
    negative = text.startswith("-")
    body = text[1:] if text.startswith(("-", "+")) else text
    int_part, _, frac = body.partition(".")
    if (not int_part and not frac) or not _digits(int_part) or not _digits(frac):
        return None
    if scale is None:
        scale = min(len(frac), 255)
    kept = min(len(frac), scale)
    int_part = int_part.lstrip("0")
    if len(int_part) + scale > MAX_DIGITS:
        return None
    m = int(int_part + frac[:kept] or "0") * 10 ** (scale - kept)
    if len(frac) > kept and frac[kept] >= "5":
        m += 1
    if not _fits(m):
        return None
    return (-m if negative else m, scale)


def _dec_rescale(d: Dec, scale: int) -> Dec | None:
    m, s = d
    if scale > s:
        p = _pow10(scale - s)
        if p is None or _i128(m * p) is None:
            return None
        m *= p
    elif scale < s:
        p = _pow10(s - scale)
        # Dropping more than 38 digits leaves zero.
        m2 = _div_round(m, p) if p is not None else 0
        if m2 is None:
            return None
        m = m2
    return (m, scale) if _fits(m) else None


def _dec_round(d: Dec, digits: int) -> Dec | None:
    m, s = d
    if digits >= 0:
        if digits > s:
            # Pads with zeros (12.5 → 12.500) while that fits in 38 digits.
            wider = _dec_rescale(d, min(digits, MAX_DIGITS))
            return wider if wider is not None else d
        return _dec_rescale(d, digits)
    # One rounding of the exact value: 49.99 to hundreds is 0.
    shift = min(-digits, MAX_DIGITS + 1)
    divisor, p = _pow10(s + shift), _pow10(shift)
    if divisor is None or p is None:
        return (0, 0)
    q = _div_round(m, divisor)
    if q is None or _i128(q * p) is None:
        return None
    return (q * p, 0)


def _dec_fits_precision(d: Dec, precision: int, scale: int) -> bool:
    r = _dec_rescale(d, scale)
    if r is None:
        return False
    p = _pow10(precision)
    return p is None or abs(r[0]) < p


def _dec_aligned(a: Dec, b: Dec) -> tuple[int, int, int] | None:
    s = max(a[1], b[1])
    x, y = _dec_rescale(a, s), _dec_rescale(b, s)
    if x is None or y is None:
        return None
    return x[0], y[0], s


def _dec_add(a: Dec, b: Dec) -> Dec | None:
    al = _dec_aligned(a, b)
    if al is None:
        return None
    m = al[0] + al[1]
    return (m, al[2]) if _i128(m) is not None and _fits(m) else None


def _dec_mul(a: Dec, b: Dec, scale: int) -> Dec | None:
    """The exact product, rounded to `scale`."""
    m = _i128(a[0] * b[0])
    s = a[1] + b[1]
    if m is None or s > 255:
        return None
    if s > scale:
        p = _pow10(s - scale)
        if p is None:
            return None
        r = _div_round(m, p)
        return (r, scale) if r is not None and _fits(r) else None
    return _dec_rescale((m, s), scale)


def _dec_div(a: Dec, b: Dec, scale: int) -> Dec | None:
    """The quotient rounded to `scale`; None on division by zero too."""
    if b[0] == 0:
        return None
    e = scale + b[1] - a[1]
    p = _pow10(abs(e))
    if p is None:
        return None
    n, d = (_i128(a[0] * p), b[0]) if e >= 0 else (a[0], _i128(b[0] * p))
    if n is None or d is None:
        return None
    m = _div_round(n, d)
    return (m, scale) if m is not None and _fits(m) else None


def _dec_rem(a: Dec, b: Dec) -> Dec | None:
    """The remainder with the sign of the dividend."""
    if b[0] == 0:
        return None
    al = _dec_aligned(a, b)
    if al is None:
        return None
    return (_tdiv(al[0], al[1])[1], al[2])


def _dec_cmp(a: Dec, b: Dec) -> int:
    """-1, 0, 1 by value: 1.50 == 1.5."""
    s = max(a[1], b[1])
    x, y = a[0] * 10 ** (s - a[1]), b[0] * 10 ** (s - b[1])
    return (x > y) - (x < y)


def _dec_text(d: Dec) -> str:
    """Plain notation with exactly `scale` fraction digits."""
    m, s = d
    digits = str(abs(m))
    sign = "-" if m < 0 else ""
    if s == 0:
        return sign + digits
    digits = digits.rjust(s + 1, "0")
    return f"{sign}{digits[:-s]}.{digits[-s:]}"


def _dec_to_i64(d: Dec) -> int | None:
    """Rounded half away from zero to an integer, if it fits an i64."""
    r = _dec_rescale(d, 0)
    return r[0] if r is not None and _I64_MIN <= r[0] <= _I64_MAX else None


def _dec_from_float(x: float, scale: int) -> Dec | None:
    """The float's shortest round-trip text, rounded to `scale`."""
    if not math.isfinite(x):
        return None
    return _dec_parse(_float_plain(x), scale)


def _dec(v: decimal.Decimal) -> Dec:
    """A decimal.Decimal as (mantissa, scale)."""
    sign, digits, exponent = v.as_tuple()
    if not isinstance(exponent, int):
        raise TypeError(f"not a Cutover decimal: {v!r}")
    m = int("".join(map(str, digits)) or "0")
    if sign:
        m = -m
    if exponent > 0:  # Decimal("1E+3"): Cutover scales are never negative
        return (m * 10**exponent, 0)
    return (m, -exponent)


def _py_dec(d: Dec) -> decimal.Decimal:
    """(mantissa, scale) as a decimal.Decimal with that exponent (never -0)."""
    return decimal.Decimal(f"{d[0]}e-{d[1]}")


# ─────────────────────────────── Floats ───────────────────────────────


def _shortest(x: float) -> tuple[str, int]:
    """The shortest round-trip digits of a nonzero |x| without trailing
    zeros, and the exponent of the first digit, as Rust prints them."""
    _, digits, exponent = decimal.Decimal(repr(abs(x))).as_tuple()
    assert isinstance(exponent, int)
    m = int("".join(map(str, digits)))
    # When |x| lies exactly halfway between two shortest candidates, repr
    # takes the even one and Rust the larger (1551630000000000.25 prints
    # as ...0.2 in Python, ...0.3 in Rust): take the larger too.
    n, d = abs(x).as_integer_ratio()
    if exponent >= 0:
        tie = 2 * n == (2 * m + 1) * 10**exponent * d
    else:
        tie = 2 * n * 10**-exponent == (2 * m + 1) * d
    if tie:
        m += 1
    text = str(m).rstrip("0")
    exponent += len(str(m)) - len(text)
    return text, exponent + len(text) - 1


def _plain(digits: str, exp: int) -> str:
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    if len(digits) <= exp + 1:
        return digits + "0" * (exp + 1 - len(digits))
    return f"{digits[: exp + 1]}.{digits[exp + 1 :]}"


def _float_plain(x: float) -> str:
    """Rust's `{}` for f64: shortest digits, never an exponent."""
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    digits, exp = _shortest(x)
    return ("-" if x < 0 else "") + _plain(digits, exp)


def _float_text(x: float) -> str:
    """A float's text form: exponent form below 1e-4 and from 1e15, as
    PostgreSQL 12+ prints it (`1e+15`, `1e-05`, `-1.5e-07`)."""
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    digits, exp = _shortest(x)
    sign = "-" if x < 0 else ""
    if -4 <= exp < 15:
        return sign + _plain(digits, exp)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _round_half_away(x: float) -> int:
    """f64::round: half away from zero (Python's round() is half-even)."""
    a = abs(x)
    n = math.floor(a)
    if a - n >= 0.5:  # exact: a float minus its floor loses nothing
        n += 1
    return -n if x < 0 else n


def _as_float(v: Any) -> float:
    if isinstance(v, decimal.Decimal):
        return float(_dec_text(_dec(v)))
    return float(v)


# ─────────────────────────────── JSON ───────────────────────────────


class JsonNumber(str):
    """A JSON number as written (`1.10`, `-0`, `12345678901234567890123`),
    exponent spelled `e`, sign, digits: never rounded through a float."""

    __slots__ = ()


class Json:
    """A JSON document: `value` is the parsed document (numbers as
    JsonNumber), `text` its canonical text. `Json(None)` is a JSON null, not
    NULL. Equal and hashed by the text, which `compare` orders by too."""

    __slots__ = ("value", "text")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.text = _json_text(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Json) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Json({self.text})"


_KINDS[Json] = "json"


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_JSON_ESCAPE_RE = re.compile(r'[\x00-\x1f"\\]')


def _json_quote(s: str) -> str:
    return (
        '"'
        + _JSON_ESCAPE_RE.sub(
            lambda m: _JSON_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), s
        )
        + '"'
    )


def _json_text(v: Any) -> str:
    """Compact, keys in code-point order, numbers as written (serde_json's
    output with arbitrary_precision)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, JsonNumber):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _json_quote(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_json_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{"
            + ",".join(f"{_json_quote(k)}:{_json_text(v[k])}" for k in sorted(v))
            + "}"
        )
    raise TypeError(f"not a JSON value: {v!r} (cast its text to json instead)")


def _json_number(text: str) -> JsonNumber:
    # serde_json keeps the digits and writes the exponent as e, sign, digits.
    m = re.fullmatch(r"([^eE]*)[eE]([+-]?)(.*)", text)
    if m:
        text = f"{m.group(1)}e{m.group(2) or '+'}{m.group(3)}"
    return JsonNumber(text)


def _json_refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# serde_json refuses documents nested 128 deep; so must we.
_JSON_MAX_DEPTH = 127


def _json_parse(text: str) -> Json | None:
    """RFC 8259, as serde_json reads it; None when it is not JSON or holds
    U+0000 (PostgreSQL cannot store it)."""
    try:
        value = json.loads(
            text,
            parse_int=_json_number,
            parse_float=_json_number,
            parse_constant=_json_refuse,  # NaN, Infinity
        )
    except (ValueError, RecursionError):
        return None
    # Python accepts lone surrogates (`"\ud800"`) and any depth; serde_json
    # does not. Walk without recursion: the document may be deep.
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, str):
            if "\0" in v or re.search("[\ud800-\udfff]", v):
                return None
        elif isinstance(v, (list, dict)):
            if depth > _JSON_MAX_DEPTH:
                return None
            items = list(v.values()) + list(v.keys()) if isinstance(v, dict) else v
            stack.extend((x, depth + 1) for x in items)
    return Json(value)


# ────────────────────────── Text and messages ──────────────────────────

WHITESPACE = " \t\n\r\x0b\x0c"  # exactly these six, never Unicode's
_SPACE_RUN = re.compile("[ \t\n\r\x0b\x0c]+")


def _trim(s: str) -> str:
    return s.strip(WHITESPACE)


# What _quote escapes: `"`, `\\` and the control characters (Cc).
_QUOTE_ESCAPES = re.compile(r'["\\\x00-\x1f\x7f-\x9f]')


def _quote(s: str) -> str:
    """Text as a spec string in a message: `"`, `\\`, line feed, tab and
    carriage return escaped, other control characters (Cc) as \\u{hex}."""
    if _QUOTE_ESCAPES.search(s) is None:
        return '"' + s + '"'
    out = []
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif o < 0x20 or 0x7F <= o <= 0x9F:
            out.append(f"\\u{{{o:x}}}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _fraction(micros: int) -> str:
    return f".{micros:06d}".rstrip("0") if micros else ""


def _date_text(d: _dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _time_text(t: _dt.time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}{_fraction(t.microsecond)}"


def _timestamp_text(t: _dt.datetime) -> str:
    return f"{_date_text(t)} {_time_text(t.time())}"


def to_text(v: Any) -> str | None:
    """What `cast(v as text)` gives; None for NULL and for bytes."""
    if type(v) is str:
        return v
    if type(v) is int:
        return str(v)
    k = _kind(v)
    if k in ("null", "bytes"):
        return None
    if k == "bool":
        return "true" if v else "false"
    if k == "int":
        return str(v)
    if k == "decimal":
        return _dec_text(_dec(v))
    if k == "float":
        return _float_text(v)
    if k == "text":
        return v
    if k == "date":
        return _date_text(v)
    if k == "time":
        return _time_text(v)
    if k == "timestamp":
        return _timestamp_text(v)
    if k == "timestamptz":
        return _timestamp_text(_utc(v)) + "+00"
    if k == "uuid":
        return str(v)
    return v.text  # json


def _display(v: Any) -> str:
    """A value as a spec constant, as messages show it (`Value::display`)."""
    k = _kind(v)
    if k == "null":
        return "null"
    if k in ("bool", "int", "decimal"):
        return to_text(v) or ""
    if k == "float":
        return _float_plain(v)
    if k == "timestamptz":
        u = _utc(v)
        return f'"{_date_text(u)}T{_time_text(u.time())}Z"'
    if k == "bytes":
        return f'"\\x{bytes(v).hex()}"'
    return _quote(to_text(v) or "")


# ─────────────────────────── Text into values ───────────────────────────


def _parse_int(s: str) -> int | None:
    body = s[1:] if s.startswith(("-", "+")) else s
    if not body or not _digits(body):
        return None
    if len(body.lstrip("0")) > 19:  # past any i64, and past int()'s digit limit
        return None
    i = int(s)
    return i if _I64_MIN <= i <= _I64_MAX else None


def _parse_float(s: str) -> float | None:
    """`[+-]digits[.digits][(e|E)[+-]digits]`; no NaN or infinity."""
    body = s[1:] if s.startswith(("-", "+")) else s
    mantissa, e, exponent = _split_exponent(body)
    int_part, _, frac = mantissa.partition(".")
    if (not int_part and not frac) or not _digits(int_part) or not _digits(frac):
        return None
    if e:
        digits = exponent[1:] if exponent.startswith(("-", "+")) else exponent
        if not digits or not _digits(digits):
            return None
    x = float(s)
    return x if math.isfinite(x) else None


def _split_exponent(body: str) -> tuple[str, str, str]:
    for i, c in enumerate(body):
        if c in "eE":
            return body[:i], c, body[i + 1 :]
    return body, "", ""


_TRUE_WORDS = ("true", "t", "yes", "y", "on", "1")
_FALSE_WORDS = ("false", "f", "no", "n", "off", "0")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _parse_bool(s: str) -> bool | None:
    word = s.translate(_ASCII_LOWER)  # ASCII case only
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


def _two(s: str) -> int | None:
    return int(s) if len(s) == 2 and _digits(s) else None


def _parse_date(s: str) -> _dt.date | None:
    """`YYYY-MM-DD`, exactly; years 1–9999."""
    if len(s) != 10 or not s.isascii() or s[4] != "-" or s[7] != "-":
        return None
    y, m, d = s[0:4], s[5:7], s[8:10]
    if not (_digits(y) and _digits(m) and _digits(d)) or int(y) < 1:
        return None
    try:
        return _dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def _parse_time(s: str) -> _dt.time | None:
    """`HH:MM[:SS[.ffffff]]`, 24-hour."""
    if not s.isascii():
        return None
    parts = s.split(":")
    if len(parts) not in (2, 3):
        return None
    h, m = _two(parts[0]), _two(parts[1])
    sec = parts[2] if len(parts) == 3 else "00"
    whole, dot, frac = sec.partition(".")
    sc = _two(whole)
    if h is None or m is None or sc is None:
        return None
    if dot and not (frac and _digits(frac) and len(frac) <= 6):
        return None
    if h > 23 or m > 59 or sc > 59:
        return None
    return _dt.time(h, m, sc, int(frac.ljust(6, "0")) if frac else 0)


# `YYYY-MM-DD HH:MM:SS`, what databases give: read at once.
_PLAIN_TIMESTAMP = re.compile(
    "([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})"
)


def _parse_timestamp(s: str) -> _dt.datetime | None:
    """A date, or a date, a space or `T`, and a time."""
    plain = _PLAIN_TIMESTAMP.fullmatch(s)
    if plain is not None:
        y, mo, d, h, mi, sc = map(int, plain.groups())
        if y < 1 or h > 23 or mi > 59 or sc > 59:
            return None
        try:
            return _dt.datetime(y, mo, d, h, mi, sc)
        except ValueError:  # no such day
            return None
    if not s.isascii():
        return None
    if len(s) == 10:
        d = _parse_date(s)
        return _dt.datetime(d.year, d.month, d.day) if d else None
    if len(s) < 11 or s[10] not in " T":
        return None
    d, t = _parse_date(s[:10]), _parse_time(s[11:])
    return _dt.datetime.combine(d, t) if d and t else None


def _parse_timestamptz(s: str) -> _dt.datetime | None:
    """A timestamp and an optional offset (`Z`, `±HH`, `±HH:MM` up to 15:00);
    no offset means UTC. Gives the naive UTC time, years 1–9999."""
    if not s.isascii():
        return None
    if s.endswith(("Z", "z")):
        return _parse_timestamp(s[:-1])
    # An offset starts at the last sign after the date part.
    tail = s[11:]
    i = max(tail.rfind("+"), tail.rfind("-"))
    if i < 0:
        return _parse_timestamp(s)
    i += 11
    ts, off = s[:i], s[i:]
    sign = -1 if off.startswith("-") else 1
    oh, colon, om = off[1:].partition(":")
    if not colon:
        om = "00"
    if len(oh) != 2 or len(om) != 2 or not _digits(oh) or not _digits(om) or om > "59":
        return None
    minutes = int(oh) * 60 + int(om)
    if minutes > 15 * 60:
        return None
    local = _parse_timestamp(ts)
    if local is None:
        return None
    try:
        return local - _dt.timedelta(minutes=sign * minutes)
    except OverflowError:  # outside years 1–9999
        return None


def _parse_uuid(s: str) -> uuid.UUID | None:
    """8-4-4-4-12 hex digits, either case; nothing else (no braces, urn:)."""
    if len(s) != 36 or not s.isascii():
        return None
    for i, c in enumerate(s):
        if (c != "-") if i in (8, 13, 18, 23) else (c not in "0123456789abcdefABCDEF"):
            return None
    return uuid.UUID(s)


def _text_to(s: str, t: Type) -> Any:
    """Text into a non-text type: trimmed of the six ASCII whitespace
    characters, then in exactly the type's text form."""
    x = _trim(s)
    n = t.name
    if t.is_integer:
        i = _parse_int(x)
        if i is None:
            raise _not_valid(s, t)
        return _check_int(i, t)
    if n == "decimal":
        d = _dec_parse(x, t.scale)
        if d is None:
            raise _not_valid(s, t)
        if not _dec_fits_precision(d, t.precision, t.scale):
            raise Fail(f"{_quote(s)} does not fit {t}")
        return _py_dec(d)
    if n == "bytes":  # the untrimmed text's UTF-8
        return s.encode("utf-8")
    if n == "json":
        j = _json_parse(x)
        if j is None:
            raise Fail(f"{_quote(s)} is not valid JSON")
        return j
    v = _TEXT_PARSERS[n](x)
    if v is None:
        raise _not_valid(s, t)
    if n == "timestamptz":
        return v.replace(tzinfo=UTC)
    return v


def _not_valid(s: str, t: Type) -> Fail:
    return Fail(f"{_quote(s)} is not a valid {t}")


_TEXT_PARSERS: dict[str, Callable[[str], Any]] = {
    "float": _parse_float,
    "bool": _parse_bool,
    "date": _parse_date,
    "time": _parse_time,
    "timestamp": _parse_timestamp,
    "timestamptz": _parse_timestamptz,
    "uuid": _parse_uuid,
}


# ─────────────────────────────── Casts ───────────────────────────────


def _mismatch(v: Any, t: Type) -> Fail:
    return Fail(f"{_display(v)} does not convert to {t}")


def cast(v: Any, to: str) -> Any:
    """`cast(v as to)` (`Value::cast`); also what a value gets when it goes
    into a column, an `fn` parameter or a `case` branch of type `to`."""
    c = _CASTS.get(to)
    if c is None:
        c = _caster(to)
    return c(v)


# The cast into each type spelling met so far (see _caster).
_CASTS: dict[str, Callable[[Any], Any]] = {}

# The Python type a value of these types has: the cast leaves it as it is.
_SAME_TYPE: dict[str, type] = {
    "float": float,
    "bool": bool,
    "date": _dt.date,
    "time": _dt.time,
    "uuid": uuid.UUID,
    "json": Json,
    "bytes": bytes,
}


def _caster(to: str) -> Callable[[Any], Any]:
    """The cast into `to` as a function of the value: the common cases, a
    value that already has the type (text within the length, an integer in
    the range, …), answered at once; every other one by _cast."""
    t = parse_type(to)  # ValueError for a bad spelling, whatever the value
    n = t.name
    c: Callable[[Any], Any]
    if n == "null":

        def c(v: Any) -> Any:
            return v

    elif t.is_text and t.length is None:

        def c(v: Any) -> Any:
            if v is None or type(v) is str:
                return v
            return _cast(v, t)

    elif t.is_text:
        length = t.length

        def c(v: Any) -> Any:
            if type(v) is str and len(v) <= length:
                return v
            if v is None:
                return None
            return _cast(v, t)

    elif t.is_integer:
        lo, hi = INTEGER_RANGES[n]

        def c(v: Any) -> Any:
            if type(v) is int and lo <= v <= hi:
                return v
            if v is None:
                return None
            return _cast(v, t)

    elif n in _SAME_TYPE:
        same = _SAME_TYPE[n]

        def c(v: Any) -> Any:
            if v is None or type(v) is same:
                return v
            return _cast(v, t)

    elif n in ("timestamp", "timestamptz"):
        zone = None if n == "timestamp" else UTC

        def c(v: Any) -> Any:
            # A timestamptz in UTC is what the cast gives back.
            if v is None or (type(v) is _dt.datetime and v.tzinfo is zone):
                return v
            return _cast(v, t)

    else:

        def c(v: Any) -> Any:
            return None if v is None else _cast(v, t)

    _CASTS[to] = c
    return c


def _cast(v: Any, t: Type) -> Any:
    """The cast of a value that is not NULL."""
    if t.name == "null":
        return v
    k = _kind(v)
    if k == "text" and not t.is_text:
        return _text_to(v, t)
    n = t.name
    if t.is_text:
        s = to_text(v)
        if s is None:
            raise Fail("bytes do not convert to text")
        if t.length is not None and len(s) > t.length:  # characters, never cut
            raise Fail(f"{_quote(s)} is longer than {t.length} characters")
        return s
    if t.is_integer:
        if k == "int":
            return _check_int(v, t)
        if k == "bool":
            return int(v)
        if k == "decimal":
            d = _dec(v)
            i = _dec_to_i64(d)
            if i is None:
                raise Fail(f"{_dec_text(d)} is out of range for {t}")
            return _check_int(i, t)
        if k == "float":
            r = _round_half_away(v)
            if _I64_MIN <= r <= _I64_MAX:
                return _check_int(r, t)
            raise Fail(f"{_float_text(v)} is out of range for {t}")
        raise _mismatch(v, t)
    if n == "decimal":
        if k == "int":
            d = _dec_rescale((v, 0), t.scale)
        elif k == "decimal":
            d = _dec_rescale(_dec(v), t.scale)
        elif k == "float":
            d = _dec_from_float(v, t.scale)
        else:
            raise _mismatch(v, t)
        if d is not None and _dec_fits_precision(d, t.precision, t.scale):
            return _py_dec(d)
        raise Fail(f"{to_text(v)} does not fit {t}")
    if n == "float":
        if k in ("float", "int", "decimal"):
            return _as_float(v)
        raise _mismatch(v, t)
    if n == "bool":
        if k == "bool":
            return v
        if k == "int":
            return v != 0
        raise _mismatch(v, t)
    if n == "date":
        if k == "date":
            return v
        if k == "timestamp":
            return v.date()
        if k == "timestamptz":
            return _utc(v).date()
        raise _mismatch(v, t)
    if n == "time":
        if k == "time":
            return v
        if k in ("timestamp", "timestamptz"):
            return (v if k == "timestamp" else _utc(v)).time()
        raise _mismatch(v, t)
    if n in ("timestamp", "timestamptz"):
        if k not in ("date", "timestamp", "timestamptz"):
            raise _mismatch(v, t)
        # timestamp → timestamptz reads the wall clock as UTC: no zone.
        wall = _wall(v, k)
        return wall if n == "timestamp" else wall.replace(tzinfo=UTC)
    if n in ("uuid", "json", "bytes"):
        if k == n:
            return v
        raise _mismatch(v, t)
    raise ValueError(f"cannot cast to {t}")


def store(v: Any, to: str) -> Any:
    """A value going into a target column of type `to` ("varchar(20)",
    "int not null"): the cast, then NULL refused by a not-null column."""
    t = parse_type(to)
    r = cast(v, to)
    if r is None and not t.nullable:
        raise Fail("NULL in a not-null column")
    return r


# ───────────────────────────── Comparison ─────────────────────────────


def _wall(v: Any, k: str) -> _dt.datetime:
    """A date, timestamp or timestamptz as a naive date and time (UTC's)."""
    if k == "date":
        return _dt.datetime(v.year, v.month, v.day)
    return _utc(v) if k == "timestamptz" else v


def _cmp(a: Any, b: Any) -> int | None:
    """-1, 0 or 1; None when either is NULL or they do not compare."""
    ka, kb = _kind(a), _kind(b)
    if ka == "null" or kb == "null":
        return None
    numeric = ("int", "decimal", "float")
    if ka in numeric and kb in numeric:
        if "float" in (ka, kb):
            # The other side becomes the nearest double, as in the evaluator.
            x, y = _as_float(a), _as_float(b)
            return (x > y) - (x < y)
        da = (a, 0) if ka == "int" else _dec(a)
        db = (b, 0) if kb == "int" else _dec(b)
        return _dec_cmp(da, db)
    temporal = ("date", "timestamp", "timestamptz")
    if ka in temporal and kb in temporal and ka != kb and "date" not in (ka, kb):
        return None  # a timestamp does not compare with a timestamptz
    if ka in temporal and kb in temporal:
        # A date compares with either timestamp as its midnight.
        x, y = _wall(a, ka), _wall(b, kb)
        return (x > y) - (x < y)
    if ka != kb:
        return None
    if ka == "json":
        x, y = a.text, b.text
    elif ka == "bytes":
        x, y = bytes(a), bytes(b)
    else:  # bool, text (code points), time, uuid (bytes)
        x, y = a, b
    return (x > y) - (x < y)


_COMPARISONS: dict[str, Callable[[int], bool]] = {
    "==": lambda o: o == 0,
    "!=": lambda o: o != 0,
    "<>": lambda o: o != 0,
    "<": lambda o: o < 0,
    "<=": lambda o: o <= 0,
    ">": lambda o: o > 0,
    ">=": lambda o: o >= 0,
}


def compare(op: str, a: Any, b: Any) -> bool | None:
    """`a op b` for `== != < <= > >=`: NULL when either side is NULL.
    Numbers by value across int, decimal and float; text by code point."""
    o = _cmp(a, b)
    return None if o is None else _COMPARISONS[op](o)


def _sql_eq(a: Any, b: Any) -> bool | None:
    o = _cmp(a, b)
    return None if o is None else o == 0


_ANY, _ONE = object(), object()  # `%` and `_` in a compiled pattern


@lru_cache(maxsize=256)
def _like_pattern(pattern: str) -> tuple[object, ...]:
    out: list[object] = []
    chars = iter(pattern)
    for c in chars:
        if c == "%":
            out.append(_ANY)
        elif c == "_":
            out.append(_ONE)
        elif c == "\\":
            out.append(
                next(chars, "\\")
            )  # the next one, literally; a trailing \ is itself
        else:
            out.append(c)
    return tuple(out)


def like(text: str | None, pattern: str | None) -> bool | None:
    """SQL `like`, case-sensitive, on characters: `%` any run, `_` one
    character, `\\` makes the next one literal. NULL if either is NULL."""
    if text is None or pattern is None:
        return None
    if not isinstance(text, str) or not isinstance(pattern, str):
        raise Fail("`like` needs text")
    pat = _like_pattern(pattern)
    # The evaluator's greedy match with one backtrack point: linear in
    # practice, never exponential (a regular expression can be).
    ti = pi = 0
    star: tuple[int, int] | None = None
    while ti < len(text):
        p = pat[pi] if pi < len(pat) else None
        if p is _ANY:
            star = (pi, ti)
            pi += 1
        elif p is _ONE or (p is not None and p == text[ti]):
            ti += 1
            pi += 1
        elif star is not None:
            pi, ti = star[0] + 1, star[1] + 1
            star = (star[0], star[1] + 1)
        else:
            return False
    return all(p is _ANY for p in pat[pi:])


# ───────────────────────────── Arithmetic ─────────────────────────────


def _is_zero(v: Any) -> bool:
    k = _kind(v)
    if k == "int":
        return v == 0
    if k == "decimal":
        return _dec(v)[0] == 0
    if k == "float":
        return v == 0.0
    return False


def arith(op: str, a: Any, b: Any, result: str) -> Any:
    """`a op b` for `+ - * / %` in the result type (`expr::arith`):
    integers check its range, decimals are exact (division rounds to the
    result's scale), floats must stay finite; `++` joins text. NULL if
    either side is NULL."""
    if a is None or b is None:
        return None
    if op == "++":
        x, y = to_text(a), to_text(b)
        if x is None or y is None:
            raise Fail("`++` needs text")
        return x + y
    t = parse_type(result)

    def overflow() -> Fail:
        return Fail(f"{_display(a)} {op} {_display(b)} overflows {t}")

    if op in ("/", "%") and _is_zero(b):
        raise Fail("division by zero")
    if t.name == "float":
        x, y = _as_float(a), _as_float(b)
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "/":
            r = x / y
        else:
            r = math.fmod(x, y)  # the sign of the dividend, as Rust's %
        if math.isfinite(r):
            return r
        raise overflow()
    if t.is_integer:
        if _kind(a) != "int" or _kind(b) != "int":
            raise Fail(f"{_display(a)} {op} {_display(b)} is not integer arithmetic")
        if op == "+":
            i = a + b
        elif op == "-":
            i = a - b
        elif op == "*":
            i = a * b
        elif op == "%" and not (a == _I64_MIN and b == -1):  # i64's checked_rem
            i = _tdiv(a, b)[1]
        else:
            raise overflow()
        lo, hi = INTEGER_RANGES[t.name]
        if lo <= i <= hi:
            return i
        raise overflow()
    if t.name == "decimal":

        def dec(v: Any) -> Dec | None:
            k = _kind(v)
            if k == "int":
                return (v, 0)
            if k == "decimal":
                return _dec(v)
            if k == "float":
                return _dec_from_float(v, t.scale)
            return None

        p, q = dec(a), dec(b)
        if p is None or q is None:
            raise overflow()
        if op == "+":
            d = _dec_add(p, q)
        elif op == "-":
            d = _dec_add(p, (-q[0], q[1]))
        elif op == "*":
            # Exact: the scales add up (rounded only past 38).
            d = _dec_mul(p, q, min(p[1] + q[1], 255, MAX_DIGITS))
        elif op == "/":
            d = _dec_div(p, q, t.scale)
        else:
            d = _dec_rem(p, q)
        if d is None:
            raise overflow()
        return _py_dec(d)
    raise overflow()


def negate(v: Any, result: str) -> Any:
    """Unary minus; integers fail outside the result type's range."""
    if v is None:
        return None
    t = parse_type(result)
    k = _kind(v)
    if k == "int":
        if v == _I64_MIN:
            raise Fail(f"-({v}) is out of range for {t}")
        return _check_int(-v, t)
    if k == "decimal":
        m, s = _dec(v)
        return _py_dec((-m, s))
    if k == "float":
        return -v
    raise Fail(f"cannot apply Neg to {_display(v)}")


# ───────────────────────────── Aggregates ─────────────────────────────


def agg(name: str, values: list[Any], result: str) -> Any:
    """`count`, `sum`, `min`, `max` over a group's values, NULLs ignored.
    For `count()` without an argument pass one non-NULL item per row.
    `sum` casts each value to the result type and fails on overflow;
    `min`/`max` keep the first of equal values; NULL over no value."""
    present = [v for v in values if v is not None]
    if name == "count":
        return len(present)
    if name == "sum":
        total = None
        for v in present:
            x = cast(v, result)
            total = x if total is None else arith("+", total, x, result)
        return total
    if name in ("min", "max"):
        want = -1 if name == "min" else 1
        best = None
        for v in present:
            if best is None or _cmp(v, best) == want:
                best = v
        return best
    raise ValueError(f"not an aggregate: {name}")


# ────────────────────────────── Lookups ──────────────────────────────


def lookup_miss(key: Any, lookup_name: str) -> Fail:
    """The failure of a partial lookup without this key (or a NULL key)."""
    return Fail(f"{_display(key)} is not a key of lookup `{lookup_name}`")


def lookup_key(v: Any) -> str | None:
    """A hashable key equal exactly when values compare equal (numbers by
    value: 1, 1.00 and 1.0 agree), for lookup tables; None for NULL.
    The same text as the evaluator's `key_text`."""
    if type(v) is str:
        return "t" + v
    k = _kind(v)
    if k == "null":
        return None
    if k == "int":
        return f"n{v}"
    if k == "decimal":
        s = _dec_text(_dec(v))
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return "n" + ("0" if s == "-0" else s)
    if k == "float":
        if v == int(v) and abs(v) < 9.0e15:
            return f"n{int(v)}"
        d = _dec_parse(_float_plain(v), None)
        return lookup_key(_py_dec(d)) if d is not None else "f" + _float_plain(v)
    if k == "bytes":
        return "x[" + ", ".join(str(b) for b in bytes(v)) + "]"
    prefix = {
        "text": "t",
        "bool": "b",
        "date": "d",
        "timestamp": "s",
        "timestamptz": "s",
        "time": "h",
        "uuid": "u",
        "json": "j",
    }[k]
    if k == "timestamptz":
        return prefix + _timestamp_text(_utc(v))
    return prefix + (to_text(v) or "")


# ─────────────────────────── Case mapping ───────────────────────────
#
# Per character, and only when the mapping is one character, so lengths
# never change. Python's own tables are of an older Unicode version than
# the evaluator's; _UPPER_EXTRA, _LOWER_EXTRA and _ALNUM_* hold every code
# point where they differ (generated from the evaluator: `python3
# check_runtime.py --unicode-overrides CASES.json`; the runtime test
# compares every assigned code point).


def _upper_char(c: str) -> str:
    u = _UPPER_EXTRA.get(c)
    if u is not None:
        return u
    u = c.upper()
    return u if len(u) == 1 else c


def _lower_char(c: str) -> str:
    lo = _LOWER_EXTRA.get(c)
    if lo is not None:
        return lo
    lo = c.lower()
    return lo if len(lo) == 1 else c


class _CaseTable(dict):
    """A str.translate table of one case mapping (_upper_char or
    _lower_char), filled in as characters are met."""

    def __init__(self, one: Callable[[str], str]) -> None:
        super().__init__()
        self.one = one

    def __missing__(self, o: int) -> str:
        c = self.one(chr(o))
        if len(self) < 65_536:
            self[o] = c
        return c


_UPPER_TABLE = _CaseTable(_upper_char)
_LOWER_TABLE = _CaseTable(_lower_char)


def _upper(s: str) -> str:
    # ASCII letters map to one ASCII letter, in every Unicode version.
    return s.upper() if s.isascii() else s.translate(_UPPER_TABLE)


def _lower(s: str) -> str:
    return s.lower() if s.isascii() else s.translate(_LOWER_TABLE)


def _in_ranges(ranges: tuple[int, ...], o: int) -> bool:
    # ranges: sorted first, last, first, last, … (inclusive).
    i = bisect.bisect_right(ranges, o)
    return i % 2 == 1 or (i > 0 and ranges[i - 1] == o)


def _is_alnum(c: str) -> bool:
    """Rust's char::is_alphanumeric: Alphabetic or Numeric (the letter and
    number categories, plus Other_Alphabetic: vowel signs and the like)."""
    o = ord(c)
    if _in_ranges(_ALNUM_YES, o):
        return True
    if _in_ranges(_ALNUM_NO, o):
        return False
    return unicodedata.category(c)[0] in "LN"


def _title(s: str) -> str:
    out = []
    in_word = False
    for c in s:
        out.append(_lower_char(c) if in_word else _upper_char(c))
        in_word = _is_alnum(c)
    return "".join(out)


# ───────────────────────────── Built-ins ─────────────────────────────

MAX_PAD = 10_000_000  # lpad/rpad fail beyond it rather than exhaust memory
UUID_V5_SEPARATOR = "\x1f"


def _substr(s: str, start: int, length: int) -> str:
    """Characters start .. start + length (1-based), clipped to the text."""
    if length <= 0:
        return ""
    end = min(start + length, _I64_MAX)
    first = max(start, 1)
    if end <= first:
        return ""
    return s[first - 1 : end - 1]


def _pad(s: str, length: int, fill: str, left: bool) -> str:
    if length <= 0:
        return ""
    if length > MAX_PAD:
        raise Fail(f"padding to {length} characters is over the limit of {MAX_PAD}")
    if len(s) >= length:
        return s[:length]
    if not fill:
        return s
    need = length - len(s)
    padding = (fill * (need // len(fill) + 1))[:need]
    return padding + s if left else s + padding


def _truncate(s: str, length: int, suffix: str) -> str:
    """At most `length` characters; a cut text ends with `suffix`, counted in
    the length (a suffix as long as the limit is left off)."""
    if length <= 0:
        return ""
    if len(s) <= length:
        return s
    if len(suffix) >= length:
        return s[:length]
    return s[: length - len(suffix)] + suffix


def _split_part(s: str, delimiter: str, n: int) -> str:
    # str.split("") raises; an empty delimiter makes one field.
    fields = s.split(delimiter) if delimiter else [s]
    if n > 0:
        i = n - 1
    elif n < 0:
        i = len(fields) + n
        if i < 0:
            return ""
    else:
        return ""
    return fields[i] if i < len(fields) else ""


def _mask(s: str) -> str:
    if len(s) <= 4:
        return "*" * len(s)
    return "*" * (len(s) - 4) + s[-4:]


def _round_plain(text: str, digits: int) -> str:
    """Plain decimal text rounded half away from zero at `digits` after the
    point, exactly, at any length (`functions::round_plain`)."""
    negative = text.startswith("-")
    body = text[1:] if negative else text
    int_part, _, frac = body.partition(".")
    if digits >= len(frac):
        return text
    all_digits = [ord(c) - 48 for c in int_part + frac]
    keep = len(int_part) + digits
    if keep < 0:
        return "0"
    kept = all_digits[:keep]
    if all_digits[keep] >= 5:
        i = len(kept)
        while True:
            if i == 0:
                kept.insert(0, 1)
                break
            i -= 1
            if kept[i] == 9:
                kept[i] = 0
            else:
                kept[i] += 1
                break
    carried = len(kept) - keep
    int_len = min(len(int_part) + carried, len(kept))
    out = "".join(map(str, kept[:int_len]))
    if digits < 0:
        if not out:
            return "0"
        out += "0" * -digits
    elif digits > 0:
        out += "." + "".join(map(str, kept[int_len:]))
    if not out:
        out = "0"
    if negative and any(c in "123456789" for c in out):
        out = "-" + out
    return out


def _round(x: Any, digits: int, t: Type) -> Any:
    k = _kind(x)
    if k == "int":
        if digits >= 0:
            return x
        r = _dec_round((x, 0), digits)
        i = _dec_to_i64(r) if r is not None else None
        if i is None:
            raise Fail(f"round({x}, {digits}) is out of range for {t}")
        return _check_int(i, t)
    if k == "decimal":
        d = _dec(x)
        r = _dec_round(d, digits)
        if r is None:
            raise Fail(f"round({_dec_text(d)}, {digits}) overflows")
        return _py_dec(r)
    if k == "float":
        plain = _float_plain(x)
        r = float(_round_plain(plain, digits))
        if not math.isfinite(r):
            raise Fail(f"round({plain}, {digits}) overflows")
        return r
    return x


def _abs(x: Any, t: Type) -> Any:
    k = _kind(x)
    if k == "int":
        if x == _I64_MIN:
            raise Fail(f"abs({x}) is out of range for {t}")
        return _check_int(abs(x), t)
    if k == "decimal":
        m, s = _dec(x)
        return _py_dec((abs(m), s))
    if k == "float":
        return abs(x)
    return x


_MONTHS = (
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
)


def _parse_with_format(text: str, fmt: str) -> _dt.datetime:
    """strftime-style reading, not strptime: `%Y` 4 digits, `%y` 2 (00–68
    are 20xx), `%m %d %H %M %S` 1–2, `%f` 1–6, `%b`/`%B` English month names
    in any case, `%%`; every other character matches itself; the whole text
    must match and the date must exist."""
    year, month, day, hour, minute, second, micros = _read_format(text, fmt)
    return _dt.datetime.combine(
        _existing_date(text, year, month, day),
        _time_of_day(text, hour, minute, second, micros),
    )


def _parse_date_with_format(text: str, fmt: str) -> _dt.date:
    """The date of _parse_with_format (whose time must be valid too)."""
    compiled = _format_regex(fmt)
    if compiled is not None and compiled.ymd is not None:
        # Just a %Y, a %m and a %d: the time is midnight.
        m = compiled.regex.fullmatch(text)
        if m is None:
            raise _no_match(text, fmt)
        g = m.groups()
        y, mo, d = compiled.ymd
        return _existing_date(text, int(g[y]), int(g[mo]), int(g[d]))
    year, month, day, hour, minute, second, micros = _read_format(text, fmt)
    date = _existing_date(text, year, month, day)
    _time_of_day(text, hour, minute, second, micros)
    return date


def _existing_date(text: str, year: int, month: int, day: int) -> _dt.date:
    try:
        if year < 1:
            raise ValueError
        return _dt.date(year, month, day)
    except ValueError:
        raise Fail(f"{_quote(text)} is not a date that exists") from None


def _time_of_day(
    text: str, hour: int, minute: int, second: int, micros: int
) -> _dt.time:
    try:
        return _dt.time(hour, minute, second, micros)
    except ValueError:
        raise Fail(f"{_quote(text)} is not a valid time of day") from None


def _no_match(text: str, fmt: str) -> Fail:
    return Fail(f"{_quote(text)} does not match the format {_quote(fmt)}")


Fields = tuple[int, int, int, int, int, int, int]


def _read_format(text: str, fmt: str) -> Fields:
    """Year, month, day, hour, minute, second and microsecond of `text`
    read with `fmt`."""
    if type(text) is not str or type(fmt) is not str:
        # Building the message came first: it fails on what is not text.
        _no_match(text, fmt)
    compiled = _format_regex(fmt)
    if compiled is None:
        return _read_format_slowly(text, fmt)
    m = compiled.regex.fullmatch(text)
    if m is None:
        raise _no_match(text, fmt)
    fields = [0, 0, 0, 0, 0, 0, 0]
    for (i, read), digits in zip(compiled.readers, m.groups()):
        fields[i] = read(digits)
    return tuple(fields)  # type: ignore[return-value]


# The digit directives: (field, fewest and most digits, the field's value).
_DIGIT_DIRECTIVES: dict[str, tuple[int, int, int, Callable[[str], int]]] = {
    "Y": (0, 4, 4, int),
    "y": (0, 2, 2, lambda d: 2000 + int(d) if int(d) < 69 else 1900 + int(d)),
    "m": (1, 1, 2, int),
    "d": (2, 1, 2, int),
    "H": (3, 1, 2, int),
    "M": (4, 1, 2, int),
    "S": (5, 1, 2, int),
    "f": (6, 1, 6, lambda d: int(d) * 10 ** (6 - len(d))),
}


class _Format(NamedTuple):
    regex: re.Pattern[str]
    # Per group: the field it sets, and how.
    readers: tuple[tuple[int, Callable[[str], int]], ...]
    # The groups of %Y, %m and %d when these are the only directives.
    ymd: tuple[int, int, int] | None


@lru_cache(maxsize=256)
def _format_regex(fmt: str) -> _Format | None:
    """A format of digit directives, `%%` and other characters, with a year,
    a month and a day, as a regular expression with a group per directive
    and how each group sets its field; None for any other format (month
    names, a bad directive, a missing field), which _read_format_slowly
    reads. The groups are possessive: like its `take`, a directive takes
    as many digits as it can and never gives one back."""
    parts: list[str] = []
    readers: list[tuple[int, Callable[[str], int]]] = []
    letters = ""
    directives = iter(fmt)
    for f in directives:
        if f != "%":
            parts.append(re.escape(f))
            continue
        d = next(directives, None)
        if d == "%":
            parts.append(re.escape("%"))
            continue
        if d is None or d not in _DIGIT_DIRECTIVES:
            return None
        field, low, high, read = _DIGIT_DIRECTIVES[d]
        parts.append(f"([0-9]{{{low},{high}}}+)")
        readers.append((field, read))
        letters += d
    if not {0, 1, 2} <= {field for field, _ in readers}:
        return None
    ymd = None
    if sorted(letters) == ["Y", "d", "m"]:
        ymd = (letters.index("Y"), letters.index("m"), letters.index("d"))
    return _Format(re.compile("".join(parts)), tuple(readers), ymd)


def _read_format_slowly(text: str, fmt: str) -> Fields:
    pos = 0
    year = month = day = None
    hour = minute = second = micros = 0

    def take(low: int, high: int) -> tuple[int, int]:
        nonlocal pos
        start = pos
        while pos < len(text) and pos - start < high and "0" <= text[pos] <= "9":
            pos += 1
        if pos - start < low:
            raise _no_match(text, fmt)
        return int(text[start:pos]), pos - start

    directives = iter(fmt)
    for f in directives:
        if f != "%":
            if pos >= len(text) or text[pos] != f:
                raise _no_match(text, fmt)
            pos += 1
            continue
        d = next(directives, None)
        if d == "Y":
            year = take(4, 4)[0]
        elif d == "y":
            y = take(2, 2)[0]
            year = 2000 + y if y < 69 else 1900 + y
        elif d == "m":
            month = take(1, 2)[0]
        elif d == "d":
            day = take(1, 2)[0]
        elif d == "H":
            hour = take(1, 2)[0]
        elif d == "M":
            minute = take(1, 2)[0]
        elif d == "S":
            second = take(1, 2)[0]
        elif d == "f":
            v, n = take(1, 6)
            micros = v * 10 ** (6 - n)
        elif d in ("b", "B"):
            rest = text[pos:].lower()
            for i, name in enumerate(_MONTHS):
                want = name[:3] if d == "b" else name
                if rest.startswith(want):
                    month = i + 1
                    pos += len(want)
                    break
            else:
                raise _no_match(text, fmt)
        elif d == "%":
            if pos >= len(text) or text[pos] != "%":
                raise _no_match(text, fmt)
            pos += 1
        elif d is None:
            raise Fail(f"the format {_quote(fmt)} ends with a lone %")
        else:
            raise Fail(f"unsupported directive %{d} in the format {_quote(fmt)}")
    if pos != len(text):
        raise _no_match(text, fmt)
    if year is None or month is None or day is None:
        raise Fail(f"the format {_quote(fmt)} needs a year, a month and a day")
    return year, month, day, hour, minute, second, micros


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # The evaluator's chrono-tz knows every tz database name; the system's
    # tzdata also has two files that are not zones.
    return frozenset(
        z
        for z in zoneinfo.available_timezones()
        if z not in ("Factory", "localtime", "posixrules")
        and not z.startswith(("posix/", "right/"))
    )


@lru_cache(maxsize=None)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _to_utc(local: _dt.datetime, zone: str) -> _dt.datetime:
    """A wall time in an IANA zone as a UTC instant: a time in a daylight-
    saving gap fails, a repeated time is its first occurrence (fold=0)."""
    if zone not in _zone_names():
        raise Fail(f"unknown time zone {_quote(zone)}")
    z = _zone(zone)
    first = local.replace(tzinfo=z, fold=0).utcoffset()
    second = local.replace(tzinfo=z, fold=1).utcoffset()
    assert first is not None and second is not None
    # In a gap fold=0 reads the wall time with the offset before the jump,
    # fold=1 with the one after, which is larger; in an overlap, smaller.
    if first < second:
        raise Fail(
            f"local time {_timestamp_text(local)} does not exist in {zone} (daylight-saving gap)"
        )
    try:
        return local - first
    except OverflowError:
        raise Fail(
            f"{_timestamp_text(local)} in {zone} is outside the years 1–9999 in UTC"
        ) from None


@lru_cache(maxsize=1024)
def _uuid_namespace(namespace: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, namespace)


# Per namespace, SHA-1 fed with its bytes: copying it skips both.
_NAMESPACE_SHA1: dict[str, Any] = {}

# UUID(bytes=…, version=5) as masks on the integer: variant RFC 4122. Both
# positive, so `&` and `|` stay on 128-bit magnitudes.
_UUID_V5_KEEP = ((1 << 128) - 1) & ~((0xC000 << 48) | (0xF000 << 64))
_UUID_V5_SET = (0x8000 << 48) | (5 << 76)


def uuid_v5(namespace: str | None, *values: Any) -> uuid.UUID | None:
    """`uuid_v5(namespace, v, …)`: NULL if any argument is NULL."""
    if namespace is None or None in values:
        return None
    if len(values) == 1 and type(values[0]) in (int, str):
        name = str(values[0])
    else:
        texts = []
        for v in values:
            t = to_text(v)
            if t is None:
                raise Fail("uuid_v5 cannot hash bytes")
            texts.append(t)
        name = UUID_V5_SEPARATOR.join(texts)
    # uuid.uuid5(namespace, name), without rebuilding the namespace's part
    # or checking the arguments of UUID(int=…).
    sha1 = _NAMESPACE_SHA1.get(namespace)
    if sha1 is None:
        sha1 = hashlib.sha1(_uuid_namespace(namespace).bytes)
        if len(_NAMESPACE_SHA1) < 1024:
            _NAMESPACE_SHA1[namespace] = sha1
    h = sha1.copy()
    h.update(name.encode())
    i = int.from_bytes(h.digest()[:16], "big")
    if _uuid_from_int is not _uuid_object:
        return _uuid_from_int((i & _UUID_V5_KEEP) | _UUID_V5_SET)
    u = _new_object(uuid.UUID)
    _set_int(u, (i & _UUID_V5_KEEP) | _UUID_V5_SET)
    _set_is_safe(u, _UUID_SAFE_UNKNOWN)
    return u


_new_object = object.__new__
_set_int = uuid.UUID.__dict__["int"].__set__
_set_is_safe = uuid.UUID.__dict__["is_safe"].__set__
_UUID_SAFE_UNKNOWN = uuid.SafeUUID.unknown


def _uuid_object(i: int) -> uuid.UUID:
    # What UUID(int=i) makes, without its argument checks: the same two
    # slots, set the way its __init__ sets them.
    u = _new_object(uuid.UUID)
    _set_int(u, i)
    _set_is_safe(u, _UUID_SAFE_UNKNOWN)
    return u


def _choose_uuid_from_int() -> Callable[[int], uuid.UUID]:
    # Only where the shortcut gives exactly the UUID the constructor does.
    try:
        probe = 0x6BA7B8109DAD11D180B400C04FD430C8
        u, want = _uuid_object(probe), uuid.UUID(int=probe)
        if u == want and str(u) == str(want) and u.is_safe is want.is_safe:
            return _uuid_object
    except (AttributeError, TypeError):
        pass
    return lambda i: uuid.UUID(int=i)


_uuid_from_int = _choose_uuid_from_int()


def upper(s: str | None) -> str | None:
    """`upper(s)` of a text."""
    return None if s is None else _upper(s)


def lower(s: str | None) -> str | None:
    """`lower(s)` of a text."""
    return None if s is None else _lower(s)


def parse_date(s: str | None, fmt: str | None) -> _dt.date | None:
    """`parse_date(s, fmt)` of two texts."""
    got = _read_date(s, fmt)
    if type(got) is str:
        raise Fail(got)
    return got


def parse_date_or_null(s: str | None, fmt: str | None) -> _dt.date | None:
    """`parse_date(s, fmt) else null` into a date column: NULL for a text
    parse_date refuses, without raising."""
    got = _read_date(s, fmt)
    return None if type(got) is str else got


# What parse_date gave per (text, format), dates repeating as they do: the
# date, or the message of its failure.
_DATES_READ: dict[tuple[str, str], _dt.date | str] = {}
_DATES_KEPT = 65_536


def _read_date(s: str | None, fmt: str | None) -> _dt.date | str | None:
    if s is None or fmt is None:
        return None
    key = (s, fmt)
    got = _DATES_READ.get(key)
    if got is None:
        try:
            got = _parse_date_with_format(s, fmt)
        except Fail as f:
            got = f.message
        if len(_DATES_READ) >= _DATES_KEPT:
            _DATES_READ.clear()
        _DATES_READ[key] = got
    return got


# Built-ins of one text, by name: the text → the value.
_TEXT_UNARY: dict[str, Callable[[str], Any]] = {
    "trim": methodcaller("strip", WHITESPACE),
    "ltrim": methodcaller("lstrip", WHITESPACE),
    "rtrim": methodcaller("rstrip", WHITESPACE),
    "upper": _upper,
    "lower": _lower,
    "title": _title,
    "length": len,
}


def call(name: str, args: list[Any], result: str) -> Any:
    """A scalar built-in by its Cutover name (`functions::call`); `result`
    is the call's type. Strict: a NULL argument gives NULL, except for
    `coalesce` and `nullif`. `now()` is the run's clock, which the
    generated code holds itself."""
    # The common calls, well-formed: at once; all others by _call.
    f = _TEXT_UNARY.get(name)
    if f is not None:
        if len(args) == 1:
            s = args[0]
            if type(s) is str:
                return f(s)
            if s is None:
                return None
    elif name == "nullif":
        if len(args) == 2:
            a, b = args
            if type(a) is str and type(b) is str:
                return None if a == b else a
    elif name == "parse_date":
        if len(args) == 2:
            s, fmt = args
            if type(s) is str and type(fmt) is str:
                return parse_date(s, fmt)
    elif name == "uuid_v5":
        if args and type(args[0]) is str:
            return uuid_v5(*args)
    return _call(name, args, result)


def _call(name: str, args: list[Any], result: str) -> Any:
    if name == "coalesce":
        # The caller evaluates lazily (SQL's COALESCE); numbers widen.
        for v in args:
            if v is not None:
                return cast(v, result) if parse_type(result).is_numeric else v
        return None
    if name == "nullif":
        a, b = args
        return None if _sql_eq(a, b) is True else a
    if name == "now":
        raise ValueError("now() is the run's clock: the generated code passes it")
    if name in ("count", "sum", "min", "max"):
        raise Fail(f"{name} outside a group")
    if any(a is None for a in args):
        return None
    t = parse_type(result)
    s = args[0] if args else None
    if name == "trim":
        return _trim(s)
    if name == "ltrim":
        return s.lstrip(WHITESPACE)
    if name == "rtrim":
        return s.rstrip(WHITESPACE)
    if name == "squish":
        return " ".join(w for w in _SPACE_RUN.split(s) if w)
    if name == "upper":
        return "".join(map(_upper_char, s))
    if name == "lower":
        return "".join(map(_lower_char, s))
    if name == "title":
        return _title(s)
    if name == "length":
        return len(s)
    if name == "substr":
        return _substr(s, args[1], args[2])
    if name in ("lpad", "rpad"):
        return _pad(s, args[1], args[2], name == "lpad")
    if name == "truncate":
        return _truncate(s, args[1], args[2] if len(args) > 2 else "")
    if name == "replace":
        # str.replace("", x) would insert x everywhere.
        return s.replace(args[1], args[2]) if args[1] else s
    if name == "split_part":
        return _split_part(s, args[1], args[2])
    if name == "mask":
        return _mask(s)
    if name == "sha256":
        return hashlib.sha256(s.encode("utf-8")).hexdigest()
    if name == "round":
        return _round(s, args[1] if len(args) > 1 else 0, t)
    if name == "abs":
        return _abs(s, t)
    if name == "parse_date":
        return _parse_with_format(s, args[1]).date()
    if name == "parse_timestamp":
        return _parse_with_format(s, args[1])
    if name == "to_utc":
        if _kind(s) != "timestamp":
            raise Fail(f"to_utc needs a timestamp, not {_display(s)}")
        return _to_utc(s, args[1]).replace(tzinfo=UTC)
    if name == "uuid_v5":
        return uuid_v5(s, *args[1:])
    raise ValueError(f"not a Cutover built-in: {name}")


# ─────────────── Unicode overrides (generated; see "Case mapping") ───────────────


def _pairs(text: str) -> dict[str, str]:
    return {
        chr(int(a, 16)): chr(int(b, 16))
        for a, b in (p.split(":") for p in text.split())
    }


def _ranges(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for r in text.split():
        first, _, last = r.partition("-")
        out += [int(first, 16), int(last or first, 16)]
    return tuple(out)


# The evaluator's tables (Rust 1.95, Unicode 17.0) against Python 3.11's
# (Unicode 14.0): case pairs added since (Latin and Cyrillic letters, Garay,
# Beria Erfe), and Other_Alphabetic (vowel signs, combining letters), which
# unicodedata cannot tell, plus letters and digits added since.
_UPPER_EXTRA = _pairs("""
    019B:A7DC 0264:A7CB 1C8A:1C89 A7CD:A7CC A7CF:A7CE A7D3:A7D2 A7D5:A7D4 A7DB:A7DA
    10D70:10D50 10D71:10D51 10D72:10D52 10D73:10D53 10D74:10D54 10D75:10D55 10D76:10D56 10D77:10D57
    10D78:10D58 10D79:10D59 10D7A:10D5A 10D7B:10D5B 10D7C:10D5C 10D7D:10D5D 10D7E:10D5E 10D7F:10D5F
    10D80:10D60 10D81:10D61 10D82:10D62 10D83:10D63 10D84:10D64 10D85:10D65 16EBB:16EA0 16EBC:16EA1
    16EBD:16EA2 16EBE:16EA3 16EBF:16EA4 16EC0:16EA5 16EC1:16EA6 16EC2:16EA7 16EC3:16EA8 16EC4:16EA9
    16EC5:16EAA 16EC6:16EAB 16EC7:16EAC 16EC8:16EAD 16EC9:16EAE 16ECA:16EAF 16ECB:16EB0 16ECC:16EB1
    16ECD:16EB2 16ECE:16EB3 16ECF:16EB4 16ED0:16EB5 16ED1:16EB6 16ED2:16EB7 16ED3:16EB8
""")
_LOWER_EXTRA = _pairs("""
    1C89:1C8A A7CB:0264 A7CC:A7CD A7CE:A7CF A7D2:A7D3 A7D4:A7D5 A7DA:A7DB A7DC:019B
    10D50:10D70 10D51:10D71 10D52:10D72 10D53:10D73 10D54:10D74 10D55:10D75 10D56:10D76 10D57:10D77
    10D58:10D78 10D59:10D79 10D5A:10D7A 10D5B:10D7B 10D5C:10D7C 10D5D:10D7D 10D5E:10D7E 10D5F:10D7F
    10D60:10D80 10D61:10D81 10D62:10D82 10D63:10D83 10D64:10D84 10D65:10D85 16EA0:16EBB 16EA1:16EBC
    16EA2:16EBD 16EA3:16EBE 16EA4:16EBF 16EA5:16EC0 16EA6:16EC1 16EA7:16EC2 16EA8:16EC3 16EA9:16EC4
    16EAA:16EC5 16EAB:16EC6 16EAC:16EC7 16EAD:16EC8 16EAE:16EC9 16EAF:16ECA 16EB0:16ECB 16EB1:16ECC
    16EB2:16ECD 16EB3:16ECE 16EB4:16ECF 16EB5:16ED0 16EB6:16ED1 16EB7:16ED2 16EB8:16ED3
""")
_ALNUM_YES = _ranges("""
    0345 0363-036F 05B0-05BD 05BF 05C1-05C2 05C4-05C5 05C7 0610-061A
    064B-0657 0659-065F 0670 06D6-06DC 06E1-06E4 06E7-06E8 06ED 0711
    0730-073F 07A6-07B0 0816-0817 081B-0823 0825-0827 0829-082C 088F 0897
    08D4-08DF 08E3-08E9 08F0-0903 093A-093B 093E-094C 094E-094F 0955-0957 0962-0963
    0981-0983 09BE-09C4 09C7-09C8 09CB-09CC 09D7 09E2-09E3 0A01-0A03 0A3E-0A42
    0A47-0A48 0A4B-0A4C 0A51 0A70-0A71 0A75 0A81-0A83 0ABE-0AC5 0AC7-0AC9
    0ACB-0ACC 0AE2-0AE3 0AFA-0AFC 0B01-0B03 0B3E-0B44 0B47-0B48 0B4B-0B4C 0B56-0B57
    0B62-0B63 0B82 0BBE-0BC2 0BC6-0BC8 0BCA-0BCC 0BD7 0C00-0C04 0C3E-0C44
    0C46-0C48 0C4A-0C4C 0C55-0C56 0C5C 0C62-0C63 0C81-0C83 0CBE-0CC4 0CC6-0CC8
    0CCA-0CCC 0CD5-0CD6 0CDC 0CE2-0CE3 0CF3 0D00-0D03 0D3E-0D44 0D46-0D48
    0D4A-0D4C 0D57 0D62-0D63 0D81-0D83 0DCF-0DD4 0DD6 0DD8-0DDF 0DF2-0DF3
    0E31 0E34-0E3A 0E4D 0EB1 0EB4-0EB9 0EBB-0EBC 0ECD 0F71-0F83
    0F8D-0F97 0F99-0FBC 102B-1036 1038 103B-103E 1056-1059 105E-1060 1062-1064
    1067-106D 1071-1074 1082-108D 108F 109A-109D 1712-1713 1732-1733 1752-1753
    1772-1773 17B6-17C8 1885-1886 18A9 1920-192B 1930-1938 1A17-1A1B 1A55-1A5E
    1A61-1A74 1ABF-1AC0 1ACC-1ACE 1B00-1B04 1B35-1B43 1B80-1B82 1BA1-1BA9 1BAC-1BAD
    1BE7-1BF1 1C24-1C36 1C89-1C8A 1DD3-1DF4 24B6-24E9 2DE0-2DFF A674-A67B A69E-A69F
    A7CB-A7CF A7D2 A7D4 A7DA-A7DC A7F1 A802 A80B A823-A827
    A880-A881 A8B4-A8C3 A8C5 A8FF A926-A92A A947-A952 A980-A983 A9B4-A9BF
    A9E5 AA29-AA36 AA43 AA4C-AA4D AA7B-AA7D AAB0 AAB2-AAB4 AAB7-AAB8
    AABE AAEB-AAEF AAF5 ABE3-ABEA FB1E 10376-1037A 105C0-105F3 10940-10959
    10A01-10A03 10A05-10A06 10A0C-10A0F 10D24-10D27 10D40-10D65 10D69 10D6F-10D85 10EAB-10EAC
    10EC2-10EC7 10EFA-10EFC 11000-11002 11038-11045 11073-11074 11080-11082 110B0-110B8 110C2
    11100-11102 11127-11132 11145-11146 11180-11182 111B3-111BF 111CE-111CF 1122C-11234 11237
    1123E-11241 112DF-112E8 11300-11303 1133E-11344 11347-11348 1134B-1134C 11357 11362-11363
    11380-11389 1138B 1138E 11390-113B5 113B7-113C0 113C2 113C5 113C7-113CA
    113CC-113CD 113D1 113D3 11435-11441 11443-11445 114B0-114C1 115AF-115B5 115B8-115BE
    115DC-115DD 11630-1163E 11640 116AB-116B5 116D0-116E3 1171D-1172A 1182C-11838 11930-11935
    11937-11938 1193B-1193C 11940 11942 119D1-119D7 119DA-119DF 119E4 11A01-11A0A
    11A35-11A39 11A3B-11A3E 11A51-11A5B 11A8A-11A97 11B60-11B67 11BC0-11BE0 11BF0-11BF9 11C2F-11C36
    11C38-11C3E 11C92-11CA7 11CA9-11CB6 11D31-11D36 11D3A 11D3C-11D3D 11D3F-11D41 11D43
    11D47 11D8A-11D8E 11D90-11D91 11D93-11D96 11DB0-11DDB 11DE0-11DE9 11EF3-11EF6 11F00-11F10
    11F12-11F3A 11F3E-11F40 11F50-11F59 1342F 13441-13446 13460-143FA 16100-1612E 16130-16139
    16D40-16D6C 16D70-16D79 16EA0-16EB8 16EBB-16ED3 16F4F 16F51-16F87 16F8F-16F92 16FF0-16FF6
    187F8-187FF 18CFF 18D09-18D1E 18D80-18DF2 1B132 1B155 1BC9E 1CCF0-1CCF9
    1D2C0-1D2D3 1DF25-1DF2A 1E000-1E006 1E008-1E018 1E01B-1E021 1E023-1E024 1E026-1E02A 1E030-1E06D
    1E08F 1E4D0-1E4EB 1E4F0-1E4F9 1E5D0-1E5ED 1E5F0-1E5FA 1E6C0-1E6DE 1E6E0-1E6F5 1E6FE-1E6FF
    1E947 1F130-1F149 1F150-1F169 1F170-1F189 2B739-2B73F 2CEA2-2CEAD 2EBF0-2EE5D 31350-33479
""")
_ALNUM_NO = _ranges("""
""")
