"""Behind a proxy, the survey rate limit counts each resident's own address (TRUSTED_PROXY_COUNT),
so one abusive sender cannot stop everyone else answering."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.surveys.helpers import answer_all, submit_check

pytestmark = pytest.mark.django_db
PROXY = {"REMOTE_ADDR": "10.0.0.1"}


def _send(survey, forwarded: str) -> int:
    client = Client()
    answer_all(client, survey, HTTP_X_FORWARDED_FOR=forwarded, **PROXY)
    return submit_check(client, survey, HTTP_X_FORWARDED_FOR=forwarded, **PROXY).status_code


def test_one_sender_behind_the_proxy_does_not_block_other_residents(survey, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SURVEY_RATE_LIMIT = 2
    assert [_send(survey, "203.0.113.9") for _ in range(2)] == [302, 302]
    # Forging earlier hops does not give the sender a fresh address.
    assert _send(survey, "192.0.2.1, 203.0.113.9") == 429
    assert _send(survey, "198.51.100.7") == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(survey, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.SURVEY_RATE_LIMIT = 1
    assert _send(survey, "203.0.113.9") == 302
    # A client sending its own X-Forwarded-For cannot dodge the limit on its connection.
    assert _send(survey, "198.51.100.7") == 429
