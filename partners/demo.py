"""Demo data: the Northamptonshire partnership as the public pages describe it."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model

from .models import Membership, Organisation, Partnership

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed for local demo sign-in only
# Every demo account's authenticator-app secret (base32), printed beside the password. Published,
# so `manage.py totp_code` may print codes for accounts that use it, and only those.
DEMO_TOTP_SECRET = "NSVPPDEMOSECRETNOTFORREALUSE2345"  # noqa: S105 - local demo only

PARTNERSHIP = {
    "name": "Northamptonshire Serious Violence Prevention Partnership",
    "short_name": "NSVPP",
    "area_name": "Northamptonshire",
    "also_known_as": "Northamptonshire Serious Violence Alliance (NSVA)",
    "convenor": "Office of the Northamptonshire Police, Fire and Crime Commissioner",
    "contact_email": "nsvpp@example.org",
    "about": (
        "In 2023 the Northamptonshire Serious Violence Prevention Partnership (NSVPP) was created "
        "to reduce serious violence in Northamptonshire. Working in partnership, our goal is to "
        "prevent serious violence, because we know it is not inevitable but preventable.\n\n"
        "The Office of the Northamptonshire Police, Fire and Crime Commissioner used its convening "
        "powers to bring together Northamptonshire Police, Northamptonshire Fire and Rescue "
        "Service, the Probation Service, the Youth Offending Service at Northamptonshire "
        "Children's Trust, Northamptonshire Integrated Care Board, and North and West "
        "Northamptonshire Councils. We also involve education, prison and youth custody services, "
        "and voluntary and community groups."
    ),
}

# (name, short name, slug, kind, specified area, e-mail stem)
ORGANISATIONS: list[tuple[str, str, str, str, str, str]] = [
    ("Northamptonshire Police", "Police", "police", "police", "police", "police"),
    ("Northamptonshire Fire and Rescue Service", "Fire and Rescue", "fire", "fire", "fire", "fire"),
    (
        "Probation Service (Northamptonshire)",
        "Probation",
        "probation",
        "probation",
        "justice",
        "probation",
    ),
    (
        "Youth Offending Service at Northamptonshire Children's Trust",
        "Youth Offending Service",
        "yos",
        "youth_offending",
        "justice",
        "yos",
    ),
    ("Northamptonshire Integrated Care Board", "ICB", "icb", "health", "health", "icb"),
    (
        "North Northamptonshire Council",
        "North Northants Council",
        "nnc",
        "local_authority",
        "local_authorities",
        "nnc",
    ),
    (
        "West Northamptonshire Council",
        "West Northants Council",
        "wnc",
        "local_authority",
        "local_authorities",
        "wnc",
    ),
    (
        "Office of the Northamptonshire Police, Fire and Crime Commissioner",
        "OPFCC",
        "opfcc",
        "policing_body",
        "",
        "opfcc",
    ),
    (
        "Northamptonshire schools and colleges",
        "Education",
        "education",
        "education",
        "",
        "education",
    ),
    ("HMP Five Wells", "HMP Five Wells", "hmp-five-wells", "prison", "", "fivewells"),
]

STAFF_EMAIL = "staff@opfcc.example.org"


def _user(email: str, full_name: str, *, is_staff: bool = False) -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"full_name": full_name, "is_staff": is_staff, "is_superuser": is_staff},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def seed(*, stdout: Any) -> None:
    """Create the demo partnership, organisations and people if they are missing."""
    if not Partnership.objects.exists():
        Partnership.objects.create(**PARTNERSHIP)
    for name, short, slug, kind, area, stem in ORGANISATIONS:
        organisation, _ = Organisation.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "short_name": short, "kind": kind, "specified_area": area},
        )
        if kind in {"education", "prison", "policing_body"}:
            continue
        for role, label in (("analyst", "Analyst"), ("partner_lead", "Partner lead")):
            user = _user(f"{role.replace('_', '.')}@{stem}.example.org", f"{short} {label}")
            Membership.objects.get_or_create(
                user=user, organisation=organisation, defaults={"role": role}
            )
    opfcc = Organisation.objects.get(slug="opfcc")
    staff = _user(STAFF_EMAIL, "Priya Shah", is_staff=True)
    Membership.objects.get_or_create(
        user=staff, organisation=opfcc, defaults={"role": "partner_lead"}
    )
    stdout.write(
        "Demo sign-ins (password for all: "
        f"{DEMO_PASSWORD}):\n"
        f"  OPFCC staff (admin):   {STAFF_EMAIL}\n"
        "  Police analyst:        analyst@police.example.org\n"
        "  Police partner lead:   partner.lead@police.example.org\n"
        "  ICB analyst:           analyst@icb.example.org\n"
        "  (every partner has analyst@<partner>.example.org and "
        "partner.lead@<partner>.example.org)\n"
        "Every demo account has a second factor. Add this setup key to an authenticator app\n"
        f"(time-based, 6 digits): {DEMO_TOTP_SECRET}\n"
        "or print the current code with:\n"
        "  DJANGO_DEBUG=true .venv/bin/python manage.py totp_code <e-mail address>"
    )
