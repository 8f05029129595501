"""The runner's phased loads, SQLite → PostgreSQL: a one-shot load against
a chunked one (`batch 50_000 by cust_id`), and an incremental sync of 1 %
changed rows against the full load.

    eval "$(tests/pg.sh start)"
    python3 crates/backend-python/benches/runner_phased.py [--rows 1000000]

Writes N customers into a SQLite file (with an index on the watermark
column, as a sync needs), builds two specs that differ only in `batch`,
and times `python -m … --no-gates --quiet` into a fresh database for
each: the one-shot load, the chunked load, then, after 1 % of the
customers change (e-mail and `updated_at`), `--sync` on the chunked
load's target. Prints the wall times and the two ratios the issue sets
(chunked within 1.2× of one-shot; the sync under 5 % of the full load).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SPEC = """migration "Phased bench" {{ strategy parallel_run }}
source legacy: sqlite {{
  table customers {{
    cust_id    bigint primary key
    email      varchar(200) not null
    region     varchar(10)
    updated_at timestamp not null
    rows ~ {rows}
  }}
}}
target crm: postgres {{
  table accounts {{
    account_id bigint primary key
    email      varchar(200) not null
    region     varchar(20) not null
  }}
}}
lookup regions {{ "N" => "north", "S" => "south" }}
map accounts: legacy.customers -> crm.accounts {{
{batch}  incremental by updated_at skew 30s
  key account_id = cust_id
  email = lower(email)
  region = regions[region] else reject "unknown region"
}}
rollback {{ strategy delete_batch }}
"""


def pg_url(db: str) -> str:
    conn = os.environ.get("CUTOVER_PG", "")
    params = [p for p in conn.split() if not p.startswith("dbname=")]
    return f"postgresql:///{db}?" + "&".join(params)


def build(tmp: Path, name: str, rows: int, batch: str) -> Path:
    spec = tmp / f"{name}.cutover"
    spec.write_text(SPEC.format(rows=rows, batch=batch), "utf-8")
    subprocess.run(
        ["cargo", "run", "-q", "--release", "-p", "cutover-cli", "--"]
        + ["build", str(spec), "-o", str(tmp / name)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return tmp / name / "python"


def timed(python: Path, package: str, args: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", package, "--no-gates", "--quiet", *args],
        cwd=python,
        check=True,
    )
    return time.monotonic() - started


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    a = ap.parse_args()
    admin = os.environ.get("CUTOVER_PG")
    if not admin:
        print('set CUTOVER_PG (eval "$(tests/pg.sh start)")', file=sys.stderr)
        return 2
    import psycopg

    tmp = Path(tempfile.mkdtemp(prefix="cutover-phased-"))
    oneshot = build(tmp, "oneshot", a.rows, "")
    chunked = build(tmp, "chunked", a.rows, "  batch 50_000 by cust_id\n")
    src = tmp / "legacy.sqlite"
    db = sqlite3.connect(src)
    db.executescript(
        f"""
        CREATE TABLE customers (cust_id INTEGER PRIMARY KEY, email TEXT NOT NULL,
          region TEXT, updated_at TEXT NOT NULL);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {a.rows})
        INSERT INTO customers SELECT i, 'User' || i || '@Example.COM',
          CASE WHEN i % 97 = 0 THEN 'X' WHEN i % 2 = 0 THEN 'N' ELSE 'S' END,
          datetime('2026-01-01', '+' || (i % 86400) || ' seconds') FROM n;
        CREATE INDEX customers_updated_at ON customers (updated_at);
        """
    )
    db.commit()
    names = [f"cutover_phased_{k}_{os.getpid()}" for k in ("oneshot", "chunked")]
    with psycopg.connect(admin, autocommit=True) as c:
        for n in names:
            c.execute(f'CREATE DATABASE "{n}"')
    source = ["--source", f"sqlite://{src}"]
    try:
        one = timed(oneshot, "oneshot_cutover", [*source, "--target", pg_url(names[0])])
        chunk = timed(
            chunked, "chunked_cutover", [*source, "--target", pg_url(names[1])]
        )
        # 1 % of the customers change after the load.
        db.execute(
            "UPDATE customers SET email = 'Changed' || cust_id || '@x.com',"
            " updated_at = '2026-02-01 00:00:00' WHERE cust_id % 100 = 0"
        )
        db.commit()
        db.close()
        sync = timed(
            chunked,
            "chunked_cutover",
            [*source, "--target", pg_url(names[1]), "--sync"],
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            for n in names:
                c.execute(f'DROP DATABASE IF EXISTS "{n}"')
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"rows:               {a.rows:,}")
    print(f"one-shot load:      {one:.2f} s")
    print(f"chunked load:       {chunk:.2f} s  ({chunk / one:.2f}x the one-shot)")
    print(
        f"sync of 1% changed: {sync:.2f} s  ({100 * sync / one:.2f}% of the full load)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
