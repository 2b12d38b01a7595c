"""Writes of the evidence app: audit of exports and the alert e-mail choice."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.services import audit_record

from .models import AlertSubscription
from .query import EvidenceQuery
from .tables import Table


@transaction.atomic
def table_exported_log(*, actor: Any, page: str, table: Table, query: EvidenceQuery) -> None:
    """Log a CSV download of an evidence table (who, what, when, for which choices)."""
    audit_record(
        actor=actor,
        action="evidence.exported",
        summary=f"Downloaded '{table.title}' ({page}) as CSV",
        detail={
            "page": page,
            "table": table.slug,
            "rows": len(table.rows),
            "query": query.params(),
        },
    )


@transaction.atomic
def alert_subscription_set(*, user: Any, wants_digest: bool) -> AlertSubscription:
    """Switch a person's daily alert e-mail on or off (audited)."""
    subscription, _ = AlertSubscription.objects.get_or_create(user=user)
    subscription.wants_digest = wants_digest
    subscription.save(update_fields=["wants_digest"])
    audit_record(
        actor=user,
        action="evidence.alerts_" + ("on" if wants_digest else "off"),
        obj=subscription,
        summary="Alert e-mails switched " + ("on" if wants_digest else "off"),
    )
    return subscription
