"""Exporting the delivery plan: CSV and XLSX, filtered, formula-escaped and audited."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import tablib
from django.urls import reverse
from import_export.formats.base_formats import CSV

from core.models import AuditEvent
from tests.strategy.factories import ActionFactory, MilestoneFactory

DANGEROUS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1"]


def _rows_csv(response) -> list[dict[str, str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
def test_csv_export_has_one_row_per_action_with_readable_columns(alice_client, action_a, org_b):
    action_a.supporting_organisations.add(org_b)
    MilestoneFactory(action=action_a, title="Patrol plan agreed")
    response = alice_client.get(reverse("strategy:plan_export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="delivery-plan-2023-2025.csv"'
    (row,) = _rows_csv(response)
    assert row["Action"] == "Hotspot patrols"
    assert row["Lead organisation"] == "Testshire Police"
    assert row["Supporting organisations"] == "Testshire Integrated Care Board"
    assert row["Status"] == "On track"
    assert row["Overdue"] == "No"
    assert row["Milestones"].startswith("Patrol plan agreed (due ")


@pytest.mark.django_db
def test_export_escapes_formulae_in_csv(alice_client, theme, org_a):
    for title in DANGEROUS:
        ActionFactory(theme=theme, lead_organisation=org_a, title=title, funding_source=title)
    response = alice_client.get(reverse("strategy:plan_export", args=["csv"]))
    titles = {row["Action"] for row in _rows_csv(response)}
    assert titles == {"'" + t for t in DANGEROUS}
    for row in _rows_csv(response):
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", value


@pytest.mark.django_db
def test_export_escapes_formulae_in_xlsx(alice_client, theme, org_a):
    ActionFactory(theme=theme, lead_organisation=org_a, title="=1+2", description="@cmd")
    response = alice_client.get(reverse("strategy:plan_export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    row = dict(zip(headers, rows[1], strict=True))
    assert row["Action"] == "'=1+2"
    assert row["Description"] == "'@cmd"
    # No cell was stored as a formula.
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)


@pytest.mark.django_db
def test_export_follows_the_filters(alice_client, action_a, action_b, org_b):
    response = alice_client.get(
        reverse("strategy:plan_export", args=["csv"]), {"lead_organisation": org_b.pk}
    )
    assert [row["Action"] for row in _rows_csv(response)] == ["Youth workers in A&E"]


@pytest.mark.django_db
def test_export_is_audited(alice, alice_client, action_a):
    alice_client.get(reverse("strategy:plan_export", args=["xlsx"]))
    event = AuditEvent.objects.get(action="strategy.plan_exported")
    assert event.actor == alice
    assert event.detail == {"format": "xlsx", "rows": 1}


@pytest.mark.django_db
def test_anonymous_cannot_export(anonymous, action_a):
    response = anonymous.get(reverse("strategy:plan_export", args=["csv"]))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))
    assert not AuditEvent.objects.filter(action__startswith="strategy.").exists()


@pytest.mark.django_db
def test_unknown_format_is_404(alice_client, action_a):
    assert alice_client.get(reverse("strategy:plan_export", args=["json"])).status_code == 404


def test_library_setting_alone_would_not_be_enough(settings):
    """Why escaping is ours: IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading '='."""
    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    dataset = tablib.Dataset(["=1+2", "+1+1", "@SUM(A1)", "-2+3"], headers=["a", "b", "c", "d"])
    exported = CSV().export_data(dataset)
    assert exported.splitlines()[1] == "1+2,+1+1,@SUM(A1),-2+3"


@pytest.mark.django_db
def test_staff_admin_export_is_escaped_and_audited(staff, staff_client, theme, org_a):
    ActionFactory(theme=theme, lead_organisation=org_a, title="+SUM(1,2)")
    url = reverse("admin:strategy_action_export")
    page = staff_client.get(url).content.decode()
    assert ">csv<" in page.lower() and ">xlsx<" in page.lower()
    assert ">json<" not in page.lower()
    response = staff_client.post(
        url,
        {
            "format": "0",
            "resource": "0",
            "actionresource_reference": "on",
            "actionresource_title": "on",
        },
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "'+SUM(1,2)" in text
    event = AuditEvent.objects.get(action="strategy.plan_exported")
    assert event.actor == staff
    assert event.detail["from"] == "admin"


@pytest.mark.django_db
def test_partners_cannot_use_the_admin_export(lead_client, action_a):
    response = lead_client.get(reverse("admin:strategy_action_export"))
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]
