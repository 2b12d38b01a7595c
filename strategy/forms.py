"""Forms for the delivery plan: the filters and a partner lead's progress update."""

from __future__ import annotations

from typing import Any

from django import forms

from core.forms import GovukForm

from .models import ActionStatus, Consultation
from .selectors import PlanFilters
from .services import EVIDENCE_EXTENSIONS, evidence_problem


class PlanFilterForm(GovukForm):
    """GET filters for the delivery plan; bad values are reported, never guessed."""

    theme = forms.ModelChoiceField(queryset=None, required=False, empty_label="All themes")
    priority = forms.ModelChoiceField(queryset=None, required=False, empty_label="All priorities")
    status = forms.ChoiceField(choices=[("", "Any status"), *ActionStatus.choices], required=False)
    lead_organisation = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All organisations",
        label="Lead organisation",
    )
    overdue = forms.BooleanField(required=False, label="Only overdue actions")

    def __init__(self, *args: Any, choices: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = choices["themes"]
        self.fields["priority"].queryset = choices["priorities"]
        self.fields["lead_organisation"].queryset = choices["organisations"]
        messages = {
            "theme": "Select a theme from the list",
            "priority": "Select a priority from the list",
            "lead_organisation": "Select a lead organisation from the list",
            "status": "Select a status from the list",
        }
        for name, message in messages.items():
            self.fields[name].error_messages["invalid_choice"] = message

    def filters(self) -> PlanFilters:
        """The chosen filters (none when the form is invalid)."""
        if not self.is_valid():
            return PlanFilters()
        data = self.cleaned_data
        return PlanFilters(
            theme_id=data["theme"].pk if data["theme"] else None,
            priority_id=data["priority"].pk if data["priority"] else None,
            status=data["status"],
            lead_organisation_id=(
                data["lead_organisation"].pk if data["lead_organisation"] else None
            ),
            overdue=data["overdue"],
        )


class ProgressUpdateForm(GovukForm):
    """What a partner lead reports: the status now, what happened, and optional evidence."""

    status = forms.ChoiceField(
        choices=ActionStatus.choices,
        widget=forms.RadioSelect,
        label="How is the action going?",
        error_messages={
            "required": "Select how the action is going",
            "invalid_choice": "Select how the action is going from the list",
        },
    )
    narrative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="What has happened since the last update?",
        help_text="Say what was done, what changed and any risks. Do not name people.",
        max_length=5000,
        error_messages={
            "required": "Enter what has happened since the last update",
            "max_length": "What has happened must be 5,000 characters or fewer",
        },
    )
    evidence = forms.FileField(
        required=False,
        label="Evidence file",
        help_text="For example a report or minutes: "
        + ", ".join(sorted(e.lstrip(".").upper() for e in EVIDENCE_EXTENSIONS))
        + ", up to 10 MB.",
    )

    def clean_narrative(self) -> str:
        narrative = self.cleaned_data["narrative"].strip()
        if not narrative:
            raise forms.ValidationError("Enter what has happened since the last update")
        return narrative

    def clean_evidence(self) -> Any:
        evidence = self.cleaned_data.get("evidence")
        problem = evidence_problem(evidence)
        if problem:
            raise forms.ValidationError(problem)
        return evidence


class ConsultationFilterForm(GovukForm):
    """GET filter for the consultation register."""

    kind = forms.ChoiceField(
        choices=[("", "All consultees"), *Consultation.ConsulteeKind.choices],
        required=False,
        label="Who was consulted",
        error_messages={"invalid_choice": "Select who was consulted from the list"},
    )

    def chosen_kind(self) -> str:
        """The chosen kind of consultee ('' for all, or when the form is invalid)."""
        return self.cleaned_data["kind"] if self.is_valid() else ""
