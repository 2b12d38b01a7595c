"""Evidence journeys: an analyst lands on the overview, follows a priority to trend, where,
when and who, compares police with hospital data, checks who is late and downloads a table.
Every page passes axe-core (WCAG 2.2 AA) and works without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from incidents.models import PriorityCrimeType
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in
from tests.evidence.seed import seed_evidence, seed_geography
from tests.incidents.factories import PriorityFactory

QUERY = "?start=2023-01&end=2023-12"


@pytest.fixture
def evidence_seeded(partnership, org_a, org_b):
    knife = PriorityFactory(slug="knife-crime", name="Knife crime")
    return seed_evidence(
        geography=seed_geography(), police_owner=org_a, health_owner=org_b, knife=knife
    )


@pytest.mark.django_db(transaction=True)
def test_analyst_explores_the_evidence(page, evidence_seeded, alice):
    sign_in(page, alice.email, PASSWORD)
    page.wait_for_url("**/evidence/")
    assert page.get_by_role("heading", name="Is violence rising or falling?").is_visible()
    check_accessibility(page, "evidence-overview")
    # The shared choices: a GET form inside a details element.
    page.get_by_text("Change what, when, where and which datasets").click()
    page.get_by_label("One priority").check()
    page.get_by_label("Priority (optional)").select_option("knife-crime")
    page.get_by_label("From month (optional)").select_option("2023-01")
    page.get_by_label("To month (optional)").select_option("2023-12")
    page.get_by_role("button", name="Show").click()
    assert "priority=knife-crime" in page.url
    assert page.get_by_role("heading", name="Knife crime").first.is_visible()
    page.get_by_role("link", name="Trend", exact=True).click()
    assert "priority=knife-crime" in page.url  # the choices follow the reader
    assert page.get_by_role("img", name="Control chart of monthly Knife crime").is_visible()
    check_accessibility(page, "evidence-trend")
    for name, heading, shot in (
        ("Where", "Wards compared with the whole area", "evidence-where"),
        ("When", "Night-time economy window", "evidence-when"),
        ("Who", "Under-25s", "evidence-who"),
        ("Deprivation", None, "evidence-deprivation"),
        ("Police and health", "Places the hospitals name", "evidence-police-health"),
        ("Data quality", None, "evidence-data-quality"),
        ("Alerts", "Alert e-mails", "evidence-alerts"),
        ("Methodology", "Denominators", "evidence-methodology"),
    ):
        page.get_by_role("navigation", name="Evidence pages").get_by_role(
            "link", name=name, exact=True
        ).click()
        if heading:
            assert page.get_by_role("heading", name=heading).first.is_visible()
        check_accessibility(page, shot)
    # Any table downloads as CSV.
    page.goto(reverse("evidence:where") + QUERY)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download “Rates by district” as CSV").click()
    assert download.value.suggested_filename.startswith("evidence-where-district-")


@pytest.mark.django_db(transaction=True)
def test_pages_work_without_javascript(browser, live_server, evidence_seeded, alice):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, alice.email, PASSWORD)
    page.goto(reverse("evidence:where") + QUERY + "&area=district:E07000001")
    # Charts are server-side SVG: there without any script.
    assert page.get_by_role("img", name=re.compile("^Funnel plot of")).is_visible()
    assert page.get_by_text("Counting").first.is_visible()
    assert "Northtown" in page.content()
    context.close()
    assert PriorityCrimeType.objects.filter(slug="knife-crime").exists()
