"""Create the benchmark survey in the benchmark database (run by bench_surveys.py).

Three pages, each a short group, using the kinds residents meet most: yes/no, a rating scale,
multiple choice with "other", short and long text and a postcode district.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nsvpp.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.utils import timezone  # noqa: E402

from surveys.models import (  # noqa: E402
    Answer,
    Choice,
    Question,
    Response,
    Survey,
    SurveyPage,
)
from surveys.services import question_fixed_choices_ensure  # noqa: E402

SLUG = "bench-survey"


def main() -> None:
    # A rerun starts clean: the last run's responses, its survey and its rate-limit counters go.
    Answer.objects.filter(response__survey__slug=SLUG).delete()
    Response.objects.filter(survey__slug=SLUG).delete()
    Survey.objects.filter(slug=SLUG).delete()
    cache.clear()
    survey = Survey.objects.create(
        title="Benchmark survey",
        slug=SLUG,
        introduction="Load test.",
        privacy_notice="Anonymous.",
        run_by="the benchmark",
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() + timedelta(days=1),
        alternative_formats="None.",
        is_published=True,
    )
    pages = [SurveyPage.objects.create(survey=survey, position=i) for i in (1, 2, 3)]
    spec = [
        (0, "affected", "yes_no", "Affected?", [], {}),
        (0, "safety", "scale", "How safe?", [], {}),
        (
            1,
            "types",
            "multiple",
            "Which types?",
            [("robbery", "Robbery"), ("weapon", "Weapon"), ("da", "Domestic abuse")],
            {"allow_other": True},
        ),
        (1, "word", "short_text", "One word", [], {"required": False}),
        (2, "story", "long_text", "Tell us more", [], {"required": False}),
        (2, "district", "postcode_district", "District", [], {"required": False}),
    ]
    for position, (page, key, kind, text, choices, extra) in enumerate(spec, start=1):
        question = Question.objects.create(
            survey=survey,
            page=pages[page],
            position=position,
            key=key,
            kind=kind,
            text=text,
            **extra,
        )
        for i, (value, label) in enumerate(choices, start=1):
            Choice.objects.create(question=question, position=i, value=value, label=label)
        question_fixed_choices_ensure(question=question)
    print(f"benchmark survey ready: /surveys/{SLUG}/")


if __name__ == "__main__":
    main()
