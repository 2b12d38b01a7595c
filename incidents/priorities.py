"""Which records count towards which priority: rules held as data, applied set-based in SQL.

Each active ``PriorityRule`` becomes one ``Q`` filter on ``IncidentRecord``; a priority's filter
is the OR of its rules. Recomputing deletes the records' ``RecordPriority`` rows and re-inserts
them with one ``INSERT … SELECT`` that reads the records once and tests every priority's filter
on each row, so the cost depends neither on Python looping over records nor on the number of
priorities.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Q, QuerySet, Value, When

from .models import IncidentRecord, PriorityCrimeType, PriorityRule, RecordPriority

VICTIM_OR_SUSPECT = PriorityRule.AgeApplies.VICTIM_OR_SUSPECT


def _window_q(days: list[int], start: dt.time, end: dt.time) -> Q:
    """Records whose time falls in a window starting on one of the ISO weekdays."""
    timed = Q(date_precision=IncidentRecord.DatePrecision.DATETIME, occurred_at__isnull=False)
    if start < end:
        return timed & Q(
            occurred_at__iso_week_day__in=days,
            occurred_at__time__gte=start,
            occurred_at__time__lt=end,
        )
    # The window runs past midnight: the evening of a listed day or the small hours after it.
    next_days = [day % 7 + 1 for day in days]
    return timed & (
        Q(occurred_at__iso_week_day__in=days, occurred_at__time__gte=start)
        | Q(occurred_at__iso_week_day__in=next_days, occurred_at__time__lt=end)
    )


def rule_q(rule: PriorityRule, *, category_ids: list[int] | None = None) -> Q | None:
    """The filter for one rule, or None when the rule has no criterion (it matches nothing)."""
    parts: list[Q] = []
    if category_ids is None:
        category_ids = [c.pk for c in rule.categories.all()]
    if category_ids:
        parts.append(Q(category_id__in=category_ids))
    if rule.weapons:
        parts.append(Q(weapon__in=rule.weapons))
    if rule.age_bands:
        victim = Q(victim_age_band__in=rule.age_bands)
        suspect = Q(suspect_age_band__in=rule.age_bands)
        parts.append(
            victim
            if rule.age_applies_to == PriorityRule.AgeApplies.VICTIM
            else suspect
            if rule.age_applies_to == PriorityRule.AgeApplies.SUSPECT
            else victim | suspect
        )
    if rule.requires_domestic_abuse:
        parts.append(Q(domestic_abuse=True))
    if rule.requires_exploitation:
        parts.append(Q(exploitation=True))
    if rule.requires_alcohol:
        parts.append(Q(alcohol_involved=True))
    if rule.location_types:
        parts.append(Q(location_type__in=rule.location_types))
    if rule.window_days and rule.window_start is not None and rule.window_end is not None:
        parts.append(
            _window_q([int(d) for d in rule.window_days], rule.window_start, rule.window_end)
        )
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined &= part
    return combined


def priority_q(priority: PriorityCrimeType) -> Q | None:
    """The OR of a priority's active rules (uses prefetched ``rules`` and their categories)."""
    combined: Q | None = None
    for rule in priority.rules.all():
        if not rule.is_active:
            continue
        q = rule_q(rule)
        if q is None:
            continue
        combined = q if combined is None else combined | q
    return combined


def _priorities_with_rules(
    priorities: QuerySet[PriorityCrimeType] | None,
) -> list[PriorityCrimeType]:
    qs = priorities if priorities is not None else PriorityCrimeType.objects.all()
    return list(qs.filter(is_active=True).prefetch_related("rules__categories"))


def _targets(
    records: QuerySet[IncidentRecord], sql: str
) -> tuple[QuerySet[IncidentRecord], QuerySet[Any] | list[int]]:
    """The records to flag as a plain filter on IncidentRecord, and their ids for the delete.

    A caller's plain filter (``upload_id=…``, ``dataset=…``) is used as it is, so the database
    reads the records once by that filter's index. A queryset that joins the flags themselves
    (e.g. ``priorities__slug=…``) is fixed to a list of ids first, because the delete below would
    otherwise change what it selects; sliced, distinct or annotated querysets go through their ids.
    """
    query = records.query
    if RecordPriority._meta.db_table in sql:
        fixed = list(records.order_by().values_list("pk", flat=True))
        return IncidentRecord.objects.filter(pk__in=fixed), fixed
    ids = records.order_by().values("pk")
    if query.is_sliced or query.distinct or query.annotations or query.combinator:
        return IncidentRecord.objects.filter(pk__in=ids), ids
    return records.order_by(), ids


def _insert_flags(targets: QuerySet[IncidentRecord], filters: list[tuple[int, Q]]) -> int:
    """One INSERT … SELECT of the (record, priority) pairs: every filter in one scan of records.

    Each priority's filter becomes a column of one SELECT over the records, holding the priority's
    id where the record matches and NULL elsewhere; the pairs are unpivoted from that row set, so
    the records are read once however many priorities there are.
    """
    hits = {
        f"nsvpp_priority_{n}": Case(
            When(q, then=Value(pk)), default=None, output_field=BigIntegerField()
        )
        for n, (pk, q) in enumerate(filters)
    }
    sql, params = targets.values(nsvpp_record_id=F("pk"), **hits).query.sql_with_params()
    columns = [f"s.nsvpp_priority_{n}" for n in range(len(filters))]
    if connection.vendor == "postgresql":
        # unnest() in the select list unpivots each row as it streams. A CROSS JOIN LATERAL
        # (VALUES …) per record did the same five times slower (1.3 s against 0.25 s for 200,000
        # records and seven priorities).
        pairs = (
            f"SELECT s.nsvpp_record_id, unnest(array_remove(ARRAY[{', '.join(columns)}], NULL)) "  # noqa: S608
            f"FROM ({sql}) s"
        )
    else:
        # SQLite has neither: a common table expression read once per priority. SQLite
        # materialises a CTE referenced more than once, so the records are still read once.
        branches = " UNION ALL ".join(
            f"SELECT s.nsvpp_record_id, {column} FROM s WHERE {column} IS NOT NULL"  # noqa: S608
            for column in columns
        )
        pairs = f"WITH s AS ({sql}) {branches}"
    table = connection.ops.quote_name(RecordPriority._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (record_id, priority_id) {pairs}", params)  # noqa: S608
        return max(cursor.rowcount, 0)


@transaction.atomic
def priorities_recompute(
    *,
    records: QuerySet[IncidentRecord],
    priorities: QuerySet[PriorityCrimeType] | None = None,
    new_records: bool = False,
) -> int:
    """Recompute which priorities the records count towards; returns the flags written.

    ``priorities`` limits the work to some priorities (e.g. the one whose rule changed); their
    flags on other records are left alone. Inactive priorities lose their flags on the records.
    ``new_records=True`` says the records were created in the caller's transaction and so have
    no flags yet: the delete is skipped (a flag that did exist would fail the unique constraint
    rather than be duplicated).
    """
    try:
        sql = str(records.query)
    except EmptyResultSet:
        return 0
    targets, record_ids = _targets(records, sql)
    if not new_records:
        flags = RecordPriority.objects.filter(record_id__in=record_ids)
        if priorities is not None:
            flags = flags.filter(priority__in=priorities.values("pk"))
        flags.delete()
    filters = [
        (priority.pk, q)
        for priority in _priorities_with_rules(priorities)
        if (q := priority_q(priority)) is not None
    ]
    if not filters:
        return 0
    return _insert_flags(targets, filters)


def priority_recompute_all(*, priority_id: int) -> int:
    """Recompute one priority's flags across every record (after its rules changed)."""
    return priorities_recompute(
        records=IncidentRecord.objects.all(),
        priorities=PriorityCrimeType.objects.filter(pk=priority_id),
    )
