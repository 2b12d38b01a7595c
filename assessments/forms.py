"""Forms for SNA editions (staff). They validate; the services save."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms

from core.forms import GovukForm
from incidents.models import Authority, Dataset
from partners.models import Organisation
from strategy.models import LocalDefinition

from .models import Audience, Chapter, Edition, Recommendation

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(value: str) -> datetime.date | None:
    """'2018-04' → 1 April 2018; None when it is not a real month."""
    match = MONTH_RE.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return datetime.date(year, month, 1)


class MonthField(forms.Field):
    """A month typed as YYYY-MM (one text box: works without JavaScript or browser support)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"class": "govuk-input--width-5", "spellcheck": "false"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        text = str(value or "").strip()
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(
                "Enter the month as year and month, for example 2018-04", code="invalid"
            )
        return month

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m}"
        return value


class EditionForm(GovukForm):
    title = forms.CharField(
        max_length=200,
        help_text="For example: Serious Violence Strategic Needs Assessment 2025",
        error_messages={"required": "Enter a title"},
    )
    edition_label = forms.CharField(
        label="Edition",
        max_length=60,
        help_text="Shown in every page's header, for example 2023 edition",
        error_messages={"required": "Enter the edition, for example 2023 edition"},
    )
    period_start = MonthField(
        label="First month covered",
        help_text="Year and month, for example 2018-04",
        error_messages={"required": "Enter the first month covered"},
    )
    period_end = MonthField(
        label="Last month covered",
        help_text="Year and month, for example 2023-03",
        error_messages={"required": "Enter the last month covered"},
    )
    area = forms.ChoiceField(
        label="Area",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the area the edition covers"},
    )
    audience = forms.ChoiceField(
        label="Audience",
        choices=Audience.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the audience"},
    )
    definition = forms.ModelChoiceField(
        label="Local definition version",
        queryset=LocalDefinition.objects.none(),
        required=False,
        empty_label="None",
    )
    datasets = forms.ModelMultipleChoiceField(
        label="Datasets included",
        queryset=Dataset.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one dataset"},
    )
    shared_with = forms.ModelMultipleChoiceField(
        label="Named partners (restricted editions)",
        help_text="People in these organisations may download a restricted edition.",
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    executive_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text="Plain paragraphs; leave a blank line between paragraphs.",
    )
    key_findings = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="One finding per paragraph.",
    )
    data_gaps = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        authorities = Authority.objects.order_by("name")
        self.fields["area"].choices = [("partnership", "The whole partnership")] + [
            (a.code, a.name) for a in authorities
        ]
        self.fields["definition"].queryset = LocalDefinition.objects.select_related(
            "strategy"
        ).order_by("-agreed_on", "-version")
        self.fields["definition"].label_from_instance = lambda d: (
            f"{d.strategy.title}: version {d.version}, agreed {d.agreed_on:%-d %B %Y}"
        )
        self.fields["datasets"].queryset = Dataset.objects.select_related("owner").order_by("name")
        self.fields["shared_with"].queryset = Organisation.objects.filter(is_active=True).order_by(
            "name"
        )
        self.fields["area"].error_messages["invalid_choice"] = "Select an area from the list"
        # core.forms picks the radios template for CheckboxSelectMultiple too (it subclasses
        # RadioSelect), which would let a person choose only one dataset.
        for name in ("datasets", "shared_with"):
            self.fields[name].widget.template_name = "govuk/widgets/checkboxes.html"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The last month must be the same as or after the first")
        return data

    def service_data(self) -> dict[str, Any]:
        """What the services take: the area split into level and authority."""
        data = dict(self.cleaned_data)
        area = data.pop("area")
        if area == "partnership":
            data["area_level"], data["authority"] = "partnership", None
        else:
            data["area_level"] = "authority"
            data["authority"] = Authority.objects.get(code=area)
        return data

    @staticmethod
    def initial_from(edition: Edition) -> dict[str, Any]:
        return {
            "title": edition.title,
            "edition_label": edition.edition_label,
            "period_start": edition.period_start,
            "period_end": edition.period_end,
            "area": edition.authority.code if edition.authority_id else "partnership",
            "audience": edition.audience,
            "definition": edition.definition_id,
            "datasets": [d.pk for d in edition.datasets.all()],
            "shared_with": [o.pk for o in edition.shared_with.all()],
            "executive_summary": edition.executive_summary,
            "key_findings": edition.key_findings,
            "data_gaps": edition.data_gaps,
        }


class RecommendationForm(GovukForm):
    chapter = forms.ChoiceField(
        label="Chapter", choices=Chapter.choices, error_messages={"required": "Select a chapter"}
    )
    text = forms.CharField(
        label="Recommendation",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter the recommendation"},
    )
    status = forms.ChoiceField(
        label="Status",
        choices=Recommendation.Status.choices,
        widget=forms.RadioSelect,
        initial=Recommendation.Status.NEW,
        error_messages={"required": "Select a status"},
    )
    note = forms.CharField(
        label="What became of it",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="For a recommendation carried forward: what was done, or why it was dropped.",
    )
