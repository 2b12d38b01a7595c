"""The demo's synthetic partner extracts: made with a fixed seed from the real police.uk months,
uploaded through the import pipeline, labelled synthetic, and idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db.models import Count
from django.db.models.functions import TruncMonth

from core.models import AuditEvent
from incidents import access, demo_synthetic
from incidents.demo import seed_demo_datasets
from incidents.demo_synthetic import (
    ISTV_SLUG,
    POLICE_SLUG,
    SYNTHETIC_SLUGS,
    YOS_SLUG,
    police_uk_files,
    seed_synthetic,
    synthetic_files,
)
from incidents.models import Dataset, IncidentRecord, PriorityCrimeType, PriorityRule, Upload
from incidents.priorities import rule_q
from incidents.reference import (
    CATEGORIES_FILE,
    PRIORITIES_FILE,
    categories_load,
    priorities_load,
    read_json,
)
from partners import demo as partners_demo
from tests.incidents.factories import LsoaFactory
from tests.incidents.test_import_support import POLICE_HEADER

# police.uk's violence type, refined by the extract into the partnership's finer categories.
BROAD = {slug: broad for broad, refined in demo_synthetic.REFINE.items() for slug in refined.values}


BROAD_VIOLENCE = [s for s, broad in BROAD.items() if broad == "Violence and sexual offences"]


def _real_counts(folder: Path) -> tuple[Counter, Counter]:
    """Rows of the police.uk files by month, and by (month, LSOA code, crime type): by hand."""
    by_month: Counter = Counter()
    by_cell: Counter = Counter()
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                by_month[row["Month"]] += 1
                by_cell[(row["Month"], row["LSOA code"], row["Crime type"])] += 1
    return by_month, by_cell


def _reference_data() -> None:
    categories_load(data=read_json(CATEGORIES_FILE, key="categories"))
    priorities_load(data=read_json(PRIORITIES_FILE, key="priorities"))


def _snapshot() -> dict[str, object]:
    counts = {m._meta.label: m.objects.count() for m in apps.get_models()}
    counts.pop("sessions.Session", None)
    return {
        "counts": counts,
        "uploads": list(Upload.objects.order_by("pk").values_list("pk", "status", "sha256")),
        "hashes": list(IncidentRecord.objects.order_by("pk").values_list("pk", "row_hash")),
    }


# ---------------------------------------------------------------------------
# On a small police.uk folder (always runs)
# ---------------------------------------------------------------------------
LSOAS = {
    "E01027117": "Northampton 001A",
    "E01027118": "Northampton 001B",
    "E01026950": "Corby 001A",
}
TYPES = (
    ["Violence and sexual offences"] * 30
    + ["Robbery"] * 4
    + ["Possession of weapons"] * 3
    + ["Drugs", "Burglary", "Shoplifting", "Anti-social behaviour", "Public order"]
)


def _police_uk_file(folder: Path, month: str) -> Path:
    lines = [POLICE_HEADER]
    for n, crime_type in enumerate(TYPES):
        code = list(LSOAS)[n % len(LSOAS)]
        crime_id = "" if crime_type == "Anti-social behaviour" else f"{month}-{n:03d}"
        lines.append(
            f"{crime_id},{month},Test Police,Test Police,-0.9,52.24,On or near Gold Street,"
            f"{code},{LSOAS[code]},{crime_type},,"
        )
    path = folder / f"{month}-test-street.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_demo(db, tmp_path, settings):
    """Organisations, people, reference data, three LSOAs, the datasets and two police.uk months."""
    folder = tmp_path / "data" / "police_uk"
    folder.mkdir(parents=True)
    paths = [_police_uk_file(folder, "2022-01"), _police_uk_file(folder, "2022-02")]
    settings.SHARED_DATA_DIR = str(tmp_path / "data")
    partners_demo.seed(stdout=StringIO())
    _reference_data()
    for code, name in LSOAS.items():
        LsoaFactory(code=code, name=name, in_area=True)
    seed_demo_datasets()
    return paths


def test_each_extract_goes_through_the_pipeline_with_its_analyst(small_demo):
    out = StringIO()
    uploads = seed_synthetic(stdout=out)
    assert {u.status for u in uploads} == {Upload.Status.IMPORTED}
    by_dataset = Counter(u.dataset.slug for u in uploads)
    # Two police and youth offending months; the ICB's latest month is missing (a month late).
    assert by_dataset == {POLICE_SLUG: 2, YOS_SLUG: 2, ISTV_SLUG: 1}
    for upload in uploads:
        assert upload.uploaded_by.email == f"analyst@{upload.dataset.owner.slug}.example.org"
        assert "synthetic" in upload.original_filename
        assert upload.rows_invalid == 0 and upload.rows_new == upload.rows_total
        # Received, checked, confirmed and imported by the pipeline's services, as on the web.
        actions = set(
            AuditEvent.objects.filter(object_id=str(upload.pk)).values_list("action", flat=True)
        )
        assert {"upload.receive", "upload.check", "upload.confirm", "upload.import"} <= actions
    assert "Synthetic police-extract: 2 monthly files imported" in out.getvalue()
    police = IncidentRecord.objects.filter(dataset__slug=POLICE_SLUG)
    assert police.count() == 2 * len(TYPES)
    istv = Upload.objects.get(dataset__slug=ISTV_SLUG)
    assert istv.rows_total == round(30 * demo_synthetic.ISTV_SHARE_OF_POLICE_VIOLENCE) > 0


def test_upload_dates_are_simulated_after_each_month_ends(small_demo):
    seed_synthetic(stdout=StringIO())
    for upload in Upload.objects.filter(dataset__slug__in=SYNTHETIC_SLUGS):
        month = upload.original_filename.rsplit("-synthetic-", 1)[1].removesuffix(".csv")
        year, number = (int(p) for p in month.split("-"))
        next_month = dt.date(year + number // 12, number % 12 + 1, 1)
        lag = (upload.uploaded_at.date() - next_month).days + 1
        assert lag == demo_synthetic.UPLOAD_DAY[upload.dataset.slug]
        assert upload.uploaded_at < upload.started_at < upload.finished_at


def test_the_datasets_are_labelled_synthetic_with_current_agreements(small_demo):
    seed_synthetic(stdout=StringIO())
    for slug in SYNTHETIC_SLUGS:
        dataset = Dataset.objects.get(slug=slug)
        for text in (dataset.name, dataset.source_system, dataset.extraction_notes):
            assert "synthetic" in text.lower(), (slug, text)
        assert dataset.cadence == Dataset.Cadence.MONTHLY
        assert access.agreement_problem(dataset) is None
        agreement = access.agreement_current(dataset)
        assert set(agreement.record_level_organisations.values_list("slug", flat=True)) == {"opfcc"}
    owners = dict(
        Dataset.objects.filter(slug__in=SYNTHETIC_SLUGS).values_list("slug", "owner__slug")
    )
    assert owners == {POLICE_SLUG: "police", ISTV_SLUG: "icb", YOS_SLUG: "yos"}


def test_old_labels_are_replaced_by_synthetic_ones(small_demo):
    Dataset.objects.filter(slug=ISTV_SLUG).update(name="Emergency department assaults (ISTV)")
    seed_synthetic(stdout=StringIO())
    assert "synthetic" in Dataset.objects.get(slug=ISTV_SLUG).name


def test_a_second_run_changes_nothing(small_demo):
    seed_synthetic(stdout=StringIO())
    first = _snapshot()
    out = StringIO()
    again = seed_synthetic(stdout=out)
    assert _snapshot() == first
    assert len(again) == 5 and "imported" not in out.getvalue()


def test_skips_with_a_note_without_police_uk_files(db, tmp_path, settings):
    settings.SHARED_DATA_DIR = str(tmp_path / "absent")
    out = StringIO()
    assert seed_synthetic(stdout=out) == []
    assert "Skipped synthetic partner extracts" in out.getvalue()
    assert not Upload.objects.exists()


def test_a_refused_file_is_reported_and_the_others_still_load(small_demo):
    # Without one LSOA the police files naming it are refused whole; the demo says so, goes on.
    from incidents.models import Lsoa

    Lsoa.objects.filter(code="E01026950").delete()
    out = StringIO()
    uploads = seed_synthetic(stdout=out)
    assert "police-extract-synthetic-2022-01.csv was refused" in out.getvalue()
    assert "E01026950" in out.getvalue()
    assert not IncidentRecord.objects.filter(dataset__slug=POLICE_SLUG).exists()
    assert POLICE_SLUG not in {u.dataset.slug for u in uploads}
    assert (
        Upload.objects.filter(dataset__slug=POLICE_SLUG, status=Upload.Status.INVALID).count() == 2
    )


# ---------------------------------------------------------------------------
# On the real police.uk months
# ---------------------------------------------------------------------------
def test_files_are_the_same_in_every_process(shared_data):
    """A fixed seed: the same bytes in another process with another string-hash seed."""
    paths = police_uk_files(shared_data / "police_uk")
    digest = hashlib.sha256(b"".join(f.content for f in synthetic_files(paths))).hexdigest()
    script = (
        "import django, hashlib; django.setup();"
        "from pathlib import Path;"
        "from incidents.demo_synthetic import police_uk_files, synthetic_files;"
        f"files = synthetic_files(police_uk_files(Path({str(shared_data / 'police_uk')!r})));"
        "print(hashlib.sha256(b''.join(f.content for f in files)).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "DJANGO_SETTINGS_MODULE": "nsvpp.settings"}
    env.setdefault("DJANGO_DEBUG", "true")
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == digest


def test_another_seed_gives_other_records_with_the_same_volumes(shared_data, monkeypatch):
    paths = police_uk_files(shared_data / "police_uk")[:1]
    first = synthetic_files(paths)
    monkeypatch.setattr(demo_synthetic, "SEED", demo_synthetic.SEED + 1)
    second = synthetic_files(paths)
    assert [f.content for f in first] != [f.content for f in second]
    police = [f for f in first if f.slug == POLICE_SLUG]
    assert [f.rows for f in police] == [f.rows for f in second if f.slug == POLICE_SLUG]


def test_police_extract_follows_each_month_lsoa_and_type_of_the_real_files(shared_data):
    by_month, by_cell = _real_counts(shared_data / "police_uk")
    made_month: Counter = Counter()
    made_cell: Counter = Counter()
    for file in synthetic_files(police_uk_files(shared_data / "police_uk")):
        if file.slug != POLICE_SLUG:
            continue
        for row in csv.DictReader(StringIO(file.content.decode())):
            made_month[file.month] += 1
            broad = BROAD.get(row["category"]) or next(
                t for t, s in demo_synthetic.SLUG_OF_TYPE.items() if s == row["category"]
            )
            made_cell[(file.month, row["lsoa_code"], broad)] += 1
    assert made_month == by_month
    assert sum(by_month.values()) == 38_366  # SOURCES.md
    assert made_cell == by_cell


@pytest.mark.django_db
def test_real_months_import_whole_and_every_priority_rule_has_records(shared_data, settings):
    settings.SHARED_DATA_DIR = str(shared_data)
    partners_demo.seed(stdout=StringIO())
    from incidents.demo import _seed_geography

    _reference_data()
    _seed_geography(StringIO())
    seed_demo_datasets()
    uploads = seed_synthetic(stdout=StringIO())
    assert {u.status for u in uploads} == {Upload.Status.IMPORTED}
    assert all(u.rows_invalid == 0 for u in uploads)
    first = _snapshot()
    seed_synthetic(stdout=StringIO())
    assert _snapshot() == first, "a second run must change nothing"

    # Monthly totals equal a direct count of the real files.
    by_month, _ = _real_counts(shared_data / "police_uk")
    police = IncidentRecord.objects.filter(dataset__slug=POLICE_SLUG)
    months = police.annotate(month=TruncMonth("occurred_on")).values("month")
    imported = {f"{row['month']:%Y-%m}": row["n"] for row in months.annotate(n=Count("id"))}
    assert imported == dict(by_month)

    # Every priority, and every rule of every priority, has synthetic police records.
    for priority in PriorityCrimeType.objects.all():
        assert police.filter(priority_bits__bitany=priority.mask).exists(), priority.slug
    for rule in PriorityRule.objects.filter(is_active=True):
        assert police.filter(rule_q(rule)).exists(), rule.name
    # Times to spread (aoristic): some records are known only to the day or to the month.
    precisions = set(police.values_list("date_precision", flat=True).distinct())
    assert precisions == {"datetime", "day", "month"}

    # ISTV: every row imported, a plausible fraction of police violence, one month behind.
    istv = Upload.objects.filter(dataset__slug=ISTV_SLUG, status=Upload.Status.IMPORTED)
    assert istv.count() == len(by_month) - 1
    istv_records = IncidentRecord.objects.filter(dataset__slug=ISTV_SLUG)
    violence = police.filter(category__slug__in=BROAD_VIOLENCE)
    assert 0.03 < istv_records.count() / violence.count() < 0.3
    latest = {
        slug: IncidentRecord.objects.filter(dataset__slug=slug).latest("occurred_on").occurred_on
        for slug in (POLICE_SLUG, ISTV_SLUG)
    }
    assert (latest[POLICE_SLUG].year, latest[POLICE_SLUG].month - 1) == (
        latest[ISTV_SLUG].year,
        latest[ISTV_SLUG].month,
    )
    # The ED names licensed premises police data never names, and some LSOAs police do not.
    named = set(
        istv_records.filter(location_type="licensed_premises").values_list(
            "location_text", flat=True
        )
    )
    assert any("fictional" in text for text in named)
    assert not police.filter(location_text__in=named).exists()
    police_places = set(violence.values_list("occurred_on__month", "lsoa_id").distinct())
    ed_places = set(
        istv_records.filter(lsoa__isnull=False)
        .values_list("occurred_on__month", "lsoa_id")
        .distinct()
    )
    assert ed_places - police_places
