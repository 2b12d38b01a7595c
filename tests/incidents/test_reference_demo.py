"""incidents/demo.py: reference data and partner datasets for the demo, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest

from incidents import access
from incidents.demo import seed, seed_demo_datasets
from incidents.models import Dataset, DataSharingAgreement, Lsoa, PriorityCrimeType
from partners import demo as partners_demo

pytestmark = pytest.mark.django_db


def test_seed_creates_datasets_with_agreements_and_is_idempotent(settings, tmp_path):
    settings.SHARED_DATA_DIR = str(tmp_path / "absent")
    partners_demo.seed(stdout=StringIO())
    out = StringIO()
    seed(stdout=out)
    assert "Skipped geography" in out.getvalue()
    assert PriorityCrimeType.objects.count() == 7
    slugs = set(Dataset.objects.values_list("slug", flat=True))
    assert {"police-uk-street", "istv-ed", "yos-extract"} <= slugs

    police = Dataset.objects.get(slug="police-uk-street")
    assert police.owner.slug == "police"
    assert access.agreement_problem(police) is None
    agreement = access.agreement_current(police)
    assert set(agreement.record_level_organisations.values_list("slug", flat=True)) == {"opfcc"}
    assert agreement.hide_coordinates
    assert access.agreement_problem(Dataset.objects.get(slug="istv-ed")) is None
    lapsed = access.agreement_problem(Dataset.objects.get(slug="fire-deliberate-fires"))
    assert lapsed is not None and "lapsed on" in lapsed

    before = (Dataset.objects.count(), DataSharingAgreement.objects.count())
    seed(stdout=StringIO())
    assert (Dataset.objects.count(), DataSharingAgreement.objects.count()) == before
    assert set(seed_demo_datasets()) == slugs


def test_seed_loads_geography_when_the_folder_exists(settings, shared_data):
    settings.SHARED_DATA_DIR = str(shared_data)
    partners_demo.seed(stdout=StringIO())
    out = StringIO()
    seed(stdout=out)
    assert Lsoa.objects.filter(in_area=True).count() == 422
    assert "Geography from" in out.getvalue()
