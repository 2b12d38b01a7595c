"""A data steward cannot widen their own record-level access through the admin: naming their
organisation in an agreement, or making it a dataset's owner, is refused (a superuser may)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Dataset
from tests.factories import MembershipFactory
from tests.incidents.factories import AgreementFactory, DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(org_a):
    dataset = DatasetFactory(owner=org_a, slug="police-data", name="Police data")
    return AgreementFactory(dataset=dataset, record_level_organisations=[])


def _agreement_data(agreement, organisations):
    return {
        "dataset": agreement.dataset.pk,
        "title": agreement.title,
        "legal_basis": agreement.legal_basis,
        "purpose": agreement.purpose,
        "start_date": agreement.start_date.isoformat(),
        "end_date": agreement.end_date.isoformat(),
        "retention_months": agreement.retention_months,
        "hide_coordinates": "on",
        "record_level_organisations": [o.pk for o in organisations],
        "_save": "Save",
    }


def _dataset_data(dataset, owner):
    return {
        "owner": owner.pk,
        "name": dataset.name,
        "slug": dataset.slug,
        "source_system": dataset.source_system,
        "format": dataset.format,
        "cadence": dataset.cadence,
        "extraction_notes": "",
        "column_mapping": "{}",
        "is_active": "on",
        "agreements-TOTAL_FORMS": "0",
        "agreements-INITIAL_FORMS": "0",
        "agreements-MIN_NUM_FORMS": "0",
        "agreements-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }


def test_steward_cannot_name_their_own_organisation(steward, steward_client, agreement, org_b):
    MembershipFactory(user=steward, organisation=org_b, role="analyst")
    url = reverse("admin:incidents_datasharingagreement_change", args=[agreement.pk])
    assert steward_client.post(url, _agreement_data(agreement, [org_b])).status_code == 403
    assert not agreement.record_level_organisations.exists()


def test_steward_may_name_an_organisation_that_gives_them_nothing(
    steward_client, agreement, org_b, opfcc
):
    # The steward is a viewer at the convenor: naming it gives its analysts access, not them.
    url = reverse("admin:incidents_datasharingagreement_change", args=[agreement.pk])
    response = steward_client.post(url, _agreement_data(agreement, [org_b, opfcc]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(agreement.record_level_organisations.all()) == {org_b, opfcc}


def test_steward_cannot_make_their_organisation_the_owner(
    steward, steward_client, agreement, org_b
):
    MembershipFactory(user=steward, organisation=org_b, role="viewer")
    dataset = agreement.dataset
    url = reverse("admin:incidents_dataset_change", args=[dataset.pk])
    assert steward_client.post(url, _dataset_data(dataset, org_b)).status_code == 403
    assert Dataset.objects.get(pk=dataset.pk).owner_id == dataset.owner_id


def test_superuser_may_name_any_organisation(superuser, superuser_client, agreement, org_b):
    MembershipFactory(user=superuser, organisation=org_b, role="analyst")
    url = reverse("admin:incidents_datasharingagreement_change", args=[agreement.pk])
    assert superuser_client.post(url, _agreement_data(agreement, [org_b])).status_code == 302
    assert list(agreement.record_level_organisations.all()) == [org_b]
