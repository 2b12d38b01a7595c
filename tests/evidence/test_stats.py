"""evidence.stats against worked examples that public-health bodies and standard texts publish.

Sources, each quoted with the values it gives in the test that uses it:

- PHE/APHO "Tool for common public health statistics and their confidence intervals" (Excel,
  Fingertips guidance, the Rates sheet; the accompanying APHO Technical Briefing 3), and the
  OHID Fingertips public health technical guidance page "Rates".
- UKHSA's PHEindicatormethods R package (the code behind Fingertips' indicators), test data
  tests/testthat/testdata_Rate.xlsx, testdata_Byars_Wilson.xlsx and
  testdata_funnel_rate_outputs_2.csv, generated from the PHE tool and Fingertips' funnel macros.
- NHS-R Community's NHSRplotthedots (NHS England "Making Data Count" charts), test snapshots in
  tests/testthat/_snaps/ptd_spc_standard.md.
- Montgomery, Introduction to Statistical Quality Control, circuit-board nonconformities example,
  as certified by the R qcc package (data set `circuit`).
- Gu, Ng, Tang & Schucany (2008), Biometrical Journal 50:283, example 1, with the exact
  conditional p-value from R exactci (as quoted in statsmodels' test results), and the example in
  R's stats::poisson.test help page (eba1977 data, Andersen 1977).
- Ratcliffe (2000), "Aoristic analysis", IJGIS 14:669, for the spreading of uncertain times.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from evidence.stats import (
    Change,
    RateCI,
    aoristic_grid,
    aoristic_hours,
    c_chart,
    compare_counts,
    concentration,
    concentration_table,
    funnel_limits,
    funnel_point,
    poisson_count_ci,
    rate_ci,
    rolling_mean,
    xmr_chart,
)

LONDON = ZoneInfo("Europe/London")


# --- Rates and confidence intervals -------------------------------------------------------------


def test_byar_interval_matches_the_phe_tool_worked_example():
    """PHE/APHO tool, Rates sheet: O = 65, n = 100, 95%, Byar's formulae 4a(ii) and 4b(ii).

    The sheet shows O_lower = 50.163187710459454 and O_upper = 82.84913854593984, and the rate
    limits r_lower = 0.5016318771045946 and r_upper = 0.8284913854593984 (per person).
    """
    assert poisson_count_ci(count=65, method="byar") == pytest.approx(
        (50.163187710459454, 82.84913854593984), rel=1e-12
    )
    result = rate_ci(count=65, population=100, per=1)
    assert result == RateCI(
        rate=pytest.approx(0.65),
        lower=pytest.approx(0.5016318771045946, rel=1e-12),
        upper=pytest.approx(0.8284913854593984, rel=1e-12),
        method="byar",
    )


def test_exact_interval_matches_the_phe_tool_worked_example():
    """PHE/APHO tool, Rates sheet, the chi-squared exact method for the same O = 65.

    The sheet shows chi2_lower = 100.33125545846853 (2O degrees of freedom),
    chi2_upper = 165.69567163174315 (2O + 2), so O_lower = 50.16562772923427 and
    O_upper = 82.84783581587158.
    """
    assert poisson_count_ci(count=65, method="exact") == pytest.approx(
        (50.16562772923427, 82.84783581587158), rel=1e-12
    )


# UKHSA PHEindicatormethods testdata_Rate.xlsx (sheet testdata_Rate, multiplier 100): numerator,
# denominator, 95% lower, 95% upper, 99.8% lower, 99.8% upper, method.
PHE_RATES = [
    (
        1,
        100,
        0.025317807984289897,
        5.571643390938898,
        0.0010005003335835344,
        9.233413476451585,
        "exact",
    ),
    (5, 100, 1.62348639011842, 11.668332079322669, 0.739371731917839, 16.454745203680105, "exact"),
    (20, 100, 12.211428834875937, 30.889880369197066, 8.922802365144193, 38.08503562504191, "byar"),
    (65, 100, 50.163187710459454, 82.84913854593984, 42.8802614714802, 94.00029084431802, "byar"),
    (9856, 12345, 78.26949058976757, 81.4300165427214, 77.37590543271052, 82.3544727709543, "byar"),
    (
        7776456,
        7564336677,
        0.10273196005302074,
        0.10287648334092832,
        0.102690317308454,
        0.10291817639509068,
        "byar",
    ),
    (222, 3215, 6.026574877652675, 7.87572937087185, 5.560737695259854, 8.46104668173341, "byar"),
    (
        999,
        3456,
        27.14130493609052,
        30.755833237378415,
        26.162147596445767,
        31.845604819822654,
        "byar",
    ),
]


@pytest.mark.parametrize(
    ("count", "population", "lo95", "hi95", "lo998", "hi998", "method"), PHE_RATES
)
def test_rates_match_the_fingertips_test_data(count, population, lo95, hi95, lo998, hi998, method):
    """UKHSA PHEindicatormethods test data for phe_rate (values from the PHE tool): rates per 100
    with 95% and 99.8% limits, exact below 10 events and Byar's from 10 (Fingertips rule)."""
    at95 = rate_ci(count=count, population=population, per=100)
    assert at95.rate == pytest.approx(count / population * 100)
    assert (at95.lower, at95.upper) == pytest.approx((lo95, hi95), rel=1e-9)
    assert at95.method == method
    at998 = rate_ci(count=count, population=population, per=100, level=0.998)
    assert (at998.lower, at998.upper) == pytest.approx((lo998, hi998), rel=1e-9)


@pytest.mark.parametrize(
    ("count", "level", "lower", "upper"),
    [
        (65, 0.95, 50.163187710459454, 82.84913854593984),
        (1045, 0.95, 982.5932018073325, 1110.33121298565),
        (65, 0.998, 42.8802614714802, 94.00029084431802),
        (1045, 0.998, 947.9407035610374, 1148.806160988033),
        (10, 0.998, 2.916318374695686, 24.193724927880535),
    ],
)
def test_byar_count_limits_match_the_fingertips_test_data(count, level, lower, upper):
    """UKHSA PHEindicatormethods testdata_Byars_Wilson.xlsx: byars_lower / byars_upper."""
    assert poisson_count_ci(count=count, level=level, method="byar") == pytest.approx(
        (lower, upper), rel=1e-12
    )


def test_the_method_switches_from_exact_to_byar_at_ten_events():
    """Fingertips "Rates": Byar's method for counts of 10 or greater, exact below 10."""
    assert rate_ci(count=9, population=1000).method == "exact"
    assert rate_ci(count=10, population=1000).method == "byar"
    assert poisson_count_ci(count=9) == poisson_count_ci(count=9, method="exact")
    assert poisson_count_ci(count=10) == poisson_count_ci(count=10, method="byar")


def test_zero_events_give_a_zero_lower_limit_and_the_exact_upper_limit():
    """With no events the exact upper limit is -ln(alpha / 2): 3.689 events at 95%."""
    result = rate_ci(count=0, population=2000, per=1000)
    assert result.rate == 0 and result.lower == 0
    assert result.upper == pytest.approx(-math.log(0.025) / 2000 * 1000)
    assert result.method == "exact"


@pytest.mark.parametrize(("level", "smallest"), [(0.95, 13), (0.998, 44)])
def test_byar_is_within_a_tenth_of_a_percent_of_exact_where_the_phe_tool_says(level, smallest):
    """PHE/APHO tool, Rates sheet: "For 95% confidence intervals, Byar's method is within 0.1%
    of the exact value for numerators of 13 or more, but for 99.8% confidence intervals it is
    within 0.1% of the exact value for numerators of at least 44"."""
    for count in [*range(smallest, 400), 1000, 5000, 100_000]:
        byar = poisson_count_ci(count=count, level=level, method="byar")
        exact = poisson_count_ci(count=count, level=level, method="exact")
        assert byar == pytest.approx(exact, rel=1e-3), count


@pytest.mark.parametrize(
    "kwargs",
    [
        {"count": -1, "population": 100},
        {"count": 1.5, "population": 100},
        {"count": 5, "population": 0},
        {"count": 5, "population": 100, "level": 1.0},
        {"count": 5, "population": 100, "level": 0},
    ],
)
def test_rate_ci_refuses_impossible_inputs(kwargs):
    with pytest.raises(ValueError):
        rate_ci(**kwargs)


def test_byar_is_refused_for_zero_events():
    with pytest.raises(ValueError):
        poisson_count_ci(count=0, method="byar")


@given(
    count=st.integers(min_value=0, max_value=10**7),
    population=st.floats(min_value=1, max_value=1e8),
)
def test_the_interval_contains_the_rate_and_99_8_is_wider_than_95(count, population):
    at95 = rate_ci(count=count, population=population)
    at998 = rate_ci(count=count, population=population, level=0.998)
    assert 0 <= at95.lower <= at95.rate <= at95.upper
    assert at998.lower <= at95.lower and at95.upper <= at998.upper


def test_numpy_numbers_come_back_as_plain_floats():
    """Counts often arrive from pandas or numpy; results go into tables and JSON."""
    import numpy as np

    result = rate_ci(count=np.int64(40), population=np.float64(8000))
    assert all(type(v) is float for v in (result.rate, result.lower, result.upper))
    change = compare_counts(current=np.int64(40), previous=np.int64(30))
    assert type(change.current) is int and type(change.ratio) is float
    assert type(change.p_value) is float and type(change.significant) is bool
    point = funnel_point(count=np.int64(3), population=np.float64(900), target_rate=2)
    assert type(point.rate) is float
    assert all(type(v) is float for pair in point.limits.values() for v in pair)


# --- Change between two periods ---------------------------------------------------------------


def test_compare_counts_matches_the_exact_conditional_test_of_gu_et_al_example_1():
    """Gu et al. (2008) example 1: 60 events in 51,477.5 person-years against 30 in 54,308.7.

    R exactci::poisson.exact(c(60, 30), c(51477.5, 54308.7), tsmethod = "minlike") gives the
    rate ratio 2.10999757175465 and the two-sided p-value 0.000675182658686321 (statsmodels'
    results_rates.py records this output).
    """
    change = compare_counts(
        current=60, previous=30, exposure_ratio=51477.5 / 54308.7, two_sided="minlike"
    )
    assert change.ratio == pytest.approx(2.10999757175465, rel=1e-12)
    assert change.p_value == pytest.approx(0.000675182658686321, rel=1e-9)
    assert change.significant and change.direction == "up"
    assert change.lower < 2.10999757175465 < change.upper and change.lower > 1


def test_compare_counts_matches_r_poisson_test_help_page_example():
    """R stats::poisson.test help page: poisson.test(c(11, 6+8+7), c(800, 1083+1050+878)),
    lung cancer in Fredericia against the three other cities, ages 55-59 (eba1977). R prints
    rate ratio 1.971488, 95 percent confidence interval 0.8584264 4.2772659, p-value = 0.07967.
    """
    change = compare_counts(
        current=11, previous=21, exposure_ratio=800 / (1083 + 1050 + 878), two_sided="minlike"
    )
    assert change.ratio == pytest.approx(1.971488, abs=5e-7)
    assert (change.lower, change.upper) == pytest.approx((0.8584264, 4.2772659), abs=5e-8)
    assert change.p_value == pytest.approx(0.07967, abs=5e-6)
    assert change.direction == "up" and not change.significant


def test_the_central_p_value_doubles_the_smaller_tail():
    """Lehmann (1986) / R rateratio.test: the two-sided p-value is twice the smaller one-sided
    p-value. For the eba1977 example the upper tail P(X >= 11 | n = 32, p = 800 / 3811) is the
    smaller one; the interval is the same Clopper-Pearson interval as poisson.test's."""
    exposure_ratio = 800 / (1083 + 1050 + 878)
    central = compare_counts(current=11, previous=21, exposure_ratio=exposure_ratio)
    minlike = compare_counts(
        current=11, previous=21, exposure_ratio=exposure_ratio, two_sided="minlike"
    )
    upper_tail = sps.binom.sf(10, 32, exposure_ratio / (1 + exposure_ratio))
    assert central.p_value == pytest.approx(2 * upper_tail, rel=1e-12)
    assert central.p_value > minlike.p_value
    assert (central.lower, central.upper) == (minlike.lower, minlike.upper)


def test_with_equal_exposures_the_two_p_values_agree():
    for current, previous in ((40, 30), (0, 7), (150, 100), (3, 3)):
        central = compare_counts(current=current, previous=previous)
        minlike = compare_counts(current=current, previous=previous, two_sided="minlike")
        assert central.p_value == pytest.approx(minlike.p_value, rel=1e-9)


def test_a_change_is_significant_only_when_its_interval_leaves_out_one():
    """With unequal exposures R's minlike p-value can call a change significant while the
    interval of the ratio still holds 1: 0 events against 5, exposures 1.01 to 1, gives
    p = 0.03 but a ratio interval of 0 to 1.08. The central p-value does not."""
    minlike = compare_counts(current=0, previous=5, exposure_ratio=1.01, two_sided="minlike")
    assert minlike.significant and minlike.upper > 1
    central = compare_counts(current=0, previous=5, exposure_ratio=1.01)
    assert not central.significant


@given(
    current=st.integers(min_value=0, max_value=400),
    previous=st.integers(min_value=0, max_value=400),
    exposure_ratio=st.floats(min_value=0.1, max_value=10),
    alpha=st.sampled_from([0.05, 0.01, 0.002]),
)
def test_significance_and_the_interval_always_agree(current, previous, exposure_ratio, alpha):
    change = compare_counts(
        current=current, previous=previous, exposure_ratio=exposure_ratio, alpha=alpha
    )
    if change.p_value is None:
        assert current == previous == 0 and not change.significant
        return
    if abs(change.p_value - alpha) < 1e-9 * alpha:
        return  # exactly on the boundary, where rounding decides
    excludes_one = change.lower > 1 or (change.upper is not None and change.upper < 1)
    assert change.significant == excludes_one


def test_thirty_then_forty_events_is_not_a_significant_rise():
    """Biostatistics For Dummies, ch. 14: 30 then 40 fatal accidents in a city is within chance
    ((40 - 30)^2 / (40 + 30) = 1.4, below the 3.84 of p = 0.05)."""
    change = compare_counts(current=40, previous=30)
    assert change.direction == "up" and not change.significant
    assert change.p_value > 0.05
    assert change.lower < 1 < change.upper


def test_significance_follows_alpha():
    change = compare_counts(current=130, previous=100, alpha=0.05)
    assert change.p_value < 0.1
    assert change.significant == (change.p_value < 0.05)
    assert compare_counts(current=130, previous=100, alpha=0.01).significant is False


def test_no_events_in_either_period_is_no_change_and_no_test():
    assert compare_counts(current=0, previous=0) == Change(
        0, 0, None, None, None, None, False, "same"
    )


def test_events_after_none_have_no_finite_ratio_but_a_lower_limit():
    change = compare_counts(current=5, previous=0)
    assert change.ratio is None and change.upper is None
    assert change.lower > 0
    assert change.p_value == pytest.approx(2 * 0.5**5)  # twice the chance of 5 heads in 5 tosses
    assert change.direction == "up" and not change.significant


def test_a_fall_to_zero_has_ratio_zero():
    change = compare_counts(current=0, previous=12)
    assert change.ratio == 0 and change.lower == 0 and change.upper > 0
    assert change.direction == "down" and change.significant


def test_equal_rates_over_unequal_exposures_are_the_same():
    change = compare_counts(current=24, previous=12, exposure_ratio=2.0)
    assert change.direction == "same" and change.ratio == pytest.approx(1.0)
    assert change.p_value == pytest.approx(1.0)


def test_the_deprivation_rate_ratio_uses_the_deciles_populations_as_exposures():
    """Most deprived decile: 300 incidents among 20,000 residents (15 per 1,000); least
    deprived: 50 among 25,000 (2 per 1,000). The rate ratio is 7.5."""
    change = compare_counts(current=300, previous=50, exposure_ratio=20_000 / 25_000)
    assert change.ratio == pytest.approx(7.5)
    assert change.lower < 7.5 < change.upper
    assert change.lower > 1 and change.significant and change.direction == "up"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"current": -1, "previous": 3},
        {"current": 1, "previous": 3, "exposure_ratio": 0},
        {"current": 1, "previous": 3, "alpha": 1.5},
    ],
)
def test_compare_counts_refuses_impossible_inputs(kwargs):
    with pytest.raises(ValueError):
        compare_counts(**kwargs)


@given(
    current=st.integers(min_value=0, max_value=5000),
    previous=st.integers(min_value=1, max_value=5000),
    exposure_ratio=st.floats(min_value=0.2, max_value=5),
)
def test_the_ratio_lies_in_its_interval_and_swapping_periods_inverts_it(
    current, previous, exposure_ratio
):
    change = compare_counts(current=current, previous=previous, exposure_ratio=exposure_ratio)
    assert 0 <= change.p_value <= 1
    assert change.lower <= change.ratio * (1 + 1e-9)
    assert change.upper is None or change.ratio <= change.upper * (1 + 1e-9)
    if current:
        swapped = compare_counts(
            current=previous, previous=current, exposure_ratio=1 / exposure_ratio
        )
        assert swapped.p_value == pytest.approx(change.p_value, rel=1e-6, abs=1e-12)
        assert swapped.ratio == pytest.approx(1 / change.ratio)
        assert swapped.lower == pytest.approx(1 / change.upper, rel=1e-6)


# --- Funnel plots -----------------------------------------------------------------------------

# UKHSA PHEindicatormethods testdata_funnel_rate_outputs_2.csv: crude rates per 100,000 over
# 3 years, baseline (target) 114.8591735. For each number of events, the one-year population at
# which that count sits on each limit, and the limit itself.
FINGERTIPS_TARGET = 114.8591735
FINGERTIPS_FUNNEL = [
    # events, (pop, limit) for lower 95%, upper 95%, lower 99.8%, upper 99.8%
    (
        1,
        (1616.949526, 20.61494982),
        (7.347518827, 4536.678859),
        (2679.632184, 12.4395182),
        (0.290369211, 114796.3768),
    ),
    (
        2,
        (2096.679871, 31.79630214),
        (70.2917202, 948.4284419),
        (3258.735028, 20.45783597),
        (13.17613227, 5059.653722),
    ),
    (
        3,
        (2544.354551, 39.30269858),
        (179.5450566, 556.9632597),
        (3790.800121, 26.37965517),
        (55.29475788, 1808.489698),
    ),
    (
        10,
        (5337.07421, 62.45619233),
        (1391.671639, 239.5201023),
        (7003.931164, 47.59232002),
        (859.1738425, 387.9696015),
    ),
    (
        34,
        (13788.36032, 82.19493157),
        (6833.293653, 165.8546216),
        (16297.77065, 69.53916321),
        (5450.246291, 207.9416732),
    ),
    (
        168,
        (56710.90614, 98.7464384),
        (41661.45049, 134.4168274),
        (61535.48241, 91.0044056),
        (37952.71143, 147.5520401),
    ),
    (
        1344,
        (411466.9163, 108.8787415),
        (369466.4508, 121.2559352),
        (424051.9679, 105.6474286),
        (357990.2328, 125.143079),
    ),
]


@pytest.mark.parametrize(
    ("events", "lower95", "upper95", "lower998", "upper998"), FINGERTIPS_FUNNEL
)
def test_funnel_limits_match_the_fingertips_test_data(events, lower95, upper95, lower998, upper998):
    """PHEindicatormethods calculate_funnel_limits (Fingertips' exact Poisson funnel macro): at
    each tabulated population (3 years of it), the limit lies exactly on `events` events."""
    for (population_per_year, limit), level, side in (
        (lower95, 0.95, 0),
        (upper95, 0.95, 1),
        (lower998, 0.998, 0),
        (upper998, 0.998, 1),
    ):
        population = 3 * population_per_year
        ours = funnel_limits(target_rate=FINGERTIPS_TARGET, population=population, per=100_000)
        assert ours[level][side] == pytest.approx(limit, rel=2e-5)
        assert ours[level][side] * population / 100_000 == pytest.approx(events, rel=2e-5)


@pytest.mark.parametrize(
    ("events", "lower95", "upper95", "lower998", "upper998"), FINGERTIPS_FUNNEL
)
def test_spiegelhalter_interpolation_meets_fingertips_below_and_runs_one_event_lower_above(
    events, lower95, upper95, lower998, upper998
):
    """Spiegelhalter (2005) appendix A.1.1 interpolates Poisson quantiles: r_p - alpha. Where
    Fingertips' lower limit is a whole count the two agree; its upper limit is one event lower
    (the p-quantile where P(X >= k) = tail is k - 1)."""
    for (population_per_year, _), level, side, offset in (
        (lower95, 0.95, 0, 0),
        (upper95, 0.95, 1, 1),
        (lower998, 0.998, 0, 0),
        (upper998, 0.998, 1, 1),
    ):
        population = 3 * population_per_year
        ours = funnel_limits(
            target_rate=FINGERTIPS_TARGET,
            population=population,
            per=100_000,
            method="spiegelhalter",
        )
        assert ours[level][side] * population / 100_000 == pytest.approx(events - offset, abs=1e-3)


def test_funnel_limits_approach_the_normal_approximation_for_large_populations():
    """Spiegelhalter (2005) s. 3: for large populations the limits tend to
    target +/- z sqrt(target / population)."""
    target, population = 5.0, 10_000_000  # per 1,000
    limits = funnel_limits(target_rate=target, population=population)
    for level, z in ((0.95, 1.959964), (0.998, 3.090232)):
        spread = z * math.sqrt(target / 1000 / population) * 1000
        assert limits[level][0] == pytest.approx(target - spread, rel=2e-4)
        assert limits[level][1] == pytest.approx(target + spread, rel=2e-4)


def test_a_small_population_has_a_lower_limit_of_zero():
    limits = funnel_limits(target_rate=5, population=100)  # 0.5 expected events
    assert limits[0.95][0] == 0 and limits[0.998][0] == 0
    assert limits[0.95][1] > 5


def test_a_target_of_zero_gives_zero_limits():
    assert funnel_limits(target_rate=0, population=500) == {0.95: (0.0, 0.0), 0.998: (0.0, 0.0)}


@given(
    expected=st.floats(min_value=0.05, max_value=3000),
    count=st.integers(min_value=0, max_value=4000),
)
@settings(max_examples=200, deadline=None)
def test_a_point_is_beyond_a_limit_exactly_when_the_exact_poisson_test_says_so(expected, count):
    """Fingertips' definition: "above the 95% limit" means P(X >= count) < 2.5%, and so on."""
    population = 10_000.0
    point = funnel_point(
        count=count, population=population, target_rate=expected / population * 1000
    )
    for level in (0.95, 0.998):
        tail = (1 - level) / 2
        upper_tail = float(sps.poisson.sf(count - 1, expected))
        lower_tail = float(sps.poisson.cdf(count, expected))
        if abs(upper_tail - tail) < 1e-6 * tail or abs(lower_tail - tail) < 1e-6 * tail:
            continue  # on the line itself, where rounding decides
        expected_side = "above" if upper_tail < tail else "below" if lower_tail < tail else None
        assert point.beyond[level] == expected_side
        assert point.outside(level) == (expected_side is not None)
    assert point.rate == pytest.approx(count / population * 1000)


@given(
    target=st.floats(min_value=0.1, max_value=50),
    population=st.floats(min_value=50, max_value=1e6),
)
@settings(deadline=None)
def test_funnel_limits_surround_the_target_and_99_8_is_wider(target, population):
    limits = funnel_limits(target_rate=target, population=population)
    low95, high95 = limits[0.95]
    low998, high998 = limits[0.998]
    assert 0 <= low998 <= low95 <= target <= high95 <= high998


# --- Statistical process control --------------------------------------------------------------

# Montgomery's printed-circuit-board nonconformities: 26 trial samples, then 20 more (qcc
# data set `circuit`, phase 1 and phase 2).
CIRCUIT_TRIAL = [
    21,
    24,
    16,
    12,
    15,
    5,
    28,
    20,
    31,
    25,
    20,
    24,
    16,
    19,
    10,
    17,
    13,
    22,
    18,
    39,
    30,
    24,
    16,
    19,
    17,
    15,
]
CIRCUIT_LATER = [16, 18, 12, 15, 24, 21, 28, 20, 25, 19, 18, 21, 16, 22, 19, 12, 14, 9, 16, 21]


def test_c_chart_matches_montgomery_circuit_board_example():
    """Montgomery, Introduction to Statistical Quality Control, c chart of nonconformities in
    26 samples of 100 circuit boards: c-bar = 19.85, UCL = 33.22, LCL = 6.48, and samples 6 and
    20 are beyond the limits. qcc certifies centre 19.84615, UCL 33.21086, LCL 6.481447."""
    chart = c_chart(counts=CIRCUIT_TRIAL, baseline=slice(None))
    assert chart.centre == pytest.approx(19.84615, abs=5e-6)
    assert chart.upper == pytest.approx(33.21086, abs=5e-6)
    assert chart.lower == pytest.approx(6.481447, abs=5e-7)
    beyond = [i + 1 for i, p in enumerate(chart.points) if p.beyond_limits]
    assert beyond == [6, 20]


def test_c_chart_limits_come_from_the_baseline_only_and_apply_to_later_points():
    """Same data: limits from the 26 trial samples, applied to the 20 later ones (qcc phase 2)."""
    chart = c_chart(counts=CIRCUIT_TRIAL + CIRCUIT_LATER, baseline=slice(0, 26))
    assert chart.centre == pytest.approx(19.84615, abs=5e-6)
    assert len(chart.points) == 46
    assert not any(p.beyond_limits for p in chart.points[26:])
    # Later samples 23-30 (positions 22-29) are all below 19.85: a run of 8, all flagged.
    assert [i for i, p in enumerate(chart.points) if p.in_run] == list(range(22, 30))
    assert chart.breaches == [5, 19, *range(22, 30)]


def test_c_chart_lower_limit_stops_at_zero():
    chart = c_chart(counts=[2, 3, 1, 4, 2, 3], baseline=slice(None))
    assert chart.centre == pytest.approx(2.5)
    assert chart.lower == 0
    assert chart.upper == pytest.approx(2.5 + 3 * math.sqrt(2.5))


# R: set.seed(123); rnorm(20) — the series NHSRplotthedots' ptd_spc_standard tests chart.
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621,
    -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272,
    -0.55584113, 1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip


def test_xmr_chart_matches_nhsrplotthedots():
    """NHSRplotthedots (NHS England "Making Data Count"), ptd_spc_standard snapshot r1:
    mean 0.1416238, lower process limit -3.01138, upper 3.294627 (mean +/- 2.66 x mean MR)."""
    chart = xmr_chart(values=RNORM_123, baseline=slice(None))
    assert chart.centre == pytest.approx(0.1416238, abs=5e-8)
    assert chart.lower == pytest.approx(-3.01138, abs=5e-6)
    assert chart.upper == pytest.approx(3.294627, abs=5e-7)
    assert not any(p.beyond_limits for p in chart.points)


def test_xmr_chart_with_an_outlier_matches_nhsrplotthedots_with_and_without_screening():
    """Snapshots r2 and r3: the 15th value set to 10. Screening moving ranges above
    3.267 x their mean gives limits -2.383666 and 3.722497 (r2); without it, -4.596625 and
    5.935457 (r3); the mean is 0.6694159 either way."""
    values = list(RNORM_123)
    values[14] = 10
    plain = xmr_chart(values=values, baseline=slice(None))
    assert plain.centre == pytest.approx(0.6694159, abs=5e-8)
    assert (plain.lower, plain.upper) == pytest.approx((-4.596625, 5.935457), abs=5e-7)
    screened = xmr_chart(values=values, baseline=slice(None), screen_outliers=True)
    assert (screened.lower, screened.upper) == pytest.approx((-2.383666, 3.722497), abs=5e-7)
    assert screened.points[14].beyond_limits and plain.points[14].beyond_limits


@pytest.mark.parametrize(
    ("sides", "flagged"),
    [
        # NHSRplotthedots' ptd_seven_point_one_side_mean and ptd_part_of_seven_trend cases.
        ([1] * 6, []),
        ([1] * 6 + [-1], []),
        ([1] * 7, list(range(7))),
        ([1] * 8 + [-1], list(range(8))),
        ([-1] * 8 + [1], list(range(8))),
        ([-1] + [1] * 7 + [-1], list(range(1, 8))),
        # A point on the centre line breaks a run: 3 + 4 is not 7.
        ([1] * 3 + [0] + [1] * 4, []),
        ([1] * 7 + [0] + [-1] * 7, [*range(7), *range(8, 15)]),
    ],
)
def test_a_run_of_seven_on_one_side_flags_every_point_of_the_run(sides, flagged):
    """NHS England "Making Data Count": a shift is 7 or more consecutive points above or below
    the mean; NHSRplotthedots marks every point of it."""
    values = [10.0 + s for s in sides]
    # A baseline of two points on 10 puts the centre line there; being on it, they join no run.
    chart = xmr_chart(values=[10.0, 10.0, *values], baseline=slice(0, 2))
    assert chart.centre == 10
    assert [i - 2 for i, p in enumerate(chart.points) if p.in_run and i >= 2] == flagged
    assert [p.value for p in chart.points[2:]] == values


def test_a_baseline_with_no_events_flags_any_event_after_it():
    chart = c_chart(counts=[0, 0, 0, 0, 1], baseline=slice(0, 4))
    assert (chart.centre, chart.lower, chart.upper) == (0, 0, 0)
    assert [p.beyond_limits for p in chart.points] == [False] * 4 + [True]


def test_a_flat_baseline_gives_limits_on_the_centre_line():
    chart = xmr_chart(values=[5.0, 5.0, 5.0, 6.0, 5.0], baseline=slice(0, 3))
    assert (chart.centre, chart.lower, chart.upper) == (5.0, 5.0, 5.0)
    assert [p.beyond_limits for p in chart.points] == [False, False, False, True, False]


def test_a_run_can_start_in_the_baseline_and_continue_after_it():
    counts = [10, 30, 10, 30, 25, 25, 25, 25, 25, 25, 25, 19]
    chart = c_chart(counts=counts, baseline=slice(0, 5))  # centre 21
    assert chart.centre == 21
    # 30 and 25 in the baseline, then six more 25s: a run of 8 across the boundary.
    assert [i for i, p in enumerate(chart.points) if p.in_run] == list(range(3, 11))


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (c_chart, {"counts": [1, 2, 3], "baseline": slice(3, 3)}),
        (c_chart, {"counts": [1, 2, 3], "baseline": slice(0, 3, 2)}),
        (c_chart, {"counts": [1, -2, 3], "baseline": slice(None)}),
        (xmr_chart, {"values": [1.0, 2.0, 3.0], "baseline": slice(0, 1)}),
    ],
)
def test_spc_charts_refuse_unusable_baselines(call, kwargs):
    with pytest.raises(ValueError):
        call(**kwargs)


@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=60))
def test_c_chart_flags_exactly_the_points_outside_its_limits(counts):
    chart = c_chart(counts=counts, baseline=slice(None))
    assert chart.lower <= chart.centre <= chart.upper
    for value, point in zip(counts, chart.points, strict=True):
        assert point.beyond_limits == (value > chart.upper or value < chart.lower)


# --- Concentration ----------------------------------------------------------------------------


def test_concentration_rounds_the_number_of_areas_up():
    """150 areas: the top 1% is 2 areas (1.5 rounded up), 5% is 8 (7.5), 10% is 15."""
    counts = [100, 50] + [10] * 6 + [5] * 7 + [1] * 135
    table = concentration_table(counts=counts)
    assert [(row.share, row.areas, row.incidents) for row in table] == [
        (0.01, 2, 150),
        (0.05, 8, 210),
        (0.10, 15, 245),
    ]
    total = sum(counts)
    assert concentration(counts=counts) == {
        0.01: pytest.approx(150 / total),
        0.05: pytest.approx(210 / total),
        0.10: pytest.approx(245 / total),
    }


def test_a_share_that_is_a_whole_number_of_areas_is_not_rounded_up_by_floating_point():
    table = concentration_table(counts=[1] * 30, shares=(0.1,))
    assert table[0].areas == 3  # 0.1 x 30 is 3.0000000000000004 in binary arithmetic


def test_tied_areas_give_the_same_answer_whatever_their_order():
    assert concentration(counts=[5, 1, 5, 5, 0]) == concentration(counts=[0, 5, 5, 1, 5])
    assert concentration_table(counts=[5, 1, 5, 5, 0], shares=(0.4,))[0].incidents == 10


def test_no_incidents_concentrate_nowhere():
    assert concentration(counts=[0, 0, 0]) == {0.01: 0.0, 0.05: 0.0, 0.10: 0.0}
    assert concentration(counts=[]) == {0.01: 0.0, 0.05: 0.0, 0.10: 0.0}


def test_a_single_area_holds_every_incident_at_every_share():
    assert concentration(counts=[7]) == {0.01: 1.0, 0.05: 1.0, 0.10: 1.0}


@pytest.mark.parametrize("shares", [(0,), (1.5,)])
def test_concentration_refuses_shares_outside_zero_to_one(shares):
    with pytest.raises(ValueError):
        concentration(counts=[1, 2], shares=shares)


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=400))
def test_the_top_areas_hold_at_least_their_share_and_more_areas_hold_more(counts):
    result = concentration(counts=counts, shares=(0.01, 0.05, 0.10, 0.5, 1.0))
    fractions = list(result.values())
    assert fractions == sorted(fractions)
    if sum(counts):
        assert result[1.0] == pytest.approx(1.0)
        for share, fraction in result.items():
            assert fraction >= share - 1e-12


# --- Aoristic weighting -----------------------------------------------------------------------


def test_a_four_hour_window_across_midnight_spreads_a_quarter_to_each_hour():
    """Ratcliffe (2000): an event between 22:00 and 02:00 contributes 0.25 to each of the four
    hours it could have happened in. Friday 5 January 2024 22:00 to Saturday 02:00."""
    weights = aoristic_hours(start=datetime(2024, 1, 5, 22), end=datetime(2024, 1, 6, 2))
    assert weights == {
        (4, 22): pytest.approx(0.25),
        (4, 23): pytest.approx(0.25),
        (5, 0): pytest.approx(0.25),
        (5, 1): pytest.approx(0.25),
    }


def test_part_hours_get_weights_in_proportion_to_their_overlap():
    weights = aoristic_hours(start=datetime(2024, 1, 5, 22, 30), end=datetime(2024, 1, 6, 0, 30))
    assert weights == {
        (4, 22): pytest.approx(0.25),
        (4, 23): pytest.approx(0.5),
        (5, 0): pytest.approx(0.25),
    }


def test_a_known_moment_puts_all_its_weight_in_one_hour():
    assert aoristic_hours(start=datetime(2024, 1, 7, 13, 45), end=datetime(2024, 1, 7, 13, 45)) == {
        (6, 13): 1.0
    }


def test_a_window_inside_one_hour_stays_in_that_hour():
    weights = aoristic_hours(start=datetime(2024, 1, 1, 9, 5), end=datetime(2024, 1, 1, 9, 55))
    assert weights == {(0, 9): pytest.approx(1.0)}


@pytest.mark.parametrize("days", [7, 9.5, 30])
def test_a_window_of_a_week_or_more_spreads_evenly(days):
    start = datetime(2024, 1, 3, 17, 20)
    weights = aoristic_hours(start=start, end=start + timedelta(days=days))
    assert len(weights) == 168
    assert all(w == pytest.approx(1 / 168) for w in weights.values())


def test_aware_windows_use_the_wall_clock_across_the_spring_change():
    """Sunday 29 March 2026, clocks go from 01:00 GMT to 02:00 BST: 00:30 to 02:30 on the clock
    is one real hour, half of it in the 00:00 hour and half in the 02:00 hour."""
    start = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)
    end = datetime(2026, 3, 29, 2, 30, tzinfo=LONDON)
    assert aoristic_hours(start=start, end=end) == {
        (6, 0): pytest.approx(0.5),
        (6, 2): pytest.approx(0.5),
    }


def test_aware_windows_count_the_repeated_hour_of_the_autumn_change_twice():
    """Sunday 25 October 2026, clocks go back from 02:00 BST to 01:00 GMT: 00:30 BST to
    01:30 GMT is two real hours, half an hour in the 00:00 hour and an hour and a half in 01:00."""
    start = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    end = datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON)
    assert aoristic_hours(start=start, end=end) == {
        (6, 0): pytest.approx(0.25),
        (6, 1): pytest.approx(0.75),
    }


def test_utc_windows_can_be_read_on_london_clocks():
    start = datetime(2024, 7, 5, 21, 0, tzinfo=UTC)  # 22:00 BST
    weights = aoristic_hours(start=start, end=start + timedelta(hours=2), tz=LONDON)
    assert weights == {(4, 22): pytest.approx(0.5), (4, 23): pytest.approx(0.5)}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": datetime(2024, 1, 2), "end": datetime(2024, 1, 1)},
        {"start": datetime(2024, 1, 1), "end": datetime(2024, 1, 2, tzinfo=UTC)},
        {"start": datetime(2024, 1, 1), "end": datetime(2024, 1, 2), "tz": LONDON},
    ],
)
def test_aoristic_hours_refuses_impossible_windows(kwargs):
    with pytest.raises(ValueError):
        aoristic_hours(**kwargs)


@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    minutes=st.integers(min_value=0, max_value=12 * 24 * 60),
)
def test_aoristic_weights_are_positive_and_sum_to_one(start, minutes):
    end = start + timedelta(minutes=minutes)
    weights = aoristic_hours(start=start, end=end)
    assert math.fsum(weights.values()) == pytest.approx(1.0)
    assert all(w > 0 for w in weights.values())
    assert all(0 <= day < 7 and 0 <= hour < 24 for day, hour in weights)
    assert len(weights) <= min(168, minutes // 60 + 2)


def test_aoristic_grid_adds_up_windows_and_their_numbers_of_records():
    night = (datetime(2024, 1, 5, 22), datetime(2024, 1, 6, 2))
    known = (datetime(2024, 1, 7, 13, 45), datetime(2024, 1, 7, 13, 45))
    grid = aoristic_grid(windows=[(*night, 3), (*known, 2), (*night, 1)])
    assert len(grid) == 168
    assert grid[(4, 22)] == pytest.approx(1.0)  # 4 records x 0.25
    assert grid[(5, 1)] == pytest.approx(1.0)
    assert grid[(6, 13)] == pytest.approx(2.0)
    assert grid[(0, 0)] == 0.0
    assert math.fsum(grid.values()) == pytest.approx(6.0)


def test_aoristic_grid_passes_the_time_zone_on():
    start = datetime(2024, 7, 5, 21, 0, tzinfo=UTC)
    grid = aoristic_grid(windows=[(start, start + timedelta(hours=1), 1)], tz=LONDON)
    assert grid[(4, 22)] == pytest.approx(1.0)


def test_aoristic_grid_refuses_negative_numbers_of_records():
    with pytest.raises(ValueError):
        aoristic_grid(windows=[(datetime(2024, 1, 1), datetime(2024, 1, 1, 1), -1)])


# --- Rolling averages -------------------------------------------------------------------------


def test_rolling_mean_waits_for_a_full_window():
    assert rolling_mean(values=[1, 2, 3, 4, 5], window=3) == [None, None, 2.0, 3.0, 4.0]
    assert rolling_mean(values=[1.0] * 11) == [None] * 11
    assert rolling_mean(values=list(range(1, 13)))[-1] == pytest.approx(6.5)


def test_rolling_mean_leaves_a_gap_where_a_month_is_missing():
    assert rolling_mean(values=[2, None, 4, 6, 8], window=2) == [None, None, None, 5.0, 7.0]


def test_a_window_of_one_is_the_series_itself_and_a_long_window_is_all_gaps():
    assert rolling_mean(values=[3, 1, 4], window=1) == [3.0, 1.0, 4.0]
    assert rolling_mean(values=[3, 1, 4], window=12) == [None, None, None]
    assert rolling_mean(values=[]) == []


def test_rolling_mean_refuses_an_empty_window():
    with pytest.raises(ValueError):
        rolling_mean(values=[1, 2], window=0)


@given(
    values=st.lists(st.floats(min_value=-1e6, max_value=1e6), max_size=40),
    window=st.integers(min_value=1, max_value=15),
)
def test_rolling_mean_is_the_mean_of_each_trailing_window(values, window):
    result = rolling_mean(values=values, window=window)
    assert len(result) == len(values)
    for i, mean in enumerate(result):
        if i + 1 < window:
            assert mean is None
        else:
            assert mean == pytest.approx(sum(values[i + 1 - window : i + 1]) / window, abs=1e-6)


# --- The methodology text that explains these methods -----------------------------------------


def test_the_methodology_include_explains_every_method_with_its_limits():
    """templates/evidence/methodology_methods.html: every contents link leads to a section,
    ids are unique, and every method section says what it cannot tell you."""
    import re

    from django.template.loader import render_to_string

    html = render_to_string("evidence/methodology_methods.html")
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    links = re.findall(r'href="#([^"]+)"', html)
    assert links and set(links) <= set(ids)
    sections = re.findall(r"<section[^>]*>(.*?)</section>", html, flags=re.S)
    assert len(sections) == len(links)
    for section in sections:
        heading = re.search(r'<h2 class="govuk-heading-l" id="([^"]+)"', section)
        assert heading, section[:80]
        if heading.group(1) != "small-numbers":
            assert "What it cannot tell you" in section, heading.group(1)
    for phrase in ("Byar", "exact method", "p-value is below 0.05", "99.8%", "2.66", "7 or more"):
        assert phrase in html, phrase
