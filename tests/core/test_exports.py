from core.exports import escape_formula


def test_cells_a_spreadsheet_would_run_as_formulae_get_an_apostrophe():
    for text in ('=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert escape_formula(text) == "'" + text


def test_safe_values_are_left_alone():
    assert escape_formula("Knife crime") == "Knife crime"
    assert escape_formula("") == ""
    assert escape_formula(12) == 12
    assert escape_formula(-5) == -5, "numbers are numbers, not formulae"
    assert escape_formula(None) is None
