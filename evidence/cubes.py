"""Rebuild a dataset's aggregate tables (evidence/models.py) from its records.

One ``DELETE`` and one ``INSERT … SELECT … GROUP BY`` per cube, in one transaction, with the
dataset's row locked so that an import of the same dataset (which locks it too) and a rebuild
never interleave. The SELECTs are written with the ORM (so month, weekday and hour use the same
local-time functions on SQLite and PostgreSQL) and inserted set-based: no row passes through
Python, whatever the dataset's size.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncMonth
from django.utils import timezone

from incidents.models import Dataset, IncidentRecord

from .models import (
    CubeRefresh,
    LocationCube,
    MonthlyCube,
    PlaceCube,
    QualityCube,
    WhenCube,
    WhoCube,
)

CUBES = (MonthlyCube, WhenCube, WhoCube, PlaceCube, LocationCube, QualityCube)
UNKNOWN = "unknown"
K = "k_"


def _cell_key_sum() -> Sum | Value:
    # The disclosure work gives every record a fixed random cell key (0-255); until that field
    # exists the sums are 0 and disclosure falls back to suppression and rounding.
    names = {f.name for f in IncidentRecord._meta.get_fields()}
    if "cell_key" in names:
        return Coalesce(Sum("cell_key"), Value(0))
    return Value(0, output_field=IntegerField())


def _in_area() -> ExpressionWrapper:
    # Not known to be outside: records without an LSOA stay in the partnership's figures.
    return ExpressionWrapper(
        ~Q(outside_area=True) & ~Q(lsoa__in_area=False), output_field=BooleanField()
    )


def _insert(model: type, queryset: QuerySet) -> int:
    """INSERT INTO the cube the rows of a values() queryset (columns in the values' order)."""
    # Every selected name is an annotation "k_<cube field>" (aliases may not reuse the records'
    # field names); Django 5.2 selects values() entries in the order given.
    names = list(queryset._fields)  # type: ignore[attr-defined]
    sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    target = ", ".join(quote(model._meta.get_field(n.removeprefix(K)).column) for n in names)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({target}) {sql}", params)
        return cursor.rowcount


def _records(dataset_id: int) -> QuerySet[IncidentRecord]:
    return IncidentRecord.objects.filter(dataset_id=dataset_id).order_by()


def _district_common() -> dict[str, object]:
    return {
        "dataset": F("dataset_id"),
        "month": TruncMonth("occurred_on"),
        "category": F("category_id"),
        "priority_bits": F("priority_bits"),
        "district": F("lsoa__district_id"),
        "in_area": _in_area(),
    }


def _counts() -> dict[str, object]:
    return {"records": Count("pk"), "cell_key_sum": _cell_key_sum()}


def _k(named: dict[str, object]) -> dict[str, object]:
    return {K + name: expression for name, expression in named.items()}


def _grouped(
    records: QuerySet, keys: dict[str, object], counts: dict[str, object] | None = None
) -> QuerySet:
    """records grouped by the named key expressions, with the count and cell-key sum."""
    counts = _k(counts or _counts())
    keys = _k(keys)
    return records.values(**keys).annotate(**counts).values(*keys, *counts)


def cube_querysets(dataset_id: int) -> Iterable[tuple[type, QuerySet]]:
    """The SELECT of each cube for one dataset."""
    records = _records(dataset_id)
    yield (
        MonthlyCube,
        _grouped(
            records,
            {
                "dataset": F("dataset_id"),
                "month": TruncMonth("occurred_on"),
                "lsoa": F("lsoa_id"),
                "category": F("category_id"),
                "priority_bits": F("priority_bits"),
                "in_area": _in_area(),
            },
        ),
    )
    known_day = Q(date_precision__in=[IncidentRecord.DatePrecision.DAY, "datetime"])
    yield (
        WhenCube,
        _grouped(
            records,
            {
                **_district_common(),
                "date_precision": F("date_precision"),
                "weekday": Case(When(known_day, then=ExtractIsoWeekDay("occurred_on"))),
                "hour": Case(
                    When(
                        date_precision=IncidentRecord.DatePrecision.DATETIME,
                        occurred_at__isnull=False,
                        then=ExtractHour("occurred_at"),
                    )
                ),
            },
        ),
    )
    for role in ("victim", "suspect"):
        yield (
            WhoCube,
            _grouped(
                records,
                {
                    **_district_common(),
                    "role": Value(role),
                    "age_band": F(f"{role}_age_band"),
                    "sex": F(f"{role}_sex"),
                },
            ),
        )
    yield (
        PlaceCube,
        _grouped(
            records,
            {**_district_common(), "location_type": F("location_type"), "weapon": F("weapon")},
        ),
    )
    yield (
        LocationCube,
        _grouped(
            records.exclude(location_text=""),
            {**_district_common(), "location_text": F("location_text")},
        ),
    )
    yield (
        QualityCube,
        _grouped(
            records,
            {"dataset": F("dataset_id"), "month": TruncMonth("occurred_on")},
            {
                "records": Count("pk"),
                "with_age": Count(
                    "pk", filter=~Q(victim_age_band=UNKNOWN) | ~Q(suspect_age_band=UNKNOWN)
                ),
                "with_sex": Count("pk", filter=~Q(victim_sex=UNKNOWN) | ~Q(suspect_sex=UNKNOWN)),
                "with_weapon": Count("pk", filter=~Q(weapon=UNKNOWN)),
                "with_time": Count(
                    "pk", filter=Q(date_precision="datetime", occurred_at__isnull=False)
                ),
                "with_day": Count("pk", filter=known_day),
                "with_location_type": Count("pk", filter=~Q(location_type=UNKNOWN)),
                "with_area": Count("pk", filter=Q(lsoa__isnull=False)),
                "with_category": Count("pk", filter=Q(category__isnull=False)),
            },
        ),
    )


@transaction.atomic
def cubes_refresh(*, dataset_id: int) -> int:
    """Rebuild one dataset's aggregate tables from its records; returns its record count."""
    locked = list(
        Dataset.objects.select_for_update().filter(pk=dataset_id).values_list("pk", flat=True)
    )
    for model in CUBES:
        model.objects.filter(dataset_id=dataset_id).delete()
    if not locked:
        CubeRefresh.objects.filter(dataset_id=dataset_id).delete()
        return 0
    for model, queryset in cube_querysets(dataset_id):
        _insert(model, queryset)
    total = MonthlyCube.objects.filter(dataset_id=dataset_id).aggregate(n=Sum("records"))["n"] or 0
    CubeRefresh.objects.update_or_create(
        dataset_id=dataset_id, defaults={"refreshed_at": timezone.now(), "records": total}
    )
    return total


def cubes_refresh_all() -> int:
    """Rebuild every dataset's aggregate tables (one transaction per dataset)."""
    ids = list(Dataset.objects.order_by("pk").values_list("pk", flat=True))
    for dataset_id in ids:
        cubes_refresh(dataset_id=dataset_id)
    return len(ids)
