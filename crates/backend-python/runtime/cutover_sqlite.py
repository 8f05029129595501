"""Cutover's SQLite functions for the standard library's sqlite3.

The SQL backend's SQLite scripts (`20_preflight.sql`, `30_load.sql`,
`40_validate.sql`) call application-defined functions for what SQLite lacks:
Unicode case mapping, `lpad`, `uuid_v5`, time zones, exact decimals,
range-checked integers, failure messages. crates/sqlite-functions registers
them on a rusqlite connection, backed by the reference evaluator; this module
registers the same functions, with the same names, arities and results, on a
`sqlite3.Connection`, backed by `cutover_runtime` (the evaluator in Python).
crates/backend-python/tests/sqlite_functions.rs runs the shipped examples'
scripts through both and compares every cell.

Values travel in the SQLite column representation (docs/functions.md,
"Backend notes / SQLite"): integers and bools as INTEGER, floats as REAL,
bytes as BLOB, everything else as TEXT in its canonical text form.

- `cutover_fn(sig, args...)`: evaluates the operation `sig`
  (`name:type1;type2->result`, e.g. `lpad:varchar(5);int;text->varchar(3)`)
  on the arguments; NULL when evaluation fails.
- `cutover_fn_error(sig, args...)`: the failure message of the same
  evaluation, or NULL when it does not fail.
- `cutover_quote(x)`: a text as a spec literal (`"a\\"b"`).
- `cutover_sum(x, type)`, `cutover_sum_error(x, type)`: the evaluator's `sum`
  into `type` (the result type), and its failure message.
- `cutover_min(x, type)`, `cutover_max(x, type)`: the evaluator's `min` and
  `max` of values of `type` (decimals compare by value).
- `cutover_digest_sum(hex)`: the sum modulo 2^64 of each hex digest's first
  64 bits, as 16 hex digits; NULL over no rows (a checksum's prefilter).

A malformed signature or an argument that does not decode as its declared
type raises, which makes the SQL statement fail: it means the generated SQL
has a bug. (sqlite3 reports it as "user-defined function raised exception";
`sqlite3.enable_callback_tracebacks(True)` shows the message.)

Standard library only, Python 3.11 or later.
"""

from __future__ import annotations

import math
import re
import sqlite3
from functools import lru_cache
from typing import Any, NamedTuple

from . import cutover_runtime as rt

__all__ = ["Bug", "parse_type", "register"]


class Bug(Exception):
    """A call the generated SQL never makes: the statement fails."""


def register(conn: sqlite3.Connection) -> None:
    """Registers Cutover's SQLite functions on `conn`."""
    conn.create_function("cutover_fn", -1, _cutover_fn, deterministic=True)
    conn.create_function("cutover_fn_error", -1, _cutover_fn_error, deterministic=True)
    conn.create_function("cutover_quote", 1, _cutover_quote, deterministic=True)
    conn.create_aggregate("cutover_sum", 2, _Sum)
    conn.create_aggregate("cutover_sum_error", 2, _SumError)
    conn.create_aggregate("cutover_min", 2, _Min)
    conn.create_aggregate("cutover_max", 2, _Max)
    conn.create_aggregate("cutover_digest_sum", 1, _DigestSum)


# ─────────────────────────────── Types ───────────────────────────────

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
_NUMBER = "(0|[1-9][0-9]*)"  # as Display writes a number: no sign, no 007
_DECIMAL_RE = re.compile(rf"decimal\({_NUMBER},{_NUMBER}\)")
_LENGTH_RE = re.compile(rf"(?:varchar|char)\({_NUMBER}\)")
_MAX_DECIMAL_PRECISION = 38
_U32_MAX = 2**32 - 1


@lru_cache(maxsize=None)
def parse_type(s: str) -> rt.Type | None:
    """The type a name written as `TypeKind`'s Display writes it (`int`,
    `decimal(10,2)`, `varchar(20)`, ...); None for anything else, including
    what `cutover_runtime.parse_type` forgives (`decimal(10, 2)`)."""
    if s in _SIMPLE_TYPES:
        return rt.parse_type(s)
    m = _DECIMAL_RE.fullmatch(s)
    if m:
        precision, scale = int(m.group(1)), int(m.group(2))
        if scale > precision or precision > _MAX_DECIMAL_PRECISION:
            return None
        return rt.parse_type(s)
    m = _LENGTH_RE.fullmatch(s)
    if m and int(m.group(1)) <= _U32_MAX:
        return rt.parse_type(s)
    return None


# ───────────────────────────── Signatures ─────────────────────────────

_ARITH = ("+", "-", "*", "/", "%")
_FIXED_ARITY = {"cast": 1, "compare": 2, "neg": 1, **dict.fromkeys(_ARITH, 2)}
_SCALARS = frozenset(
    [
        "trim",
        "ltrim",
        "rtrim",
        "squish",
        "upper",
        "lower",
        "title",
        "length",
        "substr",
        "lpad",
        "rpad",
        "truncate",
        "replace",
        "split_part",
        "mask",
        "sha256",
        "coalesce",
        "nullif",
        "round",
        "abs",
        "parse_date",
        "parse_timestamp",
        "to_utc",
        "uuid_v5",
    ]
)
# Aggregates have their own functions; `now` is not deterministic and the
# backend never registers it.
_REFUSED = frozenset(["now", "count", "sum", "min", "max"])


class Signature(NamedTuple):
    """A parsed `name:type1;type2->result`."""

    op: str  # "cast", "compare", "neg", an arithmetic symbol or a built-in
    args: tuple[tuple[str, rt.Type], ...]
    result: str


def _debug(s: str) -> str:
    """A string as Rust's `{:?}` shows it (for the common characters)."""
    for c, e in (
        ("\\", "\\\\"),
        ('"', '\\"'),
        ("\n", "\\n"),
        ("\t", "\\t"),
        ("\r", "\\r"),
    ):
        s = s.replace(c, e)
    return f'"{s}"'


@lru_cache(maxsize=None)
def parse_signature(sig: str) -> Signature:
    def bad(why: str) -> Bug:
        return Bug(f"cutover_fn: bad signature {_debug(sig)}: {why}")

    name, colon, rest = sig.partition(":")
    if not colon:
        raise bad("no `:`")
    params, arrow, result = rest.rpartition("->")
    if not arrow:
        raise bad("no `->`")
    if parse_type(result) is None:
        raise bad("unknown result type")
    args = []
    for p in params.split(";") if params else []:
        t = parse_type(p)
        if t is None:
            raise bad(f"unknown type {_debug(p)}")
        args.append((p, t))
    arity = _FIXED_ARITY.get(name)
    if arity is None:
        if name in _REFUSED:
            raise bad("not a registered scalar function")
        if name not in _SCALARS:
            raise bad("unknown function")
    elif arity != len(args):
        raise bad("wrong number of argument types")
    return Signature(name, tuple(args), result)


# ─────────────────────────────── Values ───────────────────────────────


def _decode(v: Any, spelling: str, t: rt.Type) -> Any:
    """An SQLite value stored for a column of type `t`, as the runtime's
    value; Bug when it is not one."""
    try:
        if v is None:
            return None
        if isinstance(v, int):
            if t.name == "bool":
                return v != 0
            if t.is_integer:
                return v
            if t.name == "float":
                return float(v)
            return rt.cast(v, spelling)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise Bug(f"the float {_rust_float(v)} is not finite")
            if t.name == "float":
                return v
            return rt.cast(v, spelling)
        if isinstance(v, str):
            if t.is_text:
                return v
            if t.name == "decimal":
                # A decimal as stored or computed, with its own scale: a
                # value may exceed its static type (`round` to tens carries
                # past the precision), and the store that follows says so,
                # as the evaluator does.
                d = rt._dec_parse(v, None)
                if d is not None:
                    return rt._py_dec(d)
            return rt.cast(v, spelling)
        if isinstance(v, bytes):
            if t.name == "bytes":
                return v
            return rt.cast(v, spelling)
    except rt.Fail as f:
        raise Bug(f"not a {spelling}: {f}") from None
    raise Bug(f"not an SQLite value: {v!r}")


def _encode(v: Any) -> Any:
    """A value in the SQLite column representation."""
    if v is None:
        return None
    if isinstance(v, bool):  # before int: bool is an int in Python
        return int(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    return rt.to_text(v)


def _rust_float(x: float) -> str:
    """Rust's `{}` of an f64, infinities included."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return rt._float_plain(x)


# ───────────────────────────── cutover_fn ─────────────────────────────


def _evaluate(sig: Signature, values: list[Any]) -> Any:
    """The evaluation: raises rt.Fail when the evaluator fails."""
    op = sig.op
    if op == "coalesce":  # the first present value, as it is
        return next((v for v in values if v is not None), None)
    if op == "nullif":
        a = values[0] if values else None
        b = values[1] if len(values) > 1 else None
        return None if rt.compare("==", a, b) is True else a
    a = values[0] if values else None
    if op == "cast":
        return rt.cast(a, sig.result)
    if op == "compare":
        return rt._cmp(a, values[1])
    if op == "neg":
        return rt.negate(a, sig.result)
    if op in _ARITH:
        b = values[1]
        if a is None or b is None:
            return None
        return rt.arith(op, a, b, sig.result)
    return rt.call(op, values, sig.result)


def _run(args: tuple[Any, ...]) -> tuple[Any, str | None]:
    """(value, None), or (None, failure message); Bug for a bug."""
    if not args:
        raise Bug("cutover_fn needs a signature")
    if not isinstance(args[0], str):
        raise Bug("cutover_fn: the signature must be text")
    sig = parse_signature(args[0])
    if len(args) - 1 != len(sig.args):
        raise Bug(
            f"cutover_fn: {len(args) - 1} arguments for a signature of {len(sig.args)}"
        )
    values = []
    for i, (v, (spelling, t)) in enumerate(zip(args[1:], sig.args), start=1):
        try:
            values.append(_decode(v, spelling, t))
        except Bug as b:
            raise Bug(f"cutover_fn: argument {i}: {b}") from None
    try:
        return _evaluate(sig, values), None
    except rt.Fail as f:
        return None, str(f)


def _cutover_fn(*args: Any) -> Any:
    value, failure = _run(args)
    return None if failure is not None else _encode(value)


def _cutover_fn_error(*args: Any) -> str | None:
    return _run(args)[1]


def _cutover_quote(v: Any) -> str | None:
    """Text as a spec literal; other storage classes as `Value::display`
    shows the type stored in them (an integer or a float unquoted, bytes
    as `"\\x..."`)."""
    if v is None:
        return None
    if isinstance(v, str):
        return rt._quote(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _rust_float(v)
    if isinstance(v, bytes):
        return rt._display(v)
    raise Bug(f"cutover_quote: not an SQLite value: {v!r}")


# ───────────────────────────── Aggregates ─────────────────────────────


def _aggregate_type(t: Any, function: str) -> tuple[str, rt.Type]:
    if not isinstance(t, str):
        raise Bug(f"{function}: the type must be text")
    parsed = parse_type(t)
    if parsed is None:
        raise Bug(f"{function}: unknown type {_debug(t)}")
    return t, parsed


class _Sum:
    """`cutover_sum`: the evaluator's `sum`, NULLs skipped, each value cast
    to the result type, then added in the result type; NULL once it fails."""

    name = "cutover_sum"
    error = False

    def __init__(self) -> None:
        self.acc: Any = None
        self.fail: str | None = None

    def step(self, x: Any, t: Any) -> None:
        result, _ = _aggregate_type(t, self.name)
        if self.fail is not None or x is None:
            return
        # The storage class says what the input was: integers and floats
        # as themselves, decimals as canonical text (at their own scale).
        if isinstance(x, str):
            d = rt._dec_parse(x, None)
            if d is None:
                raise Bug(f"{self.name}: {rt._quote(x)} is not a decimal")
            v: Any = rt._py_dec(d)
        elif isinstance(x, bytes):
            raise Bug(f"{self.name}: cannot sum bytes")
        else:
            v = x
        try:
            v = rt.cast(v, result)
            self.acc = v if self.acc is None else rt.arith("+", self.acc, v, result)
        except rt.Fail as f:
            self.acc = None
            self.fail = str(f)

    def finalize(self) -> Any:
        if self.error:
            return self.fail
        return None if self.fail is not None else _encode(self.acc)


class _SumError(_Sum):
    """`cutover_sum_error`: the failure message of `cutover_sum`, or NULL."""

    name = "cutover_sum_error"
    error = True


class _Min:
    """`cutover_min`: the evaluator's `min`, NULLs skipped, the first of
    equal values kept."""

    name = "cutover_min"
    wanted = -1

    def __init__(self) -> None:
        self.best: Any = None

    def step(self, x: Any, t: Any) -> None:
        spelling, parsed = _aggregate_type(t, self.name)
        try:
            v = _decode(x, spelling, parsed)
        except Bug as b:
            raise Bug(f"{self.name}: {b}") from None
        if v is None:
            return
        if self.best is None or rt._cmp(v, self.best) == self.wanted:
            self.best = v

    def finalize(self) -> Any:
        return _encode(self.best)


class _Max(_Min):
    """`cutover_max`: as `cutover_min`, for the greatest value."""

    name = "cutover_max"
    wanted = 1


class _DigestSum:
    """`cutover_digest_sum`: the sum modulo 2^64 of each hex digest's first
    64 bits, as 16 hex digits; NULL over no rows."""

    def __init__(self) -> None:
        self.acc: int | None = None

    def step(self, h: Any) -> None:
        if h is None:
            return
        try:
            bits = int(h[:16], 16) if isinstance(h, str) else None
        except ValueError:
            bits = None
        if bits is None:
            raise Bug("cutover_digest_sum: not a hex digest")
        self.acc = ((self.acc or 0) + bits) % (1 << 64)

    def finalize(self) -> Any:
        return None if self.acc is None else f"{self.acc:016x}"
