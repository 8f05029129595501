"""End-to-end throughput of the generated runner, SQLite → PostgreSQL.

    eval "$(tests/pg.sh start)"      # or any server: --target postgresql://…
    python3 crates/backend-python/benches/runner_e2e.py [--rows 1000000]

Builds the CRM example's package, writes N generated legacy customers
(messy whitespace, mixed-case e-mails, MM/DD/YYYY birth dates, some
invalid; the other legacy tables empty) into a SQLite file, creates a
fresh database on the server and runs `python -m crm_cutover --source …
--target … --no-gates`: the accounts and addresses maps each read all N
customers. Prints source rows read per second of wall time, and the
runner's own report.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def pg_url(db: str) -> str:
    conn = os.environ.get("CUTOVER_PG", "")
    params = [p for p in conn.split() if not p.startswith("dbname=")]
    return f"postgresql:///{db}?" + "&".join(params)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch-size", type=int, default=10_000)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cutover-e2e-"))
    subprocess.run(
        [
            "cargo",
            "run",
            "-q",
            "--release",
            "-p",
            "cutover-cli",
            "--",
            "build",
            "examples/crm/crm.cutover",
            "-o",
            str(tmp / "build"),
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    src = tmp / "legacy.sqlite"
    db = sqlite3.connect(src)
    db.executescript(
        """
        CREATE TABLE customers (cust_id INTEGER, first_name TEXT, last_name TEXT,
          company_name TEXT, email TEXT, phone TEXT, address_line1 TEXT,
          address_line2 TEXT, address_line3 TEXT, city TEXT, state TEXT,
          postal_code TEXT, country TEXT, dob TEXT, status_flag TEXT, created_date TEXT);
        CREATE TABLE contacts (contact_id INTEGER, cust_id INTEGER, first_name TEXT,
          last_name TEXT, email TEXT, phone TEXT, mobile TEXT, job_title TEXT,
          is_primary TEXT, opted_out INTEGER, notes TEXT, created_date TEXT);
        CREATE TABLE opportunities (opp_id INTEGER, cust_id INTEGER, opp_name TEXT,
          stage_code TEXT, amount TEXT, currency TEXT, close_date TEXT,
          probability INTEGER, owner_email TEXT, created_date TEXT);
        CREATE TABLE products (prod_id INTEGER, sku TEXT, prod_name TEXT, prod_desc TEXT,
          category TEXT, unit_price TEXT, discontinued INTEGER);
        CREATE TABLE orders (order_id INTEGER, cust_id INTEGER, prod_id INTEGER,
          order_date TEXT, quantity INTEGER, order_total TEXT, status TEXT);
        """
    )
    rnd = random.Random(6)
    flags = ["A", "I", "P", "p", "X", ""]

    def rows():
        for i in range(1, a.rows + 1):
            dob = f"{rnd.randint(1, 13):02d}/{rnd.randint(1, 31):02d}/{rnd.randint(1940, 2005)}"
            yield (
                i,
                f"  First{i} ",
                f"Last{i}\t",
                None if i % 3 else f" Co {i} ",
                f" User{i}@Example.COM ",
                "" if i % 5 == 0 else f"+1 555 {i:07d}",
                f"{i} Main St" if i % 10 else None,
                None,
                None,
                "Austin",
                "tx",
                "78701",
                "us",
                dob,
                rnd.choice(flags),
                "2016-03-14 09:12:00",
            )

    db.executemany(f"INSERT INTO customers VALUES ({','.join('?' * 16)})", rows())
    db.commit()
    db.close()
    name = f"cutover_e2e_{os.getpid()}"
    admin = os.environ.get("CUTOVER_PG")
    if not admin:
        print('set CUTOVER_PG (eval "$(tests/pg.sh start)")', file=sys.stderr)
        return 2
    import psycopg

    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    report = tmp / "report.json"
    started = time.monotonic()
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crm_cutover",
            "--source",
            f"sqlite://{src}",
            "--target",
            pg_url(name),
            "--no-gates",
            "--quiet",
            "--batch-size",
            str(a.batch_size),
            "--report",
            str(report),
        ],
        cwd=tmp / "build/python",
    )
    # wait4: the runner's own resource use, not that of earlier children.
    _, status, usage = os.wait4(runner.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        print(
            f"the runner failed: {os.waitstatus_to_exitcode(status)}", file=sys.stderr
        )
        return 1
    r = json.loads(report.read_text())
    read = sum(m["read"] for m in r["maps"].values())
    print(f"customers: {a.rows:,}; source rows read by all maps: {read:,}")
    for n, m in r["maps"].items():
        if m["read"]:
            print(
                f"  {n}: read {m['read']:,} loaded {m['loaded']:,} quarantined {m['rejected']:,}"
            )
    print(
        f"wall {wall:.1f}s: {read / wall:,.0f} source rows/s, {a.rows / wall:,.0f} customers/s"
    )
    print(f"peak RSS of the runner: {usage.ru_maxrss / 1024:,.0f} MiB")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE "{name}"')
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
