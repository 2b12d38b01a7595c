# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""seed_police_uk: the demo's real police.uk records, imported through the pipeline, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest

from incidents.importing.demo import seed_police_uk
from incidents.models import IncidentRecord, Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    OUTSIDE,
    categories,
    geography,
    police_csv,
    police_dataset,
    police_row,
)

pytestmark = pytest.mark.django_db


def test_seed_imports_each_file_once(police_dataset, tmp_path, settings):
    folder = tmp_path / "data" / "police_uk"
    folder.mkdir(parents=True)
    (folder / "2022-01-street.csv").write_text(
        police_csv(police_row("d1"), police_row("d2", lsoa=OUTSIDE))
    )
    (folder / "2022-02-street.csv").write_text(police_csv(police_row("d3", month="2022-02")))
    settings.SHARED_DATA_DIR = str(tmp_path / "data")
    out = StringIO()
    uploads = seed_police_uk(stdout=out)
    assert [u.status for u in uploads] == [Upload.Status.IMPORTED] * 2
    assert "Imported 2022-01-street.csv: 2 new, 1 outside the area." in out.getvalue()
    assert IncidentRecord.objects.count() == 3
    again = seed_police_uk(stdout=StringIO())
    assert [u.pk for u in again] == [u.pk for u in uploads]  # nothing uploaded twice
    assert Upload.objects.count() == 2


def test_seed_skips_with_a_note_when_the_data_folder_is_absent(police_dataset, tmp_path, settings):
    settings.SHARED_DATA_DIR = str(tmp_path / "absent")
    out = StringIO()
    assert seed_police_uk(stdout=out) == []
    assert "Skipped police.uk records" in out.getvalue()
    assert not Upload.objects.exists()


def test_seed_skips_without_the_dataset(db, tmp_path, settings):
    folder = tmp_path / "police_uk"
    folder.mkdir()
    (folder / "a.csv").write_text(police_csv(police_row()))
    settings.SHARED_DATA_DIR = str(tmp_path)
    out = StringIO()
    assert seed_police_uk(stdout=out) == []
    assert "no dataset police-uk-street" in out.getvalue()
    assert (folder / "a.csv").exists()
