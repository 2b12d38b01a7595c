"""Writes for the strategy app; each records an audit event in the same transaction."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from import_export.formats.base_formats import CSV, XLSX

from core.services import audit_record

from .models import Action, ActionStatus, Measurement, OutcomeMeasure, ProgressUpdate, Strategy
from .resources import ActionResource
from .selectors import user_can_update_action

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
    """Record (or correct) the value of an outcome measure for a period."""
    if period_end < period_start:
        raise ValidationError({"period_end": "The period must end after it starts"})
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
        defaults={"value": value, "note": note, "recorded_by": actor},
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
