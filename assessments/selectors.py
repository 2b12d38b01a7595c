"""Reads for SNA editions: who may open what, what changed since, and the report's
non-incident content (strategy, delivery plan, surveys) as evidence Tables."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from incidents.models import PriorityCrimeType, Upload
from partners.selectors import partnership_current, user_organisation_ids

from .fingerprint import upload_ids
from .models import Audience, Edition, Recommendation

# --- access ------------------------------------------------------------------------------------


def _is_staff(user: Any) -> bool:
    """The convenor's staff who run editions: a permission (Partnership administrators), never
    bare ``is_staff`` (least privilege)."""
    return bool(
        getattr(user, "is_authenticated", False) and user.has_perm("assessments.change_edition")
    )


def editions_queryset() -> QuerySet[Edition]:
    return Edition.objects.select_related("authority", "definition", "previous").prefetch_related(
        "datasets", "shared_with"
    )


def editions_for_staff() -> QuerySet[Edition]:
    """Every edition, newest period first (the staff list)."""
    return editions_queryset().order_by("-period_end", "-created_at", "-pk")


def edition_for_staff_or_404(user: Any, pk: int) -> Edition:
    """An edition for the convenor's staff; anyone else gets 404 (a page that does not exist)."""
    if not _is_staff(user):
        raise Http404("No such edition.")
    edition = editions_queryset().filter(pk=pk).first()
    if edition is None:
        raise Http404("No such edition.")
    return edition


def user_may_download(user: Any, edition: Edition) -> bool:
    """Staff always; a restricted edition's named partners; any partner for a public summary."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm("assessments.view_edition"):
        return True
    if not edition.has_files:
        return False
    organisations = user_organisation_ids(user)
    if not organisations:
        return False
    if edition.audience == Audience.PUBLIC:
        return True
    return any(o.pk in organisations for o in edition.shared_with.all())


def edition_for_download_or_404(user: Any, pk: int) -> Edition:
    """An edition whose files the user may open, with files ready; 404 otherwise."""
    edition = editions_queryset().filter(pk=pk).first()
    if edition is None or not user_may_download(user, edition) or not edition.has_files:
        raise Http404("No such edition.")
    return edition


def editions_for_reader(user: Any) -> list[Edition]:
    """Ready editions a signed-in partner may download (the readers' list)."""
    ready = editions_queryset().filter(status__in=(Edition.Status.READY, Edition.Status.PUBLISHED))
    if _is_staff(user):
        return list(ready)
    organisations = user_organisation_ids(user)
    if not organisations:
        return []
    return list(
        ready.filter(Q(audience=Audience.PUBLIC) | Q(shared_with__in=organisations)).distinct()
    )


# --- what changed since the edition was generated -----------------------------------------------


@dataclass
class DataChanges:
    added: list[Upload] = field(default_factory=list)
    withdrawn: list[Upload] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.withdrawn)


def edition_changes(*, edition: Edition) -> DataChanges | None:
    """Uploads to the edition's datasets added or withdrawn since it was generated (two queries)."""
    if not edition.fingerprint_inputs:
        return None
    used = upload_ids(edition.fingerprint_inputs)
    dataset_ids = [d.pk for d in edition.datasets.all()]
    current = list(
        Upload.objects.filter(dataset_id__in=dataset_ids, status=Upload.Status.IMPORTED)
        .select_related("dataset")
        .order_by("uploaded_at", "pk")
    )
    current_ids = {u.pk for u in current}
    changes = DataChanges(added=[u for u in current if u.pk not in used])
    gone = set(used) - current_ids
    if gone:
        changes.withdrawn = list(
            Upload.objects.filter(pk__in=gone).select_related("dataset").order_by("pk")
        )
    return changes


# --- content that is not incident analysis ------------------------------------------------------


def partnership_name() -> str:
    partnership = partnership_current()
    return partnership.name if partnership else "The partnership"


def _strategy_for(edition: Edition) -> Any:
    from strategy.selectors import strategy_current

    if edition.definition_id:
        return edition.definition.strategy
    return strategy_current()


def edition_priorities(*, edition: Edition) -> list[PriorityCrimeType]:
    """The strategy's active priorities (every active priority when it names none)."""
    strategy = _strategy_for(edition)
    if strategy is not None:
        chosen = list(strategy.priorities.filter(is_active=True).order_by("display_order", "name"))
        if chosen:
            return chosen
    return list(PriorityCrimeType.objects.filter(is_active=True).order_by("display_order", "name"))


@dataclass
class DriverItem:
    title: str
    description: str
    actions: list[str]
    references: list[str]


# Which parts of the report bear on a driver, by words in its name (drivers are staff's data;
# the report only points at the evidence, it never reweighs it).
DRIVER_EVIDENCE: list[tuple[tuple[str, ...], str]] = [
    (("depriv", "poverty", "income"), "Context: deprivation; each priority's Deprivation section"),
    (
        ("child", "young", "youth", "adverse", "ace", "school"),
        "Each priority's Who section (victims and suspects under 25)",
    ),
    (("alcohol", "substance", "drug", "night"), "Each priority's When section (night-time hours)"),
    (("mental", "health"), "Police and health data"),
    (("place", "area", "neighbourhood", "hotspot"), "Each priority's Where section"),
]


def edition_drivers(*, edition: Edition) -> list[DriverItem]:
    """The strategy's drivers and protective factors, with the actions and evidence on each."""
    strategy = _strategy_for(edition)
    if strategy is None:
        return []
    items: list[DriverItem] = []
    drivers = strategy.drivers.prefetch_related("actions").all()
    factors = strategy.protective_factors.prefetch_related("actions").all()
    for kind, parts in (("Driver", drivers), ("Protective factor", factors)):
        for part in parts:
            name = part.name.lower()
            references = [
                where for words, where in DRIVER_EVIDENCE if any(w in name for w in words)
            ]
            actions = [f"{a.reference} {a.title}".strip() for a in part.actions.all()]
            items.append(
                DriverItem(
                    title=f"{kind}: {part.name}",
                    description=part.description,
                    actions=sorted(actions),
                    references=references,
                )
            )
    return items


def edition_plan(*, edition: Edition) -> list[Any]:
    """Delivery-plan progress: actions by theme and status, and the actions themselves."""
    from evidence.tables import Table
    from strategy.models import Action, ActionStatus

    strategy = _strategy_for(edition)
    if strategy is None:
        return []
    actions = Action.objects.filter(theme__strategy=strategy).select_related(
        "theme", "lead_organisation"
    )
    if edition.audience == Audience.PUBLIC:
        actions = actions.filter(is_public=True)
    actions = list(actions.order_by("theme__display_order", "theme__name", "due_date", "pk"))
    statuses = list(ActionStatus.choices)
    themes: dict[str, list[int]] = {}
    for action in actions:
        counts = themes.setdefault(action.theme.name, [0] * len(statuses))
        counts[[v for v, _ in statuses].index(action.status)] += 1
    today = datetime.date.today()
    period = f"Status on {today:%-d %B %Y}"
    by_theme = Table(
        title="Delivery-plan actions by theme and status",
        columns=["Theme", *[label for _, label in statuses], "Total"],
        rows=[[name, *counts, sum(counts)] for name, counts in themes.items()],
        source="Delivery plan (strategy)",
        period=period,
        denominator=None,
        notes=["Counts of actions, not of people or incidents."],
    )
    listing = Table(
        title="Delivery-plan actions",
        columns=["Reference", "Action", "Theme", "Lead", "Due", "Status"],
        rows=[
            [
                a.reference,
                a.title,
                a.theme.name,
                a.lead_organisation.short_name if a.lead_organisation_id else "",
                a.due_date.isoformat(),
                a.get_status_display(),
            ]
            for a in actions
        ],
        source="Delivery plan (strategy)",
        period=period,
        denominator=None,
        notes=[],
    )
    return [by_theme, listing]


def edition_measures(*, edition: Edition) -> list[Any]:
    """Outcome measures: exact values (restricted) or the published, suppressed ones (public)."""
    from evidence.tables import Table
    from strategy import selectors as strategy_selectors

    rows: list[list[object]] = []
    if edition.audience == Audience.PUBLIC:
        for item in strategy_selectors.measures_public():
            rows.append(
                [item.measure.name, item.baseline or "", item.latest or "", item.latest_period]
            )
    else:
        for view in strategy_selectors.measures_for_edition():
            latest = view.latest
            rows.append(
                [
                    view.measure.name,
                    "" if view.measure.baseline_value is None else str(view.measure.baseline_value),
                    "" if latest is None else str(latest.value),
                    ""
                    if latest is None
                    else strategy_selectors.period_label(latest.period_start, latest.period_end),
                ]
            )
    return [
        Table(
            title="Outcome measures: baseline and latest value",
            columns=["Measure", "Baseline", "Latest value", "Latest period"],
            rows=rows,
            source="Outcome measures (strategy)",
            period="Latest value recorded",
            denominator=None,
            notes=["Blank: no value recorded yet."],
        )
    ]


@dataclass
class SurveyFindings:
    title: str
    heard: str
    tables: list[Any]


def edition_surveys(*, edition: Edition) -> list[SurveyFindings]:
    """Published surveys that closed in the period: suppressed counts, never free text."""
    from evidence.tables import Table
    from surveys.models import Survey
    from surveys.routing import Structure
    from surveys.selectors import public_outcome_results

    first = edition.period_start
    after = (edition.period_end.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    surveys = Survey.objects.filter(
        is_published=True, closes_at__date__gte=first, closes_at__date__lt=after
    ).order_by("closes_at", "pk")
    findings: list[SurveyFindings] = []
    for survey in surveys:
        results = public_outcome_results(Structure.of(survey))
        tables = [
            Table(
                title=result.question.text,
                columns=["Answer", "Responses", "Per cent of those who answered"],
                rows=[
                    [row.label, row.shown, "" if row.percent is None else round(row.percent)]
                    for row in result.rows
                ],
                source=survey.title,
                period=f"Closed {survey.closes_at:%-d %B %Y}",
                denominator=f"Answered: {result.answered_shown}",
                notes=[
                    "Counts of 1 to the threshold shown as *; others changed by a few responses "
                    "(the cell key method)."
                ],
            )
            for result in results
        ]
        heard = survey.outcome_heard if survey.outcome_published else ""
        findings.append(SurveyFindings(title=survey.title, heard=heard, tables=tables))
    return findings


def recommendations_of(edition: Edition) -> QuerySet[Recommendation]:
    return edition.recommendations.select_related("carried_from").order_by("position", "pk")


def editions_prefetch_recommendations() -> Prefetch:
    return Prefetch("recommendations", queryset=Recommendation.objects.order_by("position", "pk"))
