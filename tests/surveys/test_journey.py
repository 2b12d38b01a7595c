"""The resident journey: routing, validation, check answers, submission and refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, ContactRequest, Response
from tests.surveys.helpers import answer_all, check_url, page_url, submit_check

pytestmark = pytest.mark.django_db


def test_resident_completes_the_survey_and_every_answer_is_stored(anonymous, survey):
    assert anonymous.get(reverse("surveys:start", args=[survey.slug])).status_code == 200
    answer_all(anonymous, survey)
    response = submit_check(anonymous, survey)
    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:confirmation", args=[survey.slug])
    stored = Response.objects.get(survey=survey)
    answers = {
        (a.question.key, a.choice.value if a.choice else None): a for a in stored.answers.all()
    }
    assert ("affected", "yes") in answers
    assert ("types", "robbery") in answers
    assert answers[("types", None)].is_other and answers[("types", None)].text == "Arson"
    assert answers[("impact", None)].text == "I do not go out at night."
    assert answers[("times", None)].number == 2
    assert answers[("when", None)].date == date(2023, 10, 3)
    assert answers[("district", None)].text == "NN1"
    assert ("age", "25-34") in answers
    # Submitted time is kept to the hour only.
    assert stored.submitted_at.minute == 0 and stored.submitted_at.second == 0
    page = anonymous.get(response["Location"])
    assert b"Your answers have been sent" in page.content


def test_answering_no_skips_the_types_page(anonymous, survey):
    response = anonymous.post(page_url(survey, 1), {"affected": "no"})
    assert response["Location"] == page_url(survey, 3)
    # The routed-out page cannot be reached directly.
    assert anonymous.get(page_url(survey, 2))["Location"] == page_url(survey, 3)


def test_changing_an_answer_drops_answers_to_questions_no_longer_asked(anonymous, survey):
    answer_all(anonymous, survey, affected="yes")
    response = anonymous.post(page_url(survey, 1) + "?change=1", {"affected": "no"})
    assert response["Location"] == check_url(survey)
    check = anonymous.get(check_url(survey))
    assert b"Which types of serious violence" not in check.content
    submit_check(anonymous, survey)
    assert not Answer.objects.filter(question__key="types").exists()
    assert Answer.objects.filter(question__key="affected", choice__value="no").exists()


def test_back_link_goes_to_the_previous_page_shown(anonymous, survey):
    anonymous.post(page_url(survey, 1), {"affected": "no"})
    page = anonymous.get(page_url(survey, 3))
    assert page.context["back_url"] == page_url(survey, 1)


def test_check_answers_sends_the_resident_to_the_first_unfinished_page(anonymous, survey):
    anonymous.post(page_url(survey, 1), {"affected": "yes"})
    assert anonymous.get(check_url(survey))["Location"] == page_url(survey, 2)


def test_required_question_left_blank_shows_the_error_and_keeps_nothing(anonymous, survey):
    page = anonymous.post(page_url(survey, 1), {})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert 'href="#q-affected-1"' in html
    assert "Select yes if you have been affected by serious violence" in html
    assert "affected" not in anonymous.session.get(f"survey-{survey.pk}", {}).get("a", {})


def test_optional_questions_can_be_left_blank(anonymous, survey):
    assert anonymous.post(page_url(survey, 1), {"affected": "no"}).status_code == 302
    assert anonymous.post(page_url(survey, 3), {}).status_code == 302
    assert anonymous.post(page_url(survey, 4), {}).status_code == 302


LONG = "x" * 2001


@pytest.mark.parametrize(
    ("position", "data", "message"),
    [
        (1, {"affected": "maybe"}, "Select one of the options from the list"),
        (2, {"types": ["robbery", "made-up"]}, "Select options from the list"),
        (2, {"types": ["other"]}, "Enter what ‘Other’ means for you"),
        (
            2,
            {"types": ["other"], "types-other": "y" * 201},
            "‘Other’ must be 200 characters or fewer",
        ),
        (2, {}, "Select at least one option"),
        (2, {"types": ["robbery"] * 50}, "Select options from the list"),
        (3, {"impact": LONG}, "Your answer must be 2,000 characters or fewer"),
        (3, {"times": "three"}, "Enter a whole number, like 3"),
        (3, {"times": "1.5"}, "Enter a whole number, like 3"),
        (3, {"times": "101"}, "Enter a number between 0 and 100"),
        (3, {"times": "9" * 40}, "Enter a whole number, like 3"),
        (
            4,
            {"when-day": "31", "when-month": "2", "when-year": "2023"},
            "The date must be a real date",
        ),
        (
            4,
            {"when-day": "3", "when-month": "", "when-year": "2023"},
            "The date must include a month",
        ),
        (4, {"when-day": "a", "when-month": "1", "when-year": "2023"}, "The day must be a number"),
        (4, {"month-month": "13", "month-year": "2023"}, "The month must be between 1 and 12"),
        (4, {"month-month": "1", "month-year": "1066"}, "The year must be between 1900 and 2100"),
        (5, {"safety": ""}, "Select an answer"),
        (5, {"safety": "fairly-safe", "district": "NN1 2AB"}, "not all of it"),
        (
            5,
            {"safety": "fairly-safe", "district": "ZZZZ"},
            "Enter the first half of a real postcode",
        ),
        (5, {"safety": "fairly-safe", "district": "N" * 11}, "Enter only the first half"),
        (5, {"safety": "very-safe; DROP TABLE"}, "Select one of the options from the list"),
        (5, {"safety": "fairly-safe", "age": "17"}, "Select one of the options from the list"),
        (5, {"safety": "fairly-safe", "word": "w" * 201}, "200 characters or fewer"),
        (5, {"safety": "fairly-safe", "where": "other"}, "Enter what ‘Other’ means for you"),
    ],
)
def test_bad_answers_get_a_clear_error_and_nothing_is_kept(
    anonymous, survey, position, data, message
):
    anonymous.post(page_url(survey, 1), {"affected": "yes"})
    response = anonymous.post(page_url(survey, position), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "There is a problem" in html
    saved = anonymous.session[f"survey-{survey.pk}"]["a"]
    for key in data:
        assert key.split("-")[0] not in saved or key.split("-")[0] == "affected"
    assert not Response.objects.exists()


def test_a_full_postcode_is_never_kept_anywhere(anonymous, survey):
    anonymous.post(page_url(survey, 1), {"affected": "no"})
    anonymous.post(page_url(survey, 5), {"safety": "unsafe", "district": "NN1 2AB"})
    assert "NN1 2AB" not in str(dict(anonymous.session))


def test_tampered_digest_is_refused_and_nothing_is_stored(anonymous, survey):
    answer_all(anonymous, survey)
    anonymous.get(check_url(survey))
    response = anonymous.post(check_url(survey), {"digest": "0" * 64})
    assert response.status_code == 200
    assert "Your answers changed since this page was shown" in response.content.decode()
    assert "<title>Error: " in response.content.decode()
    assert not Response.objects.exists()


def test_closed_survey_refuses_answers_even_mid_journey(anonymous, survey):
    answer_all(anonymous, survey)
    page = anonymous.get(check_url(survey))
    survey.closes_at = timezone.now() - timedelta(minutes=1)
    survey.opens_at = timezone.now() - timedelta(days=10)
    survey.save()
    response = anonymous.post(check_url(survey), {"digest": page.context["digest"]})
    assert response.status_code == 410
    assert "This survey has closed" in response.content.decode()
    assert not Response.objects.exists()
    assert anonymous.post(page_url(survey, 1), {"affected": "yes"}).status_code == 410


def test_closed_survey_start_page_says_it_is_closed(anonymous, survey):
    survey.closes_at = timezone.now() - timedelta(days=1)
    survey.save()
    page = anonymous.get(reverse("surveys:start", args=[survey.slug]))
    assert page.status_code == 200
    assert "This survey has closed" in page.content.decode()
    assert "Start now" not in page.content.decode()


def test_unpublished_survey_shows_a_clear_page(anonymous, survey):
    survey.is_published = False
    survey.save()
    page = anonymous.get(reverse("surveys:start", args=[survey.slug]))
    assert page.status_code == 404
    assert "This survey is not available" in page.content.decode()
    assert anonymous.post(page_url(survey, 1), {"affected": "yes"}).status_code == 404


def test_forthcoming_survey_says_when_it_opens_and_refuses_answers(anonymous, survey):
    survey.opens_at = timezone.now() + timedelta(days=1)
    survey.save()
    page = anonymous.get(reverse("surveys:start", args=[survey.slug]))
    assert "This survey is not open yet" in page.content.decode()
    assert anonymous.post(page_url(survey, 1), {"affected": "yes"}).status_code == 403


def test_honeypot_answers_are_silently_discarded(anonymous, survey):
    answer_all(anonymous, survey)
    page = anonymous.get(check_url(survey))
    response = anonymous.post(
        check_url(survey), {"digest": page.context["digest"], "website": "http://spam.example"}
    )
    assert response["Location"] == reverse("surveys:confirmation", args=[survey.slug])
    assert not Response.objects.exists()


def test_honeypot_on_a_question_page_marks_the_whole_submission(anonymous, survey):
    anonymous.post(page_url(survey, 1), {"affected": "no", "website": "spam"})
    for position, data in [(3, {}), (4, {}), (5, {"safety": "unsafe"})]:
        anonymous.post(page_url(survey, position), data)
    submit_check(anonymous, survey)
    assert not Response.objects.exists()


def test_answers_sent_faster_than_a_person_could_are_not_stored(anonymous, survey, settings):
    settings.SURVEY_MIN_COMPLETION_SECONDS = 600
    answer_all(anonymous, survey)
    response = submit_check(anonymous, survey)
    assert response.status_code == 200
    assert "You sent your answers very quickly" in response.content.decode()
    assert not Response.objects.exists()


def test_rate_limit_refuses_with_an_accessible_429_page(survey, settings, client):
    settings.SURVEY_RATE_LIMIT = 2
    for _ in range(2):
        answer_all(client, survey)
        assert submit_check(client, survey).status_code == 302
    answer_all(client, survey)
    response = submit_check(client, survey)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Too many answers have been sent from your connection" in html
    assert "You can try again from" in html
    assert Response.objects.count() == 2


def test_rate_limit_counts_each_address_separately(survey, settings, client):
    settings.SURVEY_RATE_LIMIT = 1
    settings.TRUSTED_PROXY_COUNT = 1
    for address in ("198.51.100.1", "198.51.100.2"):
        answer_all(client, survey)
        assert submit_check(client, survey, HTTP_X_FORWARDED_FOR=address).status_code == 302
    answer_all(client, survey)
    assert submit_check(client, survey, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429


def test_contact_details_need_consent_and_are_kept_apart_from_answers(anonymous, survey):
    survey.asks_for_contact = True
    survey.contact_purpose = "to invite you to a community event"
    survey.save()
    answer_all(anonymous, survey)
    assert anonymous.get(check_url(survey))["Location"] == reverse(
        "surveys:contact", args=[survey.slug]
    )
    missing = anonymous.post(reverse("surveys:contact", args=[survey.slug]), {"consent": "yes"})
    assert "Enter an email address or a phone number" in missing.content.decode()
    anonymous.post(
        reverse("surveys:contact", args=[survey.slug]),
        {"consent": "yes", "name": "Pat", "email": "pat@example.org"},
    )
    submit_check(anonymous, survey)
    contact = ContactRequest.objects.get()
    assert contact.email == "pat@example.org"
    assert contact.received_on == timezone.localdate()
    assert not Answer.objects.filter(text__icontains="pat@example.org").exists()
    assert {f.name for f in ContactRequest._meta.get_fields()}.isdisjoint({"response", "answers"})


def test_declining_contact_stores_no_details(anonymous, survey):
    survey.asks_for_contact = True
    survey.save()
    answer_all(anonymous, survey)
    anonymous.post(
        reverse("surveys:contact", args=[survey.slug]),
        {"consent": "no", "email": "should-not@example.org"},
    )
    submit_check(anonymous, survey)
    assert Response.objects.count() == 1
    assert not ContactRequest.objects.exists()


def test_queries_per_submitted_page_do_not_grow_with_questions(anonymous, survey):
    anonymous.get(page_url(survey, 1))
    with CaptureQueriesContext(connection) as one_question:
        anonymous.post(page_url(survey, 1), {"affected": "yes"})
    anonymous.post(page_url(survey, 2), {"types": ["robbery"]})
    anonymous.post(page_url(survey, 3), {})
    anonymous.post(page_url(survey, 4), {})
    with CaptureQueriesContext(connection) as five_questions:
        anonymous.post(
            page_url(survey, 5),
            {"safety": "unsafe", "district": "NN1", "age": "18-24", "where": "home", "word": "ok"},
        )
    assert len(one_question) == len(five_questions)


def test_a_submitted_page_costs_three_queries(anonymous, survey):
    anonymous.get(page_url(survey, 1))
    with CaptureQueriesContext(connection) as queries:
        sent = anonymous.post(page_url(survey, 1), {"affected": "yes"})
    assert sent.status_code == 302
    # Read the session, check the survey's version, write the session: nothing else.
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]


def test_a_shown_page_costs_four_queries(anonymous, survey):
    anonymous.get(page_url(survey, 1))
    with CaptureQueriesContext(connection) as queries:
        shown = anonymous.get(page_url(survey, 1))
    assert shown.status_code == 200
    # As a submitted page, plus the partnership's version for the kept header and footer.
    assert len(queries) == 4, [q["sql"] for q in queries.captured_queries]


def _submit_queries(client, survey, answers_page_5, address):
    client.post(page_url(survey, 1), {"affected": "yes"})
    client.post(page_url(survey, 2), {"types": ["robbery", "weapon", "da"]})
    client.post(page_url(survey, 3), {})
    client.post(page_url(survey, 4), {})
    client.post(page_url(survey, 5), answers_page_5)
    page = client.get(check_url(survey))
    with CaptureQueriesContext(connection) as queries:
        sent = client.post(
            check_url(survey), {"digest": page.context["digest"]}, REMOTE_ADDR=address
        )
    assert sent.status_code == 302
    return len(queries)


def test_queries_to_store_a_response_do_not_grow_with_answers(client, survey):
    # Different addresses, so both submissions take the same (first in the window) rate-limit path.
    few = _submit_queries(client, survey, {"safety": "unsafe"}, "192.0.2.1")
    many = _submit_queries(
        client,
        survey,
        {"safety": "unsafe", "district": "NN1", "age": "18-24", "where": "home", "word": "ok"},
        "192.0.2.2",
    )
    assert few == many
    assert Response.objects.count() == 2


def test_honeypot_on_the_contact_page_marks_the_whole_submission(anonymous, survey):
    survey.asks_for_contact = True
    survey.save()
    answer_all(anonymous, survey)
    anonymous.post(
        reverse("surveys:contact", args=[survey.slug]),
        {"consent": "yes", "email": "bot@example.org", "website": "spam"},
    )
    submit_check(anonymous, survey)
    assert not Response.objects.exists()
    assert not ContactRequest.objects.exists()
