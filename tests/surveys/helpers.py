from __future__ import annotations

from django.test import Client
from django.urls import reverse

from surveys.models import Survey


def page_url(survey: Survey, position: int) -> str:
    return reverse("surveys:question", args=[survey.slug, position])


def check_url(survey: Survey) -> str:
    return reverse("surveys:check", args=[survey.slug])


def submit_check(client: Client, survey: Survey, **extra):
    """Open 'check your answers' and submit it with the digest the page carries."""
    page = client.get(check_url(survey), **extra)
    assert page.status_code == 200, page.status_code
    return client.post(check_url(survey), {"digest": page.context["digest"]}, **extra)


def answer_all(client: Client, survey: Survey, affected: str = "yes", **extra) -> None:
    """Answer every page of tests.surveys.factories.full_survey."""
    steps = [(1, {"affected": affected})]
    if affected == "yes":
        steps.append((2, {"types": ["robbery", "other"], "types-other": "Arson"}))
    steps += [
        (3, {"impact": "I do not go out at night.", "times": "2"}),
        (4, {"when-day": "3", "when-month": "10", "when-year": "2023"}),
        (5, {"safety": "fairly-safe", "district": "nn1", "age": "25-34"}),
    ]
    for position, data in steps:
        response = client.post(page_url(survey, position), data, **extra)
        assert response.status_code == 302, (position, response.status_code)
