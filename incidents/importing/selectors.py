"""Reads for the upload pages, each scoped to what the person may do."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from incidents.access import can_upload, dataset_for_upload_or_404
from incidents.models import Dataset, Upload

IN_PROGRESS = {
    Upload.Status.RECEIVED,
    Upload.Status.VALIDATING,
    Upload.Status.QUEUED,
    Upload.Status.IMPORTING,
}


def datasets_for_upload(user: Any) -> list[Dataset]:
    """The active datasets the person may upload to, with their owners."""
    datasets = Dataset.objects.select_related("owner").filter(is_active=True)
    return [d for d in datasets.order_by("owner__name", "name") if can_upload(user, d)]


def upload_for_user_or_404(user: Any, pk: int) -> Upload:
    """An upload, if the person may upload to its dataset (404 for other partners, 403 for
    those who see the dataset's records but may not upload)."""
    upload = (
        Upload.objects.select_related("dataset", "dataset__owner", "uploaded_by", "withdrawn_by")
        .filter(pk=pk)
        .first()
    )
    if upload is None:
        raise Http404("No upload found.")
    dataset_for_upload_or_404(user, upload.dataset.slug)
    return upload


def uploads_for_dataset(dataset: Dataset) -> QuerySet[Upload]:
    """The dataset's uploads, newest first, with who uploaded and withdrew them."""
    return (
        Upload.objects.filter(dataset=dataset)
        .select_related("uploaded_by", "withdrawn_by")
        .order_by("-uploaded_at", "-pk")
    )


def upload_previously_imported(upload: Upload) -> Upload | None:
    """An earlier, still-imported upload of the same file to the same dataset."""
    return (
        Upload.objects.filter(
            dataset_id=upload.dataset_id, sha256=upload.sha256, status=Upload.Status.IMPORTED
        )
        .exclude(pk=upload.pk)
        .order_by("-finished_at")
        .first()
    )
