Row = dict[str, Any]
Compute = Callable[[Any, Any], Any]

_MISSING = object()


class Reject(Exception):
    """A source row the map refuses: its rule, column and reason."""

    def __init__(self, rule: str | None, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.column = column
        self.reason = reason


class _StoreFailed(Exception):
    def __init__(self, message: str, null: bool = False) -> None:
        super().__init__(message)
        self.null = null


class Join(NamedTuple):
    """How a joined source matches: `on` over the row so far plus the
    candidate; for `a == b` on columns, `probe` computes the value looked up
    in column `build` of the joined rows."""

    left: bool
    on: Compute
    probe: Compute | None
    build: str | None


class Source(NamedTuple):
    system: str
    table: str
    # "" for the first source; "alias." for joined ones (row keys).
    prefix: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    join: Join | None


class Map(NamedTuple):
    name: str
    sources: tuple[Source, ...]
    where: Compute | None
    group_by: tuple[Compute, ...]
    # Row (or group) → target row in column order; raises Reject.
    row: Compute
    target: tuple[str, str]
    columns: tuple[str, ...]
    types: tuple[str, ...]
    # Columns of the first source that identify a source row.
    source_key: tuple[str, ...]


def _truth(v: Any) -> bool | None:
    return v if isinstance(v, bool) else None


def _and3(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or3(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _not3(a: bool | None) -> bool | None:
    return None if a is None else not a


def _in3(v: Any, items: tuple[Any, ...]) -> bool | None:
    result: bool | None = False
    for item in items:
        hit = rt.compare("==", v, item)
        if hit is True:
            return True
        if hit is None:
            result = None
    return result


def _lookup_table(entries: dict[Any, Any]) -> dict[str | None, Any]:
    # Keys compare by value, as the evaluator's: 1.50 finds the entry of 1.5.
    return {rt.lookup_key(k): v for k, v in entries.items()}


def _lookup(table: dict, v: Any, name: str, otherwise: Any = _MISSING) -> Any:
    k = rt.lookup_key(v)
    if k is not None:
        hit = table.get(k, _MISSING)
        if hit is not _MISSING:
            return hit
    if otherwise is not _MISSING:
        return otherwise
    raise rt.lookup_miss(v, name)


def _like(text: Any, pattern: Any) -> bool | None:
    if text is None or pattern is None:
        return None
    return rt.like(text, pattern)


def _concat(a: Any, b: Any) -> str | None:
    if a is None or b is None:
        return None
    return rt.to_text(a) + rt.to_text(b)


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


def _assign(
    compute: Compute,
    row: Any,
    now: Any,
    to: str,
    not_null: bool,
    rule: str | None,
    column: str,
    reject: str | None = None,
    otherwise: Compute | None = None,
    default: Compute | None = None,
) -> Any:
    # An assignment with its `else`, or the column's default for a NULL.
    try:
        return _store(compute, row, now, to, not_null)
    except _StoreFailed as f:
        if reject is not None:
            raise Reject(rule, column, reject) from None
        fallback = otherwise
        if fallback is None:
            if not (f.null and default is not None):
                raise Reject(rule, column, f"`{column}`: {f}") from None
            fallback = default
    try:
        return _store(fallback, row, now, to, not_null)
    except _StoreFailed as g:
        raise Reject(rule, column, f"`{column}`: {g}") from None


def _fill(
    default: Compute, row: Any, now: Any, to: str, not_null: bool, column: str
) -> Any:
    # The default of a column no assignment sets.
    try:
        return _store(default, row, now, to, not_null)
    except _StoreFailed as f:
        raise Reject(None, column, f"`{column}` default: {f}") from None
