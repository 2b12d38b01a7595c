"""Readers without record-level access see disclosure-controlled figures; hidden ones go nowhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from evidence import selectors
from evidence.query import Audience, EvidenceQuery, Subject

pytestmark = pytest.mark.django_db


def _values(spec) -> list[dict]:
    """Every data row a Vega-Lite spec carries (at any layer)."""
    if isinstance(spec, dict):
        rows = list(spec.get("values", [])) if isinstance(spec.get("values"), list) else []
        for value in spec.values():
            rows += _values(value)
        return rows
    if isinstance(spec, list):
        return [row for item in spec for row in _values(item)]
    return []


def _query(**kwargs):
    return EvidenceQuery(
        subject=Subject(kind="categories", category_slugs=("violence",)),
        start=dt.date(2023, 1, 1),
        end=dt.date(2023, 12, 1),
        **kwargs,
    )


def test_owner_sees_exact_figures_of_their_dataset(evidence_data, alice):
    police = evidence_data["police"]
    audience = Audience.for_user(alice)
    assert police.pk in audience.exact_ids and evidence_data["istv"].pk not in audience.exact_ids
    where = selectors.evidence_where(query=_query(dataset_ids=(police.pk,)), audience=audience)
    assert where.context.exact
    counts = [row[2] for row in where.tables["lsoa"].rows]
    assert all(isinstance(c, int) for c in counts)
    assert any(c % 5 for c in counts)  # not rounded


def test_others_see_perturbed_counts_and_stars(evidence_data, carol):
    audience = Audience.for_user(carol)
    assert not audience.exact_ids
    where = selectors.evidence_where(query=_query(), audience=audience)
    exact = selectors.evidence_where(
        query=_query(), audience=Audience.restricted(audience.visible_ids)
    )
    exact_by_ward = {row[0]: row[2] for row in exact.tables["ward"].rows}
    rows = where.tables["ward"].rows
    assert rows
    for row in rows:
        shown, true = row[2], exact_by_ward[row[0]]
        if shown == "*":
            continue
        # The cell key method: never a small figure, at most 5 from the true count.
        assert shown == 0 or shown > 7
        assert abs(shown - true) <= 5
    trend = selectors.evidence_trend(
        query=EvidenceQuery(
            subject=Subject(kind="priority", priority_slug="knife-crime"),
            start=dt.date(2023, 1, 1),
            end=dt.date(2023, 12, 1),
            area=selectors.Area(level="district", code="E07000002"),
            dataset_ids=(evidence_data["istv"].pk,),
        ),
        audience=audience,
    )
    hidden = [row for row in trend.table.rows if row[1] == "*"]
    assert hidden, "small monthly counts are hidden"
    # Hidden months are never charted, compared or put in a control chart.
    charted = {p["month"][:7] for p in _values(trend.chart.spec)} if trend.chart else set()
    assert charted
    for row in hidden:
        assert row[4] in ("", "Not shown")
        assert dt.datetime.strptime(row[0], "%b %Y").strftime("%Y-%m") not in charted
    assert trend.spc_chart is None and "never charted" in trend.spc_note


def test_hidden_wards_are_not_shaded_or_ranked(evidence_data, carol, client):
    client.force_login(carol)
    response = client.get(
        reverse("evidence:where")
        + "?start=2023-01&end=2023-03&subject=priority&priority=knife-crime"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "too few to publish" in page or "*" in page
    for title in re.findall(r"<title>([^<]*)</title>", page):
        if "not shown" in title:
            assert "per 1,000" not in title


def test_public_summary_hides_lsoas_for_sensitive_subjects(evidence_data, knife):
    knife.is_sensitive = True
    knife.save()
    audience = Audience.public([evidence_data["police"].pk])
    where = selectors.evidence_where(
        query=EvidenceQuery(
            subject=Subject(kind="priority", priority_slug=knife.slug),
            start=dt.date(2023, 1, 1),
            end=dt.date(2023, 12, 1),
        ),
        audience=audience,
    )
    assert "lsoa" not in where.tables and where.lsoa_map is None
    assert where.lsoas_hidden_reason


def test_weighted_hour_cells_are_perturbed_by_their_records_keys(evidence_data, carol, monkeypatch):
    """Aoristic (weighted) hour cells carry the key sum of every record weighing on them, so the
    cell key method perturbs them like any other cell: a cell key of 0 for every weighted cell
    would make each figure a fixed function of its count, which differencing can undo."""
    from evidence import publish
    from evidence.cubes import cubes_refresh
    from incidents.models import IncidentRecord

    for dataset in (evidence_data["police"], evidence_data["istv"]):
        IncidentRecord.objects.filter(dataset=dataset).update(cell_key=3)
        cubes_refresh(dataset_id=dataset.pk)
    seen: list[list[publish.CubeCell]] = []
    real = publish.publish_cells

    def spy(cells, **kwargs):
        seen.append(list(cells))
        return real(cells, **kwargs)

    monkeypatch.setattr(selectors, "publish_cells", spy)
    result = selectors.evidence_when(query=_query(), audience=Audience.for_user(carol))
    assert result is not None
    weighted = [cell for line in seen for cell in line if cell.records]
    assert weighted, "the hour grid had records"
    assert all(cell.cell_key_sum > 0 for cell in weighted)


def test_who_summary_shows_only_published_figures(evidence_data, carol):
    result = selectors.evidence_who(query=_query(), audience=Audience.for_user(carol))
    published = {
        str(cell) for row in result.tables["victim"].rows for cell in row[1:] if cell != "*"
    }
    for chart in result.charts.values():
        if chart is None:
            continue
        numbers = re.findall(r"known for ([\d,*]+) of ([\d,*]+)", chart.summary)
        assert numbers, chart.summary
        for figure in numbers[0]:
            assert figure == "*" or int(figure.replace(",", "")) > 7 or figure == "0"
    assert published
