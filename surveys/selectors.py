"""Reads for the resident journey, the public pages and the results screens.

Every function runs a fixed number of queries whatever the number of questions, options or
responses: counts are aggregated in SQL, structures are prefetched.
"""

from __future__ import annotations

import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from core.disclosure import (
    SUPPRESSED,
    Rule,
    disclose_cell,
    disclose_series,
    disclose_table,
    disclose_total,
    rule_for,
    too_few,
)
from core.per_process import row_version
from partners.selectors import user_roles

from .models import (
    Answer,
    Choice,
    EngagementEvent,
    Question,
    Response,
    SupportContact,
    Survey,
    SurveyPage,
    Theme,
)
from .routing import Structure

LONDON = zoneinfo.ZoneInfo("Europe/London")

# -- public pages -----------------------------------------------------------------------------


def surveys_public_by_status(now: datetime | None = None) -> dict[str, list[Survey]]:
    """Published surveys grouped as open, forthcoming and closed (newest closed first)."""
    now = now or timezone.now()
    grouped: dict[str, list[Survey]] = {"open": [], "forthcoming": [], "closed": []}
    for survey in Survey.objects.filter(is_published=True).order_by("closes_at", "title"):
        grouped[survey.status(now)].append(survey)
    grouped["closed"].reverse()
    return grouped


def survey_for_resident(slug: str) -> Survey | None:
    """A survey with its pages, questions and options loaded in three further queries."""
    questions = Question.objects.order_by("position", "pk").prefetch_related(
        Prefetch("choices", queryset=Choice.objects.order_by("position", "pk"))
    )
    return (
        Survey.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch(
                "pages",
                queryset=SurveyPage.objects.order_by("position").prefetch_related(
                    Prefetch("questions", queryset=questions)
                ),
            )
        )
        .first()
    )


# Each web process keeps the structures it has loaded, checked against the survey's updated_at
# on every request (one small query), so a page costs the same few queries however long the
# survey is. Staff changes to pages, questions or options touch the survey (services).
_STRUCTURES: dict[str, tuple[tuple[Any, ...], Structure]] = {}
_STRUCTURES_LIMIT = 200


def survey_structure(slug: str) -> Structure | None:
    """The survey's pages and questions ready for routing, or None."""
    # Plain SQL: it runs on every request of the resident journey (core.per_process).
    version = row_version(Survey, "slug", slug)
    if version is None:
        _STRUCTURES.pop(slug, None)
        return None
    cached = _STRUCTURES.get(slug)
    if cached is not None and cached[0] == version:
        return cached[1]
    survey = survey_for_resident(slug)
    if survey is None:
        return None
    structure = Structure.of(survey)
    if len(_STRUCTURES) >= _STRUCTURES_LIMIT:
        _STRUCTURES.clear()
    # Kept under the version read before loading: a change in between only means one more load.
    _STRUCTURES[slug] = (version, structure)
    return structure


def survey_has_responses(survey: Survey) -> bool:
    """Whether anyone has answered (after which questions' meaning is fixed)."""
    return survey.responses.exists()


def support_contacts() -> QuerySet[SupportContact]:
    """Support services shown to residents, in order."""
    return SupportContact.objects.filter(is_active=True).order_by("position", "name")


def events_public(now: datetime | None = None) -> dict[str, list[EngagementEvent]]:
    """Published events: upcoming (soonest first) and past (most recent first)."""
    now = now or timezone.now()
    events = list(
        EngagementEvent.objects.filter(is_published=True)
        .select_related("survey")
        .order_by("starts_at")
    )
    upcoming = [e for e in events if (e.ends_at or e.starts_at) >= now]
    past = [e for e in events if (e.ends_at or e.starts_at) < now]
    past.reverse()
    return {"upcoming": upcoming, "past": past}


# -- who may read results ---------------------------------------------------------------------

FULL = "full"
AGGREGATE = "aggregate"
NONE = "none"


def results_access(user: Any) -> str:
    """'full' (analysts, and staff allowed to read responses: free text, tagging,
    response-level exports), 'aggregate' (partner leads and viewers: counts, charts, suppressed
    exports) or 'none'."""
    if not getattr(user, "is_authenticated", False):
        return NONE
    if user.has_perm("surveys.view_response"):
        return FULL
    roles = user_roles(user)
    if "analyst" in roles:
        return FULL
    if roles:
        return AGGREGATE
    return NONE


def user_can_manage_surveys(user: Any) -> bool:
    """Staff who build surveys (permission to change them): draft results and previews."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("surveys.change_survey"))


def surveys_for_results(user: Any) -> QuerySet[Survey]:
    """Surveys whose results the person may read, with response counts and their key sums."""
    surveys = Survey.objects.annotate(
        response_count=Count("responses"), response_keys=Sum("responses__cell_key")
    ).order_by("-opens_at")
    if user_can_manage_surveys(user):
        return surveys
    return surveys.filter(is_published=True, opens_at__lte=timezone.now())


def surveys_with_counts_shown(user: Any, access: str) -> list[Survey]:
    """The results index: each survey's response count as the person may see it
    (``response_shown``), disclosure-controlled for partner leads and viewers."""
    surveys = list(surveys_for_results(user))
    for survey in surveys:
        survey.response_shown = (
            survey.response_count
            if access == FULL
            else disclose_cell(
                survey.response_count, survey.response_keys or 0, disclosure_rule(survey)
            )
        )
    return surveys


def survey_for_results(user: Any, slug: str) -> Survey | None:
    """One survey whose results the person may read, or None."""
    return surveys_for_results(user).filter(slug=slug).first()


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerFilter:
    question: Question
    value: str
    label: str

    @property
    def param(self) -> str:
        return f"{self.question.key}:{self.value}"


def answer_filters(structure: Structure, raw: list[str]) -> list[AnswerFilter]:
    """Parse 'question-key:choice-value' filters; unknown ones are ignored."""
    by_key = {q.key: q for q in structure.questions if q.is_choice}
    filters: list[AnswerFilter] = []
    for item in raw[:5]:
        key, _sep, value = item.partition(":")
        question = by_key.get(key)
        if question is None:
            continue
        labels = {c.value: c.label for c in question.choices.all()}
        if question.allow_other:
            labels["other"] = "Other"
        if value in labels:
            filters.append(AnswerFilter(question=question, value=value, label=labels[value]))
    return filters


def responses_filtered(survey: Survey, filters: list[AnswerFilter]) -> QuerySet[Response]:
    """The survey's responses that gave every filtered answer (one SQL query when evaluated)."""
    responses = Response.objects.filter(survey=survey)
    for f in filters:
        match = Q(question=f.question) & (
            Q(is_other=True) if f.value == "other" else Q(choice__value=f.value)
        )
        responses = responses.filter(pk__in=Answer.objects.filter(match).values("response_id"))
    return responses


@dataclass
class Row:
    label: str
    count: int
    shown: int | str = 0
    percent: float | None = None
    key: str = ""
    key_sum: int = 0  # the sum of the respondents' cell keys (core.disclosure)


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    answered_key_sum: int = 0
    answered_shown: int | str = 0
    rows: list[Row] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def max_percent(self) -> float:
        return max((r.percent or 0 for r in self.rows), default=0)


def _district_order(item: tuple[str, int]) -> tuple[str, int, str]:
    """NN2 before NN10: letters, then the district number, then any trailing letter."""
    match = re.match(r"([A-Z]+)([0-9]+)(.*)", item[0])
    if match is None:
        return (item[0], 0, "")
    return (match.group(1), int(match.group(2)), match.group(3))


def disclosure_rule(survey: Survey) -> Rule:
    """The small-number rule for the survey's figures: 10 when the survey is sensitive."""
    return rule_for(survey.is_sensitive)


@dataclass(frozen=True)
class Respondents:
    """How many responses a set of filters leaves, and the sum of their cell keys."""

    count: int
    key_sum: int

    def shown(self, rule: Rule | None) -> int | str:
        return self.count if rule is None else disclose_cell(self.count, self.key_sum, rule)

    def too_few(self, rule: Rule | None) -> bool:
        """1 to the threshold respondents: no figure from them may be shown under the rule."""
        return rule is not None and too_few(self.count, rule)


def respondents(responses: QuerySet[Response]) -> Respondents:
    """The number of responses and their key sum (one query)."""
    row = responses.aggregate(n=Count("pk"), keys=Sum("cell_key"))
    return Respondents(count=row["n"] or 0, key_sum=row["keys"] or 0)


def _finish_rows(result: QuestionResult, rule: Rule | None) -> None:
    if rule is None:
        result.answered_shown = result.answered
        for row in result.rows:
            row.shown = row.count
            row.percent = 100 * row.count / result.answered if result.answered else None
        return
    shown = disclose_series([(r.count, r.key_sum) for r in result.rows], rule)
    answered = disclose_cell(result.answered, result.answered_key_sum, rule)
    result.answered_shown = answered
    for row, cell in zip(result.rows, shown, strict=True):
        row.shown = cell
        if cell == SUPPRESSED or answered == SUPPRESSED or not answered:
            row.percent = None
        else:
            row.percent = 100 * int(cell) / int(answered)


def question_results(
    structure: Structure, responses: QuerySet[Response], rule: Rule | None = None
) -> list[QuestionResult]:
    """Per-question counts and percentages of those who answered; disclosure-controlled when
    ``rule`` is set (the respondents' cell keys perturb each figure, core.disclosure).

    A cell's key sum adds the key of the response of each answer it counts; a respondent who
    ticked several options of one question adds their key once per option to "answered", which
    is still the same for the same respondents wherever the cell appears.
    """
    answers = Answer.objects.filter(response__in=responses)
    answered: dict[int, tuple[int, int]] = {
        q: (n, keys or 0)
        for q, n, keys in answers.values_list("question_id").annotate(
            n=Count("response_id", distinct=True), keys=Sum("response__cell_key")
        )
    }
    by_choice: dict[tuple[int, int | None, bool], tuple[int, int]] = {
        (q, c, o): (n, keys or 0)
        for q, c, o, n, keys in answers.filter(Q(choice__isnull=False) | Q(is_other=True))
        .values_list("question_id", "choice_id", "is_other")
        .annotate(n=Count("id"), keys=Sum("response__cell_key"))
    }
    numbers = {
        row["question_id"]: row
        for row in answers.filter(number__isnull=False)
        .values("question_id")
        .annotate(low=Min("number"), high=Max("number"), mean=Avg("number"))
    }
    by_month: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for question_id, month, n, keys in (
        answers.filter(date__isnull=False)
        .annotate(m=TruncMonth("date"))
        .values_list("question_id", "m")
        .annotate(n=Count("id"), keys=Sum("response__cell_key"))
        .order_by("question_id", "m")
    ):
        by_month[question_id].append((month, n, keys or 0))
    districts: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for question_id, text, n, keys in (
        answers.filter(question__kind=Question.Kind.POSTCODE_DISTRICT)
        .values_list("question_id", "text")
        .annotate(n=Count("id"), keys=Sum("response__cell_key"))
        .order_by("question_id", "text")
    ):
        districts[question_id].append((text, n, keys or 0))

    results: list[QuestionResult] = []
    for question in structure.questions:
        count, keys = answered.get(question.pk, (0, 0))
        result = QuestionResult(question=question, answered=count, answered_key_sum=keys)
        if question.is_choice:
            for choice in question.choices.all():
                count, keys = by_choice.get((question.pk, choice.pk, False), (0, 0))
                result.rows.append(
                    Row(label=choice.label, count=count, key=choice.value, key_sum=keys)
                )
            if question.allow_other:
                count, keys = by_choice.get((question.pk, None, True), (0, 0))
                result.rows.append(Row(label="Other", count=count, key="other", key_sum=keys))
        elif question.kind in (Question.Kind.DATE, Question.Kind.MONTH):
            result.rows = [
                Row(label=f"{m:%B %Y}", count=n, key_sum=k)
                for m, n, k in by_month.get(question.pk, [])
            ]
        elif question.kind == Question.Kind.POSTCODE_DISTRICT:
            result.rows = [
                Row(label=t, count=n, key_sum=k)
                for t, n, k in sorted(districts.get(question.pk, []), key=_district_order)
            ]
        elif question.kind == Question.Kind.NUMBER and question.pk in numbers and rule is None:
            # The smallest and largest answers are single people's answers: exact view only.
            row = numbers[question.pk]
            result.summary = {"low": row["low"], "high": row["high"], "mean": row["mean"]}
        _finish_rows(result, rule)
        if question.kind == Question.Kind.SCALE and rule is None and result.answered:
            points = [(i, r.count) for i, r in enumerate(result.rows, start=1)]
            result.summary["mean_point"] = sum(i * n for i, n in points) / result.answered
        results.append(result)
    return results


@dataclass
class CrossTab:
    rows_question: Question
    cols_question: Question
    col_labels: list[str]
    lines: list[tuple[str, list[int | str], int | str]]
    col_totals: list[int | str]


def _options(question: Question) -> list[tuple[tuple[int | None, bool], str]]:
    options = [((c.pk, False), c.label) for c in question.choices.all()]
    if question.allow_other:
        options.append(((None, True), "Other"))
    return options


def crosstab(
    rows_question: Question,
    cols_question: Question,
    responses: QuerySet[Response],
    rule: Rule | None = None,
) -> CrossTab:
    """Respondents by their answers to two choice questions (one SQL query)."""
    pairs = (
        Answer.objects.filter(
            response__in=responses,
            question=rows_question,
            response__answers__question=cols_question,
        )
        .filter(Q(choice__isnull=False) | Q(is_other=True))
        .filter(Q(response__answers__choice__isnull=False) | Q(response__answers__is_other=True))
        .values_list(
            "choice_id", "is_other", "response__answers__choice_id", "response__answers__is_other"
        )
        # One row per respondent in a cell (a respondent picks an option once), so the key sum
        # is exactly the cell's respondents' keys.
        .annotate(n=Count("response_id", distinct=True), keys=Sum("response__cell_key"))
    )
    counts = {((a, b), (c, d)): (n, keys or 0) for a, b, c, d, n, keys in pairs}
    row_options = _options(rows_question)
    col_options = _options(cols_question)
    matrix = [[counts.get((r, c), (0, 0)) for c, _l in col_options] for r, _l in row_options]
    if rule is not None:
        shown = disclose_table(matrix, rule)
    else:
        shown = [[count for count, _key in row] for row in matrix]
    lines = []
    for (_key, label), raw, cells in zip(row_options, matrix, shown, strict=True):
        line_total: int | str = (
            disclose_total(raw, rule) if rule is not None else sum(n for n, _k in raw)
        )
        lines.append((label, list(cells), line_total))
    columns = [list(col) for col in zip(*matrix, strict=False)] or [[] for _ in col_options]
    col_totals: list[int | str] = [
        disclose_total(col, rule) if rule is not None else sum(n for n, _k in col)
        for col in columns
    ]
    return CrossTab(
        rows_question=rows_question,
        cols_question=cols_question,
        col_labels=[label for _k, label in col_options],
        lines=lines,
        col_totals=col_totals,
    )


def responses_over_time(
    survey: Survey, responses: QuerySet[Response]
) -> tuple[str, list[tuple[date, int]]]:
    """Responses per day (or per week for long surveys), London days, with no gaps."""
    span = survey.closes_at - survey.opens_at
    unit = "day" if span <= timedelta(days=62) else "week"
    trunc = TruncDate if unit == "day" else TruncWeek
    counted = dict(
        responses.annotate(period=trunc("submitted_at", tzinfo=LONDON))
        .values_list("period")
        .annotate(n=Count("id"))
        .order_by("period")
    )
    counted = {(p.date() if isinstance(p, datetime) else p): n for p, n in counted.items()}
    if not counted:
        return unit, []
    start, end = min(counted), max(counted)
    step = timedelta(days=1 if unit == "day" else 7)
    series: list[tuple[date, int]] = []
    current = start
    while current <= end:
        series.append((current, counted.get(current, 0)))
        current += step
    return unit, series


def over_time_chart(series: list[tuple[date, int]]) -> dict[str, Any]:
    """Bar positions for an inline SVG chart of a series (viewBox units; 10 per bar)."""
    tallest = max((n for _day, n in series), default=0)
    bars = [
        {
            "x": i * 10 + 1,
            "h": round(98 * n / tallest, 1) if tallest else 0,
            "y": round(99 - 98 * n / tallest, 1) if tallest else 99,
        }
        for i, (_day, n) in enumerate(series)
    ]
    return {
        "bars": bars,
        "width": len(series) * 10,
        "tallest": tallest,
        "first": series[0][0] if series else None,
        "last": series[-1][0] if series else None,
    }


def answer_filter_options(structure: Structure) -> list[tuple[str, str]]:
    """('question-key:value', 'Question: answer') for every option of every choice question."""
    options: list[tuple[str, str]] = []
    for question in structure.questions:
        if not question.is_choice:
            continue
        for choice in question.choices.all():
            options.append((f"{question.key}:{choice.value}", f"{question.text}: {choice.label}"))
        if question.allow_other:
            options.append((f"{question.key}:other", f"{question.text}: Other"))
    return options


def free_text_questions(structure: Structure) -> list[Question]:
    """Questions with free-text answers: text questions and those with 'other, please specify'."""
    return [q for q in structure.questions if q.is_text or q.allow_other]


def free_text_answers(
    question: Question, responses: QuerySet[Response], *, search: str = "", theme_id: int | None
) -> QuerySet[Answer]:
    """Free-text answers to one question, newest first, with their themes."""
    answers = (
        Answer.objects.filter(response__in=responses, question=question)
        .exclude(text="")
        .select_related("response")
        .prefetch_related("themes")
        .order_by("-response__submitted_at", "-pk")
    )
    if question.is_choice:
        answers = answers.filter(is_other=True)
    if search:
        answers = answers.filter(text__icontains=search)
    if theme_id:
        answers = answers.filter(themes__id=theme_id)
    return answers


def themes_for(survey: Survey) -> QuerySet[Theme]:
    """The survey's themes, with how many answers carry each."""
    return Theme.objects.filter(survey=survey).annotate(n=Count("answers")).order_by("name")


def public_outcome_results(structure: Structure) -> list[QuestionResult]:
    """Suppressed figures for the questions marked for publication (never free text)."""
    survey = structure.survey
    published = [q for q in structure.questions if q.publish_results and q.is_choice]
    if not published:
        return []
    results = question_results(
        structure, Response.objects.filter(survey=survey), disclosure_rule(survey)
    )
    wanted = {q.pk for q in published}
    return [r for r in results if r.question.pk in wanted]
