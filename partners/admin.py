from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from . import services
from .admin_second_factor import SecondFactorResetAdminMixin
from .forms import InvitationAdminForm
from .models import Invitation, Membership, Organisation, Partnership, User

# Only a superuser may grant these: they open the admin or widen what a person may change there.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def privilege_refuse_unless_superuser(*, request: HttpRequest, user: User) -> None:
    """Refuse (403) a save by a non-superuser that would give ``user`` staff or superuser status.

    Read-only fields already keep these out of the form; this is the server-side refusal that
    holds whatever the browser sends (and for a new user, whatever the form's defaults are).
    """
    if request.user.is_superuser:
        return
    before = User.objects.filter(pk=user.pk).values("is_staff", "is_superuser").first() or {
        "is_staff": False,
        "is_superuser": False,
    }
    if (user.is_staff and not before["is_staff"]) or (
        user.is_superuser and not before["is_superuser"]
    ):
        raise PermissionDenied("Only a superuser may make someone staff or a superuser.")


def membership_refuse_own(*, request: HttpRequest, membership: Membership) -> None:
    """Refuse (403) a non-superuser adding or changing their own membership: a membership can
    give record-level access, so nobody widens their own through the admin."""
    if not request.user.is_superuser and membership.user_id == request.user.pk:
        raise PermissionDenied("You cannot change your own memberships; ask a superuser.")


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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        # A new e-mail address (then a password reset) would hand the account to someone else.
        return fields + PRIVILEGE_FIELDS + (("email",) if obj is not None else ())

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # People set their own passwords (invitation, reset by e-mail); staff setting one could
        # sign in as a partner with record-level access.
        if not request.user.is_superuser:
            raise PermissionDenied("Only a superuser may set someone's password.")
        return super().user_change_password(request, id, form_url)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A staff or superuser account is changed only by a superuser: otherwise a staff member
        # could take it over (new e-mail, new password) and act with its groups.
        if obj is not None and not request.user.is_superuser and (obj.is_staff or obj.is_superuser):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not request.user.is_superuser and (obj.is_staff or obj.is_superuser):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        privilege_refuse_unless_superuser(request=request, user=obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Groups and permissions are saved here (many-to-many), after save_model.
        if not request.user.is_superuser and any(
            name in form.changed_data for name in ("groups", "user_permissions")
        ):
            raise PermissionDenied("Only a superuser may change groups or permissions.")
        super().save_related(request, form, formsets, change)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "specified_area", "is_active")
    list_filter = ("kind", "specified_area", "is_active")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("short_name",)}
    inlines = [MembershipInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for inline_form in formset.forms:
            if inline_form.has_changed() and isinstance(inline_form.instance, Membership):
                membership_refuse_own(request=request, membership=inline_form.instance)
        super().save_formset(request, form, formset, change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "job_title", "created_at")
    list_filter = ("role", "organisation")
    search_fields = ("user__email", "user__full_name", "organisation__name")
    autocomplete_fields = ("user", "organisation")
    list_select_related = ("user", "organisation")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        membership_refuse_own(request=request, membership=obj)
        super().save_model(request, obj, form, change)


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
