"""The upload form (GOV.UK file upload)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings

from core.forms import GovukForm

ACCEPTED_SUFFIXES = {".csv", ".xlsx", ".txt"}


def size_limit_text() -> str:
    return f"{settings.UPLOAD_MAX_BYTES / 1024 / 1024:,.0f} MB"


class UploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a file",
        error_messages={"required": "Select a CSV or Excel (.xlsx) file"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"CSV (UTF-8) or Excel (.xlsx), up to {size_limit_text()}. Nothing is imported until "
            "you have checked the preview and confirmed."
        )
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx,text/csv"

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"The selected file must be smaller than {size_limit_text()}"
            )
        if file.size == 0:
            raise forms.ValidationError("The selected file is empty")
        if Path(file.name).suffix.lower() not in ACCEPTED_SUFFIXES:
            raise forms.ValidationError("The selected file must be a CSV or an Excel .xlsx file")
        return file


class ConfirmForm(GovukForm):
    """No fields: the POST itself is the confirmation (with its CSRF token)."""
