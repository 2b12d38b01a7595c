"""The cell key method (core/disclosure.py): cell keys, the ptable, suppression on top."""

from __future__ import annotations

import random
import statistics

import pytest

from core.disclosure import (
    KEY_RANGE,
    MAX_PERTURBATION,
    SENSITIVE,
    STANDARD,
    SUPPRESSED,
    area_allowed,
    cell_key,
    disclose_cell,
    disclose_series,
    disclose_table,
    disclose_total,
    perturbation,
    too_few,
)


def test_cell_key_is_the_sum_of_record_keys_modulo_256():
    # Worked example: records with keys 200, 100 and 3 make a cell whose key is 303 mod 256 = 47.
    assert cell_key(200 + 100 + 3) == 47
    assert cell_key(0) == 0 and cell_key(255) == 255 and cell_key(256) == 0


def test_zero_is_shown_small_counts_are_suppressed():
    assert disclose_cell(0, 0) == 0
    for count in range(1, 8):
        for key in (0, 17, 255):
            assert disclose_cell(count, key) == SUPPRESSED
    assert disclose_cell(8, 5) != SUPPRESSED


def test_sensitive_topics_use_a_threshold_of_ten():
    assert disclose_cell(10, 99, SENSITIVE) == SUPPRESSED
    assert disclose_cell(11, 99, SENSITIVE) != SUPPRESSED
    assert disclose_cell(9, 99, STANDARD) != SUPPRESSED


def test_the_same_records_always_give_the_same_figure():
    assert disclose_cell(123, 4567) == disclose_cell(123, 4567)
    # The key sum is taken modulo 256: the same cell key, the same perturbation.
    assert disclose_cell(123, 4567) == disclose_cell(123, 4567 % 256)


@pytest.mark.parametrize("rule", [STANDARD, SENSITIVE])
def test_every_row_of_the_ptable_is_unbiased_bounded_and_never_reaches_the_threshold(rule):
    for count in range(rule.threshold + 1, 400):
        changes = [perturbation(count, key, rule) for key in range(KEY_RANGE)]
        assert sum(changes) == 0, f"count {count} is biased"
        assert max(abs(c) for c in changes) <= MAX_PERTURBATION
        assert min(count + c for c in changes) > rule.threshold, f"count {count} shown small"


def test_perturbation_is_small_on_average_and_changes_most_cells_little():
    changes = [perturbation(500, key) for key in range(KEY_RANGE)]
    assert statistics.pvariance(changes) == pytest.approx(1.61, abs=0.01)
    assert sum(1 for c in changes if c == 0) / KEY_RANGE == pytest.approx(0.45, abs=0.01)
    assert sum(1 for c in changes if abs(c) <= 1) / KEY_RANGE > 0.8


def test_published_figures_are_unbiased_over_random_keys():
    rng = random.Random(5)
    shown = [disclose_cell(40, rng.randrange(10_000)) for _ in range(20_000)]
    assert statistics.fmean(shown) == pytest.approx(40, abs=0.05)


def test_a_single_suppressed_cell_gets_a_partner_so_the_total_cannot_reveal_it():
    cells = disclose_series([(3, 1), (40, 2), (25, 3), (100, 4)])
    assert cells[0] == SUPPRESSED
    assert cells[2] == SUPPRESSED, "the next smallest cell is hidden too"
    assert cells[1] != SUPPRESSED and cells[3] != SUPPRESSED


def test_two_suppressed_cells_need_no_secondary_suppression():
    cells = disclose_series([(3, 0), (2, 0), (40, 0)])
    assert cells[:2] == [SUPPRESSED, SUPPRESSED] and cells[2] != SUPPRESSED


def test_zero_is_not_a_small_number_and_is_never_picked_as_a_partner():
    assert disclose_series([(0, 0), (5, 9), (20, 9)]) == [0, SUPPRESSED, SUPPRESSED]


def test_table_secondary_suppression_holds_for_rows_and_columns():
    counts = [[2, 30, 40], [50, 60, 70], [80, 90, 100]]
    table = disclose_table([[(v, v * 7) for v in row] for row in counts])
    hidden = {(r, c) for r, row in enumerate(table) for c, v in enumerate(row) if v == SUPPRESSED}
    assert (0, 0) in hidden
    for r in range(3):
        assert sum(1 for c in range(3) if (r, c) in hidden) != 1, f"row {r} reveals a cell"
    for c in range(3):
        assert sum(1 for r in range(3) if (r, c) in hidden) != 1, f"column {c} reveals a cell"


def test_a_total_is_perturbed_by_its_own_cell_key():
    pairs = [(30, 100), (40, 200)]
    assert disclose_total(pairs) == disclose_cell(70, 300)


def test_too_few_to_show():
    assert not too_few(0)
    assert too_few(1) and too_few(7) and not too_few(8)
    assert too_few(10, SENSITIVE) and not too_few(11, SENSITIVE)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        disclose_cell(-1, 0)


def test_no_area_below_ward_for_sensitive_topics():
    assert not area_allowed("lsoa", sensitive=True)
    assert area_allowed("ward", sensitive=True) and area_allowed("district", sensitive=True)
    assert area_allowed("lsoa", sensitive=False)
    with pytest.raises(ValueError):
        area_allowed("street", sensitive=False)
