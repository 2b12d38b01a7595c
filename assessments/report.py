"""What goes into an SNA edition: chapters built from the evidence functions, in order.

Every figure comes from ``evidence.selectors`` (already through disclosure for the edition's
audience) or, for the delivery plan and community voice, from the strategy and surveys apps'
own selectors. Nothing here counts records. Result objects are walked generically: every
``Table`` and ``Chart`` a result holds is shown, in the order the evidence functions give them,
so a new figure in the evidence app appears in the report without a change here.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.text import slugify

from core.disclosure import SENSITIVE, STANDARD

from .models import Audience, Chapter, Edition, Recommendation

# Bump when the way figures are chosen or computed changes: it is part of the fingerprint.
METHOD_VERSION = "sna-2026.1"

Progress = Callable[[int, str], None]

SVG_START = re.compile(r"<svg\b[^>]*>", re.IGNORECASE)


class NoData(Exception):
    """The edition's datasets hold no records for its period and area."""


# --- the report's building blocks -------------------------------------------------------------


NUMERIC_TEXT = re.compile(r"^[*<>~–-]?\s*[0-9][0-9,]*(\.[0-9]+)?\s*%?$|^\*$")


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(NUMERIC_TEXT.match(value.strip()))


# A table longer than this is printed as its top rows (by count, when it has a count column);
# every row is in tables.zip. Ranking uses the published values only ("*" ranks lowest), so a
# hidden count is never put in order.
LONG_TABLE_ROWS = 40
SHOWN_ROWS = 20
COUNT_COLUMNS = {"records", "count", "incidents", "attendances", "offences"}


def _rank_value(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return -1.0
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).replace(",", "").strip()
    try:
        return float(text)
    except ValueError:
        return -1.0


@dataclass
class TableBlock:
    table: Any  # evidence.tables.Table
    number: int = 0
    anchor: str = ""
    chapter: str = ""
    chapter_slug: str = ""
    kind: str = "table"

    @property
    def is_long(self) -> bool:
        return len(self.table.rows) > LONG_TABLE_ROWS

    @property
    def count_column(self) -> int | None:
        for i, column in enumerate(self.table.columns):
            if str(column).strip().lower() in COUNT_COLUMNS:
                return i
        return None

    @property
    def shown_rows(self) -> list[list[Any]]:
        """The rows printed: all of a short table; the top rows of a long one."""
        rows = list(self.table.rows)
        if not self.is_long:
            return rows
        column = self.count_column
        if column is not None:
            # sorted() is stable: equal published values keep the evidence app's order.
            rows = sorted(rows, key=lambda r: -_rank_value(r[column] if column < len(r) else None))
        return rows[:SHOWN_ROWS]

    @property
    def shown_note(self) -> str:
        if not self.is_long:
            return ""
        column = self.count_column
        which = (
            f"the {SHOWN_ROWS} with the most {str(self.table.columns[column]).lower()}"
            if column is not None
            else f"the first {SHOWN_ROWS}"
        )
        return (
            f"Showing {which} of {len(self.table.rows):,} rows; every row is in tables.zip "
            f"({table_filename(self)})."
        )

    def _numeric_columns(self) -> list[bool]:
        width = len(self.table.columns)
        numeric = [True] * width
        seen = [False] * width
        for row in self.table.rows:
            for i, cell in enumerate(row[:width]):
                if cell in (None, ""):
                    continue
                seen[i] = True
                numeric[i] = numeric[i] and _numeric(cell)
        return [n and s for n, s in zip(numeric, seen, strict=True)]

    @property
    def header(self) -> list[tuple[str, bool]]:
        """Column headings with whether the column holds numbers (aligned right)."""
        return list(zip(self.table.columns, self._numeric_columns(), strict=True))

    @property
    def body(self) -> list[list[tuple[Any, bool]]]:
        numeric = self._numeric_columns()
        return [
            [(cell, numeric[i] if i < len(numeric) else False) for i, cell in enumerate(row)]
            for row in self.shown_rows
        ]


@dataclass
class FigureBlock:
    chart: Any  # evidence.charts.Chart
    svg: str = ""
    number: int = 0
    anchor: str = ""
    data: TableBlock | None = None  # the chart's table, printed in the appendix
    kind: str = "figure"


@dataclass
class MapBlock:
    """A server-drawn area map (incidents.maps.AreaMap); its table is beside it."""

    map: Any
    summary: str
    title: str = ""
    number: int = 0
    anchor: str = ""
    kind: str = "map"


@dataclass
class TextBlock:
    text: str
    kind: str = "text"


@dataclass
class NarrativeBlock:
    """Staff-written plain text: escaped when rendered, blank lines make paragraphs."""

    text: str
    empty: str = "Not written for this edition."
    kind: str = "narrative"


@dataclass
class FactsBlock:
    """A list of label/value pairs (a definition list)."""

    rows: list[tuple[str, str]]
    kind: str = "facts"


@dataclass
class RecommendationsBlock:
    items: list[Recommendation]
    carried: bool = False
    kind: str = "recommendations"


@dataclass
class Section:
    title: str
    blocks: list[Any] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    anchor: str = ""


@dataclass
class ChapterContent:
    slug: str
    title: str
    blocks: list[Any] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    appendix: bool = False
    in_contents: bool = True  # list its sections in the contents

    @property
    def anchor(self) -> str:
        return f"ch-{self.slug}"


@dataclass
class Report:
    edition: Edition
    chapters: list[ChapterContent]
    tables: list[TableBlock]
    fingerprint: str
    fingerprint_inputs: dict[str, Any]
    period_label: str
    area_label: str
    partnership_name: str
    generated_on: datetime.date
    chart_seconds: float = 0.0


# --- walking evidence results ------------------------------------------------------------------


def _is_table(value: Any) -> bool:
    return all(hasattr(value, a) for a in ("title", "columns", "rows", "to_csv"))


def _is_chart(value: Any) -> bool:
    return all(hasattr(value, a) for a in ("spec", "summary", "table"))


def _is_map(value: Any) -> bool:
    return all(hasattr(value, a) for a in ("areas", "legend", "width", "height"))


# Result fields never shown: the query context, and the overview's per-priority sparklines (the
# overview table carries the same figures; a page of tiny charts helps no reader of a PDF).
SKIPPED_FIELDS = {"context", "sparkline", "dataset", "datasets", "police", "health"}
# Result fields holding sentences for the reader (notes, caveats, SPC breaches).
TEXT_FIELDS = {
    "spc_note",
    "rate_note",
    "ratio_text",
    "lsoas_hidden_reason",
    "notes",
    "breaches",
    "summary_text",
}


@dataclass
class ResultText:
    text: str


@dataclass
class ResultMap:
    name: str
    map: Any


MAP_NAMES = {"ward_map": "wards", "lsoa_map": "LSOAs", "district_map": "districts"}


def evidence_items(result: Any, _depth: int = 0, _name: str = "") -> Iterator[Any]:
    """Every Table, Chart, map and note a result holds, depth first, in field order."""
    if result is None or _depth > 6:
        return
    if _is_map(result):
        yield ResultMap(name=_name, map=result)
        return
    if _is_chart(result) or _is_table(result):
        yield result
        return
    if isinstance(result, str):
        if _name in TEXT_FIELDS and result.strip():
            yield ResultText(result.strip())
        return
    if isinstance(result, (list, tuple)):
        if hasattr(result, "table"):
            yield from evidence_items(result.table, _depth + 1)
        for item in result:
            yield from evidence_items(item, _depth + 1, _name)
        return
    if isinstance(result, dict):
        for item in result.values():
            yield from evidence_items(item, _depth + 1, _name)
        return
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        for f in dataclasses.fields(result):
            if f.name in SKIPPED_FIELDS:
                continue
            yield from evidence_items(getattr(result, f.name), _depth + 1, f.name)


def svg_with_title(svg: str, summary: str) -> str:
    """The chart's SVG with its one-sentence summary as its first <title> (the PDF's /Alt).

    WeasyPrint takes a figure's alternative text from the SVG's own <title>; the evidence app
    already names the chart with aria-label for the web.
    """
    match = SVG_START.search(svg)
    if match is None:
        raise ValueError("The chart is not an SVG document.")
    title = f"<title>{escape(summary)}</title>"
    return svg[: match.end()] + title + svg[match.end() :]


class Collector:
    """Numbers tables and figures in reading order and keeps every table for tables.zip."""

    def __init__(self, chart_svg: Callable[[dict], str]) -> None:
        self.tables: list[TableBlock] = []
        self.figures = 0
        self._chart_svg = chart_svg
        self.chapter = ""
        self.chapter_slug = ""
        self.chart_seconds = 0.0

    def table(self, table: Any) -> TableBlock:
        block = TableBlock(table=table, chapter=self.chapter, chapter_slug=self.chapter_slug)
        block.number = len(self.tables) + 1
        block.anchor = f"table-{block.number}"
        self.tables.append(block)
        return block

    def figure(self, chart: Any) -> FigureBlock:
        self.figures += 1
        block = FigureBlock(chart=chart, number=self.figures, anchor=f"figure-{self.figures}")
        started = time.perf_counter()
        block.svg = svg_with_title(self._chart_svg(chart.spec), chart.summary)
        self.chart_seconds += time.perf_counter() - started
        return block

    def map(self, item: ResultMap) -> MapBlock:
        self.figures += 1
        area_map = item.map
        kind = MAP_NAMES.get(item.name, "areas")
        summary = (
            f"Map of the {len(area_map.areas)} {kind} shaded by records per 1,000 residents, "
            "darker for higher rates; areas whose figures are hidden to protect small numbers "
            f"are grey. The same figures are in the table of rates by {kind.rstrip('s')}."
        )
        return MapBlock(
            title=f"Map of {kind}: records per 1,000 residents",
            map=area_map,
            summary=summary,
            number=self.figures,
            anchor=f"figure-{self.figures}",
        )

    def blocks(self, result: Any) -> list[Any]:
        """Blocks for every figure, map, table and note of an evidence result."""
        blocks: list[Any] = []
        items = list(evidence_items(result))
        # A table a chart draws is printed with the chart's data (appendix A), not twice.
        charted = {id(item.table) for item in items if _is_chart(item)}
        for item in items:
            if _is_table(item) and id(item) in charted:
                continue
            if isinstance(item, ResultText):
                blocks.append(TextBlock(text=item.text))
            elif _is_chart(item):
                blocks.append(self.figure(item))
            elif isinstance(item, ResultMap):
                blocks.append(self.map(item))
            else:
                blocks.append(self.table(item))
        return blocks

    def number_figure_tables(self, chapters: list[ChapterContent]) -> list[TableBlock]:
        """Chart tables are numbered after the body's tables: they are printed in the appendix."""
        data: list[TableBlock] = []
        for chapter in chapters:
            for block in _all_blocks(chapter):
                if isinstance(block, FigureBlock):
                    self.chapter = chapter.title
                    self.chapter_slug = chapter.slug
                    block.data = self.table(block.chart.table)
                    data.append(block.data)
        return data


def _all_blocks(chapter: ChapterContent) -> Iterator[Any]:
    yield from chapter.blocks

    def walk(sections: list[Section]) -> Iterator[Any]:
        for section in sections:
            yield from section.blocks
            yield from walk(section.sections)

    yield from walk(chapter.sections)


# --- the chapters ------------------------------------------------------------------------------


def month_label(day: datetime.date) -> str:
    return f"{day:%B %Y}"


def period_label(edition: Edition) -> str:
    return f"{month_label(edition.period_start)} to {month_label(edition.period_end)}"


def _recommendations(edition: Edition, chapter: str) -> list[Recommendation]:
    return [r for r in edition.recommendations.all() if r.chapter == chapter]


def _recommendation_section(edition: Edition, chapter: str) -> list[Section]:
    items = _recommendations(edition, chapter)
    if not items:
        return []
    return [Section(title="Recommendations", blocks=[RecommendationsBlock(items=items)])]


def report_build(*, edition: Edition, progress: Progress) -> Report:
    """Build every chapter of the edition from the evidence functions (the data step)."""
    from evidence import charts as evidence_charts
    from evidence import query as evidence_query
    from evidence import selectors as evidence

    from .selectors import (
        edition_drivers,
        edition_measures,
        edition_plan,
        edition_priorities,
        edition_surveys,
        partnership_name,
    )

    dataset_ids = tuple(sorted(edition.datasets.values_list("pk", flat=True)))
    if edition.audience == Audience.RESTRICTED:
        audience = evidence_query.Audience.restricted(dataset_ids)
    else:
        audience = evidence_query.Audience.public(dataset_ids)
    area = evidence_query.Area(
        level="authority" if edition.authority_id else "partnership",
        code=edition.authority.code if edition.authority_id else None,
    )

    def query_for(subject: Any) -> Any:
        return evidence_query.EvidenceQuery(
            subject=subject,
            start=edition.period_start,
            end=edition.period_end,
            area=area,
            dataset_ids=dataset_ids,
        )

    inputs = evidence.evidence_fingerprint_inputs(
        dataset_ids=dataset_ids, start=edition.period_start, end=edition.period_end
    )
    if not (inputs.get("records") or inputs.get("record_count")):
        raise NoData(
            f"The chosen datasets hold no records from {period_label(edition)}: nothing to assess."
        )
    from .fingerprint import fingerprint_of

    fingerprint, fingerprint_inputs = fingerprint_of(
        evidence_inputs=inputs, edition=edition, method_version=METHOD_VERSION
    )

    collect = Collector(evidence_charts.chart_svg)
    chapters: list[ChapterContent] = []
    definition_subject = evidence_query.Subject(
        kind="definition", priority_slug=None, category_slugs=()
    )
    whole = query_for(definition_subject)
    priorities = edition_priorities(edition=edition)

    def chapter(slug: str, title: str, **kwargs: Any) -> ChapterContent:
        collect.chapter = title
        collect.chapter_slug = slug
        content = ChapterContent(slug=slug, title=title, **kwargs)
        chapters.append(content)
        return content

    progress(12, "Executive summary: the headline figures")
    overview = evidence.evidence_overview(query=whole, audience=audience)
    summary = chapter("summary", "Executive summary")
    summary.blocks.append(NarrativeBlock(text=edition.executive_summary))
    summary.sections.append(
        Section(title="Key findings", blocks=[NarrativeBlock(text=edition.key_findings)])
    )
    summary.sections.append(
        Section(title="The priorities at a glance", blocks=collect.blocks(overview))
    )

    progress(18, "Definition and scope")
    scope = chapter("definition", "Definition and scope")
    definition = edition.definition
    if definition is not None:
        scope.blocks.append(
            FactsBlock(
                rows=[
                    ("Local definition", f"Version {definition.version}"),
                    ("Agreed on", f"{definition.agreed_on:%-d %B %Y}"),
                ]
            )
        )
        scope.blocks.append(NarrativeBlock(text=definition.text))
    else:
        scope.blocks.append(TextBlock(text="No local definition was chosen for this edition."))
    scope.blocks.append(
        FactsBlock(
            rows=[
                ("Area", edition.area_name.capitalize()),
                ("Period", period_label(edition)),
                ("Audience", edition.get_audience_display()),
            ]
        )
    )
    scope.sections.append(
        Section(
            title="Priorities",
            blocks=[
                FactsBlock(rows=[(p.name, p.short_description or "") for p in priorities]),
            ],
        )
    )
    scope.sections += _recommendation_section(edition, Chapter.DEFINITION)

    progress(24, "Method and data sources")
    method = chapter("method", "Method and data sources")
    for dataset in edition.datasets.select_related("owner").order_by("name"):
        method.sections.append(
            Section(
                title=dataset.name,
                blocks=[
                    FactsBlock(
                        rows=[
                            ("Shared by", dataset.owner.name),
                            ("Source system", dataset.source_system or "Not stated"),
                            ("Format", dataset.get_format_display()),
                            ("Period covered here", period_label(edition)),
                        ]
                    ),
                    NarrativeBlock(
                        text=dataset.extraction_notes, empty="No extraction notes recorded."
                    ),
                ],
            )
        )
    quality = evidence.evidence_data_quality(audience=audience, dataset_ids=dataset_ids)
    method.sections.append(Section(title="Completeness and lag", blocks=collect.blocks(quality)))
    method.sections.append(
        Section(title="Small numbers", blocks=[TextBlock(text=suppression_text(edition))])
    )
    method.sections.append(
        Section(
            title="Fingerprint",
            blocks=[
                TextBlock(
                    text="The fingerprint identifies exactly the data this edition was made "
                    "from. Generating the edition again from the same data gives the same "
                    "fingerprint and the same figures."
                ),
                FactsBlock(rows=fingerprint_rows(fingerprint, fingerprint_inputs)),
            ],
        )
    )
    method.sections += _recommendation_section(edition, Chapter.METHOD)

    progress(30, "Context: population, age and deprivation")
    context = chapter("context", "Context")
    context.blocks += collect.blocks(evidence.evidence_context(area=area))
    context.sections += _recommendation_section(edition, Chapter.CONTEXT)

    share = 40 / max(len(priorities), 1)
    for index, priority in enumerate(priorities):
        progress(35 + int(index * share), f"Priority: {priority.name}")
        subject = evidence_query.Subject(
            kind="priority", priority_slug=priority.slug, category_slugs=()
        )
        query = query_for(subject)
        # Every priority has the same five sections: the contents lists the chapter only.
        content = chapter(f"priority-{priority.slug}", priority.name, in_contents=False)
        if priority.short_description:
            content.blocks.append(TextBlock(text=priority.short_description))
        for title, function in (
            ("Volume and trend", evidence.evidence_trend),
            ("Where", evidence.evidence_where),
            ("When", evidence.evidence_when),
            ("Who", evidence.evidence_who),
            ("Deprivation", evidence.evidence_deprivation),
        ):
            content.sections.append(
                Section(
                    title=title, blocks=collect.blocks(function(query=query, audience=audience))
                )
            )
    if priorities:
        chapters[-1].sections += _recommendation_section(edition, Chapter.PRIORITIES)

    progress(76, "Police and health data side by side")
    police_health = chapter("police-health", "Police and health data")
    police_health.blocks += collect.blocks(
        evidence.evidence_police_health(query=whole, audience=audience)
    )
    police_health.sections += _recommendation_section(edition, Chapter.POLICE_HEALTH)

    progress(80, "Drivers, risk and protective factors")
    drivers = chapter("drivers", "Drivers, risk and protective factors")
    for item in edition_drivers(edition=edition):
        blocks: list[Any] = [NarrativeBlock(text=item.description, empty="")]
        if item.references:
            blocks.append(
                FactsBlock(rows=[("Evidence in this report", "; ".join(item.references))])
            )
        if item.actions:
            blocks.append(FactsBlock(rows=[("Delivery-plan actions", "; ".join(item.actions))]))
        drivers.sections.append(Section(title=item.title, blocks=blocks))
    if not drivers.sections:
        drivers.blocks.append(TextBlock(text="The strategy records no drivers yet."))
    drivers.sections += _recommendation_section(edition, Chapter.DRIVERS)

    progress(83, "Community voice")
    community = chapter("community", "Community voice")
    surveys = edition_surveys(edition=edition)
    community.blocks.append(
        TextBlock(
            text="Findings of the partnership's resident surveys that closed in the period. "
            "Counts are always shown through the disclosure policy (whatever the edition's "
            "audience) and free-text answers are never included."
        )
    )
    for survey in surveys:
        section = Section(title=survey.title, blocks=[NarrativeBlock(text=survey.heard, empty="")])
        section.blocks += [collect.table(t) for t in survey.tables]
        community.sections.append(section)
    if not surveys:
        community.blocks.append(TextBlock(text="No survey closed in this period."))
    community.sections += _recommendation_section(edition, Chapter.COMMUNITY)

    progress(86, "Delivery plan and outcome measures")
    delivery = chapter("delivery", "Delivery plan and outcomes")
    plan = edition_plan(edition=edition)
    delivery.blocks += [collect.table(t) for t in plan]
    delivery.sections.append(
        Section(
            title="Outcome measures",
            blocks=[collect.table(t) for t in edition_measures(edition=edition)],
        )
    )
    delivery.sections += _recommendation_section(edition, Chapter.DELIVERY)

    gaps = chapter("data-gaps", "Data gaps")
    gaps.blocks.append(NarrativeBlock(text=edition.data_gaps))
    gaps.sections += _recommendation_section(edition, Chapter.DATA)

    recommendations = chapter("recommendations", "Recommendations")
    current = [r for r in edition.recommendations.all() if r.carried_from_id is None]
    carried = [r for r in edition.recommendations.all() if r.carried_from_id is not None]
    if current:
        recommendations.sections.append(
            Section(title="This edition", blocks=[RecommendationsBlock(items=current)])
        )
    if carried:
        recommendations.sections.append(
            Section(
                title="What became of the last edition's recommendations",
                blocks=[RecommendationsBlock(items=carried, carried=True)],
            )
        )
    if not current and not carried:
        recommendations.blocks.append(TextBlock(text="This edition makes no recommendations."))

    progress(88, "Appendices")
    figure_tables = collect.number_figure_tables(chapters)
    data = chapter("appendix-data", "Appendix A: data tables", appendix=True)
    data.blocks.append(
        TextBlock(
            text="The data behind every chart in this report, chapter by chapter. Every table "
            "is also in the tables.zip file published with this edition."
        )
    )
    by_chapter: dict[str, list[TableBlock]] = {}
    for block in figure_tables:
        by_chapter.setdefault(block.chapter, []).append(block)
    for title, blocks in by_chapter.items():
        data.sections.append(Section(title=title, blocks=list(blocks)))
    glossary = chapter("appendix-glossary", "Appendix B: glossary", appendix=True)
    glossary.blocks.append(FactsBlock(rows=GLOSSARY))
    methodology = chapter("appendix-method", "Appendix C: methodology", appendix=True)
    for title, text in METHODOLOGY:
        methodology.sections.append(Section(title=title, blocks=[TextBlock(text=text)]))
    methodology.sections.append(
        Section(title="Method version", blocks=[TextBlock(text=METHOD_VERSION)])
    )

    _anchor_sections(chapters)
    return Report(
        edition=edition,
        chapters=chapters,
        tables=collect.tables,
        fingerprint=fingerprint,
        fingerprint_inputs=fingerprint_inputs,
        period_label=period_label(edition),
        area_label=edition.area_name,
        partnership_name=partnership_name(),
        generated_on=datetime.date.today(),
        chart_seconds=collect.chart_seconds,
    )


def _anchor_sections(chapters: list[ChapterContent]) -> None:
    for chapter in chapters:
        for i, section in enumerate(chapter.sections, start=1):
            section.anchor = f"{chapter.anchor}-{i}"
            for j, sub in enumerate(section.sections, start=1):
                sub.anchor = f"{section.anchor}-{j}"


def suppression_text(edition: Edition) -> str:
    if edition.audience == Audience.RESTRICTED:
        return (
            "This is the restricted edition for named partners: figures are exact and small "
            "numbers are shown. It must not be published. The public summary applies the rules "
            "below."
        )
    return (
        f"Counts from 1 to {STANDARD.threshold} are shown as *; for sexual offences and domestic "
        f"abuse the threshold is {SENSITIVE.threshold} and no area smaller than a ward is shown. "
        "Where a total is published, a second cell is hidden too so that the total cannot reveal "
        "a hidden one. Other counts are changed by a few records (the cell key method of the "
        "Office for National Statistics): the same records always give the same figure, so "
        "figures may not add up exactly to their totals, and subtracting overlapping tables "
        "reveals nothing."
    )


def fingerprint_rows(fingerprint: str, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    uploads = inputs.get("uploads", [])
    reference = inputs.get("reference") or inputs.get("reference_versions") or {}
    return [
        ("Fingerprint", fingerprint),
        ("Method version", str(inputs.get("method_version", ""))),
        ("Uploads included", str(len(uploads))),
        ("Records", f"{int(inputs.get('records') or inputs.get('record_count') or 0):,}"),
        ("Hash of the records", str(inputs.get("records_hash", ""))),
        (
            "Reference data",
            "; ".join(f"{k}: {_reference_text(v)}" for k, v in sorted(reference.items()))
            or "Not recorded",
        ),
    ]


def _reference_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"{len(value)} entries"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
    return str(value)


def table_filename(block: TableBlock) -> str:
    """table-013-priority-personal-robbery-rates-by-lsoa.csv: number, chapter, title."""
    title = slugify(block.table.title) or "table"
    chapter = block.chapter_slug
    if chapter and not title.startswith(chapter.removeprefix("priority-")):
        title = f"{chapter}-{title}"
    return f"table-{block.number:03d}-{title[:80]}.csv"


def anchor_for(text: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", slugify(text))


GLOSSARY: list[tuple[str, str]] = [
    (
        "Aoristic analysis",
        "Spreading an incident whose exact time is unknown evenly over the "
        "hours in which it could have happened.",
    ),
    (
        "Confidence interval",
        "The range within which the true rate probably lies (95% here); "
        "wide intervals mean small numbers.",
    ),
    (
        "Funnel plot",
        "A chart of each area's rate against its population, with limits showing "
        "how far a rate may differ from the partnership's by chance.",
    ),
    (
        "ISTV",
        "Information Sharing to Tackle Violence: the emergency-department data standard "
        "(ISB 1594), also called the Cardiff Model.",
    ),
    ("LSOA", "Lower layer Super Output Area: a small area of about 1,500 residents."),
    (
        "IMD",
        "The English Indices of Deprivation 2019; decile 1 is the most deprived tenth of "
        "areas in England.",
    ),
    ("Rate per 1,000", "Incidents for every 1,000 residents of the area."),
    ("Significant", "A change too large to be explained by chance alone (exact test, 5% level)."),
    (
        "Statistical process control",
        "Control limits drawn from a baseline period: a month "
        "beyond them, or seven months in a row on one side, is unusual.",
    ),
    ("Suppression", "Hiding small counts (shown as *) so that no person can be identified."),
]

METHODOLOGY: list[tuple[str, str]] = [
    (
        "Rates and confidence intervals",
        "Rates are per 1,000 residents with 95% confidence "
        "intervals: Byar's approximation for 10 or more events and the exact Poisson method "
        "below 10, as in the OHID Fingertips technical guidance.",
    ),
    (
        "Change between periods",
        "Changes compare the same months a year earlier with an exact "
        "test on the ratio of two Poisson counts; a change is called significant only when it "
        "passes at the 5% level.",
    ),
    (
        "Comparing areas",
        "Funnel plots show each area's rate against the partnership's, with "
        "95% and 99.8% control limits from the exact Poisson distribution (Spiegelhalter). "
        "Concentration is the share of incidents in the top 1%, 5% and 10% of small areas.",
    ),
    (
        "Unusual months",
        "c-charts with limits from a baseline period: a month beyond the limits "
        "or a run of seven months on one side of the centre line is flagged.",
    ),
    (
        "Time of day",
        "Incidents known only to a window of time are spread over its hours (aoristic weighting).",
    ),
    (
        "Police and hospital data",
        "Emergency-department assaults (ISTV) are shown beside "
        "police-recorded violence by month and area: the gap is violence the police never hear "
        "of.",
    ),
]
