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


@pytest.mark.django_db
def test_demo_staff_run_the_admin_and_the_convenor_analyst_sees_named_datasets(settings, tmp_path):
    from django.contrib.auth import get_user_model

    from incidents import access
    from partners.models import Partnership

    settings.SHARED_DATA_DIR = str(tmp_path / "absent")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "analyst@opfcc.example.org" in out.getvalue()
    User = get_user_model()
    staff = User.objects.get(email="staff@opfcc.example.org")
    assert staff.is_staff and not staff.is_superuser
    assert set(staff.groups.values_list("name", flat=True)) == {
        "Partnership administrators",
        "Data stewards",
    }
    assert not access.datasets_with_records_visible(staff).exists()
    assert Partnership.objects.get().convenor_organisation.slug == "opfcc"
    convenor_analyst = User.objects.get(email="analyst@opfcc.example.org")
    visible = set(
        access.datasets_with_records_visible(convenor_analyst).values_list("slug", flat=True)
    )
    # Every dataset with a current agreement names the convenor; the lapsed one shows nothing.
    assert visible == {"police-uk-street", "istv-ed", "yos-extract"}
