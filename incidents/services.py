"""Writes of the incidents app (reference data, agreements, priorities); each one audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.services import audit_record

from .models import Dataset, PriorityCrimeType


@transaction.atomic
def priority_rules_changed(*, priority: PriorityCrimeType, actor: Any | None) -> None:
    """Record that a priority's rules changed and recompute its flags once the change commits."""
    from .tasks import priority_recompute_task

    audit_record(
        actor=actor,
        action="priority.rules_changed",
        obj=priority,
        summary=f"Rules changed for {priority.name}; flags recomputed in the background.",
    )
    priority_id = priority.pk
    transaction.on_commit(lambda: priority_recompute_task.delay(priority_id))


@transaction.atomic
def records_viewed_log(
    *, actor: Any, dataset: Dataset, action: str, filters: dict[str, str], count: int, **extra: Any
) -> None:
    """Log a view or export of record-level data (who, what, when) in the audit trail."""
    if action not in {"records.viewed", "records.exported"}:
        raise ValueError(f"unexpected records action {action!r}")
    audit_record(
        actor=actor,
        action=action,
        obj=dataset,
        summary=f"{action.split('.')[1].capitalize()} {count} records of {dataset.name}",
        detail={"filters": filters, "count": count, **extra},
    )
