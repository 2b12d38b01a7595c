"""Who saw what: the staff audit search (with CSV export) and each organisation's transparency
page (who from other organisations viewed or exported its datasets).

Here rather than in core because both filter by dataset and organisation (the audit trail itself,
core.models.AuditEvent, knows neither app).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.exports import escape_formula
from core.forms import GovukForm
from core.models import AuditEvent
from core.services import audit_record
from partners.models import Membership

from .models import Dataset

PAGE_SIZE = 50
AUDIT_PERMISSION = "core.view_auditevent"
# Events that are a person seeing or taking a dataset's record-level data (or a report of it).
SEEING = (
    Q(action__endswith=".viewed")
    | Q(action__endswith=".exported")
    | Q(action__endswith=".downloaded")
    | Q(action__endswith="_listed")
    | Q(action__endswith="_viewed")
)


class AuditSearchForm(GovukForm):
    """Who, what, dataset and period (GET)."""

    who = forms.CharField(
        label="Who", required=False, max_length=254, help_text="All or part of an e-mail address."
    )
    what = forms.CharField(
        label="What",
        required=False,
        max_length=64,
        help_text="All or part of an action, for example records.exported or user.changed.",
    )
    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.order_by("name"),
        required=False,
        empty_label="Any dataset",
        to_field_name="slug",
    )
    date_from = forms.DateField(
        label="From", required=False, help_text="For example, 2026-11-01.", widget=forms.DateInput
    )
    date_to = forms.DateField(
        label="To", required=False, help_text="For example, 2026-11-30.", widget=forms.DateInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The 'to' date must be the same as or after the 'from' date.")
        return data


@dataclass(frozen=True)
class AuditFilters:
    who: str = ""
    what: str = ""
    dataset: Dataset | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def applied(self) -> dict[str, str]:
        out = {"who": self.who, "what": self.what}
        out["dataset"] = self.dataset.slug if self.dataset else ""
        out["from"] = self.date_from.isoformat() if self.date_from else ""
        out["to"] = self.date_to.isoformat() if self.date_to else ""
        return {k: v for k, v in out.items() if v}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_search(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Audit events matching the filters, newest first."""
    events = AuditEvent.objects.all()
    if filters.who:
        events = events.filter(actor_email__icontains=filters.who)
    if filters.what:
        events = events.filter(action__icontains=filters.what)
    if filters.dataset is not None:
        events = events.filter(dataset_id=filters.dataset.pk)
    if filters.date_from:
        events = events.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    return events.order_by("-at", "-id")


def _dataset_names(events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.dataset_id for e in events if e.dataset_id}
    return dict(Dataset.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def _require_auditor(request: HttpRequest) -> None:
    if not request.user.has_perm(AUDIT_PERMISSION):
        raise PermissionDenied("Only the partnership team's auditors can search the audit log.")


def _filters_from(request: HttpRequest) -> tuple[AuditSearchForm, AuditFilters]:
    form = AuditSearchForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, AuditFilters(
            who=data["who"].strip(),
            what=data["what"].strip(),
            dataset=data["dataset"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    return form, AuditFilters()


@never_cache
@require_safe
def audit_search(request: HttpRequest) -> HttpResponse:
    """Staff search the audit log by who, what, dataset and period (needs the audit permission)."""
    _require_auditor(request)
    form, filters = _filters_from(request)
    page = Paginator(audit_events_search(filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    events = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/audit_search.html",
        {
            "form": form,
            "filters": filters,
            "page_obj": page,
            "events": events,
            "datasets": _dataset_names(events),
            "query": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


AUDIT_CSV_HEADER = ["at", "who", "action", "object_type", "object_id", "dataset", "summary"]


@never_cache
@require_safe
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The matching audit events as CSV, formula-escaped; the export is itself audited."""
    _require_auditor(request)
    _form, filters = _filters_from(request)
    events = audit_events_search(filters=filters)
    audit_record(
        actor=request.user,
        action="audit.exported",
        summary=f"Exported {events.count()} audit events",
        detail={"filters": filters.applied},
    )
    names = dict(Dataset.objects.values_list("pk", "slug"))
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        yield writer.writerow(AUDIT_CSV_HEADER)
        rows = events.values_list(
            "at", "actor_email", "action", "object_type", "object_id", "dataset_id", "summary"
        )
        for at, who, action, otype, oid, dataset_id, summary in rows.iterator(chunk_size=2000):
            row = [at.isoformat(), who or "system", action, otype, oid]
            row += [names.get(dataset_id, dataset_id or ""), summary]
            yield writer.writerow([escape_formula(value) for value in row])

    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def transparency_events(*, organisation_id: int) -> QuerySet[AuditEvent]:
    """Views and exports of the organisation's datasets by people who are not its members."""
    own = Dataset.objects.filter(owner_id=organisation_id).values("pk")
    members = Membership.objects.filter(organisation_id=organisation_id).values("user_id")
    return (
        AuditEvent.objects.filter(SEEING, dataset_id__in=own)
        .exclude(actor_id__in=members)
        .order_by("-at", "-id")
    )


@never_cache
@require_safe
def transparency(request: HttpRequest) -> HttpResponse:
    """A partner lead sees who from other organisations viewed or exported their datasets."""
    lead_of = [
        m.organisation
        for m in Membership.objects.filter(user=request.user, role=Membership.Role.PARTNER_LEAD)
        .select_related("organisation")
        .order_by("organisation__name")
    ]
    if not lead_of:
        raise PermissionDenied("Only an organisation's partner lead can see this page.")
    chosen = next((o for o in lead_of if o.slug == request.GET.get("organisation")), lead_of[0])
    page = Paginator(transparency_events(organisation_id=chosen.pk), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    events = list(page.object_list)
    actors = {e.actor_id for e in events if e.actor_id}
    organisations: dict[int, list[str]] = {}
    for user_id, name in Membership.objects.filter(user_id__in=actors).values_list(
        "user_id", "organisation__short_name"
    ):
        organisations.setdefault(user_id, []).append(name)
    rows = [
        {
            "event": e,
            "organisations": ", ".join(sorted(organisations.get(e.actor_id, []))) or "None",
        }
        for e in events
    ]
    return render(
        request,
        "incidents/transparency.html",
        {
            "organisation": chosen,
            "lead_of": lead_of,
            "page_obj": page,
            "rows": rows,
            "datasets": _dataset_names(events),
            "query": f"organisation={chosen.slug}",
        },
    )
