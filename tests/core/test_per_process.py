"""The per-process reads behind the layout and the survey journey."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.per_process import reverse_cached, row_version
from partners.models import Partnership

pytestmark = pytest.mark.django_db


def test_reverse_cached_gives_what_reverse_gives():
    assert reverse_cached("surveys:start", "a-survey") == reverse(
        "surveys:start", args=["a-survey"]
    )
    assert reverse_cached("surveys:index") == reverse("surveys:index")


def test_row_version_is_the_rows_id_and_updated_at(partnership):
    stored = Partnership.objects.values_list("pk", "updated_at").get()
    version = row_version(Partnership)
    assert version[0] == stored[0]
    partnership.name = "Renamed partnership"
    partnership.save()
    assert row_version(Partnership) != version
    assert row_version(Partnership, "name", "Renamed partnership")[0] == partnership.pk
    assert row_version(Partnership, "name", "No such partnership") is None
