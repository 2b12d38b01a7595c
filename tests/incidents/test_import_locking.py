# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""Two imports to one dataset at once cannot interleave: the second waits for the dataset lock
(PostgreSQL: SELECT … FOR UPDATE on the dataset plus an advisory lock; SQLite: the write lock of an
IMMEDIATE transaction) and writes nothing until the first has committed."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from incidents.importing import services
from incidents.importing.staging import lock_dataset
from incidents.models import IncidentRecord, RecordVersion, Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    categories,
    geography,
    police_csv,
    police_dataset,
    police_row,
    write,
)


def _confirmed(dataset, path, user) -> Upload:
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=dataset, user=user, file=handle, filename=path.name, queue_check=False
        )
    services.upload_check(upload_id=upload.pk)
    return services.upload_confirm(upload=upload, user=user, queue_import=False)


@pytest.mark.django_db(transaction=True)
def test_second_import_waits_for_the_dataset_lock(police_dataset, tmp_path, alice):
    upload = _confirmed(
        police_dataset, write(tmp_path, "a.csv", police_csv(police_row("L1"))), alice
    )
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                lock_dataset(police_dataset.pk)  # as a running import holds it
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    outcome: dict[str, object] = {}

    def second_import() -> None:
        try:
            outcome["status"] = services.upload_import(upload_id=upload.pk).status
        except OperationalError as error:  # SQLite gave up waiting: the task would retry
            outcome["error"] = error
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert locked.wait(10)
    importer = threading.Thread(target=second_import)
    importer.start()
    importer.join(1.5)
    waited = importer.is_alive()
    release.set()
    holder.join(20)
    importer.join(30)

    if connection.vendor == "postgresql":
        # It waited on the lock the whole time, then ran once the first "import" committed.
        assert waited, "the second import did not wait for the dataset lock"
        assert outcome == {"status": Upload.Status.IMPORTED}
    elif "error" in outcome:
        # SQLite's shared-cache test database refuses instead of waiting: nothing was written,
        # and the re-delivered task imports the file in full.
        assert not IncidentRecord.objects.exists()
        assert services.upload_import(upload_id=upload.pk).status == Upload.Status.IMPORTED
    else:
        assert outcome == {"status": Upload.Status.IMPORTED}
    assert IncidentRecord.objects.filter(upload=upload).count() == 1
    assert not RecordVersion.objects.filter(upload=upload).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_both_complete_without_mixing(police_dataset, tmp_path, alice):
    first = _confirmed(
        police_dataset,
        write(tmp_path, "a.csv", police_csv(*[police_row(f"A{i}") for i in range(300)])),
        alice,
    )
    second = _confirmed(
        police_dataset,
        write(
            tmp_path,
            "b.csv",
            police_csv(*[police_row(f"A{i}", outcome="Charged") for i in range(300)]),
        ),
        alice,
    )
    results: dict[int, object] = {}

    def run(upload_id: int) -> None:
        for _attempt in range(40):  # as Celery's retry would, after a pause
            try:
                results[upload_id] = services.upload_import(upload_id=upload_id).status
                return
            except OperationalError as error:
                results[upload_id] = error
                time.sleep(0.25)
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(u.pk,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == {first.pk: "imported", second.pk: "imported"}
    first.refresh_from_db()
    second.refresh_from_db()
    # Whichever ran second saw all 300 rows of the other as existing: never a mixture.
    counts = sorted([(first.rows_new, first.rows_changed), (second.rows_new, second.rows_changed)])
    assert counts == [(0, 300), (300, 0)]
    assert IncidentRecord.objects.count() == 300
    last = max((first, second), key=lambda u: u.finished_at)
    assert set(IncidentRecord.objects.values_list("upload_id", flat=True)) == {last.pk}
