# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""A real `celery worker` killed with SIGKILL in the middle of an import: the task is delivered
again and imports the file exactly once; no duplicate rows, no upload left "Importing".

The worker is held mid-import by a lock on the dataset row that the test takes (as a running
import or withdrawal would), so the kill lands after the upload was claimed and before anything
was committed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection

from incidents.importing import services
from incidents.importing.tasks import upload_import_task
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

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own: a worker with a short visibility timeout restores every unacked
# message of its database, so it must never share one with another worker.
BROKER = os.environ.get("FAULTS_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
ROWS = 40
VISIBILITY_TIMEOUT = 3


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process cannot share the SQLite test database; CI runs this on PostgreSQL",
    ),
    pytest.mark.skipif(not _redis_up(), reason="needs Redis (the production broker); CI has it"),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A nsvpp worker` as docker-compose runs it (prefork), on its own queue."""

    def __init__(self, queue: str, log: Path) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "nsvpp.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": BROKER,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        self.log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - the test's own interpreter
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "nsvpp",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pool_children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_all(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()


@contextlib.contextmanager
def _sending_to_redis():
    conf = celery_app.conf
    # The read and write URLs too: Celery fills them from a configured broker URL (Redis in CI).
    names = (
        "broker_url",
        "broker_write_url",
        "broker_read_url",
        "task_always_eager",
        "broker_transport_options",
    )
    saved = {name: conf[name] for name in names}
    conf.update(
        broker_url=BROKER,
        broker_write_url=BROKER,
        broker_read_url=BROKER,
        task_always_eager=False,
        broker_transport_options={},
    )
    celery_app._pool, celery_app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        conf.update(saved)
        celery_app._pool, celery_app.amqp._producer_pool = None, None


@contextlib.contextmanager
def _dataset_locked(dataset_id: int):
    """Hold the dataset's row lock from another connection, as a running import would."""
    db = connection.settings_dict
    holder = psycopg2.connect(
        dbname=db["NAME"],
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
    )
    with holder.cursor() as cursor:
        cursor.execute("SELECT 1 FROM incidents_dataset WHERE id = %s FOR UPDATE", [dataset_id])
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def _wait_for(predicate, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def _status(upload_id: int) -> str:
    return Upload.objects.filter(pk=upload_id).values_list("status", flat=True).get()


def _confirmed_upload(dataset, tmp_path: Path, user) -> Upload:
    path = write(
        tmp_path, "2022-01-street.csv", police_csv(*(police_row(f"w{i}") for i in range(ROWS)))
    )
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=dataset, user=user, file=handle, filename=path.name, queue_check=False
        )
    services.upload_check(upload_id=upload.pk)
    return services.upload_confirm(upload=upload, user=user, queue_import=False)


def _assert_imported_once(upload_id: int) -> None:
    upload = Upload.objects.get(pk=upload_id)
    assert upload.status == Upload.Status.IMPORTED
    assert upload.rows_new == ROWS
    assert IncidentRecord.objects.count() == ROWS
    assert IncidentRecord.objects.values("source_ref").distinct().count() == ROWS
    assert not Upload.objects.filter(status=Upload.Status.IMPORTING).exists()


def test_pool_process_killed_mid_import_is_redelivered_and_imports_once(
    police_dataset, tmp_path, alice
):
    upload = _confirmed_upload(police_dataset, tmp_path, alice)
    queue, log = f"faults-{uuid.uuid4().hex[:8]}", tmp_path / "worker.log"
    worker = Worker(queue, log)
    try:
        with _dataset_locked(police_dataset.pk):
            with _sending_to_redis():
                upload_import_task.apply_async(args=[upload.pk], queue=queue)
            _wait_for(lambda: _status(upload.pk) == Upload.Status.IMPORTING, 60, "the claim", log)
            (child,) = worker.pool_children()
            os.kill(child, signal.SIGKILL)  # as the out-of-memory killer would
            # The worker replaces its pool process and the message comes back (rejected, not
            # acknowledged); it waits on the same lock.
            _wait_for(
                lambda: worker.pool_children() not in ([], [child]), 30, "a new pool process", log
            )
        _wait_for(lambda: _status(upload.pk) == Upload.Status.IMPORTED, 60, "the import", log)
    finally:
        worker.kill_all()
    _assert_imported_once(upload.pk)
    assert "WorkerLostError" in log.read_text()


def test_whole_worker_killed_mid_import_is_redelivered_to_the_next_worker(
    police_dataset, tmp_path, alice
):
    upload = _confirmed_upload(police_dataset, tmp_path, alice)
    queue, log = f"faults-{uuid.uuid4().hex[:8]}", tmp_path / "worker.log"
    first = Worker(queue, log)
    try:
        with _dataset_locked(police_dataset.pk):
            with _sending_to_redis():
                upload_import_task.apply_async(args=[upload.pk], queue=queue)
            _wait_for(lambda: _status(upload.pk) == Upload.Status.IMPORTING, 60, "the claim", log)
    finally:
        # SIGKILL to the worker and its pool together (a container stopped hard), before the
        # lock was released: the import never committed and the message was never acknowledged.
        first.kill_all()
    assert IncidentRecord.objects.count() == 0
    assert _status(upload.pk) == Upload.Status.IMPORTING

    # A worker restores, as it starts, the unacknowledged messages older than the visibility
    # timeout (later, only every unacked_restore_interval x throttle seconds): start the next one
    # once the timeout has passed, as a restarted container would be.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = Worker(queue, log)
    try:
        _wait_for(lambda: _status(upload.pk) == Upload.Status.IMPORTED, 90, "the redelivery", log)
        time.sleep(
            VISIBILITY_TIMEOUT + 1
        )  # past another visibility timeout: nothing is delivered a third time
    finally:
        second.kill_all()
    _assert_imported_once(upload.pk)
    assert redis.Redis.from_url(BROKER).llen(queue) == 0
