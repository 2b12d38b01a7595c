"""An invitation for an account that exists: accepted by signing in, never by a new password."""

from __future__ import annotations

import pyotp
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from partners.models import Invitation, Membership
from partners.services import invitation_accept, invitation_create
from tests.conftest import PASSWORD
from tests.factories import TOTP_SECRET, enrol_totp
from tests.incidents.factories import DatasetFactory

pytestmark = pytest.mark.django_db
ATTACKER_PASSWORD = "an-attacker-chose-this-99"


def _invite(person, org, staff, role="viewer") -> str:
    _invitation, token = invitation_create(
        email=person.email.upper(), organisation=org, role=role, invited_by=staff
    )
    return token


def test_the_link_sends_a_signed_out_person_to_sign_in(anonymous, alice, org_b, staff):
    url = reverse("partners:accept_invitation", args=[_invite(alice, org_b, staff)])
    response = anonymous.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_the_link_never_sets_the_password_of_an_existing_account(anonymous, alice, org_b, staff):
    token = _invite(alice, org_b, staff)
    response = anonymous.post(
        reverse("partners:accept_invitation", args=[token]),
        {"full_name": "X", "password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not alice.check_password(ATTACKER_PASSWORD)
    assert not Membership.objects.filter(user=alice, organisation=org_b).exists()
    assert Invitation.objects.get().accepted_at is None
    with pytest.raises(ValidationError, match="already exists"):
        invitation_accept(token=token, password=ATTACKER_PASSWORD)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_signed_in_owner_joins_with_one_click(alice_client, alice, org_b, staff):
    url = reverse("partners:accept_invitation", args=[_invite(alice, org_b, staff)])
    page = alice_client.get(url)
    assert page.status_code == 200
    assert "You will keep your existing account" in page.content.decode()
    response = alice_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert Membership.objects.get(user=alice, organisation=org_b).role == "viewer"
    assert Invitation.objects.get().accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=alice).count() == 1
    assert alice_client.post(url).status_code == 410, "the link works once"


def test_someone_else_signed_in_cannot_use_it(bob_client, alice, org_b, staff):
    url = reverse("partners:accept_invitation", args=[_invite(alice, org_b, staff)])
    for response in (bob_client.get(url), bob_client.post(url)):
        assert response.status_code == 403
        assert alice.email in response.content.decode()
    assert not Membership.objects.filter(organisation=org_b, user=alice).exists()
    assert Invitation.objects.get().accepted_at is None


def test_accepting_goes_through_sign_in_and_the_second_factor(alice, org_a, org_b, staff):
    DatasetFactory(owner=org_a)  # alice sees records, so she has a second factor
    enrol_totp(alice)
    url = reverse("partners:accept_invitation", args=[_invite(alice, org_b, staff)])
    client = Client()
    login_url = client.get(url)["Location"]
    response = client.post(login_url, {"login": alice.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(url).status_code == 302, "the password alone is not enough"
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response["Location"] == url
    assert client.post(url).status_code == 302
    assert Membership.objects.filter(user=alice, organisation=org_b).exists()


def test_a_membership_that_opens_records_leads_to_enrolment(alice_client, alice, org_b, staff):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.filter(user=alice).delete()
    DatasetFactory(owner=org_b)
    url = reverse("partners:accept_invitation", args=[_invite(alice, org_b, staff, "analyst")])
    alice_client.post(url)
    assert alice_client.get(reverse("core:dashboard"))["Location"] == reverse("mfa_activate_totp")


def test_a_new_account_that_sees_records_sets_up_its_second_factor_straight_away(
    anonymous, org_a, staff
):
    DatasetFactory(owner=org_a)
    _invitation, token = invitation_create(
        email="new.analyst@police.example.org", organisation=org_a, role="analyst", invited_by=staff
    )
    password = "a-long-unusual-passphrase-42"
    response = anonymous.post(
        reverse("partners:accept_invitation", args=[token]),
        {"full_name": "New Analyst", "password1": password, "password2": password},
    )
    assert response["Location"] == reverse("core:dashboard")
    assert anonymous.get(response["Location"])["Location"] == reverse("mfa_activate_totp")
    # The password was chosen a moment ago: enrolment does not ask for it again.
    assert anonymous.get(reverse("mfa_activate_totp")).status_code == 200
