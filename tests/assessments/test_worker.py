"""The SNA task: a worker killed with SIGKILL mid-render leaves no partial file, and the
redelivered task (acks_late) leaves exactly one good PDF; idempotent; retries transient
database errors; an older Generate's task does nothing."""

from __future__ import annotations

import os
import signal
import time

import pikepdf
import pytest
from django.db import OperationalError, connection

from assessments import services
from assessments.models import Edition
from assessments.rendering import PART_SUFFIX, edition_folder
from assessments.tasks import edition_generate_task


def _queue(edition: Edition, actor, capture) -> int:
    """Press Generate without running the task (the test delivers it)."""
    delay = services.edition_generate_task.delay
    services.edition_generate_task.delay = lambda *args: None
    try:
        with capture(execute=True):
            services.edition_generate(actor=actor, edition=edition)
    finally:
        services.edition_generate_task.delay = delay
    edition.refresh_from_db()
    return edition.attempt


def test_task_settings_guard_redelivery():
    from django.conf import settings

    assert edition_generate_task.acks_late is True
    assert edition_generate_task.reject_on_worker_lost is True
    assert edition_generate_task.time_limit == settings.SNA_TASK_TIME_LIMIT
    assert edition_generate_task.soft_time_limit < edition_generate_task.time_limit
    # Redis would hand a still-running task to a second worker after the visibility timeout.
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > (
        settings.SNA_TASK_TIME_LIMIT
    )


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_render_leaves_no_partial_pdf_and_redelivery_makes_one(
    sna_edition, staff, django_capture_on_commit_callbacks
):
    attempt = _queue(sna_edition, staff, django_capture_on_commit_callbacks)
    folder = edition_folder(sna_edition.pk)

    pid = os.fork()
    if pid == 0:  # the worker process, killed while writing the PDF
        try:
            if connection.vendor != "sqlite":
                # A connection of its own (the parent's socket is left untouched).
                connection.connection = None
            real_fsync = os.fsync

            def fsync(fd: int) -> None:
                # Killed once the PDF's bytes are written, whatever name they are written to.
                if "edition.pdf" in os.path.basename(os.readlink(f"/proc/self/fd/{fd}")):
                    os.kill(os.getpid(), signal.SIGKILL)
                real_fsync(fd)

            os.fsync = fsync
            edition_generate_task.apply(args=(sna_edition.pk, attempt))
        finally:
            os._exit(3)  # never return into the test runner

    deadline = time.monotonic() + 600
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the worker process did not reach the PDF write")
        time.sleep(0.2)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert not (folder / "edition.pdf").exists(), "a partial PDF under the real name"
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(PART_SUFFIX)]
    assert len(leftovers) == 1 and "edition.pdf" in leftovers[0], "it died mid-write"

    # The broker redelivers the unacknowledged task; the edition is as the dead worker left it.
    Edition.objects.filter(pk=sna_edition.pk).update(status=Edition.Status.GENERATING)
    assert edition_generate_task.apply(args=(sna_edition.pk, attempt)).get() == "ready"

    sna_edition.refresh_from_db()
    assert sna_edition.status == Edition.Status.READY
    pdfs = [p.name for p in folder.iterdir() if ".pdf" in p.name]
    assert pdfs == ["edition.pdf"]
    assert not [p for p in folder.rglob("*") if p.name.endswith(PART_SUFFIX)]
    with pikepdf.open(folder / "edition.pdf") as pdf:
        assert len(pdf.pages) == sna_edition.page_count > 0


@pytest.mark.django_db
def test_a_delivered_task_twice_builds_once(
    sna_edition, staff, django_capture_on_commit_callbacks, monkeypatch
):
    attempt = _queue(sna_edition, staff, django_capture_on_commit_callbacks)
    assert edition_generate_task.apply(args=(sna_edition.pk, attempt)).get() == "ready"
    built = (edition_folder(sna_edition.pk) / "edition.pdf").stat().st_mtime_ns
    calls: list[int] = []
    monkeypatch.setattr(services, "edition_files_write", lambda **kw: calls.append(1))
    assert edition_generate_task.apply(args=(sna_edition.pk, attempt)).get() == "done already"
    assert calls == []
    assert (edition_folder(sna_edition.pk) / "edition.pdf").stat().st_mtime_ns == built


@pytest.mark.django_db
def test_a_task_for_an_older_generate_does_nothing(
    sna_edition, staff, django_capture_on_commit_callbacks, monkeypatch
):
    old = _queue(sna_edition, staff, django_capture_on_commit_callbacks)
    Edition.objects.filter(pk=sna_edition.pk).update(status=Edition.Status.DRAFT)
    sna_edition.refresh_from_db()
    new = _queue(sna_edition, staff, django_capture_on_commit_callbacks)
    assert new == old + 1
    calls: list[int] = []
    monkeypatch.setattr(services, "edition_files_write", lambda **kw: calls.append(1))
    assert edition_generate_task.apply(args=(sna_edition.pk, old)).get() == "superseded"
    assert calls == []


@pytest.mark.django_db
def test_transient_database_errors_are_retried_then_reported(
    sna_edition, staff, django_capture_on_commit_callbacks, monkeypatch
):
    attempt = _queue(sna_edition, staff, django_capture_on_commit_callbacks)
    calls: list[int] = []

    def unavailable(**kwargs):
        calls.append(1)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "edition_build", unavailable)
    monkeypatch.setattr(edition_generate_task, "default_retry_delay", 0)
    # As a worker runs it: a retry is a new delivery, not an exception out of the test.
    monkeypatch.setitem(edition_generate_task.app.conf, "task_eager_propagates", False)
    result = edition_generate_task.apply(args=(sna_edition.pk, attempt))
    assert result.get(propagate=False) == "failed"
    assert len(calls) == 1 + edition_generate_task.max_retries
    sna_edition.refresh_from_db()
    assert sna_edition.status == Edition.Status.FAILED
    assert "database was unavailable" in sna_edition.problem


@pytest.mark.django_db
def test_the_task_of_a_deleted_edition_does_nothing():
    assert edition_generate_task.apply(args=(999999, 1)).get() == "gone"
