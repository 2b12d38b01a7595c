"""Exception alerts: months that break a control-chart rule, found when cubes are rebuilt, and
the daily e-mail digest of new ones to each analyst who wants it.

A breach is a month in the last 12 of a dataset whose count for a priority lies beyond the
c-chart limits, or in a run of 7 or more on one side of the centre line; the limits come from
up to 24 months before those 12 (or from the first 24 when the history is shorter). The e-mail
names the priority, dataset, month and rule only: no counts leave the portal by e-mail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from incidents.models import Dataset, PriorityCrimeType
from partners.models import Membership

from . import stats
from .models import AlertBreach, AlertSubscription, MonthlyCube
from .query import Audience, month_label, months_between

RECENT_MONTHS = 12
BASELINE_MONTHS = 24
MIN_MONTHS = 12
DIGEST_EVERY = dt.timedelta(hours=23)  # "at most once a day", whatever the beat's jitter
FIRST_DIGEST_LOOKBACK = dt.timedelta(days=7)


def _baseline(n: int) -> slice:
    before = n - RECENT_MONTHS
    if before >= MIN_MONTHS:
        return slice(max(0, before - BASELINE_MONTHS), before)
    return slice(0, min(n, BASELINE_MONTHS))


def breaches_find(*, dataset_id: int, priorities: list[PriorityCrimeType]) -> set[tuple]:
    """The (priority id, month, rule, direction) breaches in one dataset's recent months."""
    rows = (
        MonthlyCube.objects.filter(dataset_id=dataset_id)
        .values("month", "priority_bits")
        .annotate(n=Sum("records"))
        .order_by()
    )
    by_month: dict[dt.date, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        by_month[row["month"]].append((row["priority_bits"], row["n"]))
    if not by_month:
        return set()
    months = months_between(min(by_month), max(by_month))
    if len(months) < MIN_MONTHS:
        return set()
    found = set()
    for priority in priorities:
        counts = [sum(n for bits, n in by_month.get(m, []) if bits & priority.mask) for m in months]
        if not any(counts):
            continue
        spc = stats.c_chart(counts=counts, baseline=_baseline(len(months)))
        for month, point in list(zip(months, spc.points, strict=True))[-RECENT_MONTHS:]:
            direction = "above" if point.value > spc.centre else "below"
            if point.beyond_limits:
                found.add((priority.pk, month, AlertBreach.Rule.BEYOND_LIMITS, direction))
            if point.in_run:
                found.add((priority.pk, month, AlertBreach.Rule.RUN, direction))
    return found


@transaction.atomic
def breaches_refresh(*, dataset_ids: Iterable[int] | None) -> int:
    """Record each dataset's current breaches (new ones get new ids); returns how many are new."""
    ids = (
        list(dataset_ids)
        if dataset_ids is not None
        else list(Dataset.objects.values_list("pk", flat=True))
    )
    priorities = list(PriorityCrimeType.objects.filter(is_active=True))
    new = 0
    for dataset_id in ids:
        found = breaches_find(dataset_id=dataset_id, priorities=priorities)
        existing = {
            (b.priority_id, b.month, b.rule): b
            for b in AlertBreach.objects.filter(dataset_id=dataset_id)
        }
        keep = {(p, m, r) for p, m, r, _d in found}
        gone = [b.pk for key, b in existing.items() if key not in keep]
        AlertBreach.objects.filter(pk__in=gone).delete()
        to_add = [
            AlertBreach(dataset_id=dataset_id, priority_id=p, month=m, rule=r, direction=d)
            for p, m, r, d in sorted(found)
            if (p, m, r) not in existing
        ]
        AlertBreach.objects.bulk_create(to_add)
        new += len(to_add)
    return new


def _digest_text(breaches: list[AlertBreach]) -> str:
    lines = [
        "New exception alerts in the partnership's shared data:",
        "",
        *[
            f"- {b.priority.name}, {b.dataset.name}, {month_label(b.month)}: "
            f"{b.get_rule_display().lower()} ({b.direction} the centre line)"
            for b in breaches
        ],
        "",
        f"See them on the portal: {settings.SITE_URL}{reverse('evidence:alerts')}",
        "",
        f"To stop these e-mails, change your choice at {settings.SITE_URL}"
        f"{reverse('evidence:alerts')}",
    ]
    return "\n".join(lines)


def alert_digests_send(*, now: dt.datetime | None = None) -> int:
    """E-mail each analyst who wants it the breaches new since their last digest; returns sent."""
    now = now or timezone.now()
    analysts = (
        Membership.objects.filter(role="analyst", user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    users = {m.user_id: m.user for m in analysts}
    sent = 0
    for user in users.values():
        with transaction.atomic():
            subscription, created = AlertSubscription.objects.select_for_update().get_or_create(
                user=user
            )
            if not subscription.wants_digest:
                continue
            if subscription.last_sent_at and now - subscription.last_sent_at < DIGEST_EVERY:
                continue
            visible = Audience.for_user(user).visible_ids
            breaches = AlertBreach.objects.filter(
                pk__gt=subscription.last_breach_id, dataset_id__in=visible
            ).select_related("priority", "dataset")
            if subscription.last_breach_id == 0:
                breaches = breaches.filter(found_at__gte=now - FIRST_DIGEST_LOOKBACK)
            found = list(breaches.order_by("pk"))
            if not found:
                continue
            send_mail(
                subject=f"{len(found)} new exception alert{'s' if len(found) != 1 else ''}",
                message=_digest_text(found),
                from_email=None,
                recipient_list=[user.email],
            )
            subscription.last_sent_at = now
            subscription.last_breach_id = max(b.pk for b in found)
            subscription.save(update_fields=["last_sent_at", "last_breach_id"])
            sent += 1
    return sent
