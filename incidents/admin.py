from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from import_export.admin import ImportExportModelAdmin

from core.admin_audit import AuditedViewsAdminMixin
from incidents.importing import admin as _upload_admin  # noqa: F401 - registers the upload admin

from .access import can_see_records, datasets_with_records_visible
from .models import (
    Authority,
    Boundary,
    CategoryMapping,
    CrimeCategory,
    Dataset,
    DataSharingAgreement,
    District,
    FieldValueMapping,
    IncidentRecord,
    Lsoa,
    PriorityCrimeType,
    PriorityRule,
    Ward,
)
from .resources import (
    CategoryMappingResource,
    CrimeCategoryResource,
    LsoaResource,
    PriorityCrimeTypeResource,
)
from .retention import retention_plans, uploads_with_expired_files
from .services import priority_rules_changed


# ---------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------
@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "authority"]
    list_filter = ["authority"]
    search_fields = ["name", "code"]
    list_select_related = ["authority"]


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "district"]
    list_filter = ["district"]
    search_fields = ["name", "code"]
    list_select_related = ["district"]


@admin.register(Lsoa)
class LsoaAdmin(ImportExportModelAdmin):
    resource_classes = [LsoaResource]
    list_display = ["code", "name", "district", "ward", "in_area", "imd_decile", "population_total"]
    list_filter = ["in_area", "imd_decile", "district"]
    search_fields = ["code", "name", "ward__name"]
    list_select_related = ["district", "ward"]
    raw_id_fields = ["ward"]


@admin.register(Boundary)
class BoundaryAdmin(admin.ModelAdmin):
    list_display = ["level", "code", "name"]
    list_filter = ["level"]
    search_fields = ["code", "name"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # The geometry can be large: the list never loads it.
        return super().get_queryset(request).defer("geometry")


# ---------------------------------------------------------------------------
# Categories and priorities
# ---------------------------------------------------------------------------
class CategoryMappingInline(admin.TabularInline):
    model = CategoryMapping
    extra = 0


@admin.register(CrimeCategory)
class CrimeCategoryAdmin(ImportExportModelAdmin):
    resource_classes = [CrimeCategoryResource]
    list_display = ["name", "slug", "group", "is_sensitive", "display_order"]
    list_filter = ["group", "is_sensitive"]
    search_fields = ["name", "slug", "group"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CategoryMappingInline]


@admin.register(CategoryMapping)
class CategoryMappingAdmin(ImportExportModelAdmin):
    resource_classes = [CategoryMappingResource]
    list_display = ["source_format", "source_code", "category"]
    list_filter = ["source_format", "category"]
    search_fields = ["source_code", "category__name"]
    list_select_related = ["category"]


@admin.register(FieldValueMapping)
class FieldValueMappingAdmin(admin.ModelAdmin):
    list_display = ["source_format", "field", "source_value", "value"]
    list_filter = ["source_format", "field"]
    search_fields = ["source_value", "value"]


def _queue_recompute(request: HttpRequest, priority: PriorityCrimeType) -> None:
    priority_rules_changed(priority=priority, actor=request.user)


class PriorityRuleInline(admin.StackedInline):
    model = PriorityRule
    extra = 0
    filter_horizontal = ["categories"]


@admin.register(PriorityCrimeType)
class PriorityCrimeTypeAdmin(ImportExportModelAdmin):
    resource_classes = [PriorityCrimeTypeResource]
    list_display = ["name", "slug", "display_order", "is_sensitive", "is_active"]
    list_filter = ["is_active", "is_sensitive"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PriorityRuleInline]

    @transaction.atomic
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Any change to the priority or its rules: recompute its flags after commit.
        if form.has_changed() or any(fs.has_changed() for fs in formsets):
            _queue_recompute(request, form.instance)


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "is_active", "updated_at"]
    list_filter = ["priority", "is_active"]
    search_fields = ["name", "notes"]
    filter_horizontal = ["categories"]
    list_select_related = ["priority"]

    @transaction.atomic
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        priority = form.instance.priority
        _queue_recompute(request, priority)
        previous = form.initial.get("priority")
        if change and previous and previous != priority.pk:
            _queue_recompute(request, PriorityCrimeType.objects.get(pk=previous))

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: PriorityRule) -> None:
        priority = obj.priority
        super().delete_model(request, obj)
        _queue_recompute(request, priority)


# ---------------------------------------------------------------------------
# Datasets and agreements
# ---------------------------------------------------------------------------
def _record_level_before(request: HttpRequest, datasets: list[Dataset]) -> set[int]:
    return {d.pk for d in datasets if d.pk and can_see_records(request.user, d)}


def _refuse_widening_own_access(
    request: HttpRequest, datasets: list[Dataset], before: set[int]
) -> None:
    """Nobody but a superuser widens their own record-level access through the admin (by naming
    their organisation in an agreement or making it a dataset's owner). Raised inside the
    admin's transaction, so the change is rolled back."""
    if request.user.is_superuser:
        return
    for dataset in datasets:
        dataset.refresh_from_db()
        if dataset.pk not in before and can_see_records(request.user, dataset):
            raise PermissionDenied(
                "This change would let you see the dataset's records; ask another data steward."
            )


class AgreementInline(admin.StackedInline):
    model = DataSharingAgreement
    extra = 0
    filter_horizontal = ["record_level_organisations"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner", "format", "cadence", "is_active"]
    list_filter = ["format", "cadence", "is_active", "owner"]
    search_fields = ["name", "slug", "source_system", "owner__name"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["owner"]
    inlines = [AgreementInline]
    change_list_template = "admin/incidents/dataset/change_list.html"

    def get_urls(self) -> list[Any]:
        preview = path(
            "retention/",
            self.admin_site.admin_view(self.retention_preview_view),
            name="incidents_dataset_retention",
        )
        return [preview, *super().get_urls()]

    def retention_preview_view(self, request: HttpRequest) -> TemplateResponse:
        """What the next daily retention run would delete, per dataset (counts only)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Retention: what the next run would delete",
            "opts": self.model._meta,
            "plans": retention_plans(),
            "upload_files": uploads_with_expired_files().count(),
            "keep_days": settings.UPLOAD_FILE_KEEP_DAYS,
        }
        return TemplateResponse(request, "admin/incidents/dataset/retention.html", context)

    def save_model(self, request: HttpRequest, obj: Dataset, form: Any, change: bool) -> None:
        # Measured on the stored dataset and agreements, before this change is written.
        stored = Dataset.objects.filter(pk=obj.pk).first() if change else None
        request._record_level_before = (  # type: ignore[attr-defined]
            _record_level_before(request, [stored]) if stored else set()
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            before = getattr(request, "_record_level_before", set())
            _refuse_widening_own_access(request, [form.instance], before)


@admin.register(DataSharingAgreement)
class DataSharingAgreementAdmin(admin.ModelAdmin):
    list_display = ["title", "dataset", "start_date", "end_date", "hide_coordinates"]
    list_filter = ["dataset", "hide_coordinates", "end_date"]
    search_fields = ["title", "dataset__name", "legal_basis", "purpose"]
    filter_horizontal = ["record_level_organisations"]
    date_hierarchy = "start_date"
    list_select_related = ["dataset"]

    def save_model(
        self, request: HttpRequest, obj: DataSharingAgreement, form: Any, change: bool
    ) -> None:
        # Measured on the stored agreements, before this one's dates or names change.
        request._record_level_before = _record_level_before(  # type: ignore[attr-defined]
            request, [obj.dataset]
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_record_level_before", set())
        _refuse_widening_own_access(request, [form.instance.dataset], before)


@admin.register(IncidentRecord)
class IncidentRecordAdmin(AuditedViewsAdminMixin, admin.ModelAdmin):
    """Read-only: records change only through uploads, so that every change can be withdrawn.

    Lists only the records the signed-in person may see at record level (``incidents.access``):
    being staff, or a superuser, opens no dataset.
    """

    list_display = ["source_ref", "dataset", "occurred_on", "category", "lsoa", "outside_area"]
    list_filter = ["dataset", "category", "outside_area", "date_precision"]
    search_fields = ["source_ref", "lsoa__code"]
    list_select_related = ["dataset", "category", "lsoa"]
    date_hierarchy = "occurred_on"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .filter(dataset__in=datasets_with_records_visible(request.user).values("pk"))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
