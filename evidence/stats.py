"""The statistics behind the evidence pages and the needs assessment, implemented once.

Pure functions over numbers: no database, no Django. Every method follows a published source, and
tests/evidence/test_stats.py checks each against worked examples from that source.

Methods and their references:

- ``rate_ci`` / ``poisson_count_ci``: crude rate and its confidence interval. Byar's approximation
  for counts of 10 or more, the exact Poisson (chi-squared) method below 10, as the OHID
  Fingertips public health technical guidance ("Rates") and the PHE/APHO "Tool for common public
  health statistics and their confidence intervals" (Rates sheet) prescribe; Byar's method from
  Breslow & Day (1987), Statistical Methods in Cancer Research vol. II; the chi-squared link from
  Armitage & Berry (1994).
- ``compare_counts``: change between two periods. The exact conditional test of the ratio of two
  Poisson rates: given the total, the current count is binomial with p = E / (1 + E) where E is the
  ratio of the exposures (Breslow & Day 1987 vol. II; Rothman & Greenland, Modern
  Epidemiology). Two-sided p-value "central", twice the smaller one-sided p-value (Lehmann 1986;
  Fay 2010, "Two-sided exact tests and matching confidence intervals", R Journal 2:53; R's
  ``rateratio.test``), so that it always agrees with the confidence interval of the rate ratio,
  which comes from the Clopper-Pearson interval of p as p / (1 - p) / E. R's ``poisson.test``
  "minlike" p-value is available with ``two_sided="minlike"``. Also serves the most-to-least
  deprived decile rate ratio (exposures = the two deciles' populations).
- ``funnel_limits`` / ``funnel_point``: funnel plot control limits (95% and 99.8%) around a
  target rate (Spiegelhalter 2005, "Funnel plots for comparing institutional performance", Stat
  Med 24:1185; APHO Technical Briefing 2, "Statistical process control methods in public health
  intelligence", 2007). By default exact Poisson limits computed as OHID Fingertips computes
  them (UKHSA PHEindicatormethods ``calculate_funnel_limits``): the count, read as a real number,
  whose one-sided Poisson tail equals the nominal one, so a unit beyond a line is exactly a
  unit the exact Poisson test puts in that tail. Spiegelhalter's own interpolated quantiles
  (appendix A.1.1) are available with ``method="spiegelhalter"``; they agree on the lower limit
  at whole counts, but their upper line sits one event lower.
- ``c_chart`` / ``xmr_chart``: statistical process control charts with limits from a chosen
  baseline. c-chart: c-bar +/- 3 sqrt(c-bar) (Montgomery, Introduction to Statistical Quality
  Control). XmR: mean +/- 2.66 x mean moving range (Wheeler, Understanding Variation; NHS England
  "Making Data Count"). Rules: a point beyond the limits; a run of 7 or more consecutive points
  on the same side of the centre line, every point of the run flagged ("Making Data Count";
  NHS-R NHSRplotthedots: a point exactly on the centre line breaks a run).
- ``concentration``: share of all incidents in the top 1%, 5% and 10% of areas (the number of
  areas rounded up), as in crime-concentration studies (Weisburd 2015, "The law of crime
  concentration at place").
- ``aoristic_hours`` / ``aoristic_grid``: aoristic weighting of a record known only to a time
  window (Ratcliffe & McCullagh 1998; Ratcliffe 2000, "Aoristic analysis", IJGIS 14:669): the
  weight of each (weekday, hour) cell is the share of the window that falls in it.
- ``rolling_mean``: trailing moving average (12 months by default).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from scipy import optimize
from scipy import special as sps_special
from scipy import stats as sps

HOURS_IN_WEEK = 7 * 24
BYAR_MINIMUM = 10  # Fingertips: Byar's method for counts of 10 or more, exact below.
XMR_SCALE = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two points.
XMR_MR_SCREEN = 3.267  # D4 for n = 2: the upper limit of a moving range.
RUN_LENGTH = 7


def _check_level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError("the confidence level must be between 0 and 1, for example 0.95")
    return 1 - level


def _check_count(count: int, name: str = "count") -> None:
    if count < 0 or int(count) != count:
        raise ValueError(f"{name} must be a whole number of 0 or more")


# --- Rates and their confidence intervals ---------------------------------------------------


@dataclass(frozen=True)
class RateCI:
    rate: float
    lower: float
    upper: float
    method: Literal["byar", "exact"]


def _exact_count_ci(count: int, alpha: float) -> tuple[float, float]:
    lower = 0.0 if count == 0 else float(sps.chi2.ppf(alpha / 2, 2 * count)) / 2
    upper = float(sps.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
    return lower, upper


def _byar_count_ci(count: int, alpha: float) -> tuple[float, float]:
    z = float(sps.norm.ppf(1 - alpha / 2))
    o = count
    lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    o1 = count + 1
    upper = o1 * (1 - 1 / (9 * o1) + z / (3 * math.sqrt(o1))) ** 3
    return float(lower), float(upper)


def poisson_count_ci(
    *,
    count: int,
    level: float = 0.95,
    method: Literal["auto", "byar", "exact"] = "auto",
) -> tuple[float, float]:
    """Confidence limits of a Poisson count: Byar's for 10 or more, exact below ("auto")."""
    _check_count(count)
    alpha = _check_level(level)
    if method == "auto":
        method = "byar" if count >= BYAR_MINIMUM else "exact"
    if method == "byar":
        if count == 0:
            raise ValueError("Byar's method needs a count of at least 1; use the exact method")
        return _byar_count_ci(count, alpha)
    if method == "exact":
        return _exact_count_ci(count, alpha)
    raise ValueError(f"unknown method {method!r}")


def rate_ci(*, count: int, population: float, per: int = 1000, level: float = 0.95) -> RateCI:
    """A crude rate per `per` residents with its confidence interval (Fingertips method)."""
    _check_count(count)
    if not population > 0:
        raise ValueError("the population must be more than 0")
    method: Literal["byar", "exact"] = "byar" if count >= BYAR_MINIMUM else "exact"
    lower, upper = poisson_count_ci(count=count, level=level, method=method)
    scale = per / float(population)
    return RateCI(
        rate=float(count) * scale,
        lower=float(lower) * scale,
        upper=float(upper) * scale,
        method=method,
    )


# --- Change between two periods ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    current: int
    previous: int
    ratio: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    significant: bool
    direction: Literal["up", "down", "same"]


def _odds_to_ratio(p: float, exposure_ratio: float) -> float | None:
    if p >= 1:
        return None  # the ratio's upper limit is unbounded
    return p / (1 - p) / exposure_ratio


def compare_counts(
    *,
    current: int,
    previous: int,
    exposure_ratio: float = 1.0,
    alpha: float = 0.05,
    two_sided: Literal["central", "minlike"] = "central",
) -> Change:
    """Exact conditional test of the ratio of two Poisson rates, with the ratio's exact interval.

    `exposure_ratio` is the current period's exposure over the previous one's (population x
    time), so that equal rates give current / previous == exposure_ratio. The rate ratio is
    None when the previous count is 0 (it would be infinite) and when both counts are 0. A
    change is "significant" only when the two-sided p-value is below `alpha`.

    The two-sided p-value is by default "central": twice the smaller one-sided p-value (Lehmann;
    R's rateratio.test). It is the test the Clopper-Pearson interval inverts, so a change is
    significant exactly when the interval of the ratio leaves out 1. "minlike" sums the
    probabilities of all splits no more likely than the one seen (R's poisson.test); it can
    disagree with the interval when the exposures differ.
    """
    _check_count(current, "current")
    _check_count(previous, "previous")
    current, previous = int(current), int(previous)
    if not exposure_ratio > 0:
        raise ValueError("the exposure ratio must be more than 0")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")

    expected_current = previous * exposure_ratio
    if math.isclose(current, expected_current, rel_tol=1e-12, abs_tol=1e-12):
        direction: Literal["up", "down", "same"] = "same"
    else:
        direction = "up" if current > expected_current else "down"

    total = current + previous
    if total == 0:
        return Change(current, previous, None, None, None, None, False, "same")

    # Given the total, the current count is binomial: each event falls in the current period
    # with probability E / (1 + E) if the rates are equal.
    p_null = exposure_ratio / (1 + exposure_ratio)
    test = sps.binomtest(current, total, p_null, alternative="two-sided")
    if two_sided == "central":
        at_most = float(sps.binom.cdf(current, total, p_null))
        at_least = float(sps.binom.sf(current - 1, total, p_null))
        p_value = min(1.0, 2 * min(at_most, at_least))
    elif two_sided == "minlike":
        p_value = float(test.pvalue)
    else:
        raise ValueError(f"unknown two-sided p-value {two_sided!r}")
    interval = test.proportion_ci(confidence_level=1 - alpha, method="exact")
    ratio = None if previous == 0 else (current / previous) / exposure_ratio
    return Change(
        current=current,
        previous=previous,
        ratio=ratio,
        lower=_odds_to_ratio(float(interval.low), exposure_ratio),
        upper=_odds_to_ratio(float(interval.high), exposure_ratio),
        p_value=p_value,
        significant=p_value < alpha,
        direction=direction,
    )


# --- Funnel plots -----------------------------------------------------------------------------


def _spiegelhalter_limit(p: float, expected: float) -> float:
    """Spiegelhalter's interpolated p-quantile of a Poisson(expected) count (appendix A.1.1)."""
    r = float(sps.poisson.ppf(p, expected))  # the smallest r with P(X <= r) >= p
    f_r = float(sps.poisson.cdf(r, expected))
    f_below = float(sps.poisson.cdf(r - 1, expected)) if r > 0 else 0.0
    return r - (f_r - p) / (f_r - f_below)


def _exact_lower_limit(tail: float, expected: float) -> float:
    """The count k with P(X <= k) = tail, k read as a real number (gamma function)."""
    # P(X <= k | E) = Q(k + 1, E), the regularised upper incomplete gamma function.
    if sps_special.gammaincc(1, expected) >= tail:
        return 0.0  # even zero events would not be unusually low
    high = expected + 10 * math.sqrt(expected) + 10
    return optimize.brentq(
        lambda k: sps_special.gammaincc(k + 1, expected) - tail, 0.0, high, xtol=1e-12, rtol=1e-13
    )


def _exact_upper_limit(tail: float, expected: float) -> float:
    """The count k with P(X >= k) = tail, k read as a real number (gamma function)."""
    # P(X >= k | E) = P(k, E), the regularised lower incomplete gamma function.
    high = expected + 10 * math.sqrt(expected) + 10
    return optimize.brentq(
        lambda k: sps_special.gammainc(k, expected) - tail, 1e-300, high, xtol=1e-12, rtol=1e-13
    )


def funnel_limits(
    *,
    target_rate: float,
    population: float,
    per: int = 1000,
    levels: Sequence[float] = (0.95, 0.998),
    method: Literal["exact", "spiegelhalter"] = "exact",
) -> dict[float, tuple[float, float]]:
    """Exact Poisson funnel limits (rates per `per`) for a unit of `population` at the target.

    "exact" (the default, as OHID Fingertips computes them): the upper limit is the count k
    with P(X >= k) equal to the tail (2.5% for 95% limits, 0.1% for 99.8%), the lower limit
    the count k with P(X <= k) equal to it, k read as a real number. A unit lies beyond a limit
    exactly when the exact one-sided Poisson test puts it in that tail.
    "spiegelhalter": Spiegelhalter's interpolated quantiles. They meet the exact lower limit at
    every whole count, but the upper line runs one event lower, so it flags a count whose tail
    probability is still a little above the nominal one.
    """
    if target_rate < 0:
        raise ValueError("the target rate cannot be negative")
    if not population > 0:
        raise ValueError("the population must be more than 0")
    population = float(population)
    expected = float(target_rate) / per * population
    limits: dict[float, tuple[float, float]] = {}
    for level in levels:
        tail = _check_level(level) / 2
        if expected == 0:
            lower = upper = 0.0
        elif method == "exact":
            lower = _exact_lower_limit(tail, expected)
            upper = _exact_upper_limit(tail, expected)
        elif method == "spiegelhalter":
            # A limit below zero events has no meaning: the plotted line stops at zero.
            lower = max(0.0, _spiegelhalter_limit(tail, expected))
            upper = max(0.0, _spiegelhalter_limit(1 - tail, expected))
        else:
            raise ValueError(f"unknown method {method!r}")
        limits[level] = (float(lower) / population * per, float(upper) / population * per)
    return limits


@dataclass(frozen=True)
class FunnelPoint:
    count: int
    population: float
    rate: float
    limits: dict[float, tuple[float, float]]
    # For each level: "above" or "below" its limits, or None when within them.
    beyond: dict[float, Literal["above", "below"] | None]

    def outside(self, level: float) -> bool:
        return self.beyond[level] is not None


def funnel_point(
    *,
    count: int,
    population: float,
    target_rate: float,
    per: int = 1000,
    levels: Sequence[float] = (0.95, 0.998),
    method: Literal["exact", "spiegelhalter"] = "exact",
) -> FunnelPoint:
    """One unit on a funnel plot: its rate, its limits, and whether it lies beyond them."""
    _check_count(count)
    limits = funnel_limits(
        target_rate=target_rate, population=population, per=per, levels=levels, method=method
    )
    rate = float(count) / float(population) * per
    beyond: dict[float, Literal["above", "below"] | None] = {}
    for level, (lower, upper) in limits.items():
        # Compare counts, not rates, so that rounding in the division cannot move a unit.
        lower_count, upper_count = lower * population / per, upper * population / per
        if count > upper_count and not math.isclose(count, upper_count, rel_tol=1e-9):
            beyond[level] = "above"
        elif count < lower_count and not math.isclose(count, lower_count, rel_tol=1e-9):
            beyond[level] = "below"
        else:
            beyond[level] = None
    return FunnelPoint(int(count), float(population), rate, limits, beyond)


# --- Statistical process control --------------------------------------------------------------


@dataclass(frozen=True)
class SPCPoint:
    value: float
    beyond_limits: bool
    in_run: bool

    @property
    def breach(self) -> bool:
        return self.beyond_limits or self.in_run


@dataclass(frozen=True)
class SPCResult:
    centre: float
    lower: float
    upper: float
    points: list[SPCPoint]

    @property
    def breaches(self) -> list[int]:
        """Positions of the points that break either rule."""
        return [i for i, point in enumerate(self.points) if point.breach]


def _baseline_values(values: Sequence[float], baseline: slice, minimum: int) -> list[float]:
    if baseline.step not in (None, 1):
        raise ValueError("the baseline must be a run of consecutive points")
    chosen = list(values[baseline])
    if len(chosen) < minimum:
        raise ValueError(f"the baseline needs at least {minimum} points")
    return chosen


def _runs(values: Sequence[float], centre: float, length: int = RUN_LENGTH) -> list[bool]:
    """Flags every point in a run of `length` or more on one side of the centre line."""
    sides = [0 if v == centre else (1 if v > centre else -1) for v in values]
    flags = [False] * len(values)
    start = 0
    while start < len(sides):
        end = start
        while end + 1 < len(sides) and sides[end + 1] == sides[start]:
            end += 1
        # A point on the centre line is on neither side: it breaks a run and never starts one.
        if sides[start] != 0 and end - start + 1 >= length:
            for i in range(start, end + 1):
                flags[i] = True
        start = end + 1
    return flags


def _spc_result(values: Sequence[float], centre: float, lower: float, upper: float) -> SPCResult:
    runs = _runs(values, centre)
    points = [
        SPCPoint(value=v, beyond_limits=v > upper or v < lower, in_run=run)
        for v, run in zip(values, runs, strict=True)
    ]
    return SPCResult(centre=centre, lower=lower, upper=upper, points=points)


def c_chart(*, counts: Sequence[int], baseline: slice) -> SPCResult:
    """c-chart of counts: centre c-bar and limits c-bar +/- 3 sqrt(c-bar) from the baseline."""
    for c in counts:
        _check_count(c)
    chosen = _baseline_values(counts, baseline, minimum=1)
    centre = sum(chosen) / len(chosen)
    spread = 3 * math.sqrt(centre)
    return _spc_result(list(counts), centre, max(0.0, centre - spread), centre + spread)


def xmr_chart(
    *, values: Sequence[float], baseline: slice, screen_outliers: bool = False
) -> SPCResult:
    """XmR (individuals) chart: limits mean +/- 2.66 x mean moving range from the baseline.

    With `screen_outliers`, moving ranges above 3.267 x their mean are left out of the mean
    moving range before the limits are set, as NHSRplotthedots does.
    """
    chosen = _baseline_values(values, baseline, minimum=2)
    centre = sum(chosen) / len(chosen)
    moving_ranges = [abs(b - a) for a, b in zip(chosen, chosen[1:], strict=False)]
    mean_range = sum(moving_ranges) / len(moving_ranges)
    if screen_outliers:
        kept = [mr for mr in moving_ranges if mr < XMR_MR_SCREEN * mean_range]
        mean_range = sum(kept) / len(kept) if kept else mean_range
    spread = XMR_SCALE * mean_range
    return _spc_result(list(values), centre, centre - spread, centre + spread)


# --- Concentration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConcentrationShare:
    share: float  # of areas, e.g. 0.05
    areas: int  # how many areas that is (rounded up)
    incidents: int  # incidents in those areas
    fraction: float  # of all incidents


def concentration_table(
    *, counts: Sequence[int], shares: Sequence[float] = (0.01, 0.05, 0.10)
) -> list[ConcentrationShare]:
    """For each share of areas, the incidents in that many of the highest-count areas.

    `counts` must hold every area, including those with no incidents. The number of areas is
    the share of all areas rounded up, so the top 1% of 150 areas is 2 areas. Which of several
    tied areas is taken cannot change the sum, so ties need no rule of their own.
    """
    for c in counts:
        _check_count(c)
    ordered = sorted(counts, reverse=True)
    total = sum(ordered)
    rows = []
    for share in shares:
        if not 0 < share <= 1:
            raise ValueError("a share of areas must be more than 0 and at most 1")
        # Round before the ceiling so 0.1 x 30 (3.0000000000000004 in binary) is 3 areas, not 4.
        areas = math.ceil(round(share * len(ordered), 9))
        incidents = sum(ordered[:areas])
        rows.append(
            ConcentrationShare(
                share=share,
                areas=areas,
                incidents=incidents,
                fraction=incidents / total if total else 0.0,
            )
        )
    return rows


def concentration(
    *, counts: Sequence[int], shares: Sequence[float] = (0.01, 0.05, 0.10)
) -> dict[float, float]:
    """Fraction of all incidents in the top share of areas (0.0 when there are no incidents)."""
    return {row.share: row.fraction for row in concentration_table(counts=counts, shares=shares)}


# --- Aoristic weighting -----------------------------------------------------------------------


def aoristic_hours(
    *, start: datetime, end: datetime, tz: tzinfo | None = None
) -> dict[tuple[int, int], float]:
    """Spread a record known only to [start, end] over the (weekday, hour) cells it overlaps.

    Weekday 0 is Monday. Each cell's weight is the share of the window that falls in it, so the
    weights sum to 1. A record with start == end puts its whole weight in one cell. A window of
    7 days or more says nothing about the day or hour, so it spreads evenly over all 168 cells.
    Aware datetimes are read on the wall clock of `tz` (by default start's own time zone), so a
    window across a change to or from summer time lands on the hours people saw on their clocks.
    """
    if (start.tzinfo is None) != (end.tzinfo is None):
        raise ValueError("start and end must both be naive or both be time-zone aware")
    if start.tzinfo is None and tz is not None:
        raise ValueError("a time zone applies only to time-zone aware datetimes")
    zone = tz or start.tzinfo
    if zone is not None:
        # Python subtracts two datetimes of the same zone on the wall clock; work in UTC so a
        # night with a clock change lasts as long as it really did.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end < start:
        raise ValueError("the window ends before it starts")
    if end - start >= timedelta(days=7):
        even = 1 / HOURS_IN_WEEK
        return {(day, hour): even for day in range(7) for hour in range(24)}

    def wall_clock(moment: datetime) -> datetime:
        return moment.astimezone(zone) if zone is not None else moment

    if end == start:
        local = wall_clock(start)
        return {(local.weekday(), local.hour): 1.0}

    weights: dict[tuple[int, int], float] = {}
    total = (end - start).total_seconds()
    cursor, finish = start, end
    while cursor < finish:
        local = wall_clock(cursor)
        into_hour = timedelta(
            minutes=local.minute, seconds=local.second, microseconds=local.microsecond
        )
        # Step in absolute time: local hour boundaries are found from the local minutes, so
        # zones with half-hour offsets and summer-time changes are handled alike.
        step_end = min(cursor + (timedelta(hours=1) - into_hour), finish)
        key = (local.weekday(), local.hour)
        weights[key] = weights.get(key, 0.0) + (step_end - cursor).total_seconds() / total
        cursor = step_end
    return weights


def aoristic_grid(
    *,
    windows: Iterable[tuple[datetime, datetime, float]],
    tz: tzinfo | None = None,
) -> dict[tuple[int, int], float]:
    """Sum of `aoristic_hours` over many (start, end, number of records) windows.

    Records often share a window (a whole day, a night), so each distinct window is spread
    once and scaled by its number of records: group records by window in SQL, then call this.
    Every one of the 168 (weekday, hour) cells is in the result, with 0.0 where nothing falls.
    """
    counts: Counter[tuple[datetime, datetime]] = Counter()
    for start, end, records in windows:
        if records < 0:
            raise ValueError("a number of records cannot be negative")
        counts[(start, end)] += records
    grid = {(day, hour): 0.0 for day in range(7) for hour in range(24)}
    for (start, end), records in counts.items():
        for cell, weight in aoristic_hours(start=start, end=end, tz=tz).items():
            grid[cell] += weight * records
    return grid


# --- Rolling averages -------------------------------------------------------------------------


def rolling_mean(*, values: Sequence[float | None], window: int = 12) -> list[float | None]:
    """Trailing mean of the last `window` values; None until a full window (or across a gap)."""
    if window < 1:
        raise ValueError("the window must be at least 1")
    result: list[float | None] = []
    for i in range(len(values)):
        if i + 1 < window:
            result.append(None)
            continue
        chunk = values[i + 1 - window : i + 1]
        if any(v is None for v in chunk):
            result.append(None)
            continue
        result.append(math.fsum(chunk) / window)  # type: ignore[arg-type]
    return result
