"""Benchmark of the evidence pages on PostgreSQL (issue 11, "Scale").

Generates N incident records (default 1,000,000) spread over 5 years, 400 LSOAs in 80 wards, 7
districts and 2 authorities, in one dataset's own partition (as a bulk import leaves them), with
times, ages, weapons, locations and priority bits; rebuilds the evidence cubes (timed); then,
for each evidence page, times the page through Django's test client (signed in as an analyst
who sees the data through disclosure control, the heavier path) side by side with a bare
``SELECT count(*)`` over the same records, alternating the two, and prints the medians, their
ratio and the page's query count.

Targets: each page at most 3x the bare count at 1M; at 10M at most 2x its time at 1M; the
query count constant in the data's size.

Usage: ``.venv/bin/python bench/bench_evidence.py [--rows N] [--repeat K] [--database-url URL]``.
The database (default ``nsvpp_evidence`` on 127.0.0.1:5432, user postgres) is created if
missing, migrated, and its incident data is replaced: never point it at real data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/nsvpp_evidence"
PAGES = [
    "overview",
    "trend",
    "where",
    "when",
    "who",
    "deprivation",
    "police_health",
    "data_quality",
]
TARGET_COUNT_RATIO = 3.0
LSOAS, WARDS, DISTRICTS = 400, 80, 7
YEARS = 5


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_DEBUG", "true")
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


def _reference() -> dict:
    """Areas, categories, priorities, two organisations, a dataset and a reader."""
    from django.core.management import call_command

    from incidents.models import (
        Authority,
        CrimeCategory,
        Dataset,
        DataSharingAgreement,
        District,
        IncidentRecord,
        Lsoa,
        PriorityCrimeType,
        Ward,
    )
    from partners.models import Membership, Organisation, User

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("load_crime_categories", verbosity=0)
    call_command("load_priorities", verbosity=0)
    from evidence.cubes import CUBES

    for model in CUBES:
        model.objects.all().delete()
    for dataset in Dataset.objects.filter(slug="bench-police"):
        IncidentRecord.objects.filter(dataset=dataset)._raw_delete(IncidentRecord.objects.db)
    authorities = [
        Authority.objects.update_or_create(code=f"E0699990{i}", defaults={"name": f"Bench {i}"})[0]
        for i in range(2)
    ]
    districts = [
        District.objects.update_or_create(
            code=f"E0799990{i}", defaults={"name": f"District {i}", "authority": authorities[i % 2]}
        )[0]
        for i in range(DISTRICTS)
    ]
    wards = [
        Ward.objects.update_or_create(
            code=f"E0599{i:04d}", defaults={"name": f"Ward {i}", "district": districts[i % 7]}
        )[0]
        for i in range(WARDS)
    ]
    for i in range(LSOAS):
        Lsoa.objects.update_or_create(
            code=f"E0199{i:04d}",
            defaults={
                "name": f"Bench {i:03d}A",
                "district": wards[i % WARDS].district,
                "ward": wards[i % WARDS],
                "population_total": 1200 + (i * 37) % 900,
                "imd_decile": 1 + i % 10,
                "in_area": True,
            },
        )
    owner, _ = Organisation.objects.get_or_create(
        slug="bench-police",
        defaults={"name": "Bench Police", "short_name": "Police", "kind": "police"},
    )
    other, _ = Organisation.objects.get_or_create(
        slug="bench-fire", defaults={"name": "Bench Fire", "short_name": "Fire", "kind": "fire"}
    )
    dataset, _ = Dataset.objects.get_or_create(
        slug="bench-police",
        defaults={"owner": owner, "name": "Bench police extract", "format": "portal_template"},
    )
    import datetime as dt

    DataSharingAgreement.objects.get_or_create(
        dataset=dataset,
        defaults={
            "title": "Bench",
            "legal_basis": "Bench",
            "purpose": "Bench",
            "start_date": dt.date(2020, 1, 1),
            "end_date": dt.date(2099, 1, 1),
            "retention_months": 36,
        },
    )
    reader, _ = User.objects.get_or_create(
        email="bench.reader@fire.example.org", defaults={"full_name": "Bench Reader"}
    )
    Membership.objects.get_or_create(user=reader, organisation=other, defaults={"role": "analyst"})
    return {
        "dataset": dataset,
        "reader": reader,
        "categories": list(CrimeCategory.objects.values_list("pk", flat=True)),
        "masks": [p.mask for p in PriorityCrimeType.objects.all()],
        "lsoas": list(Lsoa.objects.filter(code__startswith="E0199").values_list("pk", flat=True)),
    }


def _generate(ref: dict, rows: int) -> float:
    """Insert the records set-based into the dataset's own partition; returns seconds."""
    from django.db import connection, transaction

    from incidents import partitions

    lsoas, categories, masks = ref["lsoas"], ref["categories"], ref["masks"]
    columns = [
        "dataset_id", "source_ref", "occurred_on", "occurred_at", "date_precision",
        "category_id", "lsoa_id", "outside_area", "location_text", "location_type", "weapon",
        "victim_age_band", "victim_sex", "suspect_age_band", "suspect_sex", "injury_severity",
        "outcome", "offence_code", "row_hash", "priority_bits", "cell_key",
    ]  # fmt: skip
    days = YEARS * 365
    # %% is a literal modulo (the statement takes parameters).
    select = f"""
        SELECT %s, 'B' || g, d::date,
               CASE WHEN g %% 3 = 0 THEN d + make_interval(hours => ((g * 7) %% 24)::int) END,
               CASE g %% 3 WHEN 0 THEN 'datetime' WHEN 1 THEN 'day' ELSE 'month' END,
               (%s::bigint[])[1 + g %% {len(categories)}],
               (%s::bigint[])[1 + (g * 13) %% {len(lsoas)}],
               false,
               'On or near Street ' || (g * 31) %% 900,
               (ARRAY['public_place','dwelling','licensed_premises','unknown'])[1 + g %% 4],
               (ARRAY['knife','none','other','unknown'])[1 + (g / 3) %% 4],
               (ARRAY['10-17','18-24','25-34','35-44','unknown'])[1 + g %% 5],
               (ARRAY['female','male','unknown'])[1 + (g / 5) %% 3],
               (ARRAY['18-24','25-34','unknown'])[1 + (g / 7) %% 3],
               (ARRAY['male','female','unknown'])[1 + (g / 11) %% 3],
               'unknown', '', '', md5(g::text),
               CASE WHEN g %% 4 = 0 THEN (%s::bigint[])[1 + (g / 4) %% {len(masks)}] ELSE 0 END,
               (g * 97) %% 256
        FROM (
            SELECT g,
                   timestamp '2020-01-01' + make_interval(days => ((g * 7919) %% {days})::int) AS d
            FROM generate_series(1::bigint, %s) AS g
        ) s
    """
    start = time.perf_counter()
    with transaction.atomic():
        partitions.rebuild_with(
            dataset_id=ref["dataset"].pk,
            columns=columns,
            select_sql=select,
            params=[ref["dataset"].pk, categories, lsoas, masks, rows],
        )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {partitions.partition_name(ref['dataset'].pk)}")
    return time.perf_counter() - start


def _median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="Keep the records already there.")
    parser.add_argument(
        "--no-rebuild", action="store_true", help="With --reuse: keep the cubes already built."
    )
    args = parser.parse_args()
    _ensure_database(args.database_url)
    _setup_django(args.database_url)

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from evidence.cubes import cubes_refresh
    from incidents.models import IncidentRecord

    ref = _reference() if not args.reuse else None
    if ref is not None:
        seconds = _generate(ref, args.rows)
        print(f"generated {args.rows:,} records in {seconds:.1f} s")
    else:
        from django.core.management import call_command

        from incidents.models import Dataset
        from partners.models import User

        call_command("migrate", verbosity=0)
        ref = {
            "dataset": Dataset.objects.get(slug="bench-police"),
            "reader": User.objects.get(email="bench.reader@fire.example.org"),
        }
    dataset = ref["dataset"]
    total = IncidentRecord.objects.filter(dataset=dataset).count()
    if not (args.reuse and args.no_rebuild):
        start = time.perf_counter()
        cubes_refresh(dataset_id=dataset.pk)
        print(f"cube rebuild of {total:,} records: {time.perf_counter() - start:.1f} s")
    else:
        print(f"{total:,} records; cubes kept from the last rebuild")

    client = Client()
    client.force_login(ref["reader"])
    query = "?start=2024-01&end=2024-12"

    def bare_count() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM incidents_incidentrecord WHERE dataset_id = %s",
                [dataset.pk],
            )
            cursor.fetchone()

    print(f"{'page':<15}{'page ms':>10}{'count(*) ms':>13}{'ratio':>8}{'queries':>9}  target")
    results = []
    for page in PAGES:
        url = reverse(f"evidence:{page}") + query
        response = client.get(url)  # warm: per-process caches, chart renderer
        assert response.status_code == 200, (page, response.status_code)
        reset_queries()  # DEBUG keeps a capped log: start it empty so the count is right
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        page_times, count_times = [], []
        for _ in range(args.repeat):  # side by side, alternating
            page_times.append(_median_seconds(lambda url=url: client.get(url), 1))
            count_times.append(_median_seconds(bare_count, 1))
        page_ms = 1000 * statistics.median(page_times)
        count_ms = 1000 * statistics.median(count_times)
        ratio = page_ms / count_ms
        ok = "met" if ratio <= TARGET_COUNT_RATIO else "MISSED"
        results.append((page, page_ms, count_ms, ratio, len(queries)))
        print(f"{page:<15}{page_ms:>10.1f}{count_ms:>13.1f}{ratio:>8.2f}{len(queries):>9}  {ok}")


if __name__ == "__main__":
    main()
