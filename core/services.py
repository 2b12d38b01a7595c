from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from .audit_context import current_actor
from .models import AUDIT_RETENTION_GUC, AuditEvent

_UNSET: Any = object()


def _dataset_id_of(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if obj._meta.label_lower == "incidents.dataset":
        return obj.pk
    value = getattr(obj, "dataset_id", None)
    return value if isinstance(value, int) else None


def audit_record(
    *,
    actor: Any | None = _UNSET,
    action: str,
    obj: models.Model | None = None,
    summary: str = "",
    detail: dict[str, Any] | None = None,
    dataset_id: int | None = None,
) -> AuditEvent:
    """Write one audit event; call inside the transaction of the change it records.

    ``actor`` defaults to the person whose request is being handled (core.audit_context), or
    "system" in a task. ``dataset_id`` defaults to the object's dataset (a dataset, an upload,
    an agreement, a record …): pass it for a report or anything else about one dataset, so that
    the owner's transparency page and the audit search find it.
    """
    if actor is _UNSET:
        actor = current_actor()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_email=getattr(actor, "email", "") if authenticated else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        dataset_id=dataset_id if dataset_id is not None else _dataset_id_of(obj),
        summary=summary[:500],
        detail=detail or {},
    )


@transaction.atomic
def audit_retention_purge(*, now: Any = None) -> int:
    """Delete audit events older than AUDIT_RETENTION_DAYS, and record that it did (the only
    path by which audit events are ever deleted)."""
    days = int(settings.AUDIT_RETENTION_DAYS)
    if days < 1:
        raise ValueError("AUDIT_RETENTION_DAYS must be at least 1.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # SET LOCAL: the permission ends with this transaction. The trigger checks each
            # row's age against it again, so an event younger than this is never deleted.
            cursor.execute("SELECT set_config(%s, %s, true)", [AUDIT_RETENTION_GUC, str(days)])
    old = AuditEvent.objects.filter(at__lt=cutoff)
    oldest = old.order_by("at").values_list("at", flat=True).first()
    deleted = old._retention_delete()
    audit_record(
        actor=None,
        action="audit.retention_purged",
        summary=f"Deleted {deleted} audit events older than {days} days",
        detail={
            "count": deleted,
            "retention_days": days,
            "cutoff": cutoff.isoformat(),
            "oldest": oldest.isoformat() if oldest else None,
        },
    )
    return deleted
