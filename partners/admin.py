from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from . import services
from .admin_second_factor import SecondFactorResetAdminMixin
from .forms import InvitationAdminForm
from .models import Invitation, Membership, Organisation, Partnership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "job_title")


@admin.register(User)
class UserAdmin(SecondFactorResetAdminMixin, BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_active", "memberships__organisation", "memberships__role")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "specified_area", "is_active")
    list_filter = ("kind", "specified_area", "is_active")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("short_name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "job_title", "created_at")
    list_filter = ("role", "organisation")
    search_fields = ("user__email", "user__full_name", "organisation__name")
    autocomplete_fields = ("user", "organisation")
    list_select_related = ("user", "organisation")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """OPFCC staff invite people here; saving sends the single-use link by e-mail."""

    form = InvitationAdminForm
    list_display = (
        "email",
        "organisation",
        "role",
        "status",
        "created_at",
        "expires_at",
        "invited_by",
    )
    list_filter = ("role", "organisation")
    search_fields = ("email", "full_name")
    list_select_related = ("organisation", "invited_by")
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An invitation is never edited: revoke it and send a new one.
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Invitation, form: Any, change: bool) -> None:
        try:
            invitation, _token = services.invitation_create(
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data.get("full_name", ""),
                organisation=form.cleaned_data["organisation"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as error:
            # Admin forms have validated by now; this is a race (e.g. membership just created).
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        obj.pk = invitation.pk
        self.message_user(
            request,
            f"Invitation sent to {invitation.email}. The link works once and expires on "
            f"{invitation.expires_at:%d %B %Y}.",
            messages.SUCCESS,
        )

    def message_user(
        self,
        request: HttpRequest,
        message: str,
        level: int = messages.INFO,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        # Suppress the admin's default "was added successfully" message; ours says more.
        if "was added successfully" in str(message):
            return
        super().message_user(request, message, level, *args, **kwargs)

    @admin.action(description="Withdraw selected invitations")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for invitation in queryset:
            services.invitation_revoke(invitation=invitation, actor=request.user)
        self.message_user(request, "The selected invitations can no longer be used.")


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "area_name", "convenor")
