"""Demo data and the public index, outcome and events pages."""

from __future__ import annotations

import io
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.disclosure import disclose_cell, is_small
from surveys import demo
from surveys.models import Answer, EngagementEvent, Response, Survey
from tests.surveys.factories import EventFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def test_demo_creates_the_2023_survey_closed_at_midnight_friday_and_is_idempotent(partnership):
    demo.seed(stdout=io.StringIO())
    survey = Survey.objects.get(slug=demo.SLUG_2023)
    assert survey.closes_at == datetime(
        2023, 10, 28, 0, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London")
    )
    assert survey.status() == "closed"
    assert Response.objects.filter(survey=survey).count() == demo.RESPONSES_2023
    assert survey.questions.get(key="types").choices.count() == 6
    counts = (Response.objects.count(), Answer.objects.count(), EngagementEvent.objects.count())
    first_answers = list(Answer.objects.order_by("pk").values_list("choice__value", "text")[:50])
    demo.seed(stdout=io.StringIO())
    assert (
        Response.objects.count(),
        Answer.objects.count(),
        EngagementEvent.objects.count(),
    ) == counts
    assert Survey.objects.get(slug=demo.SLUG_OPEN).status() == "open"
    # Deterministic: the same answers come back after a fresh load.
    Answer.objects.all().delete()
    Response.objects.all().delete()
    Survey.objects.filter(slug=demo.SLUG_2023).delete()
    demo.seed(stdout=io.StringIO())
    assert (
        list(Answer.objects.order_by("pk").values_list("choice__value", "text")[:50])
        == first_answers
    )


def test_closed_survey_page_shows_the_outcome_with_suppressed_figures_and_no_free_text(
    anonymous, partnership
):
    demo.seed(stdout=io.StringIO())
    page = anonymous.get(reverse("surveys:start", args=[demo.SLUG_2023]))
    html = page.content.decode()
    assert "This survey has closed" in html
    assert "midnight at the end of Friday 27 October 2023" in html
    assert "What we heard" in html and "What we did" in html
    for result in page.context["outcome_results"]:
        for row in result.rows:
            # Cell key method (core.disclosure): never a small number, the perturbed figure.
            assert row.shown == "*" or row.shown == 0 or int(row.shown) > 7
            if row.shown != "*" and is_small(row.count) is False:
                assert row.shown == disclose_cell(row.count, row.key_sum)
    for text in demo.IMPACT_TEXTS + demo.HELP_TEXTS + demo.OTHER_TYPES:
        assert text not in html


def test_index_groups_open_forthcoming_and_closed_surveys(anonymous, partnership):
    now = timezone.now()
    SurveyFactory(title="Open one")
    SurveyFactory(
        title="Future one", opens_at=now + timedelta(days=3), closes_at=now + timedelta(days=9)
    )
    SurveyFactory(
        title="Old one",
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=3),
        outcome_published=True,
    )
    SurveyFactory(title="Draft one", is_published=False)
    page = anonymous.get(reverse("surveys:index"))
    groups = page.context["groups"]
    assert [s.title for s in groups["open"]] == ["Open one"]
    assert [s.title for s in groups["forthcoming"]] == ["Future one"]
    assert [s.title for s in groups["closed"]] == ["Old one"]
    assert "Draft one" not in page.content.decode()
    assert "Outcome published" in page.content.decode()


def test_events_page_lists_upcoming_and_past(anonymous, partnership):
    EventFactory(title="Next week")
    EventFactory(title="Last month", starts_at=timezone.now() - timedelta(days=30))
    EventFactory(title="Hidden", is_published=False)
    page = anonymous.get(reverse("surveys:events"))
    assert [e.title for e in page.context["upcoming"]] == ["Next week"]
    assert [e.title for e in page.context["past"]] == ["Last month"]
    assert "Hidden" not in page.content.decode()
    assert "hearing loop" in page.content.decode()
