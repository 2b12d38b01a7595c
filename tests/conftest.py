"""Personas used across the suite.

- alice: analyst at organisation A (police)
- bob: analyst at organisation B (health) — must never see A's record-level data
- lead: partner lead at organisation A
- viewer: viewer at organisation A
- staff: OPFCC staff: opens the admin (``is_staff``), in the "Partnership administrators"
  group, partner lead at the convenor organisation; not a superuser, no record-level access
- steward: OPFCC staff in the "Data stewards" group, viewer at the convenor organisation
- superuser: a superuser with no membership (still no record-level access)
- convenor_analyst: analyst at the convenor organisation (record level only where an
  agreement names the convenor)
- nobody: signed in, no membership of any organisation
- anonymous: a resident with no account

``opfcc`` is the convenor organisation (``Partnership.convenor_organisation``).
"""

from __future__ import annotations

import contextlib
from importlib import import_module
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PartnershipFactory,
    UserFactory,
    enrol_totp,
)

PASSWORD = "correct-horse-battery"
# Created by partners/migrations/0003_staff_groups.py.
PARTNERSHIP_ADMINISTRATORS = "Partnership administrators"
DATA_STEWARDS = "Data stewards"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in a shared cache (Redis in CI): no test inherits another's."""
    from django.core.cache import cache

    # Tests without database access cannot reach the DB cache; nothing to clear for them.
    with contextlib.suppress(Exception):
        cache.clear()
    yield


@pytest.fixture
def shared_data() -> Path:
    """The real public files beside the checkout; tests skip only when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data folder not present beside the checkout ({SHARED_DATA.name})")
    return SHARED_DATA


@pytest.fixture
def partnership(db):
    return PartnershipFactory()


@pytest.fixture
def org_a(db):
    return OrganisationFactory(
        name="Testshire Police",
        short_name="Police",
        slug="police",
        kind="police",
        specified_area="police",
    )


@pytest.fixture
def org_b(db):
    return OrganisationFactory(
        name="Testshire Integrated Care Board",
        short_name="ICB",
        slug="icb",
        kind="health",
        specified_area="health",
    )


@pytest.fixture
def opfcc(partnership):
    organisation = OrganisationFactory(
        name="Office of the Testshire PFCC",
        short_name="OPFCC",
        slug="opfcc",
        kind="policing_body",
        specified_area="",
    )
    partnership.convenor_organisation = organisation
    partnership.save(update_fields=["convenor_organisation"])
    return organisation


@pytest.fixture
def alice(org_a):
    return MembershipFactory(
        user=UserFactory(email="alice@police.example.org", full_name="Alice Analyst"),
        organisation=org_a,
        role="analyst",
    ).user


@pytest.fixture
def bob(org_b):
    return MembershipFactory(
        user=UserFactory(email="bob@icb.example.org", full_name="Bob Analyst"),
        organisation=org_b,
        role="analyst",
    ).user


@pytest.fixture
def lead(org_a):
    return MembershipFactory(
        user=UserFactory(email="lee@police.example.org", full_name="Lee Lead"),
        organisation=org_a,
        role="partner_lead",
    ).user


@pytest.fixture
def viewer(org_a):
    return MembershipFactory(
        user=UserFactory(email="vic@police.example.org", full_name="Vic Viewer"),
        organisation=org_a,
        role="viewer",
    ).user


@pytest.fixture
def staff(opfcc):
    user = UserFactory(email="sam@opfcc.example.org", full_name="Sam Staff", is_staff=True)
    user.groups.add(staff_group(PARTNERSHIP_ADMINISTRATORS))
    MembershipFactory(user=user, organisation=opfcc, role="partner_lead")
    return user


@pytest.fixture
def steward(opfcc):
    user = UserFactory(email="dee@opfcc.example.org", full_name="Dee Steward", is_staff=True)
    user.groups.add(staff_group(DATA_STEWARDS))
    MembershipFactory(user=user, organisation=opfcc, role="viewer")
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(
        email="root@opfcc.example.org", full_name="Su Peruser", is_staff=True, is_superuser=True
    )


@pytest.fixture
def convenor_analyst(opfcc):
    return MembershipFactory(
        user=UserFactory(email="cat@opfcc.example.org", full_name="Cat Convenor-Analyst"),
        organisation=opfcc,
        role="analyst",
    ).user


@pytest.fixture
def nobody(db):
    return UserFactory(email="nobody@example.org", full_name="Nadia Nobody")


def staff_group(name: str) -> Group:
    """A group the staff-groups migration creates (again, after a transactional test's flush)."""
    group = Group.objects.filter(name=name).first()
    if group is None:
        from django.apps import apps

        import_module("partners.migrations.0003_staff_groups").groups_create(apps, None)
        import_module("assessments.migrations.0002_staff_group_permissions").grant(apps, None)
        group = Group.objects.get(name=name)
    return group


def _client_for(user) -> Client:
    # Staff and people with record-level access must have a second factor, or every page sends
    # them to enrolment; every persona gets one so that holds whatever data a test adds.
    enrol_totp(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def alice_client(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def lead_client(lead) -> Client:
    return _client_for(lead)


@pytest.fixture
def viewer_client(viewer) -> Client:
    return _client_for(viewer)


@pytest.fixture
def staff_client(staff) -> Client:
    return _client_for(staff)


@pytest.fixture
def steward_client(steward) -> Client:
    return _client_for(steward)


@pytest.fixture
def superuser_client(superuser) -> Client:
    return _client_for(superuser)


@pytest.fixture
def convenor_analyst_client(convenor_analyst) -> Client:
    return _client_for(convenor_analyst)


@pytest.fixture
def nobody_client(nobody) -> Client:
    return _client_for(nobody)
