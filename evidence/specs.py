"""Vega-Lite specifications of the evidence charts, built with altair (validated on build).

Each function takes plain rows (only published, shown values: a hidden count is never charted)
and returns a spec dict for charts.chart_svg; the same spec serves the web page and the PDF.
"""

from __future__ import annotations

from typing import Any

import altair as alt

WIDTH = 560
BLUE, RED, GREY, BLACK = "#1d70b8", "#d4351c", "#505a5f", "#0b0c0c"


def _data(rows: list[dict[str, Any]]) -> alt.Data:
    return alt.Data(values=rows)


def sparkline_spec(points: list[dict[str, Any]]) -> dict[str, Any]:
    """A small line of monthly records (no axes: the table beside it has the figures).

    Written as the Vega-Lite dict itself: the overview draws one per priority, and building it
    through altair's objects costs more than rendering it.
    """
    return {
        "data": {"values": points},
        "width": 160,
        "height": 40,
        "mark": {"type": "line", "color": BLUE, "strokeWidth": 2},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "timeUnit": "utcyearmonth", "axis": None},
            "y": {
                "field": "records",
                "type": "quantitative",
                "axis": None,
                "scale": {"zero": False},
            },
        },
        "config": {"view": {"stroke": None}},
    }


def line_spec(points: list[dict[str, Any]], *, y_title: str) -> dict[str, Any]:
    """Monthly lines, one per series (e.g. records and their rolling mean)."""
    return (
        alt.Chart(_data(points), width=WIDTH, height=240)
        .mark_line(point=alt.OverlayMarkDef(size=20))
        .encode(
            x=alt.X(
                "utcyearmonth(month):T",
                title="Month",
                axis=alt.Axis(format="%b %Y", labelAngle=-45),
            ),
            y=alt.Y("value:Q", title=y_title),
            color=alt.Color("series:N", title=None),
            strokeDash=alt.StrokeDash("series:N", title=None),
        )
        .to_dict(validate=False)
    )


def spc_spec(
    points: list[dict[str, Any]], *, centre: float, lower: float, upper: float
) -> dict[str, Any]:
    """A c-chart: monthly counts, centre line and control limits; rule breaks marked."""
    base = alt.Chart(_data(points), width=WIDTH, height=240)
    line = base.mark_line(color=GREY).encode(
        x=alt.X(
            "utcyearmonth(month):T", title="Month", axis=alt.Axis(format="%b %Y", labelAngle=-45)
        ),
        y=alt.Y("value:Q", title="Records a month"),
    )
    dots = base.mark_point(filled=True, size=50).encode(
        x="utcyearmonth(month):T",
        y="value:Q",
        color=alt.Color(
            "signal:N",
            title=None,
            scale=alt.Scale(domain=["Within rules", "Rule broken"], range=[GREY, RED]),
        ),
        shape=alt.Shape(
            "signal:N",
            title=None,
            scale=alt.Scale(domain=["Within rules", "Rule broken"], range=["circle", "diamond"]),
        ),
    )
    rules = (
        alt.Chart(
            _data(
                [
                    {"y": centre, "line": "Centre line"},
                    {"y": max(lower, 0.0), "line": "Control limit"},
                    {"y": upper, "line": "Control limit"},
                ]
            )
        )
        .mark_rule(strokeWidth=1.5)
        .encode(
            y="y:Q",
            strokeDash=alt.StrokeDash(
                "line:N",
                title=None,
                scale=alt.Scale(domain=["Centre line", "Control limit"], range=[[1, 0], [6, 4]]),
            ),
            color=alt.value(BLACK),
        )
    )
    return alt.layer(line, rules, dots).to_dict(validate=False)


def bar_spec(
    points: list[dict[str, Any]],
    *,
    x_title: str,
    sort: list[str],
    y_title: str | None = None,
    error_bars: bool = False,
) -> dict[str, Any]:
    """Horizontal bars of ``records`` by ``label`` (optionally with lower/upper error bars)."""
    base = alt.Chart(_data(points), width=WIDTH - 120, height=alt.Step(22))
    bars = base.mark_bar(color=BLUE).encode(
        y=alt.Y("label:N", sort=sort, title=y_title),
        x=alt.X("records:Q", title=x_title),
    )
    if not error_bars:
        return bars.to_dict(validate=False)
    errors = base.mark_errorbar(color=BLACK, ticks=True).encode(
        y=alt.Y("label:N", sort=sort), x=alt.X("lower:Q", title=x_title), x2="upper:Q"
    )
    return alt.layer(bars, errors).to_dict(validate=False)


def grid_spec(points: list[dict[str, Any]], *, weekdays: list[str]) -> dict[str, Any]:
    """Hour × weekday heat grid (darker = more records)."""
    return (
        alt.Chart(_data(points), width=WIDTH, height=200)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="Hour of the day"),
            y=alt.Y("weekday:N", sort=weekdays, title=None),
            color=alt.Color("records:Q", title="Records", scale=alt.Scale(scheme="purples")),
        )
        .to_dict(validate=False)
    )


def pyramid_spec(points: list[dict[str, Any]], *, bands: list[str]) -> dict[str, Any]:
    """A population pyramid: females to the left, males to the right, by age band."""
    rows = [
        {**p, "signed": -p["records"] if p["sex"] == "Female" else p["records"]} for p in points
    ]
    return (
        alt.Chart(_data(rows), width=WIDTH - 80, height=alt.Step(22))
        .mark_bar()
        .encode(
            y=alt.Y("age:N", sort=list(reversed(bands)), title="Age band"),
            x=alt.X(
                "signed:Q",
                title="Records (females to the left, males to the right)",
                axis=alt.Axis(labelExpr="abs(datum.value)"),
            ),
            color=alt.Color(
                "sex:N", title=None, scale=alt.Scale(domain=["Female", "Male"], range=[RED, BLUE])
            ),
        )
        .to_dict(validate=False)
    )


def funnel_spec(
    points: list[dict[str, Any]], lines: list[dict[str, Any]], *, target: float
) -> dict[str, Any]:
    """Ward rates against population with the 95% and 99.8% funnel limits and the area rate."""
    limit_lines = (
        alt.Chart(_data(lines))
        .mark_line(color=GREY)
        .encode(
            x=alt.X("population:Q", title="Residents"),
            y=alt.Y("rate:Q", title="Rate per 1,000 residents"),
            detail="bound:N",
            strokeDash=alt.StrokeDash(
                "limit:N",
                title="Limits",
                scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[6, 4], [2, 2]]),
            ),
        )
    )
    centre = alt.Chart(_data([{"rate": target}])).mark_rule(color=BLACK).encode(y="rate:Q")
    dots = (
        alt.Chart(_data(points))
        .mark_point(filled=True, size=40)
        .encode(
            x="population:Q",
            y="rate:Q",
            color=alt.Color(
                "status:N",
                title="Ward",
                scale=alt.Scale(
                    domain=[
                        "Within limits",
                        "Above 95% limit",
                        "Above 99.8% limit",
                        "Below 95% limit",
                        "Below 99.8% limit",
                    ],
                    range=[GREY, "#f47738", RED, "#5694ca", BLUE],
                ),
            ),
            shape=alt.Shape(
                "status:N",
                title="Ward",
                scale=alt.Scale(
                    domain=[
                        "Within limits",
                        "Above 95% limit",
                        "Above 99.8% limit",
                        "Below 95% limit",
                        "Below 99.8% limit",
                    ],
                    range=["circle", "triangle-up", "diamond", "triangle-down", "square"],
                ),
            ),
        )
    )
    return alt.layer(limit_lines, centre, dots, width=WIDTH, height=300).to_dict(validate=False)
