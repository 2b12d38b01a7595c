from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from core.client_ip import client_ip


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Nobody signs themselves up: OPFCC staff invite people to an organisation."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # Sign-in rate limits key on the same address as the survey limit (TRUSTED_PROXY_COUNT).
        return client_ip(request)
