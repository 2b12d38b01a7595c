"""Who must have a second factor, and the middleware that sends them to enrol.

A second factor is required for staff (who open the admin), superusers, and everyone with
record-level access to any dataset. Record-level access is decided by the incidents app, which
sits above partners, so it registers its check here at start-up (``record_access_check_register``)
rather than partners importing it.

The answer is worked out once per session, at sign-in (``user_logged_in``), and kept in the
session, so ordinary requests cost no query (only a person still enrolling costs one, to see
whether they have just finished). A person who becomes subject to the rule mid-session
(added to an agreement, made staff) is led through enrolment at their next sign-in; sessions last
at most SESSION_ABSOLUTE_HOURS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

# Session key: "ok" (has a second factor), "not_required", or "enrol" (needs one, has none).
SESSION_KEY = "second_factor"
OK, NOT_REQUIRED, ENROL = "ok", "not_required", "enrol"

# What a person who must enrol may still open: the enrolment pages, re-entering their
# password (allauth asks before adding an authenticator), and signing out.
ENROLMENT_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
    }
)

_record_access_checks: list[Callable[[Any], bool]] = []


def record_access_check_register(check: Callable[[Any], bool]) -> None:
    """Add a predicate 'this person has record-level access to something' (called at start-up)."""
    if check not in _record_access_checks:
        _record_access_checks.append(check)


def second_factor_required(user: Any) -> bool:
    """Staff, superusers, and anyone with record-level access to any dataset."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(check(user) for check in _record_access_checks)


def second_factor_enrolled(user: Any) -> bool:
    """Whether the person has an authenticator app (recovery codes alone do not count)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def second_factor_status(user: Any) -> str:
    """OK, NOT_REQUIRED or ENROL for the person, from the database."""
    if second_factor_enrolled(user):
        return OK
    return ENROL if second_factor_required(user) else NOT_REQUIRED


def session_second_factor_refresh(request: HttpRequest) -> str:
    """Work the person's status out again and keep it in their session."""
    status = second_factor_status(request.user)
    request.session[SESSION_KEY] = status
    return status


@receiver(user_logged_in, dispatch_uid="partners.second_factor_on_sign_in")
def _on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    status = request.session[SESSION_KEY] = second_factor_status(user)
    if status == ENROL and _password_just_entered(request, user):
        # allauth asks for the password again before an authenticator is added, even straight
        # after sign-in. The person typed it moments ago, so the enrolment that follows their
        # first sign-in counts it (for allauth's usual few minutes) instead of asking twice.
        record_authentication(request, user, method="password", reauthenticated=True)


def _password_just_entered(request: HttpRequest, user: Any) -> bool:
    records = get_authentication_records(request, user)
    return any(
        record.get("method") == "password" and time.time() - record.get("at", 0) < 60
        for record in records
    )


class SecondFactorRequiredMiddleware:
    """Send a signed-in person who needs a second factor and has none to enrolment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.user.is_authenticated
            and self._must_enrol(request)
            and not self._allowed_while_enrolling(request.path_info)
        ):
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request: HttpRequest) -> bool:
        status = request.session.get(SESSION_KEY)
        if status is None:  # a session begun before the rule: decide once, then remember
            status = session_second_factor_refresh(request)
        elif status == ENROL:
            # Only while enrolling (one query): has the person just set up their app?
            status = session_second_factor_refresh(request)
        return status == ENROL

    @staticmethod
    def _allowed_while_enrolling(path: str) -> bool:
        if settings.STATIC_URL and path.startswith(settings.STATIC_URL):
            return True
        try:
            match = resolve(path)
        except Resolver404:
            return False
        return match.url_name in ENROLMENT_URL_NAMES
