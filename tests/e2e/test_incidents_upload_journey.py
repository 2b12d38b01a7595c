# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""An analyst uploads a police.uk month in the browser, checks the preview, confirms, sees the
summary and the history; a bad file shows errors a person can act on. axe-core on every page."""

from __future__ import annotations

import pytest

from incidents.importing import services
from incidents.models import IncidentRecord, Upload
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    OUTSIDE,
    UNKNOWN,
    categories,
    geography,
    police_csv,
    police_dataset,
    police_row,
    template_csv,
    template_dataset,
    template_row,
    write,
)


@pytest.mark.django_db(transaction=True)
def test_analyst_uploads_checks_confirms_and_sees_history(
    page, partnership, alice, police_dataset, tmp_path
):
    path = write(
        tmp_path,
        "2022-01-northamptonshire-street.csv",
        police_csv(
            police_row("e1"), police_row("e2", crime_type="Robbery"), police_row("e3", lsoa=OUTSIDE)
        ),
    )
    sign_in(page, alice.email, PASSWORD)
    page.get_by_role("link", name="Upload data").click()
    check_accessibility(page, "upload-start")
    page.get_by_role("link", name="Police street crime").first.click()
    assert page.get_by_role("heading", name="Upload a file to Police street crime").is_visible()
    check_accessibility(page, "upload-new")

    page.get_by_label("Upload a file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    assert page.get_by_role("heading", name="Check what will change").is_visible()
    assert not IncidentRecord.objects.exists()
    check_accessibility(page, "upload-preview")

    page.get_by_role("button", name="Confirm and import").click()
    assert page.get_by_role("heading", name="Import complete").is_visible()
    assert page.get_by_text("3 new and 0 changed records").is_visible()
    check_accessibility(page, "upload-summary")
    assert IncidentRecord.objects.count() == 3

    page.get_by_role("link", name="All uploads to Police street crime").click()
    row = page.get_by_role("row").filter(has_text="2022-01-northamptonshire-street.csv")
    assert row.get_by_text("Imported").is_visible()
    check_accessibility(page, "upload-history")

    row.get_by_role("link").click()
    page.get_by_role("link", name="Withdraw this upload").click()
    check_accessibility(page, "upload-withdraw")
    page.get_by_role("button", name="Withdraw this upload").click()
    assert page.get_by_text("was withdrawn").is_visible()
    assert not IncidentRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bad_file_shows_errors_a_person_can_act_on(
    page, partnership, alice, police_dataset, tmp_path
):
    path = write(
        tmp_path,
        "bad.csv",
        police_csv(
            police_row("b1"), police_row("b2", lsoa=UNKNOWN), police_row("b3", month="2022-02-30")
        ),
    )
    sign_in(page, alice.email, PASSWORD)
    page.goto(f"/data/uploads/{police_dataset.slug}/new/")
    page.get_by_role("button", name="Upload and check").click()
    assert page.get_by_text("Select a CSV or Excel (.xlsx) file").first.is_visible()
    check_accessibility(page, "upload-new-error")

    page.get_by_label("Upload a file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    assert page.get_by_role("heading", name="Your file could not be imported").is_visible()
    errors = page.get_by_role("table").filter(has_text="Problem")
    assert (
        errors.get_by_role("row")
        .filter(has_text=f"{UNKNOWN} is not a known LSOA code")
        .is_visible()
    )
    assert errors.get_by_role("row").filter(has_text="not a month").is_visible()
    assert page.get_by_role("link", name="Download the full error report (CSV)").is_visible()
    assert page.get_by_role("button", name="Confirm and import").count() == 0
    check_accessibility(page, "upload-preview-errors")
    assert not IncidentRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_progress_page_while_the_worker_checks(page, partnership, alice, police_dataset, tmp_path):
    with open(write(tmp_path, "p.csv", police_csv(police_row())), "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=alice, file=handle, filename="p.csv", queue_check=False
        )
    Upload.objects.filter(pk=upload.pk).update(status="importing", rows_total=10, rows_processed=4)
    sign_in(page, alice.email, PASSWORD)
    page.goto(f"/data/uploads/{upload.pk}/")
    assert page.get_by_role("heading", name="Importing your file").is_visible()
    assert page.locator("progress").get_attribute("value") == "4"
    # Without JavaScript the page would refresh itself; with it, the bar moves in place…
    assert page.locator("noscript").first.inner_html().find('http-equiv="refresh"') >= 0
    check_accessibility(page, "upload-progress")
    Upload.objects.filter(pk=upload.pk).update(rows_processed=8)
    page.wait_for_function("document.querySelector('progress').getAttribute('value') === '8'")
    assert page.get_by_text("Importing: 8 rows of 10 processed.").is_visible()
    # …and the next page loads when the worker has finished.
    Upload.objects.filter(pk=upload.pk).update(status="failed", problem="Test stop.")
    page.wait_for_url(f"**/data/uploads/{upload.pk}/")
    page.get_by_role("heading", name="The import failed").wait_for()
    check_accessibility(page, "upload-failed")


@pytest.mark.django_db(transaction=True)
def test_analyst_uploads_the_portal_template_fixes_a_row_and_imports(
    page, partnership, alice, template_dataset, tmp_path
):
    """The portal template (on PostgreSQL, validated set-based in SQL): a bad row is named with
    row, column and reason; the corrected file imports."""
    bad = write(
        tmp_path,
        "extract.csv",
        template_csv(template_row("X1"), template_row("X2", "2022-02-31"), template_row("X3")),
    )
    sign_in(page, alice.email, PASSWORD)
    page.goto(f"/data/uploads/{template_dataset.slug}/new/")
    page.get_by_label("Upload a file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload and check").click()
    assert page.get_by_role("heading", name="Your file could not be imported").is_visible()
    errors = page.get_by_role("table").filter(has_text="Problem")
    problem = errors.get_by_role("row").filter(has_text="2022-02-31 is not a real date")
    assert problem.is_visible() and problem.get_by_text("occurred_date").is_visible()
    assert not IncidentRecord.objects.exists()

    good = write(
        tmp_path, "extract-fixed.csv", template_csv(*(template_row(f"X{i}") for i in (1, 2, 3)))
    )
    page.goto(f"/data/uploads/{template_dataset.slug}/new/")
    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and check").click()
    assert page.get_by_role("heading", name="Check what will change").is_visible()
    page.get_by_role("button", name="Confirm and import").click()
    assert page.get_by_role("heading", name="Import complete").is_visible()
    assert page.get_by_text("3 new and 0 changed records").is_visible()
    check_accessibility(page, "upload-summary-template")
    assert IncidentRecord.objects.filter(dataset=template_dataset).count() == 3
