"""Fixtures shared by the incidents tests: a police dataset, a named partner, some records."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.incidents.factories import AgreementFactory, DatasetFactory


@pytest.fixture
def org_named(db):
    """An organisation the police dataset's agreement names for record-level access."""
    return OrganisationFactory(
        name="Testshire Youth Offending Service",
        short_name="YOS",
        slug="yos",
        kind="youth_offending",
        specified_area="justice",
    )


@pytest.fixture
def carol(org_named):
    return MembershipFactory(
        user=UserFactory(email="carol@yos.example.org", full_name="Carol Analyst"),
        organisation=org_named,
        role="analyst",
    ).user


@pytest.fixture
def carol_client(carol) -> Client:
    client = Client()
    client.force_login(carol)
    return client


@pytest.fixture
def police_dataset(org_a, org_named):
    dataset = DatasetFactory(
        owner=org_a, slug="police-data", name="Police recorded crime", format="police_uk_street"
    )
    AgreementFactory(dataset=dataset, record_level_organisations=[org_named], hide_coordinates=True)
    return dataset
