"""Celery tasks of the import pipeline (registered through incidents/tasks.py).

Each takes an upload id, is idempotent (the services claim the upload by its status, so a
re-delivered task does nothing twice), acknowledges late and retries transient database errors.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services

MAX_RETRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, default_retry_delay=30)
def upload_check_task(self, upload_id: int) -> str:
    """Validate an uploaded file and compute its preview."""
    try:
        return services.upload_check(upload_id=upload_id).status
    except (OperationalError, InterfaceError) as error:
        if self.request.retries >= MAX_RETRIES:
            return services.upload_mark_failed(
                upload_id=upload_id,
                message="The file could not be checked because the database was unavailable. "
                "Upload it again.",
            ).status
        raise self.retry(exc=error) from error


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, default_retry_delay=30)
def upload_import_task(self, upload_id: int) -> str:
    """Import a confirmed upload, all or nothing."""
    try:
        return services.upload_import(upload_id=upload_id).status
    except (OperationalError, InterfaceError) as error:
        if self.request.retries >= MAX_RETRIES:
            return services.upload_mark_failed(
                upload_id=upload_id,
                message="The import could not run because the database was unavailable. "
                "Nothing was imported. Upload the file again.",
            ).status
        raise self.retry(exc=error) from error


@shared_task(acks_late=True)
def checked_tables_clean_task() -> int:
    """Daily: drop kept checked rows of uploads nobody imported (see the service)."""
    return services.checked_tables_clean()


@shared_task(acks_late=True)
def uploads_queue_delayed_task() -> int:
    """Every minute: queue the checks and imports that could not be queued (broker down)."""
    return services.uploads_queue_delayed()
