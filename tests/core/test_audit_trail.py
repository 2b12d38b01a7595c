"""The audit trail: append-only (ORM everywhere, triggers on PostgreSQL), its retention path,
and the events it must hold (sign-in and account security, changes to who may see what, the
admin's record and upload views)."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, AuditTrailIsAppendOnly
from core.services import audit_record, audit_retention_purge
from incidents.models import Dataset, DataSharingAgreement
from partners.models import Membership
from tests.conftest import DATA_STEWARDS, PASSWORD, staff_group
from tests.factories import TOTP_SECRET, MembershipFactory, UserFactory
from tests.incidents.factories import AgreementFactory, DatasetFactory, RecordFactory

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the triggers exist only on PostgreSQL (run with DATABASE_URL=postgres://…)",
)
TABLE = AuditEvent._meta.db_table


_since = {"id": 0}


@pytest.fixture(autouse=True)
def _events_from_here_on(request):
    """Events written while fixtures set people up are not the test's: count from here on."""
    for name in request.fixturenames:
        if name != "_events_from_here_on":
            request.getfixturevalue(name)
    _since["id"] = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, id__gt=_since["id"]).order_by("id"))


def backdate(event: AuditEvent, days: int) -> None:
    """Age an event as if written ``days`` ago (raw INSERT of a copy: an UPDATE is refused)."""
    at = timezone.now() - dt.timedelta(days=days)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (at, actor_email, action, object_type, object_id, summary,"  # noqa: S608
            " detail) VALUES (%s, '', %s, '', '', '', '{}')",
            [at, event.action],
        )


# -- append-only -------------------------------------------------------------------------------
def test_the_orm_refuses_to_change_or_delete_an_event():
    event = audit_record(actor=None, action="test.event")
    event.summary = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == ""


@postgres_only
def test_postgresql_refuses_raw_sql_update_and_delete():
    event = audit_record(actor=None, action="test.event")
    for sql in (
        f"UPDATE {TABLE} SET summary = 'rewritten' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="pgtrigger"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, summary="").exists()


@postgres_only
def test_postgresql_refuses_a_delete_of_a_young_event_even_with_the_retention_setting():
    event = audit_record(actor=None, action="test.event")
    with (
        pytest.raises(DatabaseError, match="pgtrigger"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('nsvpp.audit_retention_days', '1', true)")
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])  # noqa: S608
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_retention_deletes_only_events_past_the_period_and_records_it(settings):
    settings.AUDIT_RETENTION_DAYS = 400
    young = audit_record(actor=None, action="test.young")
    backdate(young, days=401)  # an old copy
    backdate(young, days=399)  # not old enough
    assert AuditEvent.objects.filter(action="test.young").count() == 3

    assert audit_retention_purge() == 1

    ages = sorted(
        (timezone.now() - e.at).days for e in AuditEvent.objects.filter(action="test.young")
    )
    assert ages == [0, 399]
    (purge,) = events("audit.retention_purged")
    assert purge.detail["count"] == 1
    assert purge.detail["retention_days"] == 400


@postgres_only
def test_outside_the_retention_job_an_old_event_cannot_be_deleted():
    backdate(audit_record(actor=None, action="test.old"), days=4000)
    with (
        pytest.raises(DatabaseError, match="pgtrigger"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE} WHERE action = 'test.old'")  # noqa: S608
    assert AuditEvent.objects.filter(action="test.old").count() == 2


def test_deleting_a_person_keeps_their_events(superuser):
    person = UserFactory(email="gone@example.org")
    audit_record(actor=person, action="test.by_person")
    person.delete()
    (event,) = events("test.by_person")
    assert event.actor_email == "gone@example.org"


# -- sign-in and account security --------------------------------------------------------------
def test_sign_in_failed_sign_in_and_sign_out_are_audited(anonymous, viewer):
    anonymous.post(reverse("account_login"), {"login": viewer.email, "password": "wrong"})
    anonymous.post(reverse("account_login"), {"login": viewer.email, "password": PASSWORD})
    anonymous.post(reverse("account_logout"))

    (failed,) = events("auth.sign_in_failed")
    assert failed.actor is None
    assert failed.detail == {"email": viewer.email}
    assert "wrong" not in str(failed.detail)
    (signed_in,) = events("auth.signed_in")
    assert signed_in.actor == viewer
    (signed_out,) = events("auth.signed_out")
    assert signed_out.actor_email == viewer.email


def test_a_wrong_second_factor_code_and_the_sign_in_after_it_are_audited(anonymous, alice):
    from tests.factories import enrol_totp

    enrol_totp(alice)
    anonymous.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    anonymous.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert events("auth.signed_in") == []
    anonymous.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(TOTP_SECRET).now()})

    (failed,) = events("auth.second_factor_failed")
    assert failed.detail == {"email": alice.email}
    assert [e.actor for e in events("auth.signed_in")] == [alice]


def test_password_change_is_audited(viewer):
    client = Client()
    client.force_login(viewer)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-pass-123",
            "password2": "a-new-long-pass-123",
        },
    )
    assert response.status_code == 302
    (event,) = events("auth.password_changed")
    assert event.actor == viewer


def test_password_reset_through_the_link_is_audited(anonymous, viewer, mailoutbox):
    anonymous.post(reverse("account_reset_password"), {"email": viewer.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password/reset/key/" in line)
    path = link[link.index("/accounts/") :].strip()
    form_url = anonymous.get(path, follow=True).redirect_chain[-1][0]
    anonymous.post(
        form_url, {"password1": "a-new-long-pass-123", "password2": "a-new-long-pass-123"}
    )
    (event,) = events("auth.password_reset")
    assert event.actor == viewer


def test_second_factor_enrolment_is_audited(nobody):
    from allauth.mfa.signals import authenticator_added

    from tests.factories import enrol_totp

    authenticator = enrol_totp(nobody)
    authenticator_added.send(
        sender=type(authenticator), request=None, user=nobody, authenticator=authenticator
    )
    (event,) = events("second_factor.enrolled")
    assert event.actor == nobody
    assert event.detail == {"type": "totp"}


def test_second_factor_reset_in_the_admin_is_audited(superuser_client, viewer):
    from tests.factories import enrol_totp

    enrol_totp(viewer)
    superuser_client.post(
        reverse("admin:partners_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [viewer.pk]},
    )
    (event,) = events("second_factor.reset")
    assert event.object_id == str(viewer.pk)


# -- changes to who may see what ---------------------------------------------------------------
def test_making_someone_staff_and_adding_a_group_is_audited_old_to_new(
    superuser_client, superuser, viewer
):
    response = superuser_client.post(
        reverse("admin:partners_user_change", args=[viewer.pk]),
        {
            "email": viewer.email,
            "full_name": viewer.full_name,
            "is_active": "on",
            "is_staff": "on",
            "groups": [staff_group(DATA_STEWARDS).pk],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (200, 302)
    changes = {}
    for event in events("user.changed"):
        assert event.actor == superuser
        assert event.object_id == str(viewer.pk)
        changes.update(event.detail["changes"])
    assert changes["is_staff"] == [False, True]
    assert changes["groups"] == {"added": [DATA_STEWARDS]}


def test_group_changes_from_either_side_are_audited(viewer):
    group = Group.objects.create(name="Temporary")
    group.user_set.add(viewer)
    viewer.groups.remove(group)
    changes = [e.detail["changes"]["groups"] for e in events("user.changed")]
    assert changes == [{"added": ["Temporary"]}, {"removed": ["Temporary"]}]


def test_sign_in_does_not_write_a_user_change(anonymous, viewer):
    anonymous.post(reverse("account_login"), {"login": viewer.email, "password": PASSWORD})
    assert [e.detail for e in events("user.changed")] == []


def test_password_hashes_never_reach_the_trail(viewer):
    viewer.set_password("another-password-1")
    viewer.save()
    (event,) = events("user.changed")
    assert event.detail["changes"]["password"] == ["(hidden)", "(hidden)"]


def test_agreement_and_dataset_changes_are_audited_with_fields(org_a, org_b):
    dataset = DatasetFactory(owner=org_a, name="Police crime")
    agreement = AgreementFactory(dataset=dataset, retention_months=36)
    agreement.record_level_organisations.add(org_b)
    agreement.retention_months = 24
    agreement.save()
    dataset.is_active = False
    dataset.save()
    agreement.delete()

    (created,) = events("agreement.created")
    assert created.detail["changes"]["retention_months"] == [None, 36]
    assert created.dataset_id == dataset.pk
    added, changed = events("agreement.changed")
    assert added.detail["changes"] == {"record_level_organisations": {"added": [str(org_b)]}}
    assert changed.detail["changes"] == {"retention_months": [36, 24]}
    (deleted,) = events("agreement.deleted")
    assert deleted.detail["changes"]["retention_months"] == [24, None]
    (dataset_changed,) = events("dataset.changed")
    assert dataset_changed.detail["changes"] == {"is_active": [True, False]}
    assert not DataSharingAgreement.objects.exists()
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_memberships_and_organisations_are_audited_with_the_requests_actor(
    staff_client, staff, org_a
):
    person = UserFactory(email="new@example.org")
    response = staff_client.post(
        reverse("admin:partners_membership_add"),
        {"user": person.pk, "organisation": org_a.pk, "role": "viewer", "job_title": ""},
    )
    assert response.status_code == 302
    (event,) = events("membership.created")
    assert event.actor == staff
    assert event.detail["changes"]["role"] == [None, "viewer"]
    Membership.objects.get(user=person).delete()
    assert len(events("membership.deleted")) == 1


def test_invitation_revocation_is_audited_by_the_service_and_the_change(staff, org_a):
    from partners.services import invitation_create, invitation_revoke

    invitation, _token = invitation_create(
        email="someone@example.org", organisation=org_a, role="viewer", invited_by=staff
    )
    invitation_revoke(invitation=invitation, actor=staff)
    assert len(events("invitation.created")) == 1  # the service's, not a second one
    assert len(events("invitation.revoked")) == 1
    (changed,) = events("invitation.changed")
    assert changed.detail["changes"]["revoked_at"][0] is None


# -- the admin's record and upload views -------------------------------------------------------
@pytest.fixture
def alice_admin(alice):
    """The owner's analyst, also staff in the data stewards' group (so the admin opens)."""
    from tests.conftest import _client_for

    alice.is_staff = True
    alice.save()
    alice.groups.add(staff_group(DATA_STEWARDS))
    return _client_for(alice)


def test_admin_record_list_and_record_views_are_audited_per_dataset(alice_admin, alice, org_a):
    dataset = DatasetFactory(owner=org_a)
    AgreementFactory(dataset=dataset)
    record = RecordFactory(dataset=dataset)
    RecordFactory(dataset=dataset)

    assert alice_admin.get(reverse("admin:incidents_incidentrecord_changelist")).status_code == 200
    (listed,) = events("admin.records_listed")
    assert listed.actor == alice
    assert listed.dataset_id == dataset.pk
    assert listed.detail["count"] == 2

    url = reverse("admin:incidents_incidentrecord_change", args=[record.pk])
    assert alice_admin.get(url).status_code == 200
    (viewed,) = events("admin.records_viewed")
    assert viewed.object_id == str(record.pk)
    assert viewed.dataset_id == dataset.pk


def test_admin_upload_views_are_audited(alice_admin, org_a):
    from django.core.files.base import ContentFile

    from incidents.models import Upload

    dataset = DatasetFactory(owner=org_a)
    upload = Upload(dataset=dataset, original_filename="a.csv", sha256="0" * 64)
    upload.file.save("a.csv", ContentFile(b"x"), save=True)
    alice_admin.get(reverse("admin:incidents_upload_changelist"))
    alice_admin.get(reverse("admin:incidents_upload_change", args=[upload.pk]))
    assert [e.dataset_id for e in events("admin.uploads_listed")] == [dataset.pk]
    assert [e.object_id for e in events("admin.uploads_viewed")] == [str(upload.pk)]


def test_audit_events_written_in_a_rolled_back_change_are_rolled_back_too(org_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        DatasetFactory(owner=org_a)
        raise RuntimeError
    assert events("dataset.created") == []
    MembershipFactory  # noqa: B018 - imported for the suite's factories
