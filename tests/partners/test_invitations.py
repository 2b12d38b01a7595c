from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from partners.models import Invitation, Membership
from partners.services import invitation_create

User = get_user_model()
NEW_PASSWORD = "a-long-unusual-passphrase-42"


def _invite(org, staff, email="new.analyst@police.example.org", role="analyst"):
    _invitation, token = invitation_create(
        email=email, organisation=org, role=role, invited_by=staff
    )
    return token


def _accept(client, token, password=NEW_PASSWORD):
    return client.post(
        reverse("partners:accept_invitation", args=[token]),
        {"full_name": "New Analyst", "password1": password, "password2": password},
    )


@pytest.mark.django_db(transaction=True)
def test_invitation_emails_a_single_use_link(org_a, staff):
    token = _invite(org_a, staff)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.analyst@police.example.org"]
    assert reverse("partners:accept_invitation", args=[token]) in message.body
    # Only a hash of the token is stored.
    assert not Invitation.objects.filter(token_hash=token).exists()


@pytest.mark.django_db
def test_invitation_link_creates_account_membership_and_signs_in(anonymous, org_a, staff):
    token = _invite(org_a, staff)
    response = _accept(anonymous, token)
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("core:dashboard")
    user = User.objects.get(email="new.analyst@police.example.org")
    assert user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user).organisation == org_a
    assert anonymous.get(reverse("core:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1


@pytest.mark.django_db
def test_invitation_link_cannot_be_reused(anonymous, org_a, staff):
    token = _invite(org_a, staff)
    _accept(anonymous, token)
    second = _accept(Client_(), token, password="another-long-passphrase-99")
    assert second.status_code == 410
    assert "already been used" in second.content.decode()
    user = User.objects.get(email="new.analyst@police.example.org")
    assert user.check_password(NEW_PASSWORD), "a reused link must not change the password"


@pytest.mark.django_db
def test_expired_invitation_is_refused_and_creates_nobody(anonymous, org_a, staff):
    token = _invite(org_a, staff)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _accept(anonymous, token)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="new.analyst@police.example.org").exists()


@pytest.mark.django_db
def test_invitation_expires_after_seven_days(org_a, staff):
    _invite(org_a, staff)
    invitation = Invitation.objects.get()
    assert (
        timedelta(days=6, hours=23)
        < invitation.expires_at - invitation.created_at
        <= timedelta(days=7)
    )


@pytest.mark.django_db
def test_unknown_token_is_refused(anonymous):
    response = anonymous.get(reverse("partners:accept_invitation", args=["not-a-real-token"]))
    assert response.status_code == 410


@pytest.mark.django_db
def test_weak_or_mismatched_password_is_refused_with_a_clear_error(anonymous, org_a, staff):
    token = _invite(org_a, staff)
    url = reverse("partners:accept_invitation", args=[token])
    response = anonymous.post(url, {"full_name": "N", "password1": "short", "password2": "short"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and "too short" in body
    response = anonymous.post(
        url, {"full_name": "N", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )
    assert "do not match" in response.content.decode()
    assert not User.objects.filter(email="new.analyst@police.example.org").exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.django_db
def test_new_invitation_withdraws_the_pending_one(org_a, staff, anonymous):
    first = _invite(org_a, staff)
    second = _invite(org_a, staff)
    assert _accept(anonymous, first).status_code == 410
    assert _accept(anonymous, second).status_code == 302


@pytest.mark.django_db
def test_sign_up_url_creates_nobody(anonymous):
    before = User.objects.count()
    response = anonymous.post(
        reverse("account_signup"),
        {"email": "intruder@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert User.objects.count() == before
    assert "invitation only" in response.content.decode()


@pytest.mark.django_db
def test_staff_invite_through_the_admin(staff_client, org_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:partners_invitation_add"),
            {
                "email": "Person@Police.example.org",
                "full_name": "P Person",
                "organisation": org_a.pk,
                "role": "viewer",
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "person@police.example.org"
    assert invitation.role == "viewer"
    assert re.search(r"/invitations/[\w-]+/", mail.outbox[0].body)


def Client_():  # noqa: N802 - a fresh browser, as a second person would have
    from django.test import Client

    return Client()


@pytest.mark.django_db
def test_admin_refuses_to_invite_an_existing_member(staff_client, alice, org_a):
    response = staff_client.post(
        reverse("admin:partners_invitation_add"),
        {"email": alice.email, "organisation": org_a.pk, "role": "viewer"},
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()
