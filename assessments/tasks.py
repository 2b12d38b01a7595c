"""Celery task of the SNA: build one edition's files in the worker (never in a web request).

Takes the edition id (and the Generate attempt it was queued for), acknowledges late so a worker
killed mid-render has the task redelivered, retries transient database errors, and runs under
time limits shorter than the broker's visibility timeout (settings).
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

MAX_RETRIES = 3


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    default_retry_delay=30,
    soft_time_limit=settings.SNA_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SNA_TASK_TIME_LIMIT,
)
def edition_generate_task(self, edition_id: int, attempt: int | None = None) -> str:
    """Build an SNA edition: PDF, thumbnails, tables.zip and web pages."""
    from . import services

    try:
        return services.edition_build(edition_id=edition_id, attempt=attempt).outcome
    except SoftTimeLimitExceeded:
        services.edition_mark_failed(
            edition_id=edition_id,
            message="The edition took longer than the time allowed and was stopped. "
            "Try a shorter period or fewer datasets, or ask for the limit to be raised.",
        )
        return "timed out"
    except (OperationalError, InterfaceError) as error:
        if self.request.retries >= MAX_RETRIES:
            services.edition_mark_failed(
                edition_id=edition_id,
                message="The database was unavailable while the edition was built. "
                "Press Generate again.",
            )
            return "failed"
        raise self.retry(exc=error) from error
