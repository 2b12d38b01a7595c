from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.surveys.factories import full_survey


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings):
    settings.SURVEY_MIN_COMPLETION_SECONDS = 0
    settings.SURVEY_RATE_LIMIT = 20
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def survey(db, partnership):
    return full_survey()
