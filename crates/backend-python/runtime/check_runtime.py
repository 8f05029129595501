"""Runs the cases of the runtime's differential test through cutover_runtime
and compares them with the evaluator's results.

    python3 check_runtime.py CASES.json                      check; exit 1 on a mismatch
    python3 check_runtime.py --zones                         the zone names to_utc accepts
    python3 check_runtime.py --unicode-overrides CASES.json  regenerate the case-mapping
                                                             tables of cutover_runtime.py

CASES.json is written by crates/backend-python/tests/runtime.rs:

    {"cases": [{"op": "cast", "args": [["text", " 42 "]], "type": "int",
                "expect": ["Int", "42"]}, ...],
     "unicode": {"upper": [[code, code], ...], "lower": [...],
                 "alnum": [[first, last], ...]}}

An argument is [type, canonical text] (NULL: [type, null]; bytes: the text
whose UTF-8 they are) and is decoded with `cast(text, type)`. A result is
[kind, canonical text], ["Null"], or ["fail", message].
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections import Counter
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cutover_runtime as rt  # noqa: E402

KINDS = {
    "bool": "Bool",
    "int": "Int",
    "decimal": "Decimal",
    "float": "Float",
    "text": "Text",
    "date": "Date",
    "time": "Time",
    "timestamp": "Timestamp",
    "timestamptz": "Timestamptz",
    "uuid": "Uuid",
    "json": "Json",
    "bytes": "Bytes",
}
MAX_SHOWN = 30


def decode(arg: list[Any]) -> Any:
    ty, text = arg
    return None if text is None else rt.cast(text, ty)


def encode(v: Any) -> list[Any]:
    k = rt._kind(v)
    if k == "null":
        return ["Null"]
    if k == "bytes":
        return ["Bytes", bytes(v).hex()]
    if k == "timestamptz" and v.tzinfo is not rt.UTC:
        return ["Timestamptz (not in UTC)", rt.to_text(v)]
    return [KINDS[k], rt.to_text(v)]


def run(case: dict[str, Any]) -> list[Any]:
    op, name, ty = case["op"], case.get("name"), case.get("type")
    args = [decode(a) for a in case["args"]]
    try:
        if op == "cast":
            return encode(rt.cast(args[0], ty))
        if op == "store":
            return encode(rt.store(args[0], ty))
        if op == "call":
            return encode(rt.call(name, args, ty))
        if op == "arith":
            return encode(rt.arith(name, args[0], args[1], ty))
        if op == "negate":
            return encode(rt.negate(args[0], ty))
        if op == "compare":
            return encode(rt.compare(name, args[0], args[1]))
        if op == "like":
            return encode(rt.like(args[0], args[1]))
        if op == "agg":
            return encode(rt.agg(name, args, ty))
        if op == "agg_store":
            return encode(rt.store(rt.agg(name, args, ty), case["store"]))
        if op == "lookup_miss":
            return ["fail", str(rt.lookup_miss(args[0], name))]
        if op == "lookup_key":
            key = rt.lookup_key(args[0])
            return ["Null"] if key is None else ["Key", key]
        if op == "to_text":
            text = rt.to_text(args[0])
            return ["Null"] if text is None else ["Text", text]
    except rt.Fail as f:
        return ["fail", str(f)]
    raise ValueError(f"unknown op {op}")


# Every plane with assigned characters: planes 4–13 are unassigned and
# 15–16 private use, where both sides leave every character alone.
PLANES = [range(0, 0x40000), range(0xE0000, 0xF0000)]


def check_unicode(tables: dict[str, Any]) -> list[str]:
    """Every assigned code point through upper, lower and the alphanumeric
    test, a plane at a time (one call per plane is fast)."""
    upper = {a: b for a, b in tables["upper"]}
    lower = {a: b for a, b in tables["lower"]}
    alnum = set()
    for first, last in tables["alnum"]:
        alnum.update(range(first, last + 1))
    bad = [
        f"U+{o:04X} has a mapping outside the planes checked"
        for o in [*upper, *lower, *alnum]
        if not any(o in plane for plane in PLANES)
    ]
    for plane in PLANES:
        codes = [o for o in plane if not 0xD800 <= o <= 0xDFFF]
        text = "".join(map(chr, codes))
        got_upper = rt.call("upper", [text], "text")
        got_lower = rt.call("lower", [text], "text")
        want_upper = "".join(chr(upper.get(o, o)) for o in codes)
        want_lower = "".join(chr(lower.get(o, o)) for o in codes)
        got_alnum = [rt._is_alnum(c) for c in text]
        if got_upper == want_upper and got_lower == want_lower:
            if all(g == (o in alnum) for o, g in zip(codes, got_alnum)):
                continue
        for i, o in enumerate(codes):
            want = (want_upper[i], want_lower[i], o in alnum)
            got = (got_upper[i], got_lower[i], got_alnum[i])
            if want != got:
                bad.append(
                    f"U+{o:04X}: upper, lower, alphanumeric expected {want!r}, actual {got!r}"
                )
    return bad


def python_only() -> list[str]:
    """What the cases cannot reach: values made in Python rather than decoded
    from text (a decimal with a positive exponent, a timestamptz in another
    zone), and the contract's Python-side promises."""
    import datetime as dt
    from decimal import Decimal

    def fails(f: Any, message: str) -> bool:
        try:
            f()
        except rt.Fail as e:
            return str(e) == message
        return False

    est = dt.timezone(dt.timedelta(hours=-5))
    checks = {
        "Decimal('1E+3') is 1000": rt.to_text(Decimal("1E+3")) == "1000",
        "no negative zero": rt.to_text(Decimal("-0.00")) == "0.00",
        "a timestamptz in another zone is its instant": (
            rt.to_text(dt.datetime(2024, 3, 1, 9, tzinfo=est))
            == "2024-03-01 14:00:00+00"
        ),
        "timestamptz values are in UTC": (
            rt.cast("2024-03-01 09:00-05", "timestamptz").tzinfo is dt.timezone.utc
        ),
        "a JSON null is not NULL": rt.cast(" null ", "json") == rt.Json(None),
        "decimals keep their scale": str(rt.cast("2.5", "decimal(5, 2)")) == "2.50",
        "both spellings of a type": rt.parse_type("decimal(12, 2)")
        == rt.parse_type("decimal(12,2)"),
        "store refuses NULL": fails(
            lambda: rt.store(None, "int not null"), "NULL in a not-null column"
        ),
        "a lookup miss": str(rt.lookup_miss(1.5, "codes"))
        == "1.5 is not a key of lookup `codes`",
    }
    return [
        f"python-only check failed: {name}" for name, ok in checks.items() if not ok
    ]


def check(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    mismatches = []
    for i, case in enumerate(data["cases"]):
        try:
            actual = run(case)
        except Exception:  # a crash is a mismatch too, with its cause
            actual = ["exception", traceback.format_exc(limit=3).strip()]
        if actual != case["expect"]:
            mismatches.append((i, case, actual))
    others = check_unicode(data["unicode"]) if "unicode" in data else []
    others += python_only()
    for i, case, actual in mismatches[:MAX_SHOWN]:
        shown = {k: v for k, v in case.items() if k != "expect"}
        print(f"case {i}: {json.dumps(shown, ensure_ascii=False)}")
        print(f"  expected {json.dumps(case['expect'], ensure_ascii=False)}")
        print(f"  actual   {json.dumps(actual, ensure_ascii=False)}")
    for line in others[:MAX_SHOWN]:
        print(line)
    if mismatches:
        by_op = Counter(
            case["op"] + (f" {case['name']}" if case["op"] == "call" else "")
            for _, case, _ in mismatches
        )
        print("mismatches: " + ", ".join(f"{op} {n}" for op, n in by_op.most_common()))
    total = len(data["cases"])
    rest = (
        f"{len(others)} other checks fail"
        if others
        else "so do every code point and check"
    )
    print(f"{total - len(mismatches)} of {total} cases agree; {rest}")
    return 1 if mismatches or others else 0


def ranges(codes: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for o in codes:
        if out and out[-1][1] == o - 1:
            out[-1] = (out[-1][0], o)
        else:
            out.append((o, o))
    return out


def unicode_overrides(path: str) -> int:
    """Prints the override tables: where Python's own case mapping and
    letter/number categories differ from the evaluator's."""
    with open(path, encoding="utf-8") as f:
        tables = json.load(f)["unicode"]
    upper = {a: b for a, b in tables["upper"]}
    lower = {a: b for a, b in tables["lower"]}
    alnum = set()
    for first, last in tables["alnum"]:
        alnum.update(range(first, last + 1))
    up_extra, low_extra, yes, no = {}, {}, [], []
    for o in range(0x110000):
        if 0xD800 <= o <= 0xDFFF:
            continue
        c = chr(o)
        u, lo = c.upper(), c.lower()
        if chr(upper.get(o, o)) != (u if len(u) == 1 else c):
            up_extra[o] = upper.get(o, o)
        if chr(lower.get(o, o)) != (lo if len(lo) == 1 else c):
            low_extra[o] = lower.get(o, o)
        python = rt.unicodedata.category(c)[0] in "LN"
        if (o in alnum) != python:
            (yes if o in alnum else no).append(o)

    def lines(items: list[str]) -> None:
        for i in range(0, len(items), 8):
            print("    " + " ".join(items[i : i + 8]))

    def mapping(name: str, table: dict[int, int]) -> None:
        print(f'{name} = _pairs("""')
        lines([f"{a:04X}:{b:04X}" for a, b in sorted(table.items())])
        print('""")')

    def spans(name: str, codes: list[int]) -> None:
        print(f'{name} = _ranges("""')
        lines([f"{a:04X}" if a == b else f"{a:04X}-{b:04X}" for a, b in ranges(codes)])
        print('""")')

    mapping("_UPPER_EXTRA", up_extra)
    mapping("_LOWER_EXTRA", low_extra)
    spans("_ALNUM_YES", yes)
    spans("_ALNUM_NO", no)
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["--zones"]:
        print("\n".join(sorted(rt._zone_names())))
        return 0
    if len(argv) == 3 and argv[1] == "--unicode-overrides":
        return unicode_overrides(argv[2])
    if len(argv) == 2:
        return check(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
