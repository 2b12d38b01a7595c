"""Delivery-plan screens for partners, and the public "Our strategy" page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import selectors, services
from .forms import ConsultationFilterForm, PlanFilterForm, ProgressUpdateForm
from .models import Strategy


def _strategy_or_404() -> Strategy:
    strategy = selectors.strategy_current()
    if strategy is None:
        raise Http404("No strategy has been set up yet.")
    return strategy


@require_safe
def plan(request: HttpRequest) -> HttpResponse:
    """The delivery plan: every signed-in partner may read it."""
    strategy = selectors.strategy_current()
    if strategy is None:
        return render(request, "strategy/no_strategy.html")
    form = PlanFilterForm(
        request.GET or None, choices=selectors.plan_filter_choices(strategy=strategy)
    )
    filters = form.filters()
    actions = selectors.actions_for_plan(strategy=strategy, filters=filters)
    return render(
        request,
        "strategy/plan.html",
        {
            "strategy": strategy,
            "form": form,
            "filters": filters,
            "actions": actions,
            "summary": selectors.plan_summary(actions=actions),
            "query": request.GET.urlencode(),
        },
    )


@require_safe
def plan_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The (filtered) delivery plan as CSV or XLSX; every signed-in partner may export it."""
    strategy = _strategy_or_404()
    if file_format not in services.EXPORT_FORMATS:
        raise Http404("Unknown export format.")
    form = PlanFilterForm(
        request.GET or None, choices=selectors.plan_filter_choices(strategy=strategy)
    )
    actions = selectors.actions_for_plan(strategy=strategy, filters=form.filters())
    content, content_type, filename = services.plan_export(
        actor=request.user, strategy=strategy, actions=actions, file_format=file_format
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An action and its timeline; every signed-in partner may read it."""
    action = selectors.action_get(pk=pk)
    return render(
        request,
        "strategy/action_detail.html",
        {
            "action": action,
            "timeline": selectors.action_timeline(action=action),
            "can_update": selectors.user_can_update_action(request.user, action),
            "can_see_evidence": selectors.user_can_see_evidence(request.user, action),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner lead of the lead organisation (or OPFCC staff) posts a progress update."""
    action = selectors.action_get(pk=pk)
    if not selectors.user_can_update_action(request.user, action):
        raise PermissionDenied("Only a partner lead of the lead organisation may update it.")
    form = ProgressUpdateForm(
        request.POST or None, request.FILES or None, initial={"status": action.status}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_update_create(
                action=action,
                actor=request.user,
                status=form.cleaned_data["status"],
                narrative=form.cleaned_data["narrative"],
                evidence=form.cleaned_data.get("evidence"),
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, f"Your update on “{action.title}” has been saved.")
            return redirect("strategy:action", pk=action.pk)
    return render(request, "strategy/action_update.html", {"action": action, "form": form})


@never_cache
@require_safe
def update_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """Stream an update's evidence file to those who may see it (see the selector)."""
    update = selectors.progress_update_get(pk=pk)
    if not update.evidence:
        raise Http404("This update has no evidence file.")
    if not selectors.user_can_see_evidence(request.user, update.action):
        raise PermissionDenied("Evidence stays with the organisations delivering the action.")
    return FileResponse(
        update.evidence.open("rb"),
        as_attachment=True,
        filename=update.evidence_name or "evidence",
    )


@login_not_required
@require_safe
def public(request: HttpRequest) -> HttpResponse:
    """Our strategy, for residents: published content only."""
    strategy = selectors.strategy_published()
    context: dict[str, object] = {"strategy": strategy}
    if strategy is not None:
        context.update(selectors.strategy_public_content(strategy=strategy))
    return render(request, "strategy/public.html", context)


@require_safe
def measures(request: HttpRequest) -> HttpResponse:
    """Outcome measures with their latest values and trends; every signed-in partner may read."""
    return render(
        request,
        "strategy/measures.html",
        {"measures": selectors.measures_overview(user=request.user)},
    )


@require_safe
def measure_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One measure: definition, values over time as a table and a chart, and how it is fed."""
    view = selectors.measure_get(slug=slug, user=request.user)
    query = getattr(view.measure, "incident_query", None)
    return render(
        request,
        "strategy/measure_detail.html",
        {
            "view": view,
            "measure": view.measure,
            "query": query,
            "query_rows": selectors.measure_query_description(query) if query else [],
            "can_refresh": selectors.user_can_refresh_measures(request.user) and query is not None,
        },
    )


@require_POST
def measure_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    """OPFCC staff ask for a measure to be recomputed from incident data (in the background)."""
    if not selectors.user_can_refresh_measures(request.user):
        raise PermissionDenied("Only the partnership team can refresh a measure.")
    view = selectors.measure_get(slug=slug, user=request.user)
    try:
        services.measure_refresh_queue(measure=view.measure, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"“{view.measure.name}” is being refreshed from incident data. "
            "Reload this page in a minute to see the new values.",
        )
    return redirect("strategy:measure", slug=view.measure.slug)


@require_safe
def reviews(request: HttpRequest) -> HttpResponse:
    """Annual reviews of the strategy, newest first; every signed-in partner may read them."""
    return render(request, "strategy/reviews.html", {"reviews": selectors.reviews_list()})


@require_safe
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One annual review: findings and changes made."""
    return render(request, "strategy/review_detail.html", {"review": selectors.review_get(pk=pk)})


@require_safe
def consultations(request: HttpRequest) -> HttpResponse:
    """The consultation register, optionally one kind of consultee."""
    form = ConsultationFilterForm(request.GET or None)
    return render(
        request,
        "strategy/consultations.html",
        {"form": form, "consultations": selectors.consultations_list(kind=form.chosen_kind())},
    )


@require_safe
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One consultation: who, when, how, and their response."""
    return render(
        request,
        "strategy/consultation_detail.html",
        {"consultation": selectors.consultation_get(pk=pk)},
    )
