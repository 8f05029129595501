"""Runs a map of transforms.MAPS over rows, as the reference evaluator does.

Joins, `where`, `group by`, and the bookkeeping that loses no row: every
row of the map's first source ends up in a target row, in `rejected` (with
rule, column and reason), or in `left_out` (by the spec's own `where`, or
an inner join without a match). This is crates/eval/src/map.rs in Python;
the generated transforms compute the values.

Standard library only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from . import cutover_runtime as rt
from .transforms import Assign, Compute, Map, Reject, Row


class Rejection(NamedTuple):
    """A source row the map refused: its index in the first source's rows."""

    row: int
    rule: str | None
    column: str | None
    reason: str


class Output(NamedTuple):
    rows: list[tuple[Any, ...]]
    # For each target row, the indexes of the source rows it was made from.
    sources: list[list[int]]
    rejected: list[Rejection]
    # (index, "where" | "no join match")
    left_out: list[tuple[int, str]]


def complete(m: Map, source: int, values: dict[str, Any]) -> Row:
    """A row of source `source` with every column, NULL where not given."""
    s = m.sources[source]
    return {f"{s.prefix}{c}": values.get(c) for c in s.columns}


class Joins:
    """The joined sources of a map, indexed once for every batch of rows."""

    def __init__(self, m: Map, inputs: Sequence[Sequence[Row]]) -> None:
        self.m = m
        self.inputs = [list(rows) for rows in inputs]
        self.indexes: list[dict[str, list[int]] | None] = []
        for j, s in enumerate(m.sources):
            if j == 0 or s.join is None or s.join.build is None:
                self.indexes.append(None)
                continue
            index: dict[str, list[int]] = {}
            rows = self.inputs[j] if j < len(self.inputs) else []
            for r, row in enumerate(rows):
                k = rt.lookup_key(row.get(s.join.build))
                if k is not None:
                    index.setdefault(k, []).append(r)
            self.indexes.append(index)

    def rows(self, j: int) -> list[Row]:
        return self.inputs[j] if j < len(self.inputs) else []

    def expand(self, row: Row, now: datetime.datetime) -> list[Row]:
        """Every joined row the first source's `row` gives."""
        partial = [row]
        for j, s in enumerate(self.m.sources):
            if j == 0 or s.join is None:
                continue
            join = s.join
            nulls = {f"{s.prefix}{c}": None for c in s.columns}
            following: list[Row] = []
            for p in partial:
                index = self.indexes[j]
                if index is not None and join.probe is not None:
                    try:
                        k = rt.lookup_key(join.probe(p, now))
                    except rt.Fail:
                        k = None
                    candidates = index.get(k, []) if k is not None else []
                else:
                    candidates = range(len(self.rows(j)))
                matched = False
                for r in candidates:
                    candidate = {**p, **self.rows(j)[r]}
                    # A failing `on` matches nothing.
                    try:
                        hit = join.on(candidate, now)
                    except rt.Fail:
                        hit = None
                    if hit is True:
                        matched = True
                        following.append(candidate)
                if not matched and join.left:
                    following.append({**p, **nulls})
            partial = following
        return partial


def run_map(
    m: Map,
    inputs: Sequence[Iterable[Row]],
    now: datetime.datetime,
    joins: Joins | None = None,
    first: int = 0,
) -> Output:
    """Runs `m` over `inputs`, one list of rows per source (each row with
    every column of its source, joined ones keyed `alias.column`). Rows of
    the first source are numbered from `first`. For a grouped map the
    first source's rows must all be in this call."""
    out = Output([], [], [], [])
    if joins is None:
        joins = Joins(m, [[]] + [list(rows) for rows in inputs[1:]])
    joined: list[tuple[int, Row]] = []
    for i, row in enumerate(inputs[0], start=first):
        expanded = joins.expand(row, now) if len(m.sources) > 1 else [row]
        if not expanded:
            out.left_out.append((i, "no join match"))
        for r in expanded:
            joined.append((i, r))
    if m.where is not None:
        kept: list[tuple[int, Row]] = []
        decided: set[int] = {i for i, _ in out.left_out}
        for i, row in joined:
            try:
                if m.where(row, now) is True:
                    kept.append((i, row))
                    decided.add(i)
            except rt.Fail as f:
                out.rejected.append(Rejection(i, None, None, f"where: {f}"))
                decided.add(i)
        # A row none of whose joined rows passed, and none failed.
        for i in sorted({i for i, _ in joined} - decided):
            out.left_out.append((i, "where"))
        joined = kept
    if not m.group_by:
        for i, row in joined:
            try:
                out.rows.append(m.row(row, now))
                out.sources.append([i])
            except Reject as r:
                out.rejected.append(Rejection(i, r.rule, r.column, r.reason))
        return out
    # Groups in order of first appearance; NULL keys group together.
    groups: dict[tuple[str | None, ...], list[tuple[int, Row]]] = {}
    for i, row in joined:
        key: list[str | None] = []
        failed: rt.Fail | None = None
        for g in m.group_by:
            try:
                key.append(rt.lookup_key(g(row, now)))
            except rt.Fail as f:
                failed = f
        if failed is not None:
            out.rejected.append(Rejection(i, None, None, f"group by: {failed}"))
            continue
        groups.setdefault(tuple(key), []).append((i, row))
    for members in groups.values():
        try:
            out.rows.append(m.row([r for _, r in members], now))
            out.sources.append([i for i, _ in members])
        except Reject as r:
            for i, _ in members:
                out.rejected.append(Rejection(i, r.rule, r.column, r.reason))
    return out


# ──────────────────── The reference row function ────────────────────
#
# What every map's row function does inline, done through the functions of
# each assignment (Map.assigns): the evaluator's `target_row`.


class _StoreFailed(Exception):
    def __init__(self, message: str, null: bool = False) -> None:
        super().__init__(message)
        self.null = null


def _store(compute: Compute, row: Any, now: Any, to: str, not_null: bool) -> Any:
    # The evaluator's store: compute, convert to the column's type, and
    # refuse NULL in a not-null column (a default may then fill it).
    try:
        v = rt.cast(compute(row, now), to)
    except rt.Fail as f:
        raise _StoreFailed(str(f)) from None
    if v is None and not_null:
        raise _StoreFailed("NULL in a not-null column", null=True)
    return v


def _assign(a: Assign, compute: Compute, row: Any, now: Any, to: str) -> Any:
    # An assignment with its `else`, or the column's default for a NULL.
    try:
        return _store(compute, row, now, to, a.not_null)
    except _StoreFailed as f:
        if a.reject is not None:
            raise Reject(a.rule, a.column, a.reject) from None
        fallback = a.otherwise
        if fallback is None:
            if not (f.null and a.default is not None):
                raise Reject(a.rule, a.column, f"`{a.column}`: {f}") from None
            fallback = a.default
    try:
        return _store(fallback, row, now, to, a.not_null)
    except _StoreFailed as g:
        raise Reject(a.rule, a.column, f"`{a.column}`: {g}") from None


def reference_row(m: Map, row: Any, now: datetime.datetime) -> tuple[Any, ...]:
    """The target row of `row` (a group for a grouped map), or Reject."""
    values: list[Any] = [None] * len(m.columns)
    for a in m.assigns:
        i = m.columns.index(a.column)
        if a.compute is not None:
            values[i] = _assign(a, a.compute, row, now, m.types[i])
        elif a.default is not None:
            try:
                values[i] = _store(a.default, row, now, m.types[i], a.not_null)
            except _StoreFailed as f:
                raise Reject(None, a.column, f"`{a.column}` default: {f}") from None
    return tuple(values)


def reference(m: Map) -> Map:
    """`m` with reference_row as its row function."""
    return m._replace(row=lambda row, now: reference_row(m, row, now))


# ───────────────────────────── Examples ─────────────────────────────


def _identical(a: Any, b: Any) -> bool:
    # Equal, of the same type (1 is not 1.0, Decimal 1.5 is not 1.50).
    if type(a) is not type(b):
        return False
    return a == b and repr(a) == repr(b) or (a != a and b != b)


def run_example(
    m: Map, inputs: Sequence[Iterable[Row]], now: datetime.datetime
) -> Output:
    """run_map, checked against the same run through reference_row: the
    same rows, value for value, and the same rejections."""
    inputs = [list(rows) for rows in inputs]
    out = run_map(m, inputs, now)
    ref = run_map(reference(m), inputs, now)
    same = (
        out.sources == ref.sources
        and out.rejected == ref.rejected
        and out.left_out == ref.left_out
        and len(out.rows) == len(ref.rows)
        and all(
            len(a) == len(b) and all(map(_identical, a, b))
            for a, b in zip(out.rows, ref.rows)
        )
    )
    if not same:
        raise AssertionError(
            f"map {m.name}: its row function and the functions of its"
            f" assignments disagree:\n{_show(m, out)}\n---\n{_show(m, ref)}"
        )
    return out


def _same(expected: Any, actual: Any) -> bool:
    """As the evaluator compares an example's value: floats to 15
    significant digits, everything else by value."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, float) and isinstance(actual, float):
        return f"{expected:.14e}" == f"{actual:.14e}"
    return rt.compare("==", expected, actual) is True


def _fits(m: Map, want: dict[str, Any], row: tuple[Any, ...]) -> bool:
    return all(_same(v, row[m.columns.index(c)]) for c, v in want.items())


def _matching(fits: list[list[int]], right: int) -> bool:
    owner: list[int | None] = [None] * right

    def augment(left: int, seen: list[bool]) -> bool:
        for r in fits[left]:
            if not seen[r]:
                seen[r] = True
                o = owner[r]
                if o is None or augment(o, seen):
                    owner[r] = left
                    return True
        return False

    return all(augment(left, [False] * right) for left in range(len(fits)))


def _show(m: Map, out: Output) -> str:
    lines = []
    for row in out.rows:
        lines.append(
            "{ "
            + ", ".join(f"{c}: {rt.to_text(v)}" for c, v in zip(m.columns, row))
            + " }"
        )
    for r in out.rejected:
        lines.append(f"reject {r.rule or ''} {r.reason!r} (computing {r.column})")
    return "\n".join(lines) or "(nothing)"


def check_rows(m: Map, out: Output, expect: list[dict[str, Any]]) -> None:
    """The rows the example expects (only the columns it names), in order
    or in any order; no rejection."""
    if out.rejected or len(out.rows) != len(expect):
        raise AssertionError(f"expected {len(expect)} rows, got:\n{_show(m, out)}")
    if all(_fits(m, w, a) for w, a in zip(expect, out.rows)):
        return
    fits = [[i for i, a in enumerate(out.rows) if _fits(m, w, a)] for w in expect]
    if not _matching(fits, len(out.rows)):
        raise AssertionError(f"the rows differ from {expect!r}:\n{_show(m, out)}")


def check_reject(m: Map, out: Output, reason: str, rule: str | None) -> None:
    """Every row rejected, with this reason (and rule, when given)."""
    ok = (
        not out.rows
        and out.rejected
        and all(
            r.reason == reason and (rule is None or r.rule == rule)
            for r in out.rejected
        )
    )
    if not ok:
        raise AssertionError(f"expected reject {reason!r}, got:\n{_show(m, out)}")
