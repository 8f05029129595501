"""The migration's runner: `python -m <package> --source URL --target URL`.

Streams the source rows in batches, applies the maps (transforms.py) in
foreign-key order, writes the target (COPY on PostgreSQL, executemany on
SQLite), sends every row a rule refuses to the quarantine with its reason
and keeps going, evaluates the gates, and runs the rollback when a trigger
fires. Progress (rows, rows/s, ETA) goes to stderr.

URLs (only from the arguments or the environment, CUTOVER_SOURCE and
CUTOVER_TARGET; never from the spec or this package):

    postgresql://user@host:port/db    psycopg 3 (pip install "psycopg[binary]")
    sqlite:///path/to/file.sqlite     the standard library's sqlite3

A SQLite source file holds the source system's tables (`legacy` in the
spec reads the file's tables); more source systems are attached with
`?name=path`. A SQLite target file holds Cutover's own tables (batches,
quarantine, snapshots); each target system lives in a file beside it,
`file.<system>.sqlite`, unless given as `?name=path`.

The load runs as the SQL backend's 30_load.sql does, with the same
bookkeeping: a batch row, the rollback's snapshot, rows already loaded or
already quarantined skipped, a row whose foreign key has no parent
quarantined. Unlike the one-transaction script, it commits every batch,
so a run stopped part-way leaves its rows behind: run the rollback
(`--rollback`, or 90_rollback.sql) to put the target back.

A map with `batch N by col` is read in chunks of N keys, each committed
with its row in the checkpoints table 30_load.sql writes: a run stopped or
killed part-way, run again, resumes in the same batch after the last
checkpoint. The watermarks of `incremental` maps are recorded before any
row is read; `--sync` then runs one sync as 32_sync.sql does (the changed
rows computed here, applied by the SQL backend's own statements in one
target transaction) and `--sync-rollback` undoes the newest sync
(91_sync_rollback.sql): run it once per sync, before `--rollback`.

Exit codes: 0 loaded (or synced) and every blocking check passed; 1 a
blocking check failed (and the rollback ran if a trigger fired), or a sync
failed and changed nothing; 2 bad arguments or input.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import hashlib
import json
import os
import sqlite3
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import cutover_runtime as rt
from .cutover_sqlite import register
from .engine import Joins, Output, Rejection, run_map
from . import transforms
from .transforms import MAPS, Compute, Map, Row, Source

PLAN: dict[str, Any] = json.loads(
    (Path(__file__).parent / "plan.json").read_text("utf-8")
)

UTC = datetime.timezone.utc

# The soft-delete flags of `incremental … deletes when` maps (transforms.py
# defines them only when the spec has one).
DELETED: dict[str, Compute] = getattr(transforms, "DELETED", {})


class InputError(Exception):
    """Bad arguments or input: exit code 2."""


# ───────────────────────────── Connections ─────────────────────────────


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Db:
    """A connection and what lives in it."""

    def __init__(self, url: str, role: str) -> None:
        self.url = url
        self.role = role
        self.systems: set[str] = set()
        parsed = urllib.parse.urlsplit(url)
        mine = [s for s, r in PLAN["systems"] if r == role]
        extra = dict(urllib.parse.parse_qsl(parsed.query))
        if parsed.scheme in ("postgres", "postgresql"):
            self.dialect = "postgres"
            try:
                import psycopg
            except ImportError:
                raise InputError(
                    'PostgreSQL needs psycopg 3: pip install "psycopg[binary]"'
                ) from None
            try:
                self.conn: Any = psycopg.connect(url, autocommit=True)
            except psycopg.Error as e:
                raise InputError(f"cannot connect to the {role}: {e}") from None
            # JSON as its text, not parsed.
            from psycopg.types.string import TextLoader

            for name in ("json", "jsonb"):
                self.conn.adapters.register_loader(name, TextLoader)
            for s in PLAN["dialects"]["postgres"]["session"]:
                self.conn.execute(s.replace("SET LOCAL", "SET"))
            if role == "source":
                self.conn.execute("SET default_transaction_read_only = on")
            self.systems.update(mine)
        elif parsed.scheme == "sqlite":
            self.dialect = "sqlite"
            path = urllib.parse.unquote(parsed.path)
            if parsed.netloc:
                path = parsed.netloc + path
            if not path:
                raise InputError(f"{url}: no file in the SQLite URL")
            if role == "source":
                if not Path(path).is_file():
                    raise InputError(f"{path}: no such SQLite file")
                self.conn = sqlite3.connect(":memory:", uri=True, isolation_level=None)
                register(self.conn)
                for i, s in enumerate(mine):
                    file = path if i == 0 else extra.get(s)
                    if file is None:
                        raise InputError(
                            f"give the file of source system {s} as ?{s}=PATH"
                        )
                    self.attach_read_only(s, file)
            else:
                self.conn = sqlite3.connect(path, isolation_level=None)
                register(self.conn)
                stem = str(Path(path).with_suffix(""))
                for s in mine:
                    file = extra.get(s, f"{stem}.{s}.sqlite")
                    self.conn.execute(f"ATTACH DATABASE ? AS {_quote(s)}", (file,))
                    self.systems.add(s)
        else:
            raise InputError(f"{url}: use postgresql://… or sqlite:///…")

    def attach_read_only(self, system: str, file: str) -> None:
        uri = "file:" + urllib.parse.quote(str(Path(file).resolve())) + "?mode=ro"
        self.conn.execute(f"ATTACH DATABASE ? AS {_quote(system)}", (uri,))
        self.systems.add(system)

    def table(self, path: str) -> str:
        system, name = path.split(".", 1)
        return f"{_quote(system)}.{_quote(name)}"

    def meta(self, name: str) -> str:
        if self.dialect == "postgres":
            return f'"cutover".{_quote(name)}'
        return f'"main".{_quote("cutover_" + name)}'

    def script(self, sql: str) -> None:
        """A script with its own BEGIN and COMMIT."""
        if self.dialect == "sqlite":
            self.conn.executescript(sql)
        else:
            self.conn.execute(sql)

    def statements(self, sql: str) -> None:
        """Statements inside the current transaction, one at a time."""
        if self.dialect == "postgres":
            self.conn.execute(sql)
            return
        buf = ""
        for line in sql.splitlines(keepends=True):
            buf += line
            if sqlite3.complete_statement(buf):
                self.conn.execute(buf)
                buf = ""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.dialect == "postgres":
            with self.conn.cursor() as cur:
                # Without parameters, `%` in the SQL is not a placeholder.
                cur.execute(sql, params or None)
                return cur.fetchall() if cur.description is not None else []
        if params:
            sql = sql.replace("%s", "?")
        return self.conn.execute(sql, params).fetchall()

    def begin(self) -> None:
        self.conn.execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def stream(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        if self.dialect == "postgres":
            # A server-side cursor needs a transaction.
            with self.conn.transaction():
                with self.conn.cursor(name="cutover_source") as cur:
                    cur.itersize = size
                    cur.execute(sql)
                    while batch := cur.fetchmany(size):
                        yield batch
        else:
            cur = self.conn.execute(sql)
            while batch := cur.fetchmany(size):
                yield batch

    def insert_rows(
        self, table: str, names: list[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Rows into `table` (quoted) under the quoted column `names`:
        COPY on PostgreSQL, executemany on SQLite."""
        cols = ", ".join(names)
        if self.dialect == "postgres":
            with self.conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in names)
            self.conn.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows
            )

    def close(self) -> None:
        self.conn.close()


# ─────────────────────────── Values in and out ───────────────────────────


def decode(v: Any, ty: str, dialect: str) -> Any:
    """A value as the database returns it, as the runtime's value."""
    if v is None:
        return None
    t = rt.parse_type(ty)
    if dialect == "sqlite":
        if isinstance(v, int) and not isinstance(v, bool):
            if t.name == "bool":
                return v != 0
            if t.is_integer:
                return v
            if t.name == "float":
                return float(v)
        if isinstance(v, float) and t.name == "float":
            return v
        if isinstance(v, str) and t.is_text:
            return v
        if isinstance(v, bytes) and t.name == "bytes":
            return v
        return rt.cast(v, ty)
    if isinstance(v, memoryview):
        v = bytes(v)
    if isinstance(v, str) and t.is_text:
        return v
    if t.name == "timestamptz" and isinstance(v, datetime.datetime):
        return v.astimezone(UTC)
    if t.name == "json":
        return rt.cast(v, "json")
    return rt.cast(v, ty)


def encode(v: Any, dialect: str) -> Any:
    """A runtime value as the target stores it: SQLite's storage classes;
    for PostgreSQL, what COPY turns into the column's type: its text, or
    the value itself where psycopg writes that text."""
    if v is None:
        return None
    if dialect == "sqlite":
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, (int, float, str, bytes)):
            return v
        return rt.to_text(v)
    if isinstance(v, (bytes, bytearray)):
        return "\\x" + bytes(v).hex()
    if type(v) in _PSYCOPG_DUMPS:
        # psycopg's own text for these parses back to the same value (a
        # float's shortest repr, a decimal's digits at its scale, ISO
        # dates and times, a timestamptz with its +00:00).
        return v
    return rt.to_text(v)


_PSYCOPG_DUMPS = frozenset(
    [
        str,
        int,
        float,
        decimal.Decimal,
        datetime.date,
        datetime.datetime,
        datetime.time,
        uuid.UUID,
    ]
)


def decoder(ty: str, dialect: str) -> Callable[[Any], Any]:
    """decode for one column type: what the database already gives in the
    runtime's form (a text, an SQLite integer) passes at once."""
    t = rt.parse_type(ty)
    same: type | None = None
    if t.is_text:
        same = str
    elif dialect == "sqlite" and t.is_integer:
        same = int
    elif dialect == "sqlite" and t.name == "float":
        same = float

    parse = dialect == "sqlite" and not t.is_text

    def one(v: Any) -> Any:
        if v is None or type(v) is same:
            return v
        if parse and type(v) is str:  # SQLite's text of a date, a decimal, …
            return rt.cast(v, ty)
        return decode(v, ty, dialect)

    return one


# Target keys and foreign keys are compared as tuples of runtime values:
# values of a column's type (or of types that compare, as int and bigint,
# or two decimals) are equal in Python exactly when they are in Cutover.


def key_of(values: Sequence[Any]) -> tuple[str | None, ...]:
    return tuple(rt.lookup_key(v) for v in values)


def source_key(m: Map, row: Row) -> str | None:
    if not m.source_key:
        return None
    return ",".join(rt.to_text(row[c]) or "" for c in m.source_key)


def source_json(m: Map, row: Row) -> str:
    s = m.sources[0]
    out = {}
    for c in s.columns:
        v = row.get(c)
        out[c] = (
            v if isinstance(v, (int, float, str, bool)) or v is None else rt.to_text(v)
        )
    return json.dumps(out, ensure_ascii=False, default=str)


# ─────────────────────────────── Progress ───────────────────────────────


class Progress:
    def __init__(self, name: str, total: int, quiet: bool) -> None:
        self.name = name
        self.total = total
        self.quiet = quiet
        self.start = time.monotonic()
        # Nothing for a map that takes less than a second.
        self.last = self.start
        self.done = 0

    def update(self, n: int, final: bool = False) -> None:
        self.done += n
        now = time.monotonic()
        if self.quiet or now - self.last < 1.0:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = max(self.total - self.done, 0)
        eta = f"{left / rate:.0f}s" if rate > 0 and not final else "-"
        print(
            f"  {self.name}: {self.done:,}/{self.total:,} rows, {rate:,.0f} rows/s, ETA {eta}",
            file=sys.stderr,
        )


# ──────────────────────────────── Loading ────────────────────────────────


class Runner:
    def __init__(self, source: Db, target: Db, batch_size: int, quiet: bool) -> None:
        self.source = source
        self.target = target
        self.batch_size = batch_size
        self.quiet = quiet
        self.report: dict[str, Any] = {"maps": {}, "checks": [], "triggers": []}
        # Set by load(); the preflight runs before there is a batch.
        self.batch = 0
        self.now = datetime.datetime.now(UTC)
        # Gates with a failed blocking check, for the triggers.
        self.failed_gates: set[str] = set()

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr)

    def read_all(self, m: Map, j: int) -> list[Row]:
        s = m.sources[j]
        rows: list[Row] = []
        for batch in self.read(s.system, s.table, s.columns, s.types):
            for r in batch:
                rows.append({f"{s.prefix}{c}": v for c, v in zip(s.columns, r)})
        return rows

    def joins(self, m: Map) -> Joins:
        """The joined sources of `m`, read whole and indexed once."""
        return Joins(m, [[]] + [self.read_all(m, j) for j in range(1, len(m.sources))])

    def read(
        self, system: str, table: str, columns: Sequence[str], types: Sequence[str]
    ) -> Iterator[list[list[Any]]]:
        db = self.source
        cols = ", ".join(_quote(c) for c in columns)
        sql = f"SELECT {cols} FROM {db.table(system + '.' + table)}"
        decoders = [decoder(t, db.dialect) for t in types]
        try:
            for batch in db.stream(sql, self.batch_size):
                yield [[d(v) for d, v in zip(decoders, r)] for r in batch]
        except Exception as e:  # the driver's own error types differ
            if "no such table" in str(e) or "does not exist" in str(e):
                raise InputError(f"source table {system}.{table}: {e}") from None
            raise

    def load(self) -> None:
        t = self.target
        self.now = _clock()
        t.begin()
        (last,) = t.rows(f"SELECT COALESCE(max(batch_id), 0) FROM {t.meta('batches')}")[
            0
        ]
        chunked = [n for n in PLAN["order"] if PLAN["maps"][n]["batch"]]
        resumed = (
            t.rows(
                f"SELECT started_at FROM {t.meta('batches')} WHERE batch_id = %s"
                " AND spec_sha256 = %s AND status = 'loading'",
                (int(last), PLAN["spec_sha256"]),
            )
            if chunked
            else []
        )
        if resumed:
            # A chunked load of this spec stopped part-way: it resumes in
            # its batch, with its clock, after each map's last checkpoint.
            self.batch = int(last)
            self.now = decode(resumed[0][0], "timestamptz", t.dialect)
            self.say(f"resuming batch {self.batch}")
        else:
            self.new_batch(int(last) + 1, "loading")
        if PLAN["strategy"] == "restore_snapshot":
            t.statements(PLAN["dialects"][t.dialect]["snapshot"])
        for name in chunked:
            # Chunk 0: whether the target held rows before this batch, once.
            if not t.rows(
                f"SELECT 1 FROM {t.meta('checkpoints')}"
                " WHERE batch_id = %s AND map_name = %s AND chunk = 0",
                (self.batch, name),
            ):
                held = t.rows(
                    f"SELECT 1 FROM {t.table(PLAN['maps'][name]['target_table'])} LIMIT 1"
                )
                self.checkpoint(name, 0, "", len(held))
        self.record_watermarks()
        t.commit()
        for name in PLAN["order"]:
            self.load_map(name)
        t.begin()
        t.rows(
            f"UPDATE {t.meta('batches')} SET status = 'loaded', finished_at = %s"
            " WHERE batch_id = %s",
            (rt.to_text(datetime.datetime.now(UTC)), self.batch),
        )
        t.commit()

    def load_map(self, name: str) -> None:
        m = MAPS[name]
        info = PLAN["maps"][name]
        t = self.target
        target_path = f"{m.target[0]}.{m.target[1]}"
        first = m.sources[0]
        (total,) = self.source.rows(
            f"SELECT count(*) FROM {self.source.table(first.system + '.' + first.table)}"
        )[0]
        progress = Progress(name, int(total), self.quiet)
        counts = {"read": 0, "loaded": 0, "rejected": 0, "left_out": 0, "skipped": 0}
        if not total:
            # Nothing to read (the source is frozen for the load): no keys
            # to fetch from the target, no joined source to index.
            self.report["maps"][name] = {**counts, "top_reasons": []}
            self.say(f"map {name}: read 0 (the source table is empty)")
            return
        # Already loaded (by target key) or already quarantined: skipped.
        # A chunk of a batched map never reads a row this batch loaded (it
        # starts after the last checkpoint), so there only other batches'
        # rows count, and a key repeated within the batch fails as in a
        # one-shot load instead of being skipped.
        key_pos = [m.columns.index(c) for c in info["target_key"]]
        other_batches = (
            f" WHERE {_quote('cutover_batch_id')} <> {self.batch}"
            f" OR {_quote('cutover_batch_id')} IS NULL"
            if info["batch"]
            else ""
        )
        loaded = (
            {
                tuple(decode(v, m.types[p], t.dialect) for v, p in zip(r, key_pos))
                for r in t.rows(
                    f"SELECT {', '.join(_quote(c) for c in info['target_key'])}"
                    f" FROM {t.table(target_path)}{other_batches}"
                )
            }
            if key_pos
            else set()
        )
        quarantined = self.quarantined_keys(name)
        # Foreign keys: the parent's keys as loaded so far.
        parents = []
        for fk in info["foreign_keys"]:
            parent = MAPS_BY_TABLE.get(tuple(fk["parent"]))
            ptypes = [
                (parent.types[parent.columns.index(c)] if parent else "text")
                for c in fk["parent_columns"]
            ]
            keys = {
                tuple(decode(v, ty, t.dialect) for v, ty in zip(r, ptypes))
                for r in t.rows(
                    f"SELECT {', '.join(_quote(c) for c in fk['parent_columns'])}"
                    f" FROM {t.table('.'.join(fk['parent']))}"
                )
            }
            positions = [m.columns.index(c) for c in fk["columns"]]
            parents.append((fk, positions, keys))
        # Joined sources, read and indexed once for every batch.
        joins = self.joins(m)
        reasons: dict[str, int] = {}

        def flush(
            rows: list[Row],
            out: Output,
            offset: int,
            checkpoint: tuple[int, str] | None = None,
        ) -> None:
            keep_rows: list[tuple[Any, ...]] = []
            quarantine: list[tuple[Any, ...]] = []
            rejected = list(out.rejected)
            for row, sources in zip(out.rows, out.sources):
                missing = None
                for fk, positions, keys in parents:
                    k = tuple([row[p] for p in positions])
                    if None not in k and k not in keys:
                        missing = fk
                        break
                if missing is not None:
                    for i in sources:
                        rejected.append(
                            Rejection(
                                i, missing["rule"], missing["column"], missing["reason"]
                            )
                        )
                    continue
                if key_pos and tuple([row[p] for p in key_pos]) in loaded:
                    counts["skipped"] += 1
                    continue
                keep_rows.append(row)
            stamp = rt.to_text(datetime.datetime.now(UTC))
            for r in rejected:
                src = rows[r.row - offset]
                key = source_key(m, src)
                if key in quarantined:
                    counts["skipped"] += 1
                    continue
                reasons[r.reason] = reasons.get(r.reason, 0) + 1
                quarantine.append(
                    (
                        self.batch,
                        name,
                        info["source_table"],
                        key,
                        r.rule,
                        r.column,
                        r.reason,
                        source_json(m, src),
                        stamp,
                    )
                )
            counts["loaded"] += len(keep_rows)
            counts["rejected"] += len(quarantine)
            counts["left_out"] += len(out.left_out)
            t.begin()
            self.write(target_path, m, keep_rows)
            if quarantine:
                cols = (
                    "batch_id, map_name, source_table, source_key, rule_id,"
                    " column_name, reason, source_row, quarantined_at"
                )
                self.write_meta("quarantine", cols, quarantine)
            if checkpoint is not None:
                self.checkpoint(name, checkpoint[0], checkpoint[1], len(rows))
            t.commit()

        offset = 0
        if info["batch"]:
            # In chunks of `size` keys after the last checkpoint, each
            # committed with its checkpoint.
            column = info["batch"]["column"]
            key_type = first.types[first.columns.index(column)]
            chunk, last_key, done = self.last_checkpoint(name)
            # The rows of earlier runs of this batch count for the ETA.
            progress.done = done
            table = self.source.table(first.system + "." + first.table)
            while True:
                after = "" if last_key is None else f" WHERE {_quote(column)} > %s"
                params = (
                    ()
                    if last_key is None
                    else (encode(rt.cast(last_key, key_type), self.source.dialect),)
                )
                rows = self.rows_of(
                    first,
                    f"{table}{after}"
                    f" ORDER BY {_quote(column)} LIMIT {int(info['batch']['size'])}",
                    params,
                )
                if not rows:
                    break
                last_key = rt.to_text(rows[-1][column]) or ""
                chunk += 1
                out = run_map(m, [rows], self.now, joins, offset)
                flush(rows, out, offset, (chunk, last_key))
                offset += len(rows)
                counts["read"] += len(rows)
                progress.update(len(rows))
        elif m.group_by:
            # A group needs all its rows: the first source is read whole.
            everything: list[Row] = []
            for batch in self.read(
                first.system, first.table, first.columns, first.types
            ):
                everything.extend(dict(zip(first.columns, r)) for r in batch)
                progress.update(len(batch))
            counts["read"] = len(everything)
            out = run_map(m, [everything], self.now, joins)
            flush(everything, out, 0)
        else:
            for batch in self.read(
                first.system, first.table, first.columns, first.types
            ):
                rows = [dict(zip(first.columns, r)) for r in batch]
                out = run_map(m, [rows], self.now, joins, offset)
                flush(rows, out, offset)
                offset += len(rows)
                counts["read"] += len(rows)
                progress.update(len(rows))
        progress.update(0, final=True)
        top = sorted(reasons.items(), key=lambda kv: -kv[1])[:3]
        self.report["maps"][name] = {**counts, "top_reasons": top}
        self.say(
            f"map {name}: read {counts['read']:,}, loaded {counts['loaded']:,},"
            f" quarantined {counts['rejected']:,}, left out {counts['left_out']:,}"
            + (f", skipped {counts['skipped']:,}" if counts["skipped"] else "")
        )

    # ─────────────────────── Checkpoints and watermarks ───────────────────────

    def checkpoint(self, name: str, chunk: int, last_key: str, rows: int) -> None:
        """A committed chunk of a batched map, in the SQL backend's table."""
        t = self.target
        t.rows(
            f"INSERT INTO {t.meta('checkpoints')}"
            " (batch_id, map_name, chunk, last_key, rows, committed_at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (
                self.batch,
                name,
                chunk,
                last_key,
                rows,
                rt.to_text(datetime.datetime.now(UTC)),
            ),
        )

    def last_checkpoint(self, name: str) -> tuple[int, str | None, int]:
        """The last chunk of a batched map in this batch (0 before the
        first), its last key (None before the first) and the rows read."""
        t = self.target
        ((chunk, rows),) = t.rows(
            f"SELECT COALESCE(max(chunk), 0), COALESCE(sum(rows), 0)"
            f" FROM {t.meta('checkpoints')}"
            " WHERE batch_id = %s AND map_name = %s AND chunk > 0",
            (self.batch, name),
        )
        if not chunk:
            return 0, None, 0
        ((last_key,),) = t.rows(
            f"SELECT last_key FROM {t.meta('checkpoints')}"
            " WHERE batch_id = %s AND map_name = %s AND chunk = %s",
            (self.batch, name, int(chunk)),
        )
        return int(chunk), str(last_key), int(rows)

    def record_watermarks(self) -> None:
        """Each incremental map's watermark for this batch, once: the
        largest value of its column, as the source's own text, taken before
        any of its rows is read."""
        t = self.target
        for name in PLAN["order"]:
            inc = PLAN["maps"][name]["incremental"]
            if not inc or t.rows(
                f"SELECT 1 FROM {t.meta('watermarks')}"
                " WHERE map_name = %s AND batch_id = %s",
                (name, self.batch),
            ):
                continue
            self.insert_watermark(name, self.watermark(name))

    def watermark(self, name: str) -> str | None:
        """The largest value of an incremental map's column now, as the
        source's own text (NULL for an empty table)."""
        first = MAPS[name].sources[0]
        column = _quote(PLAN["maps"][name]["incremental"]["column"])
        ((mark,),) = self.source.rows(
            f"SELECT CAST(max({column}) AS TEXT)"
            f" FROM {self.source.table(first.system + '.' + first.table)}"
        )
        return mark

    def insert_watermark(self, name: str, mark: str | None) -> None:
        t = self.target
        t.rows(
            f"INSERT INTO {t.meta('watermarks')}"
            " (map_name, batch_id, watermark, recorded_at, upserted, deleted)"
            " VALUES (%s, %s, %s, %s, 0, 0)",
            (name, self.batch, mark, rt.to_text(self.now)),
        )

    def new_batch(self, batch: int, status: str) -> None:
        """A new batch row, started at this run's clock."""
        t = self.target
        self.batch = batch
        t.rows(
            f"INSERT INTO {t.meta('batches')} (batch_id, spec_sha256, started_at, status)"
            " VALUES (%s, %s, %s, %s)",
            (batch, PLAN["spec_sha256"], rt.to_text(self.now), status),
        )

    def quarantined_keys(self, name: str) -> set[str | None]:
        """The source keys of a map's rows in the quarantine."""
        t = self.target
        return {
            r[0]
            for r in t.rows(
                f"SELECT source_key FROM {t.meta('quarantine')} WHERE map_name = %s",
                (name,),
            )
        }

    def write(self, path: str, m: Map, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        t = self.target
        t.insert_rows(
            t.table(path),
            [_quote(c) for c in [*m.columns, "cutover_batch_id"]],
            ([*(encode(v, t.dialect) for v in row), self.batch] for row in rows),
        )

    def write_meta(self, table: str, cols: str, rows: list[tuple[Any, ...]]) -> None:
        t = self.target
        t.insert_rows(t.meta(table), [c.strip() for c in cols.split(",")], rows)

    # ──────────────────────────────── Syncs ────────────────────────────────

    def sync(self) -> None:
        """One incremental sync, as 32_sync.sql runs it: the source rows of
        every `incremental` map changed since its last watermark (less the
        skew) computed here, then, in one target transaction, a new batch
        and watermarks, upserts parents first and removals children first,
        by the SQL backend's own statements over stages this fills."""
        src, t = self.source, self.target
        names = [n for n in PLAN["order"] if PLAN["maps"][n]["incremental"]]
        if not names:
            raise InputError("no map of this spec declares `incremental`")
        self.now = _clock()
        work = []
        for name in names:
            m = MAPS[name]
            inc = PLAN["maps"][name]["incremental"]
            first = m.sources[0]
            table = src.table(first.system + "." + first.table)
            last = t.rows(
                f"SELECT watermark FROM {t.meta('watermarks')}"
                " WHERE map_name = %s ORDER BY batch_id DESC LIMIT 1",
                (name,),
            )
            # The new watermark before any row is read.
            mark = self.watermark(name)
            since = ""
            params: tuple[Any, ...] = ()
            if last and last[0][0] is not None:
                since = f" WHERE {_quote(inc['column'])} >= {inc['sql'][src.dialect]['since']}"
                params = (last[0][0],)
            changed = self.rows_of(first, f"{table}{since}", params)
            joins = self.joins(m)
            flag = DELETED.get(name)
            apply = inc["sql"][t.dialect]
            upsert = run_map(
                m._replace(where=_upsert_where(m, flag)), [changed], self.now, joins
            )
            gone = (
                run_map(
                    m._replace(where=_gone_where(m, flag)), [changed], self.now, joins
                )
                if apply["remove"]
                else None
            )
            # `deletes missing`: every key the source gives.
            kept = (
                run_map(m, [self.rows_of(first, table, ())], self.now, joins)
                if apply["missing"]
                else None
            )
            work.append((name, mark, changed, upsert, gone, kept))
            self.say(
                f"map {name}: {len(changed):,} rows changed since "
                + (f"{last[0][0]}" if params else "the beginning")
            )
        t.begin()
        ((last_batch,),) = t.rows(
            f"SELECT COALESCE(max(batch_id), 0) FROM {t.meta('batches')}"
        )
        self.new_batch(int(last_batch) + 1, "syncing")
        for name, mark, *_ in work:
            self.insert_watermark(name, mark)
        for name, _, changed, upsert, _, _ in work:
            m = MAPS[name]
            rejected = []
            for r in upsert.rejected:
                src_row = changed[r.row]
                rejected.append(
                    (
                        source_key(m, src_row),
                        r.rule,
                        r.column,
                        r.reason,
                        source_json(m, src_row),
                    )
                )
            self.stage("cutover_stage", m, upsert.rows, rejected)
            t.statements(PLAN["maps"][name]["incremental"]["sql"][t.dialect]["upsert"])
        for name, _, _, _, gone, kept in reversed(work):
            m = MAPS[name]
            apply = PLAN["maps"][name]["incremental"]["sql"][t.dialect]
            if gone is not None:
                self.stage("cutover_gone", m, gone.rows, [])
                t.statements(apply["remove"])
            if kept is not None:
                self.stage("cutover_keys", m, kept.rows, [])
                t.statements(apply["missing"])
        t.rows(
            f"UPDATE {t.meta('batches')} SET status = 'synced', finished_at = %s"
            " WHERE batch_id = %s",
            (rt.to_text(datetime.datetime.now(UTC)), self.batch),
        )
        for name, *_ in work:
            ((up, gone_rows),) = t.rows(
                f"SELECT upserted, deleted FROM {t.meta('watermarks')}"
                " WHERE map_name = %s AND batch_id = %s",
                (name, self.batch),
            )
            self.report["maps"][name] = {"upserted": int(up), "deleted": int(gone_rows)}
            self.say(f"map {name}: upserted {int(up):,}, deleted {int(gone_rows):,}")
        t.commit()

    def rows_of(self, s: Source, source: str, params: tuple[Any, ...]) -> list[Row]:
        """The rows of the first source `s` from `source` (its table and
        perhaps a WHERE clause and an order), decoded."""
        db = self.source
        cols = ", ".join(_quote(c) for c in s.columns)
        decoders = [decoder(ty, db.dialect) for ty in s.types]
        return [
            dict(zip(s.columns, [d(v) for d, v in zip(decoders, r)]))
            for r in db.rows(f"SELECT {cols} FROM {source}", params)
        ]

    def stage(
        self,
        name: str,
        m: Map,
        rows: list[tuple[Any, ...]],
        rejected: list[tuple[Any, ...]],
    ) -> None:
        """A temporary table of the target's columns and the rejection
        columns the sync's statements read, filled with `rows` (loaded) and
        `rejected` (source key, rule, column, reason, source row)."""
        t = self.target
        meta = [
            "cutover_source_key",
            "cutover_rule",
            "cutover_column",
            "cutover_reason",
            "cutover_source_row",
        ]
        extra = ", ".join(f"CAST(NULL AS TEXT) AS {_quote(c)}" for c in meta)
        t.statements(f"DROP TABLE IF EXISTS {_quote(name)};")
        t.statements(
            f"CREATE TEMP TABLE {_quote(name)} AS SELECT t.*, {extra}"
            f" FROM {t.table('.'.join(m.target))} AS t WHERE 1 = 0;"
        )
        cols = [*m.columns, *meta]
        blank = [None] * len(m.columns)
        values = [
            [*(encode(v, t.dialect) for v in r), None, None, None, None, None]
            for r in rows
        ]
        values += [[*blank, *r] for r in rejected]
        t.insert_rows(_quote(name), [_quote(c) for c in cols], values)

    def undo_syncs(self) -> int:
        """Undoes every sync not rolled back, newest first; how many."""
        t = self.target
        if PLAN["dialects"][t.dialect]["sync_rollback"] is None:
            return 0
        undone = 0
        while t.rows(
            f"SELECT 1 FROM {t.meta('batches')} WHERE status = 'synced' AND batch_id ="
            f" (SELECT max(batch_id) FROM {t.meta('batches')} WHERE status <> 'rolled_back')"
        ):
            self.sync_rollback()
            undone += 1
        return undone

    def sync_rollback(self) -> None:
        script = PLAN["dialects"][self.target.dialect]["sync_rollback"]
        if script is None:
            raise InputError("no map of this spec declares `incremental`")
        self.target.script(script)

    # ─────────────────────────────── Gates ───────────────────────────────

    def where(self, reads: list[str]) -> Db | None:
        """The connection that holds everything a check reads, if one does."""
        need = {s if s != "quarantine" else "@target" for s in reads}
        for db in (self.target, self.source):
            have = set(db.systems) | ({"@target"} if db is self.target else set())
            if need <= have:
                return db
        return None

    def term(self, i: int) -> int:
        term = PLAN["terms"][i]
        if term.get("constant") is not None:
            return int(term["constant"])
        db = self.target if term.get("quarantine") else self.where([term["system"]])
        if db is None:
            raise InputError(f"no connection holds {term['system']}")
        (v,) = db.rows(term["sql"][db.dialect])[0]
        return int(v or 0)

    def total(self, terms: list[list[Any]]) -> int:
        return sum(self.term(i) if plus else -self.term(i) for plus, i in terms)

    def run_checks(self, timing: str) -> bool:
        """Runs the checks of every gate with this timing; whether every
        blocking one passed. Failed gates are remembered for triggers."""
        ok = True
        for c in (c for c in PLAN["checks"] if c["timing"] == timing):
            db = self.where(c["reads"])
            if db is not None:
                violations, checked = self.check_sql(db, c)
            elif c["kind"] == "metric":
                violations, checked = self.check_metric(c)
            elif c["kind"] in ("checksum", "sample"):
                violations, checked = self.check_recompute(c)
            elif c["kind"] == "reconcile":
                violations, checked = self.check_reconcile(c)
            else:
                raise InputError(
                    f"check {c['label']}: its tables are on different servers"
                )
            passed = _passes(c, len(violations), checked)
            self.report["checks"].append(
                {
                    "gate": c["gate"],
                    "number": c["number"],
                    "label": c["label"],
                    "blocking": c["blocking"],
                    "passed": passed,
                    "violations": len(violations),
                    "first": [_mask(c, v) for v in violations[: c["shown"] or 5]],
                    **({"checked": checked} if checked is not None else {}),
                }
            )
            mark = "pass" if passed else ("FAIL" if c["blocking"] else "warn")
            self.say(f"  [{mark}] {c['gate']} #{c['number']}: {c['label']}")
            if not passed and c["blocking"]:
                ok = False
                self.failed_gates.add(c["gate"])
        return ok

    def check_sql(self, db: Db, c: dict[str, Any]) -> tuple[list[Any], int | None]:
        sql = c["sql"][db.dialect]
        violations = db.rows(sql["violations"])
        checked = None
        if sql["checked"] and sql["checked"].isdigit():
            checked = int(sql["checked"])  # a sample's size
        elif sql["checked"]:
            (checked,) = db.rows(sql["checked"])[0]
            checked = int(checked or 0)
        return [list(v) for v in violations], checked

    def check_metric(self, c: dict[str, Any]) -> tuple[list[Any], int | None]:
        left = self.total(c["metric"]["left"])
        right = self.total(c["metric"]["right"])
        if _compare(c["metric"]["op"], left, right):
            return [], None
        return [[str(left), str(right)]], None

    def check_recompute(self, c: dict[str, Any]) -> tuple[list[Any], int | None]:
        """A checksum or sample across servers: the maps recomputed from
        the source and compared with the target, row by key."""
        if c["kind"] == "checksum":
            spec = c["checksum"]
            names = [
                n
                for n in PLAN["order"]
                if PLAN["maps"][n]["target_table"] == spec["target"]
            ]
            names = [
                n for n in names if PLAN["maps"][n]["source_table"] == spec["source"]
            ]
            columns = spec["columns"]
            limit = None
        else:
            names = [n for n in PLAN["order"] if n in c["sample"]["maps"]]
            columns = None
            limit = int(c["sample"]["rows"])
        violations: list[list[Any]] = []
        checked = 0
        for name in names:
            m = MAPS[name]
            info = PLAN["maps"][name]
            cols = columns or [x for x in m.columns if x not in info["clocked"]]
            pos = [m.columns.index(x) for x in cols]
            key_pos = [m.columns.index(x) for x in info["target_key"]]
            first = m.sources[0]
            rows: list[Row] = []
            for batch in self.read(
                first.system, first.table, first.columns, first.types
            ):
                rows.extend(dict(zip(first.columns, r)) for r in batch)
            if limit is not None and not m.group_by:
                rows.sort(
                    key=lambda r: hashlib.sha256(
                        f"{source_key(m, r)}|{self.batch}".encode()
                    ).hexdigest()
                )
                rows = rows[:limit]
            joins = self.joins(m)
            out = run_map(m, [rows], self.now, joins)
            quarantined = self.quarantined_keys(name)
            want = {}
            for row, sources in zip(out.rows, out.sources):
                if any(source_key(m, rows[i]) in quarantined for i in sources):
                    continue
                want[key_of([row[p] for p in key_pos])] = [
                    rt.to_text(row[p]) for p in pos
                ]
            have = {k: v for k, (v, _, _) in self.target_rows(name, cols).items()}
            for k, vals in want.items():
                checked += 1
                got = have.get(k)
                if got is None:
                    violations.append([str(k), "missing in the target"])
                elif got != vals:
                    diff = [x for x, a, b in zip(cols, vals, got) if a != b]
                    violations.append([str(k), "differs in " + ", ".join(diff)])
            if limit is None and len(names) == 1:
                for k in have.keys() - want.keys():
                    violations.append([str(k), "not from the source"])
        return violations, checked

    def target_rows(
        self, name: str, cols: list[str]
    ) -> dict[tuple[str | None, ...], tuple[list[str | None], bool, str]]:
        """The target rows of a map by key: the texts of `cols`, whether a
        load wrote the row (it has a batch id), and the key as text."""
        m = MAPS[name]
        info = PLAN["maps"][name]
        t = self.target
        key_pos = [m.columns.index(x) for x in info["target_key"]]
        pos = [m.columns.index(x) for x in cols]
        names_sql = ", ".join(
            _quote(x) for x in [*info["target_key"], *cols, "cutover_batch_id"]
        )
        have = {}
        for r in t.rows(f"SELECT {names_sql} FROM {t.table(info['target_table'])}"):
            k = [decode(v, m.types[p], t.dialect) for v, p in zip(r, key_pos)]
            vals = [
                rt.to_text(decode(v, m.types[p], t.dialect))
                for v, p in zip(r[len(key_pos) : -1], pos)
            ]
            text = ",".join(rt.to_text(v) or "" for v in k)
            have[key_of(k)] = (vals, r[-1] is not None, text)
        return have

    def check_reconcile(self, c: dict[str, Any]) -> tuple[list[Any], int | None]:
        """`reconcile MAP` across servers, as the SQL computes it: every
        source row with the map applied, compared with the target by key;
        rows as (map, source key, problem)."""
        name = c["reconcile"]["map"]
        m = MAPS[name]
        info = PLAN["maps"][name]
        cols = [x for x in m.columns if x not in info["clocked"]]
        pos = [m.columns.index(x) for x in cols]
        key_pos = [m.columns.index(x) for x in info["target_key"]]
        first = m.sources[0]
        table = self.source.table(first.system + "." + first.table)
        rows = self.rows_of(first, table, ())
        joins = self.joins(m)
        out = run_map(m, [rows], self.now, joins)
        have = self.target_rows(name, cols)
        quarantined = self.quarantined_keys(name)
        violations: list[list[Any]] = []
        given = set()
        for row, sources in zip(out.rows, out.sources):
            k = key_of([row[p] for p in key_pos])
            given.add(k)
            shown = source_key(m, rows[sources[0]])
            got = have.get(k)
            if got is None:
                violations.append([name, shown, "missing in the target"])
                continue
            want = [rt.to_text(row[p]) for p in pos]
            differs = [x for x, a, b in zip(cols, want, got[0]) if a != b]
            if differs:
                violations.append([name, shown, "differs: " + " ".join(differs)])
        for r in out.rejected:
            shown = source_key(m, rows[r.row])
            if shown not in quarantined:
                violations.append([name, shown, "rejected, but not in the quarantine"])
        for k, (_, loaded, text) in have.items():
            if loaded and k not in given:
                violations.append([name, text, "extra in the target"])
        return violations, len(rows)

    def triggers(self) -> list[str]:
        fired = []
        for trig in PLAN["triggers"]:
            if "gate" in trig:
                hit = trig["gate"] in self.failed_gates
                what = f"gate {trig['gate']} fails"
            else:
                left = self.total(trig["left"])
                if "percent" in trig:
                    base = self.term(trig["base"]) if trig["base"] is not None else 0
                    right: float = base * float(trig["percent"]) / 100.0
                    what = f"{left} {trig['op']} {trig['percent']}% of {base}"
                else:
                    right = self.total(trig["right"])
                    what = f"{left} {trig['op']} {right}"
                hit = _compare(trig["op"], left, right)
            self.report["triggers"].append({"trigger": what, "fired": hit})
            self.say(f"  trigger {what}: {'FIRED' if hit else 'no'}")
            if hit:
                fired.append(what)
        return fired

    def rollback(self) -> None:
        self.target.script(PLAN["dialects"][self.target.dialect]["rollback"])


MAPS_BY_TABLE: dict[tuple[str, ...], Map] = {m.target: m for m in MAPS.values()}


def _upsert_where(m: Map, flag: Compute | None) -> Compute | None:
    """The rows a sync upserts: the map's `where` holds and the soft-delete
    flag does not (NULL counts as false)."""
    if flag is None:
        return m.where

    def where(row: Row, now: datetime.datetime) -> Any:
        if flag(row, now) is True:
            return False
        return True if m.where is None else m.where(row, now)

    return where


def _gone_where(m: Map, flag: Compute | None) -> Compute:
    """The rows whose target row a sync removes: the flag holds, or the
    map's `where` no longer does."""

    def where(row: Row, now: datetime.datetime) -> Any:
        if flag is not None and flag(row, now) is True:
            return True
        return m.where is not None and m.where(row, now) is not True

    return where


def _clock() -> datetime.datetime:
    """The clock every `now()` of a run reads: milliseconds, as the batch
    table stores it."""
    now = datetime.datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _compare(op: str, a: float, b: float) -> bool:
    return {
        "==": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _passes(c: dict[str, Any], violations: int, checked: int | None) -> bool:
    tol = c["tolerance"]
    if tol is None:
        return violations == 0
    if "rows" in tol:
        return violations <= int(tol["rows"])
    return violations <= (checked or 0) * float(tol["percent"]) / 100.0


def _mask(c: dict[str, Any], row: list[Any]) -> list[Any]:
    # Reports never show values of pii columns. A reconcile row shows a
    # key and names columns: only the key can be pii.
    if c["kind"] == "reconcile":
        return [
            "***" if i == 1 and c["pii"] and v is not None else v
            for i, v in enumerate(row)
        ]
    return ["***" if c["pii"] and v is not None else v for v in row]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog=f"python -m {__package__}", description=__doc__.split("\n")[0]
    )
    p.add_argument("--source", default=os.environ.get("CUTOVER_SOURCE"))
    p.add_argument("--target", default=os.environ.get("CUTOVER_TARGET"))
    p.add_argument("--batch-size", type=int, default=10_000)
    p.add_argument("--rollback", action="store_true", help="only run the rollback")
    p.add_argument(
        "--sync",
        action="store_true",
        help="run one incremental sync (after the load), then the post-load gates",
    )
    p.add_argument(
        "--sync-rollback",
        action="store_true",
        help="only undo the newest sync (run once per sync, before --rollback)",
    )
    p.add_argument(
        "--no-gates", action="store_true", help="load without running the gates"
    )
    p.add_argument("--report", help="write the run's report as JSON to this file")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    only_target = a.rollback or a.sync_rollback
    if not a.target or (not a.source and not only_target):
        print(
            "give --source and --target (or CUTOVER_SOURCE, CUTOVER_TARGET)",
            file=sys.stderr,
        )
        return 2
    if sum([a.rollback, a.sync, a.sync_rollback]) > 1:
        print("give one of --rollback, --sync and --sync-rollback", file=sys.stderr)
        return 2
    try:
        target = Db(a.target, "target")
        target.script(PLAN["dialects"][target.dialect]["schema"])
        if a.rollback:
            # Syncs since the load first, newest first: the load's rollback
            # removes only the rows that still carry the load's batch.
            undone = Runner(target, target, a.batch_size, a.quiet).undo_syncs()
            target.script(PLAN["dialects"][target.dialect]["rollback"])
            print(
                "rollback done"
                + (
                    f" ({undone} sync{'s' * (undone > 1)} undone first)"
                    if undone
                    else ""
                ),
                file=sys.stderr,
            )
            return 0
        if a.sync_rollback:
            Runner(target, target, a.batch_size, a.quiet).sync_rollback()
            print("sync rollback done", file=sys.stderr)
            return 0
        if a.source == a.target and target.dialect == "postgres":
            source = target
            source.systems.update(s for s, r in PLAN["systems"] if r == "source")
        else:
            source = Db(a.source, "source")
            if source.dialect == target.dialect == "sqlite":
                # One connection can then run every check as the SQL does.
                for s in source.systems:
                    (path,) = [
                        r[2]
                        for r in source.conn.execute("PRAGMA database_list")
                        if r[1] == s
                    ]
                    target.attach_read_only(s, path)
        runner = Runner(source, target, a.batch_size, a.quiet)
        started = time.monotonic()
        if a.sync:
            runner.say("sync:")
            try:
                runner.sync()
            except InputError:
                raise
            except Exception as e:  # the drivers' own error types differ
                if target.dialect == "sqlite" and target.conn.in_transaction:
                    target.conn.execute("ROLLBACK")
                elif target.dialect == "postgres":
                    target.conn.rollback()
                print(f"sync failed, nothing changed: {e}", file=sys.stderr)
                return 1
            code = 0
            if not a.no_gates:
                runner.say("post-load gates:")
                if not runner.run_checks("after"):
                    code = 1
            runner.report["seconds"] = round(time.monotonic() - started, 3)
            _write_report(a.report, runner, code)
            return code
        if not a.no_gates:
            runner.say("preflight gates:")
            if not runner.run_checks("before"):
                runner.say("a blocking preflight check failed: nothing loaded")
                _write_report(a.report, runner, 1)
                return 1
        runner.say("load:")
        runner.load()
        code = 0
        if not a.no_gates:
            runner.say("post-load gates:")
            if not runner.run_checks("after"):
                code = 1
            fired = runner.triggers()
            if fired:
                runner.say("rollback: " + "; ".join(fired))
                runner.rollback()
                code = 1
        elapsed = time.monotonic() - started
        read = sum(m["read"] for m in runner.report["maps"].values())
        runner.report["seconds"] = round(elapsed, 3)
        runner.say(f"done in {elapsed:.1f}s ({read / max(elapsed, 1e-9):,.0f} rows/s)")
        _write_report(a.report, runner, code)
        return code
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _write_report(path: str | None, runner: Runner, code: int) -> None:
    if path:
        report = {**runner.report, "exit": code}
        Path(path).write_text(json.dumps(report, indent=2, default=str), "utf-8")
