"""The import pipeline: receive → check (preview) → confirm → import, and withdraw.

Guarantees: all or nothing per upload (one transaction; any invalid row refuses the whole file);
the same file twice changes nothing; changed rows update their record in place and keep a version;
the latest upload can be withdrawn; imports to one dataset are serialised by a lock.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import logging
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from core.services import audit_record
from incidents import partitions
from incidents.models import Dataset, IncidentRecord, RecordVersion, Upload
from incidents.priorities import priorities_recompute
from incidents.signals import records_changed

from . import fast
from .normalise import ErrorLog, Lookups, Normaliser, RowError, RowInvalid
from .reading import FileRefused, open_table
from .staging import (
    CHECKED_PREFIX,
    Counts,
    Progress,
    ReferenceGone,
    Stage,
    checked_table,
    is_postgres,
    lock_dataset,
)

logger = logging.getLogger(__name__)

FIRST_ERRORS = 20
PROCESSING_DELAYED = (
    "Processing is delayed: the portal's background service is not answering. Your file is "
    "stored safely and will be processed automatically when the service is back; you do not "
    "need to upload it again."
)
UNEXPECTED = (
    "The portal could not process this file because of an unexpected error, which has been "
    "logged. Nothing was imported. Try again later or contact the partnership team."
)
ERROR_REPORT_HEADINGS = ["Row", "Column", "Problem", "Value"]


class UploadRefused(Exception):
    """The upload cannot go ahead; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class CheckResult:
    counts: Counts
    errors: int
    first_errors: list[dict[str, Any]]
    report: bytes


def _agreement_problem(dataset: Dataset) -> str | None:
    from incidents.access import agreement_problem

    return agreement_problem(dataset)


# ---------------------------------------------------------------------------
# Receiving a file
# ---------------------------------------------------------------------------
def _size_problem(size: int) -> str | None:
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        return (
            f"The file is {size / 1024 / 1024:,.1f} MB; the most the portal accepts is "
            f"{limit / 1024 / 1024:,.0f} MB. Split it into smaller files (for example one per "
            "month) and upload each."
        )
    return None


@transaction.atomic
def upload_receive(
    *, dataset: Dataset, user: Any, file: Any, filename: str, queue_check: bool = True
) -> Upload:
    """Store an uploaded file with its hash and queue the check (validation) in the worker."""
    problem = _agreement_problem(dataset)
    if problem:
        raise UploadRefused(problem)
    size = getattr(file, "size", None)
    if size is not None and (problem := _size_problem(size)):
        raise UploadRefused(problem)
    digest = hashlib.sha256()
    total = 0
    if hasattr(file, "seek"):
        file.seek(0)
    for chunk in File(file).chunks():
        digest.update(chunk)
        total += len(chunk)
        if problem := _size_problem(total):
            raise UploadRefused(problem)
    if hasattr(file, "seek"):
        file.seek(0)
    upload = Upload(
        dataset=dataset,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        original_filename=Path(filename).name[:255],
        sha256=digest.hexdigest(),
        size_bytes=total,
        status=Upload.Status.RECEIVED,
    )
    suffix = Path(filename).suffix.lower()
    suffix = suffix if suffix in {".csv", ".xlsx", ".txt"} else ".dat"
    upload.file.name = _store_file(
        upload, f"{dataset.slug}-{digest.hexdigest()[:12]}{suffix}", File(file)
    )
    upload.save()
    audit_record(
        actor=user,
        action="upload.receive",
        obj=upload,
        summary=f"Uploaded {upload.original_filename} to {dataset.name}",
        detail={"dataset": dataset.slug, "sha256": upload.sha256, "size": total},
    )
    if queue_check:
        from .tasks import upload_check_task

        _queue_on_commit(upload_check_task, upload.pk)
    return upload


def _store_file(upload: Upload, filename: str, content: File) -> str:
    """Write the file to storage; on any failure remove what was half-written (the storage
    leaves a partial file behind when a write fails) and, when the disk is full, refuse clearly."""
    storage = upload.file.storage
    name = storage.get_available_name(upload.file.field.generate_filename(upload, filename))
    try:
        return storage.save(name, content)
    except OSError as error:
        # The name was free a moment ago, so whatever is there now is our partial write.
        if storage.exists(name):
            storage.delete(name)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            logger.error("No space left to store an upload to %s", upload.dataset.slug)
            raise UploadRefused(
                "The portal has no room to store your file just now, so nothing was kept. "
                "Try again later; if it happens again, tell the portal's administrators."
            ) from error
        raise


def _queue_on_commit(task: Any, upload_id: int) -> None:
    """Queue ``task(upload_id)`` once the transaction commits; when the broker cannot be reached
    the upload keeps its place and says it is delayed, and the sweep queues it later."""

    def send() -> None:
        try:
            task.delay(upload_id)
        except Exception:  # kombu's OperationalError or a socket error: the broker is down
            logger.warning("Could not queue %s for upload %s", task.name, upload_id, exc_info=True)
            Upload.objects.filter(pk=upload_id).update(problem=PROCESSING_DELAYED)

    transaction.on_commit(send)


def uploads_queue_delayed() -> int:
    """Queue again the checks and imports whose queueing failed (the broker was down)."""
    from .tasks import upload_check_task, upload_import_task

    tasks = {Upload.Status.RECEIVED: upload_check_task, Upload.Status.QUEUED: upload_import_task}
    queued = 0
    delayed = Upload.objects.filter(problem=PROCESSING_DELAYED, status__in=list(tasks))
    for upload_id, status in delayed.values_list("pk", "status"):
        try:
            tasks[status].delay(upload_id)
        except Exception:  # still down: the next sweep tries again
            logger.warning("The broker is still unreachable; %s stays delayed", upload_id)
            break
        # Cleared once sent, so a later sweep never queues it twice.
        Upload.objects.filter(pk=upload_id, problem=PROCESSING_DELAYED).update(problem="")
        queued += 1
    return queued


# ---------------------------------------------------------------------------
# Reading, normalising and staging one file
# ---------------------------------------------------------------------------
def _local_path(upload: Upload) -> tuple[Path, Callable[[], None]]:
    """A local path to the stored file (a temp copy when storage is not on this disk)."""
    try:
        return Path(upload.file.path), lambda: None
    except NotImplementedError:  # remote storage
        handle = tempfile.NamedTemporaryFile(suffix=".upload", delete=False)  # noqa: SIM115
        with upload.file.open("rb") as source:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                handle.write(chunk)
        handle.close()
        return Path(handle.name), lambda: Path(handle.name).unlink(missing_ok=True)


def _stage_file(
    upload: Upload, stage: Stage, progress: Callable[[int], None] | None = None
) -> CheckResult:
    """Read, normalise and stage every row; set-based checks; errors collected, not raised."""
    path, cleanup = _local_path(upload)
    report = io.StringIO()
    writer = csv.writer(report, lineterminator="\r\n")
    writer.writerow(ERROR_REPORT_HEADINGS)
    log = ErrorLog(writer=writer, keep=FIRST_ERRORS)
    try:
        table = open_table(path, upload.original_filename)
        normaliser = Normaliser(upload.dataset, table.headings, Lookups.load(upload.dataset.format))
        seen: int | None = None
        if fast.applies(table, upload.dataset, path):
            # PostgreSQL, portal template: COPY the raw file and validate it set-based.
            table.close()
            seen = fast.stage_file(
                path=path, normaliser=normaliser, stage=stage, log=log, progress=progress
            )
            if seen is None:  # PostgreSQL could not read it as CSV: the Python path says why
                table = open_table(path, upload.original_filename)
        if seen is None:
            seen = 0
            for row_no, cells in table.rows:
                seen += 1
                try:
                    row = normaliser.normalise(row_no, cells)
                except RowInvalid as error:
                    log.add(RowError(row_no, error.column, error.reason, error.value))
                    continue
                if stage.add(row) and progress is not None:
                    progress(seen)
        if seen == 0:
            raise FileRefused(
                "The file has column headings but no rows of data. Check you exported the "
                "right period."
            )
        stage.finish_loading()
        if progress is not None:
            progress(seen)
        reference = normaliser._heading(
            {"police_uk_street": "crime_id", "istv_ed": "attendance_ref"}.get(
                upload.dataset.format, "reference"
            )
        )
        for row_no, ref, first in stage.duplicates():
            log.add(
                RowError(row_no, reference, f"reference {ref} is also used on row {first}", ref)
            )
        counts = stage.counts(upload.dataset_id)
        counts.total = seen
    finally:
        cleanup()
    log.first.sort(key=lambda e: e["row"])
    return CheckResult(
        counts=counts,
        errors=log.count,
        first_errors=log.first,
        report=report.getvalue().encode("utf-8") if log.count else b"",
    )


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file on disk, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_unchanged(upload: Upload) -> bool:
    """Whether the stored file still has the SHA-256 it was checked with.

    Opens its own handle (never ``upload.file``'s), so it can run in a thread beside the import.
    """
    digest = hashlib.sha256()
    with upload.file.storage.open(upload.file.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest() == upload.sha256


def _save_counts(upload: Upload, counts: Counts, errors: int) -> None:
    upload.rows_total = counts.total
    upload.rows_processed = counts.total
    upload.rows_new = counts.new
    upload.rows_changed = counts.changed
    upload.rows_unchanged = counts.unchanged
    upload.rows_invalid = errors
    upload.rows_outside_area = counts.outside_area
    upload.rows_no_area = counts.no_area


# ---------------------------------------------------------------------------
# Check (validation and preview)
# ---------------------------------------------------------------------------
def upload_check(*, upload_id: int) -> Upload:
    """Validate the file and compute the preview counts; writes no records (idempotent)."""
    claimed = Upload.objects.filter(
        pk=upload_id, status__in=[Upload.Status.RECEIVED, Upload.Status.VALIDATING]
    ).update(status=Upload.Status.VALIDATING, rows_processed=0)
    upload = Upload.objects.select_related("dataset").get(pk=upload_id)
    if not claimed:
        return upload  # already checked (a re-delivered task)
    progress = Progress(upload.pk)
    try:
        # The checked rows are kept (PostgreSQL) for the import to write from, unless invalid.
        with transaction.atomic(), Stage(name=checked_table(upload.pk), keep=True) as stage:
            result = _stage_file(upload, stage, progress.report)
            if result.errors:
                stage.drop()
    except FileRefused as refusal:
        return _refuse(upload, refusal.message)
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries, and the upload is still claimable
    except Exception:
        _refuse(upload, UNEXPECTED)
        raise
    finally:
        progress.close()
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload_id)
        _save_counts(upload, result.counts, result.errors)
        upload.first_errors = result.first_errors
        if result.errors:
            upload.status = Upload.Status.INVALID
            upload.problem = (
                f"{result.errors:,} row{'s' if result.errors != 1 else ''} could not be read. "
                "Nothing was imported. Correct the rows listed in the error report and upload "
                "the whole file again."
            )
            upload.error_report.save(
                f"upload-{upload.pk}-errors.csv", ContentFile(result.report), save=False
            )
        else:
            upload.status = Upload.Status.VALIDATED
        upload.save()
        audit_record(
            actor=None,
            action="upload.check",
            obj=upload,
            summary=f"Checked {upload.original_filename}: {upload.get_status_display()}",
            detail={"errors": result.errors, "rows": result.counts.total},
        )
    return upload


def _refuse(upload: Upload, message: str, status: str = Upload.Status.INVALID) -> Upload:
    with transaction.atomic():
        Stage(name=checked_table(upload.pk), keep=True).drop()
        upload = Upload.objects.select_for_update().select_related("dataset").get(pk=upload.pk)
        upload.status = status
        upload.problem = message
        upload.finished_at = timezone.now() if status == Upload.Status.FAILED else None
        upload.save()
        audit_record(
            actor=None,
            action="upload.refuse",
            obj=upload,
            summary=f"Refused {upload.original_filename}",
            detail={"problem": message[:500]},
        )
    return upload


# ---------------------------------------------------------------------------
# Confirm and import
# ---------------------------------------------------------------------------
@transaction.atomic
def upload_confirm(*, upload: Upload, user: Any, queue_import: bool = True) -> Upload:
    """Accept the preview and queue the import in the worker."""
    problem = _agreement_problem(upload.dataset)
    if problem:
        raise UploadRefused(problem)
    claimed = Upload.objects.filter(pk=upload.pk, status=Upload.Status.VALIDATED).update(
        status=Upload.Status.QUEUED, rows_processed=0
    )
    if not claimed:
        raise UploadRefused("This upload is not ready to import (it was checked again or refused).")
    upload.refresh_from_db()
    audit_record(
        actor=user,
        action="upload.confirm",
        obj=upload,
        summary=f"Confirmed the import of {upload.original_filename}",
    )
    if queue_import:
        from .tasks import upload_import_task

        _queue_on_commit(upload_import_task, upload.pk)
    return upload


def _write(stage: Stage, upload: Upload, counts: Counts) -> None:
    try:
        stage.write(dataset_id=upload.dataset_id, upload_id=upload.pk, counts=counts)
    except ReferenceGone as gone:
        raise FileRefused(
            "A crime category or area this file uses was removed while it was importing. "
            "Nothing was imported; upload the file again."
        ) from gone


def upload_import(*, upload_id: int) -> Upload:
    """Import a confirmed upload, all or nothing, under the dataset's lock (idempotent)."""
    Upload.objects.filter(
        pk=upload_id, status__in=[Upload.Status.QUEUED, Upload.Status.IMPORTING]
    ).update(status=Upload.Status.IMPORTING, started_at=timezone.now(), rows_processed=0)
    upload = Upload.objects.select_related("dataset").get(pk=upload_id)
    if upload.status != Upload.Status.IMPORTING:
        return upload
    progress = Progress(upload.pk)
    hasher = ThreadPoolExecutor(max_workers=1)
    try:
        with transaction.atomic():
            partitions.lock_for_rebuild(upload.dataset_id, upload.rows_total)
            lock_dataset(upload.dataset_id)
            # Under the lock, a second delivery of this task sees the first one's result.
            current = Upload.objects.get(pk=upload_id)
            if current.status != Upload.Status.IMPORTING:
                return current
            if problem := _agreement_problem(upload.dataset):
                raise FileRefused(problem)
            # The file's hash is checked in a thread (hashlib releases the GIL) while the database
            # works on the kept rows; the import commits only once it has matched.
            hashing = hasher.submit(_file_unchanged, upload)

            def file_unchanged() -> None:
                if not hashing.result():
                    raise FileRefused(
                        "The stored file changed after it was checked; upload it again."
                    )

            # The rows the check converted and validated, when it kept them whole: the file is
            # the one checked (its hash is verified before commit) and the references are locked
            # and checked again by the write. Otherwise the file is read and checked again here.
            checked = Stage.reuse_checked(upload.pk, current.rows_total)
            if checked is not None:
                counts = checked.counts(
                    upload.dataset_id,
                    outside_area=current.rows_outside_area,
                    no_area=current.rows_no_area,
                    mark=True,
                )
                counts.total = checked.rows
                _write(checked, upload, counts)
                file_unchanged()
                checked.drop()
            else:
                file_unchanged()
                with Stage() as stage:
                    result = _stage_file(upload, stage, progress.report)
                    if result.errors:
                        raise FileRefused(
                            f"{result.errors:,} rows could not be read when importing (the data "
                            "changed since the check). Nothing was imported; upload the file "
                            "again."
                        )
                    counts = result.counts
                    _write(stage, upload, counts)
            # The records' priority bits were computed by the statements that wrote them.
            _save_counts(current, counts, 0)
            current.status = Upload.Status.IMPORTED
            current.finished_at = timezone.now()
            current.problem = ""
            current.save()
            audit_record(
                actor=current.uploaded_by,
                action="upload.import",
                obj=current,
                summary=(
                    f"Imported {current.original_filename}: {current.rows_new:,} new, "
                    f"{current.rows_changed:,} changed, {current.rows_unchanged:,} unchanged"
                ),
                detail={"dataset": upload.dataset.slug},
            )
            # The evidence app's aggregate tables are rebuilt by a task queued on commit.
            records_changed.send(sender=Upload, dataset_ids=[upload.dataset_id])
            return current
    except FileRefused as refusal:
        return _refuse(upload, refusal.message, status=Upload.Status.FAILED)
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries, and the upload is still claimable
    except Exception:
        _refuse(upload, UNEXPECTED, status=Upload.Status.FAILED)
        raise
    finally:
        hasher.shutdown(cancel_futures=True)
        progress.close()


def upload_mark_failed(*, upload_id: int, message: str) -> Upload:
    """Record that an import could not run (after its retries); nothing was written."""
    upload = Upload.objects.get(pk=upload_id)
    if upload.status in (Upload.Status.IMPORTED, Upload.Status.WITHDRAWN):
        return upload
    return _refuse(upload, message, status=Upload.Status.FAILED)


def checked_tables_clean(*, keep_days: int | None = None) -> int:
    """Drop kept checked rows (PostgreSQL) that no import will use; returns how many.

    Kept while the upload waits to be confirmed or imported, for ``IMPORT_CHECKED_KEEP_DAYS``
    from its upload. Dropping is always safe: an import that finds no checked rows reads and
    checks the file again. A table an import is using right now is left for the next run.
    """
    if not is_postgres():
        return 0
    days = settings.IMPORT_CHECKED_KEEP_DAYS if keep_days is None else keep_days
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename ~ %s",
            [f"^{CHECKED_PREFIX}[0-9]+$"],
        )
        tables = {int(name.removeprefix(CHECKED_PREFIX)): name for (name,) in cursor.fetchall()}
    waiting = set(
        Upload.objects.filter(
            pk__in=tables,
            status__in=[Upload.Status.VALIDATED, Upload.Status.QUEUED, Upload.Status.IMPORTING],
            uploaded_at__gte=timezone.now() - dt.timedelta(days=days),
        ).values_list("pk", flat=True)
    )
    dropped = 0
    for upload_id, name in sorted(tables.items()):
        if upload_id in waiting:
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
            dropped += 1
        except OperationalError:
            continue  # an import holds it: the next run drops it
    return dropped


# ---------------------------------------------------------------------------
# Withdraw
# ---------------------------------------------------------------------------
def withdraw_problem(upload: Upload) -> str | None:
    """Why the upload cannot be withdrawn now; None when it can."""
    if upload.status != Upload.Status.IMPORTED:
        return "Only an imported upload can be withdrawn."
    later = (
        Upload.objects.filter(dataset_id=upload.dataset_id, status=Upload.Status.IMPORTED)
        .filter(finished_at__gt=upload.finished_at)
        .order_by("finished_at")
        .first()
    )
    if later is not None:
        return (
            f"“{later.original_filename}” was imported after this upload and may have changed the "
            "same records. Withdraw the later uploads first, newest first."
        )
    return None


def _restore_value(field_name: str, value: Any) -> Any:
    model_field = IncidentRecord._meta.get_field(field_name.removesuffix("_id"))
    if value is None:
        return None
    if field_name == "occurred_at":
        parsed = model_field.to_python(value)
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, dt.UTC)
        return parsed
    if field_name.endswith("_id"):
        return int(value)
    return model_field.to_python(value)


@transaction.atomic
def upload_withdraw(*, upload: Upload, user: Any) -> Upload:
    """Remove the records an upload created and restore those it changed."""
    lock_dataset(upload.dataset_id)
    upload = Upload.objects.select_for_update().select_related("dataset").get(pk=upload.pk)
    if problem := withdraw_problem(upload):
        raise UploadRefused(problem)
    changed = RecordVersion.objects.filter(upload=upload, created=False).select_related(None)
    batch: list[IncidentRecord] = []
    fields: set[str] = set()
    restored_ids: list[int] = []
    for version in changed.iterator(chunk_size=2000):
        record = IncidentRecord(pk=version.record_id)
        for name, value in (version.previous or {}).items():
            setattr(record, name, _restore_value(name, value))
            fields.add(name)
        batch.append(record)
        restored_ids.append(version.record_id)
        if len(batch) >= 2000:
            IncidentRecord.objects.bulk_update(batch, sorted(fields))
            batch = []
    if batch:
        IncidentRecord.objects.bulk_update(batch, sorted(fields))
    # The records the upload created are those still carrying its id now that the changed ones
    # are restored (no later import exists: withdraw_problem). Uploads imported before
    # 2026-11-22 also listed them as versions with created=True; both are honoured.
    # Both read only the dataset's records (its partition on PostgreSQL).
    legacy = RecordVersion.objects.filter(upload=upload, created=True).values("record_id")
    IncidentRecord.objects.filter(dataset_id=upload.dataset_id, upload_id=upload.pk).delete()
    IncidentRecord.objects.filter(dataset_id=upload.dataset_id, pk__in=legacy).delete()
    if restored_ids:
        # Their bits are recomputed: the rules may have changed since they were written.
        priorities_recompute(
            records=IncidentRecord.objects.filter(dataset_id=upload.dataset_id, pk__in=restored_ids)
        )
    upload.status = Upload.Status.WITHDRAWN
    upload.withdrawn_at = timezone.now()
    upload.withdrawn_by = user if getattr(user, "is_authenticated", False) else None
    upload.save()
    audit_record(
        actor=user,
        action="upload.withdraw",
        obj=upload,
        summary=f"Withdrew {upload.original_filename} from {upload.dataset.name}",
        detail={"restored": len(restored_ids), "removed_records": upload.rows_new},
    )
    # The evidence app's aggregate tables are rebuilt by a task queued on commit.
    records_changed.send(sender=Upload, dataset_ids=[upload.dataset_id])
    # The raw file goes at withdrawal (after commit), audited; the upload's counts stay.
    from incidents.retention import upload_files_delete

    upload_files_delete(upload=upload, reason="withdrawn")
    return upload


# ---------------------------------------------------------------------------
# Whole pipeline in-process (command line, demo data)
# ---------------------------------------------------------------------------
def upload_run_now(*, dataset: Dataset, path: Path, user: Any = None) -> Upload:
    """Receive, check and import a file synchronously, as the worker would."""
    with open(path, "rb") as handle:
        upload = upload_receive(
            dataset=dataset, user=user, file=handle, filename=path.name, queue_check=False
        )
    upload = upload_check(upload_id=upload.pk)
    if upload.status != Upload.Status.VALIDATED:
        return upload
    upload = upload_confirm(upload=upload, user=user, queue_import=False)
    return upload_import(upload_id=upload.pk)
