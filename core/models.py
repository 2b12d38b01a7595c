from __future__ import annotations

from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models

# The PostgreSQL setting (a custom GUC) the audit retention job sets, with SET LOCAL, to the
# number of days audit events are kept; only while it is set may the trigger let a DELETE of an
# event at least that old through (core.services.audit_retention_purge).
AUDIT_RETENTION_GUC = "nsvpp.audit_retention_days"


class AuditTrailIsAppendOnly(Exception):
    """Raised when code tries to change or delete audit events outside the retention job."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """The ORM-level guard (all databases): no bulk update or delete of audit events."""

    def update(self, **kwargs: Any) -> int:  # noqa: ARG002
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly(
            "Audit events cannot be deleted (only the audit retention job removes old ones)."
        )

    def _retention_delete(self) -> int:
        # Only core.services.audit_retention_purge calls this, inside its transaction and with
        # the PostgreSQL setting the trigger checks.
        return self._raw_delete(self.db)


class AuditEvent(models.Model):
    """One thing a person did that the partnership must be able to account for.

    Written by services in the same transaction as the change (or the read) it records:
    sign-ins, record-level views, exports, reports, uploads, invitations, changes to agreements,
    datasets, people and their rights. Append-only: the ORM refuses updates and deletes, and on
    PostgreSQL triggers refuse them whatever the client (see ``Meta.triggers``).
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No database constraint and no cascade: deleting a person must not touch their events
    # (that would be an UPDATE, which the trigger refuses). ``actor_email`` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Kept as text too, so the trail survives the person's account being removed.
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The dataset the event concerns (record views, exports, uploads, retention), for "who saw
    # this dataset" and each organisation's transparency page. A plain id: a deleted dataset's
    # events stay.
    dataset_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    summary = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor", "at"], name="auditevent_actor_at"),
        ]
        triggers = [
            pgtrigger.Protect(name="audit_no_update", operation=pgtrigger.Update),
            # A DELETE passes only inside the retention job (its SET LOCAL) and only for events
            # older than the retention period it states. Anything else is refused.
            pgtrigger.Protect(
                name="audit_delete_only_expired",
                operation=pgtrigger.Delete,
                condition=pgtrigger.Condition(
                    'NOT COALESCE(OLD."at" < now() - make_interval(days => '
                    f"NULLIF(current_setting('{AUDIT_RETENTION_GUC}', true), '')::int), false)"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or 'system'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")
