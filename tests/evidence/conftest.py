"""Evidence fixtures: a police and an ISTV dataset over three years, with their cubes built."""

from __future__ import annotations

import pytest

from tests.evidence.seed import seed_evidence, seed_geography
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.incidents.factories import (
    PriorityFactory,
)


@pytest.fixture
def geography(db):
    return seed_geography()


@pytest.fixture
def knife(db):
    return PriorityFactory(slug="knife-crime", name="Knife crime")


@pytest.fixture
def evidence_data(geography, org_a, org_b, knife):
    """A police dataset (org A) and an ISTV dataset (org B); records spread over 36 months."""
    return seed_evidence(geography=geography, police_owner=org_a, health_owner=org_b, knife=knife)


@pytest.fixture
def outsider(db):
    """Signed in, but a member of no partner organisation."""
    return UserFactory(email="olly@example.org", full_name="Olly Outsider")


@pytest.fixture
def carol(db):
    """An analyst at a third organisation: sees both datasets through disclosure only."""
    org = OrganisationFactory(name="Testshire Fire", short_name="Fire", slug="fire", kind="fire")
    return MembershipFactory(
        user=UserFactory(email="carol@fire.example.org", full_name="Carol Fire"),
        organisation=org,
        role="analyst",
    ).user
