from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Invitation, Membership, Organisation, Partnership


def token_hash(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def partnership_current() -> Partnership | None:
    """The partnership this portal serves (the first one configured)."""
    return Partnership.objects.order_by("pk").first()


def organisations_active() -> QuerySet[Organisation]:
    """Active partner organisations, by name."""
    return Organisation.objects.filter(is_active=True).order_by("name")


def organisations_for_directory() -> QuerySet[Organisation]:
    """Active organisations with their people, for the signed-in partners directory."""
    members = Membership.objects.select_related("user").filter(user__is_active=True)
    return (
        organisations_active()
        .annotate(member_count=Count("memberships", filter=Q(memberships__user__is_active=True)))
        .prefetch_related(Prefetch("memberships", queryset=members))
    )


def organisations_by_specified_area() -> OrderedDict[str, Any]:
    """Active specified authorities grouped under the Duty's five areas, in the Act's order."""
    grouped: OrderedDict[str, Any] = OrderedDict(
        (label, []) for _value, label in Organisation.SpecifiedArea.choices
    )
    labels = dict(Organisation.SpecifiedArea.choices)
    for organisation in organisations_active().exclude(specified_area=""):
        grouped[labels[organisation.specified_area]].append(organisation)
    return grouped


def organisations_other_partners() -> QuerySet[Organisation]:
    """Active organisations outside the five specified areas (convenor, education, VCS)."""
    return organisations_active().filter(specified_area="")


def user_memberships(user: Any) -> list[Membership]:
    """The person's memberships, with their organisations."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_nsvpp_memberships", None)
    if cached is None:
        cached = list(Membership.objects.select_related("organisation").filter(user=user))
        user._nsvpp_memberships = cached
    return cached


def user_organisation_ids(user: Any) -> set[int]:
    """Ids of the organisations the person belongs to."""
    return {m.organisation_id for m in user_memberships(user)}


def user_roles(user: Any) -> set[str]:
    """Every role the person holds, in any organisation."""
    return {m.role for m in user_memberships(user)}


def user_has_role(user: Any, *, organisation_id: int, roles: set[str]) -> bool:
    """Whether the person holds one of roles in the given organisation."""
    return any(
        m.organisation_id == organisation_id and m.role in roles for m in user_memberships(user)
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link refers to, whatever its state, or None."""
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_existing_account(invitation: Invitation) -> Any | None:
    """The account the invitation's e-mail address already has, if any."""
    return get_user_model().objects.filter(email__iexact=invitation.email).first()
