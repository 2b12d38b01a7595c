from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from .second_factor import second_factor_required


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Nobody signs themselves up: OPFCC staff invite people to an organisation."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False


class PortalMFAAdapter(DefaultMFAAdapter):
    """Second factors: a person who must have one cannot switch off their authenticator app.

    Staff reset a lost one from the admin instead (partners.services.second_factor_reset).
    """

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "You cannot turn off your authenticator app: your role needs a second factor. If "
            "you have lost your phone, ask the partnership team to reset your second factor."
        ),
        "incorrect_code": "The code is not right. Enter the code your app shows now.",
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type != Authenticator.Type.TOTP:
            return True
        return not second_factor_required(authenticator.user)

    def get_totp_label(self, user: Any) -> str:
        return user.email
