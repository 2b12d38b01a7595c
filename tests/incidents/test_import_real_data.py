"""The six real data.police.uk months (../shared/data/police_uk) through the browser's pipeline."""

from __future__ import annotations

import csv
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from incidents.models import CategoryMapping, IncidentRecord, Lsoa, Upload
from tests.incidents.factories import AgreementFactory, DatasetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


@pytest.fixture
def loaded(shared_data, org_a):
    call_command("load_geography", "--data-dir", str(shared_data), stdout=StringIO())
    call_command("load_crime_categories", stdout=StringIO())
    dataset = DatasetFactory(
        owner=org_a, slug="police-uk-street", name="Police street crime", format="police_uk_street"
    )
    AgreementFactory(dataset=dataset)
    return dataset


def _files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "police_uk").glob("*.csv"))
    assert len(files) == 6
    return files


def _upload_in_browser(client, dataset, path: Path, capture) -> Upload:
    with capture(execute=True):
        response = client.post(
            reverse("incidents:upload_new", args=[dataset.slug]),
            {"file": SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")},
        )
    assert response.status_code == 302
    upload = Upload.objects.latest("pk")
    assert upload.status == Upload.Status.VALIDATED, (upload.problem, upload.first_errors)
    with capture(execute=True):
        client.post(reverse("incidents:upload_confirm", args=[upload.pk]))
    upload.refresh_from_db()
    return upload


def test_six_police_uk_months_import_completely(
    loaded, shared_data, alice_client, django_capture_on_commit_callbacks
):
    expected_types: Counter[str] = Counter()
    in_area = set(Lsoa.objects.filter(in_area=True).values_list("code", flat=True))
    assert len(in_area) == 422
    expected_outside = 0
    rows = 0
    for path in _files(shared_data):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                rows += 1
                expected_types[row["Crime type"]] += 1
                expected_outside += row["LSOA code"] not in in_area
    assert rows == 38_366

    uploads = [
        _upload_in_browser(alice_client, loaded, path, django_capture_on_commit_callbacks)
        for path in _files(shared_data)
    ]
    assert all(u.status == Upload.Status.IMPORTED for u in uploads), [u.problem for u in uploads]
    assert sum(u.rows_new for u in uploads) == rows
    assert IncidentRecord.objects.filter(dataset=loaded).count() == rows

    # Counts per category equal the counts computed directly from the CSVs.
    mapping = dict(
        CategoryMapping.objects.filter(source_format="police_uk_street").values_list(
            "source_code", "category__slug"
        )
    )
    expected_by_slug = Counter({mapping[t]: n for t, n in expected_types.items()})
    got = dict(
        IncidentRecord.objects.values_list("category__slug")
        .annotate(n=Count("pk"))
        .values_list("category__slug", "n")
    )
    assert got == dict(expected_by_slug)

    # Out-of-county rows are kept, marked and reported in the summaries.
    assert sum(u.rows_outside_area for u in uploads) == expected_outside
    assert IncidentRecord.objects.filter(outside_area=True).count() == expected_outside
    assert expected_outside > 0
    summary = alice_client.get(reverse("incidents:upload_detail", args=[uploads[0].pk]))
    assert "Outside the partnership area" in summary.content.decode()
    milton_keynes = IncidentRecord.objects.filter(lsoa__code__startswith="E0101").first()
    assert milton_keynes is None or milton_keynes.outside_area

    # Anti-social behaviour (no Crime ID) has deterministic references.
    asb = IncidentRecord.objects.filter(category__slug="anti-social-behaviour")
    assert asb.count() == expected_types["Anti-social behaviour"]
    assert not asb.exclude(source_ref__startswith="asb-").exists()

    # Re-importing every month is a no-op.
    before = IncidentRecord.objects.order_by("pk").values_list("pk", "row_hash", "upload_id")
    before = list(before)
    again = [
        _upload_in_browser(alice_client, loaded, path, django_capture_on_commit_callbacks)
        for path in _files(shared_data)
    ]
    assert [(u.rows_new, u.rows_changed) for u in again] == [(0, 0)] * 6
    assert sum(u.rows_unchanged for u in again) == rows
    after = list(IncidentRecord.objects.order_by("pk").values_list("pk", "row_hash", "upload_id"))
    assert after == before
