# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""On PostgreSQL the check keeps the rows it converted for the import (one unlogged table per
upload): the import writes from them, reads the file again when they are gone or incomplete, and
nothing is left behind."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from incidents.importing import services
from incidents.importing.staging import checked_table
from incidents.models import IncidentRecord, Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    UNKNOWN,
    categories,
    geography,
    template_csv,
    template_dataset,
    template_row,
    write,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="kept checked rows exist only on PostgreSQL (SQLite stages again; CI runs these)",
    ),
]


def table_exists(upload_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [checked_table(upload_id)])
        return cursor.fetchone()[0] is not None


def checked_upload(dataset, tmp_path, *rows: str) -> Upload:
    path = write(tmp_path, "extract.csv", template_csv(*rows))
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=dataset, user=None, file=handle, filename="extract.csv", queue_check=False
        )
    upload = services.upload_check(upload_id=upload.pk)
    if upload.status == Upload.Status.VALIDATED:
        upload = services.upload_confirm(upload=upload, user=None, queue_import=False)
    return upload


def import_counting_reads(upload: Upload) -> tuple[Upload, int]:
    with mock.patch.object(services, "_stage_file", wraps=services._stage_file) as reads:
        upload = services.upload_import(upload_id=upload.pk)
    return upload, reads.call_count


def test_import_writes_from_the_rows_the_check_kept(template_dataset, tmp_path):
    upload = checked_upload(template_dataset, tmp_path, template_row("K1"), template_row("K2"))
    assert table_exists(upload.pk)
    upload, reads = import_counting_reads(upload)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    assert reads == 0  # the file was not read and converted a second time
    assert (upload.rows_total, upload.rows_new) == (2, 2)
    assert set(IncidentRecord.objects.values_list("source_ref", flat=True)) == {"K1", "K2"}
    assert not table_exists(upload.pk)


@pytest.mark.parametrize("damage", ["DROP TABLE {}", "TRUNCATE {}"])
def test_import_reads_the_file_again_when_the_kept_rows_are_gone_or_incomplete(
    template_dataset, tmp_path, damage
):
    upload = checked_upload(template_dataset, tmp_path, template_row("K1"), template_row("K2"))
    with connection.cursor() as cursor:
        cursor.execute(damage.format(checked_table(upload.pk)))  # as a crash would leave it
    upload, reads = import_counting_reads(upload)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    assert reads == 1
    assert IncidentRecord.objects.count() == 2


def test_a_check_with_errors_keeps_nothing(template_dataset, tmp_path):
    upload = checked_upload(template_dataset, tmp_path, template_row("K1", lsoa_code=UNKNOWN))
    assert upload.status == Upload.Status.INVALID
    assert not table_exists(upload.pk)


def test_a_refused_import_drops_the_kept_rows(template_dataset, tmp_path):
    upload = checked_upload(template_dataset, tmp_path, template_row("K1"))
    template_dataset.agreements.update(end_date=dt.date(2000, 1, 1), start_date=dt.date(1999, 1, 1))
    upload = services.upload_import(upload_id=upload.pk)
    assert upload.status == Upload.Status.FAILED
    assert not table_exists(upload.pk)
    assert not IncidentRecord.objects.exists()


def test_daily_clean_drops_only_rows_no_import_will_use(template_dataset, tmp_path):
    waiting = checked_upload(template_dataset, tmp_path, template_row("W1"))
    old = checked_upload(template_dataset, tmp_path, template_row("O1"))
    Upload.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=30))
    refused = checked_upload(template_dataset, tmp_path, template_row("R1"))
    Upload.objects.filter(pk=refused.pk).update(status=Upload.Status.FAILED)
    with connection.cursor() as cursor:  # rows of an upload that no longer exists
        cursor.execute(f"CREATE UNLOGGED TABLE {checked_table(999_999)} (row_no integer)")
    assert services.checked_tables_clean() == 3
    assert table_exists(waiting.pk)
    assert not any(table_exists(pk) for pk in (old.pk, refused.pk, 999_999))
    # The old upload still imports: it reads its file again.
    assert services.upload_import(upload_id=old.pk).status == Upload.Status.IMPORTED


def test_the_clean_runs_daily_in_the_worker(template_dataset, tmp_path):
    from incidents.importing.tasks import checked_tables_clean_task

    entry = settings.CELERY_BEAT_SCHEDULE["incidents-checked-tables-clean"]
    assert entry["task"] == checked_tables_clean_task.name
    assert entry["schedule"] == 24 * 60 * 60
    refused = checked_upload(template_dataset, tmp_path, template_row("R1"))
    Upload.objects.filter(pk=refused.pk).update(status=Upload.Status.FAILED)
    assert checked_tables_clean_task.delay().get() == 1


# Committed for real: the second connection sees only committed tables, as in production.
@pytest.mark.django_db(transaction=True)
def test_the_references_are_listed_beside_the_writes_or_by_the_import_itself(
    template_dataset, tmp_path
):
    """A second connection lists the kept rows' categories and areas; if it cannot, the import
    lists them itself, and either way a record's area must exist."""
    from incidents.importing import staging

    listed = []
    original = staging.ReferenceScan._run

    def run(scan, table):
        original(scan, table)
        listed.append(scan._pairs)

    upload = checked_upload(template_dataset, tmp_path, template_row("R1"))
    with mock.patch.object(staging.ReferenceScan, "_run", run):
        upload = services.upload_import(upload_id=upload.pk)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    record = IncidentRecord.objects.get(source_ref="R1")
    assert listed == [[(record.category_id, record.lsoa_id)]]

    def fail(scan, table):
        scan._pairs = None  # e.g. no second connection to be had

    upload = checked_upload(template_dataset, tmp_path, template_row("R2"))
    with mock.patch.object(staging.ReferenceScan, "_run", fail):
        upload = services.upload_import(upload_id=upload.pk)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    assert IncidentRecord.objects.filter(source_ref="R2").exists()
