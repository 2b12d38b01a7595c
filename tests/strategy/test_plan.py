"""The signed-in delivery plan: who sees it, filters, summary and a constant query count."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from strategy.models import Strategy
from tests.strategy.factories import (
    ActionFactory,
    MilestoneFactory,
    PriorityFactory,
    ProgressUpdateFactory,
    StrategyFactory,
    ThemeFactory,
)

PLAN = reverse("strategy:plan")
TODAY = timezone.localdate()


def _days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(anonymous, strategy):
    response = anonymous.get(PLAN)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice_client", "viewer_client", "lead_client", "bob_client"])
def test_every_partner_can_read_the_plan(request, persona, action_a, action_b):
    client = request.getfixturevalue(persona)
    page = client.get(PLAN).content.decode()
    assert "Hotspot patrols" in page
    assert "Youth workers in A&amp;E" in page


@pytest.mark.django_db
def test_plan_without_a_strategy_says_so(alice_client):
    response = alice_client.get(PLAN)
    assert response.status_code == 200
    assert "has not been set up in the portal yet" in response.content.decode()


@pytest.mark.django_db
def test_plan_shows_the_draft_strategy_to_partners_until_one_is_published(alice_client, org_a):
    draft = ThemeFactory(strategy__title="Next strategy").strategy
    ActionFactory(theme=draft.themes.get(), lead_organisation=org_a, title="Draft action")
    page = alice_client.get(PLAN).content.decode()
    assert "Draft action" in page
    assert "(draft)" in page


@pytest.mark.django_db
def test_filters_narrow_the_actions(alice_client, theme, org_a, org_b):
    knife = PriorityFactory(slug="knife-crime", name="Knife crime")
    other_theme = ThemeFactory(strategy=theme.strategy, name="Leadership")
    overdue = ActionFactory(
        theme=theme, lead_organisation=org_a, title="Overdue one", due_date=_days(-3)
    )
    overdue.priorities.add(knife)
    ActionFactory(theme=other_theme, lead_organisation=org_b, title="Health one", status="at_risk")
    ActionFactory(
        theme=theme,
        lead_organisation=org_a,
        title="Done one",
        status="complete",
        due_date=_days(-10),
        start_date=_days(-50),
    )

    def titles(**params) -> set[str]:
        response = alice_client.get(PLAN, params)
        assert response.status_code == 200
        return {a.title for a in response.context["actions"]}

    assert titles() == {"Overdue one", "Health one", "Done one"}
    assert titles(theme=other_theme.pk) == {"Health one"}
    assert titles(priority=knife.pk) == {"Overdue one"}
    assert titles(status="at_risk") == {"Health one"}
    assert titles(lead_organisation=org_b.pk) == {"Health one"}
    # A complete action is never overdue, even after its due date.
    assert titles(overdue="on") == {"Overdue one"}
    assert titles(overdue="on", lead_organisation=org_a.pk, theme=theme.pk) == {"Overdue one"}


@pytest.mark.django_db
def test_bad_filter_is_reported_and_the_whole_plan_shown(alice_client, action_a, action_b):
    response = alice_client.get(PLAN, {"theme": "not-a-theme", "status": "sleeping"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Delivery plan" in page
    assert "Select a theme from the list" in page
    assert "Select a status from the list" in page
    assert len(response.context["actions"]) == 2


@pytest.mark.django_db
def test_summary_counts_statuses_and_overdue_milestones(alice_client, theme, org_a):
    ActionFactory(theme=theme, lead_organisation=org_a, status="at_risk", due_date=_days(-1))
    ActionFactory(theme=theme, lead_organisation=org_a, status="at_risk")
    on_track = ActionFactory(theme=theme, lead_organisation=org_a, status="on_track")
    MilestoneFactory(action=on_track, due_date=_days(-5))  # overdue
    MilestoneFactory(action=on_track, due_date=_days(-5), completed_on=_days(-6))  # done
    MilestoneFactory(action=on_track, due_date=_days(5))  # not yet due
    summary = alice_client.get(PLAN).context["summary"]
    assert summary.total == 3
    assert dict((value, n) for value, _label, n in summary.by_status) == {
        "not_started": 0,
        "on_track": 1,
        "at_risk": 2,
        "off_track": 0,
        "complete": 0,
    }
    assert summary.overdue_actions == 1
    assert summary.overdue_milestones == 1


def _grow(theme, organisations, priority, n: int) -> None:
    for i in range(n):
        action = ActionFactory(theme=theme, lead_organisation=organisations[i % 2])
        action.priorities.add(priority)
        action.supporting_organisations.add(organisations[(i + 1) % 2])
        MilestoneFactory(action=action)
        ProgressUpdateFactory(action=action)


@pytest.mark.django_db
def test_plan_query_count_does_not_grow_with_actions(
    alice_client, theme, org_a, org_b, django_assert_max_num_queries, django_assert_num_queries
):
    priority = PriorityFactory()
    _grow(theme, [org_a, org_b], priority, 3)
    alice_client.get(PLAN)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert alice_client.get(PLAN).status_code == 200
    _grow(theme, [org_a, org_b], priority, 27)
    with django_assert_num_queries(len(small.captured_queries)):
        response = alice_client.get(PLAN)
    assert len(response.context["actions"]) == 30
    with django_assert_max_num_queries(len(small.captured_queries)):
        alice_client.get(PLAN, {"overdue": "on", "priority": priority.pk})


@pytest.mark.django_db
def test_plan_lists_only_the_current_strategys_actions(alice_client, action_a, org_a):
    old = StrategyFactory(status=Strategy.Status.SUPERSEDED, title="Old strategy")
    ActionFactory(theme=ThemeFactory(strategy=old), lead_organisation=org_a, title="Old action")
    page = alice_client.get(PLAN).content.decode()
    assert "Hotspot patrols" in page
    assert "Old action" not in page
