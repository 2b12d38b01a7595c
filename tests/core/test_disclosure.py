from core.disclosure import (
    SENSITIVE,
    SUPPRESSED,
    publish_count,
    publish_total,
    suppress_series,
    suppress_table,
)


def test_small_counts_are_suppressed_and_others_rounded_to_five():
    assert publish_count(0) == 0
    assert publish_count(1) == SUPPRESSED
    assert publish_count(7) == SUPPRESSED
    assert publish_count(8) == 10
    assert publish_count(12) == 10
    assert publish_count(13) == 15


def test_sensitive_topics_use_a_threshold_of_ten():
    assert publish_count(9, SENSITIVE) == SUPPRESSED
    assert publish_count(10, SENSITIVE) == SUPPRESSED
    assert publish_count(11, SENSITIVE) == 10


def test_a_single_suppressed_cell_gets_a_partner_so_the_total_cannot_reveal_it():
    cells = suppress_series([3, 40, 25, 100])
    assert cells[0] == SUPPRESSED
    assert cells[2] == SUPPRESSED, "the next smallest cell is hidden too"
    assert cells[1] == 40 and cells[3] == 100


def test_two_suppressed_cells_need_no_secondary_suppression():
    assert suppress_series([3, 2, 40]) == [SUPPRESSED, SUPPRESSED, 40]


def test_zero_is_not_a_small_number_and_is_never_picked_as_a_partner():
    assert suppress_series([0, 5, 20]) == [0, SUPPRESSED, SUPPRESSED]


def test_table_secondary_suppression_holds_for_rows_and_columns():
    table = suppress_table([[2, 30, 40], [50, 60, 70], [80, 90, 100]])
    hidden = {(r, c) for r, row in enumerate(table) for c, v in enumerate(row) if v == SUPPRESSED}
    assert (0, 0) in hidden
    for r in range(3):
        assert sum(1 for c in range(3) if (r, c) in hidden) != 1, f"row {r} reveals a cell"
    for c in range(3):
        assert sum(1 for r in range(3) if (r, c) in hidden) != 1, f"column {c} reveals a cell"


def test_totals_follow_the_same_rule():
    assert publish_total([1, 2]) == SUPPRESSED
    assert publish_total([20, 23]) == 45
