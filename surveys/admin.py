"""Staff build surveys here: pages, questions, options, routing; preview, duplicate, publish."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .forms import ChoiceInlineFormSet, PageInlineFormSet, QuestionAdminForm
from .models import (
    Choice,
    ContactRequest,
    EngagementEvent,
    Question,
    SupportContact,
    Survey,
    SurveyPage,
    Theme,
)

RESERVED_SLUGS = {"events", "results", "manage"}


class SurveyAdminForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = (
            "title",
            "slug",
            "run_by",
            "opens_at",
            "closes_at",
            "introduction",
            "privacy_notice",
            "alternative_formats",
            "asks_for_contact",
            "contact_purpose",
            "is_published",
            "is_sensitive",
            "outcome_heard",
            "outcome_did",
            "outcome_published",
        )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise ValidationError("This web address is used by another page. Choose another.")
        return slug


class PageInline(admin.TabularInline):
    model = SurveyPage
    formset = PageInlineFormSet
    extra = 0
    fields = ("position", "title", "show_if_question", "show_if_answers", "questions_link")
    readonly_fields = ("questions_link",)
    raw_id_fields = ("show_if_question",)

    @admin.display(description="Questions")
    def questions_link(self, page: SurveyPage) -> str:
        if not page.pk:
            return "—"
        url = reverse("admin:surveys_question_changelist") + f"?page__id__exact={page.pk}"
        return format_html('<a href="{}">Questions on this page</a>', url)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.responses.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    form = SurveyAdminForm
    list_display = ("title", "status_label", "opens_at", "closes_at", "response_count", "links")
    list_filter = ("is_published",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [PageInline]
    actions = ["publish", "unpublish", "duplicate"]
    readonly_fields = ("links", "created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "run_by", "opens_at", "closes_at", "links")}),
        (
            "What residents read",
            {"fields": ("introduction", "privacy_notice", "alternative_formats")},
        ),
        (
            "Contact consent",
            {"fields": ("asks_for_contact", "contact_purpose", "contact_keep_months")},
        ),
        ("Publication", {"fields": ("is_published", "is_sensitive")}),
        ("Outcome", {"fields": ("outcome_heard", "outcome_did", "outcome_published")}),
        ("Record", {"fields": ("created_by", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        return super().get_queryset(request).annotate(n_responses=Count("responses"))

    @admin.display(description="Status")
    def status_label(self, survey: Survey) -> str:
        return survey.status().capitalize()

    @admin.display(description="Responses", ordering="n_responses")
    def response_count(self, survey: Survey) -> int:
        return getattr(survey, "n_responses", 0)

    @admin.display(description="Links")
    def links(self, survey: Survey) -> str:
        if not survey.pk:
            return "—"
        return format_html(
            '<a href="{}">Preview as a resident</a> · <a href="{}">Results</a> · '
            '<a href="{}">Questions</a>',
            reverse("surveys:preview", args=[survey.pk]),
            reverse("surveys:results", args=[survey.slug]),
            reverse("admin:surveys_question_changelist") + f"?survey__id__exact={survey.pk}",
        )

    def save_model(self, request: HttpRequest, obj: Survey, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.survey_structure_changed(survey_id=form.instance.pk)

    @admin.action(description="Publish the selected surveys")
    def publish(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        for survey in queryset:
            try:
                services.survey_publish(actor=request.user, survey=survey)
            except ValidationError as error:
                self.message_user(request, f"{survey}: {error.messages[0]}", messages.ERROR)
            else:
                self.message_user(request, f"Published “{survey}”.", messages.SUCCESS)

    @admin.action(description="Unpublish the selected surveys")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        for survey in queryset:
            services.survey_unpublish(actor=request.user, survey=survey)
        self.message_user(request, f"Unpublished {queryset.count()} survey(s).", messages.SUCCESS)

    @admin.action(description="Duplicate the selected surveys (as new drafts)")
    def duplicate(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        for survey in queryset:
            copy = services.survey_duplicate(actor=request.user, survey=survey)
            self.message_user(request, f"Created draft “{copy}” ({copy.slug}).", messages.SUCCESS)


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceInlineFormSet
    extra = 0
    fields = ("position", "value", "label", "hint")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.survey.responses.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = ("text", "survey", "page_position", "position", "kind", "required")
    list_filter = ("survey", "kind", "required")
    list_select_related = ("survey", "page")
    search_fields = ("text", "key")
    inlines = [ChoiceInline]
    raw_id_fields = ("show_if_question",)
    fieldsets = (
        (None, {"fields": ("survey", "page", "position", "key", "text", "hint", "kind")}),
        ("Answers", {"fields": ("required", "error_message", "allow_other", "max_length")}),
        ("Numbers", {"fields": ("min_value", "max_value")}),
        ("Routing", {"fields": ("show_if_question", "show_if_answers")}),
        ("Results", {"fields": ("publish_results",)}),
    )

    @admin.display(description="Page", ordering="page__position")
    def page_position(self, question: Question) -> int:
        return question.page.position

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.question_fixed_choices_ensure(question=form.instance)
        services.survey_structure_changed(survey_id=form.instance.survey_id)

    def delete_model(self, request: HttpRequest, obj: Question) -> None:
        super().delete_model(request, obj)
        services.survey_structure_changed(survey_id=obj.survey_id)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.survey.responses.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(EngagementEvent)
class EngagementEventAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "venue", "is_published")
    list_filter = ("is_published",)
    search_fields = ("title", "venue")
    date_hierarchy = "starts_at"


@admin.register(SupportContact)
class SupportContactAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "position", "is_active")
    list_editable = ("position", "is_active")


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "survey")
    list_filter = ("survey",)


@admin.register(ContactRequest)
class ContactRequestAdmin(admin.ModelAdmin):
    """Residents who asked to be contacted; deliberately unlinked to any answers."""

    list_display = ("survey", "received_on", "name", "email", "phone")
    list_filter = ("survey",)
    readonly_fields = (
        "survey",
        "received_on",
        "name",
        "email",
        "phone",
        "consent_text",
        "delete_on",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
