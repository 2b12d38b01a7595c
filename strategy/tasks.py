"""Celery tasks of the strategy app (autodiscovered): refreshing outcome measures.

Each takes ids, loads, and calls a service. Refreshing is idempotent, so a re-delivered task
(``acks_late``) changes nothing twice.
"""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError

from . import services
from .models import OutcomeMeasure

logger = logging.getLogger(__name__)

MAX_RETRIES = 3
# The periodic refresh holds this lock so that two beat processes (or a slow run overlapping
# the next) never refresh at the same time. It expires on its own if a worker dies.
REFRESH_ALL_LOCK = "strategy:measures-refresh-all"
REFRESH_ALL_LOCK_SECONDS = 60 * 60


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, default_retry_delay=60)
def measure_refresh_task(self, measure_id: int, actor_id: int | None = None) -> str:
    """Refresh one measure from incident data (a person asked for it)."""
    measure = OutcomeMeasure.objects.filter(pk=measure_id).first()
    if measure is None:
        return "gone"
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    if actor_id and actor is None:
        return "actor gone"
    try:
        return services.measure_refresh(measure=measure, actor=actor).summary
    except ValidationError as error:
        # E.g. the query was removed after the refresh was queued: nothing to retry.
        return " ".join(error.messages)
    except (OperationalError, InterfaceError) as error:
        raise self.retry(exc=error) from error


@shared_task(acks_late=True)
def measures_refresh_all_task() -> str:
    """Refresh every measure whose saved query is on the schedule; never two runs at once."""
    token = uuid.uuid4().hex
    if not cache.add(REFRESH_ALL_LOCK, token, timeout=REFRESH_ALL_LOCK_SECONDS):
        return "already running"
    refreshed = 0
    try:
        measures = OutcomeMeasure.objects.filter(incident_query__is_active=True).order_by("pk")
        for measure in measures:
            try:
                services.measure_refresh(measure=measure, actor=None)
            except Exception:
                # One bad query (e.g. its dataset removed) must not stop the others.
                logger.exception("Refreshing measure %s failed", measure.slug)
            else:
                refreshed += 1
    finally:
        if cache.get(REFRESH_ALL_LOCK) == token:
            cache.delete(REFRESH_ALL_LOCK)
    return f"refreshed {refreshed}"
