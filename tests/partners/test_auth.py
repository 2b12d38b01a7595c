from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_sign_in_by_email_and_sign_out(anonymous, alice):
    response = anonymous.post(
        reverse("account_login"), {"login": alice.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert anonymous.get(reverse("core:dashboard")).status_code == 200
    anonymous.post(reverse("account_logout"))
    assert anonymous.get(reverse("core:dashboard")).status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_error_summary(anonymous, alice):
    response = anonymous.post(reverse("account_login"), {"login": alice.email, "password": "nope"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "<title>Error: Sign in" in body


@pytest.mark.django_db
def test_password_reset_sends_email(anonymous, alice, mailoutbox):
    anonymous.post(reverse("account_reset_password"), {"email": alice.email})
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_sessions_expire_after_inactivity():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 60 * 60


def test_rate_limits_use_a_shared_cache():
    backend = settings.CACHES["default"]["BACKEND"]
    assert "locmem" not in backend.lower()
    assert "dummy" not in backend.lower()


@pytest.mark.django_db
def test_admin_refuses_non_staff(alice_client):
    for name in (
        "admin:index",
        "admin:partners_organisation_changelist",
        "admin:partners_user_changelist",
    ):
        response = alice_client.get(reverse(name), follow=True)
        body = response.content.decode()
        assert "Partnership administration" not in body, name
        assert "Select organisation to change" not in body, name


@pytest.mark.django_db
def test_admin_login_goes_through_allauth(anonymous):
    response = anonymous.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_staff_reach_the_admin(staff_client):
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Partnership administration" in response.content.decode()
    assert (
        staff_client.get(
            reverse("admin:partners_organisation_changelist") + "?q=police"
        ).status_code
        == 200
    )


def _reset_link(client, user, mailoutbox) -> str:
    import re

    client.post(reverse("account_reset_password"), {"email": user.email})
    return re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mailoutbox[-1].body)[1]


@pytest.mark.parametrize(("minutes", "works"), [(59, True), (61, False)])
@pytest.mark.django_db
def test_password_reset_links_last_one_hour(
    anonymous, alice, mailoutbox, monkeypatch, minutes, works
):
    from datetime import datetime, timedelta

    from django.contrib.auth.tokens import PasswordResetTokenGenerator

    assert settings.PASSWORD_RESET_TIMEOUT == 60 * 60
    link = _reset_link(anonymous, alice, mailoutbox)
    later = datetime.now() + timedelta(minutes=minutes)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    response = anonymous.get(link, follow=True)
    assert response.status_code == 200
    assert bool(response.context.get("token_fail")) is not works
