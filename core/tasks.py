"""Celery tasks of the core app (autodiscovered): the daily retention of the audit trail and of
expired sessions (residents' unfinished survey answers live only in their session)."""

from __future__ import annotations

from celery import shared_task

from .locks import cache_lock

RETENTION_LOCK = "core:retention"
RETENTION_LOCK_SECONDS = 60 * 60


@shared_task(acks_late=True)
def retention_core_task() -> str:
    """Daily: delete audit events past AUDIT_RETENTION_DAYS and expired sessions; never twice
    at once."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from .services import audit_retention_purge

    with cache_lock(RETENTION_LOCK, timeout=RETENTION_LOCK_SECONDS) as held:
        if not held:
            return "already running"
        events = audit_retention_purge()
        # What ``clearsessions`` does for database sessions: unfinished survey answers, kept
        # only in a resident's session, go with it once it has expired (SESSION_IDLE_MINUTES).
        sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        return f"audit events {events}, sessions {sessions}"
