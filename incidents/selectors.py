"""Reads of the incidents app: dataset overviews, record lists and aggregates computed in SQL.

Aggregates are GROUP BY queries whose number does not depend on the data's size; disclosure
control (core.disclosure) is applied to their results for people without record-level access.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from core.disclosure import (
    SENSITIVE,
    STANDARD,
    SUPPRESSED,
    Cell,
    KeyedCount,
    Rule,
    disclose_cell,
    disclose_series,
    disclose_table,
    rule_for,
    too_few,
)

from . import access
from .maps import AreaMap, area_map, ward_shapes
from .models import (
    CrimeCategory,
    Dataset,
    DataSharingAgreement,
    District,
    IncidentRecord,
    Lsoa,
    PriorityCrimeType,
)


# ---------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------
@dataclass
class DatasetRow:
    dataset: Dataset
    record_level: bool
    agreement: DataSharingAgreement | None
    agreement_status: str
    agreement_detail: str
    can_upload: bool = False

    @property
    def access_label(self) -> str:
        return "Record level" if self.record_level else "Aggregates only"


def datasets_overview(user: Any) -> list[DatasetRow]:
    """Every dataset the person can see (all, for aggregates) with access level and agreement."""
    today = timezone.localdate()
    agreements = DataSharingAgreement.objects.order_by("-start_date", "-end_date", "-pk")
    rows = []
    for dataset in access.datasets_for_user(user).prefetch_related(
        Prefetch("agreements", queryset=agreements, to_attr="agreement_list")
    ):
        current = next(
            (a for a in dataset.agreement_list if a.start_date <= today <= a.end_date), None
        )
        if current is not None:
            status, detail = "Current", f"until {current.end_date:%-d %B %Y}"
        elif any(a.start_date > today for a in dataset.agreement_list):
            status, detail = "Not started", "uploads refused until it starts"
        elif dataset.agreement_list:
            lapsed = max(dataset.agreement_list, key=lambda a: a.end_date)
            status, detail = "Lapsed", f"on {lapsed.end_date:%-d %B %Y}"
        else:
            status, detail = "None", "uploads refused"
        rows.append(
            DatasetRow(
                dataset=dataset,
                record_level=bool(dataset.record_level),
                agreement=current,
                agreement_status=status,
                agreement_detail=detail,
                can_upload=access.can_upload(user, dataset),
            )
        )
    return rows


def dataset_months(dataset: Dataset) -> list[dt.date]:
    """First days of the months from the dataset's earliest to latest record (newest first)."""
    bounds = IncidentRecord.objects.filter(dataset=dataset).aggregate(
        first=Min("occurred_on"), last=Max("occurred_on")
    )
    if bounds["first"] is None:
        return []
    month = bounds["first"].replace(day=1)
    last = bounds["last"].replace(day=1)
    months = []
    while month <= last and len(months) < 240:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return list(reversed(months))


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------
SORTS: OrderedDict[str, tuple[str, list[str]]] = OrderedDict(
    [
        ("newest", ("Newest first", ["-occurred_on", "-occurred_at", "-pk"])),
        ("oldest", ("Oldest first", ["occurred_on", "occurred_at", "pk"])),
        ("category", ("Category", ["category__display_order", "category__name", "-occurred_on"])),
        ("area", ("Area (LSOA code)", ["lsoa__code", "-occurred_on"])),
        ("reference", ("Source reference", ["source_ref"])),
    ]
)


@dataclass
class RecordFilters:
    month_from: dt.date | None = None
    month_to: dt.date | None = None
    category: CrimeCategory | None = None
    priority: PriorityCrimeType | None = None
    district: District | None = None
    lsoa: Lsoa | None = None
    sort: str = "newest"
    applied: dict[str, str] = field(default_factory=dict)

    def period_lookups(self) -> dict[str, dt.date]:
        """Lookups on occurred_on for the months (the 'to' month included)."""
        lookups = {}
        if self.month_from:
            lookups["occurred_on__gte"] = self.month_from
        if self.month_to:
            lookups["occurred_on__lt"] = (self.month_to + dt.timedelta(days=32)).replace(day=1)
        return lookups

    def q(self) -> Q:
        """The filter on IncidentRecord."""
        q = Q(**self.period_lookups())
        if self.category:
            q &= Q(category=self.category)
        if self.priority:
            q &= Q(priority_bits__bitany=self.priority.mask)
        if self.district:
            q &= Q(lsoa__district=self.district)
        if self.lsoa:
            q &= Q(lsoa=self.lsoa)
        return q


def records_for_list(*, dataset: Dataset, filters: RecordFilters) -> QuerySet[IncidentRecord]:
    """A dataset's records, filtered and sorted, with what the list shows (no N+1)."""
    ordering = SORTS.get(filters.sort, SORTS["newest"])[1]
    return (
        IncidentRecord.objects.filter(dataset=dataset)
        .filter(filters.q())
        .select_related("category", "lsoa", "lsoa__district")
        .order_by(*ordering)
    )


def with_priorities(records: list[IncidentRecord]) -> list[IncidentRecord]:
    """Set ``counts_towards`` on each record: the priorities its bits name, in display order."""
    priorities = list(PriorityCrimeType.objects.all())
    for record in records:
        record.counts_towards = counts_towards(record, priorities)  # type: ignore[attr-defined]
    return records


def counts_towards(
    record: IncidentRecord, priorities: list[PriorityCrimeType]
) -> list[PriorityCrimeType]:
    return [p for p in priorities if record.priority_bits & p.mask]


def record_for_detail(*, dataset: Dataset, pk: int) -> IncidentRecord:
    """One record of the dataset (404 when it belongs to another dataset)."""
    from django.shortcuts import get_object_or_404

    record = get_object_or_404(
        IncidentRecord.objects.select_related(
            "category", "lsoa", "lsoa__district__authority", "lsoa__ward", "upload"
        ),
        dataset=dataset,
        pk=pk,
    )
    return with_priorities([record])[0]


EXPORT_COLUMNS = [
    ("source_ref", "Source reference"),
    ("occurred_on", "Occurred on"),
    ("occurred_at", "Occurred at"),
    ("date_precision", "Date precision"),
    ("category", "Category"),
    ("priorities", "Priorities"),
    ("lsoa", "LSOA code"),
    ("lsoa_name", "LSOA name"),
    ("district", "District"),
    ("outside_area", "Outside the partnership area"),
    ("location_text", "Location"),
    ("location_type", "Location type"),
    ("weapon", "Weapon"),
    ("domestic_abuse", "Domestic abuse"),
    ("alcohol_involved", "Alcohol involved"),
    ("exploitation", "Exploitation"),
    ("victim_age_band", "Victim age band"),
    ("victim_sex", "Victim sex"),
    ("suspect_age_band", "Suspect age band"),
    ("suspect_sex", "Suspect sex"),
    ("injury_severity", "Injury severity"),
    ("outcome", "Outcome"),
    ("offence_code", "Offence code"),
]
COORDINATE_COLUMNS = [("latitude", "Latitude"), ("longitude", "Longitude")]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def records_export_rows(
    *, dataset: Dataset, filters: RecordFilters, coordinates: bool
) -> Iterator[list[Any]]:
    """Header then one row per record, streamed in chunks (constant memory)."""
    columns = EXPORT_COLUMNS + (COORDINATE_COLUMNS if coordinates else [])
    yield [label for _name, label in columns]
    records = records_for_list(dataset=dataset, filters=filters)
    priorities = list(PriorityCrimeType.objects.all())
    for record in records.iterator(chunk_size=2000):
        values = {
            "source_ref": record.source_ref,
            "occurred_on": record.occurred_on.isoformat(),
            "occurred_at": (
                timezone.localtime(record.occurred_at).isoformat(timespec="minutes")
                if record.occurred_at
                else ""
            ),
            "date_precision": record.date_precision,
            "category": record.category.name if record.category else "",
            "priorities": "; ".join(p.name for p in counts_towards(record, priorities)),
            "lsoa": record.lsoa.code if record.lsoa else "",
            "lsoa_name": record.lsoa.name if record.lsoa else "",
            "district": record.lsoa.district.name if record.lsoa and record.lsoa.district else "",
            "outside_area": _yes_no(record.outside_area),
            "location_text": record.location_text,
            "location_type": record.get_location_type_display(),
            "weapon": record.get_weapon_display(),
            "domestic_abuse": _yes_no(record.domestic_abuse),
            "alcohol_involved": _yes_no(record.alcohol_involved),
            "exploitation": _yes_no(record.exploitation),
            "victim_age_band": record.victim_age_band,
            "victim_sex": record.victim_sex,
            "suspect_age_band": record.suspect_age_band,
            "suspect_sex": record.suspect_sex,
            "injury_severity": record.injury_severity,
            "outcome": record.outcome,
            "offence_code": record.offence_code,
            "latitude": record.latitude if record.latitude is not None else "",
            "longitude": record.longitude if record.longitude is not None else "",
        }
        yield [values[name] for name, _label in columns]


# ---------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------
TOP_WARDS = 20


def _ward_label(ward: dict[str, Any]) -> str:
    # Ward names repeat across districts (Castle, All Saints…): say which district.
    district = ward["ward__district__name"]
    return f"{ward['ward__name']} ({district})" if district else ward["ward__name"]


@dataclass
class AggregateRow:
    label: str
    count: Cell
    rate: str = ""
    bar: float = 0.0
    code: str = ""


@dataclass
class Aggregates:
    dataset: Dataset
    suppressed: bool
    total: Cell = 0
    months: list[str] = field(default_factory=list)
    category_table: list[tuple[str, list[Cell], Cell]] = field(default_factory=list)
    month_totals: list[Cell] = field(default_factory=list)
    by_priority: list[AggregateRow] = field(default_factory=list)
    by_district: list[AggregateRow] = field(default_factory=list)
    by_authority: list[AggregateRow] = field(default_factory=list)
    by_ward: list[AggregateRow] = field(default_factory=list)
    all_wards: list[AggregateRow] = field(default_factory=list)
    ward_map: AreaMap | None = None
    by_decile: list[AggregateRow] = field(default_factory=list)
    outside_area: Cell = 0
    no_area: Cell = 0
    population_year: int | None = None
    # The period holds 1 to the threshold records: no breakdown at all ("too few to show").
    too_few: bool = False
    threshold: int = STANDARD.threshold
    # Nations whose deprivation deciles are shown ("E": English IMD, "W": Welsh WIMD). Each
    # nation ranks only its own LSOAs, so deciles of the two are not comparable.
    decile_nations: list[str] = field(default_factory=list)

    @property
    def decile_index(self) -> str:
        """Which index the deciles shown come from: "england", "wales" or "both"."""
        if len(self.decile_nations) > 1:
            return "both"
        return "wales" if self.decile_nations == ["W"] else "england"


def _rate(count: Cell, population: int | None) -> str:
    if count == "*" or not population:
        return ""
    return f"{Decimal(int(count) * 1000) / Decimal(population):.2f}"


def _bars(rows: list[AggregateRow]) -> None:
    largest = max((int(r.count) for r in rows if r.count != "*"), default=0)
    for row in rows:
        if row.count != "*" and largest:
            row.bar = round(100 * int(row.count) / largest, 1)


def _publish(pairs: list[KeyedCount], *, suppressed: bool, rule: Rule = STANDARD) -> list[Cell]:
    """A series as the person may see it: raw for record-level access, else core.disclosure."""
    if not suppressed:
        return [count for count, _key in pairs]
    return disclose_series(pairs, rule)


def _publish_rows(
    rows: list[list[KeyedCount]], sensitive_rows: list[bool], suppressed: bool
) -> list[list[Cell]]:
    """A table published with totals; sensitive rows use the sensitive rule, each block apart."""
    if not suppressed:
        return [[count for count, _key in r] for r in rows]
    out: list[list[Cell]] = [[] for _ in rows]
    for flag, rule in ((False, STANDARD), (True, SENSITIVE)):
        idx = [r for r, s in enumerate(sensitive_rows) if s == flag]
        if idx:
            for r, published in zip(idx, disclose_table([rows[r] for r in idx], rule), strict=True):
                out[r] = published
    return out


def _keyed(row: dict[str, Any], count: str = "n", keys: str = "keys") -> KeyedCount:
    return row[count], row[keys] or 0


def aggregates_for_dataset(
    *,
    dataset: Dataset,
    record_level: bool,
    month_from: dt.date | None = None,
    month_to: dt.date | None = None,
) -> Aggregates:
    """Counts by month × category, priority, district, authority and IMD decile, in SQL.

    Rates per 1,000 residents use the in-area population of the area. For people without
    record-level access, counts are published with small-number suppression (sensitive rule
    for sexual offences and domestic abuse) and rates are computed from the published counts.
    """
    suppressed = not record_level
    records = IncidentRecord.objects.filter(
        dataset=dataset, **RecordFilters(month_from=month_from, month_to=month_to).period_lookups()
    )
    result = Aggregates(dataset=dataset, suppressed=suppressed)
    # Every count travels with the sum of its records' cell keys (core.disclosure): the same
    # records always show the same figure, whatever the period or table.
    keys = Sum("cell_key")

    # 1. Category × month (categories as rows, so a long period stays readable).
    cells = (
        records.annotate(month=TruncMonth("occurred_on"))
        .values("month", "category_id", "category__name", "category__is_sensitive")
        .annotate(n=Count("pk"), keys=keys)
        .order_by()
    )
    grid: dict[int | None, dict[dt.date, KeyedCount]] = {}
    categories: dict[int | None, tuple[str, bool]] = {}
    for cell in cells:
        month = cell["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        grid.setdefault(cell["category_id"], {})[month] = _keyed(cell)
        categories[cell["category_id"]] = (
            cell["category__name"] or "No category",
            bool(cell["category__is_sensitive"]),
        )
    category_ids = sorted(categories, key=lambda c: categories[c][0])
    month_keys = sorted({m for row in grid.values() for m in row})
    raw = [[grid[c].get(m, (0, 0)) for m in month_keys] for c in category_ids]
    sensitive_rows = [categories[c][1] for c in category_ids]
    published = _publish_rows(raw, sensitive_rows, suppressed)
    # Totals over every category include the sensitive ones: the sensitive rule at every level.
    rule_for_totals = rule_for(any(sensitive_rows))
    result.months = [f"{m:%b %Y}" for m in month_keys]
    for c, row_raw, row in zip(category_ids, raw, published, strict=True):
        row_count = sum(n for n, _k in row_raw)
        row_keys = sum(k for _n, k in row_raw)
        total = (
            disclose_cell(row_count, row_keys, rule_for(categories[c][1]))
            if suppressed
            else row_count
        )
        result.category_table.append((categories[c][0], row, total))
    month_totals = [
        (sum(n for n, _k in col), sum(k for _n, k in col)) for col in zip(*raw, strict=True)
    ]
    result.month_totals = (
        [disclose_cell(n, k, rule_for_totals) for n, k in month_totals]
        if suppressed
        else [n for n, _k in month_totals]
    )
    grand = (sum(n for n, _k in month_totals), sum(k for _n, k in month_totals))
    result.total = disclose_cell(*grand, rule_for_totals) if suppressed else grand[0]
    result.threshold = rule_for_totals.threshold
    result.too_few = suppressed and too_few(grand[0], rule_for_totals)

    # 2. Priorities (a record can count towards several, so these do not add up to the total).
    priorities = list(PriorityCrimeType.objects.filter(is_active=True))
    counts = records.aggregate(
        **{f"p{p.pk}": Count("pk", filter=Q(priority_bits__bitany=p.mask)) for p in priorities},
        **{f"k{p.pk}": Sum("cell_key", filter=Q(priority_bits__bitany=p.mask)) for p in priorities},
    )
    values = [(counts[f"p{p.pk}"], counts[f"k{p.pk}"] or 0) for p in priorities]
    cells_p = [
        disclose_cell(n, k, rule_for(p.is_sensitive)) if suppressed else n
        for (n, k), p in zip(values, priorities, strict=True)
    ]
    result.by_priority = [
        AggregateRow(label=p.name, count=c, code=p.slug)
        for p, c in zip(priorities, cells_p, strict=True)
    ]
    _bars(result.by_priority)

    # 3. District and authority, with rates per 1,000 residents. Geography counts every
    #    record, sensitive ones included, so they use the sensitive rule when any is counted.
    edges = records.aggregate(
        outside=Count("pk", filter=Q(outside_area=True) | Q(lsoa__in_area=False)),
        outside_keys=Sum("cell_key", filter=Q(outside_area=True) | Q(lsoa__in_area=False)),
        none=Count("pk", filter=Q(lsoa__isnull=True, outside_area=False)),
        none_keys=Sum("cell_key", filter=Q(lsoa__isnull=True, outside_area=False)),
        sensitive=Count("pk", filter=sensitive_records_q(priorities)),
    )
    area_rule = rule_for(bool(edges["sensitive"]))
    by_district = (
        records.filter(lsoa__in_area=True)
        .values("lsoa__district_id")
        .annotate(n=Count("pk"), keys=keys)
        .order_by()
    )
    district_counts = {row["lsoa__district_id"]: _keyed(row) for row in by_district}
    populations = (
        Lsoa.objects.filter(in_area=True)
        .values("district_id", "district__code", "district__name", "district__authority__name")
        .annotate(population=Sum("population_total"), year=Max("population_year"))
        .order_by("district__name")
    )
    district_rows = [p for p in populations if p["district_id"] is not None]
    values = [district_counts.get(p["district_id"], (0, 0)) for p in district_rows]
    cells_d = _publish(values, suppressed=suppressed, rule=area_rule)
    authority_totals: OrderedDict[str, list[int]] = OrderedDict()
    for p, cell, (count, key_sum) in zip(district_rows, cells_d, values, strict=True):
        result.by_district.append(
            AggregateRow(
                label=p["district__name"],
                code=p["district__code"],
                count=cell,
                rate=_rate(cell, p["population"]),
            )
        )
        result.population_year = result.population_year or p["year"]
        if p["district__authority__name"]:
            entry = authority_totals.setdefault(p["district__authority__name"], [0, 0, 0])
            entry[0] += count
            entry[1] += p["population"] or 0
            entry[2] += key_sum
    _bars(result.by_district)
    names = sorted(authority_totals)
    cells_a = _publish(
        [(authority_totals[n][0], authority_totals[n][2]) for n in names],
        suppressed=suppressed,
        rule=area_rule,
    )
    result.by_authority = [
        AggregateRow(label=n, count=c, rate=_rate(c, authority_totals[n][1]))
        for n, c in zip(names, cells_a, strict=True)
    ]
    _bars(result.by_authority)

    # 3b. Wards with the most records (suppressed over every ward first, then ranked by what
    #     is published, so the order never reveals anything about the hidden counts). Ward is
    #     the smallest area shown to people without record-level access (core.disclosure).
    by_ward = {
        row["lsoa__ward_id"]: _keyed(row)
        for row in records.filter(lsoa__in_area=True, lsoa__ward__isnull=False)
        .values("lsoa__ward_id")
        .annotate(n=Count("pk"), keys=keys)
        .order_by()
    }
    wards = list(
        Lsoa.objects.filter(in_area=True, ward__isnull=False)
        .values("ward_id", "ward__code", "ward__name", "ward__district__name")
        .annotate(population=Sum("population_total"))
        .order_by("ward__name", "ward__code")
    )
    cells_w = _publish(
        [by_ward.get(w["ward_id"], (0, 0)) for w in wards], suppressed=suppressed, rule=area_rule
    )
    result.all_wards = [
        AggregateRow(
            label=_ward_label(w), code=w["ward__code"], count=c, rate=_rate(c, w["population"])
        )
        for w, c in zip(wards, cells_w, strict=True)
    ]
    _bars(result.all_wards)  # the same largest count as the top-20 table: the bars match
    result.ward_map = area_map(ward_shapes(), result.all_wards)
    ranked = sorted(
        result.all_wards,
        key=lambda row: (-(0 if row.count == SUPPRESSED else int(row.count)), row.label),
    )
    result.by_ward = [r for r in ranked if r.count == SUPPRESSED or int(r.count) > 0][:TOP_WARDS]

    # 4. Deprivation decile of the LSOA (1 = most deprived 10% of its own nation's LSOAs:
    #    England's IMD or Wales's WIMD, which rank separately and are kept apart).
    nation = Substr("lsoa__code", 1, 1)
    by_decile = {
        (row["nation"], row["lsoa__imd_decile"]): _keyed(row)
        for row in records.filter(lsoa__in_area=True, lsoa__imd_decile__isnull=False)
        .annotate(nation=nation)
        .values("nation", "lsoa__imd_decile")
        .annotate(n=Count("pk"), keys=keys)
        .order_by()
    }
    decile_population = {
        (row[0], row[1]): row[2]
        for row in Lsoa.objects.filter(in_area=True, imd_decile__isnull=False)
        .annotate(nation=Substr("code", 1, 1))
        .values("nation", "imd_decile")
        .annotate(population=Sum("population_total"))
        .order_by()
        .values_list("nation", "imd_decile", "population")
    }
    deciles = sorted(set(decile_population) | set(by_decile))
    result.decile_nations = sorted({n for n, _d in deciles})
    both = len(result.decile_nations) > 1
    index_names = {"E": "England, IMD", "W": "Wales, WIMD"}
    cells_i = _publish(
        [by_decile.get(d, (0, 0)) for d in deciles], suppressed=suppressed, rule=area_rule
    )
    for (country, decile), cell in zip(deciles, cells_i, strict=True):
        label = f"{decile}" + (" (most deprived)" if decile == 1 else "")
        label += " (least deprived)" if decile == 10 else ""
        if both:
            label += f" — {index_names.get(country, country)}"
        result.by_decile.append(
            AggregateRow(
                label=label,
                count=cell,
                rate=_rate(cell, decile_population.get((country, decile))),
            )
        )
    _bars(result.by_decile)

    # 5. Records outside the area or without a known LSOA.
    if suppressed:
        result.outside_area = disclose_cell(edges["outside"], edges["outside_keys"] or 0, area_rule)
        result.no_area = disclose_cell(edges["none"], edges["none_keys"] or 0, area_rule)
    else:
        result.outside_area, result.no_area = edges["outside"], edges["none"]
    return result


def sensitive_records_q(priorities: list[PriorityCrimeType]) -> Q:
    """Records on a sensitive topic: a sensitive category, a domestic-abuse flag, or one of the
    sensitive ``priorities``. Tables that count any of them use the sensitive rule."""
    mask = 0
    for priority in priorities:
        if priority.is_sensitive:
            mask |= priority.mask
    condition = Q(category__is_sensitive=True) | Q(domestic_abuse=True)
    if mask:
        condition |= Q(priority_bits__bitany=mask)
    return condition
