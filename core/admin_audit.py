"""The admin's record-level pages, audited like the portal's: every list page and every opened
record or upload writes who saw what (one event per dataset on a list page)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import HttpRequest, HttpResponse

from .services import audit_record


class AuditedViewsAdminMixin:
    """For a ModelAdmin of rows that belong to a dataset (``dataset_id``): audit list pages and
    opened rows as ``admin.<what>_listed`` / ``admin.<what>_viewed``."""

    audit_what = "records"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        # A redirect (e.g. an unknown filter) has no context: nothing was shown.
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and changelist is not None:
            shown = Counter(row.dataset_id for row in changelist.result_list)
            query = {k: v for k, v in request.GET.items() if k != "p"}
            for dataset_id, count in sorted(shown.items()):
                audit_record(
                    actor=request.user,
                    action=f"admin.{self.audit_what}_listed",
                    summary=f"Listed {count} {self.audit_what} in the admin",
                    detail={"count": count, "query": query, "page": request.GET.get("p", "")},
                    dataset_id=dataset_id,
                )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        original = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and original is not None:
            audit_record(
                actor=request.user,
                action=f"admin.{self.audit_what}_viewed",
                obj=original,
                summary=f"Opened {original._meta.verbose_name} {original} in the admin",
            )
        return response
