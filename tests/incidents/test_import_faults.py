# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""Faults the import pipeline survives: the database connection killed mid-import, the broker
(Redis) unavailable, a task queued in a transaction that rolls back, and the disk full while an
upload is stored. (A worker killed mid-import: test_import_worker_killed.py.)"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import psycopg2
import pytest
from django.core.files.storage import filesystem
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from incidents.importing import services
from incidents.importing.tasks import upload_check_task, upload_import_task
from incidents.models import IncidentRecord, Upload
from nsvpp.celery import app as celery_app
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    categories,
    geography,
    police_csv,
    police_dataset,
    police_row,
    write,
)

ROWS = 30


@pytest.fixture
def retries_inline(monkeypatch):
    """The import task retries at once and inline (as apply() runs a retry), not via Retry."""
    monkeypatch.setattr(upload_import_task, "default_retry_delay", 0)
    saved = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = saved


def _file(tmp_path: Path) -> Path:
    return write(
        tmp_path, "2022-01-street.csv", police_csv(*(police_row(f"k{i}") for i in range(ROWS)))
    )


def _confirmed(dataset, path: Path, user) -> Upload:
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=dataset, user=user, file=handle, filename=path.name, queue_check=False
        )
    assert services.upload_check(upload_id=upload.pk).status == Upload.Status.VALIDATED
    return services.upload_confirm(upload=upload, user=user, queue_import=False)


def _stored_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


# ---------------------------------------------------------------------------
# The database connection killed mid-import
# ---------------------------------------------------------------------------
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_terminate_backend is PostgreSQL's; an embedded SQLite has no connection to kill",
)
@pytest.mark.django_db(transaction=True)
def test_connection_killed_mid_import_leaves_no_rows_and_the_retry_imports_the_file(
    police_dataset, tmp_path, alice, monkeypatch, retries_inline
):
    upload = _confirmed(police_dataset, _file(tmp_path), alice)
    write_rows = services._write
    kills: list[int] = []

    def write_then_lose_the_connection(stage, upload, counts) -> None:
        write_rows(stage, upload, counts)  # the rows are written, not yet committed
        if kills:
            return  # the retry runs undisturbed
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM incidents_incidentrecord")
            assert cursor.fetchone()[0] == ROWS
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        settings_dict = connection.settings_dict
        other = psycopg2.connect(
            dbname=settings_dict["NAME"],
            host=settings_dict["HOST"] or None,
            port=settings_dict["PORT"] or None,
            user=settings_dict["USER"] or None,
            password=settings_dict["PASSWORD"] or None,
        )
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
        other.close()
        kills.append(pid)

    monkeypatch.setattr(services, "_write", write_then_lose_the_connection)

    # The service itself: the error reaches the task (which retries); nothing was committed and
    # the upload stays claimable.
    with pytest.raises(OperationalError):
        services.upload_import(upload_id=upload.pk)
    connection.close()  # as Celery's Django fix-up does after a task
    assert kills
    assert IncidentRecord.objects.count() == 0
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.IMPORTING

    # Through the task, killed once more: it retries (eagerly, here) and imports the file once.
    kills.clear()
    result = upload_import_task.apply(args=[upload.pk], throw=False)
    connection.close()
    assert result.get() == Upload.Status.IMPORTED
    assert len(kills) == 1
    upload.refresh_from_db()
    assert upload.status == Upload.Status.IMPORTED
    assert upload.rows_new == ROWS
    assert IncidentRecord.objects.count() == ROWS
    assert IncidentRecord.objects.values("source_ref").distinct().count() == ROWS


@pytest.mark.django_db
def test_import_marked_failed_when_the_database_stays_unavailable(
    police_dataset, tmp_path, alice, monkeypatch, retries_inline
):
    upload = _confirmed(police_dataset, _file(tmp_path), alice)

    def unavailable(**_):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "upload_import", unavailable)
    assert upload_import_task.apply(args=[upload.pk], throw=False).get() == Upload.Status.FAILED
    upload.refresh_from_db()
    assert upload.status == Upload.Status.FAILED
    assert "database was unavailable" in upload.problem
    assert IncidentRecord.objects.count() == 0


# ---------------------------------------------------------------------------
# A task queued inside a transaction that rolls back
# ---------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_task_queued_in_a_transaction_that_rolls_back_never_runs(
    police_dataset, tmp_path, alice, monkeypatch
):
    sent: list[tuple] = []
    monkeypatch.setattr(upload_check_task, "delay", lambda *args: sent.append(args))

    class Abandoned(Exception):
        pass

    path = _file(tmp_path)
    with pytest.raises(Abandoned), transaction.atomic(), open(path, "rb") as handle:
        services.upload_receive(dataset=police_dataset, user=alice, file=handle, filename="a.csv")
        raise Abandoned
    assert sent == []
    assert not Upload.objects.exists()

    # The same call committed does queue it: the test above could fail.
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=alice, file=handle, filename="a.csv"
        )
    assert sent == [(upload.pk,)]


# ---------------------------------------------------------------------------
# Redis unavailable
# ---------------------------------------------------------------------------
@pytest.fixture
def broker_down():
    """The broker pointed at a port nothing listens on, tasks really sent (not run inline)."""
    conf = celery_app.conf
    saved = {
        "broker_url": conf.broker_url,
        # Celery fills the read and write URLs from the broker URL when it is configured (a
        # Redis broker in CI): they must move with it or tasks still reach the live broker.
        "broker_write_url": conf.broker_write_url,
        "broker_read_url": conf.broker_read_url,
        "task_always_eager": conf.task_always_eager,
        "broker_transport_options": conf.broker_transport_options,
    }

    def point(url: str, eager: bool) -> None:
        conf.broker_url = conf.broker_write_url = conf.broker_read_url = url
        conf.broker_transport_options = {}
        conf.task_always_eager = eager
        celery_app._pool = None  # drop connections made to the previous broker
        celery_app.amqp._producer_pool = None

    point("redis://127.0.0.1:9/0", eager=False)  # port 9 (discard): nothing listens there
    yield point
    point(saved["broker_url"], saved["task_always_eager"])
    conf.broker_write_url = saved["broker_write_url"]
    conf.broker_read_url = saved["broker_read_url"]
    conf.broker_transport_options = saved["broker_transport_options"]


@pytest.mark.django_db(transaction=True)
def test_broker_down_pages_work_and_the_upload_says_processing_is_delayed(
    alice_client, police_dataset, tmp_path, broker_down
):
    # Pages that need no broker keep working.
    for name, args in [
        ("incidents:upload_start", []),
        ("incidents:upload_history", [police_dataset.slug]),
    ]:
        assert alice_client.get(reverse(name, args=args)).status_code == 200

    content = police_csv(*(police_row(f"r{i}") for i in range(ROWS)))
    response = alice_client.post(
        reverse("incidents:upload_new", args=[police_dataset.slug]),
        {"file": SimpleUploadedFile("2022-01-street.csv", content.encode(), "text/csv")},
    )
    upload = Upload.objects.get()
    assert response.status_code == 302  # stored, not a server error
    assert upload.status == Upload.Status.RECEIVED
    assert upload.problem == services.PROCESSING_DELAYED
    page = alice_client.get(response["Location"]).content.decode()
    assert "Processing is delayed" in page

    # Still down: the sweep leaves it delayed.
    assert services.uploads_queue_delayed() == 0
    assert Upload.objects.get().problem == services.PROCESSING_DELAYED

    # The broker is back (tasks run inline here, as a worker would run them): the sweep that
    # beat sends picks the upload up.
    broker_down("memory://", eager=True)
    assert services.uploads_queue_delayed() == 1
    upload.refresh_from_db()
    assert upload.status == Upload.Status.VALIDATED
    assert upload.problem == ""
    assert services.uploads_queue_delayed() == 0  # never queued twice

    # The same for the import: confirmed while the broker is down, imported once it is back.
    broker_down("redis://127.0.0.1:9/0", eager=False)
    response = alice_client.post(reverse("incidents:upload_confirm", args=[upload.pk]))
    assert response.status_code == 302
    upload.refresh_from_db()
    assert (upload.status, upload.problem) == (Upload.Status.QUEUED, services.PROCESSING_DELAYED)
    assert "Processing is delayed" in alice_client.get(response["Location"]).content.decode()
    assert IncidentRecord.objects.count() == 0
    broker_down("memory://", eager=True)
    assert services.uploads_queue_delayed() == 1
    upload.refresh_from_db()
    assert upload.status == Upload.Status.IMPORTED
    assert IncidentRecord.objects.count() == ROWS


# ---------------------------------------------------------------------------
# The disk full while an upload is stored
# ---------------------------------------------------------------------------
class _FullDisk:
    """A file whose first write lands and whose second fails as a full disk does."""

    def __init__(self, real):
        self.real, self.writes = real, 0

    def write(self, data):
        self.writes += 1
        if self.writes > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real.write(data)

    def close(self):
        self.real.close()


@pytest.mark.django_db
def test_disk_full_while_storing_refuses_clearly_and_leaves_nothing(
    alice_client, police_dataset, monkeypatch, settings
):
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        filesystem.os, "fdopen", lambda fd, mode="r": _FullDisk(real_fdopen(fd, mode))
    )
    # Several 64 KiB chunks, so the first is on disk when the second fails.
    content = police_csv(*(police_row(f"r{i}") for i in range(2000)))
    assert len(content) > 3 * 64 * 1024
    response = alice_client.post(
        reverse("incidents:upload_new", args=[police_dataset.slug]),
        {"file": SimpleUploadedFile("2022-01-street.csv", content.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "no room to store your file" in response.content.decode()
    assert not Upload.objects.exists()
    assert _stored_files(settings) == []
