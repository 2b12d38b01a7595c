# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""`make backup` / `make restore` on PostgreSQL: a backup of imported data restores into a new
database with every table's row count and the incident records' checksum equal."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.backup import MANIFEST_NAME, Target, incident_checksum, table_counts
from incidents.importing.services import upload_run_now
from incidents.models import IncidentRecord, Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    IN_AREA_2,
    categories,
    geography,
    police_csv,
    police_dataset,
    police_row,
    write,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="pg_dump/pg_restore back up PostgreSQL only; CI runs this on PostgreSQL",
    ),
]


@pytest.fixture
def empty_database():
    """A new, empty database on the test server, dropped afterwards."""
    target = Target.from_settings(
        connection.settings_dict, name=f"{connection.settings_dict['NAME']}_restored"
    )
    admin = Target.from_settings(connection.settings_dict, name="postgres").connect()
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target.name}"')
        cursor.execute(f'CREATE DATABASE "{target.name}"')
    yield target
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')
    admin.close()


def _import_demo_like_data(police_dataset, tmp_path, alice) -> None:
    rows = [police_row(f"r{i}", month="2022-01") for i in range(40)]
    rows += [
        police_row(f"s{i}", month="2022-01", lsoa=IN_AREA_2, crime_type="Anti-social behaviour")
        for i in range(25)
    ]
    path = write(tmp_path, "2022-01-street.csv", police_csv(*rows))
    assert upload_run_now(dataset=police_dataset, path=path, user=alice).status == "imported"
    second = write(tmp_path, "2022-02-street.csv", police_csv(police_row("f1", month="2022-02")))
    assert upload_run_now(dataset=police_dataset, path=second, user=alice).status == "imported"


def test_backup_restores_into_a_new_database_with_equal_counts(
    police_dataset, tmp_path, alice, settings, empty_database
):
    _import_demo_like_data(police_dataset, tmp_path, alice)
    assert IncidentRecord.objects.count() == 66
    with connection.cursor() as cursor:
        source_counts = table_counts(cursor.cursor)
        source_checksum = incident_checksum(cursor.cursor)
    media = Path(settings.MEDIA_ROOT)
    stored = sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file())
    assert len(stored) == Upload.objects.count() == 2

    folder = tmp_path / "backup"
    call_command("backup", output=folder, stdout=StringIO())
    assert {p.name for p in folder.iterdir()} == {"database.dump", "media.tar.gz", MANIFEST_NAME}

    restored_media = tmp_path / "restored-media"
    out = StringIO()
    call_command(
        "restore",
        str(folder),
        database_name=empty_database.name,
        media_root=str(restored_media),
        stdout=out,
    )
    assert "every count and the incident checksum match" in out.getvalue()

    # Compared here too, independently of the command's own check.
    restored = empty_database.connect()
    with restored.cursor() as cursor:
        assert table_counts(cursor) == source_counts
        assert incident_checksum(cursor) == source_checksum
        cursor.execute("SELECT count(*) FROM incidents_incidentrecord")
        assert cursor.fetchone()[0] == 66
    restored.close()
    assert (
        sorted(p.relative_to(restored_media) for p in restored_media.rglob("*") if p.is_file())
        == stored
    )
    for name in stored:
        assert (restored_media / name).read_bytes() == (media / name).read_bytes()


def test_restore_refuses_a_database_that_is_not_empty(police_dataset, tmp_path, alice):
    folder = tmp_path / "backup"
    call_command("backup", output=folder, stdout=StringIO())
    with pytest.raises(CommandError, match="is not empty"):
        call_command(
            "restore",
            str(folder),
            database_name=connection.settings_dict["NAME"],
            media_root=str(tmp_path / "m"),
            stdout=StringIO(),
        )


def test_manifest_counts_match_the_database(tmp_path, police_dataset):
    """The manifest holds an exact count for every table, taken from the dump's own snapshot."""
    folder = tmp_path / "backup"
    call_command("backup", output=folder, stdout=StringIO())
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    with connection.cursor() as cursor:
        assert table_counts(cursor.cursor) == manifest["tables"]
    assert manifest["tables"]["public.incidents_dataset"] == 1
