"""Celery tasks of the surveys app (autodiscovered): the daily retention of residents' contact
details."""

from __future__ import annotations

from celery import shared_task

RETENTION_LOCK = "surveys:retention"
RETENTION_LOCK_SECONDS = 60 * 60


@shared_task(acks_late=True)
def retention_surveys_task() -> str:
    """Daily: delete contact details past the period their survey stated; never twice at once."""
    from core.locks import cache_lock

    from .services import contact_requests_retention

    with cache_lock(RETENTION_LOCK, timeout=RETENTION_LOCK_SECONDS) as held:
        if not held:
            return "already running"
        return f"contact details {contact_requests_retention()}"
