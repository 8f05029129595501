"""Throughput of the generated Python transforms against a config-driven
interpreter, on the CRM example's customers → accounts map.

    python3 crates/backend-python/benches/transforms_bench.py [--rows N]

builds examples/crm/crm.cutover into a temporary directory (`cargo run
--release -p cutover-cli -- build`), or takes an already built package with
`--package DIR/python`, generates N deterministic legacy customer rows
(messy whitespace, mixed-case e-mails, MM/DD/YYYY birth dates with invalid
ones, unknown status flags, a few rows the map rejects) and times:

  generated  `transforms.map_accounts(row, now)` per row, `Reject` caught;
  baseline   a `DataTransformer` in the style of the data-migration
             planner's (seeds/data-migration-planner.txt): a mapping config
             per target field, dispatched per field through a dict of
             transformation functions, doing the same accounts mapping.

Before timing, both run on `--check-rows` rows and must give the same
target rows and the same rejected rows. The baseline does no type,
length or range checks beyond the not-null ones the map rejects on: it does
less work than the generated code, which converts every value to its
column's type as the reference evaluator does. Its uuid5 uses the
runtime's namespace scheme, so the account ids are compared too; its date
parsing drops the planner's per-row warning print.

The rows come in batches of `--chunk` (the runner's batch size), each
made just before it is used, as a loader's cursor hands them over. The
two take turns on every batch (the machine's slower and faster stretches
count for both); `--repeat` runs each batch that many times, the first to
go alternating, and keeps the fastest (this machine shares its CPUs: the
fastest run is the one least disturbed). No output is kept.

Standard library only; prints rows/s for both, the ratio and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[3]
SPEC = "examples/crm/crm.cutover"
PACKAGE = "crm_cutover"

# ───────────────────────────── Source rows ─────────────────────────────

FIRST_NAMES = (
    "José", "Marta", "Ana", "Tom", "Eva", "Raj", "Kim", "Zoë", "Luc", "Fang",
    "Ian", "Bo", "Al", "Sam", "Priya", "Olga", "Chen", "Fatima", "Liam", "Noah",
)  # fmt: skip
LAST_NAMES = (
    "García", "Ruiz", "Lima", "Berg", "Novak", "Patel", "Ode", "Müller-Lüdenscheidt",
    "Moreau", "Wang", "Hart", "Ek", "Roy", "Okafor", "Smith", "Nguyen", "Kowalski",
    "O'Brien", "van der Berg", "Rossi",
)  # fmt: skip
COMPANIES = (
    "Acme Corp", "Globex", "Initech", "Umbrella plc", "Stark Industries",
    "Wayne Enterprises", "Tyrell", "Soylent GmbH", "Hooli", "Vandelay Industries",
)  # fmt: skip
DOMAINS = (
    "example.com",
    "Example.COM",
    "mail.example.org",
    "EXAMPLE.DE",
    "corp.example",
)
CITIES = ("Austin", "Paris", "Leeds", "Denver", "Berlin", "北京", "São Paulo", "Lagos")
PADS = ("", "", "", "", " ", "  ", "\t", " \t", "\n", "   ")
STATUS_FLAGS = ("A",) * 12 + ("I",) * 5 + ("P",) * 3 + ("p", "a", "X", "", " ", "Z")


def _pad(rng: random.Random, s: str) -> str:
    return rng.choice(PADS) + s + rng.choice(PADS)


def _dob(rng: random.Random) -> str | None:
    r = rng.random()
    y, m, d = rng.randint(1930, 2005), rng.randint(1, 12), rng.randint(1, 28)
    if r < 0.70:
        return f"{m:02d}/{d:02d}/{y}"
    if r < 0.75:
        return f"{m}/{d}/{y}"  # one-digit month and day
    if r < 0.80:
        return None
    return rng.choice(
        (
            f"{y}-{m:02d}-{d:02d}",  # ISO, not MM/DD/YYYY
            f"02/{rng.randint(30, 31)}/{y}",  # no such day
            f"13/{d:02d}/{y}",  # no such month
            "02/29/2000",  # leap day
            "02/29/1999",  # not a leap year
            f"{m:02d}/{d:02d}/{y % 100:02d}",  # two-digit year
            "n/a",
            "",
            f"{m:02d}-{d:02d}-{y}",
        )
    )


def customer(rng: random.Random, cust_id: int) -> dict[str, Any]:
    """One legacy customers row, keyed by every column of the table."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    r = rng.random()
    company = (
        None
        if r < 0.4
        else rng.choice(("", "   "))
        if r < 0.5
        else rng.choice(COMPANIES)
    )
    email = (
        None
        if rng.random() < 0.05
        else f"{rng.choice((first, first.upper(), first.lower()))}.{last.replace(' ', '')}"
        f"{cust_id % 1000}@{rng.choice(DOMAINS)}"
    )
    r = rng.random()
    phone = None if r < 0.1 else "" if r < 0.2 else f"+1 555-{cust_id % 10_000:04d}"
    line2 = rng.choice((None, None, "Suite 200", "Apt 4B"))
    return {
        "cust_id": cust_id,
        # The legacy schema says not null; SQLite let a few through: rejected.
        "first_name": None if cust_id % 2_000 == 0 else _pad(rng, first),
        "last_name": _pad(rng, last),
        "company_name": None if company is None else _pad(rng, company),
        "email": None if email is None else _pad(rng, email),
        "phone": None if phone is None else _pad(rng, phone),
        "address_line1": _pad(rng, f"{rng.randint(1, 999)} Main St"),
        "address_line2": line2,
        "address_line3": rng.choice((None, None, None, "Building C")),
        "city": rng.choice(CITIES),
        "state": rng.choice((None, "tx", "CA", " ny ")),
        "postal_code": f"{rng.randint(10_000, 99_999)}",
        "country": rng.choice(("US", "us", "FR", "CN", None)),
        "dob": _dob(rng),
        "status_flag": rng.choice(STATUS_FLAGS),
        "created_date": datetime.datetime(2005, 1, 1)
        + datetime.timedelta(seconds=rng.randrange(600_000_000)),
    }


def customers(n: int, seed: int, chunk: int) -> Iterator[list[dict[str, Any]]]:
    """The rows in batches of `chunk`, each made just before it is used, as
    a loader's cursor hands them over (`fetchmany`)."""
    rng = random.Random(seed)
    for start in range(1, n + 1, chunk):
        yield [customer(rng, i) for i in range(start, min(start + chunk, n + 1))]


# ───────────────────── Baseline: a config-driven interpreter ─────────────────────

WHITESPACE = " \t\n\r\x0b\x0c"  # the six the spec's trim removes


class DataTransformer:
    """
    A class to encapsulate common data transformation logic for migration.
    (The planner's class, with the transformation types the accounts map
    needs.)
    """

    def __init__(self, mappings: dict[str, dict[str, Any]]) -> None:
        """
        Initializes the transformer with field mappings.
        Args:
            mappings (dict): A dictionary containing field mapping configurations.
        """
        self.mappings = mappings
        self.transformation_functions = {
            "direct": self._direct_map,
            "trim": self._trim,
            "lower_trim": self._lower_trim,
            "lookup_map": self._lookup_map,
            "format_date": self._format_date,
            "uuid5": self._uuid5,
            "run_timestamp": self._run_timestamp,
            # Add more transformation types as needed
        }

    def _direct_map(self, value: Any, params: dict | None = None) -> Any:
        """Directly maps the value without transformation."""
        return value

    def _trim(self, value: Any, params: dict | None = None) -> Any:
        """Removes leading/trailing whitespace; with 'empty_as_null', an
        empty result becomes None."""
        if not isinstance(value, str):
            return value
        value = value.strip(WHITESPACE)
        if params and params.get("empty_as_null") and value == "":
            return None
        return value

    def _lower_trim(self, value: Any, params: dict | None = None) -> Any:
        """Trims, then lower-cases."""
        if not isinstance(value, str):
            return value
        return value.strip(WHITESPACE).lower()

    def _lookup_map(self, value: Any, params: dict) -> Any:
        """
        Maps a source value to a target value using a predefined dictionary.
        Requires 'mapping' (dict) and 'default' (str) in params.
        """
        if not isinstance(params, dict) or "mapping" not in params:
            raise ValueError("lookup_map requires 'mapping' parameter.")
        mapping = params["mapping"]
        default = params.get("default")
        if params.get("uppercase") and isinstance(value, str):
            value = value.upper()
        return mapping.get(value, default)

    def _format_date(self, value: Any, params: dict) -> Any:
        """
        Parses a date string with source_format. Requires 'source_format' in
        params; formats it with 'target_format' if given, else gives the date.
        (TRN-003: an invalid date becomes None, without the original's
        per-row warning print.)
        """
        if not value:
            return None
        if not isinstance(params, dict) or "source_format" not in params:
            raise ValueError("format_date requires 'source_format' parameter.")
        try:
            dt_obj = datetime.datetime.strptime(str(value), params["source_format"])
        except ValueError:
            return params.get("on_error")
        if params.get("target_format"):
            return dt_obj.strftime(params["target_format"])
        return dt_obj.date()

    def _uuid5(self, value: Any, params: dict) -> Any:
        """A deterministic UUID from the value: uuid5 in 'namespace' (a
        uuid.UUID, made once when the config is built)."""
        if value is None:
            return None
        return uuid.uuid5(params["namespace"], str(value))

    def _run_timestamp(self, value: Any, params: dict) -> Any:
        """The run's timestamp, the same for every record."""
        return params["now"]

    def transform_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """
        Applies the configured transformation to every mapped field of a
        source record. Raises ValueError when a required field ends up empty.
        """
        transformed_record = {}
        for target_field, mapping_config in self.mappings.items():
            source_field = mapping_config.get("source_field")
            transformation_type = mapping_config.get("transformation_type", "direct")
            params = mapping_config.get("params")
            value = record.get(source_field) if source_field else None
            transform_func = self.transformation_functions.get(transformation_type)
            if transform_func is None:
                raise ValueError(f"Unknown transformation type: {transformation_type}")
            result = transform_func(value, params)
            if result is None and mapping_config.get("required"):
                raise ValueError(f"Required field '{target_field}' is empty")
            transformed_record[target_field] = result
        return transformed_record


def accounts_mappings(now: datetime.datetime) -> dict[str, dict[str, Any]]:
    """The accounts map as a mapping config, in target column order."""
    return {
        "account_id": {
            "source_field": "cust_id",
            "transformation_type": "uuid5",
            # As the runtime's uuid_v5: a URL-namespace UUID of the name.
            "params": {
                "namespace": uuid.uuid5(uuid.NAMESPACE_URL, "legacy-crm/accounts")
            },
            "required": True,
        },
        "legacy_cust_id": {
            "source_field": "cust_id",
            "transformation_type": "direct",
            "required": True,
        },
        "first_name": {
            "source_field": "first_name",
            "transformation_type": "trim",
            "required": True,
        },
        "last_name": {
            "source_field": "last_name",
            "transformation_type": "trim",
            "required": True,
        },
        "company_name": {
            "source_field": "company_name",
            "transformation_type": "trim",
            "params": {"empty_as_null": True},
        },
        "email": {"source_field": "email", "transformation_type": "lower_trim"},
        "phone": {
            "source_field": "phone",
            "transformation_type": "trim",
            "params": {"empty_as_null": True},
        },
        "birth_date": {
            "source_field": "dob",
            "transformation_type": "format_date",
            "params": {"source_format": "%m/%d/%Y", "on_error": None},
        },
        "account_status": {
            "source_field": "status_flag",
            "transformation_type": "lookup_map",
            "params": {
                "mapping": {"A": "Active", "I": "Inactive", "P": "Pending"},
                "default": "Inactive",
                "uppercase": True,
            },
            "required": True,
        },
        "created_at": {"source_field": "created_date", "transformation_type": "direct"},
        "migrated_at": {
            "source_field": None,
            "transformation_type": "run_timestamp",
            "params": {"now": now},
            "required": True,
        },
    }


# ─────────────────────────────── Running ───────────────────────────────


def build_package(into: Path) -> Path:
    subprocess.run(
        ["cargo", "run", "-q", "--release", "-p", "cutover-cli", "--", "build", SPEC, "-o", str(into)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,  # the list of files written
    )  # fmt: skip
    return into / "python"


# Both loops keep no output (a loader would write each row out): what is
# timed is the transformation and the loop around it.


def run_generated(transforms: Any, rows: list[dict[str, Any]], now: Any) -> int:
    map_accounts, reject = transforms.map_accounts, transforms.Reject
    rejected = 0
    for row in rows:
        try:
            map_accounts(row, now)
        except reject:
            rejected += 1
    return rejected


def run_baseline(transformer: DataTransformer, rows: list[dict[str, Any]]) -> int:
    transform_record = transformer.transform_record
    rejected = 0
    for row in rows:
        try:
            transform_record(row)
        except ValueError:
            rejected += 1
    return rejected


def check(transforms: Any, transformer: DataTransformer, rows: list, now: Any) -> None:
    """Both must give the same target rows and reject the same rows."""
    columns = transforms.MAPS["accounts"].columns
    for i, row in enumerate(rows):
        try:
            got = transforms.map_accounts(row, now)
        except transforms.Reject:
            got = None
        try:
            record = transformer.transform_record(row)
            want = tuple(record[c] for c in columns)
        except ValueError:
            want = None
        if got != want:
            raise SystemExit(
                f"row {i} differs:\n  {row}\n  generated {got}\n  baseline  {want}"
            )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / (1024 * 1024) if sys.platform == "darwin" else kib / 1024


def measure(
    transforms: Any,
    transformer: DataTransformer,
    batches: Iterator[list[dict[str, Any]]],
    now: Any,
    repeat: int,
) -> tuple[float, float, int, int, float]:
    """Seconds over all rows for the generated code and the baseline, the
    rows each rejected, and the seconds spent making the rows. The two take
    turns on every batch, so that a slower or faster stretch of the machine
    counts for both; each batch is run `repeat` times, the first to go
    alternating, and its fastest run counts."""
    seconds = [0.0, 0.0]
    rejected = [0, 0]
    making = 0.0
    n = 0
    while True:
        start = time.perf_counter()
        part = next(batches, None)
        making += time.perf_counter() - start
        if part is None:
            break
        n += 1
        best = [float("inf"), float("inf")]
        for r in range(repeat):
            for side in (0, 1) if (n + r) % 2 == 0 else (1, 0):
                t = time.perf_counter()
                if side == 0:
                    out = run_generated(transforms, part, now)
                else:
                    out = run_baseline(transformer, part)
                best[side] = min(best[side], time.perf_counter() - t)
                if r == 0:
                    rejected[side] += out
        seconds[0] += best[0]
        seconds[1] += best[1]
    return seconds[0], seconds[1], rejected[0], rejected[1], making


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--package", type=Path, help="an already built python/ directory")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--check-rows", type=int, default=10_000)
    p.add_argument(
        "--chunk", type=int, default=10_000, help="rows per batch (the runner's)"
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="runs of each batch; the best counts"
    )
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="cutover-bench-") as tmp:
        package = args.package or build_package(Path(tmp))
        sys.path.insert(0, str(package.resolve()))
        transforms = importlib.import_module(f"{PACKAGE}.transforms")
    origin = args.package or f"built from {SPEC}"

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    transformer = DataTransformer(accounts_mappings(now))

    check(transforms, transformer, next(customers(args.check_rows, 1, 10_000)), now)
    print(f"{args.check_rows:,} rows (seed 1): generated == baseline")
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{cpu_model()}, {os.cpu_count()} CPUs; package {origin}"
    )
    batches = customers(args.rows, args.seed, args.chunk)
    g, b, g_rejected, b_rejected, making = measure(
        transforms, transformer, batches, now, args.repeat
    )
    print(
        f"{args.rows:,} customers rows in batches of {args.chunk:,},"
        f" made in {making:.1f} s (not counted), each batch run {args.repeat}×"
    )
    n = args.rows
    print(f"generated  {g:7.2f} s  {n / g:10,.0f} rows/s  ({g_rejected:,} rejected)")
    print(f"baseline   {b:7.2f} s  {n / b:10,.0f} rows/s  ({b_rejected:,} rejected)")
    print(f"ratio      {b / g:.2f}× the baseline's rows per second")
    print(f"peak RSS   {peak_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
