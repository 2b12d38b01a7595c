"""Retention of incident data (incidents/retention.py): records past their governing agreement's
retention, in batches, audited per dataset; the admin's preview; raw upload files; the lock."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from core.dates import months_add
from core.models import AuditEvent
from incidents import retention
from incidents.models import IncidentRecord, RecordVersion, Upload
from incidents.tasks import RETENTION_LOCK, retention_incidents_task
from tests.incidents.factories import AgreementFactory, DatasetFactory, RecordFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 3)


def test_months_add_keeps_the_day_or_the_months_last_day():
    assert months_add(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert months_add(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)
    assert months_add(dt.date(2026, 12, 3), -36) == dt.date(2023, 12, 3)
    assert months_add(dt.date(2026, 1, 15), -1) == dt.date(2025, 12, 15)
    assert months_add(dt.date(2026, 11, 30), 1) == dt.date(2026, 12, 30)


@pytest.fixture
def dataset(org_a):
    dataset = DatasetFactory(owner=org_a)
    AgreementFactory(
        dataset=dataset,
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2027, 12, 31),
        retention_months=36,
    )
    return dataset


def records_on(dataset, *days: dt.date) -> list[IncidentRecord]:
    return [RecordFactory(dataset=dataset, occurred_on=day) for day in days]


def test_records_older_than_the_current_agreements_retention_are_deleted(dataset, org_b):
    other = DatasetFactory(owner=org_b)
    AgreementFactory(dataset=other, start_date=dt.date(2025, 1, 1), retention_months=120)
    old, kept = records_on(dataset, dt.date(2023, 11, 1), dt.date(2023, 12, 3))
    (other_old,) = records_on(other, dt.date(2023, 11, 1))
    RecordVersion.objects.create(upload=_upload(dataset), record=old, created=True)

    result = retention.records_retention_run(on=TODAY)

    assert result == {dataset.slug: 1}
    assert not IncidentRecord.objects.filter(pk=old.pk).exists()
    assert IncidentRecord.objects.filter(pk__in=[kept.pk, other_old.pk]).count() == 2
    assert not RecordVersion.objects.filter(record_id=old.pk).exists()
    (event,) = AuditEvent.objects.filter(action="retention.records_deleted")
    assert event.dataset_id == dataset.pk
    assert event.actor is None
    assert event.detail["count"] == 1
    assert event.detail["cutoff"] == "2023-12-03"


def test_deletion_runs_in_batches_and_writes_one_event_per_dataset(dataset, settings):
    settings.RETENTION_BATCH_SIZE = 2
    records_on(dataset, *[dt.date(2020, m, 1) for m in range(1, 6)])
    batches = []
    real = retention._delete_batch

    def counting(**kwargs):
        batches.append(real(**kwargs))
        return batches[-1]

    retention._delete_batch, saved = counting, retention._delete_batch
    try:
        retention.records_retention_run(on=TODAY)
    finally:
        retention._delete_batch = saved
    assert batches == [2, 2, 1]
    assert not IncidentRecord.objects.filter(dataset=dataset).exists()
    assert AuditEvent.objects.filter(action="retention.records_deleted").count() == 1


def test_an_ended_agreement_not_renewed_still_governs_its_records(org_a):
    ended = DatasetFactory(owner=org_a)
    AgreementFactory(
        dataset=ended, start_date=dt.date(2020, 1, 1), end_date=dt.date(2025, 3, 31),
        retention_months=12,
    )  # fmt: skip
    old, young = records_on(ended, dt.date(2025, 11, 1), dt.date(2025, 12, 3))
    (plan,) = [p for p in retention.retention_plans(on=TODAY) if p.dataset == ended]
    assert plan.cutoff == dt.date(2025, 12, 3)
    assert "ended" in plan.reason
    retention.records_retention_run(on=TODAY)
    assert list(IncidentRecord.objects.filter(dataset=ended)) == [young]
    assert old.pk not in IncidentRecord.objects.values_list("pk", flat=True)


def test_the_current_agreement_wins_over_an_ended_one(org_a):
    dataset = DatasetFactory(owner=org_a)
    for start, end, months in ((2020, 2024, 12), (2025, 2027, 60)):
        AgreementFactory(
            dataset=dataset,
            start_date=dt.date(start, 1, 1),
            end_date=dt.date(end, 12, 31),
            retention_months=months,
        )
    records_on(dataset, dt.date(2022, 1, 1))
    retention.records_retention_run(on=TODAY)
    assert IncidentRecord.objects.filter(dataset=dataset).count() == 1


def test_a_dataset_without_an_agreement_that_started_keeps_its_records(org_a):
    dataset = DatasetFactory(owner=org_a)
    AgreementFactory(dataset=dataset, start_date=dt.date(2027, 1, 1), end_date=dt.date(2028, 1, 1))
    records_on(dataset, dt.date(2001, 1, 1))
    (plan,) = [p for p in retention.retention_plans(on=TODAY) if p.dataset == dataset]
    assert plan.cutoff is None
    assert retention.records_retention_run(on=TODAY) == {}
    assert IncidentRecord.objects.filter(dataset=dataset).count() == 1


def test_an_ended_agreement_stops_record_level_access_at_its_end_date(org_a, org_b, bob):
    from incidents.access import can_see_records

    dataset = DatasetFactory(owner=org_a)
    AgreementFactory(
        dataset=dataset, start_date=dt.date(2025, 1, 1), end_date=dt.date(2026, 6, 30),
        record_level_organisations=[org_b],
    )  # fmt: skip
    assert can_see_records(bob, dataset, on=dt.date(2026, 6, 30))
    assert not can_see_records(bob, dataset, on=dt.date(2026, 7, 1))


def test_staff_see_the_preview_of_the_next_run(steward_client, dataset):
    records_on(dataset, dt.date(2001, 1, 1), dt.date(2002, 1, 1), timezone.localdate())
    response = steward_client.get(reverse("admin:incidents_dataset_retention"))
    assert response.status_code == 200
    body = response.content.decode()
    assert dataset.name in body
    row = body[body.index(dataset.name) :]
    assert re.search(r"<td>2</td>", row[: row.index("</tr>")])
    assert IncidentRecord.objects.filter(dataset=dataset).count() == 3  # a preview deletes nothing
    changelist = steward_client.get(reverse("admin:incidents_dataset_changelist"))
    assert reverse("admin:incidents_dataset_retention") in changelist.content.decode()


def test_the_preview_is_refused_to_staff_without_dataset_rights(staff_client):
    response = staff_client.get(reverse("admin:incidents_dataset_retention"))
    assert response.status_code == 403


def test_the_preview_is_refused_to_people_who_are_not_staff(alice_client):
    response = alice_client.get(reverse("admin:incidents_dataset_retention"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# -- raw upload files --------------------------------------------------------------------------
def _upload(dataset, *, status=Upload.Status.IMPORTED, finished_days_ago: int | None = 0) -> Upload:
    upload = Upload(
        dataset=dataset, original_filename="extract.csv", sha256="a" * 64, status=status
    )
    upload.file.save("extract.csv", ContentFile(b"ref,month\n1,2024-01\n"), save=False)
    upload.error_report.save("errors.csv", ContentFile(b"row,problem\n"), save=False)
    if finished_days_ago is not None:
        upload.finished_at = timezone.now() - dt.timedelta(days=finished_days_ago)
    upload.save()
    return upload


def test_raw_files_are_deleted_after_the_configured_days_and_records_keep_their_hashes(
    dataset, settings
):
    settings.UPLOAD_FILE_KEEP_DAYS = 30
    old = _upload(dataset, finished_days_ago=31)
    recent = _upload(dataset, finished_days_ago=29)
    importing = _upload(dataset, status=Upload.Status.IMPORTING, finished_days_ago=None)
    record = RecordFactory(dataset=dataset, upload=old)
    paths = [Path(old.file.path), Path(old.error_report.path)]

    with django_capture_on_commit():
        assert retention.upload_files_retention_run() == 1

    old.refresh_from_db()
    assert not old.file and not old.error_report
    assert not any(p.exists() for p in paths)
    assert old.rows_total == 0 and old.sha256 == "a" * 64  # the upload's record stays
    assert IncidentRecord.objects.get(pk=record.pk).row_hash == record.row_hash
    for kept in (recent, importing):
        kept.refresh_from_db()
        assert default_storage.exists(kept.file.name)
    (event,) = AuditEvent.objects.filter(action="retention.upload_file_deleted")
    assert event.object_id == str(old.pk)
    assert event.dataset_id == dataset.pk


def test_a_withdrawn_uploads_file_is_deleted_at_withdrawal(dataset, alice):
    from incidents.importing.services import upload_withdraw

    upload = _upload(dataset, finished_days_ago=0)
    path = Path(upload.file.path)
    with django_capture_on_commit():
        upload_withdraw(upload=upload, user=alice)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.WITHDRAWN
    assert not upload.file
    assert not path.exists()
    assert AuditEvent.objects.filter(action="retention.upload_file_deleted").count() == 1


# -- the daily task ----------------------------------------------------------------------------
def test_the_daily_task_does_nothing_while_another_run_holds_the_lock(dataset):
    records_on(dataset, dt.date(2001, 1, 1))
    cache.add(RETENTION_LOCK, "other-run", timeout=60)
    assert retention_incidents_task.apply().get() == "already running"
    assert IncidentRecord.objects.filter(dataset=dataset).count() == 1
    cache.delete(RETENTION_LOCK)
    assert retention_incidents_task.apply().get().startswith("records 1 in 1 datasets")
    assert not IncidentRecord.objects.filter(dataset=dataset).exists()
    assert cache.get(RETENTION_LOCK) is None


def test_the_daily_jobs_are_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "core.tasks.retention_core_task",
        "incidents.tasks.retention_incidents_task",
        "surveys.tasks.retention_surveys_task",
    } <= tasks


def test_every_retention_setting_is_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name in (
        "AUDIT_RETENTION_DAYS",
        "RETENTION_BATCH_SIZE",
        "UPLOAD_FILE_KEEP_DAYS",
        "SURVEY_CONTACT_KEEP_MONTHS",
        "RETENTION_HOUR",
    ):
        assert f"| `{name}` |" in readme, name


def django_capture_on_commit():
    """Run on-commit callbacks at the end of the block (the test's transaction never commits)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_an_upload_never_confirmed_loses_its_file_and_says_so(dataset, settings):
    settings.UPLOAD_FILE_KEEP_DAYS = 30
    waiting = _upload(dataset, status=Upload.Status.VALIDATED, finished_days_ago=None)
    Upload.objects.filter(pk=waiting.pk).update(uploaded_at=timezone.now() - dt.timedelta(days=31))
    with django_capture_on_commit():
        assert retention.upload_files_retention_run() == 1
    waiting.refresh_from_db()
    assert waiting.status == Upload.Status.FAILED
    assert "Upload it again" in waiting.problem
    assert not waiting.file
