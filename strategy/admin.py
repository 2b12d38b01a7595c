"""Admin for OPFCC staff: the strategy, its parts, the delivery plan and outcome measures."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from incidents.models import IncidentRecord

from . import services
from .models import (
    Action,
    AnnualReview,
    Consultation,
    Driver,
    LocalDefinition,
    Measurement,
    MeasureQuery,
    Milestone,
    OutcomeMeasure,
    Principle,
    ProgressUpdate,
    ProtectiveFactor,
    Strategy,
    Theme,
)
from .resources import ActionResource

# Links typed without a scheme are read as https (the Django 6 default).
URL_AS_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class LocalDefinitionInline(admin.StackedInline):
    model = LocalDefinition
    extra = 0
    fields = ("version", "agreed_on", "text", "notes")


class ThemeInline(admin.StackedInline):
    model = Theme
    extra = 0
    fields = ("name", "description", "display_order")


class PrincipleInline(admin.TabularInline):
    model = Principle
    extra = 0
    fields = ("name", "description", "display_order")


class DriverInline(admin.TabularInline):
    model = Driver
    extra = 0
    fields = ("name", "description", "display_order")


class ProtectiveFactorInline(admin.TabularInline):
    model = ProtectiveFactor
    extra = 0
    fields = ("name", "description", "display_order")


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    """Staff edit a strategy here and publish it with the action (which supersedes the old one)."""

    list_display = ("title", "period_label", "status", "agreed_on", "published_at")
    list_filter = ("status",)
    search_fields = ("title",)
    readonly_fields = ("status", "published_at", "created_at", "updated_at")
    filter_horizontal = ("priorities",)
    fieldsets = (
        (None, {"fields": ("title", ("period_start", "period_end"), "agreed_on", "document_url")}),
        ("Content for residents", {"fields": ("summary", "aims", "mission", "priorities")}),
        ("Publication", {"fields": ("status", "published_at", "created_at", "updated_at")}),
    )
    inlines = [
        LocalDefinitionInline,
        ThemeInline,
        PrincipleInline,
        DriverInline,
        ProtectiveFactorInline,
    ]
    actions = ["publish", "withdraw"]
    formfield_overrides = URL_AS_HTTPS

    @admin.display(description="Period")
    def period_label(self, obj: Strategy) -> str:
        return obj.period_label

    @admin.action(description="Publish the selected strategy (supersedes the published one)")
    def publish(self, request: HttpRequest, queryset: QuerySet[Strategy]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one strategy to publish.", messages.ERROR)
            return
        strategy = queryset.get()
        try:
            services.strategy_publish(strategy=strategy, actor=request.user)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        self.message_user(request, f"{strategy} is now published.", messages.SUCCESS)

    @admin.action(description="Withdraw the selected strategy from the public pages")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Strategy]) -> None:
        for strategy in queryset:
            try:
                services.strategy_withdraw(strategy=strategy, actor=request.user)
            except ValidationError as error:
                self.message_user(
                    request, f"{strategy}: {'; '.join(error.messages)}", messages.ERROR
                )
            else:
                self.message_user(request, f"{strategy} is back in draft.", messages.SUCCESS)


class _PartAdmin(admin.ModelAdmin):
    list_display = ("name", "strategy", "display_order")
    list_filter = ("strategy",)
    list_editable = ("display_order",)
    search_fields = ("name", "description")
    list_select_related = ("strategy",)


@admin.register(Theme)
class ThemeAdmin(_PartAdmin):
    pass


@admin.register(Principle)
class PrincipleAdmin(_PartAdmin):
    pass


@admin.register(Driver)
class DriverAdmin(_PartAdmin):
    pass


@admin.register(ProtectiveFactor)
class ProtectiveFactorAdmin(_PartAdmin):
    pass


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 1
    fields = ("title", "due_date", "completed_on")


class ProgressUpdateInline(admin.TabularInline):
    """The history, read-only: updates are posted through the action's update screen."""

    model = ProgressUpdate
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "author_name",
        "previous_status",
        "status",
        "narrative",
        "evidence_name",
    )
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Action)
class ActionAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [ActionResource]
    list_display = ("title", "reference", "theme", "lead_organisation", "due_date", "status")
    list_filter = ("status", "theme__strategy", "theme", "lead_organisation", "priorities")
    search_fields = ("title", "reference", "description")
    list_select_related = ("theme", "lead_organisation")
    autocomplete_fields = ("lead_organisation",)
    filter_horizontal = ("priorities", "drivers", "protective_factors", "supporting_organisations")
    date_hierarchy = "due_date"
    inlines = [MilestoneInline, ProgressUpdateInline]
    formfield_overrides = URL_AS_HTTPS
    fieldsets = (
        (None, {"fields": ("theme", "reference", "title", "description", "is_public")}),
        (
            "Who and what",
            {
                "fields": (
                    "lead_organisation",
                    "supporting_organisations",
                    "priorities",
                    "drivers",
                    "protective_factors",
                )
            },
        ),
        ("Dates and status", {"fields": (("start_date", "due_date"), "status")}),
        ("Funding", {"fields": (("funding_amount", "funding_source"),)}),
        (
            "Evidence",
            {
                "fields": (
                    "evidence_basis",
                    "evidence_strength",
                    "expected_impact",
                    "evidence_url",
                    "sna_recommendation",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Once an action exists its status moves only by progress updates, so history is kept.
        return ("status",) if obj is not None else ()

    def get_export_formats(self) -> list[type]:
        # Only the two formats partners use; both go through the formula-escaping resource.
        return [CSV, XLSX]

    def get_export_data(
        self, file_format: Any, request: HttpRequest, queryset: Any, **kwargs: Any
    ) -> Any:
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        services.action_admin_export_record(
            actor=request.user, file_format=file_format.get_title(), rows=queryset.count()
        )
        return data


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    """Read-only history: an update is never edited or deleted."""

    list_display = ("action", "created_at", "author_name", "previous_status", "status")
    list_filter = ("status", "action__lead_organisation")
    search_fields = ("action__title", "narrative", "author_name")
    list_select_related = ("action",)
    readonly_fields = (
        "action",
        "created_at",
        "author",
        "author_name",
        "previous_status",
        "status",
        "narrative",
        "evidence_name",
    )
    exclude = ("evidence",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 1
    fields = (
        "period_start",
        "period_end",
        "value",
        "note",
        "source",
        "recorded_by",
        "recorded_at",
    )
    readonly_fields = ("source", "recorded_by", "recorded_at")
    verbose_name_plural = (
        "measurements (changing a computed value makes it manual: refreshes then leave it alone)"
    )


class MeasureQueryForm(forms.ModelForm):
    weapons = forms.MultipleChoiceField(
        choices=[
            (value, label)
            for value, label in IncidentRecord.Weapon.choices
            if value != IncidentRecord.Weapon.UNKNOWN
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Only records with any of these weapons (none ticked: any weapon). Records "
        "whose weapon is unknown never count when a weapon is ticked.",
    )

    class Meta:
        model = MeasureQuery
        fields = (
            "datasets",
            "priority",
            "categories",
            "weapons",
            "under_25",
            "domestic_abuse",
            "authority",
            "district",
            "granularity",
            "count_from",
            "is_active",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("authority") and data.get("district"):
            raise ValidationError("Choose an authority or a district, not both.")
        return data


class MeasureQueryInline(admin.StackedInline):
    """The saved query data staff edit; refresh with the list's action or the measure page."""

    model = MeasureQuery
    form = MeasureQueryForm
    extra = 0
    max_num = 1
    can_delete = True
    filter_horizontal = ("datasets", "categories")
    readonly_fields = ("last_refreshed_at", "last_refresh_summary")
    fieldsets = (
        (None, {"fields": ("datasets", "granularity", "count_from", "is_active")}),
        (
            "Which records count",
            {
                "fields": (
                    "priority",
                    "categories",
                    "weapons",
                    "under_25",
                    "domestic_abuse",
                    ("authority", "district"),
                )
            },
        ),
        ("Last refresh", {"fields": ("last_refreshed_at", "last_refresh_summary")}),
    )


@admin.register(OutcomeMeasure)
class OutcomeMeasureAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "unit",
        "direction",
        "baseline_value",
        "target_value",
        "fed_by_query",
        "is_home_office_headline",
        "is_public",
    )
    list_filter = ("is_home_office_headline", "direction", "is_public")
    list_select_related = ("incident_query",)
    search_fields = ("name", "definition")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("priorities",)
    inlines = [MeasureQueryInline, MeasurementInline]
    actions = ["refresh_from_incident_data"]

    @admin.display(description="Fed by incident data", boolean=True)
    def fed_by_query(self, obj: OutcomeMeasure) -> bool:
        return hasattr(obj, "incident_query")

    @admin.action(description="Refresh from incident data")
    def refresh_from_incident_data(
        self, request: HttpRequest, queryset: QuerySet[OutcomeMeasure]
    ) -> None:
        queued, skipped = [], []
        for measure in queryset:
            try:
                services.measure_refresh_queue(measure=measure, actor=request.user)
            except (ValidationError, PermissionDenied):
                skipped.append(measure.name)
            else:
                queued.append(measure.name)
        if queued:
            self.message_user(
                request,
                f"Refreshing in the background: {', '.join(queued)}.",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"No saved query over incident data, so not refreshed: {', '.join(skipped)}.",
                messages.WARNING,
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is MeasureQuery:
            super().save_formset(request, form, formset, change)
            changed = [*formset.new_objects, *(obj for obj, _fields in formset.changed_objects)]
            for query in changed:
                services.measure_query_changed(query=query, actor=request.user)
            return
        if formset.model is not Measurement:
            super().save_formset(request, form, formset, change)
            return
        # Measurements go through the services so each change is audited and credited.
        # The admin's change message reads these three lists, which formset.save() would set.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            data = getattr(inline_form, "cleaned_data", None)
            if not data:
                continue
            existing = inline_form.instance if inline_form.instance.pk else None
            if formset.can_delete and formset._should_delete_form(inline_form):
                if existing is not None:
                    services.measurement_delete(measurement=existing, actor=request.user)
                    formset.deleted_objects.append(existing)
                continue
            if not inline_form.has_changed():
                continue
            measurement = services.measurement_record(
                measure=form.instance,
                actor=request.user,
                period_start=data["period_start"],
                period_end=data["period_end"],
                value=data["value"],
                note=data.get("note", ""),
                replacing=existing,
            )
            if existing is None:
                formset.new_objects.append(measurement)
            else:
                formset.changed_objects.append((measurement, inline_form.changed_data))


@admin.register(AnnualReview)
class AnnualReviewAdmin(admin.ModelAdmin):
    list_display = ("strategy", "review_date", "next_review_due")
    list_filter = ("strategy",)
    date_hierarchy = "review_date"


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = (
        "consultee",
        "consultee_kind",
        "consulted_on",
        "response_received_on",
        "strategy",
    )
    list_filter = ("consultee_kind", "strategy")
    search_fields = ("consultee", "response")
    autocomplete_fields = ("organisation",)
    date_hierarchy = "consulted_on"
