"""Benchmark of SNA editions on PostgreSQL (issue 12, "Performance").

From one run it prints:

- a five-year partnership edition over N records (default 1,000,000; ``--rows``): seconds and
  pages, where the time goes (data, charts, layout, writing) and its ratio to WeasyPrint rendering
  a plain-text reference document of the same page count in the same run (target ≤ 2×);
- two local-authority editions against one (target ≤ 2.2×);
- the peak memory (VmHWM) of the process that built the partnership edition.

Each edition is built in its own subprocess with the worker's pipeline
(``assessments.services.edition_files_write``, thumbnails included), so its peak memory is its own.
Records are generated and imported with ``bench/bench_incidents_import.py``'s helpers into the same
throw-away database (default ``nsvpp_bench`` on 127.0.0.1), then the evidence cubes are rebuilt.

Usage: ``.venv/bin/python bench/bench_sna.py [--rows N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_incidents_import import (  # noqa: E402
    DEFAULT_URL,
    _ensure_database,
    _peak_rss_kb,
    _setup_django,
    child_import,
    generate,
    lsoa_codes,
    prepare_reference,
)

TARGET_FLOOR_RATIO = 2.0
TARGET_SCALING = 2.2
AUTHORITIES = [("E06099991", "Bench North"), ("E06099992", "Bench South")]


def prepare(rows: int, media: str) -> None:
    """Reference data, two authorities splitting the bench LSOAs, N records and their cubes."""
    from evidence.cubes import cubes_refresh
    from incidents.models import Authority, Dataset, District, IncidentRecord, Lsoa

    prepare_reference()
    codes = lsoa_codes()
    for index, (code, name) in enumerate(AUTHORITIES):
        authority, _ = Authority.objects.get_or_create(code=code, defaults={"name": name})
        district, _ = District.objects.get_or_create(
            code=f"E0709999{index}", defaults={"name": name, "authority": authority}
        )
        half = codes[index::2]
        Lsoa.objects.filter(code__in=half).update(
            district=district, population_total=1500, population_year=2020
        )
    dataset = Dataset.objects.get(slug="bench-template")
    if IncidentRecord.objects.filter(dataset=dataset).count() != rows:
        work = Path(tempfile.mkdtemp(prefix="nsvpp-bench-sna-"))
        path = work / "bench-template.csv"
        generate(path, rows)
        result = child_import(path)
        path.unlink()
        print(f"Imported {result['rows']:,} records in {result['total_s']:,.0f} s")
    started = time.perf_counter()
    cubes_refresh(dataset_id=dataset.pk)
    print(f"Evidence cubes rebuilt in {time.perf_counter() - started:,.1f} s")


def child_edition(area: str, media: str) -> dict[str, object]:
    """Build one edition as the worker does (in this process) and report its timings."""
    from django.db import transaction

    from assessments import services
    from assessments.models import Edition
    from incidents.models import Authority, Dataset

    authority = Authority.objects.get(code=area) if area != "partnership" else None
    with transaction.atomic():
        edition = Edition.objects.create(
            title="Bench Strategic Needs Assessment",
            edition_label="Benchmark",
            period_start=dt.date(2019, 1, 1),
            period_end=dt.date(2023, 12, 1),
            area_level="authority" if authority else "partnership",
            authority=authority,
            audience="restricted",
        )
        edition.datasets.set(Dataset.objects.filter(slug="bench-template"))
    folder = Path(media) / "bench" / str(edition.pk)
    started = time.perf_counter()
    files = services.edition_files_write(
        edition=edition, folder=folder, progress=lambda percent, step: None
    )
    total = time.perf_counter() - started
    Edition.objects.filter(pk=edition.pk).delete()
    return {
        "seconds": total,
        "pages": files.page_count,
        "steps": files.timings.seconds,
        "peak_rss_kb": _peak_rss_kb(),
    }


def reference_seconds(pages: int) -> tuple[float, int]:
    """WeasyPrint on a plain-text document of the same page count, tagged the same way."""
    from assessments.rendering import pdf_render

    paragraph = (
        "The partnership shares data to understand where and when serious violence happens, "
        "who it affects and what drives it, so that partners can act together. "
    ) * 4
    body = "".join(
        f'<section style="page-break-after: always"><h2>Page {i}</h2>'
        + f"<p>{paragraph}</p>" * 6
        + "</section>"
        for i in range(1, pages + 1)
    )
    html = (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Reference</title>'
        '<link rel="stylesheet" href="reports/print.css"></head><body>'
        f"<h1>Reference</h1>{body}</body></html>"
    )
    started = time.perf_counter()
    _pdf, rendered, _fetcher = pdf_render(html=html)
    return time.perf_counter() - started, rendered


def _run_child(area: str, args: argparse.Namespace, media: str) -> dict[str, object]:
    output = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, __file__, "--child", area, "--database-url", args.database_url],
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
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    media = os.environ.get("MEDIA_ROOT") or tempfile.mkdtemp(prefix="nsvpp-bench-media-")
    if args.child:
        _setup_django(args.database_url, media)
        print(json.dumps(child_edition(args.child, media)))
        return

    _ensure_database(args.database_url)
    _setup_django(args.database_url, media)
    prepare(args.rows, media)

    partnership = _run_child("partnership", args, media)
    floor, reference_pages = reference_seconds(int(partnership["pages"]))
    # Wall time of whole worker processes (start-up included), one edition then two.
    started = time.perf_counter()
    one = _run_child(AUTHORITIES[0][0], args, media)
    one_wall = time.perf_counter() - started
    started = time.perf_counter()
    for code, _name in AUTHORITIES:
        _run_child(code, args, media)
    two = time.perf_counter() - started

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    steps = partnership["steps"]
    ratio = float(partnership["seconds"]) / floor
    scaling = two / one_wall
    print(f"PostgreSQL, {args.rows:,} records, {os.cpu_count()} CPUs")
    print(
        f"Partnership edition, 5 years: {partnership['seconds']:,.1f} s, "
        f"{partnership['pages']} pages ("
        + ", ".join(f"{k} {v:,.1f} s" for k, v in steps.items())
        + ")"
    )
    print(f"Plain-text reference, {reference_pages} pages: {floor:,.1f} s")
    print(
        f"Ratio to the reference: {ratio:.2f}× "
        f"(target ≤ {TARGET_FLOOR_RATIO}×: {verdict(ratio <= TARGET_FLOOR_RATIO)})"
    )
    print(
        f"One authority edition {one_wall:,.1f} s ({one['pages']} pages); two "
        f"{two:,.1f} s (each a worker process, start-up included): {scaling:.2f}× "
        f"(target ≤ {TARGET_SCALING}×: {verdict(scaling <= TARGET_SCALING)})"
    )
    print(f"Peak memory of the partnership edition: {partnership['peak_rss_kb'] / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
