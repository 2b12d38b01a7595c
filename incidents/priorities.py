"""Which records count towards which priority: rules held as data, applied set-based in SQL.

Each active ``PriorityRule`` becomes one ``Q`` filter on ``IncidentRecord``; a priority's filter
is the OR of its rules. Recomputing deletes the records' ``RecordPriority`` rows and re-inserts
them with one ``INSERT … SELECT`` per priority, so the cost does not depend on Python looping
over records.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Q, QuerySet, Value

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


def _insert_matches(records: QuerySet[IncidentRecord], priority_id: int, q: Q) -> int:
    """INSERT … SELECT the (record, priority) pairs for the matching records."""
    select = (
        records.filter(q)
        .order_by()
        .annotate(nsvpp_priority_id=Value(priority_id))
        .values_list("pk", "nsvpp_priority_id")
    )
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(RecordPriority._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (record_id, priority_id) {sql}", params)  # noqa: S608
        return max(cursor.rowcount, 0)


@transaction.atomic
def priorities_recompute(
    *,
    records: QuerySet[IncidentRecord],
    priorities: QuerySet[PriorityCrimeType] | None = None,
) -> int:
    """Recompute which priorities the records count towards; returns the flags written.

    ``priorities`` limits the work to some priorities (e.g. the one whose rule changed); their
    flags on other records are left alone. Inactive priorities lose their flags on the records.
    """
    # Fix the set of records first: the caller's queryset may itself depend on the flags.
    try:
        sql = str(records.query)
    except EmptyResultSet:
        return 0
    record_ids = records.order_by().values("pk")
    if RecordPriority._meta.db_table in sql:
        record_ids = list(records.order_by().values_list("pk", flat=True))
    targets = IncidentRecord.objects.filter(pk__in=record_ids)
    flags = RecordPriority.objects.filter(record_id__in=record_ids)
    if priorities is not None:
        flags = flags.filter(priority__in=priorities.values("pk"))
    flags.delete()
    written = 0
    for priority in _priorities_with_rules(priorities):
        q = priority_q(priority)
        if q is not None:
            written += _insert_matches(targets, priority.pk, q)
    return written


def priority_recompute_all(*, priority_id: int) -> int:
    """Recompute one priority's flags across every record (after its rules changed)."""
    return priorities_recompute(
        records=IncidentRecord.objects.all(),
        priorities=PriorityCrimeType.objects.filter(pk=priority_id),
    )
