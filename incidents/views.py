"""Signed-in pages for shared incident data: datasets, records (scoped) and aggregates.

Every dataset fetch goes through incidents.access (404 for records a person may not see).
Every record-level list, detail and export is written to the audit trail.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core.exports import escape_formula

from . import access, selectors
from .forms import PeriodForm, RecordFilterForm
from .services import records_viewed_log

PAGE_SIZE = 50


@never_cache
def data_home(request: HttpRequest) -> HttpResponse:
    """Datasets the person can see, with their access level and agreement status."""
    rows = selectors.datasets_overview(request.user)
    return render(request, "incidents/home.html", {"rows": rows})


def _filter_form(request: HttpRequest, dataset: Any) -> RecordFilterForm:
    return RecordFilterForm(request.GET or None, months=selectors.dataset_months(dataset))


@never_cache
def record_list(request: HttpRequest, slug: str) -> HttpResponse:
    """One dataset's records, filtered, sorted and paginated (record-level access only)."""
    dataset = access.dataset_for_records_or_404(request.user, slug)
    form = _filter_form(request, dataset)
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.RecordFilters()
    records = selectors.records_for_list(dataset=dataset, filters=filters)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_priorities(list(page.object_list))
    records_viewed_log(
        actor=request.user,
        dataset=dataset,
        action="records.viewed",
        filters=filters.applied,
        count=page.paginator.count,
        page=page.number,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/record_list.html",
        {
            "dataset": dataset,
            "form": form,
            "filters": filters,
            "page_obj": page,
            "query": query.urlencode(),
            "coordinates": access.can_see_coordinates(request.user, dataset),
        },
    )


@never_cache
def record_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One record (record-level access only); coordinates only where the agreement allows."""
    dataset = access.dataset_for_records_or_404(request.user, slug)
    record = selectors.record_for_detail(dataset=dataset, pk=pk)
    records_viewed_log(
        actor=request.user,
        dataset=dataset,
        action="records.viewed",
        filters={"record": record.source_ref},
        count=1,
    )
    return render(
        request,
        "incidents/record_detail.html",
        {
            "dataset": dataset,
            "record": record,
            "coordinates": access.can_see_coordinates(request.user, dataset),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@never_cache
def record_export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The filtered records as CSV, formula-escaped and logged (record-level access only)."""
    dataset = access.dataset_for_records_or_404(request.user, slug)
    form = _filter_form(request, dataset)
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.RecordFilters()
    coordinates = access.can_see_coordinates(request.user, dataset)
    count = selectors.records_for_list(dataset=dataset, filters=filters).count()
    records_viewed_log(
        actor=request.user,
        dataset=dataset,
        action="records.exported",
        filters=filters.applied,
        count=count,
        coordinates=coordinates,
    )
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so that Excel reads the file as UTF-8
        for row in selectors.records_export_rows(
            dataset=dataset, filters=filters, coordinates=coordinates
        ):
            yield writer.writerow([escape_formula(value) for value in row])

    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.slug}-records-{stamp}.csv"'
    return response


@never_cache
def aggregates(request: HttpRequest, slug: str) -> HttpResponse:
    """Counts and rates for any dataset; suppressed for people without record-level access."""
    dataset = access.dataset_for_aggregates_or_404(request.user, slug)
    record_level = access.can_see_records(request.user, dataset)
    form = PeriodForm(request.GET or None, months=selectors.dataset_months(dataset))
    month_from, month_to = form.period() if form.is_bound and form.is_valid() else (None, None)
    result = selectors.aggregates_for_dataset(
        dataset=dataset, record_level=record_level, month_from=month_from, month_to=month_to
    )
    return render(
        request,
        "incidents/aggregates.html",
        {
            "dataset": dataset,
            "result": result,
            "record_level": record_level,
            "form": form,
            "period_applied": bool(month_from or month_to),
        },
    )
