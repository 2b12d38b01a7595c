"""Reads for the strategy app: every page's query count is independent of the data's size."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from incidents.models import PriorityCrimeType
from partners.models import Organisation
from partners.selectors import user_has_role, user_organisation_ids

from .models import (
    Action,
    ActionStatus,
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
        "measures": list(
            OutcomeMeasure.objects.filter(is_public=True).prefetch_related(
                Prefetch("measurements", to_attr="measurement_list")
            )
        ),
        "latest_review": strategy.reviews.order_by("-review_date").first(),
    }


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
    """OPFCC staff, or a partner lead of the action's lead organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return user_has_role(user, organisation_id=action.lead_organisation_id, roles={"partner_lead"})


def user_can_see_evidence(user: Any, action: Action) -> bool:
    """Evidence files stay with staff and the organisations delivering the action."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    mine = user_organisation_ids(user)
    if action.lead_organisation_id in mine:
        return True
    return action.supporting_organisations.filter(id__in=mine).exists()


def progress_update_get(*, pk: int) -> ProgressUpdate:
    """A progress update with its action; 404 if there is none."""
    try:
        return ProgressUpdate.objects.select_related("action").get(pk=pk)
    except ProgressUpdate.DoesNotExist as missing:
        raise Http404("No such update.") from missing
