"""Residents answer on a phone, by keyboard and without JavaScript; partners read results."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from surveys import demo
from surveys.models import Answer, ContactRequest, Response, SupportContact
from tests.conftest import PASSWORD
from tests.e2e.conftest import CHROMIUM, check_accessibility, sign_in  # noqa: F401
from tests.surveys.factories import EventFactory, full_survey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_waiting(settings):
    settings.SURVEY_MIN_COMPLETION_SECONDS = 0


@pytest.fixture
def survey(partnership):
    survey = full_survey(title="Feeling safe in Testshire", slug="feeling-safe")
    survey.asks_for_contact = True
    survey.contact_purpose = "to invite you to an event"
    survey.save()
    SupportContact.objects.create(
        name="Victim Support", description="Free support after crime.", phone="08 08 16 89 111"
    )
    return survey


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def _continue(page) -> None:
    page.get_by_role("button", name="Continue").click()


def test_resident_completes_the_survey_on_a_phone(phone, survey):
    phone.goto(reverse("surveys:index"))
    _fits(phone)
    check_accessibility(phone, "surveys-index-phone")
    phone.get_by_role("link", name="Feeling safe in Testshire").click()
    assert phone.get_by_role("heading", name="Feeling safe in Testshire", level=1).is_visible()
    _fits(phone)
    check_accessibility(phone, "survey-start-phone")
    phone.get_by_role("button", name="Start now").click()

    # An answer is required: the error summary and the inline error both appear.
    _continue(phone)
    assert phone.title().startswith("Error: ")
    assert phone.get_by_role("alert").get_by_text("There is a problem").is_visible()
    _fits(phone)
    check_accessibility(phone, "survey-question-error-phone")
    phone.get_by_role("link", name="Select yes if you have been affected").click()
    phone.get_by_label("Yes").check()
    check_accessibility(phone, "survey-question-phone")
    _continue(phone)

    assert phone.get_by_role(
        "heading", name="Which types of serious violence affected you?"
    ).is_visible()
    phone.get_by_label("Personal robbery").check()
    phone.get_by_label("Other").check()
    phone.get_by_label("Please specify").fill("Arson")
    check_accessibility(phone, "survey-question-checkboxes-phone")
    _continue(phone)

    phone.get_by_label("How did it affect you? (optional)").fill("I stopped going out at night.")
    phone.get_by_label("How many times? (optional)").fill("2")
    _continue(phone)
    phone.locator("#q-when-day").fill("3")
    phone.locator("#q-when-month").fill("10")
    phone.locator("#q-when-year").fill("2023")
    _fits(phone)
    _continue(phone)
    phone.get_by_label("Fairly safe").check()
    phone.get_by_label("Your postcode district (optional)").fill("NN1 4AB")
    _continue(phone)
    assert phone.get_by_text("not all of it").first.is_visible()
    check_accessibility(phone, "survey-postcode-error-phone")
    phone.get_by_label("Your postcode district (optional)").fill("NN1")
    _continue(phone)

    # Contact consent is its own question; the details are kept apart from the answers.
    assert phone.get_by_role("heading", name="Can we contact you?").is_visible()
    check_accessibility(phone, "survey-contact-phone")
    phone.get_by_label("No, do not contact me").check()
    _continue(phone)

    assert phone.get_by_role("heading", name="Check your answers before sending them").is_visible()
    _fits(phone)
    check_accessibility(phone, "survey-check-answers-phone")
    # Change an answer and come straight back.
    phone.get_by_role("link", name="Change your answer to: How many times?").click()
    phone.get_by_label("How many times? (optional)").fill("3")
    _continue(phone)
    assert phone.get_by_role("heading", name="Check your answers before sending them").is_visible()
    assert phone.get_by_text("Other: Arson").is_visible()
    phone.get_by_role("button", name="Submit").click()

    assert phone.get_by_role("heading", name="Your answers have been sent").is_visible()
    assert phone.get_by_role("link", name="08 08 16 89 111").is_visible()
    _fits(phone)
    check_accessibility(phone, "survey-confirmation-phone")
    response = Response.objects.get()
    assert Answer.objects.get(response=response, question__key="times").number == 3
    assert not ContactRequest.objects.exists()


def _tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_journey(page, survey):
    survey.asks_for_contact = False
    survey.save()
    page.goto(reverse("surveys:start", args=[survey.slug]))
    _tab_to(page, "a.govuk-button--start")
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/1/")
    _tab_to(page, "#q-affected-1")
    page.keyboard.press("Space")
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/2/")
    _tab_to(page, "#q-types-3")
    page.keyboard.press("Space")
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/3/")
    _tab_to(page, "#q-impact")
    page.keyboard.type("Worried")
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/4/")
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/page/5/")
    _tab_to(page, "#q-safety-1")
    page.keyboard.press("Space")
    _tab_to(page, "button.govuk-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/check-your-answers/")
    _tab_to(page, "#submit")
    page.keyboard.press("Enter")
    page.wait_for_url("**/confirmation/")
    assert page.get_by_role("heading", name="Your answers have been sent").is_visible()
    stored = Response.objects.get()
    keys = set(stored.answers.values_list("question__key", "choice__value"))
    assert {("affected", "yes"), ("types", "da"), ("safety", "very-safe")} <= keys


@pytest.fixture
def no_js(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 320, "height": 640},
        java_script_enabled=False,
        bypass_csp=True,
    )
    page = context.new_page()
    yield page
    context.close()


def test_journey_without_javascript(no_js, survey):
    no_js.goto(reverse("surveys:start", args=[survey.slug]))
    no_js.get_by_role("button", name="Start now").click()
    no_js.get_by_label("Yes").check()
    _continue(no_js)
    # Without JavaScript the "please specify" box is simply shown.
    assert no_js.get_by_label("Please specify").is_visible()
    no_js.get_by_label("Other").check()
    _continue(no_js)
    assert no_js.get_by_text("Enter what ‘Other’ means for you").first.is_visible()
    no_js.get_by_label("Please specify").fill("Threats")
    _continue(no_js)
    _continue(no_js)
    _continue(no_js)
    no_js.get_by_label("Unsafe").check()
    _continue(no_js)
    # The contact fields are visible too; choosing yes without details is an error.
    no_js.get_by_label("Yes, you can contact me").check()
    _continue(no_js)
    assert no_js.get_by_text("Enter an email address or a phone number").first.is_visible()
    no_js.get_by_label("Email address").fill("resident@example.org")
    _continue(no_js)
    no_js.get_by_role("link", name="Back", exact=True).click()
    assert no_js.get_by_role("heading", name="Can we contact you?").is_visible()
    _continue(no_js)
    no_js.get_by_role("button", name="Submit").click()
    assert no_js.get_by_role("heading", name="Your answers have been sent").is_visible()
    _fits(no_js)
    assert Response.objects.count() == 1
    assert ContactRequest.objects.get().email == "resident@example.org"


def test_events_and_closed_survey_pages_are_accessible(page, partnership):
    demo.seed(stdout=io.StringIO())
    EventFactory(title="Extra drop-in")
    page.goto(reverse("surveys:events"))
    assert page.get_by_role("heading", name="Upcoming events").is_visible()
    check_accessibility(page, "survey-events")
    page.goto(reverse("surveys:start", args=[demo.SLUG_2023]))
    assert page.get_by_role("heading", name="This survey has closed").is_visible()
    check_accessibility(page, "survey-closed-outcome")


def test_analyst_reads_results_cross_tab_and_free_text(page, partnership, alice):
    demo.seed(stdout=io.StringIO())
    sign_in(page, alice.email, PASSWORD)
    page.get_by_role("link", name="Survey results").first.click()
    check_accessibility(page, "survey-results-index")
    page.get_by_role("link", name="Tackling violence and improving lives").click()
    assert page.get_by_role("heading", name="Responses over time").is_visible()
    check_accessibility(page, "survey-results")
    page.get_by_label("Only people who answered").select_option("affected:yes")
    page.get_by_role("button", name="Add filter").click()
    assert page.get_by_role("heading", name="Filters in use").is_visible()
    page.get_by_role("link", name="Show the publication view").click()
    check_accessibility(page, "survey-results-publication")
    page.goto(reverse("surveys:crosstab", args=[demo.SLUG_2023]) + "?rows=affected&cols=safety")
    assert page.get_by_role("table").first.is_visible()
    check_accessibility(page, "survey-crosstab")
    page.goto(reverse("surveys:free_text", args=[demo.SLUG_2023]) + "?question=impact-detail")
    check_accessibility(page, "survey-free-text")
    page.get_by_role("link", name="Tag themes").first.click()
    page.get_by_label("Add a new theme").fill("Fear at night")
    page.get_by_role("button", name="Save themes").click()
    assert page.locator("strong.govuk-tag", has_text="Fear at night").first.is_visible()
    page.goto(reverse("surveys:results", args=[demo.SLUG_2023]))
    with page.expect_download() as download:
        page.get_by_role("button", name="All responses (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv")


def test_staff_preview_a_draft_survey(page, survey, staff):
    survey.is_published = False
    survey.save()
    sign_in(page, staff.email, PASSWORD)
    page.goto(reverse("surveys:preview", args=[survey.pk]))
    assert page.get_by_text("You are previewing this survey").is_visible()
    check_accessibility(page, "survey-preview-start")


def test_rate_limited_page_says_when_to_try_again(page, survey, settings):
    settings.SURVEY_RATE_LIMIT = 0
    survey.asks_for_contact = False
    survey.save()
    page.goto(reverse("surveys:question", args=[survey.slug, 1]))
    page.get_by_label("No").check()
    _continue(page)
    _continue(page)
    _continue(page)
    page.get_by_label("Unsafe").check()
    _continue(page)
    response = page.request.get(page.url)
    assert response.status == 200
    page.get_by_role("button", name="Submit").click()
    assert page.get_by_role(
        "heading", name="Too many answers have been sent from your connection"
    ).is_visible()
    assert page.get_by_text("You can try again from").is_visible()
    check_accessibility(page, "survey-rate-limited")
    assert not Response.objects.exists()
