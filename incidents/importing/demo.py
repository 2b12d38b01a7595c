"""Demo data for `make run`: the six real data.police.uk months, imported through the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from incidents.models import Dataset, Upload

from .services import UploadRefused, file_sha256, upload_run_now

DATASET_SLUG = "police-uk-street"


def seed_police_uk(*, stdout: Any) -> list[Upload]:
    """Import the police.uk files from SHARED_DATA_DIR into police-uk-street (idempotent)."""
    folder = Path(settings.SHARED_DATA_DIR) / "police_uk"
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not files:
        stdout.write(f"Skipped police.uk records: no CSV files in {folder} (set SHARED_DATA_DIR).")
        return []
    dataset = Dataset.objects.filter(slug=DATASET_SLUG).first()
    if dataset is None:
        stdout.write(f"Skipped police.uk records: no dataset {DATASET_SLUG}.")
        return []
    uploads: list[Upload] = []
    for path in files:
        digest = file_sha256(path)
        done = dataset.uploads.filter(sha256=digest, status=Upload.Status.IMPORTED).first()
        if done is not None:
            uploads.append(done)
            continue
        try:
            upload = upload_run_now(dataset=dataset, path=path)
        except UploadRefused as refusal:
            stdout.write(f"Skipped {path.name}: {refusal.message}")
            continue
        if upload.status != Upload.Status.IMPORTED:
            stdout.write(f"{path.name} was refused: {upload.problem}")
            continue
        uploads.append(upload)
        stdout.write(
            f"Imported {path.name}: {upload.rows_new:,} new, {upload.rows_outside_area:,} outside "
            "the area."
        )
    return uploads
