"""Who may see, upload to and locate records of a dataset (incidents/access.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from incidents import access
from tests.factories import MembershipFactory
from tests.incidents.factories import AgreementFactory, DatasetFactory, RecordFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def police_dataset(org_a):
    return DatasetFactory(owner=org_a, slug="police-data", name="Police data")


def test_agreement_current_prefers_latest_start(police_dataset):
    AgreementFactory(
        dataset=police_dataset, start_date=dt.date(2025, 1, 1), end_date=dt.date(2027, 1, 1)
    )
    newer = AgreementFactory(
        dataset=police_dataset, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    assert access.agreement_current(police_dataset, on=TODAY) == newer


def test_agreement_current_is_none_outside_dates(police_dataset):
    AgreementFactory(
        dataset=police_dataset, start_date=dt.date(2024, 1, 1), end_date=dt.date(2025, 1, 1)
    )
    assert access.agreement_current(police_dataset, on=TODAY) is None


def test_agreement_problem_without_agreement(police_dataset):
    assert "has no data-sharing agreement" in access.agreement_problem(police_dataset, on=TODAY)


def test_agreement_problem_says_when_agreement_lapsed(police_dataset):
    AgreementFactory(
        dataset=police_dataset, start_date=dt.date(2024, 1, 1), end_date=dt.date(2025, 3, 31)
    )
    problem = access.agreement_problem(police_dataset, on=TODAY)
    assert problem is not None
    assert "lapsed on 31 March 2025" in problem


def test_agreement_problem_says_when_agreement_starts(police_dataset):
    AgreementFactory(
        dataset=police_dataset, start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 8, 31)
    )
    problem = access.agreement_problem(police_dataset, on=TODAY)
    assert problem is not None
    assert "has not started yet" in problem and "1 September 2026" in problem


def test_agreement_problem_none_when_current(police_dataset):
    AgreementFactory(
        dataset=police_dataset, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    assert access.agreement_problem(police_dataset, on=TODAY) is None


def test_agreement_problem_for_closed_dataset(police_dataset):
    AgreementFactory(dataset=police_dataset)
    police_dataset.is_active = False
    police_dataset.save()
    assert "closed to new uploads" in access.agreement_problem(police_dataset)


def test_only_owning_analysts_can_upload(
    police_dataset, alice, bob, lead, viewer, staff, superuser, convenor_analyst, opfcc
):
    AgreementFactory(dataset=police_dataset, record_level_organisations=[opfcc])
    assert access.can_upload(alice, police_dataset)
    assert not access.can_upload(staff, police_dataset)
    assert not access.can_upload(superuser, police_dataset)
    assert not access.can_upload(convenor_analyst, police_dataset)
    assert not access.can_upload(bob, police_dataset)
    assert not access.can_upload(lead, police_dataset)
    assert not access.can_upload(viewer, police_dataset)
    police_dataset.is_active = False
    assert not access.can_upload(alice, police_dataset)


def test_record_access_owner_members_and_named_analysts(
    police_dataset, alice, bob, viewer, lead, convenor_analyst, opfcc
):
    AgreementFactory(dataset=police_dataset, record_level_organisations=[opfcc])
    assert access.can_see_records(alice, police_dataset)
    assert access.can_see_records(viewer, police_dataset)
    assert access.can_see_records(lead, police_dataset)
    assert access.can_see_records(convenor_analyst, police_dataset)
    assert not access.can_see_records(bob, police_dataset)


def test_staff_and_superusers_get_no_record_level_access(
    police_dataset, staff, steward, superuser, opfcc
):
    # Staff are members of the named convenor, but not analysts; the superuser has no membership.
    AgreementFactory(dataset=police_dataset, record_level_organisations=[opfcc])
    for person in (staff, steward, superuser):
        assert not access.can_see_records(person, police_dataset), person
        assert not access.datasets_with_records_visible(person).exists(), person


def test_convenor_analyst_sees_records_only_where_the_agreement_names_the_convenor(
    police_dataset, convenor_analyst, org_b
):
    AgreementFactory(dataset=police_dataset, record_level_organisations=[org_b])
    assert not access.can_see_records(convenor_analyst, police_dataset)
    with pytest.raises(Http404):
        access.dataset_for_records_or_404(convenor_analyst, "police-data")


def test_named_organisation_needs_the_analyst_role(police_dataset, org_b, bob):
    AgreementFactory(dataset=police_dataset, record_level_organisations=[org_b])
    lead_b = MembershipFactory(organisation=org_b, role="partner_lead").user
    viewer_b = MembershipFactory(organisation=org_b, role="viewer").user
    assert access.can_see_records(bob, police_dataset)
    assert not access.can_see_records(lead_b, police_dataset)
    assert not access.can_see_records(viewer_b, police_dataset)
    assert set(access.datasets_with_records_visible(lead_b)) == set()
    assert set(access.datasets_with_records_visible(bob)) == {police_dataset}


def test_queryset_and_single_dataset_rules_agree_for_every_persona(
    police_dataset, org_b, opfcc, alice, bob, lead, viewer, staff, superuser, convenor_analyst
):
    AgreementFactory(dataset=police_dataset, record_level_organisations=[opfcc, org_b])
    other = DatasetFactory(owner=org_b, slug="icb-data")
    AgreementFactory(dataset=other, record_level_organisations=[])
    for person in (alice, bob, lead, viewer, staff, superuser, convenor_analyst):
        listed = {d.slug for d in access.datasets_for_user(person) if d.record_level}
        single = {d.slug for d in (police_dataset, other) if access.can_see_records(person, d)}
        assert listed == single, person


def test_named_organisation_loses_access_when_agreement_lapses(police_dataset, bob, org_b):
    AgreementFactory(
        dataset=police_dataset,
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2025, 1, 1),
        record_level_organisations=[org_b],
    )
    assert not access.can_see_records(bob, police_dataset, on=TODAY)
    assert access.can_see_records(bob, police_dataset, on=dt.date(2024, 6, 1))


def test_coordinates_hidden_from_named_organisation_when_agreement_says(
    police_dataset, alice, bob, org_b
):
    agreement = AgreementFactory(
        dataset=police_dataset, record_level_organisations=[org_b], hide_coordinates=True
    )
    assert access.can_see_coordinates(alice, police_dataset)
    assert not access.can_see_coordinates(bob, police_dataset)
    agreement.hide_coordinates = False
    agreement.save()
    assert access.can_see_coordinates(bob, police_dataset)


def test_datasets_for_user_annotates_access(police_dataset, org_b, bob, alice):
    other = DatasetFactory(owner=org_b, slug="icb-data")
    rows = {d.slug: d for d in access.datasets_for_user(bob)}
    assert rows["police-data"].access == access.AGGREGATES_ONLY
    assert rows["icb-data"].access == access.RECORD_LEVEL
    AgreementFactory(dataset=other, record_level_organisations=[])
    rows = {d.slug: d for d in access.datasets_for_user(alice)}
    assert rows["police-data"].record_level is True
    assert rows["icb-data"].record_level is False


def test_dataset_for_records_or_404_hides_other_partners_dataset(police_dataset, alice, bob):
    assert access.dataset_for_records_or_404(alice, "police-data") == police_dataset
    with pytest.raises(Http404):
        access.dataset_for_records_or_404(bob, "police-data")
    with pytest.raises(Http404):
        access.dataset_for_records_or_404(alice, "no-such-dataset")


def test_dataset_for_upload_or_404_forbids_viewer_and_hides_from_others(
    police_dataset, alice, bob, viewer
):
    assert access.dataset_for_upload_or_404(alice, "police-data") == police_dataset
    with pytest.raises(PermissionDenied):
        access.dataset_for_upload_or_404(viewer, "police-data")
    with pytest.raises(Http404):
        access.dataset_for_upload_or_404(bob, "police-data")


def test_records_visible_scopes_to_record_level_datasets(
    police_dataset, org_b, alice, bob, staff, superuser
):
    mine = RecordFactory(dataset=police_dataset)
    theirs = RecordFactory(dataset=DatasetFactory(owner=org_b))
    assert list(access.records_visible(alice)) == [mine]
    assert list(access.records_visible(bob)) == [theirs]
    assert not access.records_visible(staff).exists()
    assert not access.records_visible(superuser).exists()
