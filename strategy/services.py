"""Writes for the strategy app; each records an audit event in the same transaction."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from core.services import audit_record

from .models import (
    Action,
    ActionStatus,
    Measurement,
    MeasurementSource,
    MeasureQuery,
    OutcomeMeasure,
    ProgressUpdate,
    Strategy,
)
from .resources import ActionResource
from .selectors import measure_query_counts, user_can_refresh_measures, user_can_update_action

EVIDENCE_EXTENSIONS = {".pdf", ".docx", ".xlsx", ".csv", ".odt", ".ods", ".pptx", ".png", ".jpg"}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


def evidence_problem(file: UploadedFile | None) -> str:
    """Why an evidence file cannot be accepted, or '' when it can."""
    if file is None:
        return ""
    extension = os.path.splitext(file.name or "")[1].lower()
    if extension not in EVIDENCE_EXTENSIONS:
        allowed = ", ".join(sorted(e.lstrip(".").upper() for e in EVIDENCE_EXTENSIONS))
        return f"The evidence file must be one of: {allowed}"
    if file.size is not None and file.size > EVIDENCE_MAX_BYTES:
        return "The evidence file must be smaller than 10 MB"
    if not file.size:
        return "The evidence file is empty"
    return ""


@transaction.atomic
def progress_update_create(
    *,
    action: Action,
    actor: Any,
    status: str,
    narrative: str,
    evidence: UploadedFile | None = None,
) -> ProgressUpdate:
    """Add a dated progress update to an action and move the action to its new status."""
    if not user_can_update_action(actor, action):
        raise PermissionDenied("Only a partner lead of the lead organisation may update it.")
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Select the action's status"})
    narrative = narrative.strip()
    if not narrative:
        raise ValidationError({"narrative": "Enter what has happened since the last update"})
    problem = evidence_problem(evidence)
    if problem:
        raise ValidationError({"evidence": problem})
    # Lock the action so two leads posting at once both see the right previous status.
    locked = Action.objects.select_for_update().get(pk=action.pk)
    update = ProgressUpdate(
        action=locked,
        author=actor,
        author_name=actor.get_full_name(),
        previous_status=locked.status,
        status=status,
        narrative=narrative,
    )
    if evidence is not None:
        update.evidence_name = os.path.basename(evidence.name or "evidence")[:255]
        update.evidence.save(evidence.name, evidence, save=False)
    update.save()
    Action.objects.filter(pk=locked.pk).update(status=status, updated_at=timezone.now())
    action.status = status
    audit_record(
        actor=actor,
        action="strategy.progress_update_created",
        obj=locked,
        summary=f"Progress update on “{locked.title}”: {update.get_status_display()}",
        detail={
            "update_id": update.pk,
            "from": update.previous_status,
            "to": status,
            "evidence": update.evidence_name,
        },
    )
    return update


@transaction.atomic
def strategy_publish(*, strategy: Strategy, actor: Any) -> Strategy:
    """Publish a strategy to residents; the one published before it becomes superseded."""
    if strategy.status == Strategy.Status.PUBLISHED:
        raise ValidationError("This strategy is already published.")
    if not strategy.themes.exists():
        raise ValidationError("Add the strategy's themes before publishing it.")
    if not strategy.definitions.exists():
        raise ValidationError("Add the local definition of serious violence before publishing.")
    previous = list(
        Strategy.objects.select_for_update()
        .filter(status=Strategy.Status.PUBLISHED)
        .exclude(pk=strategy.pk)
    )
    for old in previous:
        old.status = Strategy.Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="strategy.superseded",
            obj=old,
            summary=f"{old} superseded by {strategy}",
        )
    strategy.status = Strategy.Status.PUBLISHED
    strategy.published_at = timezone.now()
    strategy.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="strategy.published",
        obj=strategy,
        summary=f"{strategy} published",
        detail={"superseded": [old.pk for old in previous]},
    )
    return strategy


@transaction.atomic
def strategy_withdraw(*, strategy: Strategy, actor: Any) -> Strategy:
    """Take a published strategy off the public pages by returning it to draft."""
    if strategy.status != Strategy.Status.PUBLISHED:
        raise ValidationError("Only a published strategy can be withdrawn.")
    strategy.status = Strategy.Status.DRAFT
    strategy.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="strategy.withdrawn", obj=strategy, summary=f"{strategy} withdrawn"
    )
    return strategy


@transaction.atomic
def measurement_record(
    *,
    measure: OutcomeMeasure,
    actor: Any,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal,
    note: str = "",
    replacing: Measurement | None = None,
) -> Measurement:
    """Record (or correct) the value of an outcome measure for a period, as a manual value.

    Correcting a computed value turns it into a manual one, which refreshes then leave alone.
    """
    if period_end < period_start:
        raise ValidationError({"period_end": "The period must end after it starts"})
    # The same lock as measure_refresh: a manual entry and a refresh never interleave.
    OutcomeMeasure.objects.select_for_update().filter(pk=measure.pk).first()
    if replacing is not None and (replacing.period_start, replacing.period_end) != (
        period_start,
        period_end,
    ):
        # The period itself was corrected: the old row goes, with its own audit event.
        measurement_delete(measurement=replacing, actor=actor)
    measurement, created = Measurement.objects.update_or_create(
        measure=measure,
        period_start=period_start,
        period_end=period_end,
        defaults={
            "value": value,
            "note": note,
            "recorded_by": actor,
            "source": MeasurementSource.MANUAL,
        },
    )
    audit_record(
        actor=actor,
        action="strategy.measurement_recorded" if created else "strategy.measurement_corrected",
        obj=measurement,
        summary=f"{measure.name}: {value} for {period_start:%b %Y}–{period_end:%b %Y}",
        detail={"measure": measure.slug, "value": str(value)},
    )
    return measurement


@transaction.atomic
def measurement_delete(*, measurement: Measurement, actor: Any) -> None:
    """Remove a measurement entered in error."""
    audit_record(
        actor=actor,
        action="strategy.measurement_deleted",
        obj=measurement,
        summary=f"{measurement} removed",
        detail={"measure": measurement.measure.slug, "value": str(measurement.value)},
    )
    measurement.delete()


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh of a measure from incident data changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    kept_manual: list[str] = field(default_factory=list)
    incomplete: int = 0

    @property
    def summary(self) -> str:
        parts = [
            f"{self.created} new",
            f"{self.updated} changed",
            f"{self.unchanged} unchanged",
            f"{self.removed} removed",
        ]
        text = ", ".join(parts) + " computed values"
        if self.kept_manual:
            text += f"; {len(self.kept_manual)} periods kept their manual value"
        if self.incomplete:
            text += f"; {self.incomplete} incomplete periods left out"
        return text


def _can_refresh(actor: Any | None) -> bool:
    # None is the schedule; people need the permission to change outcome measures.
    return actor is None or user_can_refresh_measures(actor)


def _period_label(start: datetime.date, end: datetime.date) -> str:
    return (
        f"{start:%b %Y}"
        if (start.year, start.month) == (end.year, end.month)
        else (f"{start:%b %Y}–{end:%b %Y}")
    )


@transaction.atomic
def measure_refresh(
    *, measure: OutcomeMeasure, actor: Any | None, today: datetime.date | None = None
) -> RefreshResult:
    """Recompute a measure's values from incident data with its saved query (idempotent).

    Counts are grouped in SQL. Computed values are created, corrected or removed to match the
    query; a period that already has a manual value keeps it, and the audit event lists it.
    """
    if not _can_refresh(actor):
        raise PermissionDenied("Only OPFCC staff can refresh a measure.")
    # Lock the measure so two refreshes of it (the schedule and a person) never interleave.
    measure = OutcomeMeasure.objects.select_for_update().get(pk=measure.pk)
    query = (
        MeasureQuery.objects.filter(measure=measure)
        .prefetch_related("datasets", "categories")
        .first()
    )
    if query is None:
        raise ValidationError("This measure has no saved query over incident data.")
    if not query.datasets.all():
        raise ValidationError("Choose at least one dataset for the measure's query.")
    counts = measure_query_counts(query=query, today=today)
    existing = {(m.period_start, m.period_end): m for m in measure.measurements.all()}
    note = "Computed from " + ", ".join(d.name for d in query.datasets.all())
    note = note[:300]
    now = timezone.now()
    to_create: list[Measurement] = []
    to_update: list[Measurement] = []
    kept_manual: list[str] = []
    unchanged = 0
    wanted = set()
    for period in counts.periods:
        key = (period.period_start, period.period_end)
        wanted.add(key)
        value = Decimal(period.count)
        current = existing.get(key)
        if current is None:
            to_create.append(
                Measurement(
                    measure=measure,
                    period_start=period.period_start,
                    period_end=period.period_end,
                    value=value,
                    key_sum=period.key_sum,
                    note=note,
                    source=MeasurementSource.COMPUTED,
                    recorded_by=actor,
                )
            )
        elif current.source == MeasurementSource.MANUAL:
            kept_manual.append(_period_label(*key))
        elif current.value != value or current.note != note or current.key_sum != period.key_sum:
            current.value, current.note, current.key_sum = value, note, period.key_sum
            to_update.append(current)
        else:
            unchanged += 1
    stale = [
        m.pk
        for key, m in existing.items()
        if m.source == MeasurementSource.COMPUTED and key not in wanted
    ]
    Measurement.objects.bulk_create(to_create)
    Measurement.objects.bulk_update(to_update, ["value", "note", "key_sum"])
    Measurement.objects.filter(pk__in=stale).delete()
    result = RefreshResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=unchanged,
        removed=len(stale),
        kept_manual=kept_manual,
        incomplete=len(counts.incomplete),
    )
    MeasureQuery.objects.filter(pk=query.pk).update(
        last_refreshed_at=now, last_refresh_summary=result.summary[:300]
    )
    audit_record(
        actor=actor,
        action="strategy.measure_refreshed",
        obj=measure,
        summary=f"{measure.name} refreshed from incident data: {result.summary}",
        detail={
            "measure": measure.slug,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "removed": result.removed,
            "kept_manual": kept_manual,
            "incomplete": result.incomplete,
            "scheduled": actor is None,
        },
    )
    return result


@transaction.atomic
def measure_query_changed(*, query: MeasureQuery, actor: Any) -> None:
    """Record that staff changed a measure's saved query (the next refresh applies it)."""
    audit_record(
        actor=actor,
        action="strategy.measure_query_changed",
        obj=query.measure,
        summary=f"Saved query for {query.measure.name} changed",
        detail={
            "datasets": sorted(d.slug for d in query.datasets.all()),
            "priority": query.priority.slug if query.priority else None,
            "categories": sorted(c.slug for c in query.categories.all()),
            "weapons": list(query.weapons),
            "under_25": query.under_25,
            "domestic_abuse": query.domestic_abuse,
            "authority": query.authority_id,
            "district": query.district_id,
            "granularity": query.granularity,
        },
    )


@transaction.atomic
def measure_refresh_queue(*, measure: OutcomeMeasure, actor: Any) -> None:
    """Ask for a measure to be refreshed from incident data in the background, once committed."""
    from .tasks import measure_refresh_task

    if actor is None or not _can_refresh(actor):
        raise PermissionDenied("Only OPFCC staff can refresh a measure.")
    if not MeasureQuery.objects.filter(measure=measure).exists():
        raise ValidationError("This measure has no saved query over incident data.")
    audit_record(
        actor=actor,
        action="strategy.measure_refresh_requested",
        obj=measure,
        summary=f"Refresh of {measure.name} from incident data requested",
    )
    measure_id, actor_id = measure.pk, actor.pk
    transaction.on_commit(lambda: measure_refresh_task.delay(measure_id, actor_id))


EXPORT_FORMATS = {"csv": CSV, "xlsx": XLSX}


@transaction.atomic
def plan_export(
    *, actor: Any, strategy: Strategy, actions: QuerySet[Action], file_format: str
) -> tuple[bytes, str, str]:
    """The delivery plan as a CSV or XLSX file (formula-escaped): (content, type, file name)."""
    if file_format not in EXPORT_FORMATS:
        raise ValidationError("Choose CSV or XLSX.")
    dataset = ActionResource().export(queryset=actions)
    export_format = EXPORT_FORMATS[file_format]()
    content = export_format.export_data(dataset)
    if isinstance(content, str):
        # A byte-order mark so Excel opens the CSV as UTF-8 (en dashes, curly quotes).
        content = ("\ufeff" + content).encode("utf-8")
    audit_record(
        actor=actor,
        action="strategy.plan_exported",
        obj=strategy,
        summary=f"Delivery plan exported as {file_format.upper()} ({len(dataset)} actions)",
        detail={"format": file_format, "rows": len(dataset)},
    )
    filename = f"delivery-plan-{strategy.period_start}-{strategy.period_end}.{file_format}"
    return content, export_format.get_content_type(), filename


@transaction.atomic
def action_admin_export_record(*, actor: Any, file_format: str, rows: int) -> None:
    """Record an export of delivery-plan actions from the admin."""
    audit_record(
        actor=actor,
        action="strategy.plan_exported",
        summary=f"Delivery-plan actions exported from the admin as {file_format} ({rows})",
        detail={"format": file_format, "rows": rows, "from": "admin"},
    )
