"""Hypothesis feeds the survey's answer validation, and the resident's pages, random and
adversarial answers: each is accepted as a clean value or refused with a message, never a server
error, and nothing is stored until the resident submits a complete, valid set."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.forms import AnswerError, clean_answer
from surveys.models import Answer, Question, Response
from tests.surveys.helpers import check_url, page_url

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PARTS = ["", "-other", "-day", "-month", "-year"]

hostile = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "yes\x00",
            "other",
            "robbery",
            "-0",
            "00000000000001",
            "1e3",
            "٣",
            "１２",
            "9" * 30,
            "-9223372036854775809",
            "NN1 1AA",
            "nn1",
            "SW1A",
            "<script>",
            "a" * 20_000,
            "31",
            "2",
            "2023",
            "0",
            "13",
            "1899",
            "2101",
            "very-safe",
            "\u202e",
            "=1+1",
        ]
    ),
)
posted = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "affected",
                "types",
                "impact",
                "times",
                "when",
                "month",
                "safety",
                "district",
                "age",
                "where",
                "word",
            ]
        ),
        st.sampled_from(PARTS),
        hostile,
    ),
    max_size=14,
)


def _query_dict(items: list[tuple[str, str, str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, part, value in items:
        data.appendlist(f"{key}{part}", value)
    return data


@pytest.mark.django_db
@FUZZ
@given(items=posted)
def test_every_answer_is_clean_or_refused_with_a_message(survey, items):
    data = _query_dict(items)
    for question in Question.objects.filter(survey=survey).prefetch_related("choices"):
        try:
            value = clean_answer(question, data)
        except AnswerError as error:
            assert error.message.strip()
            continue
        if value is None:
            assert not question.required
        elif question.kind == Question.Kind.MULTIPLE:
            allowed = {c.value for c in question.choices.all()} | {"other"}
            assert set(value) <= allowed
        elif question.kind == Question.Kind.NUMBER:
            assert question.min_value <= value <= question.max_value
        elif question.is_choice:
            assert value in {c.value for c in question.choices.all()} | {"other"}
        elif question.is_text:
            assert "\x00" not in value
            assert value == value.strip()


@pytest.mark.django_db
@FUZZ
@given(pages=st.lists(st.tuples(st.integers(1, 6), posted), min_size=1, max_size=4), digest=hostile)
def test_resident_pages_never_error_and_store_nothing_unsubmitted(survey, pages, digest):
    client = Client()
    assert client.get(page_url(survey, 1)).status_code == 200
    for position, items in pages:
        response = client.post(page_url(survey, position), _query_dict(items))
        assert response.status_code in (200, 302, 404), response.status_code
    # A forged or stale digest on "check your answers" stores nothing.
    response = client.post(check_url(survey), {"digest": digest})
    assert response.status_code in (200, 302, 400, 403), response.status_code
    assert not Response.objects.exists()
    assert not Answer.objects.exists()
