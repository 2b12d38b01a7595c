"""Nothing that identifies a resident's device or connection reaches the database or the logs."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.urls import reverse

from core.logging import DropPublicRequestDetails
from surveys.models import Response
from tests.surveys.helpers import answer_all, submit_check

pytestmark = pytest.mark.django_db

IP_MARKER = "203.0.113.187"
FORWARDED_MARKER = "198.51.100.231"
AGENT_MARKER = "MarkerBrowser/7f3a9c1e"


def _every_text_value() -> list[str]:
    values: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                values.extend(
                    v.decode("utf-8", "replace") if isinstance(v, bytes | memoryview) else str(v)
                    for v in row
                    if v is not None
                )
    return values


def test_no_ip_address_or_user_agent_reaches_any_table(client, survey, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    survey.asks_for_contact = True
    survey.save()
    extra = {
        "REMOTE_ADDR": IP_MARKER,
        "HTTP_X_FORWARDED_FOR": FORWARDED_MARKER,
        "HTTP_USER_AGENT": AGENT_MARKER,
    }
    client.get(reverse("surveys:index"), **extra)
    client.get(reverse("surveys:start", args=[survey.slug]), **extra)
    answer_all(client, survey, **extra)
    client.post(
        reverse("surveys:contact", args=[survey.slug]),
        {"consent": "yes", "email": "resident@example.org"},
        **extra,
    )
    assert submit_check(client, survey, **extra).status_code == 302
    assert Response.objects.count() == 1
    values = _every_text_value()
    assert values, "the scan read nothing"
    assert any("resident@example.org" in v for v in values), "the scan misses tables it should read"
    for marker in (IP_MARKER, FORWARDED_MARKER, AGENT_MARKER):
        assert not [v for v in values if marker in v], f"{marker} was stored"


def test_log_lines_for_survey_pages_carry_no_request_details():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/surveys/x/",), None
    )

    class FakeRequest:
        path = "/surveys/x/"
        META = {"REMOTE_ADDR": IP_MARKER, "HTTP_USER_AGENT": AGENT_MARKER}

    record.request = FakeRequest()
    assert DropPublicRequestDetails().filter(record)
    assert record.request is None
    assert IP_MARKER not in record.getMessage() and "/surveys/x/" not in record.getMessage()


def test_survey_pages_load_nothing_from_other_sites(anonymous, survey):
    for url in (
        reverse("surveys:index"),
        reverse("surveys:start", args=[survey.slug]),
        reverse("surveys:question", args=[survey.slug, 1]),
        reverse("surveys:events"),
    ):
        response = anonymous.get(url)
        html = response.content.decode()
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert 'src="http' not in html and 'href="//' not in html, url
        assert "<script>" not in html, url
