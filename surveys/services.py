"""Writes: residents' responses, staff's survey changes, theme tagging and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.dates import months_add
from core.services import audit_record

from . import exports
from .forms import OTHER
from .models import Answer, Choice, ContactRequest, Question, Response, Survey, SurveyPage, Theme
from .routing import Structure

AGE_BANDS = [
    ("under-16", "Under 16"),
    ("16-17", "16 to 17"),
    ("18-24", "18 to 24"),
    ("25-34", "25 to 34"),
    ("35-44", "35 to 44"),
    ("45-54", "45 to 54"),
    ("55-64", "55 to 64"),
    ("65-74", "65 to 74"),
    ("75-plus", "75 or over"),
    ("prefer-not-to-say", "Prefer not to say"),
]
YES_NO = [("yes", "Yes"), ("no", "No")]
FIVE_POINT_SCALE = [
    ("strongly-agree", "Strongly agree"),
    ("agree", "Agree"),
    ("neither", "Neither agree nor disagree"),
    ("disagree", "Disagree"),
    ("strongly-disagree", "Strongly disagree"),
]
FIXED_CHOICES = {"yes_no": YES_NO, "age_band": AGE_BANDS, "scale": FIVE_POINT_SCALE}


class SurveyClosed(Exception):
    """Raised when answers arrive for a survey that is not open."""


def _hour(moment: Any) -> Any:
    return moment.replace(minute=0, second=0, microsecond=0)


@transaction.atomic
def response_submit(*, structure: Structure, answers: dict[str, Any]) -> Response:
    """Store one resident's answers. No identifier of the resident is ever passed in or kept.

    No audit event: residents are anonymous and the response row is itself the record.
    """
    survey = structure.survey
    # Read the survey's state again inside the transaction: it may have closed since the
    # resident loaded the page.
    fresh = Survey.objects.only("is_published", "opens_at", "closes_at").get(pk=survey.pk)
    if fresh.status() != "open":
        raise SurveyClosed(survey.slug)
    kept = structure.answers_to_keep(answers)
    response = Response.objects.create(survey=survey, submitted_at=_hour(timezone.now()))
    rows: list[Answer] = []
    for question in structure.questions:
        value = kept.get(question.key)
        if value in (None, "", []):
            continue
        if question.is_choice:
            by_value = {c.value: c for c in question.choices.all()}
            for item in value if isinstance(value, list) else [value]:
                if item == OTHER:
                    other = str(kept.get(f"{question.key}-other") or "")
                    rows.append(
                        Answer(response=response, question=question, is_other=True, text=other)
                    )
                elif item in by_value:
                    rows.append(Answer(response=response, question=question, choice=by_value[item]))
        elif question.kind == Question.Kind.NUMBER:
            rows.append(Answer(response=response, question=question, number=int(value)))
        elif question.kind == Question.Kind.DATE:
            rows.append(
                Answer(response=response, question=question, date=date.fromisoformat(value))
            )
        elif question.kind == Question.Kind.MONTH:
            rows.append(
                Answer(
                    response=response,
                    question=question,
                    date=date.fromisoformat(f"{value}-01"),
                    text=str(value),
                )
            )
        else:
            rows.append(Answer(response=response, question=question, text=str(value)))
    Answer.objects.bulk_create(rows)
    return response


@transaction.atomic
def contact_request_create(*, survey: Survey, name: str, email: str, phone: str) -> ContactRequest:
    """Keep contact details a resident consented to give, unlinked to their answers."""
    consent = (
        "I agree to be contacted by the partnership"
        + (f" {survey.contact_purpose}" if survey.contact_purpose else "")
        + f". My details will be deleted after {survey.contact_keep_months} months."
    )
    today = timezone.localdate()
    return ContactRequest.objects.create(
        survey=survey,
        received_on=today,
        delete_on=months_add(today, survey.contact_keep_months),
        name=name.strip()[:100],
        email=email.strip()[:254],
        phone=phone.strip()[:30],
        consent_text=consent[:500],
    )


# -- staff: building and publishing ------------------------------------------------------------


def survey_structure_changed(*, survey_id: int) -> None:
    """Mark a survey as changed so every web process reloads its pages and questions."""
    Survey.objects.filter(pk=survey_id).update(updated_at=timezone.now())


@transaction.atomic
def question_fixed_choices_ensure(*, question: Question) -> int:
    """Give yes/no, age band and (empty) rating-scale questions their standard options."""
    options = FIXED_CHOICES.get(question.kind)
    if not options or question.choices.exists():
        return 0
    Choice.objects.bulk_create(
        Choice(question=question, position=i, value=value, label=label)
        for i, (value, label) in enumerate(options, start=1)
    )
    survey_structure_changed(survey_id=question.survey_id)
    return len(options)


@transaction.atomic
def survey_publish(*, actor: Any, survey: Survey) -> Survey:
    """Make a survey visible to residents (it opens and closes at its own times)."""
    if not survey.questions.exists():
        raise ValidationError("A survey needs at least one question before it can be published.")
    survey.is_published = True
    survey.save(update_fields=["is_published", "updated_at"])
    audit_record(actor=actor, action="survey.publish", obj=survey, summary=survey.title)
    return survey


@transaction.atomic
def survey_unpublish(*, actor: Any, survey: Survey) -> Survey:
    """Hide a survey from residents; its answers are kept."""
    survey.is_published = False
    survey.save(update_fields=["is_published", "updated_at"])
    audit_record(actor=actor, action="survey.unpublish", obj=survey, summary=survey.title)
    return survey


def _free_slug(base: str) -> str:
    base = base[:70]
    candidate = f"{base}-copy"
    number = 2
    while Survey.objects.filter(slug=candidate).exists():
        candidate = f"{base}-copy-{number}"
        number += 1
    return candidate


@transaction.atomic
def survey_duplicate(*, actor: Any, survey: Survey) -> Survey:
    """Copy a survey's pages, questions, options and routing into a new unpublished draft."""
    copy = Survey.objects.get(pk=survey.pk)
    copy.pk = None
    copy.slug = _free_slug(survey.slug)
    copy.title = f"{survey.title} (copy)"[:200]
    copy.is_published = False
    copy.outcome_published = False
    copy.outcome_heard = ""
    copy.outcome_did = ""
    copy.created_by = actor if getattr(actor, "is_authenticated", False) else None
    copy.save()
    page_map: dict[int, SurveyPage] = {}
    question_map: dict[int, Question] = {}
    pages = list(survey.pages.order_by("position"))
    for page in pages:
        old_pk = page.pk
        page.pk = None
        page.survey = copy
        page.show_if_question = None
        page.save()
        page_map[old_pk] = page
    questions = list(survey.questions.order_by("page__position", "position", "pk"))
    conditions: list[tuple[Question, int | None, str]] = []
    for question in questions:
        old_pk = question.pk
        source_id = question.show_if_question_id
        choices = list(question.choices.all())
        question.pk = None
        question.survey = copy
        question.page = page_map[question.page_id]
        question.show_if_question = None
        question.save()
        question_map[old_pk] = question
        conditions.append((question, source_id, question.show_if_answers))
        Choice.objects.bulk_create(
            Choice(
                question=question, position=c.position, value=c.value, label=c.label, hint=c.hint
            )
            for c in choices
        )
    for question, source_id, _answers in conditions:
        if source_id:
            question.show_if_question = question_map[source_id]
            question.save(update_fields=["show_if_question"])
    for old in survey.pages.exclude(show_if_question=None):
        new = page_map[old.pk]
        new.show_if_question = question_map[old.show_if_question_id]
        new.save(update_fields=["show_if_question"])
    audit_record(
        actor=actor,
        action="survey.duplicate",
        obj=copy,
        summary=f"{copy.title} from {survey.slug}",
        detail={"source_survey_id": survey.pk},
    )
    return copy


# -- staff and analysts: themes and exports ----------------------------------------------------


@transaction.atomic
def answer_themes_set(
    *, actor: Any, answer: Answer, theme_ids: list[int], new_theme: str = ""
) -> list[Theme]:
    """Tag one free-text answer with themes of its survey, creating a new theme if named."""
    survey_id = answer.question.survey_id
    themes = list(Theme.objects.filter(survey_id=survey_id, pk__in=theme_ids))
    name = " ".join(new_theme.split())[:100]
    if name:
        theme, _created = Theme.objects.get_or_create(survey_id=survey_id, name=name)
        if theme not in themes:
            themes.append(theme)
    answer.themes.set(themes)
    audit_record(
        actor=actor,
        action="survey.answer_tag",
        obj=answer,
        summary=", ".join(t.name for t in themes) or "no themes",
        detail={"survey_id": survey_id, "theme_ids": [t.pk for t in themes]},
    )
    return themes


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


@transaction.atomic
def survey_export(
    *,
    actor: Any,
    structure: Structure,
    kind: str,
    fmt: str,
    published: bool,
    filters: list[Any],
) -> ExportFile:
    """Build a CSV or XLSX export of results and log who exported what."""
    if kind not in ("summary", "responses") or fmt not in ("csv", "xlsx"):
        raise ValidationError("Unknown export.")
    if kind == "responses" and published:
        raise ValidationError("Response-level data is never published.")
    header, rows = (
        exports.summary_rows(structure, filters, published)
        if kind == "summary"
        else exports.response_rows(structure, filters)
    )
    content = exports.to_csv(header, rows) if fmt == "csv" else exports.to_xlsx(header, rows)
    survey = structure.survey
    suffix = "-published" if published else ""
    filename = f"{survey.slug}-{kind}{suffix}-{timezone.localdate():%Y%m%d}.{fmt}"
    audit_record(
        actor=actor,
        action="survey.export",
        obj=survey,
        summary=f"Exported {kind} ({fmt}{', published' if published else ''}) of {survey.title}",
        detail={
            "kind": kind,
            "format": fmt,
            "published": published,
            "filters": [f.param for f in filters],
            "rows": len(rows),
        },
    )
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return ExportFile(filename=filename, content_type=content_type, content=content)


@transaction.atomic
def contact_requests_retention(*, on: Any = None) -> int:
    """Delete residents' contact details past the period their survey stated; one audit event
    per survey with the count."""
    on = on or timezone.localdate()
    expired = ContactRequest.objects.filter(delete_on__lte=on)
    counts: dict[int, int] = {}
    for survey_id in expired.values_list("survey_id", flat=True):
        counts[survey_id] = counts.get(survey_id, 0) + 1
    expired.delete()
    for survey in Survey.objects.filter(pk__in=counts):
        audit_record(
            actor=None,
            action="retention.contact_details_deleted",
            obj=survey,
            summary=f"Deleted {counts[survey.pk]} residents' contact details for {survey.title}",
            detail={"count": counts[survey.pk], "on": on.isoformat()},
        )
    return sum(counts.values())
