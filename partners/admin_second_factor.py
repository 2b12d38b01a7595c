"""The user admin's "Reset second factor" action (kept apart from the user admin's fields)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import services


class SecondFactorResetAdminMixin:
    """Adds an audited action that removes the selected people's second factors."""

    actions = ["reset_second_factor"]

    @admin.action(
        description="Reset second factor (lost phone): they set up a new one at next sign-in",
        permissions=["change"],
    )
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> None:
        done, refused = [], []
        for user in queryset:
            try:
                services.second_factor_reset(user=user, actor=request.user)
            except PermissionDenied as error:
                refused.append(f"{user.email}: {error}")
            else:
                done.append(user.email)
        if done:
            self.message_user(  # type: ignore[attr-defined]
                request, f"Second factor reset for {', '.join(done)}.", messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)  # type: ignore[attr-defined]


# allauth registers its Authenticator model in the admin; a deletion there would skip the audit
# log, so authenticators are removed only by the action above.
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)
