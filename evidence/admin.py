"""Admin for the evidence app: what the local definition covers, and the alerts found."""

from __future__ import annotations

from django.contrib import admin

from .models import AlertBreach, AlertSubscription, DefinitionScope


@admin.register(DefinitionScope)
class DefinitionScopeAdmin(admin.ModelAdmin):
    list_display = ["definition"]
    filter_horizontal = ["priorities", "categories"]
    autocomplete_fields: list[str] = []


@admin.register(AlertBreach)
class AlertBreachAdmin(admin.ModelAdmin):
    list_display = ["month", "priority", "dataset", "rule", "direction", "found_at"]
    list_filter = ["rule", "priority", "dataset"]
    readonly_fields = ["dataset", "priority", "month", "rule", "direction", "found_at"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - found by the worker only
        return False


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "wants_digest", "last_sent_at"]
    readonly_fields = ["last_sent_at", "last_breach_id"]
