"""Keeps the evidence cubes in step with the incidents app's record changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from incidents.signals import records_changed


@receiver(records_changed, dispatch_uid="evidence_cubes_refresh")
def queue_cubes_refresh(sender: Any, dataset_ids: list[int] | None, **kwargs: Any) -> None:
    """Queue a rebuild of the changed datasets' cubes once the change commits."""
    from .tasks import cubes_refresh_all_task, cubes_refresh_task

    if dataset_ids is None:
        transaction.on_commit(lambda: cubes_refresh_all_task.delay())
        return
    for dataset_id in dataset_ids:
        transaction.on_commit(lambda dataset_id=dataset_id: cubes_refresh_task.delay(dataset_id))
