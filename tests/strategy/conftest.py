from __future__ import annotations

import pytest

from strategy.models import Strategy
from tests.strategy.factories import (
    ActionFactory,
    LocalDefinitionFactory,
    PrincipleFactory,
    ThemeFactory,
)


@pytest.fixture
def strategy(db):
    """A published strategy with a definition, one theme and one principle."""
    strategy = ThemeFactory(strategy__status=Strategy.Status.PUBLISHED, name="Place based").strategy
    LocalDefinitionFactory(strategy=strategy, version=1)
    PrincipleFactory(strategy=strategy, name="Collaboration")
    return strategy


@pytest.fixture
def theme(strategy):
    return strategy.themes.get()


@pytest.fixture
def action_a(theme, org_a):
    """An action led by organisation A (police)."""
    return ActionFactory(theme=theme, lead_organisation=org_a, title="Hotspot patrols")


@pytest.fixture
def action_b(theme, org_b):
    """An action led by organisation B (health)."""
    return ActionFactory(theme=theme, lead_organisation=org_b, title="Youth workers in A&E")
