from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from . import selectors, services
from .forms import AcceptInvitationForm
from .models import Invitation
from .second_factor import session_second_factor_refresh


@login_not_required
@require_safe
def who_we_are(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "partners/who_we_are.html",
        {
            "areas": selectors.organisations_by_specified_area(),
            "other_partners": selectors.organisations_other_partners(),
        },
    )


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    # Any signed-in partner may see who is in the partnership and how to reach them.
    return render(
        request,
        "partners/directory.html",
        {"organisations": selectors.organisations_for_directory()},
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_for_token(token)
    problem = services.invitation_problem(invitation)
    if problem:
        return render(
            request, "partners/invitation_unusable.html", {"problem": problem}, status=410
        )
    assert invitation is not None
    existing = selectors.invitation_existing_account(invitation)
    if existing is not None:
        return _accept_invitation_existing(
            request, token=token, invitation=invitation, user=existing
        )
    form = AcceptInvitationForm(
        request.POST or None, email=invitation.email, initial={"full_name": invitation.full_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as error:
            return render(
                request,
                "partners/invitation_unusable.html",
                {"problem": error.messages[0]},
                status=410,
            )
        # They chose the password just now: recorded as allauth records a password sign-in, so
        # setting up a second factor (if their role needs one) does not ask for it again.
        record_authentication(request, user, method="password", email=user.email)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("core:dashboard")
    return render(
        request, "partners/accept_invitation.html", {"form": form, "invitation": invitation}
    )


def _accept_invitation_existing(
    request: HttpRequest, *, token: str, invitation: Invitation, user: Any
) -> HttpResponse:
    """An invitation for an account that exists: sign in as it (password and second factor)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("account_login"))
    if request.user.pk != user.pk:
        problem = (
            f"This invitation is for {invitation.email}, and you are signed in as "
            f"{request.user.email}. Sign out, then open the link again and sign in as "
            f"{invitation.email}."
        )
        return render(
            request, "partners/invitation_unusable.html", {"problem": problem}, status=403
        )
    if request.method == "POST":
        try:
            services.invitation_accept_existing(token=token, user=request.user)
        except ValidationError as error:
            return render(
                request,
                "partners/invitation_unusable.html",
                {"problem": error.messages[0]},
                status=410,
            )
        # The new membership may give record-level access, which needs a second factor.
        session_second_factor_refresh(request)
        messages.success(request, f"You have joined {invitation.organisation.name}.")
        return redirect("core:dashboard")
    return render(request, "partners/accept_invitation_existing.html", {"invitation": invitation})
