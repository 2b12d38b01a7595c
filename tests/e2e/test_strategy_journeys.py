"""Browser journeys for the strategy: a partner lead keeps an action current; residents read it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from strategy.models import Strategy
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in
from tests.strategy.factories import (
    ActionFactory,
    DriverFactory,
    LocalDefinitionFactory,
    MilestoneFactory,
    PrincipleFactory,
    PriorityFactory,
    ProgressUpdateFactory,
    ThemeFactory,
)


@pytest.fixture
def plan(partnership, org_a, org_b, opfcc):
    """A published strategy with actions led by A and B, one overdue, one with history."""
    theme = ThemeFactory(
        strategy__status=Strategy.Status.PUBLISHED,
        strategy__title="Testshire Serious Violence Duty Strategy",
        name="Place based",
        description="Working with our communities, in our communities.",
    )
    strategy = theme.strategy
    LocalDefinitionFactory(strategy=strategy)
    PrincipleFactory(strategy=strategy, name="Collaboration", description="A system-wide approach.")
    DriverFactory(strategy=strategy, name="Substance misuse", description="Raises the risk.")
    knife = PriorityFactory(slug="knife-crime", name="Knife crime")
    strategy.priorities.add(knife)
    patrols = ActionFactory(
        theme=theme,
        lead_organisation=org_a,
        title="Hotspot patrols",
        reference="PB2",
        funding_amount=95000,
        funding_source="Hotspot policing grant",
        evidence_strength=4,
    )
    patrols.priorities.add(knife)
    patrols.supporting_organisations.add(org_b)
    MilestoneFactory(action=patrols, title="Quarterly hotspot review")
    ProgressUpdateFactory(action=patrols, narrative="Patrols started in two areas.")
    ActionFactory(
        theme=theme,
        lead_organisation=org_b,
        title="Youth workers in A&E",
        status="at_risk",
        due_date="2020-03-31",
        start_date="2019-04-01",
    )
    return patrols


@pytest.mark.django_db(transaction=True)
def test_partner_lead_posts_an_update_and_the_plan_shows_it(page, plan, lead):
    sign_in(page, lead.email, PASSWORD)
    page.get_by_role("link", name="Delivery plan").first.click()
    page.wait_for_url("**/strategy/plan/")
    assert page.get_by_role("heading", name="Delivery plan", level=1).is_visible()
    check_accessibility(page, "strategy-plan")

    page.get_by_role("link", name="PB2: Hotspot patrols").click()
    assert page.get_by_role("heading", name="Hotspot patrols", level=1).is_visible()
    assert page.get_by_text("Patrols started in two areas.").is_visible()
    check_accessibility(page, "strategy-action")

    page.get_by_role("link", name="Post a progress update").click()
    check_accessibility(page, "strategy-update-form")
    page.get_by_role("button", name="Save update").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert page.title().startswith("Error: ")
    check_accessibility(page, "strategy-update-form-errors")

    page.get_by_label("At risk").check()
    page.get_by_label("What has happened since the last update?").fill(
        "Two patrol officers moved to another team; cover agreed from next month."
    )
    page.get_by_role("button", name="Save update").click()
    page.wait_for_url(f"**{reverse('strategy:action', args=[plan.pk])}")
    assert page.get_by_text("has been saved").is_visible()
    assert page.get_by_text("Status changed from on track to at risk.").is_visible()
    assert page.get_by_text("Patrols started in two areas.").is_visible()  # history kept

    page.get_by_role("link", name="Back to the delivery plan").click()
    row = page.get_by_role("row").filter(has_text="Hotspot patrols")
    assert row.get_by_text("At risk").is_visible()
    check_accessibility(page, "strategy-plan-after-update")


@pytest.mark.django_db(transaction=True)
def test_filters_work_without_javascript(browser, live_server, plan, alice):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, alice.email, PASSWORD)
        page.goto(reverse("strategy:plan"))
        page.get_by_label("Only overdue actions").check()
        page.get_by_role("button", name="Apply filters").click()
        assert "overdue=on" in page.url
        assert page.get_by_role("link", name="Youth workers in A&E").is_visible()
        assert page.get_by_role("link", name="PB2: Hotspot patrols").count() == 0
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_resident_reads_our_strategy(page, plan):
    page.goto("/")
    page.get_by_role("link", name="Our strategy", exact=True).click()
    assert page.get_by_role("heading", name="Our strategy", level=1).is_visible()
    for heading in ("What we aim to do", "Our priorities", "How we work", "What we are doing"):
        assert page.get_by_role("heading", name=heading).is_visible(), heading
    assert page.get_by_text("Hotspot patrols").is_visible()
    check_accessibility(page, "strategy-public")


@pytest.mark.django_db(transaction=True)
def test_our_strategy_reads_on_a_phone(phone, plan):
    phone.goto(reverse("strategy:public"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"page scrolls sideways at 320px ({width}px)"
    check_accessibility(phone, "strategy-public-phone")


@pytest.mark.django_db(transaction=True)
def test_home_page_shows_the_five_cs(page, plan):
    page.goto("/")
    assert page.get_by_role("heading", name="How we work").is_visible()
    assert page.get_by_text("A system-wide approach.").is_visible()
    check_accessibility(page, "public-home-with-principles")


@pytest.mark.django_db(transaction=True)
def test_demo_plan_and_strategy_pass_axe(page, live_server):
    import io

    from partners import demo as partners_demo
    from strategy import demo as strategy_demo

    partners_demo.seed(stdout=io.StringIO())
    strategy_demo.seed(stdout=io.StringIO())
    page.goto(reverse("strategy:public"))
    assert page.get_by_role("heading", name="Leadership and cultural change").first.is_visible()
    check_accessibility(page, "strategy-public-demo")
    sign_in(page, "partner.lead@police.example.org", partners_demo.DEMO_PASSWORD)
    page.goto(reverse("strategy:plan"))
    assert page.get_by_role("link", name="PB1: Safer night-time economy", exact=False).is_visible()
    check_accessibility(page, "strategy-plan-demo")
