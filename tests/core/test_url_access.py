"""Every URL in the URLconf decides who may see it.

Anonymous requests must be refused (redirect to sign-in, 403, 404, 405) unless the URL's name is in
PUBLIC below. Adding a URL without deciding its access makes this test fail.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import resolve, reverse

from tests.urlwalk import walk

# Pages residents and signed-out staff may use. Keep this short and deliberate.
PUBLIC = {
    "core:home",
    "core:accessibility",
    "core:privacy",
    "core:healthz",
    "partners:who_we_are",
    "partners:accept_invitation",
    # django-allauth: signing in, resetting a password, the closed sign-up page.
    "account_login",
    "account_logout",
    "account_signup",
    "account_inactive",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_email_verification_sent",
    # Public survey pages and events are added by the surveys app.
    "surveys:index",
    "surveys:events",
    "surveys:start",
    "surveys:question",
    "surveys:contact",
    "surveys:check",
    "surveys:confirmation",
    "strategy:public",
}
PUBLIC |= set(getattr(settings, "TEST_EXTRA_PUBLIC_URL_NAMES", ()))


def _refused(response) -> bool:
    if response.status_code in (403, 404, 405, 410):
        return True
    if response.status_code in (301, 302):
        login = reverse(settings.LOGIN_URL)
        location = response.headers["Location"]
        return location.startswith(login) or location.startswith("/admin/login/")
    return False


def test_walker_finds_the_whole_urlconf():
    urls = list(walk())
    names = {u.name for u in urls}
    assert {"core:home", "partners:directory", "admin:index", "account_login"} <= names
    for url in urls:
        resolve(url.path)  # every sample path must resolve, or the walker is wrong
    stale = PUBLIC - names
    assert not stale, (
        f"PUBLIC names that no longer exist: {sorted(stale)}"
    )  # every sample path must resolve, or the walker is wrong


@pytest.mark.django_db
def test_every_url_refuses_anonymous_unless_public(anonymous, partnership):
    unexpected = []
    for url in walk():
        response = anonymous.get(url.path)
        if url.name in PUBLIC:
            assert response.status_code < 500, f"{url.name} {url.path} -> {response.status_code}"
            continue
        if not _refused(response):
            unexpected.append(f"{url.name} {url.path} -> {response.status_code}")
    assert not unexpected, (
        "URLs open to anonymous users without being listed as public:\n" + "\n".join(unexpected)
    )


@pytest.mark.django_db
def test_public_pages_are_really_public(anonymous, partnership):
    for name in (
        "core:home",
        "core:accessibility",
        "core:privacy",
        "partners:who_we_are",
        "account_login",
    ):
        assert anonymous.get(reverse(name)).status_code == 200, name
