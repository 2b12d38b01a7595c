"""Writes for SNA editions: create, edit, generate (queue), build (the worker), publish, copy,
and the audit of every download. Each writes its audit event in the same transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.services import audit_record

from . import rendering
from .models import Edition, Recommendation
from .report import NoData, Report, report_build
from .tasks import edition_generate_task

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "title",
    "edition_label",
    "period_start",
    "period_end",
    "area_level",
    "authority",
    "audience",
    "definition",
    "executive_summary",
    "key_findings",
    "data_gaps",
)


class EditionLocked(ValidationError):
    pass


def _check_editable(edition: Edition) -> None:
    if edition.status == Edition.Status.PUBLISHED:
        raise EditionLocked("A published edition cannot change. Start a new edition from it.")
    if edition.is_running:
        raise EditionLocked("The edition is being generated. Wait for it to finish.")


@transaction.atomic
def edition_create(*, actor: Any, data: dict[str, Any], previous: Edition | None = None) -> Edition:
    """A new draft edition; from a previous one it carries the recommendations forward."""
    edition = Edition(created_by=actor, previous=previous)
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(edition, name, data[name])
    edition.full_clean(exclude=["datasets", "shared_with"])
    edition.save()
    edition.datasets.set(data.get("datasets", []))
    edition.shared_with.set(data.get("shared_with", []))
    if previous is not None:
        for position, old in enumerate(previous.recommendations.order_by("position", "pk")):
            if old.status in (Recommendation.Status.DONE, Recommendation.Status.DROPPED):
                # Settled last time: reported then, not carried again.
                continue
            Recommendation.objects.create(
                edition=edition,
                chapter=old.chapter,
                text=old.text,
                status=Recommendation.Status.IN_PROGRESS,
                note="",
                carried_from=old,
                position=position,
            )
    audit_record(
        actor=actor,
        action="sna.edition_created",
        obj=edition,
        summary=f"SNA edition created: {edition}",
        detail={"previous": previous.pk if previous else None},
    )
    return edition


@transaction.atomic
def edition_update(*, actor: Any, edition: Edition, data: dict[str, Any]) -> Edition:
    """Change a draft (or ready, unpublished) edition's choices and narrative."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    _check_editable(edition)
    changed = [n for n in EDITABLE_FIELDS if n in data and getattr(edition, n) != data[n]]
    for name in changed:
        setattr(edition, name, data[name])
    edition.full_clean(exclude=["datasets", "shared_with"])
    edition.save()
    if "datasets" in data:
        edition.datasets.set(data["datasets"])
    if "shared_with" in data:
        edition.shared_with.set(data["shared_with"])
    audit_record(
        actor=actor,
        action="sna.edition_updated",
        obj=edition,
        summary=f"SNA edition changed: {edition}",
        detail={"fields": changed},
    )
    return edition


@transaction.atomic
def recommendation_save(
    *,
    actor: Any,
    edition: Edition,
    chapter: str,
    text: str,
    status: str = Recommendation.Status.NEW,
    note: str = "",
    recommendation: Recommendation | None = None,
) -> Recommendation:
    """Add or change one recommendation of an editable edition."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    _check_editable(edition)
    if recommendation is None:
        recommendation = Recommendation(edition=edition, position=edition.recommendations.count())
    elif recommendation.edition_id != edition.pk:
        raise ValidationError("That recommendation belongs to another edition.")
    recommendation.chapter = chapter
    recommendation.text = text
    recommendation.status = status
    recommendation.note = note
    recommendation.full_clean()
    recommendation.save()
    audit_record(
        actor=actor,
        action="sna.recommendation_saved",
        obj=edition,
        summary=f"Recommendation saved on {edition}",
        detail={"recommendation": recommendation.pk, "status": status},
    )
    return recommendation


@transaction.atomic
def recommendation_delete(*, actor: Any, recommendation: Recommendation) -> None:
    """Remove a recommendation from an editable edition."""
    edition = Edition.objects.select_for_update().get(pk=recommendation.edition_id)
    _check_editable(edition)
    audit_record(
        actor=actor,
        action="sna.recommendation_deleted",
        obj=edition,
        summary=f"Recommendation removed from {edition}",
        detail={"text": recommendation.text[:200]},
    )
    recommendation.delete()


@transaction.atomic
def edition_generate(*, actor: Any, edition: Edition) -> Edition:
    """Queue the worker to (re)build the edition's files, after this transaction commits."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    _check_editable(edition)
    if not edition.datasets.exists():
        raise ValidationError("Choose at least one dataset before generating.")
    edition.status = Edition.Status.QUEUED
    edition.progress = 0
    edition.current_step = "Waiting for the worker"
    edition.problem = ""
    edition.attempt += 1
    edition.save(
        update_fields=["status", "progress", "current_step", "problem", "attempt", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="sna.edition_generate",
        obj=edition,
        summary=f"SNA edition queued: {edition}",
        detail={"attempt": edition.attempt},
    )
    attempt = edition.attempt
    transaction.on_commit(lambda: edition_generate_task.delay(edition.pk, attempt))
    return edition


def _progress(edition_id: int, attempt: int) -> Any:
    def report(percent: int, step: str) -> None:
        # Outside any transaction, so the edition page sees each step at once.
        Edition.objects.filter(pk=edition_id, attempt=attempt).update(
            progress=min(max(percent, 0), 99), current_step=step[:200], updated_at=timezone.now()
        )

    return report


@dataclass
class BuildResult:
    edition: Edition
    report: Report | None
    page_count: int
    timings: rendering.RenderTimings
    outcome: str


def edition_build(*, edition_id: int, attempt: int | None = None) -> BuildResult:
    """The worker's pipeline: data → charts → layout → files, then mark the edition ready.

    Idempotent: a task for an edition already built for this attempt (or a newer Generate)
    does nothing; a redelivered task after a crash removes the partial files and starts again.
    """
    with transaction.atomic():
        edition = Edition.objects.select_for_update().filter(pk=edition_id).first()
        if edition is None:
            return BuildResult(None, None, 0, rendering.RenderTimings(), "gone")  # type: ignore[arg-type]
        if attempt is not None and edition.attempt != attempt:
            return BuildResult(edition, None, 0, rendering.RenderTimings(), "superseded")
        if edition.status not in (Edition.Status.QUEUED, Edition.Status.GENERATING):
            return BuildResult(
                edition, None, edition.page_count, rendering.RenderTimings(), "done already"
            )
        edition.status = Edition.Status.GENERATING
        edition.progress = 2
        edition.current_step = "Starting"
        edition.save(update_fields=["status", "progress", "current_step", "updated_at"])
    attempt = edition.attempt
    folder = rendering.edition_folder(edition.pk)
    removed = rendering.remove_partial_files(folder)
    if removed:
        logger.warning("SNA edition %s: removed partial files %s", edition.pk, removed)
    progress = _progress(edition.pk, attempt)
    try:
        files = edition_files_write(edition=edition, folder=folder, progress=progress)
    except NoData as problem:
        return _fail(edition, attempt, str(problem))
    with transaction.atomic():
        current = Edition.objects.select_for_update().get(pk=edition.pk)
        if current.attempt != attempt:
            return BuildResult(current, files.report, files.page_count, files.timings, "superseded")
        current.status = Edition.Status.READY
        current.progress = 100
        current.current_step = "Ready"
        current.fingerprint = files.report.fingerprint
        current.fingerprint_inputs = files.report.fingerprint_inputs
        current.method_version = files.report.fingerprint_inputs.get("method_version", "")
        current.page_count = files.page_count
        current.pdf.name = rendering.storage_name(edition.pk, files.pdf_name)
        current.tables_zip.name = rendering.storage_name(edition.pk, "tables.zip")
        current.web_html.name = rendering.storage_name(edition.pk, "edition.html")
        current.thumbnails = files.thumbnails
        current.generated_at = timezone.now()
        current.save()
        audit_record(
            actor=None,
            action="sna.edition_generated",
            obj=current,
            summary=f"SNA edition generated: {current} ({files.page_count} pages)",
            detail={"fingerprint": current.fingerprint, "pages": files.page_count},
        )
    return BuildResult(current, files.report, files.page_count, files.timings, "ready")


def _fail(edition: Edition, attempt: int, message: str) -> BuildResult:
    with transaction.atomic():
        Edition.objects.filter(pk=edition.pk, attempt=attempt).update(
            status=Edition.Status.FAILED, problem=message, current_step="Stopped", progress=0
        )
        audit_record(
            actor=None,
            action="sna.edition_failed",
            obj=edition,
            summary=f"SNA edition failed: {edition}",
            detail={"problem": message[:500]},
        )
    edition.refresh_from_db()
    return BuildResult(edition, None, 0, rendering.RenderTimings(), "failed")


def edition_mark_failed(*, edition_id: int, message: str) -> None:
    """The worker gave up (database unavailable after retries, time limit)."""
    edition = Edition.objects.filter(pk=edition_id).first()
    if edition is not None:
        _fail(edition, edition.attempt, message)


@dataclass
class WrittenFiles:
    report: Report
    page_count: int
    pdf_name: str
    thumbnails: list[str]
    timings: rendering.RenderTimings
    pdf_bytes: bytes
    tables_bytes: bytes


PDF_NAME = "edition.pdf"


def edition_files_write(
    *, edition: Edition, folder: Any, progress: Any, thumbnails: bool = True
) -> WrittenFiles:
    """Build the report and write the PDF, tables.zip, web page and thumbnails into folder."""
    timings = rendering.RenderTimings()
    progress(5, "Reading the data")
    with timings.step("data"):
        edition = (
            Edition.objects.select_related("authority", "definition__strategy")
            .prefetch_related("datasets", "recommendations")
            .get(pk=edition.pk)
        )
        report = report_build(edition=edition, progress=progress)
    # Charts are drawn while the report is built; the collector's time is reported separately.
    chart_seconds = getattr(report, "chart_seconds", 0.0)
    if chart_seconds:
        timings.seconds["charts"] = chart_seconds
        timings.seconds["data"] -= chart_seconds
    progress(90, "Laying out the pages")
    html = rendering.html_render(report=report, screen=False)
    pdf, page_count, _fetcher = rendering.pdf_render(html=html, timings=timings)
    progress(95, "Writing the files")
    with timings.step("writing"):
        tables = rendering.tables_zip_bytes(report=report)
        rendering.write_atomic(folder / "tables.zip", tables)
        rendering.write_atomic(
            folder / "edition.html", rendering.html_render(report=report, screen=True).encode()
        )
        rendering.write_atomic(folder / PDF_NAME, pdf)
    names: list[str] = []
    if thumbnails:
        progress(97, "Drawing the page previews")
        with timings.step("thumbnails"):
            names = rendering.thumbnails_render(pdf_path=folder / PDF_NAME, folder=folder / "pages")
    return WrittenFiles(
        report=report,
        page_count=page_count,
        pdf_name=PDF_NAME,
        thumbnails=names,
        timings=timings,
        pdf_bytes=pdf,
        tables_bytes=tables,
    )


@transaction.atomic
def edition_publish(*, actor: Any, edition: Edition) -> Edition:
    """Publish a ready edition: from now on it never changes."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.status != Edition.Status.READY:
        raise ValidationError("Only a ready edition can be published.")
    edition.status = Edition.Status.PUBLISHED
    edition.published_at = timezone.now()
    edition.published_by = actor
    edition.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit_record(
        actor=actor,
        action="sna.edition_published",
        obj=edition,
        summary=f"SNA edition published: {edition}",
        detail={"fingerprint": edition.fingerprint},
    )
    return edition


@transaction.atomic
def edition_download_log(*, actor: Any, edition: Edition, kind: str, detail: str = "") -> None:
    """Audit one download or view of an edition's files."""
    audit_record(
        actor=actor,
        action="sna.edition_downloaded",
        obj=edition,
        summary=f"SNA edition {kind} opened: {edition}",
        detail={"kind": kind, "fingerprint": edition.fingerprint, "part": detail},
    )
