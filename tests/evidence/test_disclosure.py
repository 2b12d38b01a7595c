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


def test_others_see_rounded_counts_and_stars(evidence_data, carol):
    audience = Audience.for_user(carol)
    assert not audience.exact_ids
    where = selectors.evidence_where(query=_query(), audience=audience)
    counts = [row[2] for row in where.tables["ward"].rows]
    assert all(c == "*" or c % 5 == 0 for c in counts)
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
