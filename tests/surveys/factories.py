"""Factories and a ready-made survey covering every question type."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from surveys.models import Choice, EngagementEvent, Question, Survey, SurveyPage
from surveys.services import question_fixed_choices_ensure


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    title = factory.Sequence(lambda n: f"Feeling safe survey {n}")
    slug = factory.Sequence(lambda n: f"feeling-safe-{n}")
    introduction = "Tell us how safe you feel.\n\nIt takes five minutes."
    privacy_notice = "Your answers are anonymous."
    run_by = "the Testshire partnership"
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    alternative_formats = "Email surveys@example.org for paper, easy read or large print."
    is_published = True


class PageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyPage

    survey = factory.SubFactory(SurveyFactory)
    position = factory.Sequence(lambda n: n + 1)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementEvent

    title = factory.Sequence(lambda n: f"Community drop-in {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    venue = "Testshire Library"
    accessibility = "Step-free access and a hearing loop."
    how_to_book = "No need to book."


def add_question(
    survey: Survey,
    page: SurveyPage,
    key: str,
    kind: str,
    text: str,
    choices: list[tuple[str, str]] | None = None,
    **extra,
) -> Question:
    question = Question.objects.create(
        survey=survey, page=page, key=key, kind=kind, text=text, **extra
    )
    for i, (value, label) in enumerate(choices or [], start=1):
        Choice.objects.create(question=question, position=i, value=value, label=label)
    question_fixed_choices_ensure(question=question)
    return question


def full_survey(**survey_fields) -> Survey:
    """Five pages using every question type, with routing on the first answer."""
    survey = SurveyFactory(**survey_fields)
    p1 = SurveyPage.objects.create(survey=survey, position=1)
    affected = add_question(
        survey,
        p1,
        "affected",
        "yes_no",
        "Have you been affected by serious violence in the last 12 months?",
        error_message="Select yes if you have been affected by serious violence",
    )
    p2 = SurveyPage.objects.create(
        survey=survey, position=2, show_if_question=affected, show_if_answers="yes"
    )
    add_question(
        survey,
        p2,
        "types",
        "multiple",
        "Which types of serious violence affected you?",
        [
            ("robbery", "Personal robbery"),
            ("weapon", "Possession of a weapon"),
            ("da", "Domestic abuse"),
        ],
        allow_other=True,
    )
    p3 = SurveyPage.objects.create(survey=survey, position=3, title="The impact on you")
    add_question(survey, p3, "impact", "long_text", "How did it affect you?", required=False)
    add_question(
        survey, p3, "times", "number", "How many times?", required=False, min_value=0, max_value=100
    )
    p4 = SurveyPage.objects.create(survey=survey, position=4, title="When")
    add_question(survey, p4, "when", "date", "When did it last happen?", required=False)
    add_question(survey, p4, "month", "month", "Which month did you move here?", required=False)
    p5 = SurveyPage.objects.create(survey=survey, position=5, title="About you")
    add_question(
        survey,
        p5,
        "safety",
        "scale",
        "How safe do you feel?",
        [("very-safe", "Very safe"), ("fairly-safe", "Fairly safe"), ("unsafe", "Unsafe")],
    )
    add_question(
        survey, p5, "district", "postcode_district", "Your postcode district", required=False
    )
    add_question(survey, p5, "age", "age_band", "Your age", required=False)
    add_question(
        survey,
        p5,
        "where",
        "single",
        "Where?",
        [("home", "Home"), ("street", "Street")],
        required=False,
        allow_other=True,
    )
    add_question(survey, p5, "word", "short_text", "One word for your area", required=False)
    return survey
