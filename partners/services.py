from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.services import audit_record

from .models import Invitation, Membership, Organisation
from .selectors import token_hash


def invitation_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("partners:accept_invitation", args=[token])


@transaction.atomic
def invitation_create(
    *,
    email: str,
    organisation: Organisation,
    role: str,
    invited_by: Any,
    full_name: str = "",
) -> tuple[Invitation, str]:
    """Invite a person to an organisation with a role; e-mail them a single-use link."""
    email = email.strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose analyst, partner lead or viewer."})
    if not organisation.is_active:
        raise ValidationError({"organisation": "This organisation is no longer active."})
    if Membership.objects.filter(user__email__iexact=email, organisation=organisation).exists():
        raise ValidationError({"email": "This person is already a member of that organisation."})
    # A new invitation replaces any pending one for the same person and organisation.
    now = timezone.now()
    Invitation.objects.filter(
        email__iexact=email,
        organisation=organisation,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name,
        organisation=organisation,
        role=role,
        token_hash=token_hash(token),
        invited_by=invited_by,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    audit_record(
        actor=invited_by,
        action="invitation.created",
        obj=invitation,
        summary=f"Invited {email} to {organisation.short_name} as {invitation.get_role_display()}",
    )
    context = {"invitation": invitation, "url": invitation_url(token)}
    subject = f"You are invited to the {organisation.short_name} team on the NSVPP Portal"
    body = render_to_string("partners/email/invitation.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return invitation, token


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why an invitation link cannot be used, in words for the person holding it."""
    if invitation is None:
        return "This invitation link is not valid. Check you copied the whole link from the e-mail."
    if invitation.accepted_at:
        return "This invitation has already been used. Sign in with the password you chose."
    if invitation.revoked_at:
        return "This invitation has been withdrawn. Ask the partnership team for a new one."
    if invitation.expires_at <= timezone.now():
        return "This invitation has expired. Ask the partnership team to send you a new one."
    return None


@transaction.atomic
def invitation_accept(*, token: str, password: str, full_name: str = "") -> Any:
    """Use an invitation for a new account: create it, add the membership, spend the link."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )
    problem = invitation_problem(invitation)
    if problem:
        raise ValidationError(problem)
    assert invitation is not None
    User = get_user_model()
    if User.objects.filter(email__iexact=invitation.email).exists():
        # An invitation link is not a way to set someone's password: an existing account
        # accepts by signing in (password and second factor), see invitation_accept_existing.
        raise ValidationError(
            "An account with this e-mail address already exists. Sign in to accept the invitation."
        )
    user = User.objects.create_user(
        email=invitation.email, password=password, full_name=full_name or invitation.full_name
    )
    _invitation_spend(invitation, user=user)
    return user


def _invitation_spend(invitation: Invitation, *, user: Any) -> None:
    Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        actor=user,
        action="invitation.accepted",
        obj=invitation,
        summary=f"{user.email} joined {invitation.organisation.short_name}",
    )


@transaction.atomic
def invitation_accept_existing(*, token: str, user: Any) -> Invitation:
    """Use an invitation for an account that exists: the signed-in owner joins; no password set."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )
    problem = invitation_problem(invitation)
    if problem:
        raise ValidationError(problem)
    assert invitation is not None
    if not getattr(user, "is_authenticated", False) or (
        user.email.lower() != invitation.email.lower()
    ):
        raise PermissionDenied("This invitation is for another account.")
    _invitation_spend(invitation, user=user)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Any) -> None:
    """Withdraw a pending invitation so its link no longer works."""
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="invitation.revoked", obj=invitation)


@transaction.atomic
def second_factor_reset(*, user: Any, actor: Any) -> int:
    """Remove a person's authenticator app and recovery codes (a lost phone); audited.

    Only staff may do it, and only a superuser may reset a superuser's. The person enrols again
    at their next sign-in. Returns how many authenticators were removed.
    """
    if not (getattr(actor, "is_authenticated", False) and actor.is_staff and actor.is_active):
        raise PermissionDenied("Only the partnership team can reset a second factor.")
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied("Only a superuser can reset a superuser's second factor.")
    removed = list(
        Authenticator.objects.select_for_update().filter(user=user).values_list("type", flat=True)
    )
    Authenticator.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="second_factor.reset",
        obj=user,
        summary=f"Reset the second factor of {user.email}",
        detail={"removed": sorted(removed)},
    )
    return len(removed)
