# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""The browser flow: choose → upload → check → preview → confirm → import → summary → history,
and refusals for everyone who may not upload to the dataset."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.importing import services
from incidents.models import IncidentRecord, Upload
from tests.factories import MembershipFactory
from tests.incidents.factories import AgreementFactory, DatasetFactory
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    OUTSIDE,
    UNKNOWN,
    categories,
    geography,
    police_csv,
    police_dataset,
    police_row,
    run,
    write,
)

pytestmark = pytest.mark.django_db


def post_file(client, dataset, content: str, name: str = "2022-01-street.csv"):
    return client.post(
        reverse("incidents:upload_new", args=[dataset.slug]),
        {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")},
    )


def test_start_lists_only_datasets_the_analyst_may_upload_to(alice_client, police_dataset, org_b):
    other = DatasetFactory(owner=org_b, slug="istv-ed", name="ED assaults")
    AgreementFactory(dataset=other)
    response = alice_client.get(reverse("incidents:upload_start"))
    assert response.status_code == 200
    assert police_dataset.name in response.content.decode()
    assert "ED assaults" not in response.content.decode()


def test_whole_journey_upload_preview_confirm_summary_history(
    alice_client, police_dataset, django_capture_on_commit_callbacks
):
    content = police_csv(police_row("j1"), police_row("j2", lsoa=OUTSIDE))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(alice_client, police_dataset, content)
    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:upload_detail", args=[upload.pk])

    preview = alice_client.get(response["Location"])
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Check what will change" in page and "Confirm and import" in page
    assert not IncidentRecord.objects.exists()  # nothing until confirmed

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = alice_client.post(reverse("incidents:upload_confirm", args=[upload.pk]))
    assert confirmed.status_code == 302
    summary = alice_client.get(confirmed["Location"]).content.decode()
    assert "Import complete" in summary
    assert IncidentRecord.objects.count() == 2
    upload.refresh_from_db()
    assert (upload.rows_new, upload.rows_outside_area) == (2, 1)

    history = alice_client.get(reverse("incidents:upload_history", args=[police_dataset.slug]))
    text = history.content.decode()
    assert "2022-01-street.csv" in text and upload.sha256[:12] in text and "Alice Analyst" in text


def test_progress_page_refreshes_itself_while_work_runs(
    alice_client, police_dataset, tmp_path, alice
):
    with open(write(tmp_path, "p.csv", police_csv(police_row())), "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=alice, file=handle, filename="p.csv", queue_check=False
        )
    response = alice_client.get(reverse("incidents:upload_detail", args=[upload.pk]))
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "<progress" in page and "Checking your file" in page
    status = alice_client.get(reverse("incidents:upload_status", args=[upload.pk])).json()
    assert status["status"] == "received" and status["finished"] is False


def test_bad_file_shows_errors_a_person_can_act_on(
    alice_client, police_dataset, django_capture_on_commit_callbacks
):
    content = police_csv(
        police_row("a"), police_row("b", lsoa=UNKNOWN), police_row("c", month="2022-13")
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(alice_client, police_dataset, content, name="bad.csv")
    upload = Upload.objects.get()
    page = alice_client.get(response["Location"]).content.decode()
    assert "Error: Your file could not be imported" in page
    assert f"{UNKNOWN} is not a known LSOA code" in page
    assert "2022-13 is not a real month" in page
    assert "Confirm and import" not in page
    report = alice_client.get(reverse("incidents:upload_error_report", args=[upload.pk]))
    assert report.status_code == 200
    body = b"".join(report.streaming_content).decode()
    assert body.splitlines()[0] == "Row,Column,Problem,Value"
    assert f'3,LSOA code,"{UNKNOWN} is not a known LSOA code (if it is real' in body
    assert not IncidentRecord.objects.exists()


def test_refused_file_shows_the_reason(
    alice_client, police_dataset, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(
            alice_client, police_dataset, police_csv(police_row()).replace(",", ";")
        )
    page = alice_client.get(response["Location"]).content.decode()
    assert "separated by semicolons" in page


def test_no_file_chosen_is_a_form_error(alice_client, police_dataset):
    response = alice_client.post(reverse("incidents:upload_new", args=[police_dataset.slug]), {})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page and "Select a CSV or Excel (.xlsx) file" in page


def test_file_over_the_limit_is_refused_with_the_limit(alice_client, police_dataset, settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    response = post_file(alice_client, police_dataset, "x" * (2 * 1024 * 1024 + 1))
    assert "The selected file must be smaller than 2 MB" in response.content.decode()
    assert not Upload.objects.exists()


def test_upload_page_states_the_size_limit(alice_client, police_dataset, settings):
    settings.UPLOAD_MAX_BYTES = 50 * 1024 * 1024
    page = alice_client.get(reverse("incidents:upload_new", args=[police_dataset.slug]))
    assert "up to 50 MB" in page.content.decode()


def test_lapsed_agreement_is_refused_with_the_reason(alice_client, police_dataset):
    police_dataset.agreements.update(start_date=dt.date(2021, 1, 1), end_date=dt.date(2022, 12, 31))
    page = alice_client.get(reverse("incidents:upload_new", args=[police_dataset.slug]))
    assert "lapsed on 31 December 2022" in page.content.decode()
    response = post_file(alice_client, police_dataset, police_csv(police_row()))
    assert response.status_code == 403
    assert not Upload.objects.exists()


def test_withdraw_asks_for_confirmation_then_restores(
    alice_client, police_dataset, tmp_path, alice
):
    upload = run(police_dataset, write(tmp_path, "p.csv", police_csv(police_row("w1"))), alice)
    url = reverse("incidents:upload_withdraw", args=[upload.pk])
    page = alice_client.get(url).content.decode()
    assert "Withdraw p.csv?" in page and "removes the 1 record it added" in page
    assert IncidentRecord.objects.count() == 1
    response = alice_client.post(url)
    assert response.status_code == 302
    assert not IncidentRecord.objects.exists()
    upload.refresh_from_db()
    assert upload.status == Upload.Status.WITHDRAWN


def test_only_the_latest_upload_can_be_withdrawn(alice_client, police_dataset, tmp_path, alice):
    first = run(police_dataset, write(tmp_path, "a.csv", police_csv(police_row("w1"))), alice)
    run(police_dataset, write(tmp_path, "b.csv", police_csv(police_row("w2"))), alice)
    response = alice_client.post(reverse("incidents:upload_withdraw", args=[first.pk]))
    assert response.status_code == 409
    assert "Withdraw the later uploads first" in response.content.decode()
    assert IncidentRecord.objects.count() == 2


def test_template_and_dictionary_downloads(alice_client):
    csv_response = alice_client.get(reverse("incidents:upload_template_csv"))
    assert csv_response.content.decode().startswith("reference,occurred_date,occurred_time")
    dictionary = alice_client.get(reverse("incidents:upload_dictionary_csv")).content.decode()
    assert dictionary.startswith("Column,Required,What it means,Allowed values,Example")
    assert "licensed_premises" in dictionary
    xlsx = alice_client.get(reverse("incidents:upload_template_xlsx"))
    assert xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx["Content-Disposition"]


@pytest.fixture
def imported(police_dataset, tmp_path, alice):
    upload = run(
        police_dataset,
        write(tmp_path, "p.csv", police_csv(police_row("x1"), police_row("x2", lsoa=UNKNOWN))),
        alice,
    )
    assert upload.status == Upload.Status.INVALID  # has an error report
    good = run(police_dataset, write(tmp_path, "q.csv", police_csv(police_row("x1"))), alice)
    return upload, good


def _protected_urls(dataset, invalid, good):
    return [
        ("get", reverse("incidents:upload_new", args=[dataset.slug])),
        ("post", reverse("incidents:upload_new", args=[dataset.slug])),
        ("get", reverse("incidents:upload_history", args=[dataset.slug])),
        ("get", reverse("incidents:upload_detail", args=[invalid.pk])),
        ("get", reverse("incidents:upload_detail", args=[good.pk])),
        ("get", reverse("incidents:upload_status", args=[good.pk])),
        ("post", reverse("incidents:upload_confirm", args=[good.pk])),
        ("get", reverse("incidents:upload_error_report", args=[invalid.pk])),
        ("get", reverse("incidents:upload_withdraw", args=[good.pk])),
        ("post", reverse("incidents:upload_withdraw", args=[good.pk])),
    ]


def test_analyst_of_another_organisation_gets_404_everywhere(bob_client, police_dataset, imported):
    invalid, good = imported
    for method, url in _protected_urls(police_dataset, invalid, good):
        response = getattr(bob_client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert IncidentRecord.objects.count() == 1
    good.refresh_from_db()
    assert good.status == Upload.Status.IMPORTED


def test_viewer_of_the_owner_gets_403_everywhere(viewer_client, police_dataset, imported):
    invalid, good = imported
    for method, url in _protected_urls(police_dataset, invalid, good):
        response = getattr(viewer_client, method)(url)
        assert response.status_code == 403, (method, url, response.status_code)
    good.refresh_from_db()
    assert good.status == Upload.Status.IMPORTED


def test_other_analyst_does_not_see_the_dataset_on_the_start_page(bob_client, police_dataset):
    page = bob_client.get(reverse("incidents:upload_start")).content.decode()
    assert police_dataset.name not in page
    assert "You cannot upload to any dataset" in page


def test_staff_and_superusers_may_not_upload(staff_client, superuser_client, police_dataset):
    # Not members of the owning organisation: the dataset's upload pages do not exist for them.
    for client in (staff_client, superuser_client):
        url = reverse("incidents:upload_new", args=[police_dataset.slug])
        assert client.get(url).status_code == 404


def test_admin_lists_uploads_and_records_only_where_the_steward_sees_records(
    steward, steward_client, superuser_client, imported, org_a
):
    invalid, good = imported
    record = IncidentRecord.objects.filter(dataset=good.dataset).first()
    assert record is not None
    uploads = reverse("admin:incidents_upload_changelist")
    records = reverse("admin:incidents_incidentrecord_changelist")
    upload_page = reverse("admin:incidents_upload_change", args=[good.pk])
    record_page = reverse("admin:incidents_incidentrecord_change", args=[record.pk])
    for client in (steward_client, superuser_client):
        listed = client.get(uploads)
        assert listed.status_code == 200 and "q.csv" not in listed.content.decode()
        listed = client.get(records)
        assert listed.status_code == 200 and record.source_ref not in listed.content.decode()
        # An object outside the queryset: the admin answers "does not exist" (a redirect).
        assert client.get(upload_page).status_code == 302
        assert client.get(record_page).status_code == 302
    MembershipFactory(user=steward, organisation=org_a, role="viewer")
    listed = steward_client.get(uploads)
    assert listed.status_code == 200 and "q.csv" in listed.content.decode()
    assert record.source_ref in steward_client.get(records).content.decode()
    assert steward_client.get(upload_page).status_code == 200
    assert steward_client.get(record_page).status_code == 200
    assert steward_client.get(reverse("admin:incidents_upload_add")).status_code == 403
    response = steward_client.post(reverse("admin:incidents_upload_delete", args=[good.pk]))
    assert response.status_code == 403
    assert Upload.objects.filter(pk=good.pk).exists()


def test_progress_page_says_when_all_rows_are_read_and_records_are_being_written(
    alice_client, police_dataset, tmp_path, alice
):
    with open(write(tmp_path, "p.csv", police_csv(police_row())), "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=alice, file=handle, filename="p.csv", queue_check=False
        )
    Upload.objects.filter(pk=upload.pk).update(
        status="importing", rows_total=1200, rows_processed=1200
    )
    page = alice_client.get(reverse("incidents:upload_detail", args=[upload.pk])).content.decode()
    assert "All 1,200 rows read: writing the records." in page
    assert '<progress class="nsvpp-progress" max="1200" value="1200"' in page
