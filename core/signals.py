"""Receivers for sign-in and account security events.

- The session remembers when it began (core.middleware's absolute lifetime).
- Sign-in, failed sign-in, sign-out, password change and reset, and second-factor enrolment,
  removal, recovery-code renewal and wrong codes are written to the audit trail. (Staff
  resetting someone's second factor in the admin is audited by partners.services.)
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .middleware import SIGNED_IN_AT
from .services import audit_record


@receiver(user_logged_in, dispatch_uid="core.session_signed_in_at")
def session_mark_signed_in_at(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Start the session's absolute lifetime at sign-in."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())


@receiver(user_logged_in, dispatch_uid="core.audit_signed_in")
def audit_signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Audit a completed sign-in (after the second factor, when there is one)."""
    audit_record(actor=user, action="auth.signed_in", obj=user, summary=f"{user.email} signed in")


@receiver(user_logged_out, dispatch_uid="core.audit_signed_out")
def audit_signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Audit a sign-out (not a session that simply expired)."""
    if user is not None:
        audit_record(
            actor=user, action="auth.signed_out", obj=user, summary=f"{user.email} signed out"
        )


@receiver(user_login_failed, dispatch_uid="core.audit_sign_in_failed")
def audit_sign_in_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    """Audit a wrong password (or unknown address): the address tried, never the password."""
    tried = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit_record(
        actor=None,
        action="auth.sign_in_failed",
        summary=f"Failed sign-in for {tried or 'an empty address'}",
        detail={"email": tried},
    )


@receiver(mfa_signals.authentication_failed, dispatch_uid="core.audit_second_factor_failed")
def audit_second_factor_failed(sender: Any, user: Any, **kwargs: Any) -> None:
    """Audit a wrong authenticator or recovery code."""
    audit_record(
        actor=None,
        action="auth.second_factor_failed",
        obj=user,
        summary=f"Wrong second-factor code for {user.email}",
        detail={"email": user.email},
    )


def _authenticator_event(action: str, verb: str) -> Any:
    def receiver_(sender: Any, user: Any, authenticator: Any = None, **kwargs: Any) -> None:
        kind = getattr(authenticator, "type", "") or ""
        audit_record(
            actor=user,
            action=action,
            obj=user,
            summary=f"{user.email} {verb} ({kind or 'second factor'})",
            detail={"type": kind},
        )

    receiver_.__doc__ = f"Audit: {verb}."
    return receiver_


_added = _authenticator_event("second_factor.enrolled", "set up a second factor")
_removed = _authenticator_event("second_factor.removed", "removed a second factor")
_renewed = _authenticator_event("second_factor.recovery_codes_renewed", "renewed recovery codes")
mfa_signals.authenticator_added.connect(_added, dispatch_uid="core.audit_mfa_added")
mfa_signals.authenticator_removed.connect(_removed, dispatch_uid="core.audit_mfa_removed")
mfa_signals.authenticator_reset.connect(_renewed, dispatch_uid="core.audit_mfa_reset")


@receiver(account_signals.password_changed, dispatch_uid="core.audit_password_changed")
def audit_password_changed(sender: Any, user: Any, **kwargs: Any) -> None:
    """Audit a person changing their own password."""
    audit_record(
        actor=user,
        action="auth.password_changed",
        obj=user,
        summary=f"{user.email} changed password",
    )


@receiver(account_signals.password_set, dispatch_uid="core.audit_password_set")
def audit_password_set(sender: Any, user: Any, **kwargs: Any) -> None:
    """Audit a password set for the first time (accepting an invitation)."""
    audit_record(
        actor=user, action="auth.password_set", obj=user, summary=f"{user.email} set a password"
    )


@receiver(account_signals.password_reset, dispatch_uid="core.audit_password_reset")
def audit_password_reset(sender: Any, user: Any, **kwargs: Any) -> None:
    """Audit a password reset through an e-mailed link."""
    audit_record(
        actor=user, action="auth.password_reset", obj=user, summary=f"{user.email} reset password"
    )
