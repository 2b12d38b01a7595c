"""Sessions end after SESSION_ABSOLUTE_HOURS from sign-in however active, and after idling."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from core.middleware import SIGNED_IN_AT
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _age_session(client: Client, *, hours: float) -> None:
    session = client.session
    session[SIGNED_IN_AT] = int(time.time() - hours * 60 * 60)
    session.save()


def test_absolute_lifetime_defaults_to_twelve_hours():
    assert settings.SESSION_ABSOLUTE_HOURS == 12


def test_sign_in_starts_the_clock(anonymous, alice):
    before = int(time.time())
    anonymous.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert before <= anonymous.session[SIGNED_IN_AT] <= int(time.time())


def test_an_active_session_younger_than_the_limit_goes_on(alice_client):
    _age_session(alice_client, hours=11.9)
    assert alice_client.get(reverse("core:dashboard")).status_code == 200


def test_an_active_session_older_than_the_limit_is_signed_out(alice_client):
    _age_session(alice_client, hours=12.1)
    response = alice_client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # Signed out for good: the old session is gone, not just this request refused.
    assert alice_client.get(reverse("core:dashboard")).status_code == 302
    assert not Session.objects.filter(session_key=alice_client.cookies["sessionid"].value).exists()


def test_the_limit_follows_the_setting(alice_client, settings):
    settings.SESSION_ABSOLUTE_HOURS = 2
    _age_session(alice_client, hours=2.5)
    assert alice_client.get(reverse("core:dashboard")).status_code == 302


def test_a_signed_in_session_without_a_start_time_is_signed_out(alice_client):
    session = alice_client.session
    del session[SIGNED_IN_AT]
    session.save()
    assert alice_client.get(reverse("core:dashboard")).status_code == 302


def test_anonymous_visitors_are_untouched(anonymous, partnership):
    assert anonymous.get(reverse("core:home")).status_code == 200
