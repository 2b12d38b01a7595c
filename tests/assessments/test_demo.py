"""The demo's SNA editions: one of each audience, queued for the worker, once."""

from __future__ import annotations

from io import StringIO

import pytest

from assessments import demo, services
from assessments.models import Audience, Edition

pytestmark = pytest.mark.django_db


def test_demo_queues_one_edition_of_each_audience_once(
    evidence_data, staff, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[tuple] = []
    monkeypatch.setattr(services.edition_generate_task, "delay", lambda *a: queued.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(stdout=StringIO())
    editions = list(Edition.objects.order_by("audience"))
    assert [e.audience for e in editions] == [Audience.PUBLIC, Audience.RESTRICTED]
    assert all(e.status == Edition.Status.QUEUED for e in editions)
    assert sorted(q[0] for q in queued) == sorted(e.pk for e in editions)
    restricted = next(e for e in editions if e.audience == Audience.RESTRICTED)
    assert restricted.datasets.count() == 2
    assert restricted.recommendations.count() == 2

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(stdout=out)
    assert Edition.objects.count() == 2
    assert len(queued) == 2, "a second seed queues nothing new"
    assert "already" in out.getvalue()


def test_demo_without_records_does_nothing(db):
    out = StringIO()
    demo.seed(stdout=out)
    assert not Edition.objects.exists()
    assert "no incident records" in out.getvalue()
