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


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_when_debug_is_off(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    before = _snapshot()
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == before


def test_seed_demo_exits_non_zero_in_production_mode(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "nsvpp.settings",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never-created.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "refuses to run with DJANGO_DEBUG off" in result.stderr
    assert not (tmp_path / "never-created.sqlite3").exists(), "it stops before any data"


@pytest.mark.django_db
def test_demo_accounts_have_the_printed_second_factor(settings, tmp_path):
    import pyotp
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt
    from django.contrib.auth import get_user_model

    from partners.demo import DEMO_TOTP_SECRET

    settings.SHARED_DATA_DIR = str(tmp_path / "absent")
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert DEMO_TOTP_SECRET in out.getvalue()
    assert "python manage.py totp_code" in out.getvalue()
    users = get_user_model().objects.all()
    totps = Authenticator.objects.filter(type=Authenticator.Type.TOTP)
    assert totps.count() == users.count() > 0
    assert {decrypt(a.data["secret"]) for a in totps} == {DEMO_TOTP_SECRET}

    code_out = StringIO()
    call_command("totp_code", "staff@opfcc.example.org", stdout=code_out)
    code = code_out.getvalue().split()[0]
    assert pyotp.TOTP(DEMO_TOTP_SECRET).verify(code, valid_window=1)


@pytest.mark.django_db
def test_totp_code_is_for_demo_accounts_in_debug_mode_only(settings, alice):
    from django.core.management.base import CommandError

    from partners.demo import DEMO_TOTP_SECRET
    from tests.factories import enrol_totp

    enrol_totp(alice)  # a secret that is not the demo one
    settings.DEBUG = True
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("totp_code", alice.email, stdout=StringIO())
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("totp_code", "nobody@example.org", stdout=StringIO())
    demo_person = alice.__class__.objects.create_user(email="demo@police.example.org")
    enrol_totp(demo_person, secret=DEMO_TOTP_SECRET)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("totp_code", demo_person.email, stdout=StringIO())
