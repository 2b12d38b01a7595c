"""The differencing attack, run against the disclosure policy (issue 10, item 4).

The attacker signs in without record-level access and asks for as many overlapping periods and
filters as they like. They know the method and the perturbation table (both are documented), see
every figure shown, but not the data and not the records' keys (never shown to anyone). For each
figure shown as "*" they work out every true count consistent with everything they saw: an
integer programme over the unknown counts of the smallest pieces (month × filter value), each
figure shown constraining the sum of the pieces it covers to the counts that could have produced
it (``consistent``). They treat each figure's perturbation as unknown within the table's range;
the perturbations of overlapping figures are independent because each includes the unknown keys
of records the other does not count.

"Pinned" is what the issue calls a leak: the attacker narrows a suppressed count to one or two
values ("'*' pins it to 6 or 7"), where "*" alone says only "1 to the threshold". The old policy
(round to 5) does this deterministically, by the issue's own example and by anything hypothesis
finds (the property test runs against both policies and must fail for the old one); the cell
key method leaves at least three values.

What the cell key method leaves to chance: narrowing a count at the edge of its range takes two
overlapping figures whose perturbations are both at the extremes of the table (5 keys in 65,536
per pair), so the property test is derandomised (a failure must be reproducible, never a
flake); ``test_narrowing_by_chance_is_rare`` measures that rate over random keys.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from core.disclosure import (
    MAX_PERTURBATION,
    SENSITIVE,
    STANDARD,
    SUPPRESSED,
    Cell,
    Rule,
    disclose_cell,
    disclose_series,
    is_small,
)

MAX_ATOM = 40  # the attacker's bound on any piece's count (the data never exceeds 30)


# -- the two policies --------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    name: str
    cell: Callable[[int, int, Rule], Cell]
    series: Callable[[Sequence[tuple[int, int]], Rule], list[Cell]]
    # The counts above the threshold that can produce a shown figure (the attacker's inverse).
    counts_for: Callable[[int, Rule], tuple[int, int]]


@cache
def _cell_key_counts_for(shown: int, rule: Rule) -> tuple[int, int]:
    # Every count within MAX_PERTURBATION of the figure whose ptable row reaches it.
    candidates = [
        c
        for c in range(rule.threshold + 1, shown + MAX_PERTURBATION + 1)
        if any(disclose_cell(c, key, rule) == shown for key in range(256))
    ]
    return min(candidates), max(candidates)


CELL_KEY = Policy(
    name="cell key",
    cell=disclose_cell,
    series=disclose_series,
    counts_for=_cell_key_counts_for,
)


def _round5(count: int, key_sum: int, rule: Rule) -> Cell:
    """The policy before issue 10: '*' for 1 to the threshold, others rounded half up to 5."""
    if count == 0:
        return 0
    if is_small(count, rule):
        return SUPPRESSED
    return int((count + 2.5) // 5) * 5


def _round5_series(pairs: Sequence[tuple[int, int]], rule: Rule) -> list[Cell]:
    counts = [c for c, _k in pairs]
    hidden = {i for i, v in enumerate(counts) if is_small(v, rule)}
    if len(hidden) == 1:
        others = [i for i, v in enumerate(counts) if i not in hidden and v > 0]
        if others:
            hidden.add(min(others, key=lambda i: (counts[i], i)))
    return [SUPPRESSED if i in hidden else _round5(v, 0, rule) for i, v in enumerate(counts)]


ROUND_TO_FIVE = Policy(
    name="round to 5",
    cell=_round5,
    series=_round5_series,
    counts_for=lambda shown, rule: (max(shown - 2, rule.threshold + 1), shown + 2),
)


# -- the data and what is shown -----------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    """A period (first and last month, inclusive) and a filter (which groups it counts)."""

    first: int
    last: int
    groups: tuple[int, ...]

    def atoms(self, groups: int) -> list[int]:
        return [m * groups + g for m in range(self.first, self.last + 1) for g in self.groups]


@dataclass
class Shown:
    atoms: list[int]  # the pieces the figure counts
    cell: Cell
    true: int
    # "*" by primary suppression (1 to the threshold) or, in a line with a total, perhaps by
    # secondary suppression (any positive count): the attacker cannot tell which.
    star_means_small: bool


def publish(
    policy: Policy,
    counts: list[int],
    keys: list[int],
    queries: list[Query],
    groups: int,
    rule: Rule,
) -> list[Shown]:
    """Every figure the attacker sees: each query's total, and its months as a line."""
    shown: list[Shown] = []
    for query in queries:
        atoms = query.atoms(groups)
        count = sum(counts[a] for a in atoms)
        key = sum(keys[a] for a in atoms)
        shown.append(Shown(atoms, policy.cell(count, key, rule), count, star_means_small=True))
        months = [
            [m * groups + g for g in query.groups] for m in range(query.first, query.last + 1)
        ]
        line = [(sum(counts[a] for a in ms), sum(keys[a] for a in ms)) for ms in months]
        for ms, (count, _key), cell in zip(months, line, policy.series(line, rule), strict=True):
            shown.append(Shown(ms, cell, count, star_means_small=False))
    return shown


def consistent(policy: Policy, figure: Shown, rule: Rule) -> tuple[int, int]:
    """The true counts the figure could have come from, as the attacker works them out."""
    if figure.cell == SUPPRESSED:
        return (1, rule.threshold) if figure.star_means_small else (1, MAX_ATOM * 10)
    if figure.cell == 0:
        return (0, 0)
    return policy.counts_for(int(figure.cell), rule)


def feasible_range(
    policy: Policy, shown: list[Shown], target: Shown, atoms: int, rule: Rule
) -> tuple[int, int]:
    """The least and greatest true count of ``target`` consistent with every figure shown."""
    rows, low, high = [], [], []
    for figure in shown:
        row = np.zeros(atoms)
        row[figure.atoms] = 1
        lo, hi = consistent(policy, figure, rule)
        rows.append(row)
        low.append(lo)
        high.append(hi)
    constraints = LinearConstraint(np.array(rows), np.array(low), np.array(high))
    objective = np.zeros(atoms)
    objective[target.atoms] = 1
    ends = []
    for sign in (1, -1):
        result = milp(
            sign * objective,
            constraints=constraints,
            integrality=np.ones(atoms),
            bounds=Bounds(0, MAX_ATOM),
        )
        assert result.success, "the true data is always consistent"
        ends.append(round(sign * result.fun))
    return ends[0], ends[1]


def pinned(
    policy: Policy,
    counts: list[int],
    keys: list[int],
    queries: list[Query],
    groups: int,
    rule: Rule,
) -> list[tuple[int, tuple[int, int]]]:
    """(true count, what the attacker narrows it to) for each small count narrowed to ≤ 2 values."""
    shown = publish(policy, counts, keys, queries, groups, rule)
    found = []
    for figure in shown:
        if figure.cell != SUPPRESSED or not is_small(figure.true, rule):
            continue
        low, high = feasible_range(policy, shown, figure, len(counts), rule)
        assert low <= figure.true <= high
        if high - low <= 1:
            found.append((figure.true, (low, high)))
    return found


# -- strategies ---------------------------------------------------------------------------------
@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[int], list[int], list[Query], int, Rule]:
    months = draw(st.integers(2, 4))
    groups = draw(st.integers(1, 2))
    rule = draw(st.sampled_from([STANDARD, SENSITIVE]))
    counts = draw(
        st.lists(
            st.one_of(st.integers(0, rule.threshold), st.integers(0, 30)),
            min_size=months * groups,
            max_size=months * groups,
        )
    )
    # Record keys are uniform and independent, as in the portal; the seed makes them
    # reproducible, and a piece's key sum is the sum of its records' keys.
    rng = random.Random(draw(st.integers(0, 2**32)))
    keys = [sum(rng.randrange(256) for _ in range(n)) for n in counts]
    filters = [tuple(range(groups))] + ([(0,), (1,)] if groups == 2 else [])
    query = st.builds(
        lambda first, span, groups_: Query(first, min(first + span, months - 1), groups_),
        st.integers(0, months - 1),
        st.integers(0, months - 1),
        st.sampled_from(filters),
    )
    queries = draw(st.lists(query, min_size=2, max_size=6, unique=True))
    return counts, keys, queries, groups, rule


ATTACK = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    # No shrinking: a failure is reported as found (reproducible, as the run is derandomised),
    # and the old policy's expected failure does not spend half a minute minimising.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize(
    "policy",
    [
        CELL_KEY,
        pytest.param(
            ROUND_TO_FIVE,
            marks=pytest.mark.xfail(
                strict=True, reason="the old policy: the same attack pins suppressed counts"
            ),
        ),
    ],
    ids=lambda policy: policy.name,
)
@ATTACK
@given(scenario=scenarios())
def test_no_suppressed_count_is_pinned_by_overlapping_periods_and_filters(policy, scenario):
    counts, keys, queries, groups, rule = scenario
    assert pinned(policy, counts, keys, queries, groups, rule) == []


def test_the_issues_example_pins_january_under_round_to_five_but_not_cell_keys():
    # January 7, February 8, March 8: Jan–Mar 23 shows 25, Feb–Mar 16 shows 15, January "*".
    counts = [7, 8, 8]
    keys = [7 * 100, 8 * 31, 8 * 77]
    queries = [Query(0, 0, (0,)), Query(0, 2, (0,)), Query(1, 2, (0,))]
    old = pinned(ROUND_TO_FIVE, counts, keys, queries, 1, STANDARD)
    assert (7, (6, 7)) in old
    assert pinned(CELL_KEY, counts, keys, queries, 1, STANDARD) == []


@pytest.mark.parametrize("rule", [STANDARD, SENSITIVE])
def test_narrowing_by_chance_is_rare(rule):
    """The pair attack on a count at the edge (the threshold), over every pair of cell keys.

    January (the threshold, shown "*"), February alone and January–February: the exact chance,
    over the 65,536 equally likely pairs of cell keys, that the attacker narrows January to two
    values or fewer. About 5 in 65,536 when February is well above the threshold.
    """
    january = rule.threshold
    worst = 0.0
    for february in range(rule.threshold + 1, 36):
        both: dict[Cell, int] = {}
        alone: dict[Cell, int] = {}
        for key in range(256):
            shown = disclose_cell(january + february, key, rule)
            both[shown] = both.get(shown, 0) + 1
            shown = disclose_cell(february, key, rule)
            alone[shown] = alone.get(shown, 0) + 1
        narrowed = 0
        for shown_both, ways_both in both.items():
            for shown_alone, ways_alone in alone.items():
                low_both, high_both = CELL_KEY.counts_for(int(shown_both), rule)
                low_alone, high_alone = CELL_KEY.counts_for(int(shown_alone), rule)
                low = max(1, low_both - high_alone)
                high = min(rule.threshold, high_both - low_alone)
                narrowed += ways_both * ways_alone if high - low <= 1 else 0
        worst = max(worst, narrowed / 256**2)
    assert worst <= 5 / 256**2


@pytest.mark.parametrize("rule", [STANDARD, SENSITIVE])
def test_a_middle_count_cannot_be_narrowed_by_any_pair_of_figures(rule):
    # Whatever the keys, one pair of overlapping figures leaves a middle count at least three
    # values: the widest perturbations (±5 each) span 21 values.
    middle = (rule.threshold + 1) // 2
    for february in (rule.threshold + 1, 20, 35):
        both = {disclose_cell(middle + february, key, rule) for key in range(256)}
        alone = {disclose_cell(february, key, rule) for key in range(256)}
        for shown_both in both:
            for shown_alone in alone:
                shown = [
                    Shown([0], SUPPRESSED, middle, True),
                    Shown([0, 1], shown_both, middle + february, True),
                    Shown([1], shown_alone, february, True),
                ]
                low, high = feasible_range(CELL_KEY, shown, shown[0], 2, rule)
                assert high - low >= 2
