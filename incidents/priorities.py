"""Which records count towards which priority: rules held as data, applied set-based in SQL.

Each active ``PriorityRule`` becomes one ``Q`` filter on ``IncidentRecord``; a priority's filter
is the OR of its rules. A record's priorities are the bits of ``IncidentRecord.priority_bits``
(one per ``PriorityCrimeType.bit``): ``bits_expression`` adds up, for each priority, its mask when
the record matches. The import writes that expression into the same INSERT that creates the
records (``bits_sql``); recomputing is one UPDATE of the records whose bits change, so the cost
depends neither on Python looping over records nor on the number of priorities.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Q, QuerySet, Value, When
from django.db.models.expressions import CombinedExpression, Expression

from .models import Dataset, IncidentRecord, PriorityCrimeType, PriorityRule
from .signals import records_changed

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


def bits_expression(priorities: QuerySet[PriorityCrimeType] | None = None) -> Expression:
    """The priority bits a record earns from the active rules of ``priorities`` (default all).

    A sum of one ``CASE`` per priority; the masks are distinct powers of two, so the sum is their
    bitwise OR. Priorities without an active rule contribute nothing.
    """
    total: Expression = Value(0, output_field=BigIntegerField())
    for priority in _priorities_with_rules(priorities):
        q = priority_q(priority)
        if q is None:
            continue
        hit = Case(
            When(q, then=Value(priority.mask)),
            default=Value(0),
            output_field=BigIntegerField(),
        )
        total = CombinedExpression(total, "+", hit, output_field=BigIntegerField())
    return total


def bits_sql() -> tuple[str, list[object]]:
    """``bits_expression()`` for every priority as SQL over columns of ``incidents_incidentrecord``.

    The import selects it from its staged rows aliased as the records table, so the bits are
    computed in the statement that writes the records (no second pass over them).
    """
    query = IncidentRecord.objects.annotate(nsvpp_bits=bits_expression()).query
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.annotations["nsvpp_bits"])
    return sql, list(params)


@transaction.atomic
def priorities_recompute(
    *,
    records: QuerySet[IncidentRecord],
    priorities: QuerySet[PriorityCrimeType] | None = None,
) -> int:
    """Recompute which priorities the records count towards; returns the records whose bits changed.

    ``priorities`` limits the work to some priorities (e.g. the one whose rule changed): only their
    bits are rewritten and the others are kept. Inactive priorities lose their bits.
    """
    try:
        str(records.query)
    except EmptyResultSet:
        return 0
    if priorities is None:
        new_bits: Expression = bits_expression()
    else:
        mask = sum(p.mask for p in priorities)
        kept = F("priority_bits").bitand(~mask)
        new_bits = CombinedExpression(
            kept, "+", bits_expression(priorities), output_field=BigIntegerField()
        )
    query = records.query
    if query.is_sliced or query.distinct or query.combinator:
        # UPDATE cannot take these as they are: through the records' ids.
        targets = IncidentRecord.objects.filter(pk__in=records.order_by().values("pk"))
    else:
        targets = records.order_by()
    # Only the records whose bits change are written.
    changed = targets.exclude(priority_bits=new_bits).update(priority_bits=new_bits)
    if changed:
        # Aggregates by priority (the evidence app's tables) are rebuilt after commit.
        records_changed.send(sender=IncidentRecord, dataset_ids=None)
    return changed


@transaction.atomic
def priority_recompute_all(*, priority_id: int) -> int:
    """Recompute one priority's bits across every record (after its rules changed).

    Every dataset is locked first, as an import locks its own: an import running now finishes
    (with the bits of the old rules) before its records are recomputed, and none starts meanwhile.
    """
    list(Dataset.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    return priorities_recompute(
        records=IncidentRecord.objects.all(),
        priorities=PriorityCrimeType.objects.filter(pk=priority_id),
    )
