"""The accessibility page explains, for everyone, how figures are protected (issue 10)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_methodology_is_public_and_describes_the_cell_key_method(anonymous):
    page = anonymous.get(reverse("core:accessibility"))
    assert page.status_code == 200
    html = page.content.decode()
    section = html.split('id="disclosure-control"', 1)[1]
    for words in ("cell key", "record key", "1 to 7", "10", "too few to show", "256", "ward"):
        assert words in section, words
    # The table on the page is the ptable the code uses.
    from core.disclosure import PERTURBATION_KEYS

    for change, keys in PERTURBATION_KEYS.items():
        if change > 0:
            assert f">{keys} each<" in section
    assert f">{PERTURBATION_KEYS[0]}<" in section
