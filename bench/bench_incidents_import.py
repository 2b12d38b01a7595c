"""Benchmark of the incident import pipeline on PostgreSQL (issue 3, "Scale").

Generates N rows in the portal template (default 1,000,000), then prints, from one run:

- import rows/s (the confirmed import in the worker, into a dataset with no records: it writes
  the rows the check converted and validated, with their versions, priority bits and the
  dataset's partition) and end-to-end rows/s (receive + check + import);
- the ratio to a raw ``COPY`` of the same file into a bare table of text columns;
- the ratio to django-import-export with default settings on a 20,000-row subset;
- peak RSS of a process importing 100k rows and of one importing 1M rows (each measured in its own
  subprocess from /proc/self/status VmHWM);
- for information, a later upload of N/10 new rows into the same dataset (the incremental path).

Usage: ``.venv/bin/python bench/bench_incidents_import.py [--rows N] [--database-url URL]``.
The database (default ``nsvpp_bench`` on 127.0.0.1:5432, user postgres) is created if missing and
is emptied of incident records before each measured import: never point it at real data.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/nsvpp_bench"
IMPORT_EXPORT_ROWS = 20_000
SMALL_ROWS = 100_000
TARGET_COPY_RATIO = 0.25
TARGET_IE_RATIO = 20.0
TARGET_RSS_RATIO = 1.5
LSOA_COUNT = 400


def _setup_django(database_url: str, media: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nsvpp.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _ensure_database(database_url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    name = database_url.rsplit("/", 1)[1]
    admin = psycopg2.connect(database_url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def _peak_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def lsoa_codes() -> list[str]:
    return [f"E01{90_000 + i:06d}" for i in range(LSOA_COUNT)]


def generate(path: Path, rows: int, prefix: str = "BENCH") -> None:
    """Portal-template rows: realistic spread of dates, categories, places and flags."""
    from incidents.importing.spec import TEMPLATE_FIELD_NAMES

    rng = random.Random(20_220_101)  # noqa: S311
    codes = lsoa_codes()
    categories = [
        "Violence and sexual offences",
        "Robbery",
        "Public order",
        "Possession of weapons",
        "Criminal damage and arson",
        "Drugs",
        "Other theft",
        "Burglary",
    ]
    places = ["public_place", "dwelling", "licensed_premises", "education", "transport", ""]
    weapons = ["knife", "none", "other", "unknown", "", "firearm"]
    bands = ["10-17", "18-24", "25-34", "35-44", "45-54", "", "unknown"]
    sexes = ["female", "male", "", "unknown"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TEMPLATE_FIELD_NAMES)
        for i in range(rows):
            year = 2019 + (i % 5)
            writer.writerow(
                [
                    f"{prefix}-{i:08d}",
                    f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    f"{rng.randint(0, 23):02d}:{rng.choice(('00', '15', '30', '45'))}",
                    rng.choice(categories),
                    rng.choice(codes),
                    f"On or near Street {rng.randint(1, 3000)}",
                    f"52.{rng.randint(100000, 699999)}",
                    f"-0.{rng.randint(100000, 999999)}",
                    rng.choice(places),
                    rng.choice(weapons),
                    rng.choice(("yes", "no", "")),
                    rng.choice(("yes", "no", "")),
                    rng.choice(("yes", "no", "")),
                    rng.choice(bands),
                    rng.choice(sexes),
                    rng.choice(bands),
                    rng.choice(sexes),
                    rng.choice(("none", "minor", "moderate", "serious", "")),
                    rng.choice(("Under investigation", "Charged", "No further action")),
                    rng.choice(("8N", "34B", "105A", "")),
                ]
            )


def head(source: Path, target: Path, rows: int) -> None:
    with open(source, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)


# ---------------------------------------------------------------------------
# Reference data, and a clean slate before each measured import
# ---------------------------------------------------------------------------
def prepare_reference() -> None:
    from io import StringIO

    from django.core.management import call_command

    from incidents.models import Dataset, DataSharingAgreement, District, Lsoa
    from partners.models import Organisation

    call_command("migrate", verbosity=0)
    call_command("load_crime_categories", stdout=StringIO())
    call_command("load_priorities", stdout=StringIO())
    district, _ = District.objects.get_or_create(code="E07099999", defaults={"name": "Bench"})
    existing = set(Lsoa.objects.values_list("code", flat=True))
    Lsoa.objects.bulk_create(
        [
            Lsoa(code=code, name=f"Bench {code}", district=district, in_area=i % 10 != 0)
            for i, code in enumerate(lsoa_codes())
            if code not in existing
        ]
    )
    owner, _ = Organisation.objects.get_or_create(
        slug="bench-police", defaults={"name": "Bench Police", "short_name": "Bench"}
    )
    dataset, _ = Dataset.objects.get_or_create(
        slug="bench-template",
        defaults={"owner": owner, "name": "Bench extract", "format": Dataset.Format.TEMPLATE},
    )
    if not dataset.agreements.exists():
        import datetime as dt

        DataSharingAgreement.objects.create(
            dataset=dataset,
            title="Bench",
            legal_basis="Bench",
            purpose="Bench",
            start_date=dt.date(2000, 1, 1),
            end_date=dt.date(2100, 1, 1),
            retention_months=12,
        )


def empty_records() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_recordversion, "
            "incidents_incidentrecord, incidents_upload RESTART IDENTITY CASCADE"
        )
        cursor.execute("VACUUM ANALYZE incidents_incidentrecord")


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------
def child_import(path: Path, append: bool = False) -> dict[str, float]:
    """Receive, check and import one file (as the browser flow does); runs in a subprocess.

    Into an emptied dataset, or with ``append`` into the records already there.
    """
    from incidents.importing import services
    from incidents.models import Dataset, IncidentRecord, Upload

    if not append:
        empty_records()
    dataset = Dataset.objects.get(slug="bench-template")
    start = time.perf_counter()
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=dataset, user=None, file=handle, filename=path.name, queue_check=False
        )
    received = time.perf_counter()
    upload = services.upload_check(upload_id=upload.pk)
    assert upload.status == Upload.Status.VALIDATED, (upload.problem, upload.first_errors)
    checked = time.perf_counter()
    services.upload_confirm(upload=upload, user=None, queue_import=False)
    upload = services.upload_import(upload_id=upload.pk)
    imported = time.perf_counter()
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    rows = IncidentRecord.objects.filter(dataset=dataset).count()
    return {
        "rows": rows,
        "receive_s": received - start,
        "check_s": checked - received,
        "import_s": imported - checked,
        "total_s": imported - start,
        "peak_rss_kb": _peak_rss_kb(),
    }


def raw_copy(path: Path) -> float:
    """Seconds for COPY of the same CSV into a bare table of text columns."""
    from django.db import connection

    from incidents.importing.spec import TEMPLATE_FIELD_NAMES

    columns = ", ".join(f"{name} text" for name in TEMPLATE_FIELD_NAMES)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(f"CREATE TABLE bench_raw_copy ({columns})")
        start = time.perf_counter()
        with open(path, encoding="utf-8") as handle:
            cursor.copy_expert("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER)", handle)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_raw_copy")
    return elapsed


def import_export_rows_per_second(path: Path, limit: int) -> float:
    """django-import-export, default ModelResource settings, on normalised rows (its best case)."""
    import tablib
    from import_export import resources

    from incidents.models import CrimeCategory, Dataset, IncidentRecord, Lsoa

    class IncidentRecordResource(resources.ModelResource):
        class Meta:
            model = IncidentRecord

    empty_records()
    dataset = Dataset.objects.get(slug="bench-template")
    lsoas = dict(Lsoa.objects.values_list("code", "pk"))
    categories = {c.name: c.pk for c in CrimeCategory.objects.all()}
    headers = [
        "id", "dataset", "source_ref", "occurred_on", "date_precision", "category", "lsoa",
        "location_text", "latitude", "longitude", "location_type", "weapon", "outcome",
        "offence_code", "row_hash",
    ]  # fmt: skip
    data = tablib.Dataset(headers=headers)
    with open(path, encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= limit:
                break
            data.append(
                [
                    "",
                    dataset.pk,
                    row["reference"],
                    row["occurred_date"],
                    "day",
                    categories.get(row["category"]),
                    lsoas[row["lsoa_code"]],
                    row["location_text"],
                    row["latitude"],
                    row["longitude"],
                    row["location_type"] or "unknown",
                    row["weapon"] or "unknown",
                    row["outcome"],
                    row["offence_code"],
                    "x",
                ]
            )
    start = time.perf_counter()
    result = IncidentRecordResource().import_data(data, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - start
    assert not result.has_errors()
    assert IncidentRecord.objects.count() == limit
    empty_records()
    return limit / elapsed


def _run_child(
    path: Path, args: argparse.Namespace, media: str, append: bool = False
) -> dict[str, float]:
    extra = ["--append"] if append else []
    output = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", str(path), "--database-url", args.database_url]
        + extra,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "MEDIA_ROOT": media},
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--append", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    media = tempfile.mkdtemp(prefix="nsvpp-bench-media-")
    if args.child:
        _setup_django(args.database_url, media)
        print(json.dumps(child_import(args.child, append=args.append)))
        return

    _ensure_database(args.database_url)
    _setup_django(args.database_url, media)
    prepare_reference()
    work = Path(tempfile.mkdtemp(prefix="nsvpp-bench-"))
    big = work / "bench-template.csv"
    small = work / "bench-template-100k.csv"
    more = work / "bench-template-more.csv"
    started = time.perf_counter()
    generate(big, args.rows)
    head(big, small, min(SMALL_ROWS, args.rows))
    more_rows = max(1, args.rows // 10)
    generate(more, more_rows, prefix="MORE")
    print(f"Generated {args.rows:,} rows ({big.stat().st_size / 1e6:,.0f} MB) in "
          f"{time.perf_counter() - started:,.1f} s")  # fmt: skip

    copy_s = raw_copy(big)
    copy_rate = args.rows / copy_s
    ie_rows = min(IMPORT_EXPORT_ROWS, args.rows)
    ie_rate = import_export_rows_per_second(big, ie_rows)
    small_run = _run_child(small, args, media)
    big_run = _run_child(big, args, media)
    assert big_run["rows"] == args.rows, big_run
    # A later, smaller upload to the same dataset: new records added to its partition.
    more_run = _run_child(more, args, media, append=True)
    assert more_run["rows"] == args.rows + more_rows, more_run

    import_rate = args.rows / big_run["import_s"]
    e2e_rate = args.rows / big_run["total_s"]
    copy_ratio = import_rate / copy_rate
    ie_ratio = import_rate / ie_rate
    rss_ratio = big_run["peak_rss_kb"] / small_run["peak_rss_kb"]
    import django

    print(f"PostgreSQL, Django {django.get_version()}, {os.cpu_count()} CPUs")
    print(f"Raw COPY into a bare table:        {copy_rate:>12,.0f} rows/s ({copy_s:,.1f} s)")
    print(f"django-import-export (defaults):   {ie_rate:>12,.0f} rows/s ({ie_rows:,} rows)")
    print(
        f"Portal import (confirmed import):  {import_rate:>12,.0f} rows/s "
        f"({big_run['import_s']:,.1f} s)"
    )
    print(
        f"Portal end to end (receive+check+import): {e2e_rate:,.0f} rows/s "
        f"(receive {big_run['receive_s']:,.1f} s, check {big_run['check_s']:,.1f} s, "
        f"import {big_run['import_s']:,.1f} s)"
    )

    more_rate = more_rows / more_run["import_s"]
    print(
        f"Later upload, {more_rows:,} new rows into the {args.rows:,}-row dataset: "
        f"{more_rate:,.0f} rows/s (import {more_run['import_s']:,.1f} s, "
        f"{more_rate / copy_rate:.0%} of raw COPY; check {more_run['check_s']:,.1f} s)"
    )

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"Ratio to raw COPY:                 {copy_ratio:>12.0%}  "
        f"(target ≥ {TARGET_COPY_RATIO:.0%}: {verdict(copy_ratio >= TARGET_COPY_RATIO)})"
    )
    print(
        f"Ratio to django-import-export:     {ie_ratio:>12.1f}× "
        f"(target ≥ {TARGET_IE_RATIO:.0f}×: {verdict(ie_ratio >= TARGET_IE_RATIO)})"
    )
    small_rows = min(SMALL_ROWS, args.rows)
    print(
        f"Peak RSS: {small_run['peak_rss_kb'] / 1024:,.0f} MB at {small_rows:,} rows, "
        f"{big_run['peak_rss_kb'] / 1024:,.0f} MB at {args.rows:,} rows: {rss_ratio:.2f}× "
        f"(target ≤ {TARGET_RSS_RATIO}×: {verdict(rss_ratio <= TARGET_RSS_RATIO)})"
    )
    for path in (big, small, more):
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
