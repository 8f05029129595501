# Structure shared by every generated transforms module: three-valued
# logic, lookups and the store of a value into its column. What values mean
# (casts, functions, comparison) is `cutover_runtime`'s, the Python form of
# docs/functions.md.

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


def _in3(v: Any, items: tuple) -> bool | None:
    # Items after the first match are not evaluated, as in the evaluator.
    result: bool | None = False
    for item in items:
        hit = rt.compare("==", v, item())
        if hit is True:
            return True
        if hit is None:
            result = None
    return result


def _key(v: Any) -> Any:
    # Lookup keys compare by value: 1.50 finds the entry of 1.5.
    if v is None:
        return None
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, decimal.Decimal)):
        return ("n", decimal.Decimal(v).normalize())
    return ("t", rt.to_text(v))


def _lookup(table: dict, v: Any, name: str, otherwise: Any = _MISSING) -> Any:
    k = _key(v)
    if k is not None and k in table:
        return table[k]
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


def _store(value: Callable[[], Any], to: str, not_null: bool) -> Any:
    # The evaluator's store: compute, convert to the column's type, and
    # refuse NULL in a not-null column (a default may then fill it).
    try:
        v = rt.cast(value(), to)
    except rt.Fail as f:
        raise _StoreFailed(str(f)) from None
    if v is None and not_null:
        raise _StoreFailed("NULL in a not-null column", null=True)
    return v
