"""Print the current second-factor code of a demo account (debug mode only).

Only for accounts whose authenticator secret is the published demo secret that seed_demo gives
them; a real person's secret never leaves the database.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo account (DJANGO_DEBUG=true only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="E-mail address of a demo account")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("totp_code works only with DJANGO_DEBUG=true (local development).")
        authenticator = Authenticator.objects.filter(
            user__email__iexact=email.strip(), type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None or decrypt(authenticator.data["secret"]) != DEMO_TOTP_SECRET:
            raise CommandError(
                f"{email} is not a demo account with the demo second factor (see seed_demo)."
            )
        period = mfa_settings.TOTP_PERIOD
        now = time.time()
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now) // period))
        left = period - int(now) % period
        self.stdout.write(f"{code}  (changes in {left} s)")
