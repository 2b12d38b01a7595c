"""Every survey response gets a fixed random key (the cell key method, core/disclosure.py)."""

from __future__ import annotations

import io

import pytest

from surveys.demo import seed
from surveys.models import Response
from tests.surveys.helpers import answer_all, submit_check

pytestmark = pytest.mark.django_db


def test_each_submitted_response_gets_a_random_key(survey, client):
    for _ in range(3):
        answer_all(client, survey, affected="yes")
        assert submit_check(client, survey).status_code == 302
    keys = list(Response.objects.filter(survey=survey).values_list("cell_key", flat=True))
    assert len(keys) == 3 and all(0 <= key <= 255 for key in keys)


def test_demo_responses_get_random_keys(partnership):
    seed(stdout=io.StringIO())
    keys = list(Response.objects.values_list("cell_key", flat=True))
    # Bulk-created: each response still draws its own key (about 230 distinct of 256 expected).
    assert len(keys) > 300
    assert len(set(keys)) > 150 and min(keys) < 32 and max(keys) > 223
