from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as mfa_totp_forms
from django import forms
from django.contrib.auth import get_user_model, password_validation

from core.forms import GovukForm, GovukFormMixin

from .models import Invitation, Membership


class AcceptInvitationForm(GovukForm):
    full_name = forms.CharField(label="Your full name", max_length=150)
    password1 = forms.CharField(
        label="Create a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. Do not use a password you use anywhere else.",
        strip=False,
    )
    password2 = forms.CharField(
        label="Confirm your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error(
                "password2", "The passwords do not match. Enter the same password twice."
            )
        if first:
            # An unsaved user, so the similarity check compares against the name and e-mail.
            probe = get_user_model()(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(first, user=probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InvitationAdminForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "full_name", "organisation", "role"]

    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        help_text="Saving sends the person an e-mail with a single-use link to set their password. "
        "The link expires after the number of days in INVITATION_VALID_DAYS (7 by default).",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        email, organisation = cleaned.get("email"), cleaned.get("organisation")
        if email and organisation:
            if Membership.objects.filter(
                user__email__iexact=email, organisation=organisation
            ).exists():
                self.add_error("email", "This person is already a member of that organisation.")
            if not organisation.is_active:
                self.add_error("organisation", "This organisation is no longer active.")
        return cleaned


class LoginForm(GovukFormMixin, allauth_forms.LoginForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-mail address"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["login"].widget.attrs["autocomplete"] = "email"
        self.fields["login"].widget.attrs["spellcheck"] = "false"
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""


class ResetPasswordForm(GovukFormMixin, allauth_forms.ResetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"
        self.fields["email"].widget.attrs.pop("placeholder", None)


class ResetPasswordKeyForm(GovukFormMixin, allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)
            field.help_text = ""


class ChangePasswordForm(GovukFormMixin, allauth_forms.ChangePasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)
            field.help_text = ""


CODE_HINT = "The 6-digit code your authenticator app shows now, or one of your recovery codes."


def _code_field(form: Any, *, label: str, hint: str) -> None:
    field = form.fields["code"]
    field.label = label
    field.help_text = hint
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs.update(
        {
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
            "class": "govuk-input govuk-input--width-10",
        }
    )


class SecondFactorAuthenticateForm(GovukFormMixin, mfa_base_forms.AuthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self,
            label="Security code",
            hint=CODE_HINT,
        )


class SecondFactorReauthenticateForm(GovukFormMixin, mfa_base_forms.ReauthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self,
            label="Security code",
            hint=CODE_HINT,
        )


class ActivateTOTPForm(GovukFormMixin, mfa_totp_forms.ActivateTOTPForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self,
            label="Code from your authenticator app",
            hint="After adding the portal to the app, enter the 6-digit code it shows.",
        )


class ReauthenticateForm(GovukFormMixin, allauth_forms.ReauthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""
