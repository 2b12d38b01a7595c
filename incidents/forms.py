"""Forms of the incidents app: GET filters for record lists (they work without JavaScript)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from core.forms import GovukForm

from .models import CrimeCategory, District, Lsoa, PriorityCrimeType
from .selectors import SORTS, RecordFilters


class RecordFilterForm(GovukForm):
    """Filter and sort one dataset's records: months, category, priority, district, LSOA."""

    month_from = forms.ChoiceField(label="From month", required=False)
    month_to = forms.ChoiceField(label="To month", required=False)
    category = forms.ModelChoiceField(
        queryset=CrimeCategory.objects.all(), required=False, empty_label="All categories"
    )
    priority = forms.ModelChoiceField(
        queryset=PriorityCrimeType.objects.filter(is_active=True),
        required=False,
        empty_label="All priorities",
        to_field_name="slug",
    )
    district = forms.ModelChoiceField(
        # Only the partnership's districts: the national lookup loads every district in England
        # and Wales (as outside the area).
        queryset=District.objects.filter(lsoas__in_area=True).distinct(),
        required=False,
        empty_label="All districts",
        to_field_name="code",
    )
    lsoa = forms.CharField(
        label="LSOA code",
        required=False,
        max_length=9,
        help_text="For example, E01000001.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    sort = forms.ChoiceField(
        label="Sort by", required=False, choices=[(k, v[0]) for k, v in SORTS.items()]
    )

    def __init__(self, *args: Any, months: list[dt.date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Any month")] + [(f"{m:%Y-%m}", f"{m:%B %Y}") for m in months]
        self.fields["month_from"].choices = choices
        self.fields["month_to"].choices = choices

    def clean_lsoa(self) -> Lsoa | None:
        code = self.cleaned_data["lsoa"].strip().upper()
        if not code:
            return None
        lsoa = Lsoa.objects.filter(code=code).first()
        if lsoa is None:
            raise forms.ValidationError(f"There is no LSOA with the code {code}.")
        return lsoa

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("month_from"), data.get("month_to")
        if start and end and start > end:
            self.add_error(
                "month_to", "The 'to' month must be the same as or after the 'from' month."
            )
        return data

    def filters(self) -> RecordFilters:
        """The valid filters (call after is_valid)."""
        data = self.cleaned_data

        def month(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(f"{value}-01") if value else None

        applied = {
            name: str(self.data.get(name))
            for name in ("month_from", "month_to", "category", "priority", "district", "lsoa")
            if data.get(name)
        }
        return RecordFilters(
            month_from=month(data.get("month_from")),
            month_to=month(data.get("month_to")),
            category=data.get("category"),
            priority=data.get("priority"),
            district=data.get("district"),
            lsoa=data.get("lsoa"),
            sort=data.get("sort") or "newest",
            applied=applied,
        )


class PeriodForm(GovukForm):
    """Limit the aggregates to a range of months (GET; works without JavaScript)."""

    month_from = forms.ChoiceField(label="From month", required=False)
    month_to = forms.ChoiceField(label="To month", required=False)

    def __init__(self, *args: Any, months: list[dt.date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Any month")] + [(f"{m:%Y-%m}", f"{m:%B %Y}") for m in months]
        self.fields["month_from"].choices = choices
        self.fields["month_to"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("month_from"), data.get("month_to")
        if start and end and start > end:
            self.add_error(
                "month_to", "The 'to' month must be the same as or after the 'from' month."
            )
        return data

    def period(self) -> tuple[dt.date | None, dt.date | None]:
        """(first month, last month), either may be None; call after is_valid."""

        def month(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(f"{value}-01") if value else None

        return month(self.cleaned_data.get("month_from")), month(self.cleaned_data.get("month_to"))
