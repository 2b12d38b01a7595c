from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from partners.models import Membership, Organisation


def _snapshot() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label != "sessions"
    }


@pytest.mark.django_db
def test_seed_demo_creates_partners_people_and_is_idempotent(settings, tmp_path):
    settings.SHARED_DATA_DIR = str(tmp_path / "absent")  # keep this test fast and self-contained
    settings.DEBUG = True  # seed_demo runs only in debug mode
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "staff@opfcc.example.org" in out.getvalue()
    specified = set(
        Organisation.objects.exclude(specified_area="").values_list("specified_area", flat=True)
    )
    assert specified == {"justice", "health", "local_authorities", "fire", "police"}
    police = Organisation.objects.get(slug="police")
    assert set(Membership.objects.filter(organisation=police).values_list("role", flat=True)) == {
        "analyst",
        "partner_lead",
    }
    first = _snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first, "a second run must change nothing"
