"""The public "Our strategy" page and the five C's on the home page: published content only."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from strategy.models import Consultation, Strategy
from tests.strategy.factories import (
    ActionFactory,
    DriverFactory,
    LocalDefinitionFactory,
    PrincipleFactory,
    PriorityFactory,
    StrategyFactory,
    ThemeFactory,
)

PUBLIC = reverse("strategy:public")


@pytest.mark.django_db
def test_residents_read_the_published_strategy_without_signing_in(
    anonymous, partnership, strategy, action_a
):
    priority = PriorityFactory(name="Knife crime", short_description="Knives used or carried.")
    strategy.priorities.add(priority)
    DriverFactory(strategy=strategy, name="Substance misuse", description="Raises the risk.")
    response = anonymous.get(PUBLIC)
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Our strategy",
        "Reduce violence now",  # aims
        "Violence that causes or risks serious harm.",  # definition
        "Place based",  # theme
        "Collaboration",  # principle
        "Substance misuse",  # driver
        "Knives used or carried.",  # priority
        "Hotspot patrols",  # action
        "On track",  # its status
        "Testshire Police",  # its lead
    ):
        assert text in page, text
    assert "<script>" not in page  # nothing inline; the page works without JavaScript


@pytest.mark.django_db
def test_public_page_never_shows_drafts(anonymous, partnership, org_a):
    draft = ThemeFactory(strategy__title="Secret draft strategy", name="Draft theme").strategy
    LocalDefinitionFactory(strategy=draft, text="Draft definition text")
    PrincipleFactory(strategy=draft, name="Draft principle")
    ActionFactory(theme=draft.themes.get(), lead_organisation=org_a, title="Draft action")
    page = anonymous.get(PUBLIC).content.decode()
    assert "We have not published our strategy yet" in page
    for text in ("Secret draft strategy", "Draft theme", "Draft definition", "Draft action"):
        assert text not in page
    home = anonymous.get(reverse("core:home")).content.decode()
    assert "Draft principle" not in home


@pytest.mark.django_db
def test_public_page_shows_only_the_published_not_the_superseded(
    anonymous, partnership, strategy, org_a
):
    old = ThemeFactory(
        strategy=StrategyFactory(status=Strategy.Status.SUPERSEDED, title="Old strategy"),
        name="Old theme",
    )
    ActionFactory(theme=old, lead_organisation=org_a, title="Old action")
    page = anonymous.get(PUBLIC).content.decode()
    assert "Place based" in page
    assert "Old theme" not in page and "Old action" not in page


@pytest.mark.django_db
def test_actions_marked_not_public_stay_off_the_public_page(anonymous, partnership, theme, org_a):
    ActionFactory(theme=theme, lead_organisation=org_a, title="Covert operation", is_public=False)
    ActionFactory(theme=theme, lead_organisation=org_a, title="Youth club nights")
    page = anonymous.get(PUBLIC).content.decode()
    assert "Youth club nights" in page
    assert "Covert operation" not in page


@pytest.mark.django_db
def test_home_page_lists_the_published_five_cs_in_one_query(
    anonymous, partnership, strategy, django_assert_num_queries
):
    PrincipleFactory(strategy=strategy, name="Co-production", description="With young people.")
    template = Template('{% include "strategy/partials/home_principles.html" %}')
    with django_assert_num_queries(1):
        html = template.render(Context({}))
    assert "Collaboration" in html and "Co-production" in html
    home = anonymous.get(reverse("core:home")).content.decode()
    assert "With young people." in home


@pytest.mark.django_db
def test_home_page_shows_no_principles_heading_when_nothing_is_published(anonymous, partnership):
    home = anonymous.get(reverse("core:home")).content.decode()
    assert "How we work" not in home


@pytest.mark.django_db
def test_headline_measures_are_shown_without_invented_figures(anonymous, partnership, strategy):
    page = anonymous.get(PUBLIC).content.decode()
    assert "Hospital admissions for assault with a knife or sharp object, under 25" in page
    assert "Not yet measured" in page


@pytest.mark.django_db
def test_public_page_query_count_does_not_grow_with_actions(
    anonymous, partnership, strategy, theme, org_a, django_assert_max_num_queries
):
    ActionFactory(theme=theme, lead_organisation=org_a)
    anonymous.get(PUBLIC)
    with CaptureQueriesContext(connection) as few:
        anonymous.get(PUBLIC)
    for _ in range(20):
        ActionFactory(theme=theme, lead_organisation=org_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = anonymous.get(PUBLIC).content.decode()
    assert "21 actions" in page


@pytest.mark.django_db
def test_public_page_shows_the_current_definition_and_keeps_earlier_versions(
    anonymous, partnership, strategy
):
    LocalDefinitionFactory(
        strategy=strategy,
        version=2,
        text="Revised definition including exploitation.",
        agreed_on=datetime.date(2024, 12, 12),
    )
    page = anonymous.get(PUBLIC).content.decode()
    current = page.index("Revised definition including exploitation.")
    earlier = page.index("Earlier versions of the definition")
    assert current < earlier
    assert "Agreed by the partnership on 12 December 2024." in page
    assert "Version 1, agreed 1 December 2023" in page


@pytest.mark.django_db
def test_public_page_lists_who_was_consulted(anonymous, partnership, strategy):
    Consultation.objects.create(
        strategy=strategy,
        consultee="HMP Testshire",
        consultee_kind="prison",
        consulted_on=datetime.date(2023, 10, 2),
        response="Private notes from the governor.",
    )
    page = anonymous.get(PUBLIC).content.decode()
    assert "HMP Testshire: prison authority, October 2023" in page
    assert "Private notes from the governor." not in page
