"""Admin for uploads (registered through incidents/admin.py): read-only, for staff to look up.

Lists only uploads to datasets whose records the person may see (``incidents.access``): an
upload's file and error report hold record-level rows.

Uploads change only through the pipeline (browser flow or ``import_incidents``), so that every
change keeps its versions and audit events; the admin never edits or deletes them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin_audit import AuditedViewsAdminMixin
from incidents.access import datasets_with_records_visible
from incidents.models import Upload


@admin.register(Upload)
class UploadAdmin(AuditedViewsAdminMixin, admin.ModelAdmin):
    audit_what = "uploads"
    list_display = (
        "original_filename",
        "dataset",
        "status",
        "uploaded_by",
        "uploaded_at",
        "rows_total",
        "rows_new",
        "rows_changed",
        "rows_unchanged",
        "rows_invalid",
    )
    list_filter = ("status", "dataset")
    search_fields = ("original_filename", "sha256")
    date_hierarchy = "uploaded_at"
    list_select_related = ("dataset", "uploaded_by")

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .filter(dataset__in=datasets_with_records_visible(request.user).values("pk"))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Upload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
