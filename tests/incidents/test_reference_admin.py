"""Staff's admin for reference data, and django-import-export resources that escape formulae."""

from __future__ import annotations

import pytest
import tablib
from django.core.management import call_command
from django.urls import reverse
from import_export.formats.base_formats import CSV

from core.models import AuditEvent
from incidents.models import CrimeCategory, IncidentRecord, PriorityCrimeType
from incidents.priorities import priorities_recompute
from incidents.resources import CrimeCategoryResource, LsoaResource, PriorityCrimeTypeResource
from tests.incidents.factories import (
    AgreementFactory,
    CategoryFactory,
    DatasetFactory,
    LsoaFactory,
    RecordFactory,
    priority_slugs,
)

pytestmark = pytest.mark.django_db


def test_category_export_escapes_a_formula(settings):
    assert settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is True
    CategoryFactory(slug="evil", name='=HYPERLINK("http://x","click")', group="+danger")
    exported = CSV().export_data(CrimeCategoryResource().export())
    assert "'=HYPERLINK" in exported
    assert "'+danger" in exported
    assert "\n=HYPERLINK" not in exported and ",=HYPERLINK" not in exported


def test_the_library_setting_alone_strips_a_leading_equals(settings):
    data = tablib.Dataset(headers=["name"])
    data.append(["=1+1"])
    assert "=1+1" not in CSV().export_data(data)


def test_lsoa_import_updates_by_code_and_resolves_district():
    lsoa = LsoaFactory(code="E01000001", name="Old name")
    data = tablib.Dataset(headers=["code", "name", "district", "in_area", "imd_decile"])
    data.append(["E01000001", "New name", lsoa.district.code, "1", "3"])
    result = LsoaResource().import_data(data, dry_run=False)
    assert not result.has_errors()
    lsoa.refresh_from_db()
    assert (lsoa.name, lsoa.imd_decile) == ("New name", 3)


def test_switching_a_priority_off_by_import_recomputes_its_flags(
    staff, django_capture_on_commit_callbacks
):
    call_command("load_crime_categories", verbosity=0)
    call_command("load_priorities", verbosity=0)
    record = RecordFactory(category=CrimeCategory.objects.get(slug="robbery"))
    priorities_recompute(records=IncidentRecord.objects.all())
    assert priority_slugs(record) == {"personal-robbery"}
    robbery = PriorityCrimeType.objects.get(slug="personal-robbery")
    headers = ["slug", "name", "short_description", "display_order", "is_sensitive", "is_active"]
    data = tablib.Dataset(headers=headers)
    data.append([robbery.slug, robbery.name, robbery.short_description, 1, "0", "0"])
    # A dry run (the admin's preview) changes nothing and queues nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = PriorityCrimeTypeResource().import_data(data, dry_run=True, user=staff)
    assert not result.has_errors() and not callbacks
    assert priority_slugs(record)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = PriorityCrimeTypeResource().import_data(data, dry_run=False, user=staff)
    # The recompute, queued once; its changed bits then queue the evidence aggregates' rebuild.
    assert not result.has_errors() and len(callbacks) == 2
    assert not priority_slugs(record)
    assert AuditEvent.objects.filter(action="priority.rules_changed", actor=staff).exists()


@pytest.mark.parametrize(
    "model",
    [
        "authority",
        "district",
        "ward",
        "lsoa",
        "boundary",
        "crimecategory",
        "categorymapping",
        "fieldvaluemapping",
        "prioritycrimetype",
        "priorityrule",
        "dataset",
        "datasharingagreement",
        "incidentrecord",
    ],
)
def test_data_steward_can_open_each_admin_list_and_search(steward_client, model):
    call_command("load_crime_categories", verbosity=0)
    call_command("load_priorities", verbosity=0)
    agreement = AgreementFactory()
    RecordFactory(dataset=agreement.dataset)
    url = reverse(f"admin:incidents_{model}_changelist")
    assert steward_client.get(url).status_code == 200
    assert steward_client.get(url, {"q": "a"}).status_code == 200


def test_data_steward_can_open_dataset_with_agreements_and_priority_with_rules(steward_client):
    call_command("load_crime_categories", verbosity=0)
    call_command("load_priorities", verbosity=0)
    dataset = DatasetFactory()
    AgreementFactory(dataset=dataset)
    response = steward_client.get(reverse("admin:incidents_dataset_change", args=[dataset.pk]))
    assert response.status_code == 200
    assert "Data sharing agreements" in response.content.decode()
    knife = PriorityCrimeType.objects.get(slug="knife-crime")
    response = steward_client.get(
        reverse("admin:incidents_prioritycrimetype_change", args=[knife.pk])
    )
    assert response.status_code == 200
    assert "Possession of a weapon" in response.content.decode()


def test_record_admin_is_read_only(steward_client):
    record = RecordFactory()
    assert steward_client.get(reverse("admin:incidents_incidentrecord_add")).status_code == 403
    response = steward_client.post(
        reverse("admin:incidents_incidentrecord_delete", args=[record.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
