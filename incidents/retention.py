"""Retention of shared incident data: records past their agreement's retention period, and raw
uploaded files some days after their import.

A record's retention runs from the month it happened (``occurred_on``): it is deleted once it is
older than the ``retention_months`` of its dataset's *governing* agreement, which is the current
agreement or, when the agreement has ended and not been renewed, the last one to end (the dataset
already stopped being visible at record level at that end date: ``incidents.access``). A dataset
with no agreement that has started keeps its records: nobody has agreed a period to apply.

Deletion runs in batches of ``RETENTION_BATCH_SIZE`` records, each batch its own short
transaction under the dataset's import lock (so it never races an import or a withdrawal, and
never holds a lock for long), and writes one audit event per dataset and run with the count.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.dates import months_add
from core.services import audit_record
from incidents.importing.staging import lock_dataset

from .models import Dataset, DataSharingAgreement, IncidentRecord, Upload
from .signals import records_changed

logger = logging.getLogger(__name__)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier."""
    return months_add(day, -months)


@dataclass(frozen=True)
class RetentionPlan:
    """What the next retention run would do to one dataset."""

    dataset: Dataset
    agreement: DataSharingAgreement | None
    cutoff: dt.date | None  # records that happened before this day are deleted
    count: int

    @property
    def reason(self) -> str:
        if self.agreement is None:
            return "No agreement has started: nothing is deleted."
        state = "current" if self.agreement.end_date >= timezone.localdate() else "ended"
        return (
            f"{self.agreement.retention_months} months under the {state} agreement "
            f"“{self.agreement.title}”"
        )


def agreement_governing(dataset: Dataset, *, on: dt.date) -> DataSharingAgreement | None:
    """The current agreement on the day, else the last one that ended before it (not renewed)."""
    current = (
        DataSharingAgreement.objects.filter(dataset=dataset, start_date__lte=on, end_date__gte=on)
        .order_by("-start_date", "-end_date", "-pk")
        .first()
    )
    if current is not None:
        return current
    return (
        DataSharingAgreement.objects.filter(dataset=dataset, end_date__lt=on)
        .order_by("-end_date", "-start_date", "-pk")
        .first()
    )


def retention_plans(*, on: dt.date | None = None) -> list[RetentionPlan]:
    """For every dataset: its governing agreement, the cut-off and how many records are past it."""
    on = on or timezone.localdate()
    plans = []
    for dataset in Dataset.objects.select_related("owner").order_by("owner__name", "name"):
        agreement = agreement_governing(dataset, on=on)
        if agreement is None:
            plans.append(RetentionPlan(dataset=dataset, agreement=None, cutoff=None, count=0))
            continue
        cutoff = months_before(on, agreement.retention_months)
        count = IncidentRecord.objects.filter(dataset_id=dataset.pk, occurred_on__lt=cutoff).count()
        plans.append(
            RetentionPlan(dataset=dataset, agreement=agreement, cutoff=cutoff, count=count)
        )
    return plans


def _delete_batch(*, dataset_id: int, cutoff: dt.date, batch_size: int) -> int:
    with transaction.atomic():
        lock_dataset(dataset_id)
        ids = list(
            IncidentRecord.objects.filter(dataset_id=dataset_id, occurred_on__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return 0
        # Through the ORM, so the records' versions (kept for withdrawal) go with them.
        IncidentRecord.objects.filter(dataset_id=dataset_id, pk__in=ids).delete()
        return len(ids)


def records_retention_apply(*, plan: RetentionPlan, batch_size: int | None = None) -> int:
    """Delete the dataset's records past the plan's cut-off, in batches; one audit event."""
    if plan.cutoff is None or plan.agreement is None:
        return 0
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    deleted = 0
    error = ""
    try:
        while True:
            done = _delete_batch(
                dataset_id=plan.dataset.pk, cutoff=plan.cutoff, batch_size=batch_size
            )
            deleted += done
            if done < batch_size:
                break
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        raise
    finally:
        if deleted:
            # Aggregates built from these records (the evidence pages) are rebuilt after it.
            records_changed.send(sender=IncidentRecord, dataset_ids=[plan.dataset.pk])
        if deleted or error:
            audit_record(
                actor=None,
                action="retention.records_deleted",
                obj=plan.dataset,
                summary=f"Deleted {deleted} records of {plan.dataset.name} past their retention",
                detail={
                    "count": deleted,
                    "cutoff": plan.cutoff.isoformat(),
                    "retention_months": plan.agreement.retention_months,
                    "agreement": plan.agreement.pk,
                    **({"error": error} if error else {}),
                },
            )
    return deleted


def records_retention_run(*, on: dt.date | None = None) -> dict[str, int]:
    """Apply every dataset's retention; one dataset failing does not stop the others."""
    results = {}
    for plan in retention_plans(on=on):
        if plan.count == 0:
            continue
        try:
            results[plan.dataset.slug] = records_retention_apply(plan=plan)
        except Exception:
            logger.exception("Retention of %s failed", plan.dataset.slug)
    return results


# Uploads whose file may go: the import is over (or the file was refused or withdrawn).
FINISHED = (
    Upload.Status.IMPORTED,
    Upload.Status.INVALID,
    Upload.Status.FAILED,
    Upload.Status.VALIDATED,
)


def uploads_with_expired_files(*, now: dt.datetime | None = None) -> Any:
    """Uploads that still have a raw file (or error report) and are past UPLOAD_FILE_KEEP_DAYS,
    or withdrawn."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.UPLOAD_FILE_KEEP_DAYS)
    has_file = ~Q(file="") | ~Q(error_report="")
    expired = Q(status__in=FINISHED) & (
        Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, uploaded_at__lt=cutoff)
    )
    return Upload.objects.filter(has_file & (expired | Q(status=Upload.Status.WITHDRAWN)))


def upload_files_delete(*, upload: Upload, reason: str) -> bool:
    """Delete an upload's raw file and error report (after commit); the records, their row
    hashes and the upload's counts stay. Audited."""
    names = [f.name for f in (upload.file, upload.error_report) if f]
    if not names:
        return False
    storage = upload.file.storage
    changes: dict[str, Any] = {"file": "", "error_report": ""}
    if upload.status == Upload.Status.VALIDATED:
        # Checked but never confirmed: without its file it can no longer be imported.
        changes["status"] = Upload.Status.FAILED
        changes["problem"] = (
            f"Nobody confirmed the import within {settings.UPLOAD_FILE_KEEP_DAYS} days, so the "
            "file was deleted. Upload it again."
        )
        changes["finished_at"] = timezone.now()
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).update(**changes)
        audit_record(
            actor=None,
            action="retention.upload_file_deleted",
            obj=upload,
            summary=f"Deleted the file {upload.original_filename} ({reason})",
            detail={"reason": reason, "sha256": upload.sha256},
        )
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return True


def upload_files_retention_run(*, now: dt.datetime | None = None) -> int:
    """Delete every expired or withdrawn upload's raw file; returns how many uploads."""
    done = 0
    for upload in uploads_with_expired_files(now=now).order_by("pk"):
        reason = (
            "withdrawn"
            if upload.status == Upload.Status.WITHDRAWN
            else f"{settings.UPLOAD_FILE_KEEP_DAYS} days after import"
        )
        done += upload_files_delete(upload=upload, reason=reason)
    return done
