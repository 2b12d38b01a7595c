"""Celery tasks of the evidence app: cube rebuilds and the daily alert digest."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def cubes_refresh_task(dataset_id: int) -> int:
    """Rebuild one dataset's aggregate tables, then look for new rule breaches."""
    from .alerts import breaches_refresh
    from .cubes import cubes_refresh

    total = cubes_refresh(dataset_id=dataset_id)
    breaches_refresh(dataset_ids=[dataset_id])
    return total


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def cubes_refresh_all_task() -> int:
    """Rebuild every dataset's aggregate tables, then look for new rule breaches."""
    from .alerts import breaches_refresh
    from .cubes import cubes_refresh_all

    count = cubes_refresh_all()
    breaches_refresh(dataset_ids=None)
    return count


@shared_task(acks_late=True)
def alert_digests_send_task() -> int:
    """E-mail each analyst who wants it one digest of new breaches (at most once a day)."""
    from .alerts import alert_digests_send

    return alert_digests_send()
