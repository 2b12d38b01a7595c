"""Browser journeys: staff refresh an outcome measure from incident data; partners read the
measures, the annual reviews and the consultation register; all checked with axe-core."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from incidents.models import IncidentRecord
from nsvpp.celery import app as celery_app
from strategy.models import AnnualReview, Consultation, Measurement, Strategy
from strategy.selectors import measure_value_disclosed
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in
from tests.incidents.factories import CategoryFactory, DatasetFactory, RecordFactory
from tests.strategy.factories import (
    LocalDefinitionFactory,
    MeasureQueryFactory,
    OutcomeMeasureFactory,
    ThemeFactory,
)

MONTHS = [dt.date(2024, month, 1) for month in (1, 2, 3, 4)]


@pytest.fixture
def measures_setup(partnership, org_a, org_b, opfcc):
    """A published strategy, a review, consultations and a measure fed by police records."""
    strategy = ThemeFactory(
        strategy__status=Strategy.Status.PUBLISHED, strategy__title="Testshire Strategy"
    ).strategy
    LocalDefinitionFactory(strategy=strategy)
    AnnualReview.objects.create(
        strategy=strategy,
        review_date=dt.date(2024, 12, 12),
        findings="Most actions are on track; hospital data sharing is late.",
        changes_made="We added an action on healthy relationships in schools.",
        next_review_due=dt.date(2025, 12, 31),
    )
    for who, kind in (("HMP Five Wells", "prison"), ("Youth panel", "young_people")):
        Consultation.objects.create(
            strategy=strategy,
            consultee=who,
            consultee_kind=kind,
            consulted_on=dt.date(2023, 10, 2),
            method="Meeting",
            response="Supported the priorities.",
        )
    police = DatasetFactory(owner=org_a, slug="police-extract", name="Police extract")
    violence = CategoryFactory(slug="violence-with-injury", name="Violence with injury")
    for count, month in enumerate(MONTHS, start=9):  # 9, 10, 11, 12 a month
        for _ in range(count):
            RecordFactory(
                dataset=police,
                occurred_on=month,
                category=violence,
                weapon=IncidentRecord.Weapon.KNIFE,
                victim_age_band="18-24",
            )
    measure = OutcomeMeasureFactory(
        slug="knife-violence-under-25",
        name="Knife violence against people under 25",
        baseline_value=Decimal(12),
        baseline_date=dt.date(2023, 12, 31),
        target_value=Decimal(8),
        target_description="Fewer than 8 a month by 2026",
        data_notes="Needs the police extract with victim ages.",
    )
    MeasureQueryFactory(
        measure=measure,
        datasets=[police],
        categories=[violence],
        weapons=["knife"],
        under_25="victim",
    )
    return measure


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in the live server's thread so the page shows their result."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.update(task_always_eager=True)
    yield
    celery_app.conf.update(task_always_eager=before)


@pytest.mark.django_db(transaction=True)
def test_staff_refresh_a_measure_and_partners_read_it(
    page, measures_setup, staff, viewer, eager_tasks, browser, live_server
):
    sign_in(page, staff.email, PASSWORD)
    page.get_by_role("link", name="Outcome measures").click()
    page.wait_for_url("**/strategy/measures/")
    assert page.get_by_role("heading", name="Outcome measures", level=1).is_visible()
    check_accessibility(page, "strategy-measures")

    page.get_by_role("link", name="Knife violence against people under 25").click()
    assert page.get_by_text("No values have been recorded yet.").is_visible()
    assert page.get_by_text("Needs the police extract with victim ages.").is_visible()
    page.get_by_role("button", name="Refresh from incident data").click()
    assert page.get_by_text("is being refreshed from incident data").is_visible()
    page.reload()
    assert Measurement.objects.filter(source="computed").count() == 4
    # Staff may not see the police records, so they read disclosure-controlled values (the cell
    # key method): four months shown, none of them a small number.
    assert page.get_by_role("img", name="Line chart of knife violence against people under 25")
    check_accessibility(page, "strategy-measure-detail")

    # A viewer of the police (the records' owner) reads the exact values, with no refresh button.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    other = context.new_page()
    try:
        sign_in(other, viewer.email, PASSWORD)
        other.goto(reverse("strategy:measure", args=["knife-violence-under-25"]))
        table = other.get_by_role("table")
        for value in ("9", "10", "11", "12"):
            assert table.get_by_role("cell", name=value, exact=True).is_visible(), value
        assert other.get_by_text("Up 1 from the period before").is_visible()
        assert other.get_by_role("button", name="Refresh from incident data").count() == 0
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_partner_reads_reviews_and_the_consultation_register(page, measures_setup, viewer):
    sign_in(page, viewer.email, PASSWORD)
    page.goto(reverse("strategy:plan"))
    page.get_by_role("link", name="annual reviews of the strategy").click()
    assert page.get_by_role("heading", name="Annual reviews of the strategy").is_visible()
    check_accessibility(page, "strategy-reviews")
    page.get_by_role("link", name="12 December 2024").click()
    assert page.get_by_text("hospital data sharing is late").is_visible()
    check_accessibility(page, "strategy-review-detail")

    page.goto(reverse("strategy:consultations"))
    check_accessibility(page, "strategy-consultations")
    page.get_by_label("Who was consulted").select_option("prison")
    page.get_by_role("button", name="Show consultations").click()
    assert page.get_by_role("link", name="HMP Five Wells").is_visible()
    assert page.get_by_role("link", name="Youth panel").count() == 0
    page.get_by_role("link", name="HMP Five Wells").click()
    assert page.get_by_text("Supported the priorities.").is_visible()
    check_accessibility(page, "strategy-consultation-detail")

    page.goto(reverse("strategy:consultations") + "?kind=nonsense")
    assert page.title().startswith("Error: ")
    check_accessibility(page, "strategy-consultations-error")


@pytest.mark.django_db(transaction=True)
def test_register_filter_works_without_javascript(browser, live_server, measures_setup, viewer):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, viewer.email, PASSWORD)
        page.goto(reverse("strategy:consultations"))
        page.get_by_label("Who was consulted").select_option("young_people")
        page.get_by_role("button", name="Show consultations").click()
        assert "kind=young_people" in page.url
        assert page.get_by_role("link", name="Youth panel").is_visible()
        assert page.get_by_role("link", name="HMP Five Wells").count() == 0
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_residents_see_suppressed_measures(page, measures_setup):
    measure = measures_setup
    for month, value in ((MONTHS[0], 6), (MONTHS[1], 23)):
        latest = Measurement.objects.create(
            measure=measure,
            period_start=month,
            period_end=(month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1),
            value=value,
        )
    page.goto(reverse("strategy:public"))
    section = page.get_by_role("heading", name="Knife violence against people under 25")
    assert section.is_visible()
    # The cell key method (core.disclosure): 23 perturbed the same way on every page.
    shown = int(measure_value_disclosed(measure, latest))
    assert page.get_by_text(f"{shown} offences (Feb 2024)").is_visible()
    check_accessibility(page, "strategy-public-measures")
