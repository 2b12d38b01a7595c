"""load_crime_categories: police.uk's 14 categories, the partnership's own and source mappings."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from incidents.models import CategoryMapping, CrimeCategory, FieldValueMapping

pytestmark = pytest.mark.django_db

POLICE_UK = [
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
    "Other crime",
]


def test_police_uk_categories_all_map(db):
    call_command("load_crime_categories", verbosity=0)
    mapped = dict(
        CategoryMapping.objects.filter(source_format="police_uk_street").values_list(
            "source_code", "category__slug"
        )
    )
    assert sorted(mapped) == sorted(POLICE_UK)
    assert mapped["Robbery"] == "robbery"
    assert mapped["Possession of weapons"] == "possession-of-weapons"


def test_every_category_has_a_template_code_and_sexual_offences_are_sensitive(db):
    call_command("load_crime_categories", verbosity=0)
    template = set(
        CategoryMapping.objects.filter(source_format="portal_template").values_list(
            "source_code", flat=True
        )
    )
    assert template == set(CrimeCategory.objects.values_list("slug", flat=True))
    assert set(CrimeCategory.objects.filter(is_sensitive=True).values_list("slug", flat=True)) == {
        "rape",
        "other-sexual-offences",
    }


def test_istv_values_map_to_portal_values(db):
    call_command("load_crime_categories", verbosity=0)
    weapon = FieldValueMapping.objects.get(
        source_format="istv_ed", field="weapon", source_value="Knife/sharp object"
    )
    assert weapon.value == "knife"
    pub = FieldValueMapping.objects.get(
        source_format="istv_ed", field="location_type", source_value="Pub/bar/club"
    )
    assert pub.value == "licensed_premises"


def test_loading_twice_changes_nothing(db):
    call_command("load_crime_categories", verbosity=0)
    before = list(CrimeCategory.objects.values()), list(CategoryMapping.objects.values())
    call_command("load_crime_categories", verbosity=0)
    assert (list(CrimeCategory.objects.values()), list(CategoryMapping.objects.values())) == before


def test_a_bad_file_changes_nothing(tmp_path):
    bad = tmp_path / "categories.json"
    bad.write_text(
        json.dumps(
            {
                "categories": [{"slug": "a", "name": "A"}],
                "mappings": [{"source_format": "x", "source_code": "A", "category": "nope"}],
            }
        )
    )
    with pytest.raises(CommandError, match="unknown category 'nope'"):
        call_command("load_crime_categories", file=bad, verbosity=0)
    assert not CrimeCategory.objects.exists()
    bad.write_text("not json")
    with pytest.raises(CommandError, match="not a UTF-8 JSON file"):
        call_command("load_crime_categories", file=bad, verbosity=0)
    bad.write_text(json.dumps({"value_mappings": []}))
    with pytest.raises(CommandError, match='"categories" list'):
        call_command("load_crime_categories", file=bad, verbosity=0)
