"""Reads of the evidence app: every figure on the evidence pages (and in the SNA), from the cubes.

Every function is keyword-only, reads only the aggregate tables (evidence/models.py) and small
reference tables, issues a fixed number of queries whatever the data's size, and returns
dataclasses of Tables and Charts already through disclosure control for the audience.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Min, Q, QuerySet, Sum

from incidents.maps import AreaMap, area_map, ward_shapes
from incidents.models import (
    Boundary,
    CrimeCategory,
    Dataset,
    IncidentRecord,
    Lsoa,
    PriorityCrimeType,
    Upload,
)

from . import stats
from .charts import Chart
from .geography import lsoa_shapes
from .models import (
    AlertBreach,
    CubeRefresh,
    LocationCube,
    MonthlyCube,
    PlaceCube,
    QualityCube,
    WhenCube,
    WhoCube,
)
from .publish import CubeCell, is_shown, publish_cells, publish_one
from .query import (
    Area,
    Audience,
    EvidenceQuery,
    Subject,
    month_add,
    month_label,
    months_between,
    period_label,
)
from .specs import (
    bar_spec,
    funnel_spec,
    grid_spec,
    line_spec,
    pyramid_spec,
    sparkline_spec,
    spc_spec,
)
from .tables import Table

Cell = int | str
PER = 1000
MOSTLY_UNKNOWN = 0.5  # a figure built on a field known for fewer than half the records says so
UNDER_25 = ("0-9", "10-17", "18-24")
AGE_BANDS = [c for c, _ in IncidentRecord.AgeBand.choices]
SEXES = [c for c, _ in IncidentRecord.Sex.choices]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# ---------------------------------------------------------------------------
# Resolving the query: datasets, subject, area (a fixed handful of small queries)
# ---------------------------------------------------------------------------
@dataclass
class SubjectFilter:
    label: str
    q: Q  # on a cube's priority_bits and category_id
    sensitive: bool


@dataclass
class Context:
    query: EvidenceQuery
    audience: Audience
    datasets: list[Dataset]
    subject: SubjectFilter
    area_label: str
    area_q_monthly: Q  # on MonthlyCube (through its LSOA)
    area_q_district: Q  # on the district cubes
    population: int
    population_year: int | None
    priorities: list[PriorityCrimeType]

    @property
    def dataset_ids(self) -> list[int]:
        return [d.pk for d in self.datasets]

    @property
    def exact(self) -> bool:
        return self.audience.is_exact(self.dataset_ids)

    @property
    def source(self) -> str:
        if not self.datasets:
            return "No datasets chosen"
        return "; ".join(f"{d.name} ({d.owner.short_name or d.owner.name})" for d in self.datasets)

    @property
    def period(self) -> str:
        return self.query.period_label

    @property
    def denominator(self) -> str:
        year = f"mid-{self.population_year} " if self.population_year else ""
        return f"{self.population:,} residents of {self.area_label} ({year}population estimates)"

    def notes(self) -> list[str]:
        notes = [f"Subject: {self.subject.label}. Area: {self.area_label}."]
        if not self.exact:
            rule = "1 to 10" if self.subject.sensitive else "1 to 7"
            notes.append(
                f"Counts of {rule} are shown as *, some others are hidden so totals cannot reveal "
                "them, and the rest are changed by a few records, always the same way for the same "
                "records (the cell key method); rates and changes use the published counts."
            )
        return notes


def _current_definition_scope() -> tuple[str, list[int], list[int]] | None:
    """The current local definition's priorities and categories (ids), if it has a scope.

    The definition in force is the newest version of the published strategy (or, before one
    is published, of the newest strategy). Without an evidence scope the strategy's own
    priorities stand for it.
    """
    from strategy.models import Strategy

    strategy = (
        Strategy.objects.filter(status=Strategy.Status.PUBLISHED).first()
        or Strategy.objects.order_by("-period_start", "-pk").first()
    )
    if strategy is None:
        return None
    definition = strategy.definitions.select_related("evidence_scope").order_by("-version").first()
    scope = getattr(definition, "evidence_scope", None) if definition else None
    label = f"serious violence as defined in {strategy.title}"
    if definition is not None:
        label += f" (definition version {definition.version})"
    if scope is not None:
        return (
            label,
            list(scope.priorities.values_list("pk", flat=True)),
            list(scope.categories.values_list("pk", flat=True)),
        )
    return label, list(strategy.priorities.values_list("pk", flat=True)), []


def _subject_filter(subject: Subject, priorities: list[PriorityCrimeType]) -> SubjectFilter:
    if subject.kind == "priority":
        priority = next((p for p in priorities if p.slug == subject.priority_slug), None)
        if priority is None:
            return SubjectFilter("an unknown priority", Q(pk__in=[]), False)
        return SubjectFilter(
            priority.name, Q(priority_bits__bitany=priority.mask), priority.is_sensitive
        )
    if subject.kind == "categories":
        categories = list(CrimeCategory.objects.filter(slug__in=subject.category_slugs))
        if not categories:
            return SubjectFilter("no categories", Q(pk__in=[]), False)
        names = ", ".join(c.name for c in categories)
        return SubjectFilter(
            names,
            Q(category_id__in=[c.pk for c in categories]),
            any(c.is_sensitive for c in categories),
        )
    scope = _current_definition_scope()
    if scope is None:
        mask = sum(p.mask for p in priorities)
        return SubjectFilter(
            "every priority (no local definition recorded)",
            Q(priority_bits__bitany=mask) if mask else Q(pk__in=[]),
            any(p.is_sensitive for p in priorities),
        )
    label, priority_ids, category_ids = scope
    chosen = [p for p in priorities if p.pk in priority_ids]
    mask = sum(p.mask for p in chosen)
    q = Q(pk__in=[])
    if mask:
        q |= Q(priority_bits__bitany=mask)
    if category_ids:
        q |= Q(category_id__in=category_ids)
    sensitive = (
        any(p.is_sensitive for p in chosen)
        or CrimeCategory.objects.filter(pk__in=category_ids, is_sensitive=True).exists()
    )
    return SubjectFilter(label, q, sensitive)


def _area(area: Area) -> tuple[str, Q, Q, Q]:
    """Label, filter on MonthlyCube, filter on district cubes, filter on in-area Lsoa rows."""
    if area.level == "authority" and area.code:
        from incidents.models import Authority

        name = Authority.objects.filter(code=area.code).values_list("name", flat=True).first()
        return (
            name or area.code,
            Q(in_area=True, lsoa__district__authority__code=area.code),
            Q(in_area=True, district__authority__code=area.code),
            Q(district__authority__code=area.code),
        )
    if area.level == "district" and area.code:
        from incidents.models import District

        name = District.objects.filter(code=area.code).values_list("name", flat=True).first()
        return (
            name or area.code,
            Q(in_area=True, lsoa__district__code=area.code),
            Q(in_area=True, district__code=area.code),
            Q(district__code=area.code),
        )
    from partners.selectors import partnership_current

    partnership = partnership_current()
    label = f"the {partnership.short_name} area" if partnership else "the partnership area"
    return label, Q(in_area=True), Q(in_area=True), Q()


def evidence_resolve(*, query: EvidenceQuery, audience: Audience) -> Context:
    """Resolve the query's datasets, subject and area for the audience (a few small queries)."""
    ids = audience.chosen(query)
    datasets = list(Dataset.objects.select_related("owner").filter(pk__in=ids).order_by("name"))
    priorities = list(PriorityCrimeType.objects.filter(is_active=True))
    subject = _subject_filter(query.subject, priorities)
    label, q_monthly, q_district, q_lsoa = _area(query.area)
    population = Lsoa.objects.filter(q_lsoa, in_area=True).aggregate(
        n=Sum("population_total"), year=Max("population_year")
    )
    return Context(
        query=query,
        audience=audience,
        datasets=datasets,
        subject=subject,
        area_label=label,
        area_q_monthly=q_monthly,
        area_q_district=q_district,
        population=population["n"] or 0,
        population_year=population["year"],
        priorities=priorities,
    )


def _cube(model: type, ctx: Context, *, start: dt.date, end: dt.date, subject: bool = True):
    """A cube's rows for the context's datasets, months, area and (optionally) subject."""
    area_q = ctx.area_q_monthly if model is MonthlyCube else ctx.area_q_district
    rows = model.objects.filter(dataset_id__in=ctx.dataset_ids, month__gte=start, month__lte=end)
    rows = rows.filter(area_q)
    if subject:
        rows = rows.filter(ctx.subject.q)
    return rows.order_by()


def _sums(rows: QuerySet, *keys: str) -> dict[Any, CubeCell]:
    out: dict[Any, CubeCell] = {}
    for row in rows.values(*keys).annotate(n=Sum("records"), k=Sum("cell_key_sum")):
        key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
        out[key] = CubeCell(row["n"] or 0, row["k"] or 0)
    return out


def _figure(cell: Cell) -> str:
    """A published figure in a sentence: thousands separated, or "*" as it is."""
    return f"{cell:,}" if isinstance(cell, int) else str(cell)


def _total(cells: Iterable[CubeCell]) -> CubeCell:
    cells = list(cells)
    return CubeCell(sum(c.records for c in cells), sum(c.cell_key_sum for c in cells))


def _num(value: Cell) -> int | None:
    return int(value) if is_shown(value) else None


def _fmt(value: float | None, places: int = 2) -> str:
    return "" if value is None else f"{value:,.{places}f}"


def _ci(rate: stats.RateCI | None) -> str:
    if rate is None:
        return ""
    return f"{rate.lower:,.2f} to {rate.upper:,.2f}"


def _rate(value: Cell, population: int | None) -> stats.RateCI | None:
    count = _num(value)
    if count is None or not population:
        return None
    return stats.rate_ci(count=count, population=population, per=PER)


NO_DATA = "No data loaded for that period"
NOT_LOADED = "Not loaded yet"


def _change(current: Cell, previous: Cell) -> stats.Change | None:
    a, b = _num(current), _num(previous)
    if a is None or b is None or (a == 0 and b == 0):
        return None
    return stats.compare_counts(current=a, previous=b)


def change_text(change: stats.Change | None) -> str:
    """A change in plain words: direction, size and whether a test says it is more than noise."""
    if change is None:
        return "Not shown"
    if change.previous == 0:
        return "New (none before)"
    pct = 100 * (change.current - change.previous) / change.previous
    word = {"up": "Up", "down": "Down", "same": "No change"}[change.direction]
    if change.direction == "same":
        return word
    verdict = "significant" if change.significant else "not significant"
    return f"{word} {abs(pct):.0f}% ({verdict})"


def _months_known(ctx: Context) -> tuple[dt.date | None, dt.date | None]:
    bounds = MonthlyCube.objects.filter(dataset_id__in=ctx.dataset_ids).aggregate(
        first=Min("month"), last=Max("month")
    )
    return bounds["first"], bounds["last"]


def _unknown_note(known: int, total: int, what: str) -> str | None:
    if total and known / total < MOSTLY_UNKNOWN:
        return (
            f"Built on a mostly unknown field: {what} is known for only "
            f"{100 * known / total:.0f}% of these records ({known:,} of {total:,})."
        )
    return None


# ---------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------
@dataclass
class PriorityOverview:
    label: str
    slug: str
    count: Cell
    rate: stats.RateCI | None
    previous: Cell
    year_earlier: Cell
    vs_previous: stats.Change | None
    vs_year: stats.Change | None
    sparkline: Chart | None
    sensitive: bool
    previous_loaded: bool = True
    year_loaded: bool = True

    @property
    def vs_previous_text(self) -> str:
        return change_text(self.vs_previous) if self.previous_loaded else NO_DATA

    @property
    def vs_year_text(self) -> str:
        return change_text(self.vs_year) if self.year_loaded else NO_DATA


class OverviewResult(list):
    """The priorities' rows (a list, as the contract says), with the table and the breaches."""

    table: Table
    breaches: list[AlertBreach]
    context: Context


def _series_by_bits(ctx: Context, start: dt.date, end: dt.date) -> dict[tuple, CubeCell]:
    rows = _cube(MonthlyCube, ctx, start=start, end=end, subject=False)
    return _sums(rows, "month", "priority_bits")


def _priority_series(
    by_bits: dict[tuple, CubeCell], months: list[dt.date], mask: int
) -> list[CubeCell]:
    monthly: dict[dt.date, list[CubeCell]] = defaultdict(list)
    for (month, bits), cell in by_bits.items():
        if bits & mask:
            monthly[month].append(cell)
    return [_total(monthly.get(m, [])) for m in months]


def evidence_overview(*, query: EvidenceQuery, audience: Audience) -> OverviewResult:
    """Each priority (and the local definition): count, rate, changes and a small trend."""
    ctx = evidence_resolve(query=query, audience=audience)
    prev_start, prev_end = query.previous
    year_start, year_end = query.year_earlier
    spark_start = month_add(query.end, -23)
    first = min(prev_start, year_start, spark_start)
    months = months_between(first, query.end)
    by_bits = _series_by_bits(ctx, first, query.end)
    subjects: list[tuple[str, str, int, bool]] = [
        (p.name, p.slug, p.mask, p.is_sensitive) for p in ctx.priorities
    ]
    result = OverviewResult()
    result.context = ctx
    table_rows: list[list[object]] = []

    def window(series: list[CubeCell], start: dt.date, end: dt.date) -> CubeCell:
        return _total(c for m, c in zip(months, series, strict=True) if start <= m <= end)

    first_loaded, _last = _months_known(ctx)

    def loaded(end: dt.date) -> bool:
        return first_loaded is not None and end >= first_loaded

    for label, slug, mask, sensitive in subjects:
        series = _priority_series(by_bits, months, mask)
        now = publish_one(
            window(series, query.start, query.end), exact=ctx.exact, sensitive=sensitive
        )
        before = publish_one(
            window(series, prev_start, prev_end), exact=ctx.exact, sensitive=sensitive
        )
        year = publish_one(
            window(series, year_start, year_end), exact=ctx.exact, sensitive=sensitive
        )
        spark_months = [m for m in months if m >= spark_start]
        spark_cells = publish_cells(
            series[len(months) - len(spark_months) :], exact=ctx.exact, sensitive=sensitive
        )
        points = [
            {"month": f"{m:%Y-%m-01}", "records": int(v)}
            for m, v in zip(spark_months, spark_cells, strict=True)
            if is_shown(v)
        ]
        spark_table = Table(
            title=f"{label}: records by month",
            columns=["Month", "Records"],
            rows=[[month_label(m), v] for m, v in zip(spark_months, spark_cells, strict=True)],
            source=ctx.source,
            period=period_label(spark_start, query.end),
            notes=ctx.notes(),
        )
        sparkline = None
        if points and any(p["records"] for p in points):
            shown = [p["records"] for p in points]
            sparkline = Chart(
                spec=sparkline_spec(points),
                summary=(
                    f"{label}: monthly records from {month_label(spark_start)} to "
                    f"{month_label(query.end)}, between {min(shown):,} and {max(shown):,} a month."
                ),
                table=spark_table,
            )
        row = PriorityOverview(
            label=label,
            slug=slug,
            count=now,
            rate=_rate(now, ctx.population),
            previous=before,
            year_earlier=year,
            vs_previous=_change(now, before) if loaded(prev_end) else None,
            vs_year=_change(now, year) if loaded(year_end) else None,
            previous_loaded=loaded(prev_end),
            year_loaded=loaded(year_end),
            sparkline=sparkline,
            sensitive=sensitive,
        )
        result.append(row)
        table_rows.append(
            [
                label,
                now,
                _fmt(row.rate.rate if row.rate else None),
                _ci(row.rate),
                before,
                row.vs_previous_text,
                year,
                row.vs_year_text,
            ]
        )
    result.table = Table(
        title="Priorities: count, rate and change",
        columns=[
            "Priority",
            "Records",
            f"Rate per {PER:,} residents",
            "95% confidence interval",
            f"Previous {query.months} months",
            "Change on previous period",
            "Same months a year earlier",
            "Change on a year earlier",
        ],
        rows=table_rows,
        source=ctx.source,
        period=ctx.period,
        denominator=ctx.denominator,
        notes=ctx.notes()
        + [
            "A record can count towards several priorities, so the rows do not add up.",
            "Changes are called significant only when an exact test of the ratio of two Poisson "
            "counts gives p < 0.05.",
        ],
        slug="priorities",
    )
    result.breaches = list(
        AlertBreach.objects.filter(dataset_id__in=ctx.dataset_ids)
        .select_related("priority", "dataset")
        .order_by("-month", "-pk")[:20]
    )
    return result


# ---------------------------------------------------------------------------
# Trend
# ---------------------------------------------------------------------------
@dataclass
class TrendResult:
    context: Context
    table: Table
    chart: Chart | None
    years_table: Table
    spc_table: Table
    spc_chart: Chart | None
    spc_note: str
    baseline: tuple[dt.date, dt.date] | None
    breaches: list[str]
    vs_year: stats.Change | None
    current: Cell
    year_earlier: Cell
    year_loaded: bool = True
    months_available: list[dt.date] = field(default_factory=list)


def _default_baseline(months: list[dt.date], start: dt.date) -> tuple[dt.date, dt.date] | None:
    before = [m for m in months if m < start]
    if len(before) >= 12:
        return before[-min(24, len(before))], before[-1]
    if len(months) >= 12:
        return months[0], months[min(len(months), 24) - 1]
    return (months[0], months[-1]) if months else None


def evidence_trend(
    *,
    query: EvidenceQuery,
    audience: Audience,
    baseline: tuple[dt.date, dt.date] | None = None,
) -> TrendResult:
    """Monthly counts, 12-month rolling mean, earlier years, year-on-year change and SPC."""
    ctx = evidence_resolve(query=query, audience=audience)
    first, _last = _months_known(ctx)
    start = min(first, query.end) if first else query.start
    months = months_between(start, query.end)
    sums = _sums(_cube(MonthlyCube, ctx, start=start, end=query.end), "month")
    cells = publish_cells(
        [sums.get(m, CubeCell(0)) for m in months], exact=ctx.exact, sensitive=ctx.subject.sensitive
    )
    all_shown = all(is_shown(c) for c in cells)
    values = [_num(c) for c in cells]
    rolling = stats.rolling_mean(values=[float(v) for v in values], window=12) if all_shown else []
    by_month = dict(zip(months, cells, strict=True))
    rows = []
    for i, (month, cell) in enumerate(zip(months, cells, strict=True)):
        earlier = by_month.get(month_add(month, -12))
        change = _change(cell, earlier) if earlier is not None else None
        rows.append(
            [
                month_label(month),
                cell,
                _fmt(rolling[i], 1) if rolling and rolling[i] is not None else "",
                earlier if earlier is not None else "",
                change_text(change) if earlier is not None else "",
            ]
        )
    table = Table(
        title=f"{ctx.subject.label}: records by month",
        columns=[
            "Month",
            "Records",
            "12-month rolling mean",
            "Same month a year earlier",
            "Change on a year earlier",
        ],
        rows=rows,
        source=ctx.source,
        period=period_label(start, query.end),
        notes=ctx.notes(),
        slug="monthly",
    )
    points = [
        {"month": f"{m:%Y-%m-01}", "series": "Records", "value": v}
        for m, v in zip(months, values, strict=True)
        if v is not None
    ]
    points += [
        {"month": f"{m:%Y-%m-01}", "series": "12-month rolling mean", "value": round(r, 2)}
        for m, r in zip(months, rolling, strict=False)
        if r is not None
    ]
    chart = (
        Chart(
            spec=line_spec(points, y_title="Records a month"),
            summary=(
                f"Monthly records of {ctx.subject.label} from {month_label(start)} to "
                f"{month_label(query.end)} with the 12-month rolling mean."
            ),
            table=table,
        )
        if points
        else None
    )
    # Same month in earlier years: months as rows, years as columns.
    years = sorted({m.year for m in months})
    years_rows = []
    for month_number in range(1, 13):
        row: list[object] = [dt.date(2000, month_number, 1).strftime("%B")]
        for year in years:
            value = by_month.get(dt.date(year, month_number, 1))
            row.append("" if value is None else value)
        years_rows.append(row)
    years_table = Table(
        title=f"{ctx.subject.label}: the same month in each year",
        columns=["Month", *[str(y) for y in years]],
        rows=years_rows,
        source=ctx.source,
        period=period_label(start, query.end),
        notes=ctx.notes(),
        slug="years",
    )
    # Year-on-year change of the chosen period.
    year_start, year_end = query.year_earlier
    now = publish_one(
        _total(c for m, c in sums.items() if query.start <= m <= query.end),
        exact=ctx.exact,
        sensitive=ctx.subject.sensitive,
    )
    year_cell = publish_one(
        _total(c for m, c in sums.items() if year_start <= m <= year_end),
        exact=ctx.exact,
        sensitive=ctx.subject.sensitive,
    )
    # Statistical process control: a c-chart with limits from the chosen baseline.
    chosen = baseline or query.baseline or _default_baseline(months, query.start)
    spc_rows: list[list[object]] = []
    spc_chart = None
    breaches: list[str] = []
    spc_note = ""
    if not all_shown:
        spc_note = (
            "The control chart is not drawn: some months are hidden by disclosure control, and "
            "hidden counts are never charted."
        )
    elif chosen is None or len(months) < 2:
        spc_note = "Too few months for a control chart."
    else:
        lo = max(0, months.index(chosen[0]) if chosen[0] in months else 0)
        hi = months.index(chosen[1]) + 1 if chosen[1] in months else len(months)
        if hi - lo < 2:
            lo, hi = 0, len(months)
        spc = stats.c_chart(counts=[int(v) for v in values], baseline=slice(lo, hi))
        chosen = (months[lo], months[hi - 1])
        for month, point in zip(months, spc.points, strict=True):
            flags = []
            if point.beyond_limits:
                flags.append("beyond the limits")
            if point.in_run:
                flags.append("in a run of 7 or more on one side")
            spc_rows.append([month_label(month), int(point.value), "; ".join(flags)])
            if flags and query.start <= month <= query.end:
                breaches.append(f"{month_label(month)}: {' and '.join(flags)}")
        spc_note = (
            f"c-chart: centre line {spc.centre:,.1f}, control limits {spc.lower:,.1f} to "
            f"{spc.upper:,.1f} (mean ± 3 × √mean), from the baseline "
            f"{period_label(*chosen)}."
        )
        spc_points = [
            {
                "month": f"{m:%Y-%m-01}",
                "value": int(p.value),
                "signal": "Rule broken" if (p.beyond_limits or p.in_run) else "Within rules",
            }
            for m, p in zip(months, spc.points, strict=True)
        ]
        spc_chart = Chart(
            spec=spc_spec(spc_points, centre=spc.centre, lower=spc.lower, upper=spc.upper),
            summary=(
                f"Control chart of monthly {ctx.subject.label}: "
                f"{sum(1 for r in spc_rows if r[2]):,} of {len(spc_rows):,} months break a rule."
            ),
            table=Table(
                title="Control chart",
                columns=["Month", "Records", "Rule broken"],
                rows=spc_rows,
                source=ctx.source,
                period=period_label(start, query.end),
                notes=[spc_note],
                slug="spc",
            ),
        )
    spc_table = Table(
        title="Control chart",
        columns=["Month", "Records", "Rule broken"],
        rows=spc_rows,
        source=ctx.source,
        period=period_label(start, query.end),
        notes=[spc_note],
        slug="spc",
    )
    return TrendResult(
        context=ctx,
        table=table,
        chart=chart,
        years_table=years_table,
        spc_table=spc_table,
        spc_chart=spc_chart,
        spc_note=spc_note,
        baseline=chosen,
        breaches=breaches,
        vs_year=_change(now, year_cell) if first and year_end >= first else None,
        year_loaded=bool(first and year_end >= first),
        current=now,
        year_earlier=year_cell,
        months_available=months,
    )


# ---------------------------------------------------------------------------
# Where
# ---------------------------------------------------------------------------
@dataclass
class AreaRow:
    code: str
    label: str
    count: Cell
    population: int | None
    rate: stats.RateCI | None = None
    flag: str = ""

    @property
    def rate_text(self) -> str:  # incidents.maps reads ``rate`` as text: see _map_rows
        return _fmt(self.rate.rate) if self.rate else ""


@dataclass
class _MapRow:
    code: str
    label: str
    count: Cell
    rate: str


@dataclass
class WhereResult:
    context: Context
    tables: dict[str, Table]
    funnel: Chart | None
    concentration: Table
    ward_map: AreaMap | None
    lsoa_map: AreaMap | None
    locations: Table
    lsoas_hidden_reason: str = ""


def _area_table(
    title: str, slug: str, label: str, rows: list[AreaRow], ctx: Context, notes: list[str]
) -> Table:
    return Table(
        title=title,
        columns=[label, "Code", "Records", "Residents", f"Rate per {PER:,}", "95% CI", "Note"],
        rows=[
            [r.label, r.code, r.count, r.population or "", r.rate_text, _ci(r.rate), r.flag]
            for r in rows
        ],
        source=ctx.source,
        period=ctx.period,
        denominator=f"Residents of each area ({ctx.denominator.split('(')[-1].rstrip(')')})",
        notes=ctx.notes() + notes,
        slug=slug,
    )


def _publish_areas(
    counts: dict[Any, CubeCell], areas: list[tuple[Any, str, str, int | None]], ctx: Context
) -> list[AreaRow]:
    cells = publish_cells(
        [counts.get(key, CubeCell(0)) for key, *_ in areas],
        exact=ctx.exact,
        sensitive=ctx.subject.sensitive,
    )
    return [
        AreaRow(code=code, label=label, count=cell, population=pop, rate=_rate(cell, pop))
        for (_key, code, label, pop), cell in zip(areas, cells, strict=True)
    ]


def _map_rows(rows: list[AreaRow]) -> list[_MapRow]:
    return [_MapRow(r.code, r.label, r.count, r.rate_text) for r in rows]


def evidence_where(*, query: EvidenceQuery, audience: Audience) -> WhereResult:
    """Rates with intervals by authority, district, ward and LSOA; funnel; concentration; maps."""
    ctx = evidence_resolve(query=query, audience=audience)
    _label, _qm, _qd, q_lsoa = _area(query.area)
    by_lsoa = _sums(_cube(MonthlyCube, ctx, start=query.start, end=query.end), "lsoa_id")
    lsoas = list(
        Lsoa.objects.filter(q_lsoa, in_area=True)
        .values(
            "pk",
            "code",
            "name",
            "population_total",
            "ward_id",
            "ward__code",
            "ward__name",
            "ward__district__name",
            "district_id",
            "district__code",
            "district__name",
            "district__authority_id",
            "district__authority__code",
            "district__authority__name",
        )
        .order_by("code")
    )
    grouped: dict[str, dict[Any, list]] = {"authority": {}, "district": {}, "ward": {}}
    for lsoa in lsoas:
        cell = by_lsoa.get(lsoa["pk"], CubeCell(0))
        for level, key, code, label in (
            (
                "authority",
                lsoa["district__authority_id"],
                lsoa["district__authority__code"],
                lsoa["district__authority__name"],
            ),
            ("district", lsoa["district_id"], lsoa["district__code"], lsoa["district__name"]),
            (
                "ward",
                lsoa["ward_id"],
                lsoa["ward__code"],
                f"{lsoa['ward__name']} ({lsoa['ward__district__name']})"
                if lsoa["ward__district__name"]
                else lsoa["ward__name"],
            ),
        ):
            if key is None:
                continue
            entry = grouped[level].setdefault(key, [code, label, 0, [], 0])
            entry[2] += lsoa["population_total"] or 0
            entry[3].append(cell)
    tables: dict[str, Table] = {}
    rows_by_level: dict[str, list[AreaRow]] = {}
    for level in ("authority", "district", "ward"):
        entries = sorted(grouped[level].items(), key=lambda kv: kv[1][1] or "")
        counts = {key: _total(e[3]) for key, e in entries}
        areas = [(key, e[0], e[1], e[2] or None) for key, e in entries]
        rows_by_level[level] = _publish_areas(counts, areas, ctx)
    lsoa_rows = _publish_areas(
        by_lsoa,
        [(x["pk"], x["code"], x["name"], x["population_total"]) for x in lsoas],
        ctx,
    )
    # The funnel plot: each ward's rate against the area's rate, with 95% and 99.8% limits.
    # The target is the whole area's rate, from its own published total (never from the sum
    # of small areas' published counts, which leaves out every hidden one).
    area_total = _num(
        publish_one(
            _total(by_lsoa.get(x["pk"], CubeCell(0)) for x in lsoas),
            exact=ctx.exact,
            sensitive=ctx.subject.sensitive,
        )
    )
    population = sum(x["population_total"] or 0 for x in lsoas)
    target = PER * (area_total or 0) / population if population else 0.0
    funnel_points = []
    if target > 0:
        for row in rows_by_level["ward"]:
            if row.rate is None or not row.population:
                continue
            limits = stats.funnel_limits(target_rate=target, population=row.population, per=PER)
            lo95, hi95 = limits[0.95]
            lo998, hi998 = limits[0.998]
            if row.rate.rate > hi998:
                row.flag = "Above 99.8% limit"
            elif row.rate.rate > hi95:
                row.flag = "Above 95% limit"
            elif row.rate.rate < lo998:
                row.flag = "Below 99.8% limit"
            elif row.rate.rate < lo95:
                row.flag = "Below 95% limit"
            funnel_points.append(
                {
                    "ward": row.label,
                    "population": row.population,
                    "rate": round(row.rate.rate, 3),
                    "status": row.flag or "Within limits",
                }
            )
    for level in ("authority", "district", "ward"):
        tables[level] = _area_table(
            f"Rates by {level}", level, level.capitalize(), rows_by_level[level], ctx, []
        )
    hide_lsoas = audience.is_public and ctx.subject.sensitive
    if not hide_lsoas:
        tables["lsoa"] = _area_table("Rates by LSOA", "lsoa", "LSOA", lsoa_rows, ctx, [])
    funnel = None
    if funnel_points:
        populations = sorted({p["population"] for p in funnel_points})
        lo_pop, hi_pop = populations[0], populations[-1]
        steps = [lo_pop + (hi_pop - lo_pop) * i / 40 for i in range(41)]
        lines = []
        for pop in steps:
            limits = stats.funnel_limits(target_rate=target, population=pop, per=PER)
            for level, (lo, hi) in limits.items():
                name = f"{level:.1%} limits".replace(".0%", "%")
                lines.append({"population": pop, "limit": name, "bound": "lower", "rate": lo})
                lines.append({"population": pop, "limit": name, "bound": "upper", "rate": hi})
        outside = sum(1 for p in funnel_points if p["status"] != "Within limits")
        funnel = Chart(
            spec=funnel_spec(funnel_points, lines, target=target),
            summary=(
                f"Funnel plot of {len(funnel_points)} wards' rates against the area rate of "
                f"{target:.2f} per {PER:,}: {outside} lie outside the 95% limits."
            ),
            table=tables["ward"],
        )
    # Concentration: the share of records in the top 1%, 5% and 10% of LSOAs.
    shown = [c for c in (_num(r.count) for r in lsoa_rows) if c is not None]
    conc_rows = []
    if shown and sum(shown):
        fractions = stats.concentration(counts=shown)
        for share, fraction in sorted(fractions.items()):
            n = max(1, round(share * len(shown)))
            conc_rows.append([f"Top {share:.0%} of LSOAs ({n:,})", f"{100 * fraction:.1f}%"])
    concentration = Table(
        title="Concentration: share of records in the LSOAs with the most",
        columns=["LSOAs", "Share of records"],
        rows=conc_rows,
        source=ctx.source,
        period=ctx.period,
        denominator=f"All records in {len(shown):,} LSOAs with a shown count",
        notes=ctx.notes()
        + ([] if ctx.exact else ["LSOAs whose counts are hidden are left out of this measure."]),
        slug="concentration",
    )
    ward_map = area_map(ward_shapes(), _map_rows(rows_by_level["ward"]))
    lsoa_map = None if hide_lsoas else area_map(lsoa_shapes(), _map_rows(lsoa_rows))
    # The most frequent generalised locations (ranked on what is published only).
    location_counts = _sums(
        _cube(LocationCube, ctx, start=query.start, end=query.end), "location_text"
    )
    top = sorted(location_counts.items(), key=lambda kv: -kv[1].records)[:50]
    cells = publish_cells([c for _t, c in top], exact=ctx.exact, sensitive=ctx.subject.sensitive)
    ranked = sorted(
        ((t, c) for (t, _), c in zip(top, cells, strict=True) if is_shown(c)),
        key=lambda tc: (-int(tc[1]), tc[0]),
    )[:15]
    locations = Table(
        title="Most frequent locations",
        columns=["Location (as generalised by the source)", "Records"],
        rows=[[t, c] for t, c in ranked],
        source=ctx.source,
        period=ctx.period,
        notes=ctx.notes()
        + ["Locations are the sources' own generalised descriptions, e.g. 'On or near …'."],
        slug="locations",
    )
    return WhereResult(
        context=ctx,
        tables=tables,
        funnel=funnel,
        concentration=concentration,
        ward_map=ward_map,
        lsoa_map=lsoa_map,
        locations=locations,
        lsoas_hidden_reason=(
            "Not shown below ward level: sensitive subject in a public summary."
            if hide_lsoas
            else ""
        ),
    )


# ---------------------------------------------------------------------------
# When
# ---------------------------------------------------------------------------
@dataclass
class WhenResult:
    context: Context
    grid: Table
    grid_chart: Chart | None
    weekdays: Table
    weekday_chart: Chart | None
    months: Table
    month_chart: Chart | None
    night_time: Table
    timed: int
    day_only: int
    month_only: int
    notes: list[str]


def _aoristic_day() -> dict[int, float]:
    """The hour weights of a record known only to its day (aoristic weighting over 24 hours)."""
    monday = dt.datetime(2024, 1, 1)  # a Monday
    weights = stats.aoristic_hours(start=monday, end=monday + dt.timedelta(days=1))
    return {hour: weight for (weekday, hour), weight in weights.items() if weekday == 0}


def _night_time(weekday: int, hour: int) -> bool:
    """Friday and Saturday nights 20:00 to 06:00 (the night-time economy window)."""
    return (weekday in (5, 6) and hour >= 20) or (weekday in (6, 7) and hour < 6)


def evidence_when(*, query: EvidenceQuery, audience: Audience) -> WhenResult:
    """Hour × weekday (aoristic for day-only records), weekday, month of year, night-time window."""
    ctx = evidence_resolve(query=query, audience=audience)
    sums = _sums(
        _cube(WhenCube, ctx, start=query.start, end=query.end), "weekday", "hour", "date_precision"
    )
    grid: dict[tuple[int, int], float] = defaultdict(float)
    # Each hour cell's key sum: the keys of every record that contributes weight to it, so the
    # cell key method perturbs weighted cells by their records like any other cell.
    grid_keys: dict[tuple[int, int], int] = defaultdict(int)
    weekday_counts: dict[int, CubeCell] = {}
    timed = day_only = month_only = 0
    day_weights = _aoristic_day()
    for (weekday, hour, _precision), cell in sums.items():
        if weekday is None:
            month_only += cell.records
            continue
        weekday_counts[weekday] = _total([weekday_counts.get(weekday, CubeCell(0)), cell])
        if hour is not None:
            timed += cell.records
            grid[(weekday, hour)] += cell.records
            grid_keys[(weekday, hour)] += cell.cell_key_sum
        else:
            day_only += cell.records
            for h, weight in day_weights.items():
                grid[(weekday, h)] += cell.records * weight
                grid_keys[(weekday, h)] += cell.cell_key_sum
    # Disclosure: weighted cells are rounded to whole records first, each weekday a line.
    grid_cells: dict[tuple[int, int], Cell] = {}
    for weekday in range(1, 8):
        line = [
            CubeCell(round(grid.get((weekday, h), 0.0)), grid_keys.get((weekday, h), 0))
            for h in range(24)
        ]
        for h, cell in enumerate(
            publish_cells(line, exact=ctx.exact, sensitive=ctx.subject.sensitive)
        ):
            grid_cells[(weekday, h)] = cell
    notes = ctx.notes() + [
        f"{timed:,} records have a time; {day_only:,} are known only to the day and are spread "
        "evenly over its 24 hours (aoristic weighting); "
        f"{month_only:,} are known only to the month and are left out of the hour and day figures."
    ]
    total = timed + day_only + month_only
    if note := _unknown_note(timed, total, "the time of day"):
        notes.append(note)
    grid_table = Table(
        title="Records by hour and day of the week",
        columns=["Hour", *WEEKDAYS],
        rows=[[f"{h:02d}:00", *[grid_cells[(d, h)] for d in range(1, 8)]] for h in range(24)],
        source=ctx.source,
        period=ctx.period,
        notes=notes,
        slug="hour-weekday",
    )
    grid_points = [
        {"weekday": WEEKDAYS[d - 1], "hour": h, "records": int(grid_cells[(d, h)])}
        for d in range(1, 8)
        for h in range(24)
        if is_shown(grid_cells[(d, h)])
    ]
    busiest = max(grid_points, key=lambda p: p["records"], default=None)
    grid_chart = (
        Chart(
            spec=grid_spec(grid_points, weekdays=WEEKDAYS),
            summary=(
                f"Records by hour and weekday; the busiest hour is {busiest['weekday']} "
                f"{busiest['hour']:02d}:00."
            ),
            table=grid_table,
        )
        if busiest and busiest["records"] > 0
        else None
    )
    wd_cells = publish_cells(
        [weekday_counts.get(d, CubeCell(0)) for d in range(1, 8)],
        exact=ctx.exact,
        sensitive=ctx.subject.sensitive,
    )
    weekdays = Table(
        title="Records by day of the week",
        columns=["Day", "Records"],
        rows=[[WEEKDAYS[d], c] for d, c in enumerate(wd_cells)],
        source=ctx.source,
        period=ctx.period,
        notes=ctx.notes() + ["Only records known to at least the day."],
        slug="weekday",
    )
    wd_points = [
        {"label": WEEKDAYS[d], "records": int(c)} for d, c in enumerate(wd_cells) if is_shown(c)
    ]
    weekday_chart = (
        Chart(
            spec=bar_spec(wd_points, x_title="Records", sort=WEEKDAYS),
            summary="Records by day of the week; most on "
            f"{max(wd_points, key=lambda p: p['records'])['label']}.",
            table=weekdays,
        )
        if wd_points and any(p["records"] for p in wd_points)
        else None
    )
    by_month = _sums(_cube(MonthlyCube, ctx, start=query.start, end=query.end), "month")
    moy = [_total(c for m, c in by_month.items() if m.month == n) for n in range(1, 13)]
    moy_cells = publish_cells(moy, exact=ctx.exact, sensitive=ctx.subject.sensitive)
    names = [dt.date(2000, n, 1).strftime("%B") for n in range(1, 13)]
    months_table = Table(
        title="Records by month of the year",
        columns=["Month", "Records"],
        rows=[[names[i], c] for i, c in enumerate(moy_cells)],
        source=ctx.source,
        period=ctx.period,
        notes=ctx.notes() + ["A period shorter than a year leaves some months empty."],
        slug="month-of-year",
    )
    m_points = [
        {"label": names[i], "records": int(c)} for i, c in enumerate(moy_cells) if is_shown(c)
    ]
    month_chart = (
        Chart(
            spec=bar_spec(m_points, x_title="Records", sort=names),
            summary="Records by month of the year; most in "
            f"{max(m_points, key=lambda p: p['records'])['label']}.",
            table=months_table,
        )
        if m_points and any(p["records"] for p in m_points)
        else None
    )
    night = sum(v for (d, h), v in grid.items() if _night_time(d, h))
    known_hours = sum(grid.values())
    night_keys = sum(k for (d, h), k in grid_keys.items() if _night_time(d, h))
    other_keys = sum(k for (d, h), k in grid_keys.items() if not _night_time(d, h))
    night_cells = publish_cells(
        [CubeCell(round(night), night_keys), CubeCell(round(known_hours - night), other_keys)],
        exact=ctx.exact,
        sensitive=ctx.subject.sensitive,
    )
    share = ""
    if all(is_shown(c) for c in night_cells) and sum(int(c) for c in night_cells):
        share = f"{100 * int(night_cells[0]) / sum(int(c) for c in night_cells):.1f}%"
    night_time = Table(
        title="Night-time economy window (Friday and Saturday nights, 20:00 to 06:00)",
        columns=["Window", "Records", "Share"],
        rows=[
            ["Friday and Saturday 20:00 to 06:00", night_cells[0], share],
            ["All other hours", night_cells[1], ""],
        ],
        source=ctx.source,
        period=ctx.period,
        denominator="Records with a time or a day",
        notes=notes[-2:]
        + [
            "The window is the one the night-time economy priority's rules use: it starts on "
            "Friday and Saturday at 20:00 and runs to 06:00 the next morning."
        ],
        slug="night-time",
    )
    return WhenResult(
        context=ctx,
        grid=grid_table,
        grid_chart=grid_chart,
        weekdays=weekdays,
        weekday_chart=weekday_chart,
        months=months_table,
        month_chart=month_chart,
        night_time=night_time,
        timed=timed,
        day_only=day_only,
        month_only=month_only,
        notes=notes,
    )


# ---------------------------------------------------------------------------
# Who
# ---------------------------------------------------------------------------
@dataclass
class WhoResult:
    context: Context
    tables: dict[str, Table]
    charts: dict[str, Chart | None]
    under_25: Table
    rate_note: str
    notes: list[str]


def evidence_who(*, query: EvidenceQuery, audience: Audience) -> WhoResult:
    """Victims and suspects by age band and sex, the under-25 share, and why rates are missing."""
    ctx = evidence_resolve(query=query, audience=audience)
    sums = _sums(_cube(WhoCube, ctx, start=query.start, end=query.end), "role", "age_band", "sex")
    tables: dict[str, Table] = {}
    charts: dict[str, Chart | None] = {}
    under_rows = []
    notes = ctx.notes()
    for role, role_label in (("victim", "Victims"), ("suspect", "Suspects")):
        rows = []
        points = []
        total = sum(c.records for (r, _a, _s), c in sums.items() if r == role)
        known_cell = _total(c for (r, a, _s), c in sums.items() if r == role and a != "unknown")
        known_age = known_cell.records
        total_cell = _total(c for (r, _a, _s), c in sums.items() if r == role)
        # The chart's summary shows these two to readers who may not see exact figures.
        known_shown, total_shown = (
            publish_one(cell, exact=ctx.exact, sensitive=ctx.subject.sensitive)
            for cell in (known_cell, total_cell)
        )
        for band in AGE_BANDS:
            line = [sums.get((role, band, sex), CubeCell(0)) for sex in SEXES]
            cells = publish_cells(line, exact=ctx.exact, sensitive=ctx.subject.sensitive)
            rows.append([dict(IncidentRecord.AgeBand.choices)[band], *cells])
            for sex, cell in zip(SEXES, cells, strict=True):
                if sex in ("female", "male") and band != "unknown" and is_shown(cell):
                    points.append({"age": band, "sex": sex.capitalize(), "records": int(cell)})
        role_notes = list(notes)
        if note := _unknown_note(known_age, total, f"the {role}'s age"):
            role_notes.append(note)
        tables[role] = Table(
            title=f"{role_label} by age band and sex",
            columns=["Age band", *[dict(IncidentRecord.Sex.choices)[s] for s in SEXES]],
            rows=rows,
            source=ctx.source,
            period=ctx.period,
            notes=role_notes,
            slug=role,
        )
        charts[role] = (
            Chart(
                spec=pyramid_spec(points, bands=[b for b in AGE_BANDS if b != "unknown"]),
                summary=(
                    f"{role_label} by age band, females to the left and males to the right; "
                    f"the age is known for {_figure(known_shown)} of {_figure(total_shown)} "
                    "records."
                ),
                table=tables[role],
            )
            if points
            else None
        )
        under = publish_cells(
            [
                _total(c for (r, a, _s), c in sums.items() if r == role and a in UNDER_25),
                known_cell,
            ],
            exact=ctx.exact,
            sensitive=ctx.subject.sensitive,
        )
        share = ""
        if all(is_shown(c) for c in under) and int(under[1]):
            share = f"{100 * int(under[0]) / int(under[1]):.1f}%"
        under_rows.append([role_label, under[0], under[1], share])
    bands = (
        Lsoa.objects.filter(in_area=True)
        .exclude(population_bands={})
        .values_list("population_bands", flat=True)
        .first()
    )
    has_single_years = bool(bands) and any(str(k).strip().isdigit() for k in bands)
    rate_note = (
        "Rates per 1,000 residents under 25 need single-year-of-age populations (to count the "
        "16 to 24 year olds). "
        + (
            "They are loaded."
            if has_single_years
            else "The population loaded has only the age bands "
            + (", ".join(sorted(bands)) if bands else "(none)")
            + ", which do not split at 25, so the rate is not shown."
        )
    )
    under_25 = Table(
        title="Under-25s among victims and suspects of known age",
        columns=["Role", "Under 25", "Of known age", "Share under 25"],
        rows=under_rows,
        source=ctx.source,
        period=ctx.period,
        denominator="Victims or suspects whose age band is known",
        notes=notes + [rate_note],
        slug="under-25",
    )
    return WhoResult(
        context=ctx,
        tables=tables,
        charts=charts,
        under_25=under_25,
        rate_note=rate_note,
        notes=notes,
    )


# ---------------------------------------------------------------------------
# Deprivation
# ---------------------------------------------------------------------------
@dataclass
class DeprivationResult:
    context: Context
    table: Table
    chart: Chart | None
    ratio: stats.Change | None
    ratio_text: str


def evidence_deprivation(*, query: EvidenceQuery, audience: Audience) -> DeprivationResult:
    """Rates by IMD decile with intervals, and the most to least deprived rate ratio."""
    ctx = evidence_resolve(query=query, audience=audience)
    _label, _qm, _qd, q_lsoa = _area(query.area)
    by_decile = _sums(
        _cube(MonthlyCube, ctx, start=query.start, end=query.end).filter(
            lsoa__imd_decile__isnull=False
        ),
        "lsoa__imd_decile",
    )
    populations = dict(
        Lsoa.objects.filter(q_lsoa, in_area=True, imd_decile__isnull=False)
        .values("imd_decile")
        .annotate(p=Sum("population_total"))
        .order_by()
        .values_list("imd_decile", "p")
    )
    deciles = list(range(1, 11))
    cells = publish_cells(
        [by_decile.get(d, CubeCell(0)) for d in deciles],
        exact=ctx.exact,
        sensitive=ctx.subject.sensitive,
    )
    rows = []
    points = []
    rates: dict[int, stats.RateCI | None] = {}
    for decile, cell in zip(deciles, cells, strict=True):
        population = populations.get(decile)
        rate = _rate(cell, population)
        rates[decile] = rate
        label = f"{decile}" + {1: " (most deprived)", 10: " (least deprived)"}.get(decile, "")
        rows.append([label, cell, population or "", _fmt(rate.rate if rate else None), _ci(rate)])
        if rate is not None:
            points.append(
                {
                    "decile": decile,
                    "rate": round(rate.rate, 3),
                    "lower": rate.lower,
                    "upper": rate.upper,
                }
            )
    ratio = None
    ratio_text = "Not shown: a count or population of the most or least deprived decile is missing."
    most, least = cells[0], cells[-1]
    shown = is_shown(most) and is_shown(least) and populations.get(1) and populations.get(10)
    if shown and int(least) > 0:
        ratio = stats.compare_counts(
            current=int(most),
            previous=int(least),
            exposure_ratio=populations[1] / populations[10],
        )
        if ratio.ratio is not None:
            ratio_text = (
                f"The most deprived tenth's rate is {ratio.ratio:.2f} times the least "
                f"deprived's (95% CI {ratio.lower:.2f} to {ratio.upper:.2f}); "
                + ("a significant difference." if ratio.significant else "not significant.")
            )
    table = Table(
        title="Rates by deprivation decile (IMD 2019)",
        columns=["IMD decile", "Records", "Residents", f"Rate per {PER:,}", "95% CI"],
        rows=rows,
        source=ctx.source + "; English Indices of Deprivation 2019",
        period=ctx.period,
        denominator="Residents of the LSOAs in each decile",
        notes=ctx.notes() + [ratio_text, "Records without a known LSOA are left out."],
        slug="deciles",
    )
    chart = (
        Chart(
            spec=bar_spec(
                [
                    {
                        "label": str(p["decile"]),
                        "records": p["rate"],
                        "lower": p["lower"],
                        "upper": p["upper"],
                    }
                    for p in points
                ],
                x_title=f"Rate per {PER:,} residents",
                sort=[str(d) for d in deciles],
                y_title="IMD decile (1 = most deprived)",
                error_bars=True,
            ),
            summary=f"Rates by deprivation decile with 95% intervals. {ratio_text}",
            table=table,
        )
        if points
        else None
    )
    return DeprivationResult(
        context=ctx, table=table, chart=chart, ratio=ratio, ratio_text=ratio_text
    )


# ---------------------------------------------------------------------------
# Police and health
# ---------------------------------------------------------------------------
@dataclass
class PoliceHealthResult:
    context: Context
    police: list[Dataset]
    health: list[Dataset]
    by_month: Table
    chart: Chart | None
    by_area: Table
    places: Table
    ratio_text: str


def evidence_police_health(*, query: EvidenceQuery, audience: Audience) -> PoliceHealthResult:
    """ISTV emergency-department assaults beside police-recorded violence, by month and area."""
    ctx = evidence_resolve(query=query, audience=audience)
    health = [d for d in ctx.datasets if d.format == Dataset.Format.ISTV]
    police = [
        d for d in ctx.datasets if d.format != Dataset.Format.ISTV and d.owner.kind == "police"
    ]
    health_ids = [d.pk for d in health]
    police_ids = [d.pk for d in police]
    exact_h = audience.is_exact(health_ids)
    exact_p = audience.is_exact(police_ids)
    sensitive = ctx.subject.sensitive
    months = months_between(query.start, query.end)
    rows = _cube(MonthlyCube, ctx, start=query.start, end=query.end, subject=False)
    # Hospital attendances are all assaults: the subject filters the police side only.
    both = rows.filter(
        Q(dataset_id__in=health_ids) | (Q(dataset_id__in=police_ids) & ctx.subject.q)
    )
    sums = _sums(both, "dataset_id", "month")
    h_month = [
        _total(c for (d, m), c in sums.items() if d in health_ids and m == mm) for mm in months
    ]
    p_month = [
        _total(c for (d, m), c in sums.items() if d in police_ids and m == mm) for mm in months
    ]
    h_cells = publish_cells(h_month, exact=exact_h, sensitive=sensitive)
    p_cells = publish_cells(p_month, exact=exact_p, sensitive=sensitive)

    def ratio(h: Cell, p: Cell) -> str:
        if NOT_LOADED in (h, p):
            return ""
        if is_shown(h) and is_shown(p) and int(p):
            return f"{int(h) / int(p):.2f}"
        return ""

    # A month after a side's latest loaded month is "not loaded yet", not a count of 0 (hospital
    # extracts often arrive a month later than police data).
    h_last = max((m for m, c in zip(months, h_month, strict=True) if c.records), default=None)
    p_last = max((m for m, c in zip(months, p_month, strict=True) if c.records), default=None)
    h_cells = [
        c if h_last and m <= h_last else NOT_LOADED for m, c in zip(months, h_cells, strict=True)
    ]
    p_cells = [
        c if p_last and m <= p_last else NOT_LOADED for m, c in zip(months, p_cells, strict=True)
    ]
    by_month = Table(
        title="Hospital assault attendances and police-recorded violence by month",
        columns=[
            "Month",
            "Hospital (ISTV) attendances",
            "Police records",
            "Hospital per police record",
        ],
        rows=[
            [month_label(m), h, p, ratio(h, p)]
            for m, h, p in zip(months, h_cells, p_cells, strict=True)
        ],
        source="; ".join(d.name for d in health + police) or "No ISTV or police datasets chosen",
        period=ctx.period,
        denominator="Police records of the chosen subject",
        notes=ctx.notes()
        + ["Hospital attendances are every assault the emergency departments shared."],
        slug="by-month",
    )
    points = [
        {"month": f"{m:%Y-%m-01}", "series": name, "value": int(v)}
        for m, h, p in zip(months, h_cells, p_cells, strict=True)
        for name, v in (("Hospital attendances", h), ("Police records", p))
        if is_shown(v) and v != NOT_LOADED
    ]
    chart = (
        Chart(
            spec=line_spec(points, y_title="Records a month"),
            summary=(
                "Hospital assault attendances and police-recorded violence by month, "
                f"{period_label(query.start, query.end)}."
            ),
            table=by_month,
        )
        if points and health and police
        else None
    )
    # The ratio over the months both sides have loaded.
    both = [i for i, m in enumerate(months) if h_last and p_last and m <= min(h_last, p_last)]
    h_total = publish_one(_total(h_month[i] for i in both), exact=exact_h, sensitive=sensitive)
    p_total = publish_one(_total(p_month[i] for i in both), exact=exact_p, sensitive=sensitive)
    ratio_text = (
        f"For every police record there were {ratio(h_total, p_total)} hospital attendances."
        if ratio(h_total, p_total)
        else "The ratio cannot be shown for this choice."
    )
    # By district.
    d_sums = _sums(
        _cube(PlaceCube, ctx, start=query.start, end=query.end, subject=False).filter(
            Q(dataset_id__in=health_ids) | (Q(dataset_id__in=police_ids) & ctx.subject.q)
        ),
        "dataset_id",
        "district_id",
        "district__name",
    )
    districts = sorted({(k[1], k[2]) for k in d_sums if k[1] is not None}, key=lambda x: x[1])
    h_d = publish_cells(
        [
            _total(c for k, c in d_sums.items() if k[0] in health_ids and k[1] == d)
            for d, _ in districts
        ],
        exact=exact_h,
        sensitive=sensitive,
    )
    p_d = publish_cells(
        [
            _total(c for k, c in d_sums.items() if k[0] in police_ids and k[1] == d)
            for d, _ in districts
        ],
        exact=exact_p,
        sensitive=sensitive,
    )
    by_area = Table(
        title="Hospital attendances and police records by district",
        columns=[
            "District",
            "Hospital (ISTV) attendances",
            "Police records",
            "Hospital per police record",
        ],
        rows=[
            [name, h, p, ratio(h, p)] for (_d, name), h, p in zip(districts, h_d, p_d, strict=True)
        ],
        source=by_month.source,
        period=ctx.period,
        notes=ctx.notes(),
        slug="by-district",
    )
    # Places the hospital data names that police data does not.
    loc = _sums(
        _cube(LocationCube, ctx, start=query.start, end=query.end, subject=False).filter(
            Q(dataset_id__in=health_ids) | (Q(dataset_id__in=police_ids) & ctx.subject.q)
        ),
        "dataset_id",
        "location_text",
    )
    hospital_places: dict[str, CubeCell] = defaultdict(lambda: CubeCell(0))
    police_places: dict[str, int] = defaultdict(int)
    for (dataset_id, text), cell in loc.items():
        key = text.strip().lower()
        if dataset_id in health_ids:
            hospital_places[text] = _total([hospital_places[text], cell])
        else:
            police_places[key] += cell.records
    top = sorted(hospital_places.items(), key=lambda kv: -kv[1].records)[:40]
    h_cells_p = publish_cells([c for _t, c in top], exact=exact_h, sensitive=sensitive)
    place_rows = [
        [text, cell, "Yes" if police_places.get(text.strip().lower()) else "No"]
        for (text, _c), cell in zip(top, h_cells_p, strict=True)
        if is_shown(cell)
    ][:20]
    places = Table(
        title="Places named by hospital data, and whether police data names them",
        columns=[
            "Place (as the emergency department recorded it)",
            "Attendances",
            "In police data",
        ],
        rows=place_rows,
        source=by_month.source,
        period=ctx.period,
        notes=ctx.notes()
        + ["A place is 'in police data' when a police record of the subject names the same words."],
        slug="places",
    )
    return PoliceHealthResult(
        context=ctx,
        police=police,
        health=health,
        by_month=by_month,
        chart=chart,
        by_area=by_area,
        places=places,
        ratio_text=ratio_text,
    )


# ---------------------------------------------------------------------------
# Data quality and who's late
# ---------------------------------------------------------------------------
@dataclass
class DatasetQuality:
    dataset: Dataset
    first_month: dt.date | None
    latest_month: dt.date | None
    missing: list[dt.date]
    last_upload: dt.datetime | None
    lag_days: int | None
    late: bool
    due: dt.date | None
    refreshed_at: dt.datetime | None


@dataclass
class DataQualityResult:
    datasets: list[DatasetQuality]
    latest: Table
    completeness: Table
    calendar: Table
    calendar_months: list[dt.date]


CADENCE_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def _month_end(month: dt.date) -> dt.date:
    return month_add(month, 1) - dt.timedelta(days=1)


def evidence_data_quality(
    *, audience: Audience, dataset_ids: Iterable[int] | None = None, today: dt.date | None = None
) -> DataQualityResult:
    """Latest month, gaps, upload lag, field completeness and the expected-upload calendar."""
    from django.utils import timezone

    today = today or timezone.localdate()
    ids = sorted(
        audience.visible_ids if dataset_ids is None else set(dataset_ids) & audience.visible_ids
    )
    datasets = list(
        Dataset.objects.select_related("owner").filter(pk__in=ids).order_by("owner__name", "name")
    )
    months_by_ds: dict[int, set[dt.date]] = defaultdict(set)
    fields = [
        "records",
        "with_age",
        "with_sex",
        "with_weapon",
        "with_time",
        "with_day",
        "with_location_type",
        "with_area",
        "with_category",
    ]
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(fields, 0))
    for row in QualityCube.objects.filter(dataset_id__in=ids).values(
        "dataset_id", "month", *fields
    ):
        months_by_ds[row["dataset_id"]].add(row["month"])
        for f in fields:
            totals[row["dataset_id"]][f] += row[f]
    uploads = dict(
        Upload.objects.filter(dataset_id__in=ids, status=Upload.Status.IMPORTED)
        .values("dataset_id")
        .annotate(last=Max("finished_at"))
        .order_by()
        .values_list("dataset_id", "last")
    )
    refreshed = dict(
        CubeRefresh.objects.filter(dataset_id__in=ids).values_list("dataset_id", "refreshed_at")
    )
    # Each dataset's record total with its key sum: shown through disclosure control to readers
    # without record-level access to that dataset (the percentages are shares, not counts).
    keyed_totals = {
        row["dataset_id"]: CubeCell(row["n"] or 0, row["k"] or 0)
        for row in MonthlyCube.objects.filter(dataset_id__in=ids)
        .values("dataset_id")
        .annotate(n=Sum("records"), k=Sum("cell_key_sum"))
        .order_by()
    }
    quality = []
    latest_rows = []
    completeness_rows = []
    calendar_months = [month_add(today.replace(day=1), -i) for i in range(12, 0, -1)]
    calendar_rows = []
    for d in datasets:
        months = sorted(months_by_ds.get(d.pk, ()))
        first, latest = (months[0], months[-1]) if months else (None, None)
        missing = (
            [m for m in months_between(first, latest) if m not in set(months)] if months else []
        )
        last_upload = uploads.get(d.pk)
        lag = (
            (timezone.localtime(last_upload).date() - _month_end(latest)).days
            if last_upload and latest
            else None
        )
        step = CADENCE_MONTHS.get(d.cadence)
        # Data for a month is due by the end of the following month (cadence permitting).
        due = month_add(latest, step + 1) - dt.timedelta(days=1) if latest and step else None
        late = bool(d.is_active and step and (latest is None or (due is not None and today > due)))
        quality.append(
            DatasetQuality(
                d, first, latest, missing, last_upload, lag, late, due, refreshed.get(d.pk)
            )
        )
        latest_rows.append(
            [
                d.name,
                d.owner.name,
                d.get_cadence_display(),
                month_label(latest) if latest else "Nothing loaded",
                ", ".join(month_label(m) for m in missing[:6]) + (" …" if len(missing) > 6 else "")
                if missing
                else "None",
                f"{lag:,} days" if lag is not None else "",
                "Late" if late else "On time" if step else "No cadence",
            ]
        )
        t = totals.get(d.pk)
        n = t["records"] if t else 0

        def pct(key: str, t: dict[str, int] | None = t, n: int = n) -> str:
            return f"{100 * t[key] / n:.0f}%" if t and n else ""

        shown_total = publish_one(
            keyed_totals.get(d.pk, CubeCell(n)),
            exact=audience.is_exact([d.pk]),
            sensitive=False,
        )
        completeness_rows.append(
            [
                d.name,
                shown_total,
                pct("with_area"),
                pct("with_category"),
                pct("with_day"),
                pct("with_time"),
                pct("with_age"),
                pct("with_sex"),
                pct("with_weapon"),
                pct("with_location_type"),
            ]
        )
        have = set(months)
        row: list[object] = [d.name]
        for month in calendar_months:
            if step is None or (month.month - 1) % step != (step - 1) % step and step != 1:
                row.append("Not expected")
            elif month in have:
                row.append("Loaded")
            elif today > month_add(month, 2) - dt.timedelta(days=1):
                row.append("Late")
            else:
                row.append("Not due yet")
        calendar_rows.append(row)
    source = "The portal's upload records and the datasets' aggregates"
    period = period_label(calendar_months[0], calendar_months[-1])
    latest_table = Table(
        title="Latest month loaded, gaps and upload lag",
        columns=[
            "Dataset",
            "Owner",
            "Cadence",
            "Latest month",
            "Months missing",
            "Lag from month end to last upload",
            "Status",
        ],
        rows=latest_rows,
        source=source,
        period="All months loaded",
        notes=["A month's data is due by the end of the following month."],
        slug="latest",
    )
    completeness = Table(
        title="Completeness: share of records with each field known",
        columns=[
            "Dataset",
            "Records",
            "Area (LSOA)",
            "Category",
            "Day",
            "Time",
            "Age",
            "Sex",
            "Weapon",
            "Location type",
        ],
        rows=completeness_rows,
        source=source,
        period="All months loaded",
        denominator="All records of the dataset",
        notes=["Counts of records are exact here only as totals per dataset; no cell is small."],
        slug="completeness",
    )
    calendar = Table(
        title="Expected uploads in the last 12 months",
        columns=["Dataset", *[month_label(m) for m in calendar_months]],
        rows=calendar_rows,
        source=source,
        period=period,
        notes=["'Late' means the month was due by the end of the following month and is missing."],
        slug="calendar",
    )
    return DataQualityResult(
        datasets=quality,
        latest=latest_table,
        completeness=completeness,
        calendar=calendar,
        calendar_months=calendar_months,
    )


# ---------------------------------------------------------------------------
# For the SNA: context and fingerprint
# ---------------------------------------------------------------------------
@dataclass
class ContextResult:
    area_label: str
    population: int
    population_year: int | None
    population_bands: Table
    deprivation: Table


def evidence_context(*, area: Area) -> ContextResult:
    """Population, its age bands and deprivation of an area (the SNA's context chapter)."""
    label, _qm, _qd, q_lsoa = _area(area)
    lsoas = list(
        Lsoa.objects.filter(q_lsoa, in_area=True).values(
            "population_total", "population_bands", "population_year", "imd_decile"
        )
    )
    bands: dict[str, int] = defaultdict(int)
    deciles: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for x in lsoas:
        for band, n in (x["population_bands"] or {}).items():
            bands[band] += n or 0
        if x["imd_decile"]:
            deciles[x["imd_decile"]][0] += 1
            deciles[x["imd_decile"]][1] += x["population_total"] or 0
    population = sum(x["population_total"] or 0 for x in lsoas)
    year = max((x["population_year"] or 0 for x in lsoas), default=0) or None
    source = "ONS mid-year population estimates; English Indices of Deprivation 2019"
    return ContextResult(
        area_label=label,
        population=population,
        population_year=year,
        population_bands=Table(
            title=f"Residents of {label} by age",
            columns=["Age band", "Residents"],
            rows=[[b, n] for b, n in bands.items()],
            source=source,
            period=f"mid-{year}" if year else "",
        ),
        deprivation=Table(
            title=f"LSOAs and residents of {label} by deprivation decile",
            columns=["IMD decile (1 = most deprived)", "LSOAs", "Residents"],
            rows=[[d, *deciles[d]] for d in sorted(deciles)],
            source=source,
            period="2019",
        ),
    )


def evidence_fingerprint_inputs(
    *, dataset_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[str, Any]:
    """What an SNA's figures depend on: uploads and their file hashes, record count, a hash of
    the records' row hashes, and reference data versions. Reads records once (a report build)."""
    ids = sorted(dataset_ids)
    uploads = list(
        Upload.objects.filter(dataset_id__in=ids, status=Upload.Status.IMPORTED)
        .order_by("pk")
        .values_list("pk", "sha256")
    )
    records = IncidentRecord.objects.filter(
        dataset_id__in=ids, occurred_on__gte=start, occurred_on__lt=month_add(end, 1)
    )
    digest = hashlib.sha256()
    count = 0
    for row_hash in (
        records.order_by("dataset_id", "source_ref")
        .values_list("row_hash", flat=True)
        .iterator(chunk_size=5000)
    ):
        digest.update(row_hash.encode())
        count += 1
    reference = {
        "priorities": list(
            PriorityCrimeType.objects.order_by("pk").values_list("pk", "slug", "bit", "is_active")
        ),
        "categories": CrimeCategory.objects.count(),
        "lsoas": Lsoa.objects.filter(in_area=True).aggregate(
            n=Sum("population_total"), year=Max("population_year")
        ),
        "boundaries": Boundary.objects.count(),
    }
    return {
        "uploads": [{"id": pk, "sha256": sha} for pk, sha in uploads],
        "records": count,
        "records_hash": digest.hexdigest(),
        "reference": reference,
    }


# ---------------------------------------------------------------------------
# Alerts and methodology
# ---------------------------------------------------------------------------
@dataclass
class AlertsResult:
    breaches: list[AlertBreach]
    table: Table
    wants_digest: bool
    is_analyst: bool


def evidence_alerts(*, audience: Audience, user: Any) -> AlertsResult:
    """Recorded rule breaches in the datasets the reader may see, and their e-mail choice."""
    from partners.selectors import user_roles

    from .models import AlertSubscription

    breaches = list(
        AlertBreach.objects.filter(dataset_id__in=audience.visible_ids)
        .select_related("priority", "dataset")
        .order_by("-month", "priority__display_order", "dataset__name")[:200]
    )
    subscription = AlertSubscription.objects.filter(user=user).first()
    table = Table(
        title="Exception alerts",
        columns=["Month", "Priority", "Dataset", "Rule broken", "Direction", "Found on"],
        rows=[
            [
                month_label(b.month),
                b.priority.name,
                b.dataset.name,
                b.get_rule_display(),
                b.direction,
                f"{b.found_at:%d %B %Y}",
            ]
            for b in breaches
        ],
        source="Control charts (c-charts) of each dataset's monthly records per priority",
        period="The last 12 months loaded of each dataset",
        notes=[
            "Limits come from up to 24 months before those 12 (or the first 24 months).",
        ],
        slug="alerts",
    )
    return AlertsResult(
        breaches=breaches,
        table=table,
        wants_digest=subscription.wants_digest if subscription else True,
        is_analyst="analyst" in user_roles(user),
    )


@dataclass
class MethodologyResult:
    datasets: list[Dataset]
    population_year: int | None
    population: int
    refreshed: dict[int, Any]


def evidence_methodology(*, audience: Audience) -> MethodologyResult:
    """The sources (datasets), the population denominators and when aggregates were rebuilt."""
    datasets = list(
        Dataset.objects.filter(pk__in=audience.visible_ids)
        .select_related("owner")
        .order_by("owner__name", "name")
    )
    population = Lsoa.objects.filter(in_area=True).aggregate(
        n=Sum("population_total"), year=Max("population_year")
    )
    refreshed = dict(
        CubeRefresh.objects.filter(dataset_id__in=audience.visible_ids).values_list(
            "dataset_id", "refreshed_at"
        )
    )
    return MethodologyResult(
        datasets=datasets,
        population_year=population["year"],
        population=population["n"] or 0,
        refreshed=refreshed,
    )
