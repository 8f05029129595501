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


_NOT_NULL = "NULL in a not-null column"

# The integers each integer type holds (`in` a range is one comparison).
_SMALLINT = range(-(2**15), 2**15)
_INT = range(-(2**31), 2**31)
_BIGINT = range(-(2**63), 2**63)


def _failed(
    rule: str | None, column: str, failure: object, default: bool = False
) -> Reject:
    # The rejection of a row whose value for `column` (or its default) failed.
    what = f"`{column}` default" if default else f"`{column}`"
    return Reject(rule, column, f"{what}: {failure}")


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


class Assign(NamedTuple):
    """How a map fills a target column, in the order it does: the
    assignment (None for a column only its default fills), its rule, and
    what a failure or a NULL in a not-null column gives: `reject` with its
    reason, `otherwise` (the `else`), or the column's `default` (for a
    NULL). The map's row function does the same inline; engine.reference_row
    does it through these functions, and the example tests compare the two."""

    column: str
    compute: Compute | None
    not_null: bool
    rule: str | None
    reject: str | None
    otherwise: Compute | None
    default: Compute | None


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
    assigns: tuple[Assign, ...]


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


def _lookup_table(entries: dict[Any, Any]) -> dict[str, Any]:
    # Keys compare by value, as the evaluator's: 1.50 finds the entry of 1.5.
    # A NULL key finds nothing, so NULL is never a key of the table.
    table = {rt.lookup_key(k): v for k, v in entries.items()}
    table.pop(None, None)
    return table


def _lookup(table: dict, v: Any, name: str) -> Any:
    # A lookup without `else`: a key it lacks, or NULL, fails.
    hit = table.get(rt.lookup_key(v), _MISSING)
    if hit is _MISSING:
        raise rt.lookup_miss(v, name)
    return hit


def _lookup_text(table: dict, v: Any, name: str) -> Any:
    # The same, in a table keyed by its texts as they are.
    hit = table.get(v, _MISSING)
    if hit is _MISSING:
        raise rt.lookup_miss(v, name)
    return hit


def _like(text: Any, pattern: Any) -> bool | None:
    if text is None or pattern is None:
        return None
    return rt.like(text, pattern)


def _concat(a: Any, b: Any) -> str | None:
    if a is None or b is None:
        return None
    return rt.to_text(a) + rt.to_text(b)
