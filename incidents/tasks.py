"""Celery tasks of the incidents app (autodiscovered by Celery from this module)."""

from celery import shared_task

from incidents.importing import tasks as _import_tasks  # noqa: F401 - registers the import tasks


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def priority_recompute_task(priority_id: int) -> int:
    """Recompute one priority's flags on every record after its rules changed."""
    from incidents.priorities import priority_recompute_all

    return priority_recompute_all(priority_id=priority_id)


RETENTION_LOCK = "incidents:retention"
RETENTION_LOCK_SECONDS = 6 * 60 * 60


@shared_task(acks_late=True)
def retention_incidents_task() -> str:
    """Daily: delete records past their agreement's retention and expired raw upload files;
    never twice at once."""
    from core.locks import cache_lock
    from incidents.retention import records_retention_run, upload_files_retention_run

    with cache_lock(RETENTION_LOCK, timeout=RETENTION_LOCK_SECONDS) as held:
        if not held:
            return "already running"
        records = records_retention_run()
        files = upload_files_retention_run()
        return f"records {sum(records.values())} in {len(records)} datasets, files {files}"
