"""Reads for the strategy app: every page's query count is independent of the data's size."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.disclosure import SUPPRESSED, Rule, disclose_cell, rule_for
from incidents.access import datasets_with_records_visible
from incidents.models import IncidentRecord, PriorityCrimeType
from partners.models import Organisation
from partners.selectors import (
    partnership_convenor_organisation_id,
    user_has_role,
    user_organisation_ids,
)

from .models import (
    UNDER_25_BANDS,
    Action,
    ActionStatus,
    AnnualReview,
    Consultation,
    Measurement,
    MeasureQuery,
    Milestone,
    OutcomeMeasure,
    Principle,
    ProgressUpdate,
    Strategy,
)


@dataclass(frozen=True)
class PlanFilters:
    """The delivery-plan filters a person chose (all optional)."""

    theme_id: int | None = None
    priority_id: int | None = None
    status: str = ""
    lead_organisation_id: int | None = None
    overdue: bool = False

    @property
    def any(self) -> bool:
        return bool(
            self.theme_id
            or self.priority_id
            or self.status
            or self.lead_organisation_id
            or self.overdue
        )


@dataclass
class PlanSummary:
    """Counts for the top of the delivery plan."""

    total: int
    by_status: list[tuple[str, str, int]] = field(default_factory=list)
    overdue_actions: int = 0
    overdue_milestones: int = 0


@dataclass(frozen=True)
class TimelineEntry:
    """One dated event on an action's timeline: a progress update or a milestone."""

    date: datetime.date
    kind: str  # "update" or "milestone"
    item: Any


def strategy_current() -> Strategy | None:
    """The strategy partners work to: the published one, else the newest draft."""
    published = Strategy.objects.filter(status=Strategy.Status.PUBLISHED).first()
    if published is not None:
        return published
    return Strategy.objects.filter(status=Strategy.Status.DRAFT).first()


def strategy_published() -> Strategy | None:
    """The strategy residents may read, or None when nothing is published."""
    return Strategy.objects.filter(status=Strategy.Status.PUBLISHED).first()


def strategy_public_content(*, strategy: Strategy) -> dict[str, Any]:
    """Everything the public strategy page shows, each list in one query."""
    actions = list(
        Action.objects.filter(theme__strategy=strategy, is_public=True)
        .select_related("theme", "lead_organisation")
        .order_by("theme__display_order", "theme__name", "due_date", "id")
    )
    counts = {value: 0 for value, _label in ActionStatus.choices}
    for action in actions:
        counts[action.status] += 1
    definitions = list(strategy.definitions.order_by("-version"))
    return {
        "definition": definitions[0] if definitions else None,
        "earlier_definitions": definitions[1:],
        "consultations": list(strategy.consultations.order_by("consulted_on", "consultee")),
        "themes": list(strategy.themes.all()),
        "principles": list(strategy.principles.all()),
        "drivers": list(strategy.drivers.all()),
        "protective_factors": list(strategy.protective_factors.all()),
        "priorities": list(strategy.priorities.filter(is_active=True)),
        "actions": actions,
        "status_counts": [(value, label, counts[value]) for value, label in ActionStatus.choices],
        "measures": measures_public(),
        "latest_review": strategy.reviews.order_by("-review_date").first(),
    }


@dataclass(frozen=True)
class PublicMeasure:
    """A measure for residents: values already through small-number suppression."""

    measure: OutcomeMeasure
    baseline: str
    latest: str
    latest_period: str


def measures_public() -> list[PublicMeasure]:
    """The public measures with suppressed baseline and latest values (a fixed query count)."""
    result = []
    for measure in _measures_queryset().filter(is_public=True).prefetch_related("priorities"):
        latest = measure.measurement_list[-1] if measure.measurement_list else None
        result.append(
            PublicMeasure(
                measure=measure,
                baseline=publish_measure_value(measure, measure.baseline_value),
                latest=publish_measure_value(measure, latest.value, latest) if latest else "",
                latest_period=period_label(latest.period_start, latest.period_end)
                if latest
                else "",
            )
        )
    return result


def principles_published() -> list[Principle]:
    """The published strategy's principles (the five C's), in one query."""
    return list(
        Principle.objects.filter(strategy__status=Strategy.Status.PUBLISHED).order_by(
            "display_order", "name"
        )
    )


def plan_filter_choices(*, strategy: Strategy) -> dict[str, QuerySet[Any]]:
    """Options for the delivery-plan filters."""
    return {
        "themes": strategy.themes.all(),
        "priorities": PriorityCrimeType.objects.filter(is_active=True),
        "organisations": Organisation.objects.filter(
            led_actions__theme__strategy=strategy
        ).distinct(),
    }


def actions_for_plan(
    *, strategy: Strategy, filters: PlanFilters | None = None, today: datetime.date | None = None
) -> QuerySet[Action]:
    """The strategy's actions, filtered, with everything the plan and export show."""
    filters = filters or PlanFilters()
    today = today or timezone.localdate()
    actions = Action.objects.filter(theme__strategy=strategy)
    if filters.theme_id:
        actions = actions.filter(theme_id=filters.theme_id)
    if filters.priority_id:
        actions = actions.filter(priorities__id=filters.priority_id)
    if filters.status:
        actions = actions.filter(status=filters.status)
    if filters.lead_organisation_id:
        actions = actions.filter(lead_organisation_id=filters.lead_organisation_id)
    if filters.overdue:
        actions = actions.overdue(today)
    return (
        actions.select_related("theme", "lead_organisation")
        .prefetch_related(
            "priorities",
            "drivers",
            "supporting_organisations",
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "id")),
        )
        .annotate(
            overdue_milestone_count=Count(
                "milestones",
                filter=Q(milestones__completed_on__isnull=True, milestones__due_date__lt=today),
                distinct=True,
            ),
            last_update_at=Max("updates__created_at"),
        )
        .order_by("theme__display_order", "theme__name", "due_date", "id")
    )


def plan_summary(*, actions: QuerySet[Action], today: datetime.date | None = None) -> PlanSummary:
    """Counts by status, overdue actions and overdue milestones for a set of actions (2 queries)."""
    today = today or timezone.localdate()
    ids = actions.order_by().values("id")
    rows = (
        Action.objects.filter(id__in=ids)
        .order_by()
        .values("status")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(due_date__lt=today) & ~Q(status=ActionStatus.COMPLETE)),
        )
    )
    counts = {row["status"]: row["n"] for row in rows}
    overdue = sum(row["overdue"] for row in rows)
    milestones = Milestone.objects.filter(
        action_id__in=ids, completed_on__isnull=True, due_date__lt=today
    ).count()
    return PlanSummary(
        total=sum(counts.values()),
        by_status=[(v, label, counts.get(v, 0)) for v, label in ActionStatus.choices],
        overdue_actions=overdue,
        overdue_milestones=milestones,
    )


def action_get(*, pk: int) -> Action:
    """An action with what its page shows, or 404. Every signed-in partner may read it."""
    try:
        return (
            Action.objects.select_related("theme", "theme__strategy", "lead_organisation")
            .prefetch_related(
                "priorities", "drivers", "protective_factors", "supporting_organisations"
            )
            .get(pk=pk)
        )
    except Action.DoesNotExist as missing:
        raise Http404("No such action.") from missing


def action_timeline(*, action: Action) -> list[TimelineEntry]:
    """Progress updates and milestones of an action, newest first."""
    updates = ProgressUpdate.objects.filter(action=action).select_related("author")
    entries = [TimelineEntry(u.created_at.date(), "update", u) for u in updates]
    for milestone in action.milestones.all():
        entries.append(
            TimelineEntry(milestone.completed_on or milestone.due_date, "milestone", milestone)
        )
    return sorted(entries, key=lambda e: (e.date, e.kind == "update"), reverse=True)


def user_can_update_action(user: Any, action: Action) -> bool:
    """A partner lead of the action's lead organisation, or staff allowed to change actions."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_perm("strategy.change_action"):
        return True
    return user_has_role(user, organisation_id=action.lead_organisation_id, roles={"partner_lead"})


def user_can_see_evidence(user: Any, action: Action) -> bool:
    """Evidence files stay with the organisations delivering the action, the convenor's
    members (who follow the plan's delivery) and staff allowed to read progress updates."""
    if not getattr(user, "is_authenticated", False):
        return False
    mine = user_organisation_ids(user)
    convenor_id = partnership_convenor_organisation_id()
    if action.lead_organisation_id in mine or (convenor_id is not None and convenor_id in mine):
        return True
    if user.has_perm("strategy.view_progressupdate"):
        return True
    return action.supporting_organisations.filter(id__in=mine).exists()


def user_can_refresh_measures(user: Any) -> bool:
    """Staff allowed to change outcome measures ask for a refresh from incident data."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm("strategy.change_outcomemeasure")


def progress_update_get(*, pk: int) -> ProgressUpdate:
    """A progress update with its action; 404 if there is none."""
    try:
        return ProgressUpdate.objects.select_related("action").get(pk=pk)
    except ProgressUpdate.DoesNotExist as missing:
        raise Http404("No such update.") from missing


# ---------------------------------------------------------------------------
# Outcome measures fed by a saved query over incident data
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodCount:
    """The number of matching records in one complete period."""

    period_start: datetime.date
    period_end: datetime.date
    count: int
    key_sum: int = 0


@dataclass
class QueryCounts:
    """What a saved query finds: complete periods with their counts, and periods left out."""

    periods: list[PeriodCount] = field(default_factory=list)
    incomplete: list[tuple[datetime.date, datetime.date]] = field(default_factory=list)


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )


def _add_months(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_of(month: datetime.date, granularity: str) -> tuple[datetime.date, datetime.date]:
    """The period (first day, last day) a month belongs to at the query's granularity."""
    if granularity == MeasureQuery.Granularity.QUARTER:
        start = month.replace(month=(month.month - 1) // 3 * 3 + 1, day=1)
        return start, _month_end(_add_months(start, 2))
    if granularity == MeasureQuery.Granularity.FINANCIAL_YEAR:
        year = month.year if month.month >= 4 else month.year - 1
        return datetime.date(year, 4, 1), datetime.date(year + 1, 3, 31)
    start = month.replace(day=1)
    return start, _month_end(start)


def _months_in(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = _add_months(month, 1)
    return months


def measure_query_filters(query: MeasureQuery) -> tuple[Q, Q, Q]:
    """(universe, answerable, matches) filters on IncidentRecord for a saved query.

    The universe is every record of the chosen datasets since ``count_from``, wherever it
    happened, so that a month with no records in a small area still counts as measured. A record
    is answerable when it could show whether the conditions hold (a known age when the query
    asks about age; a known weapon when it asks about weapons). It matches when it is
    answerable, lies in the area and meets every condition.
    """
    universe = Q(dataset__in=[d.pk for d in query.datasets.all()])
    if query.count_from:
        universe &= Q(occurred_on__gte=query.count_from)

    unknown = IncidentRecord.AgeBand.UNKNOWN
    answerable = Q()
    if query.under_25 == MeasureQuery.Under25.VICTIM:
        answerable &= ~Q(victim_age_band=unknown)
    elif query.under_25 == MeasureQuery.Under25.SUSPECT:
        answerable &= ~Q(suspect_age_band=unknown)
    elif query.under_25 == MeasureQuery.Under25.EITHER:
        answerable &= ~Q(victim_age_band=unknown) | ~Q(suspect_age_band=unknown)
    if query.weapons:
        answerable &= ~Q(weapon=IncidentRecord.Weapon.UNKNOWN)

    # Records outside the partnership area are kept by the importer but never counted.
    matches = Q(outside_area=False)
    if query.district_id:
        matches &= Q(lsoa__district_id=query.district_id)
    elif query.authority_id:
        matches &= Q(lsoa__district__authority_id=query.authority_id)
    if query.under_25 == MeasureQuery.Under25.VICTIM:
        matches &= Q(victim_age_band__in=UNDER_25_BANDS)
    elif query.under_25 == MeasureQuery.Under25.SUSPECT:
        matches &= Q(suspect_age_band__in=UNDER_25_BANDS)
    elif query.under_25 == MeasureQuery.Under25.EITHER:
        matches &= Q(victim_age_band__in=UNDER_25_BANDS) | Q(suspect_age_band__in=UNDER_25_BANDS)
    if query.weapons:
        matches &= Q(weapon__in=list(query.weapons))
    if query.priority_id:
        matches &= Q(priority_bits__bitany=query.priority.mask)
    category_ids = [c.pk for c in query.categories.all()]
    if category_ids:
        matches &= Q(category_id__in=category_ids)
    if query.domestic_abuse == MeasureQuery.DomesticAbuse.EXCLUDE:
        matches &= ~Q(domestic_abuse=True)
    elif query.domestic_abuse == MeasureQuery.DomesticAbuse.ONLY:
        matches &= Q(domestic_abuse=True)
    return universe, answerable, answerable & matches


def measure_query_counts(*, query: MeasureQuery, today: datetime.date | None = None) -> QueryCounts:
    """Matching records per complete period, counted in SQL (one GROUP BY dataset × month).

    A period is complete when it has ended and every chosen dataset has answerable records in
    each of its months; other periods are listed as incomplete and get no value.
    """
    today = today or timezone.localdate()
    universe, answerable, matches = measure_query_filters(query)
    dataset_ids = {d.pk for d in query.datasets.all()}
    if not dataset_ids:
        return QueryCounts()
    # An empty Q cannot be a Count filter; without a condition every record qualifies.
    rows = (
        IncidentRecord.objects.filter(universe, occurred_on__lt=today.replace(day=1))
        .annotate(month=TruncMonth("occurred_on"))
        .values("dataset_id", "month")
        .annotate(
            answerable=Count("pk", filter=answerable) if answerable else Count("pk"),
            matched=Count("pk", filter=matches),
            keys=Sum("cell_key", filter=matches),
        )
        .order_by()
    )
    covered: dict[int, set[datetime.date]] = {pk: set() for pk in dataset_ids}
    per_month: dict[datetime.date, tuple[int, int]] = {}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        if row["answerable"]:
            covered[row["dataset_id"]].add(month)
        count, keys = per_month.get(month, (0, 0))
        per_month[month] = (count + row["matched"], keys + (row["keys"] or 0))
    totals: dict[tuple[datetime.date, datetime.date], tuple[int, int]] = {}
    for month, (matched, keys) in per_month.items():
        period = period_of(month, query.granularity)
        count, key_sum = totals.get(period, (0, 0))
        totals[period] = (count + matched, key_sum + keys)
    result = QueryCounts()
    for (start, end), (count, key_sum) in sorted(totals.items()):
        months = _months_in(start, end)
        complete = end < today and all(
            set(months) <= dataset_months for dataset_months in covered.values()
        )
        if complete:
            result.periods.append(PeriodCount(start, end, count, key_sum))
        else:
            result.incomplete.append((start, end))
    return result


# ---------------------------------------------------------------------------
# Outcome-measure screens
# ---------------------------------------------------------------------------
@dataclass
class ChartPoint:
    x: float
    y: float
    label: str
    value: Decimal


@dataclass
class MeasureChart:
    """Geometry for a small inline-SVG line chart (presentation attributes only, no script)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[ChartPoint]
    polyline: str
    y_max: Decimal
    y_min: Decimal
    baseline_y: float | None = None
    target_y: float | None = None
    first_label: str = ""
    last_label: str = ""


@dataclass
class MeasureView:
    """A measure with its series, latest value, trend and (for the detail page) its chart."""

    measure: OutcomeMeasure
    measurements: list[Measurement]
    latest: Measurement | None = None
    previous: Measurement | None = None
    change: Decimal | None = None
    judgement: str = ""  # "better", "worse", "no change" or "" (no direction or no data)
    chart: MeasureChart | None = None
    # True when the figures are exact (the person may see every record they count); otherwise
    # counts went through core.disclosure and a suppressed one has ``value`` None.
    exact: bool = True

    @property
    def change_text(self) -> str:
        if not self.measurements:
            return "No values yet"
        if self.change is None and self.latest is not None and self.latest.value is None:
            return "Too few to show"
        if self.change is None and self.previous is not None:
            return "Too few to show a change"
        if self.change is None:
            return "Only one value so far"
        if self.change == 0:
            return "No change from the period before"
        word = "Up" if self.change > 0 else "Down"
        return f"{word} {abs(self.change).normalize():f} from the period before"

    @property
    def trend_text(self) -> str:
        if self.judgement in {"better", "worse"}:
            return f"{self.change_text} ({self.judgement})"
        return self.change_text


def period_label(start: datetime.date, end: datetime.date) -> str:
    """A short label for a period: 'Mar 2024', 'Apr–Jun 2024', 'Apr 2023 to Mar 2024'."""
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%b %Y}"
    if start.year == end.year:
        return f"{start:%b}–{end:%b %Y}"
    return f"{start:%b %Y} to {end:%b %Y}"


def _judge(measure: OutcomeMeasure, change: Decimal) -> str:
    if change == 0:
        return "no change"
    if measure.direction == OutcomeMeasure.Direction.LOWER_IS_BETTER:
        return "better" if change < 0 else "worse"
    if measure.direction == OutcomeMeasure.Direction.HIGHER_IS_BETTER:
        return "better" if change > 0 else "worse"
    return ""


def measure_chart(measure: OutcomeMeasure, measurements: list[Measurement]) -> MeasureChart | None:
    """Scale a series (and the baseline and target) into an SVG box; None below two values."""
    measurements = [m for m in measurements if m.value is not None]  # suppressed: not drawn
    if len(measurements) < 2:
        return None
    width, height, left, right, top, bottom = 640, 240, 56, 16, 16, 40
    values = [m.value for m in measurements]
    references = [v for v in (measure.baseline_value, measure.target_value) if v is not None]
    y_max = max([*values, *references])
    y_min = min(Decimal(0), *values, *references)
    span = (y_max - y_min) or Decimal(1)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / (len(measurements) - 1)

    def y_of(value: Decimal) -> float:
        return round(top + plot_h * float((y_max - value) / span), 1)

    points = [
        ChartPoint(
            x=round(left + i * step, 1),
            y=y_of(m.value),
            label=period_label(m.period_start, m.period_end),
            value=m.value,
        )
        for i, m in enumerate(measurements)
    ]
    return MeasureChart(
        width=width,
        height=height,
        left=left,
        right=width - right,
        top=top,
        bottom=height - bottom,
        points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        y_max=y_max,
        y_min=y_min,
        baseline_y=y_of(measure.baseline_value) if measure.baseline_value is not None else None,
        target_y=y_of(measure.target_value) if measure.target_value is not None else None,
        first_label=points[0].label,
        last_label=points[-1].label,
    )


def _measure_view(measure: OutcomeMeasure, *, exact: bool, with_chart: bool = False) -> MeasureView:
    series = list(measure.measurement_list)
    if not exact and measure.is_count:
        for measurement in series:
            measurement.value = measure_value_disclosed(measure, measurement)
        if measure.baseline_value is not None:
            measure.baseline_value = measure_value_disclosed(measure, None, measure.baseline_value)
            measure.baseline_suppressed = measure.baseline_value is None
    view = MeasureView(measure=measure, measurements=series, exact=exact or not measure.is_count)
    if series:
        view.latest = series[-1]
    if len(series) >= 2:
        view.previous = series[-2]
        if series[-1].value is not None and series[-2].value is not None:
            view.change = series[-1].value - series[-2].value
            view.judgement = _judge(measure, view.change)
    if with_chart:
        view.chart = measure_chart(measure, series)
    return view


def _measures_queryset() -> QuerySet[OutcomeMeasure]:
    return OutcomeMeasure.objects.select_related(
        "incident_query",
        "incident_query__priority",
        "incident_query__authority",
        "incident_query__district",
    ).prefetch_related(
        Prefetch(
            "measurements",
            queryset=Measurement.objects.order_by("period_end", "period_start"),
            to_attr="measurement_list",
        ),
        "incident_query__datasets",
        "incident_query__categories",
    )


def _record_level_dataset_ids(user: Any) -> set[int]:
    return set(datasets_with_records_visible(user).values_list("pk", flat=True))


def measure_is_exact_for(measure: OutcomeMeasure, visible: set[int]) -> bool:
    """Exact figures only for someone who may see every record the measure counts.

    A measure computed from incident data counts the records of its query's datasets; one
    entered by hand counts no record in the portal, so everyone sees it disclosure-controlled.
    """
    query = getattr(measure, "incident_query", None)
    if query is None:
        return False
    datasets = {d.pk for d in query.datasets.all()}
    return bool(datasets) and datasets <= visible


def measures_overview(*, user: Any) -> list[MeasureView]:
    """Every outcome measure with its latest value and trend (a fixed number of queries)."""
    visible = _record_level_dataset_ids(user)
    return [
        _measure_view(measure, exact=measure_is_exact_for(measure, visible))
        for measure in _measures_queryset().prefetch_related("priorities")
    ]


def measures_for_edition() -> list[MeasureView]:
    """Every outcome measure with exact values, for a restricted SNA edition (named partners)."""
    return [
        _measure_view(measure, exact=True)
        for measure in _measures_queryset().prefetch_related("priorities")
    ]


def measure_get(*, slug: str, user: Any) -> MeasureView:
    """One measure with its series and chart, or 404; exact only for record-level readers."""
    measure = _measures_queryset().prefetch_related("priorities").filter(slug=slug).first()
    if measure is None:
        raise Http404("No such measure.")
    exact = measure_is_exact_for(measure, _record_level_dataset_ids(user))
    return _measure_view(measure, exact=exact, with_chart=True)


def measure_query_description(query: MeasureQuery) -> list[tuple[str, str]]:
    """The saved query in plain English, as (label, value) rows (uses prefetched relations)."""
    weapons = dict(IncidentRecord.Weapon.choices)
    if query.district_id:
        area = f"{query.district.name} (district)"
    elif query.authority_id:
        area = f"{query.authority.name} (authority)"
    else:
        area = "The whole partnership area"
    rows = [
        ("Datasets", ", ".join(d.name for d in query.datasets.all()) or "None chosen"),
        ("Priority", query.priority.name if query.priority else "Any"),
        ("Categories", ", ".join(c.name for c in query.categories.all()) or "Any"),
        ("Weapon", ", ".join(weapons.get(w, w) for w in query.weapons) or "Any"),
        ("Age", query.get_under_25_display()),
        ("Domestic abuse", query.get_domestic_abuse_display()),
        ("Area", area),
        ("Counted by", query.get_granularity_display()),
    ]
    if query.count_from:
        rows.append(("Counting from", f"{query.count_from:%-d %B %Y}"))
    return rows


def measure_disclosure_rule(measure: OutcomeMeasure) -> Rule:
    """The sensitive rule when the measure touches a sensitive priority or category."""
    sensitive = any(p.is_sensitive for p in measure.priorities.all())
    query = getattr(measure, "incident_query", None)
    if query is not None:
        sensitive = sensitive or bool(query.priority and query.priority.is_sensitive)
        sensitive = sensitive or any(c.is_sensitive for c in query.categories.all())
    return rule_for(sensitive)


def measure_value_disclosed(
    measure: OutcomeMeasure, measurement: Measurement | None, value: Decimal | None = None
) -> Decimal | None:
    """A count as someone without record-level access may see it; None when suppressed.

    Computed values carry their records' key sum; values entered by hand (and the baseline)
    have no records, and use a secret keyed hash of the figure instead. Both are perturbed by
    the cell key method and suppressed from 1 to the threshold.
    """
    raw = measurement.value if measurement is not None else value
    if raw is None:
        return None
    count = max(int(Decimal(raw).to_integral_value(rounding=ROUND_HALF_UP)), 0)
    key_sum = measurement.key_sum if measurement is not None else None
    if key_sum is None:
        # No records to key: a keyed hash of the figure's identity stands in for the cell key,
        # so the same figure always shows the same value and nobody can work it out.
        what = (
            f"{measure.pk}:{measurement.period_start}:{measurement.period_end}:{count}"
            if measurement is not None
            else f"{measure.pk}:baseline:{measure.baseline_date}:{count}"
        )
        key_sum = int(salted_hmac("strategy.measure-cell-key", what).hexdigest()[:8], 16)
    cell = disclose_cell(count, key_sum, measure_disclosure_rule(measure))
    return None if cell == SUPPRESSED else Decimal(int(cell))


def publish_measure_value(
    measure: OutcomeMeasure, value: Decimal | None, measurement: Measurement | None = None
) -> str:
    """A value as residents may see it: counts through core.disclosure ("*" when too few)."""
    if value is None:
        return ""
    if not measure.is_count:
        return f"{value.normalize():f}"
    shown = measure_value_disclosed(measure, measurement, value)
    return SUPPRESSED if shown is None else str(int(shown))


# ---------------------------------------------------------------------------
# Annual reviews and the consultation register
# ---------------------------------------------------------------------------
def reviews_list() -> QuerySet[AnnualReview]:
    """Every annual review, newest first, with its strategy."""
    return AnnualReview.objects.select_related("strategy").order_by("-review_date", "-pk")


def review_get(*, pk: int) -> AnnualReview:
    """One annual review, or 404."""
    review = reviews_list().filter(pk=pk).first()
    if review is None:
        raise Http404("No such review.")
    return review


def consultations_list(*, kind: str = "") -> QuerySet[Consultation]:
    """The consultation register (optionally one kind of consultee), by strategy and date."""
    consultations = Consultation.objects.select_related("strategy", "organisation")
    if kind:
        consultations = consultations.filter(consultee_kind=kind)
    return consultations.order_by("-strategy__period_start", "consulted_on", "consultee", "pk")


def consultation_get(*, pk: int) -> Consultation:
    """One consultation, or 404."""
    consultation = consultations_list().filter(pk=pk).first()
    if consultation is None:
        raise Http404("No such consultation.")
    return consultation
