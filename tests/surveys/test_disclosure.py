"""Partner leads and viewers never learn a small count from survey results (issue 10).

Whatever filters, cross-tab or download they choose, every figure they get is 0, "*" or above
the threshold (core.disclosure), a filter that leaves 1 to the threshold respondents shows "too
few to show", and free text never reaches them.
"""

from __future__ import annotations

import csv
import io
from itertools import combinations

import pytest
from django.test import Client
from django.urls import reverse

from core.disclosure import SUPPRESSED
from surveys.selectors import answer_filter_options, survey_structure
from tests.surveys.helpers import answer_all, page_url, submit_check

pytestmark = pytest.mark.django_db
THRESHOLD = 7


def _respond(survey, affected: str, safety: str = "fairly-safe") -> None:
    client = Client()
    answer_all(client, survey, affected=affected)
    client.post(page_url(survey, 5), {"safety": safety, "district": "nn1", "age": "25-34"})
    assert submit_check(client, survey).status_code == 302


@pytest.fixture
def answered(survey):
    for _ in range(11):
        _respond(survey, "yes")
    for _ in range(2):
        _respond(survey, "no", safety="unsafe")
    return survey


def _safe(cell) -> bool:
    return cell == SUPPRESSED or cell == 0 or int(cell) > THRESHOLD


def _filter_sets(survey) -> list[list[str]]:
    options = [value for value, _label in answer_filter_options(survey_structure(survey.slug))]
    return [[]] + [[o] for o in options] + [list(p) for p in combinations(options[:6], 2)]


@pytest.mark.parametrize("persona", ["viewer_client", "lead_client"])
def test_no_filter_combination_shows_a_small_count(request, persona, answered):
    client = request.getfixturevalue(persona)
    url = reverse("surveys:results", args=[answered.slug])
    for filters in _filter_sets(answered):
        # Asking for the exact view changes nothing for them.
        page = client.get(url, {"answer": filters, "view": ""})
        context = page.context
        assert context["publication"], filters
        assert _safe(context["total"]), filters
        if context["too_few"]:
            assert context["results"] == [] and "Too few to show" in page.content.decode()
            continue
        for result in context["results"]:
            assert _safe(result.answered_shown), (filters, result.question.key)
            assert result.question.is_choice
            for row in result.rows:
                assert _safe(row.shown), (filters, result.question.key, row.label)
            assert "low" not in result.summary and "mean_point" not in result.summary


def test_a_filter_isolating_two_people_says_too_few_to_show(viewer_client, answered):
    page = viewer_client.get(
        reverse("surveys:results", args=[answered.slug]), {"answer": "affected:no"}
    )
    assert page.context["too_few"] and page.context["results"] == []
    assert page.context["total"] == SUPPRESSED
    assert "Too few to show" in page.content.decode()
    crosstab = viewer_client.get(
        reverse("surveys:crosstab", args=[answered.slug]),
        {"rows": "safety", "cols": "age", "answer": "affected:no"},
    )
    assert crosstab.context["too_few"] and crosstab.context["table"] is None
    assert "Too few to show" in crosstab.content.decode()
    export = viewer_client.post(
        reverse("surveys:export", args=[answered.slug]),
        {"kind": "summary", "format": "csv", "published": "1", "answer": "affected:no"},
    )
    assert export.status_code == 400 and "Too few" in export.content.decode()


@pytest.mark.parametrize("persona", ["viewer_client", "lead_client"])
def test_no_cross_tab_shows_a_small_count(request, persona, answered):
    client = request.getfixturevalue(persona)
    structure = survey_structure(answered.slug)
    keys = [q.key for q in structure.questions if q.is_choice]
    url = reverse("surveys:crosstab", args=[answered.slug])
    for rows, cols in combinations(keys, 2):
        for filters in ([], ["affected:yes"]):
            context = client.get(url, {"rows": rows, "cols": cols, "answer": filters}).context
            assert context["publication"]
            if context["too_few"]:
                continue
            table = context["table"]
            for _label, cells, total in table.lines:
                assert all(_safe(c) for c in cells) and _safe(total), (rows, cols)
            assert all(_safe(t) for t in table.col_totals), (rows, cols)


def test_publishable_exports_never_carry_a_small_count(viewer_client, answered):
    url = reverse("surveys:export", args=[answered.slug])
    for filters in _filter_sets(answered):
        response = viewer_client.post(
            url, {"kind": "summary", "format": "csv", "published": "1", "answer": filters}
        )
        if response.status_code == 400:
            assert "Too few" in response.content.decode()
            continue
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
        for row in rows:
            cell = row[3]
            assert cell == SUPPRESSED or int(cell) == 0 or int(cell) > THRESHOLD, (filters, row)


def test_free_text_never_reaches_leads_or_viewers(viewer_client, lead_client, answered):
    for client in (viewer_client, lead_client):
        assert client.get(reverse("surveys:free_text", args=[answered.slug])).status_code == 403
        html = client.get(reverse("surveys:results", args=[answered.slug])).content.decode()
        assert "I do not go out at night." not in html and "Arson" not in html
        assert "nn1" not in html.lower().replace("nn1 ", "")  # no postcode districts either


def test_analysts_still_see_exact_figures_by_default(alice_client, answered):
    page = alice_client.get(reverse("surveys:results", args=[answered.slug]))
    assert not page.context["publication"] and page.context["total"] == 13


def test_results_index_shows_leads_and_viewers_disclosed_response_counts(
    viewer_client, alice_client, survey
):
    for _ in range(3):
        _respond(survey, "no")
    viewer = viewer_client.get(reverse("surveys:results_index"))
    assert [s.response_shown for s in viewer.context["surveys"]] == [SUPPRESSED]
    assert 'numeric">3</td>' not in viewer.content.decode()
    analyst = alice_client.get(reverse("surveys:results_index"))
    assert [s.response_shown for s in analyst.context["surveys"]] == [3]
