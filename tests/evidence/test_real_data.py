"""Evidence figures on the six real data.police.uk months equal direct counts of the CSV files.

The files go through the normal pipeline (check, import); the import's commit queues the cube
rebuild (run in-process here), and the pages' figures are compared with counts computed from
the CSVs themselves with Python's csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from evidence import selectors
from evidence.models import CubeRefresh
from evidence.query import Area, Audience, EvidenceQuery, Subject
from incidents.importing.services import upload_run_now, upload_withdraw
from incidents.models import CategoryMapping, Lsoa, Upload
from tests.incidents.factories import AgreementFactory, DatasetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


@pytest.fixture
def police_uk(shared_data, org_a, alice, django_capture_on_commit_callbacks):
    call_command("load_geography", "--data-dir", str(shared_data), stdout=StringIO())
    call_command("load_crime_categories", stdout=StringIO())
    call_command("load_priorities", stdout=StringIO())
    dataset = DatasetFactory(
        owner=org_a, slug="police-uk-street", name="Police street crime", format="police_uk_street"
    )
    AgreementFactory(dataset=dataset)
    files = sorted((shared_data / "police_uk").glob("*.csv"))
    assert len(files) == 6
    uploads = []
    for path in files:
        with django_capture_on_commit_callbacks(execute=True):
            uploads.append(upload_run_now(dataset=dataset, path=path, user=alice))
    assert all(u.status == Upload.Status.IMPORTED for u in uploads)
    return dataset, files, uploads


def _csv_rows(files: list[Path]) -> list[dict[str, str]]:
    rows = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def _query(**kwargs) -> EvidenceQuery:
    categories = tuple(
        CategoryMapping.objects.filter(source_format="police_uk_street")
        .values_list("category__slug", flat=True)
        .distinct()
    )
    defaults = {
        "subject": Subject(kind="categories", category_slugs=categories),
        "start": dt.date(2022, 1, 1),
        "end": dt.date(2022, 6, 1),
    }
    return EvidenceQuery(**{**defaults, **kwargs})


def test_figures_match_direct_counts_of_the_files(police_uk, alice_client):
    dataset, files, _uploads = police_uk
    rows = _csv_rows(files)
    assert CubeRefresh.objects.get(dataset=dataset).records == len(rows)
    lsoas = {
        code: (district, authority)
        for code, district, authority in Lsoa.objects.filter(in_area=True).values_list(
            "code", "district__name", "district__authority__name"
        )
    }
    in_area = [r for r in rows if r["LSOA code"] in lsoas]
    audience = Audience.restricted([dataset.pk])

    # Monthly counts (trend): every record not known to be outside the area, by month.
    trend = selectors.evidence_trend(query=_query(), audience=audience)
    expected_months = Counter(
        r["Month"] for r in rows if r["LSOA code"] in lsoas or not r["LSOA code"]
    )
    got_months = {row[0]: row[1] for row in trend.table.rows}
    assert got_months == {
        dt.datetime.strptime(m, "%Y-%m").strftime("%b %Y"): n for m, n in expected_months.items()
    }

    # Districts and authorities (where).
    where = selectors.evidence_where(query=_query(), audience=audience)
    by_district = Counter(lsoas[r["LSOA code"]][0] for r in in_area)
    assert {row[0]: row[2] for row in where.tables["district"].rows} == dict(by_district)
    by_authority = Counter(lsoas[r["LSOA code"]][1] for r in in_area)
    assert {row[0]: row[2] for row in where.tables["authority"].rows} == dict(by_authority)
    by_lsoa = Counter(r["LSOA code"] for r in in_area)
    got_lsoa = {row[1]: row[2] for row in where.tables["lsoa"].rows}
    assert {k: v for k, v in got_lsoa.items() if v} == dict(by_lsoa)

    # One category as the subject, in one district.
    mapping = dict(
        CategoryMapping.objects.filter(source_format="police_uk_street").values_list(
            "source_code", "category__slug"
        )
    )
    district = Lsoa.objects.filter(in_area=True, district__name="Northampton").first().district
    robbery = EvidenceQuery(
        subject=Subject(kind="categories", category_slugs=(mapping["Robbery"],)),
        start=dt.date(2022, 3, 1),
        end=dt.date(2022, 5, 1),
        area=Area(level="district", code=district.code),
    )
    expected = sum(
        1
        for r in in_area
        if r["Crime type"] == "Robbery"
        and lsoas[r["LSOA code"]][0] == "Northampton"
        and "2022-03" <= r["Month"] <= "2022-05"
    )
    trend = selectors.evidence_trend(query=robbery, audience=audience)
    assert trend.current == expected > 0

    # Locations: the files' own generalised location text.
    locations = Counter(
        r["Location"] for r in rows if r["LSOA code"] in lsoas or not r["LSOA code"]
    )
    top = dict(tuple(row) for row in where.locations.rows)
    for text, n in top.items():
        assert locations[text] == n

    # The page itself shows the same district figure.
    page = alice_client.get(
        reverse("evidence:where")
        + "?start=2022-01&end=2022-06&subject=categories&"
        + "&".join(f"category={c}" for c in set(mapping.values()))
    )
    assert page.status_code == 200
    assert f"{by_district['Northampton']:,}" in page.content.decode()


def test_withdrawal_rebuilds_the_aggregates(police_uk, alice, django_capture_on_commit_callbacks):
    dataset, files, uploads = police_uk
    last = _csv_rows(files[-1:])
    with django_capture_on_commit_callbacks(execute=True):
        upload_withdraw(upload=uploads[-1], user=alice)
    total = len(_csv_rows(files))
    assert CubeRefresh.objects.get(dataset=dataset).records == total - len(last)
    trend = selectors.evidence_trend(query=_query(), audience=Audience.restricted([dataset.pk]))
    months = {row[0]: row[1] for row in trend.table.rows}
    assert months["Jun 2022"] == 0
    assert months["May 2022"] > 0
