"""Results for signed-in partners: who may read what, counts, filters, cross-tabs, exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditEvent
from surveys.models import Answer, Response, Theme
from tests.factories import UserFactory
from tests.surveys.helpers import answer_all, page_url, submit_check

pytestmark = pytest.mark.django_db


def _respond(client, survey, affected="yes", where=None, word=""):
    answer_all(client, survey, affected=affected)
    if where or word:
        client.post(page_url(survey, 5), {"safety": "unsafe", "where": where or "", "word": word})
    assert submit_check(client, survey).status_code == 302


@pytest.fixture
def answered(survey, client):
    for _ in range(3):
        _respond(client, survey, "yes")
    _respond(client, survey, "no", word='=HYPERLINK("http://evil.example")')
    _respond(client, survey, "no", where="home")
    return survey


def _other_where(client, survey):
    client.post(
        page_url(survey, 5), {"safety": "unsafe", "where": "other", "where-other": "@SUM(A1)"}
    )


def test_anonymous_visitors_are_sent_to_sign_in(anonymous, answered):
    for url in (
        reverse("surveys:results_index"),
        reverse("surveys:results", args=[answered.slug]),
        reverse("surveys:crosstab", args=[answered.slug]),
        reverse("surveys:free_text", args=[answered.slug]),
    ):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert anonymous.post(reverse("surveys:export", args=[answered.slug])).status_code == 302


def test_people_outside_every_partner_are_refused(client, answered):
    client.force_login(UserFactory(email="nobody@example.org"))
    assert client.get(reverse("surveys:results_index")).status_code == 403
    assert client.get(reverse("surveys:results", args=[answered.slug])).status_code == 403


def test_viewers_and_leads_read_aggregate_results_but_not_free_text(
    viewer_client, lead_client, answered
):
    for client in (viewer_client, lead_client):
        page = client.get(reverse("surveys:results", args=[answered.slug]))
        assert page.status_code == 200
        assert client.get(reverse("surveys:free_text", args=[answered.slug])).status_code == 403
        answer = Answer.objects.exclude(text="").first()
        assert (
            client.get(reverse("surveys:tag_answer", args=[answered.slug, answer.pk])).status_code
            == 403
        )
        assert "HYPERLINK" not in page.content.decode()


def test_viewers_export_only_suppressed_summaries(viewer_client, answered):
    url = reverse("surveys:export", args=[answered.slug])
    assert viewer_client.post(url, {"kind": "responses", "format": "csv"}).status_code == 403
    assert viewer_client.post(url, {"kind": "summary", "format": "csv"}).status_code == 403
    # Five responses: too few to publish anything (core.disclosure), so the export is refused.
    few = viewer_client.post(url, {"kind": "summary", "format": "csv", "published": "1"})
    assert few.status_code == 400 and "Too few" in few.content.decode()
    for _ in range(8):
        _respond(Client(), answered, "yes")
    ok = viewer_client.post(url, {"kind": "summary", "format": "csv", "published": "1"})
    assert ok.status_code == 200
    rows = list(csv.reader(io.StringIO(ok.content.decode("utf-8-sig"))))
    affected = [r for r in rows if r[0] == "affected"]
    # 11 yes and 2 no: "no" is small, and "yes" is hidden too, or the total would reveal "no".
    assert [r[3] for r in affected if r[2] in ("Yes", "No")] == ["*", "*"]
    answered_row = next(r for r in affected if r[2] == "Answered")
    assert int(answered_row[3]) > 7


def test_draft_survey_results_are_for_staff_only(alice_client, staff_client, answered):
    answered.is_published = False
    answered.save()
    assert alice_client.get(reverse("surveys:results", args=[answered.slug])).status_code == 404
    assert staff_client.get(reverse("surveys:results", args=[answered.slug])).status_code == 200


def test_results_show_counts_percentages_chart_and_table(alice_client, answered):
    page = alice_client.get(reverse("surveys:results", args=[answered.slug]))
    assert page.status_code == 200
    results = {r.question.key: r for r in page.context["results"]}
    affected = {row.label: (row.count, round(row.percent)) for row in results["affected"].rows}
    assert affected == {"Yes": (3, 60), "No": (2, 40)}
    html = page.content.decode()
    main = html.split('id="main-content"')[1].split("</main>")[0]
    assert "<svg" in main and "<table" in main and "<script" not in main
    assert page.context["total"] == 5


def test_results_filter_by_answer(alice_client, answered):
    page = alice_client.get(
        reverse("surveys:results", args=[answered.slug]), {"answer": "affected:no"}
    )
    assert page.context["total"] == 2
    results = {r.question.key: r for r in page.context["results"]}
    assert results["types"].answered == 0


def test_publication_view_suppresses_small_numbers(alice_client, answered):
    page = alice_client.get(
        reverse("surveys:results", args=[answered.slug]), {"view": "publication"}
    )
    # Five responses in all: too few to show any figure (it was "*", "*" with a total of 5).
    assert page.context["too_few"] and page.context["results"] == []
    assert page.context["total"] == "*"
    assert "Too few to show" in page.content.decode()
    for _ in range(8):
        _respond(Client(), answered, "yes")
    page = alice_client.get(
        reverse("surveys:results", args=[answered.slug]), {"view": "publication"}
    )
    results = {r.question.key: r for r in page.context["results"]}
    assert [row.shown for row in results["affected"].rows] == ["*", "*"]


def test_crosstab_of_two_questions(alice_client, answered):
    page = alice_client.get(
        reverse("surveys:crosstab", args=[answered.slug]), {"rows": "affected", "cols": "safety"}
    )
    table = page.context["table"]
    lines = {label: cells for label, cells, _total in table.lines}
    fairly = table.col_labels.index("Fairly safe")
    unsafe = table.col_labels.index("Unsafe")
    assert lines["Yes"][fairly] == 3
    assert lines["No"][unsafe] == 2


def test_crosstab_needs_two_different_questions(alice_client, answered):
    page = alice_client.get(
        reverse("surveys:crosstab", args=[answered.slug]), {"rows": "affected", "cols": "affected"}
    )
    assert page.context["table"] is None
    assert "Select two different questions" in page.content.decode()


def test_analyst_searches_and_tags_free_text(alice_client, alice, answered):
    url = reverse("surveys:free_text", args=[answered.slug])
    page = alice_client.get(url, {"question": "impact", "q": "night"})
    assert page.context["page_obj"].paginator.count == 5
    none = alice_client.get(url, {"question": "impact", "q": "daytime"})
    assert none.context["page_obj"].paginator.count == 0
    answer = page.context["page_obj"][0]
    response = alice_client.post(
        reverse("surveys:tag_answer", args=[answered.slug, answer.pk]),
        {"new_theme": "Fear at night"},
    )
    assert response.status_code == 302
    theme = Theme.objects.get(survey=answered, name="Fear at night")
    assert list(Answer.objects.get(pk=answer.pk).themes.all()) == [theme]
    assert AuditEvent.objects.filter(action="survey.answer_tag", actor=alice).exists()
    tagged = alice_client.get(url, {"question": "impact", "theme": theme.pk})
    assert tagged.context["page_obj"].paginator.count == 1


def test_exports_are_formula_escaped_and_logged(alice_client, alice, answered, client):
    _other_where(client, answered)
    url = reverse("surveys:export", args=[answered.slug])
    response = alice_client.post(url, {"kind": "responses", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for c in row]
    assert '\'=HYPERLINK("http://evil.example")' in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert len(rows) == 1 + Response.objects.count()
    xlsx = alice_client.post(url, {"kind": "responses", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("http://evil.example")' in values
    assert not any(v.startswith(("=", "+", "@", "-")) for v in values)
    events = AuditEvent.objects.filter(action="survey.export", actor=alice)
    assert events.count() == 2
    assert {e.detail["format"] for e in events} == {"csv", "xlsx"}


def test_export_of_published_response_rows_is_refused(alice_client, answered):
    url = reverse("surveys:export", args=[answered.slug])
    response = alice_client.post(url, {"kind": "responses", "format": "csv", "published": "1"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="survey.export").exists()


def test_results_page_queries_do_not_grow_with_responses(
    alice_client, answered, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("surveys:results", args=[answered.slug])
    with CaptureQueriesContext(connection) as before:
        alice_client.get(url)
    for _ in range(5):
        _respond(client, answered, "yes")
    with CaptureQueriesContext(connection) as after:
        alice_client.get(url)
    assert len(before) == len(after)


def test_results_index_says_a_midnight_close_is_the_end_of_the_day_before(alice_client):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.surveys.factories import SurveyFactory

    SurveyFactory(
        title="Closed at midnight",
        opens_at=datetime(2023, 9, 11, 9, tzinfo=ZoneInfo("Europe/London")),
        closes_at=datetime(2023, 10, 28, 0, 0, tzinfo=ZoneInfo("Europe/London")),
    )
    body = alice_client.get(reverse("surveys:results_index")).content.decode()
    assert "Midnight at the end of Friday 27 October 2023" in body
    assert "Saturday 28 October 2023" not in body


def test_survey_results_link_only_shows_for_those_who_may_read_results(client, alice_client):
    assert "Survey results" in alice_client.get(reverse("core:dashboard")).content.decode()
    client.force_login(UserFactory(email="no.membership@example.org"))
    assert "Survey results" not in client.get(reverse("core:dashboard")).content.decode()
