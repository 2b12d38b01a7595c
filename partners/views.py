from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from . import selectors, services
from .forms import AcceptInvitationForm


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
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("core:dashboard")
    return render(
        request, "partners/accept_invitation.html", {"form": form, "invitation": invitation}
    )
