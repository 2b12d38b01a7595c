"""SNA pages. Staff (the convenor's office) create, edit, generate and publish editions; the
files are downloaded by staff and by the partners an edition is for. Every file view is
permission-checked (404 when the person may not see it) and audited. Nothing here renders a
report: the worker does (``assessments.tasks``).
"""

from __future__ import annotations

import base64
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import selectors, services
from .forms import EditionForm, RecommendationForm
from .models import Edition, Recommendation
from .rendering import edition_folder

REFRESH_SECONDS = 3


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Only the partnership's staff manage assessment editions.")


@require_safe
def edition_list(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff:
        return render(
            request, "assessments/list.html", {"editions": list(selectors.editions_for_staff())}
        )
    return render(
        request,
        "assessments/reader_list.html",
        {"editions": selectors.editions_for_reader(request.user)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def edition_new(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    previous = None
    if request.GET.get("from"):
        try:
            previous = selectors.edition_for_staff_or_404(request.user, int(request.GET["from"]))
        except ValueError as error:
            raise Http404("No such edition.") from error
    if request.method == "POST":
        form = EditionForm(request.POST)
        if form.is_valid():
            try:
                edition = services.edition_create(
                    actor=request.user, data=form.service_data(), previous=previous
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Edition created. Check the narrative, then generate it.")
                return redirect("assessments:edition", pk=edition.pk)
    else:
        initial = EditionForm.initial_from(previous) if previous else {"audience": "restricted"}
        if previous:
            initial["edition_label"] = ""
        form = EditionForm(initial=initial)
    return render(
        request, "assessments/form.html", {"form": form, "previous": previous, "edition": None}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def edition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    edition = selectors.edition_for_staff_or_404(request.user, pk)
    if edition.is_locked:
        messages.error(request, "This edition cannot be changed now.")
        return redirect("assessments:edition", pk=edition.pk)
    if request.method == "POST":
        form = EditionForm(request.POST)
        if form.is_valid():
            try:
                services.edition_update(
                    actor=request.user, edition=edition, data=form.service_data()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Edition saved.")
                return redirect("assessments:edition", pk=edition.pk)
    else:
        form = EditionForm(initial=EditionForm.initial_from(edition))
    return render(
        request, "assessments/form.html", {"form": form, "edition": edition, "previous": None}
    )


@never_cache
@require_safe
def edition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    edition = selectors.edition_for_staff_or_404(request.user, pk)
    context = {
        "edition": edition,
        "recommendations": list(selectors.recommendations_of(edition)),
        "changes": selectors.edition_changes(edition=edition) if edition.has_files else None,
        "refresh": REFRESH_SECONDS if edition.is_running else None,
    }
    return render(request, "assessments/detail.html", context)


@never_cache
@require_safe
def edition_status(request: HttpRequest, pk: int) -> JsonResponse:
    _staff_only(request)
    edition = selectors.edition_for_staff_or_404(request.user, pk)
    return JsonResponse(
        {
            "status": edition.status,
            "status_display": edition.get_status_display(),
            "progress": edition.progress,
            "current_step": edition.current_step,
            "finished": not edition.is_running,
            "url": reverse("assessments:edition", args=[edition.pk]),
        }
    )


@require_POST
def edition_generate(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    edition = selectors.edition_for_staff_or_404(request.user, pk)
    try:
        services.edition_generate(actor=request.user, edition=edition)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("assessments:edition", pk=edition.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def edition_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    edition = selectors.edition_for_staff_or_404(request.user, pk)
    if request.method == "POST":
        try:
            services.edition_publish(actor=request.user, edition=edition)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Edition published. It can no longer change.")
        return redirect("assessments:edition", pk=edition.pk)
    return render(request, "assessments/publish.html", {"edition": edition})


@never_cache
@require_http_methods(["GET", "POST"])
def recommendation_form(request: HttpRequest, pk: int, rec_pk: int | None = None) -> HttpResponse:
    _staff_only(request)
    edition = selectors.edition_for_staff_or_404(request.user, pk)
    recommendation = (
        get_object_or_404(Recommendation, pk=rec_pk, edition=edition) if rec_pk else None
    )
    if edition.is_locked:
        messages.error(request, "This edition cannot be changed now.")
        return redirect("assessments:edition", pk=edition.pk)
    if request.method == "POST":
        form = RecommendationForm(request.POST)
        if request.POST.get("delete") and recommendation is not None:
            services.recommendation_delete(actor=request.user, recommendation=recommendation)
            messages.success(request, "Recommendation removed.")
            return redirect("assessments:edition", pk=edition.pk)
        if form.is_valid():
            try:
                services.recommendation_save(
                    actor=request.user,
                    edition=edition,
                    recommendation=recommendation,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Recommendation saved.")
                return redirect("assessments:edition", pk=edition.pk)
    else:
        initial = (
            {
                "chapter": recommendation.chapter,
                "text": recommendation.text,
                "status": recommendation.status,
                "note": recommendation.note,
            }
            if recommendation
            else None
        )
        form = RecommendationForm(initial=initial)
    return render(
        request,
        "assessments/recommendation_form.html",
        {"form": form, "edition": edition, "recommendation": recommendation},
    )


# --- files: permission-checked and audited ------------------------------------------------------


def _download_name(edition: Edition, suffix: str) -> str:
    title = slugify(edition.title)[:60] or "sna"
    return f"{title}-{slugify(edition.edition_label)[:30]}-{edition.audience}{suffix}"


def _file(edition: Edition, name: str) -> Path:
    path = edition_folder(edition.pk) / name
    if not path.is_file():
        raise Http404("The file is not there. Generate the edition again.")
    return path


@never_cache
@require_safe
def edition_pdf(request: HttpRequest, pk: int) -> FileResponse:
    edition = selectors.edition_for_download_or_404(request.user, pk)
    path = _file(edition, Path(edition.pdf.name).name)
    services.edition_download_log(actor=request.user, edition=edition, kind="pdf")
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=_download_name(edition, ".pdf"),
        content_type="application/pdf",
    )


@never_cache
@require_safe
def edition_tables(request: HttpRequest, pk: int) -> FileResponse:
    edition = selectors.edition_for_download_or_404(request.user, pk)
    path = _file(edition, "tables.zip")
    services.edition_download_log(actor=request.user, edition=edition, kind="tables.zip")
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=_download_name(edition, "-tables.zip"),
        content_type="application/zip",
    )


@never_cache
@require_safe
def edition_web(request: HttpRequest, pk: int) -> FileResponse:
    edition = selectors.edition_for_download_or_404(request.user, pk)
    path = _file(edition, "edition.html")
    services.edition_download_log(actor=request.user, edition=edition, kind="web")
    return FileResponse(open(path, "rb"), content_type="text/html; charset=utf-8")  # noqa: SIM115


PREVIEW_PAGES = 12


@never_cache
@require_safe
def edition_pages(request: HttpRequest, pk: int) -> HttpResponse:
    """Page thumbnails, twelve at a time, inlined (one request, one audit event per view)."""
    edition = selectors.edition_for_download_or_404(request.user, pk)
    paginator = Paginator(list(enumerate(edition.thumbnails, start=1)), PREVIEW_PAGES)
    chunk = paginator.get_page(request.GET.get("page"))
    pages = []
    for number, name in chunk.object_list:
        image = _file(edition, f"pages/{Path(name).name}").read_bytes()
        pages.append((number, "data:image/png;base64," + base64.b64encode(image).decode()))
    services.edition_download_log(
        actor=request.user, edition=edition, kind="preview", detail=f"pages {chunk.number}"
    )
    return render(
        request, "assessments/pages.html", {"edition": edition, "pages": pages, "chunk": chunk}
    )
