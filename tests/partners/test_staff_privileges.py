"""Least privilege for the convenor's staff: groups decide what staff may change in the admin,
and only a superuser may grant staff or superuser status, groups or permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from partners.admin import membership_refuse_own, privilege_refuse_unless_superuser
from partners.models import Membership
from tests.conftest import DATA_STEWARDS, PARTNERSHIP_ADMINISTRATORS

pytestmark = pytest.mark.django_db


def _change(user, **extra):
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [Group.objects.get(name=DATA_STEWARDS).pk],
        "user_permissions": [Permission.objects.get(codename="view_incidentrecord").pk],
        "_save": "Save",
    }
    data.update(extra)
    return data


def test_the_migration_creates_the_staff_groups_without_rights_over_rights():
    admins = Group.objects.get(name=PARTNERSHIP_ADMINISTRATORS)
    stewards = Group.objects.get(name=DATA_STEWARDS)
    admin_perms = set(admins.permissions.values_list("content_type__app_label", "codename"))
    steward_perms = set(stewards.permissions.values_list("content_type__app_label", "codename"))
    assert ("partners", "add_invitation") in admin_perms
    assert ("partners", "change_membership") in admin_perms
    assert ("strategy", "change_action") in admin_perms
    assert ("surveys", "change_survey") in admin_perms
    assert ("incidents", "change_datasharingagreement") in steward_perms
    assert ("incidents", "change_priorityrule") in steward_perms
    assert not any(app == "incidents" for app, _ in admin_perms)
    for perms in (admin_perms, steward_perms):
        assert not any(app == "auth" for app, _ in perms), (
            "groups and permissions are superuser-only"
        )
        # Records and uploads are never changed in the admin.
        assert ("incidents", "change_incidentrecord") not in perms
        assert ("incidents", "change_upload") not in perms


def test_staff_form_shows_rights_and_email_read_only(staff_client, viewer):
    page = staff_client.get(reverse("admin:partners_user_change", args=[viewer.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    for name in ("is_staff", "is_superuser", "groups", "user_permissions", "email"):
        assert name not in form.fields, name


def test_staff_cannot_take_over_a_partners_account(staff_client, alice):
    url = reverse("admin:partners_user_change", args=[alice.pk])
    staff_client.post(url, _change(alice, email="attacker@example.org"))
    alice.refresh_from_db()
    assert alice.email == "alice@police.example.org"
    password = reverse("admin:auth_user_password_change", args=[alice.pk])
    assert staff_client.get(password).status_code == 403
    response = staff_client.post(
        password, {"password1": "a-new-long-password", "password2": "a-new-long-password"}
    )
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password("correct-horse-battery")


def test_staff_cannot_raise_anyones_rights(staff_client, staff, viewer):
    url = reverse("admin:partners_user_change", args=[viewer.pk])
    response = staff_client.post(url, _change(viewer, full_name="Vic Renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    viewer.refresh_from_db()
    assert viewer.full_name == "Vic Renamed"  # the rest of the change is kept
    assert not viewer.is_staff and not viewer.is_superuser
    assert not viewer.groups.exists() and not viewer.user_permissions.exists()
    # Nor their own.
    staff_client.post(reverse("admin:partners_user_change", args=[staff.pk]), _change(staff))
    staff.refresh_from_db()
    assert not staff.is_superuser
    assert list(staff.groups.values_list("name", flat=True)) == [PARTNERSHIP_ADMINISTRATORS]


def test_staff_cannot_change_staff_or_superuser_accounts(staff_client, steward, superuser):
    for account in (steward, superuser):
        change = reverse("admin:partners_user_change", args=[account.pk])
        password = reverse("admin:auth_user_password_change", args=[account.pk])
        assert staff_client.post(change, _change(account, full_name="Taken")).status_code == 403
        assert staff_client.get(password).status_code == 403
        response = staff_client.post(
            password, {"password1": "a-new-long-password", "password2": "a-new-long-password"}
        )
        assert response.status_code == 403
        account.refresh_from_db()
        assert account.full_name != "Taken"
        assert account.check_password("correct-horse-battery")


def test_the_server_refuses_a_non_superuser_granting_staff_whatever_the_form(staff, viewer):
    request = RequestFactory().post("/")
    request.user = staff
    viewer.is_staff = True
    with pytest.raises(PermissionDenied):
        privilege_refuse_unless_superuser(request=request, user=viewer)
    viewer.is_staff, viewer.is_superuser = False, True
    with pytest.raises(PermissionDenied):
        privilege_refuse_unless_superuser(request=request, user=viewer)


def test_superuser_may_grant_rights(superuser_client, viewer):
    url = reverse("admin:partners_user_change", args=[viewer.pk])
    response = superuser_client.post(url, _change(viewer, is_superuser=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    viewer.refresh_from_db()
    assert viewer.is_staff and not viewer.is_superuser
    assert list(viewer.groups.values_list("name", flat=True)) == [DATA_STEWARDS]


def test_staff_cannot_give_themselves_a_membership(staff_client, staff, org_a):
    response = staff_client.post(
        reverse("admin:partners_membership_add"),
        {"user": staff.pk, "organisation": org_a.pk, "role": "analyst", "job_title": ""},
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=staff, organisation=org_a).exists()
    request = RequestFactory().post("/")
    request.user = staff
    with pytest.raises(PermissionDenied):
        membership_refuse_own(request=request, membership=Membership(user=staff))


def test_staff_may_give_someone_else_a_membership(staff_client, nobody, org_a):
    response = staff_client.post(
        reverse("admin:partners_membership_add"),
        {"user": nobody.pk, "organisation": org_a.pk, "role": "viewer", "job_title": ""},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=nobody, organisation=org_a, role="viewer").exists()


def test_staff_without_a_group_see_an_empty_admin(nobody):
    from tests.conftest import _client_for

    nobody.is_staff = True
    nobody.save()
    client = _client_for(nobody)  # staff need a second factor, which the helper enrols
    assert client.get(reverse("admin:index")).context["app_list"] == []
    assert client.get(reverse("admin:partners_user_changelist")).status_code == 403
