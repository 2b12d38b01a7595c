"""Writes of the incidents app (reference data, agreements, priorities); each one audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.services import audit_record

from .models import PriorityCrimeType


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
