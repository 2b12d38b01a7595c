"""The second factor: who must have one, enrolment, the code at sign-in, recovery, staff reset."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse

from core.models import AuditEvent
from partners import second_factor
from partners.services import second_factor_reset
from tests.conftest import PASSWORD
from tests.factories import TOTP_SECRET, MembershipFactory, UserFactory, enrol_totp
from tests.incidents.factories import AgreementFactory, DatasetFactory

pytestmark = pytest.mark.django_db

ENROL_URL = reverse("mfa_activate_totp")


def _code(secret: str = TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).now()


def _wrong_code(secret: str = TOTP_SECRET) -> str:
    """A code that is not right now, nor one step either side (the tolerance)."""
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    right = {totp.at(now + step) for step in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in right)


def _signed_in_client(user) -> Client:
    """A client signed in without the sign-in form (as the persona clients are)."""
    client = Client()
    client.force_login(user)
    return client


def _password_step(client: Client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


@pytest.fixture
def police_dataset(org_a):
    return DatasetFactory(owner=org_a, slug="police-crime", name="Police recorded crime")


@pytest.fixture
def outsider(org_b):
    """A viewer at an organisation with no dataset and named in no agreement."""
    return MembershipFactory(
        user=UserFactory(email="olly@icb.example.org"), organisation=org_b, role="viewer"
    ).user


# --- who must have one ---------------------------------------------------------------------


def test_staff_without_a_second_factor_are_sent_to_enrolment(opfcc):
    staff = UserFactory(email="new.staff@opfcc.example.org", is_staff=True)
    client = _signed_in_client(staff)
    for name in ("core:dashboard", "admin:index", "partners:directory"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"] == ENROL_URL, name


def test_analyst_with_record_level_access_must_enrol(alice, police_dataset):
    response = _signed_in_client(alice).get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == ENROL_URL


def test_partner_named_in_an_agreement_must_enrol(bob, org_b, police_dataset):
    AgreementFactory(dataset=police_dataset, record_level_organisations=[org_b])
    assert second_factor.second_factor_required(bob)
    assert _signed_in_client(bob).get(reverse("core:dashboard"))["Location"] == ENROL_URL


def test_viewer_without_record_level_access_is_not_asked(outsider, police_dataset):
    assert not second_factor.second_factor_required(outsider)
    response = _signed_in_client(outsider).get(reverse("core:dashboard"))
    assert response.status_code == 200


def test_analyst_of_an_organisation_without_datasets_is_not_asked(alice):
    assert not second_factor.second_factor_required(alice)
    assert _signed_in_client(alice).get(reverse("core:dashboard")).status_code == 200


def test_while_enrolling_only_enrolment_sign_out_and_static_files_open(opfcc):
    staff = UserFactory(email="new.staff@opfcc.example.org", is_staff=True)
    client = _signed_in_client(staff)
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    # Adding an authenticator first asks for the password again (no recent sign-in here).
    response = client.get(ENROL_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(reverse("account_reauthenticate")).status_code == 200
    allowed = second_factor.SecondFactorRequiredMiddleware._allowed_while_enrolling
    assert allowed("/static/css/nsvpp.css")
    assert not allowed(reverse("admin:index"))
    assert not allowed(reverse("core:dashboard"))
    assert not allowed("/no/such/page/")


def test_the_middleware_costs_no_query_once_the_session_knows(django_assert_num_queries):
    request = RequestFactory().get("/dashboard/")
    request.user = type("Signed", (), {"is_authenticated": True})()
    request.session = {second_factor.SESSION_KEY: second_factor.OK}
    middleware = second_factor.SecondFactorRequiredMiddleware(lambda r: "passed")
    with django_assert_num_queries(0):
        assert middleware(request) == "passed"
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert middleware(request) == "passed"


# --- enrolment -----------------------------------------------------------------------------


def test_first_sign_in_after_it_becomes_required_leads_through_enrolment(alice, police_dataset):
    client = Client()
    response = _password_step(client, alice)
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == ENROL_URL
    page = client.get(ENROL_URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Set up your second factor" in body
    secret = client.session["mfa.totp.secret"]
    assert secret in body, "the setup key is shown for people who cannot scan the QR code"

    wrong = client.post(ENROL_URL, {"code": _wrong_code(secret)})
    assert wrong.status_code == 200
    assert "There is a problem" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=alice).exists()

    done = client.post(ENROL_URL, {"code": _code(secret)})
    assert done.status_code == 302
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li>([0-9a-z]{8})</li>", codes_page)
    assert len(codes) == 10
    rc = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES).wrap()
    assert set(codes) == set(rc.get_unused_codes())
    # Shown once: a second look shows none of them.
    again = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert not any(code in again for code in codes)
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_a_person_who_needs_a_second_factor_cannot_turn_it_off(alice, police_dataset):
    enrol_totp(alice)
    client = Client()
    _password_step(client, alice)
    client.post(reverse("mfa_authenticate"), {"code": _code()})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "your role needs a second factor" in response.content.decode()
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()


# --- the code at sign-in -------------------------------------------------------------------


def test_sign_in_asks_for_the_code_and_a_right_code_signs_in(alice, police_dataset):
    enrol_totp(alice)
    client = Client()
    response = _password_step(client, alice)
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone does not sign in.
    assert client.get(reverse("core:dashboard"))["Location"].startswith(reverse("account_login"))
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Enter your security code" in page
    done = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert done.status_code == 302
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_a_wrong_code_is_refused(alice, police_dataset):
    enrol_totp(alice)
    client = Client()
    _password_step(client, alice)
    response = client.post(reverse("mfa_authenticate"), {"code": _wrong_code()})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "The code is not right" in body
    assert client.get(reverse("core:dashboard"))["Location"].startswith(reverse("account_login"))


def test_a_code_works_only_once(alice, police_dataset):
    enrol_totp(alice)
    code = _code()
    first = Client()
    _password_step(first, alice)
    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    second = Client()
    _password_step(second, alice)
    assert second.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    assert second.get(reverse("core:dashboard")).status_code == 302


def test_a_recovery_code_works_once(alice, police_dataset):
    enrol_totp(alice)
    code = RecoveryCodes.activate(alice).generate_codes()[0]
    client = Client()
    _password_step(client, alice)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(reverse("core:dashboard")).status_code == 200
    client.post(reverse("account_logout"))

    again = Client()
    _password_step(again, alice)
    response = again.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert again.get(reverse("core:dashboard")).status_code == 302


def test_admin_sign_in_goes_through_allauth_and_asks_for_the_code(staff):
    enrol_totp(staff)
    client = Client()
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    response = client.post(
        reverse("account_login") + "?next=" + reverse("admin:index"),
        {"login": staff.email, "password": PASSWORD},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("admin:index")).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


# --- staff reset ---------------------------------------------------------------------------


def _reset_through_admin(client: Client, user):
    return client.post(
        reverse("admin:partners_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
    )


def test_staff_reset_a_second_factor_and_it_is_audited(staff_client, staff, alice, police_dataset):
    enrol_totp(alice)
    RecoveryCodes.activate(alice)
    response = _reset_through_admin(staff_client, alice)
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=alice).exists()
    event = AuditEvent.objects.get(action="second_factor.reset")
    assert event.actor == staff
    assert event.object_id == str(alice.pk)
    assert event.detail == {"removed": ["recovery_codes", "totp"]}
    # At the next sign-in the person sets up a new one.
    client = Client()
    _password_step(client, alice)
    assert client.get(reverse("core:dashboard"))["Location"] == ENROL_URL


def test_reset_and_its_audit_are_one_transaction(staff, alice, monkeypatch):
    enrol_totp(alice)

    def broken_audit(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("partners.services.audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        second_factor_reset(user=alice, actor=staff)
    assert Authenticator.objects.filter(user=alice).exists()


def test_reset_is_refused_to_people_who_are_not_staff(alice, lead, alice_client):
    enrol_totp(lead)
    with pytest.raises(PermissionDenied):
        second_factor_reset(user=lead, actor=alice)
    with pytest.raises(PermissionDenied):
        second_factor_reset(user=lead, actor=AnonymousUser())
    response = _reset_through_admin(alice_client, lead)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert Authenticator.objects.filter(user=lead).exists()
    assert not AuditEvent.objects.filter(action="second_factor.reset").exists()


def test_only_a_superuser_resets_a_superusers_second_factor(opfcc):
    superuser = UserFactory(email="root@opfcc.example.org", is_staff=True, is_superuser=True)
    plain_staff = UserFactory(email="plain@opfcc.example.org", is_staff=True)
    enrol_totp(superuser)
    with pytest.raises(PermissionDenied):
        second_factor_reset(user=superuser, actor=plain_staff)
    assert Authenticator.objects.filter(user=superuser).exists()
    other = UserFactory(email="root2@opfcc.example.org", is_staff=True, is_superuser=True)
    assert second_factor_reset(user=superuser, actor=other) == 1


def test_authenticators_are_not_editable_in_the_admin_outside_the_audited_reset(staff_client):
    from django.contrib import admin

    assert not admin.site.is_registered(Authenticator)


def test_guessing_codes_is_rate_limited(alice, police_dataset):
    enrol_totp(alice)
    client = Client()
    _password_step(client, alice)
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": _wrong_code()})
    response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert response.status_code == 200, "after five wrong codes even the right one waits"
    assert client.get(reverse("core:dashboard")).status_code == 302
