"""Browser journey for the SNA: staff create an edition, generate it, read and download it;
every page passes axe-core (WCAG 2.2 AA), and the form works without JavaScript."""

from __future__ import annotations

import pytest

from assessments.models import Edition
from tests.assessments.conftest import evidence_data, geography, knife  # noqa: F401
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in


@pytest.mark.django_db(transaction=True)
def test_staff_create_generate_and_read_an_edition(page, staff, evidence_data):  # noqa: F811
    staff.set_password(PASSWORD)
    staff.save()
    sign_in(page, staff.email, PASSWORD)
    page.get_by_role("link", name="Needs assessment").first.click()
    page.wait_for_url("**/assessments/")
    check_accessibility(page, "sna-list")

    page.get_by_role("link", name="Create an edition").click()
    page.get_by_role("button", name="Create the edition").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert page.title().startswith("Error: ")
    check_accessibility(page, "sna-form-errors")

    page.get_by_label("Title").fill("Testshire Strategic Needs Assessment")
    page.get_by_label("Edition", exact=True).fill("2023 edition")
    page.get_by_label("First month covered").fill("2023-01")
    page.get_by_label("Last month covered").fill("2023-12")
    page.get_by_label("The whole partnership").check()
    page.get_by_label("Restricted (full assessment").check()
    page.get_by_label("Police extract").check()
    page.get_by_label("ED assaults").check()
    page.get_by_label("Testshire Police").check()
    page.get_by_label("Executive summary").fill("Violence fell in 2023.")
    page.get_by_role("button", name="Create the edition").click()
    page.get_by_text("Edition created.").wait_for()
    check_accessibility(page, "sna-edition-draft")

    # Tests run tasks in-process, so Generate returns once the edition is built (slowly).
    page.set_default_timeout(600_000)
    page.get_by_role("button", name="Generate").click()
    page.set_default_timeout(30_000)
    edition = Edition.objects.get()
    assert edition.status == Edition.Status.READY, edition.problem
    assert edition.datasets.count() == 2
    assert page.get_by_text("Ready", exact=True).is_visible()
    check_accessibility(page, "sna-edition-ready")

    page.get_by_role("link", name="Preview the pages").click()
    assert page.get_by_role("img", name=f"Page 1 of {edition.page_count}").is_visible()
    if edition.page_count > 12:
        page.get_by_role("link", name="Next pages").click()
        assert page.get_by_role("img", name=f"Page 13 of {edition.page_count}").is_visible()
        check_accessibility(page, "sna-preview-next")
        page.go_back()
    check_accessibility(page, "sna-preview")
    page.go_back()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename.endswith("-2023-edition-restricted.pdf")

    page.get_by_role("link", name="Read it as web pages").click()
    assert page.get_by_role("heading", name="Testshire Strategic Needs Assessment", level=1)
    assert page.get_by_role("heading", name="Knife crime", level=2).is_visible()
    check_accessibility(page, "sna-web-edition")


@pytest.mark.django_db(transaction=True)
def test_edition_form_works_without_javascript(browser, live_server, staff, evidence_data):  # noqa: F811
    staff.set_password(PASSWORD)
    staff.save()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, staff.email, PASSWORD)
        page.goto("/assessments/new/")
        page.get_by_label("Title").fill("No script SNA")
        page.get_by_label("Edition", exact=True).fill("2023 edition")
        page.get_by_label("First month covered").fill("2023-01")
        page.get_by_label("Last month covered").fill("2023-03")
        page.get_by_label("The whole partnership").check()
        page.get_by_label("Public summary").check()
        page.get_by_label("Police extract").check()
        page.get_by_role("button", name="Create the edition").click()
        page.get_by_text("Edition created.").wait_for()
        edition = Edition.objects.get()
        assert (edition.title, edition.audience) == ("No script SNA", "public")
    finally:
        context.close()
