"""Survey pages: the public resident journey, events, and results for signed-in partners.

Residents' progress lives in the session (answers, completed pages, the start time) and is
cleared when they submit. Nothing about the request (address, browser) is passed to a service.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.per_process import reverse_cached

from . import protection, selectors, services
from .forms import HONEYPOT, ContactConsentForm, PageAnswersForm, ThemeTagForm
from .models import Answer, Question, Survey
from .routing import Structure

# -- helpers ----------------------------------------------------------------------------------


def _progress_key(survey: Survey) -> str:
    return f"survey-{survey.pk}"


def _progress(request: HttpRequest, survey: Survey) -> dict[str, Any]:
    progress = request.session.get(_progress_key(survey))
    if not isinstance(progress, dict):
        progress = {"a": {}, "done": [], "t": None}
    return progress


def _save_progress(request: HttpRequest, survey: Survey, progress: dict[str, Any]) -> None:
    request.session[_progress_key(survey)] = progress


def _is_preview(request: HttpRequest, survey: Survey) -> bool:
    return bool(
        selectors.user_can_manage_surveys(request.user)
        and request.session.get(f"survey-preview-{survey.pk}")
    )


def _structure_or_404(slug: str) -> Structure:
    structure = selectors.survey_structure(slug)
    if structure is None:
        raise Http404("No such survey")
    return structure


def _not_open(request: HttpRequest, structure: Structure) -> HttpResponse | None:
    """The page to show instead of the journey when the survey is not open (None when open)."""
    survey = structure.survey
    if _is_preview(request, survey):
        return None
    status = survey.status()
    if status == "open":
        return None
    if status == "draft":
        return render(request, "surveys/unavailable.html", {"survey": survey}, status=404)
    # Answers sent after closing (or before opening) are refused, not stored.
    code = 410 if request.method == "POST" else 200
    if status == "forthcoming":
        code = 403 if request.method == "POST" else 200
    context = {
        "survey": survey,
        "status": status,
        "outcome_results": selectors.public_outcome_results(structure)
        if status == "closed" and survey.outcome_published
        else [],
    }
    return render(request, "surveys/not_open.html", context, status=code)


def _after_questions(structure: Structure, progress: dict[str, Any]) -> str:
    survey = structure.survey
    if survey.asks_for_contact and "contact" not in progress:
        return reverse_cached("surveys:contact", survey.slug)
    return reverse_cached("surveys:check", survey.slug)


def _next_needed(structure: Structure, progress: dict[str, Any]) -> str:
    """Where a resident must go next to finish: an incomplete page, contact, or check answers."""
    page = structure.first_incomplete_page(progress["a"], set(progress["done"]))
    if page is not None:
        return reverse_cached("surveys:question", structure.survey.slug, page.position)
    return _after_questions(structure, progress)


def _last_pagereverse_cached(structure: Structure, progress: dict[str, Any]) -> str:
    visible = structure.visible_pages(progress["a"])
    if not visible:
        return reverse_cached("surveys:start", structure.survey.slug)
    return reverse_cached("surveys:question", structure.survey.slug, visible[-1].position)


def _digest(progress: dict[str, Any], structure: Structure) -> str:
    payload = json.dumps(
        {"a": structure.answers_to_keep(progress["a"]), "c": progress.get("contact")},
        sort_keys=True,
        default=str,
    )
    return hmac.new(settings.SECRET_KEY.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _summary(structure: Structure, progress: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for 'check your answers': each visible question with its answer as text."""
    answers = progress["a"]
    rows: list[dict[str, Any]] = []
    for page in structure.visible_pages(answers):
        for question in structure.visible_questions(page, answers):
            value = answers.get(question.key)
            rows.append(
                {
                    "question": question,
                    "lines": _answer_lines(question, value, answers.get(f"{question.key}-other")),
                    "change_url": reverse_cached(
                        "surveys:question", structure.survey.slug, page.position
                    )
                    + "?change=1",
                }
            )
    return rows


def _answer_lines(question: Question, value: Any, other: str | None) -> list[str]:
    if value in (None, "", []):
        return ["Not answered"]
    if question.is_choice:
        labels = {c.value: c.label for c in question.choices.all()}
        lines = []
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"Other: {other}" if item == "other" else labels.get(item, item))
        return lines
    if question.kind == Question.Kind.DATE:
        parsed = datetime.strptime(value, "%Y-%m-%d").date()
        return [f"{parsed.day} {parsed:%B %Y}"]
    if question.kind == Question.Kind.MONTH:
        return [datetime.strptime(value, "%Y-%m").strftime("%B %Y")]
    if question.kind == Question.Kind.NUMBER:
        return [f"{int(value):,}"]
    return str(value).split("\n")


# -- public: index, start, questions, check, confirmation ---------------------------------------


@login_not_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Open, forthcoming and closed surveys."""
    return render(request, "surveys/index.html", {"groups": selectors.surveys_public_by_status()})


@login_not_required
@require_safe
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """The GOV.UK start page, or a clear page when the survey is not open."""
    structure = _structure_or_404(slug)
    refusal = _not_open(request, structure)
    if refusal is not None:
        return refusal
    first = structure.pages[0] if structure.pages else None
    return render(
        request,
        "surveys/start.html",
        {
            "survey": structure.survey,
            "first_url": reverse_cached("surveys:question", slug, first.position)
            if first
            else None,
            "preview": _is_preview(request, structure.survey),
            "question_count": len(structure.questions),
        },
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def question(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    """One page of questions: validate, keep the answers in the session, route onwards."""
    structure = _structure_or_404(slug)
    refusal = _not_open(request, structure)
    if refusal is not None:
        return refusal
    survey = structure.survey
    page = structure.page_at(position)
    if page is None:
        raise Http404("No such page")
    progress = _progress(request, survey)
    if progress["t"] is None:
        progress["t"] = time.time()
        _save_progress(request, survey, progress)
    answers = progress["a"]
    questions = structure.visible_questions(page, answers)
    if not questions:
        return redirect(_next_needed(structure, progress))
    changing = request.GET.get("change") == "1"
    form = PageAnswersForm(
        questions=questions, data=request.POST if request.method == "POST" else None, saved=answers
    )
    if request.method == "POST":
        if form.honeypot_filled:
            progress["bot"] = True
        if form.is_valid():
            for key, value in form.cleaned_data.items():
                if value in (None, "", []):
                    answers.pop(key, None)
                else:
                    answers[key] = value
            if position not in progress["done"]:
                progress["done"].append(position)
            _save_progress(request, survey, progress)
            if changing:
                return redirect(_next_needed(structure, progress))
            following = structure.next_page(position, answers)
            if following is not None:
                return redirect(reverse_cached("surveys:question", slug, following.position))
            return redirect(_after_questions(structure, progress))
    previous = structure.previous_page(position, answers)
    if changing:
        back_url = reverse_cached("surveys:check", slug)
    elif previous is not None:
        back_url = reverse_cached("surveys:question", slug, previous.position)
    else:
        back_url = reverse_cached("surveys:start", slug)
    visible = structure.visible_pages(answers)
    number = next((i for i, p in enumerate(visible, start=1) if p.pk == page.pk), 1)
    return render(
        request,
        "surveys/question.html",
        {
            "survey": survey,
            "page": page,
            "form": form,
            "single": len(questions) == 1,
            "back_url": back_url,
            "page_number": number,
            "honeypot": HONEYPOT,
            "preview": _is_preview(request, survey),
        },
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, slug: str) -> HttpResponse:
    """The separate consent question for being contacted; details kept apart from answers."""
    structure = _structure_or_404(slug)
    refusal = _not_open(request, structure)
    if refusal is not None:
        return refusal
    survey = structure.survey
    if not survey.asks_for_contact:
        raise Http404("This survey does not ask for contact details")
    progress = _progress(request, survey)
    saved = progress.get("contact") or None
    form = ContactConsentForm(request.POST or None, initial=saved)
    if request.method == "POST" and request.POST.get(HONEYPOT, "").strip():
        progress["bot"] = True
        _save_progress(request, survey, progress)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        progress["contact"] = {
            "consent": data["consent"],
            "name": data["name"],
            "email": data["email"],
            "phone": data["phone"],
        }
        _save_progress(request, survey, progress)
        return redirect(_next_needed(structure, progress))
    back_url = (
        reverse_cached("surveys:check", slug)
        if request.GET.get("change") == "1"
        else _last_pagereverse_cached(structure, progress)
    )
    return render(
        request,
        "surveys/contact.html",
        {"survey": survey, "form": form, "back_url": back_url, "honeypot": HONEYPOT},
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, slug: str) -> HttpResponse:
    """'Check your answers', then store them (or refuse: closed, too fast, limited, a bot)."""
    structure = _structure_or_404(slug)
    refusal = _not_open(request, structure)
    if refusal is not None:
        return refusal
    survey = structure.survey
    progress = _progress(request, survey)
    needed = _next_needed(structure, progress)
    if needed != reverse_cached("surveys:check", slug):
        return redirect(needed)
    problem = ""
    if request.method == "POST":
        preview = _is_preview(request, survey)
        if request.POST.get(HONEYPOT, "").strip() or progress.get("bot"):
            # Pretend it worked: an automated sender learns nothing. Nothing is stored.
            request.session.pop(_progress_key(survey), None)
            request.session[f"survey-sent-{survey.pk}"] = True
            return redirect(reverse_cached("surveys:confirmation", slug))
        if not hmac.compare_digest(request.POST.get("digest", ""), _digest(progress, structure)):
            problem = (
                "Your answers changed since this page was shown. Check them again, then submit."
            )
        elif not preview and protection.completed_too_fast(progress.get("t")):
            problem = "You sent your answers very quickly. Check them, then select ‘Submit’ again."
        else:
            if not preview:
                limit = protection.rate_limit_hit(request)
                if not limit.allowed:
                    response = render(
                        request,
                        "surveys/rate_limited.html",
                        {"survey": survey, "retry_at": limit.retry_at},
                        status=429,
                    )
                    response["Retry-After"] = str(limit.retry_after_seconds)
                    return response
                try:
                    services.response_submit(structure=structure, answers=progress["a"])
                except services.SurveyClosed:
                    return _not_open(request, structure) or redirect(
                        reverse_cached("surveys:start", slug)
                    )
                details = progress.get("contact") or {}
                if details.get("consent") == "yes":
                    services.contact_request_create(
                        survey=survey,
                        name=details.get("name", ""),
                        email=details.get("email", ""),
                        phone=details.get("phone", ""),
                    )
            request.session.pop(_progress_key(survey), None)
            request.session[f"survey-sent-{survey.pk}"] = True
            return redirect(reverse_cached("surveys:confirmation", slug))
    contact_details = progress.get("contact")
    back_url = (
        reverse_cached("surveys:contact", slug)
        if survey.asks_for_contact
        else _last_pagereverse_cached(structure, progress)
    )
    return render(
        request,
        "surveys/check.html",
        {
            "survey": survey,
            "rows": _summary(structure, progress),
            "contact": contact_details,
            "digest": _digest(progress, structure),
            "problem": problem,
            "back_url": back_url,
            "honeypot": HONEYPOT,
            "preview": _is_preview(request, survey),
        },
    )


@login_not_required
@require_safe
def confirmation(request: HttpRequest, slug: str) -> HttpResponse:
    """The confirmation panel, what happens next, and where to find support."""
    survey = get_object_or_404(Survey, slug=slug)
    if not request.session.get(f"survey-sent-{survey.pk}"):
        return redirect(reverse_cached("surveys:start", slug))
    return render(
        request,
        "surveys/confirmation.html",
        {
            "survey": survey,
            "contacts": selectors.support_contacts(),
            "preview": _is_preview(request, survey),
        },
    )


@login_not_required
@require_safe
def events(request: HttpRequest) -> HttpResponse:
    """Upcoming and past engagement events."""
    return render(request, "surveys/events.html", selectors.events_public())


# -- staff: preview -----------------------------------------------------------------------------


@never_cache
@require_safe
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff see a survey as a resident would, whatever its state; nothing they send is kept."""
    if not selectors.user_can_manage_surveys(request.user):
        raise PermissionDenied
    survey = get_object_or_404(Survey, pk=pk)
    request.session[f"survey-preview-{survey.pk}"] = True
    request.session.pop(_progress_key(survey), None)
    request.session.pop(f"survey-sent-{survey.pk}", None)
    return redirect("surveys:start", slug=survey.slug)


# -- results: signed-in partners ----------------------------------------------------------------


def _results_survey(request: HttpRequest, slug: str, need: str = selectors.AGGREGATE) -> Structure:
    access = selectors.results_access(request.user)
    if access == selectors.NONE or (need == selectors.FULL and access != selectors.FULL):
        raise PermissionDenied
    if selectors.survey_for_results(request.user, slug) is None:
        raise Http404("No such survey")
    return _structure_or_404(slug)


@never_cache
@require_safe
def results_index(request: HttpRequest) -> HttpResponse:
    """Surveys whose results the person may read."""
    access = selectors.results_access(request.user)
    if access == selectors.NONE:
        raise PermissionDenied
    return render(
        request,
        "surveys/results_index.html",
        {"surveys": selectors.surveys_with_counts_shown(request.user, access), "access": access},
    )


@never_cache
@require_safe
def results(request: HttpRequest, slug: str) -> HttpResponse:
    """Counts and percentages per question, responses over time, filters by answer."""
    structure = _results_survey(request, slug)
    survey = structure.survey
    filters = selectors.answer_filters(structure, request.GET.getlist("answer"))
    access = selectors.results_access(request.user)
    # Partner leads and viewers always get the disclosure-controlled figures (core.disclosure);
    # staff and analysts may switch to them to see what can be published.
    publication = access != selectors.FULL or request.GET.get("view") == "publication"
    rule = selectors.disclosure_rule(survey) if publication else None
    responses = selectors.responses_filtered(survey, filters)
    base = selectors.respondents(responses)
    too_few = base.too_few(rule)
    unit, over_time = (
        ("day", []) if publication else selectors.responses_over_time(survey, responses)
    )
    return render(
        request,
        "surveys/results.html",
        {
            "survey": survey,
            "results": [
                result
                for result in (
                    [] if too_few else selectors.question_results(structure, responses, rule)
                )
                # Only choice questions leave the partnership (free text can identify people).
                if not publication or result.question.is_choice
            ],
            "total": base.shown(rule),
            "too_few": too_few,
            "filters": filters,
            "publication": publication,
            "rule": rule,
            "unit": unit,
            "over_time": over_time,
            "chart": selectors.over_time_chart(over_time),
            "filter_options": selectors.answer_filter_options(structure),
            "access": access,
            "choice_questions": [q for q in structure.questions if q.is_choice],
        },
    )


@never_cache
@require_safe
def crosstab(request: HttpRequest, slug: str) -> HttpResponse:
    """A cross-tabulation of any two choice questions."""
    structure = _results_survey(request, slug)
    survey = structure.survey
    choice_questions = [q for q in structure.questions if q.is_choice]
    by_key = {q.key: q for q in choice_questions}
    rows_q = by_key.get(request.GET.get("rows", ""))
    cols_q = by_key.get(request.GET.get("cols", ""))
    filters = selectors.answer_filters(structure, request.GET.getlist("answer"))
    access = selectors.results_access(request.user)
    publication = access != selectors.FULL or request.GET.get("view") == "publication"
    rule = selectors.disclosure_rule(survey) if publication else None
    table = None
    too_few = False
    error = ""
    if request.GET.get("rows") or request.GET.get("cols"):
        if rows_q is None or cols_q is None:
            error = "Select two questions to compare"
        elif rows_q == cols_q:
            error = "Select two different questions"
        else:
            responses = selectors.responses_filtered(survey, filters)
            too_few = selectors.respondents(responses).too_few(rule)
            if not too_few:
                table = selectors.crosstab(rows_q, cols_q, responses, rule)
    return render(
        request,
        "surveys/crosstab.html",
        {
            "survey": survey,
            "questions": choice_questions,
            "rows_key": rows_q.key if rows_q else "",
            "cols_key": cols_q.key if cols_q else "",
            "table": table,
            "error": error,
            "filters": filters,
            "publication": publication,
            "rule": rule,
            "too_few": too_few,
            "access": access,
        },
    )


@never_cache
@require_safe
def free_text(request: HttpRequest, slug: str) -> HttpResponse:
    """Free-text answers with search and themes (staff and analysts only)."""
    structure = _results_survey(request, slug, need=selectors.FULL)
    survey = structure.survey
    questions = selectors.free_text_questions(structure)
    chosen = next((q for q in questions if q.key == request.GET.get("question")), None)
    chosen = chosen or (questions[0] if questions else None)
    search = request.GET.get("q", "").strip()[:100]
    theme_raw = request.GET.get("theme", "")
    theme_id = int(theme_raw) if theme_raw.isdigit() else None
    filters = selectors.answer_filters(structure, request.GET.getlist("answer"))
    page_obj = None
    if chosen is not None:
        answers = selectors.free_text_answers(
            chosen, selectors.responses_filtered(survey, filters), search=search, theme_id=theme_id
        )
        page_obj = Paginator(answers, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/free_text.html",
        {
            "survey": survey,
            "questions": questions,
            "chosen": chosen,
            "search": search,
            "theme_id": theme_id,
            "themes": selectors.themes_for(survey),
            "page_obj": page_obj,
            "filters": filters,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def tag_answer(request: HttpRequest, slug: str, answer_id: int) -> HttpResponse:
    """Tag one free-text answer with themes (staff and analysts only)."""
    structure = _results_survey(request, slug, need=selectors.FULL)
    survey = structure.survey
    answer = get_object_or_404(
        Answer.objects.select_related("question").prefetch_related("themes"),
        pk=answer_id,
        question__survey=survey,
    )
    if not answer.text:
        raise Http404("Only free-text answers can be tagged")
    themes = selectors.themes_for(survey)
    form = ThemeTagForm(
        request.POST or None,
        theme_choices=[(str(t.pk), t.name) for t in themes],
        initial={"themes": [str(t.pk) for t in answer.themes.all()]},
    )
    back = reverse_cached("surveys:free_text", slug) + f"?question={answer.question.key}"
    if request.method == "POST" and form.is_valid():
        services.answer_themes_set(
            actor=request.user,
            answer=answer,
            theme_ids=[int(t) for t in form.cleaned_data["themes"]],
            new_theme=form.cleaned_data["new_theme"],
        )
        return redirect(back)
    return render(
        request,
        "surveys/tag_answer.html",
        {"survey": survey, "answer": answer, "form": form, "back_url": back},
    )


@never_cache
@require_POST
def export(request: HttpRequest, slug: str) -> HttpResponse:
    """Download results as CSV or XLSX; every export is logged."""
    structure = _results_survey(request, slug)
    access = selectors.results_access(request.user)
    kind = request.POST.get("kind", "summary")
    published = request.POST.get("published") == "1"
    if access != selectors.FULL and not (kind == "summary" and published):
        # Partner leads and viewers take away only suppressed, publishable summaries.
        raise PermissionDenied
    filters = selectors.answer_filters(structure, request.POST.getlist("answer"))
    try:
        file = services.survey_export(
            actor=request.user,
            structure=structure,
            kind=kind,
            fmt=request.POST.get("format", "csv"),
            published=published,
            filters=filters,
        )
    except ValidationError as error:
        return HttpResponse(error.messages[0], status=400, content_type="text/plain")
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response
