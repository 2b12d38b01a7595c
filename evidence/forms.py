"""The evidence pages' shared choices as one GET form (works without JavaScript)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Max, Min

from core.forms import GovukForm
from incidents.models import Authority, CrimeCategory, Dataset, District, PriorityCrimeType

from .models import AlertSubscription, MonthlyCube
from .query import (
    DEFAULT_MONTHS,
    Area,
    Audience,
    EvidenceQuery,
    Subject,
    month_add,
    months_between,
)

SUBJECTS = [
    ("definition", "Serious violence (the partnership's local definition)"),
    ("priority", "One priority"),
    ("categories", "Crime categories"),
]


def _month(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return None


class EvidenceForm(GovukForm):
    """Subject, period, area and datasets; every page reads the same parameters."""

    subject = forms.ChoiceField(
        label="What to count", choices=SUBJECTS, required=False, widget=forms.RadioSelect
    )
    priority = forms.ChoiceField(label="Priority", required=False)
    category = forms.MultipleChoiceField(
        label="Crime categories",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used when you count crime categories.",
    )
    start = forms.ChoiceField(label="From month", required=False)
    end = forms.ChoiceField(label="To month", required=False)
    area = forms.ChoiceField(label="Area", required=False)
    dataset = forms.MultipleChoiceField(
        label="Datasets",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to use every dataset you may see.",
    )
    baseline_from = forms.ChoiceField(label="Baseline from", required=False)
    baseline_to = forms.ChoiceField(label="Baseline to", required=False)

    def __init__(self, *args: Any, audience: Audience, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audience = audience
        priorities = list(
            PriorityCrimeType.objects.filter(is_active=True).values_list("slug", "name")
        )
        self.fields["priority"].choices = [("", "Choose a priority")] + priorities
        self.fields["category"].choices = list(CrimeCategory.objects.values_list("slug", "name"))
        self.datasets = list(
            Dataset.objects.filter(pk__in=audience.visible_ids)
            .select_related("owner")
            .order_by("owner__name", "name")
        )
        self.fields["dataset"].choices = [
            (d.slug, f"{d.name} ({d.owner.short_name or d.owner.name})") for d in self.datasets
        ]
        areas: list[tuple[str, Any]] = [("partnership", "The whole partnership area")]
        authorities = list(Authority.objects.values_list("code", "name"))
        if authorities:
            areas.append(("Authorities", [(f"authority:{c}", n) for c, n in authorities]))
        districts = list(District.objects.values_list("code", "name"))
        if districts:
            areas.append(("Districts", [(f"district:{c}", n) for c, n in districts]))
        self.fields["area"].choices = areas
        bounds = MonthlyCube.objects.filter(dataset_id__in=audience.visible_ids).aggregate(
            first=Min("month"), last=Max("month")
        )
        today = dt.date.today().replace(day=1)
        self.last = bounds["last"] or month_add(today, -1)
        self.first = bounds["first"] or month_add(self.last, -(DEFAULT_MONTHS - 1))
        months = list(reversed(months_between(month_add(self.first, 0), self.last)))
        choices = [("", "Choose a month")] + [(f"{m:%Y-%m}", f"{m:%B %Y}") for m in months]
        for name in ("start", "end", "baseline_from", "baseline_to"):
            self.fields[name].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = _month(data.get("start") or ""), _month(data.get("end") or "")
        if start and end and start > end:
            self.add_error("end", "The last month must be the same as or after the first month.")
        if data.get("subject") == "priority" and not data.get("priority"):
            self.add_error("priority", "Choose a priority to count, or choose what to count.")
        if data.get("subject") == "categories" and not data.get("category"):
            self.add_error("category", "Tick at least one crime category.")
        b_from, b_to = (
            _month(data.get("baseline_from") or ""),
            _month(data.get("baseline_to") or ""),
        )
        if b_from and b_to and b_from >= b_to:
            self.add_error("baseline_to", "The baseline must cover at least two months.")
        return data

    def query(self) -> EvidenceQuery:
        """The query the form describes (defaults where a choice is missing or invalid)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = _month(data.get("end") or "") or self.last
        start = _month(data.get("start") or "") or max(
            self.first, month_add(end, -(DEFAULT_MONTHS - 1))
        )
        start = min(start, end)
        kind = data.get("subject") or "definition"
        subject = Subject(
            kind=kind,
            priority_slug=data.get("priority") or None,
            category_slugs=tuple(data.get("category") or ()),
        )
        area_value = data.get("area") or "partnership"
        level, _, code = area_value.partition(":")
        area = Area(level=level, code=code) if code else Area()
        slugs = set(data.get("dataset") or ())
        dataset_ids = tuple(d.pk for d in self.datasets if d.slug in slugs) if slugs else None
        b_from, b_to = (
            _month(data.get("baseline_from") or ""),
            _month(data.get("baseline_to") or ""),
        )
        return EvidenceQuery(
            subject=subject,
            start=start,
            end=end,
            area=area,
            dataset_ids=dataset_ids,
            baseline=(b_from, b_to) if b_from and b_to else None,
        )


class AlertSubscriptionForm(forms.ModelForm):
    class Meta:
        model = AlertSubscription
        fields = ["wants_digest"]
        labels = {"wants_digest": "Send me a daily e-mail of new exception alerts"}
