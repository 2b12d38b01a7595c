"""The evidence pages: thin views over evidence.selectors, all reading the same GET choices.

Every signed-in partner (a member of a partner organisation, or partnership staff) may open
them; what each figure shows depends on the reader (exact for datasets whose records they may
see, disclosure-controlled otherwise). Every CSV download is written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from partners.selectors import user_memberships, user_roles

from . import selectors
from .charts import Chart
from .forms import EvidenceForm
from .query import Audience, EvidenceQuery, dataset_slugs
from .services import alert_subscription_set, table_exported_log
from .tables import Table

HOME_ROLES = {"analyst", "partner_lead"}
EVIDENCE_PAGES = [
    ("overview", "Overview"),
    ("trend", "Trend"),
    ("where", "Where"),
    ("when", "When"),
    ("who", "Who"),
    ("deprivation", "Deprivation"),
    ("police_health", "Police and health"),
    ("data_quality", "Data quality"),
    ("alerts", "Alerts"),
    ("methodology", "Methodology"),
]
METHODS_TEMPLATE = "evidence/methodology_methods.html"


def _partner_or_403(request: HttpRequest) -> Audience:
    """Partners and staff only: aggregates of shared data are for the partnership."""
    user = request.user
    if not (user.is_staff or user_memberships(user)):
        raise PermissionDenied("The evidence pages are for partner organisations' people.")
    return Audience.for_user(user)


def _choices(request: HttpRequest, audience: Audience) -> tuple[EvidenceForm, EvidenceQuery]:
    form = EvidenceForm(request.GET or None, audience=audience)
    return form, form.query()


def _render(
    request: HttpRequest,
    template: str,
    page: str,
    form: EvidenceForm,
    query: EvidenceQuery,
    **context: Any,
) -> HttpResponse:
    slugs = dataset_slugs()
    return render(
        request,
        template,
        {
            "form": form,
            "query": query,
            "page": page,
            "querystring": query.urlencode(dataset_slugs=slugs),
            "evidence_pages": EVIDENCE_PAGES,
            **context,
        },
    )


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in home: the overview for analysts and partner leads, else the dashboard."""
    if request.user.is_authenticated and user_roles(request.user) & HOME_ROLES:
        return redirect("evidence:overview")
    return redirect("core:dashboard")


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """Each priority for the chosen period: count, rate, changes, trend; and recent alerts."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_overview(query=query, audience=audience)
    return _render(request, "evidence/overview.html", "overview", form, query, result=result)


@require_safe
def trend(request: HttpRequest) -> HttpResponse:
    """Monthly trend, rolling mean, earlier years and a control chart."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_trend(query=query, audience=audience, baseline=query.baseline)
    return _render(request, "evidence/trend.html", "trend", form, query, result=result)


@require_safe
def where(request: HttpRequest) -> HttpResponse:
    """Rates by area with intervals, funnel plot, concentration, maps and locations."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_where(query=query, audience=audience)
    return _render(request, "evidence/where.html", "where", form, query, result=result)


@require_safe
def when(request: HttpRequest) -> HttpResponse:
    """Hour of day by weekday, weekday, month of year and the night-time window."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_when(query=query, audience=audience)
    return _render(request, "evidence/when.html", "when", form, query, result=result)


@require_safe
def who(request: HttpRequest) -> HttpResponse:
    """Victims and suspects by age band and sex."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_who(query=query, audience=audience)
    return _render(request, "evidence/who.html", "who", form, query, result=result)


@require_safe
def deprivation(request: HttpRequest) -> HttpResponse:
    """Rates by deprivation decile."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_deprivation(query=query, audience=audience)
    return _render(request, "evidence/deprivation.html", "deprivation", form, query, result=result)


@require_safe
def police_health(request: HttpRequest) -> HttpResponse:
    """Hospital assault attendances beside police-recorded violence."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_police_health(query=query, audience=audience)
    return _render(
        request, "evidence/police_health.html", "police_health", form, query, result=result
    )


@require_safe
def data_quality(request: HttpRequest) -> HttpResponse:
    """Each dataset's latest month, gaps, lag, completeness and expected uploads."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_data_quality(audience=audience, dataset_ids=query.dataset_ids)
    return _render(
        request, "evidence/data_quality.html", "data_quality", form, query, result=result
    )


@require_http_methods(["GET", "HEAD", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    """Exception alerts in the datasets the person may see, and their e-mail choice."""
    audience = _partner_or_403(request)
    if request.method == "POST":
        wants = request.POST.get("wants_digest") == "yes"
        alert_subscription_set(user=request.user, wants_digest=wants)
        messages.success(
            request,
            "You will get a daily e-mail of new alerts."
            if wants
            else "You will not get e-mails of new alerts.",
        )
        return redirect("evidence:alerts")
    form, query = _choices(request, audience)
    result = selectors.evidence_alerts(audience=audience, user=request.user)
    return _render(request, "evidence/alerts.html", "alerts", form, query, result=result)


@require_safe
def methodology(request: HttpRequest) -> HttpResponse:
    """Sources, periods, denominators and every method, in plain English."""
    audience = _partner_or_403(request)
    form, query = _choices(request, audience)
    result = selectors.evidence_methodology(audience=audience)
    try:
        methods = get_template(METHODS_TEMPLATE).template.name
    except TemplateDoesNotExist:
        methods = None  # the statistics module's plain-English methods are not installed
    return _render(
        request,
        "evidence/methodology.html",
        "methodology",
        form,
        query,
        result=result,
        methods=methods,
    )


PAGES: dict[str, Callable[[EvidenceQuery, Audience], Any]] = {
    "overview": lambda q, a: selectors.evidence_overview(query=q, audience=a),
    "trend": lambda q, a: selectors.evidence_trend(query=q, audience=a, baseline=q.baseline),
    "where": lambda q, a: selectors.evidence_where(query=q, audience=a),
    "when": lambda q, a: selectors.evidence_when(query=q, audience=a),
    "who": lambda q, a: selectors.evidence_who(query=q, audience=a),
    "deprivation": lambda q, a: selectors.evidence_deprivation(query=q, audience=a),
    "police_health": lambda q, a: selectors.evidence_police_health(query=q, audience=a),
    "data_quality": lambda q, a: selectors.evidence_data_quality(
        audience=a, dataset_ids=q.dataset_ids
    ),
}


def tables_of(result: Any) -> dict[str, Table]:
    """Every Table a page's result holds (directly, in charts, lists or dicts), by slug."""
    found: dict[str, Table] = {}

    def walk(value: Any) -> None:
        if isinstance(value, Table):
            if value.slug:
                found.setdefault(value.slug, value)
        elif isinstance(value, Chart):
            walk(value.table)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif is_dataclass(value) and not isinstance(value, type):
            for f in fields(value):
                walk(getattr(value, f.name))
        for name in ("table",):  # OverviewResult keeps its table as an attribute
            if isinstance(value, list) and hasattr(value, name):
                walk(getattr(value, name))

    walk(result)
    return found


@require_safe
def table_csv(request: HttpRequest, page: str, table: str) -> HttpResponse:
    """One table of a page as CSV, for the same choices and reader; logged."""
    audience = _partner_or_403(request)
    if page not in PAGES:
        raise Http404("No such page.")
    _form, query = _choices(request, audience)
    found = tables_of(PAGES[page](query, audience)).get(table)
    if found is None:
        raise Http404("No such table.")
    table_exported_log(actor=request.user, page=page, table=found, query=query)
    response = HttpResponse("\ufeff" + found.to_csv(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="evidence-{page}-{table}-{stamp}.csv"'
    return response
