"""Celery tasks of the incidents app (autodiscovered by Celery from this module)."""

from celery import shared_task

from incidents.importing import tasks as _import_tasks  # noqa: F401 - registers the import tasks


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def priority_recompute_task(priority_id: int) -> int:
    """Recompute one priority's flags on every record after its rules changed."""
    from incidents.priorities import priority_recompute_all

    return priority_recompute_all(priority_id=priority_id)
