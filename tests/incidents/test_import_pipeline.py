# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""The pipeline's guarantees: all or nothing, same file twice is a no-op, changes in place,
withdrawal restores, formats read as documented."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from incidents.importing import services
from incidents.models import IncidentRecord, RecordVersion, Upload
from tests.incidents.factories import priority_slugs
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    IN_AREA,
    IN_AREA_2,
    OUTSIDE,
    categories,
    geography,
    istv_dataset,
    police_csv,
    police_dataset,
    police_row,
    run,
    template_csv,
    template_dataset,
    template_row,
    write,
)

pytestmark = pytest.mark.django_db


def test_police_uk_file_is_imported_verbatim(police_dataset, tmp_path, alice):
    path = write(
        tmp_path,
        "2022-01-street.csv",
        police_csv(
            police_row("abc1", crime_type="Robbery"),
            police_row("", crime_type="Anti-social behaviour", outcome=""),
            police_row("abc3", lsoa=OUTSIDE),
        ),
    )
    upload = run(police_dataset, path, alice)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    assert (upload.rows_total, upload.rows_new, upload.rows_outside_area) == (3, 3, 1)
    robbery = IncidentRecord.objects.get(source_ref="abc1")
    assert robbery.occurred_on == dt.date(2022, 1, 1)
    assert robbery.date_precision == "month"
    assert robbery.category.slug == "robbery"
    assert robbery.lsoa.code == IN_AREA and not robbery.outside_area
    assert robbery.latitude == Decimal("52.240000")
    assert robbery.location_text == "On or near High Street"
    assert robbery.upload == upload
    assert IncidentRecord.objects.get(source_ref="abc3").outside_area is True
    asb = IncidentRecord.objects.get(category__slug="anti-social-behaviour")
    assert asb.source_ref.startswith("asb-") and asb.outcome == ""
    # Created records carry the upload instead of a version row each (withdrawal finds them so).
    assert not RecordVersion.objects.filter(upload=upload).exists()
    assert IncidentRecord.objects.filter(upload=upload).count() == 3
    assert AuditEvent.objects.filter(action="upload.import", object_id=str(upload.pk)).exists()


def test_asb_reference_is_deterministic_across_files(police_dataset, tmp_path):
    row = police_row("", crime_type="Anti-social behaviour", outcome="")
    first = run(police_dataset, write(tmp_path, "a.csv", police_csv(row)))
    second = run(police_dataset, write(tmp_path, "b.csv", police_csv(row)))
    assert (first.rows_new, second.rows_new, second.rows_unchanged) == (1, 0, 1)


def test_police_uk_repeats_of_one_crime_id_in_a_month_are_all_kept(police_dataset, tmp_path):
    # data.police.uk itself publishes some Crime IDs twice in one month's file.
    content = police_csv(
        police_row("dup", lsoa=IN_AREA),
        police_row("dup", lsoa=IN_AREA_2),
        police_row("", crime_type="Anti-social behaviour", outcome=""),
        police_row("", crime_type="Anti-social behaviour", outcome=""),
    )
    upload = run(police_dataset, write(tmp_path, "m.csv", content))
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    refs = sorted(IncidentRecord.objects.values_list("source_ref", flat=True))
    assert len(refs) == 4
    assert "dup" in refs and "dup#2" in refs


def test_same_file_twice_changes_nothing(police_dataset, tmp_path):
    content = police_csv(police_row("a1"), police_row("a2"), police_row("a3", lsoa=OUTSIDE))
    first = run(police_dataset, write(tmp_path, "one.csv", content))
    before = list(IncidentRecord.objects.order_by("pk").values())
    second = run(police_dataset, write(tmp_path, "again.csv", content))
    assert second.status == Upload.Status.IMPORTED
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (0, 0, 3)
    assert list(IncidentRecord.objects.order_by("pk").values()) == before
    assert not RecordVersion.objects.filter(upload=second).exists()
    assert first.sha256 == second.sha256


def test_changed_row_updates_its_record_in_place(template_dataset, tmp_path):
    run(
        template_dataset,
        write(tmp_path, "v1.csv", template_csv(template_row("T1"), template_row("T2"))),
    )
    record = IncidentRecord.objects.get(source_ref="T1")
    second = run(
        template_dataset,
        write(
            tmp_path,
            "v2.csv",
            template_csv(template_row("T1", outcome="Charged", weapon="none"), template_row("T2")),
        ),
    )
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (0, 1, 1)
    updated = IncidentRecord.objects.get(source_ref="T1")
    assert updated.pk == record.pk
    assert (updated.outcome, updated.weapon, updated.upload_id) == ("Charged", "none", second.pk)
    version = RecordVersion.objects.get(upload=second)
    assert version.created is False and version.record_id == record.pk
    assert version.previous["outcome"] == "Under investigation"


def test_template_values_are_normalised(template_dataset, tmp_path):
    upload = run(
        template_dataset,
        write(
            tmp_path, "t.csv", template_csv(template_row("T9", date="14/03/2022", category="34B"))
        ),
    )
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    record = IncidentRecord.objects.get(source_ref="T9")
    assert record.occurred_on == dt.date(2022, 3, 14)
    assert record.date_precision == "datetime"
    # 22:30 UK time in March (GMT) is 22:30 UTC.
    assert record.occurred_at == dt.datetime(2022, 3, 14, 22, 30, tzinfo=dt.UTC)
    assert record.category.slug == "violence"  # through the template's category mapping
    assert (record.weapon, record.alcohol_involved, record.domestic_abuse) == ("knife", True, False)
    assert record.exploitation is None
    assert (record.victim_age_band, record.suspect_age_band) == ("18-24", "unknown")


def test_withdraw_removes_created_and_restores_changed(template_dataset, tmp_path, alice):
    first = run(template_dataset, write(tmp_path, "v1.csv", template_csv(template_row("T1"))))
    original = IncidentRecord.objects.values().get(source_ref="T1")
    second = run(
        template_dataset,
        write(
            tmp_path,
            "v2.csv",
            template_csv(
                template_row("T1", outcome="Charged", occurred_time="", latitude="", category=""),
                template_row("T2"),
            ),
        ),
    )
    assert (second.rows_new, second.rows_changed) == (1, 1)
    assert services.withdraw_problem(first) is not None  # a later upload exists
    with pytest.raises(services.UploadRefused):
        services.upload_withdraw(upload=first, user=alice)
    withdrawn = services.upload_withdraw(upload=second, user=alice)
    assert withdrawn.status == Upload.Status.WITHDRAWN and withdrawn.withdrawn_by == alice
    assert not IncidentRecord.objects.filter(source_ref="T2").exists()
    assert IncidentRecord.objects.values().get(source_ref="T1") == original
    # Then the earlier upload is the latest and can go too.
    services.upload_withdraw(upload=Upload.objects.get(pk=first.pk), user=alice)
    assert not IncidentRecord.objects.exists()
    assert AuditEvent.objects.filter(action="upload.withdraw").count() == 2


def test_istv_extract_is_read_by_its_documented_headings(istv_dataset, tmp_path):
    content = (
        "Site code,Attendance reference,Reporting period start,Reporting period end,"
        "Arrival date,Arrival time,Assault date,Assault time,Assault location type,"
        "Assault location description,Assault method,Assault method other description,"
        "Patient age band,Patient sex,LSOA code\n"
        "RNS01,A-001,2022-03-01,2022-03-31,2022-03-13,01:10,2022-03-12,23:40,Pub,"
        "The Bell,Knife,,18-24,male,\n"
        "RNS01,A-002,2022-03-01,2022-03-31,2022-03-14,,,,Street,Market Square,Body,,25-34,"
        f"female,{IN_AREA}\n"
    )
    upload = run(istv_dataset, write(tmp_path, "istv.csv", content))
    assert upload.status == Upload.Status.IMPORTED, (upload.problem, upload.first_errors)
    first = IncidentRecord.objects.get(source_ref="RNS01:A-001")
    assert (first.location_type, first.weapon, first.victim_age_band) == (
        "licensed_premises",
        "knife",
        "18-24",
    )
    assert first.occurred_on == dt.date(2022, 3, 12) and first.date_precision == "datetime"
    second = IncidentRecord.objects.get(source_ref="RNS01:A-002")
    assert second.occurred_on == dt.date(2022, 3, 14) and second.date_precision == "day"
    assert (second.weapon, second.lsoa.code) == ("none", IN_AREA)


def test_template_xlsx_is_imported(template_dataset, tmp_path):
    from openpyxl import Workbook

    from incidents.importing.spec import TEMPLATE_FIELD_NAMES

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(list(TEMPLATE_FIELD_NAMES))
    sheet.append(
        [
            "X1",
            dt.datetime(2022, 3, 14),
            "21:05",
            "Robbery",
            IN_AREA,
            "=1+1",
            52.24,
            -0.9,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    path = tmp_path / "data.xlsx"
    workbook.save(path)
    upload = run(template_dataset, path)
    assert upload.status == Upload.Status.IMPORTED, (upload.problem, upload.first_errors)
    record = IncidentRecord.objects.get(source_ref="X1")
    assert record.occurred_on == dt.date(2022, 3, 14)
    assert record.location_text == "=1+1"  # a formula is stored as its text, never evaluated


def test_downloadable_template_imports_as_is(template_dataset, tmp_path):
    from incidents.importing.spec import TEMPLATE_FIELD_BY_NAME, template_xlsx
    from incidents.importing.spec import template_csv as generated_csv
    from tests.incidents.factories import LsoaFactory

    # The example row names no partnership's LSOA: any loaded geography that has it takes it.
    LsoaFactory(code=TEMPLATE_FIELD_BY_NAME["lsoa_code"].example, in_area=True)
    upload = run(template_dataset, write(tmp_path, "template.csv", generated_csv()))
    assert upload.status == Upload.Status.IMPORTED, upload.first_errors
    (tmp_path / "template.xlsx").write_bytes(template_xlsx())
    again = run(template_dataset, tmp_path / "template.xlsx")
    assert again.status == Upload.Status.IMPORTED, again.first_errors
    assert again.rows_unchanged == 1


def test_tasks_are_idempotent(police_dataset, tmp_path, alice):
    from incidents.importing.tasks import upload_check_task, upload_import_task

    with open(write(tmp_path, "p.csv", police_csv(police_row("z1"))), "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=alice, file=handle, filename="p.csv", queue_check=False
        )
    assert upload_check_task.apply(args=[upload.pk]).get() == "validated"
    assert upload_check_task.apply(args=[upload.pk]).get() == "validated"  # re-delivered
    services.upload_confirm(upload=upload, user=alice, queue_import=False)
    assert upload_import_task.apply(args=[upload.pk]).get() == "imported"
    assert upload_import_task.apply(args=[upload.pk]).get() == "imported"  # re-delivered
    assert IncidentRecord.objects.filter(upload=upload).count() == 1
    assert not RecordVersion.objects.filter(upload=upload).exists()


def test_confirm_queues_import_on_commit(
    police_dataset, tmp_path, alice, django_capture_on_commit_callbacks
):
    path = write(tmp_path, "p.csv", police_csv(police_row("q1")))
    with django_capture_on_commit_callbacks(execute=True), open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=alice, file=handle, filename="p.csv"
        )
    upload.refresh_from_db()
    assert upload.status == Upload.Status.VALIDATED
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.upload_confirm(upload=upload, user=alice)
    assert len(callbacks) == 1
    assert not IncidentRecord.objects.exists()  # nothing runs before the commit
    callbacks[0]()
    upload.refresh_from_db()
    assert upload.status == Upload.Status.IMPORTED
    assert IncidentRecord.objects.count() == 1


def test_lapsed_agreement_refuses_upload(police_dataset, tmp_path, alice):
    agreement = police_dataset.agreements.get()
    agreement.end_date = dt.date(2023, 1, 31)
    agreement.start_date = dt.date(2022, 1, 1)
    agreement.save()
    with pytest.raises(services.UploadRefused, match="lapsed on 31 January 2023"):
        run(police_dataset, write(tmp_path, "p.csv", police_csv(police_row())))
    assert not Upload.objects.exists()


def test_command_imports_and_prints_summary(police_dataset, tmp_path, capsys):
    path = write(tmp_path, "p.csv", police_csv(police_row("c1"), police_row("c2", lsoa=OUTSIDE)))
    call_command("import_incidents", "--dataset", "police-uk-street", str(path))
    out = capsys.readouterr().out
    assert "p.csv: imported." in out
    assert "2 new records" in out and "1 outside the partnership area" in out
    assert IncidentRecord.objects.count() == 2


def test_command_exits_non_zero_on_refusal(police_dataset, tmp_path, capsys):
    path = write(tmp_path, "bad.csv", police_csv(police_row("c1", lsoa="E01999999")))
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_incidents", "--dataset", "police-uk-street", str(path))
    err = capsys.readouterr().err
    assert "E01999999 is not a known LSOA code" in err
    assert not IncidentRecord.objects.exists()


def test_command_refuses_unknown_dataset(db, tmp_path):
    with pytest.raises(CommandError, match="No dataset"):
        call_command("import_incidents", "--dataset", "nope", str(write(tmp_path, "a.csv", "x")))


def test_welsh_lsoa_without_welsh_geography_is_outside_the_area(police_dataset, tmp_path):
    # police.uk files near the border carry Welsh (W01) LSOAs; no Welsh LSOA is loaded at all.
    upload = run(
        police_dataset, write(tmp_path, "w.csv", police_csv(police_row("w1", lsoa="W01001879")))
    )
    assert upload.status == Upload.Status.IMPORTED, upload.first_errors
    record = IncidentRecord.objects.get()
    assert record.lsoa is None and record.outside_area is True
    assert upload.rows_outside_area == 1


def test_unknown_english_lsoa_is_still_an_error(police_dataset, tmp_path):
    upload = run(
        police_dataset, write(tmp_path, "e.csv", police_csv(police_row("e1", lsoa="E01999998")))
    )
    assert upload.status == Upload.Status.INVALID
    assert not IncidentRecord.objects.exists()


def test_unexpected_error_marks_the_upload_failed_and_writes_nothing(
    template_dataset, tmp_path, alice, monkeypatch
):
    path = write(tmp_path, "ok.csv", template_csv(template_row("T1")))
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=template_dataset, user=alice, file=handle, filename="ok.csv", queue_check=False
        )
    services.upload_check(upload_id=upload.pk)
    services.upload_confirm(upload=upload, user=alice, queue_import=False)

    def broken(self, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("incidents.importing.staging.Stage.write", broken)
    with pytest.raises(RuntimeError):
        services.upload_import(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.FAILED
    assert "unexpected error" in upload.problem
    assert not IncidentRecord.objects.exists()


def test_dataset_column_mapping_maps_a_partners_own_headings(template_dataset, tmp_path):
    template_dataset.column_mapping = {"Incident ref": "reference", "Date": "occurred_date"}
    template_dataset.save()
    content = "Incident ref,Date,lsoa_code,weapon\nYOS-1,2022-04-02,E01027117,knife\n"
    upload = run(template_dataset, write(tmp_path, "yos.csv", content))
    assert upload.status == Upload.Status.IMPORTED, (upload.problem, upload.first_errors)
    record = IncidentRecord.objects.get(source_ref="YOS-1")
    assert (record.occurred_on, record.weapon) == (dt.date(2022, 4, 2), "knife")
    bad = run(
        template_dataset,
        write(tmp_path, "yos2.csv", "Incident ref,Date\nYOS-2,2022-04-31\n"),
    )
    assert bad.first_errors == [
        {"row": 2, "column": "Date", "reason": "2022-04-31 is not a real date"}
    ]


def test_records_still_protect_their_areas_categories_and_upload(police_dataset, tmp_path):
    # The record tables have no database foreign keys (see incidents/models.py): the ORM's
    # on_delete emulation is what keeps areas and categories in use from being deleted.
    from django.db.models import ProtectedError

    from incidents.models import CrimeCategory, Lsoa

    upload = run(police_dataset, write(tmp_path, "p.csv", police_csv(police_row("k1"))))
    record = IncidentRecord.objects.get(source_ref="k1")
    with pytest.raises(ProtectedError):
        Lsoa.objects.filter(code=IN_AREA).delete()
    with pytest.raises(ProtectedError):
        CrimeCategory.objects.filter(pk=record.category_id).delete()
    upload.delete()
    record.refresh_from_db()
    assert record.upload_id is None  # SET_NULL
    assert not RecordVersion.objects.filter(upload_id=upload.pk).exists()  # CASCADE
    record.delete()
    assert not IncidentRecord.objects.exists()


def test_import_refuses_when_an_area_it_uses_is_deleted_meanwhile(
    police_dataset, tmp_path, monkeypatch
):
    from incidents.importing.staging import Stage
    from incidents.models import Lsoa

    original = Stage.counts

    def count_then_delete_area(stage, dataset_id, **kwargs):
        counts = original(stage, dataset_id, **kwargs)  # the import has staged (or reused) rows…
        Lsoa.objects.filter(code=IN_AREA_2).delete()  # …when someone deletes an area they use
        return counts

    path = write(tmp_path, "p.csv", police_csv(police_row("g1"), police_row("g2", lsoa=IN_AREA_2)))
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=None, file=handle, filename="p.csv", queue_check=False
        )
    upload = services.upload_check(upload_id=upload.pk)
    upload = services.upload_confirm(upload=upload, user=None, queue_import=False)
    monkeypatch.setattr(Stage, "counts", count_then_delete_area)
    upload = services.upload_import(upload_id=upload.pk)
    assert upload.status == Upload.Status.FAILED
    assert "removed while it was importing" in upload.problem
    assert not IncidentRecord.objects.exists()
    assert Lsoa.objects.filter(code=IN_AREA_2).exists()  # rolled back with the import


def test_withdraw_also_removes_records_listed_as_created_by_an_older_import(
    template_dataset, tmp_path, alice
):
    # Imports before 2026-11-22 wrote a created=True version per new record; withdrawing such an
    # upload still removes them even if a record no longer carries the upload's id.
    upload = run(template_dataset, write(tmp_path, "v1.csv", template_csv(template_row("T1"))))
    record = IncidentRecord.objects.get(source_ref="T1")
    RecordVersion.objects.create(upload=upload, record=record, created=True, previous=None)
    IncidentRecord.objects.filter(pk=record.pk).update(upload=None)
    services.upload_withdraw(upload=upload, user=alice)
    assert not IncidentRecord.objects.exists()


def test_withdraw_keeps_records_of_other_uploads_and_datasets(
    template_dataset, police_dataset, tmp_path, alice
):
    first = run(template_dataset, write(tmp_path, "a.csv", template_csv(template_row("A1"))))
    run(police_dataset, write(tmp_path, "p.csv", police_csv(police_row("P1"))))
    second = run(template_dataset, write(tmp_path, "b.csv", template_csv(template_row("B1"))))
    services.upload_withdraw(upload=second, user=alice)
    assert sorted(IncidentRecord.objects.values_list("source_ref", flat=True)) == ["A1", "P1"]
    assert IncidentRecord.objects.get(source_ref="A1").upload_id == first.pk


def test_import_flags_created_records_and_reflags_changed_ones(
    template_dataset, tmp_path, categories
):
    from incidents.models import PriorityCrimeType, PriorityRule

    robbery = PriorityCrimeType.objects.create(slug="personal-robbery", name="Robbery")
    PriorityRule.objects.create(priority=robbery, name="Robbery").categories.set(
        [categories["robbery"]]
    )
    knife = PriorityCrimeType.objects.create(slug="knife-crime", name="Knife crime")
    PriorityRule.objects.create(priority=knife, name="Knife", weapons=["knife"])

    def slugs(ref: str) -> set[str]:
        return priority_slugs(IncidentRecord.objects.get(source_ref=ref))

    first = template_csv(
        template_row("F1", category="Robbery", weapon="none"),
        template_row("F2", category="Robbery", weapon="knife"),
    )
    assert run(template_dataset, write(tmp_path, "a.csv", first)).rows_new == 2
    assert slugs("F1") == {"personal-robbery"}
    assert slugs("F2") == {"personal-robbery", "knife-crime"}
    # F1 now involves a knife, F2 no longer does, F3 is new.
    second = template_csv(
        template_row("F1", category="Robbery", weapon="knife"),
        template_row("F2", category="Robbery", weapon="none"),
        template_row("F3", category="Robbery", weapon="knife"),
    )
    upload = run(template_dataset, write(tmp_path, "b.csv", second))
    assert (upload.rows_new, upload.rows_changed) == (1, 2)
    assert slugs("F1") == {"personal-robbery", "knife-crime"}
    assert slugs("F2") == {"personal-robbery"}
    assert slugs("F3") == {"personal-robbery", "knife-crime"}


def test_import_refuses_a_stored_file_changed_after_the_check(police_dataset, tmp_path):
    """The import checks the file's SHA-256 (beside the database work) before it commits."""
    path = write(tmp_path, "p.csv", police_csv(police_row("h1"), police_row("h2")))
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=police_dataset, user=None, file=handle, filename="p.csv", queue_check=False
        )
    upload = services.upload_check(upload_id=upload.pk)
    upload = services.upload_confirm(upload=upload, user=None, queue_import=False)
    with upload.file.storage.open(upload.file.name, "ab") as handle:
        handle.write(b"\n")
    upload = services.upload_import(upload_id=upload.pk)
    assert upload.status == Upload.Status.FAILED
    assert "changed after it was checked" in upload.problem
    assert not IncidentRecord.objects.exists()
