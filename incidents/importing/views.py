"""The upload flow for partner analysts: choose → upload → check → preview → confirm → import.

Every view fetches through ``incidents.access`` / ``selectors.upload_for_user_or_404``: analysts of
another organisation get 404 (403 when they may see the dataset's records but not upload).
Pages that wait on the worker refresh themselves (``<meta http-equiv="refresh">``), so the flow
works without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incidents.access import agreement_problem, dataset_for_upload_or_404
from incidents.models import Upload

from . import selectors, services, spec
from .forms import UploadForm, size_limit_text
from .summary import upload_summary_lines

REFRESH_SECONDS = 2


@never_cache
@require_safe
def upload_start(request: HttpRequest) -> HttpResponse:
    datasets = selectors.datasets_for_upload(request.user)
    rows = [{"dataset": d, "problem": agreement_problem(d)} for d in datasets]
    return render(request, "incidents/uploads/start.html", {"rows": rows})


@require_safe
def template_download(request: HttpRequest, kind: str) -> HttpResponse:
    if kind == "template.csv":
        content, content_type = spec.template_csv(), "text/csv; charset=utf-8"
    elif kind == "template.xlsx":
        content = spec.template_xlsx()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif kind == "data-dictionary.csv":
        content, content_type = spec.dictionary_csv(), "text/csv; charset=utf-8"
    else:
        raise Http404("No such file.")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="nsvpp-{kind}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def upload_new(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = dataset_for_upload_or_404(request.user, slug)
    problem = agreement_problem(dataset)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and not problem and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            upload = services.upload_receive(
                dataset=dataset, user=request.user, file=file, filename=file.name
            )
        except services.UploadRefused as refusal:
            form.add_error("file", refusal.message)
        else:
            return redirect("incidents:upload_detail", pk=upload.pk)
    return render(
        request,
        "incidents/uploads/new.html",
        {
            "dataset": dataset,
            "form": form,
            "problem": problem,
            "format": spec.format_for(dataset),
            "size_limit": size_limit_text(),
            "mapping": dataset.column_mapping,
            "istv_dictionary": spec.ISTV_DICTIONARY,
        },
        status=403 if problem and request.method == "POST" else 200,
    )


@never_cache
@require_safe
def upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    upload = selectors.upload_for_user_or_404(request.user, pk)
    context = {"upload": upload, "dataset": upload.dataset}
    if upload.status in selectors.IN_PROGRESS:
        context["refresh"] = REFRESH_SECONDS
        return render(request, "incidents/uploads/progress.html", context)
    if upload.status in (Upload.Status.VALIDATED, Upload.Status.INVALID):
        context["previous"] = selectors.upload_previously_imported(upload)
        context["agreement_problem"] = agreement_problem(upload.dataset)
        return render(request, "incidents/uploads/preview.html", context)
    context["summary"] = upload_summary_lines(upload)
    context["withdraw_problem"] = services.withdraw_problem(upload)
    return render(request, "incidents/uploads/summary.html", context)


@never_cache
@require_safe
def upload_status(request: HttpRequest, pk: int) -> JsonResponse:
    upload = selectors.upload_for_user_or_404(request.user, pk)
    return JsonResponse(
        {
            "status": upload.status,
            "status_display": upload.get_status_display(),
            "rows_processed": upload.rows_processed,
            "rows_total": upload.rows_total,
            "finished": upload.status not in selectors.IN_PROGRESS,
            "url": reverse("incidents:upload_detail", args=[upload.pk]),
        }
    )


@require_POST
def upload_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    upload = selectors.upload_for_user_or_404(request.user, pk)
    try:
        services.upload_confirm(upload=upload, user=request.user)
    except services.UploadRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("incidents:upload_detail", pk=upload.pk)


@never_cache
@require_safe
def upload_error_report(request: HttpRequest, pk: int) -> FileResponse:
    upload = selectors.upload_for_user_or_404(request.user, pk)
    if not upload.error_report:
        raise Http404("This upload has no error report.")
    return FileResponse(
        upload.error_report.open("rb"),
        as_attachment=True,
        filename=f"errors-{upload.pk}-{upload.original_filename.rsplit('.', 1)[0]}.csv",
        content_type="text/csv; charset=utf-8",
    )


@never_cache
@require_safe
def upload_history(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = dataset_for_upload_or_404(request.user, slug)
    return render(
        request,
        "incidents/uploads/history.html",
        {"dataset": dataset, "uploads": selectors.uploads_for_dataset(dataset)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def upload_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    upload = selectors.upload_for_user_or_404(request.user, pk)
    problem = services.withdraw_problem(upload)
    if request.method == "POST" and not problem:
        try:
            services.upload_withdraw(upload=upload, user=request.user)
        except services.UploadRefused as refusal:
            problem = refusal.message
        else:
            messages.success(
                request,
                f"{upload.original_filename} was withdrawn: the records it added were removed and "
                "the records it changed were restored.",
            )
            return redirect("incidents:upload_history", slug=upload.dataset.slug)
    return render(
        request,
        "incidents/uploads/withdraw.html",
        {"upload": upload, "dataset": upload.dataset, "problem": problem},
        status=409 if problem and request.method == "POST" else 200,
    )
