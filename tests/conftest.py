"""Personas used across the suite.

- alice: analyst at organisation A (police)
- bob: analyst at organisation B (health) — must never see A's record-level data
- lead: partner lead at organisation A
- viewer: viewer at organisation A
- staff: OPFCC staff (Django staff), member of the convenor organisation
- anonymous: a resident with no account
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PartnershipFactory,
    UserFactory,
    enrol_totp,
)

PASSWORD = "correct-horse-battery"
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
def opfcc(db):
    return OrganisationFactory(
        name="Office of the Testshire PFCC",
        short_name="OPFCC",
        slug="opfcc",
        kind="policing_body",
        specified_area="",
    )


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
    user = UserFactory(
        email="sam@opfcc.example.org", full_name="Sam Staff", is_staff=True, is_superuser=True
    )
    MembershipFactory(user=user, organisation=opfcc, role="partner_lead")
    return user


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
