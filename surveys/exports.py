"""Export tables as CSV or XLSX, with every text cell made safe from spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from core.exports import escape_formula

from .models import Answer, Response
from .routing import Structure
from .selectors import disclosure_rule, question_results, respondents, responses_filtered

Cell = str | int | float | None


def to_csv(header: list[str], rows: list[list[Cell]]) -> bytes:
    """UTF-8 CSV with a byte-order mark so Excel shows accents correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_formula(h) for h in header])
    for row in rows:
        writer.writerow([escape_formula(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list[Cell]]) -> bytes:
    """One-sheet workbook; no cell is ever stored as a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Export")
    sheet.append([escape_formula(h) for h in header])
    for row in rows:
        sheet.append([escape_formula(c) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def summary_rows(
    structure: Structure, filters: list[Any], published: bool
) -> tuple[list[str], list[list[Cell]]]:
    """Counts of each answer to each choice question (suppressed when published)."""
    rule = disclosure_rule(structure.survey) if published else None
    responses = responses_filtered(structure.survey, filters)
    if respondents(responses).too_few(rule):
        raise ValidationError(
            "Too few responses match these filters to publish any figures. Remove a filter."
        )
    header = ["question_key", "question", "answer", "count", "percent_of_those_answering"]
    rows: list[list[Cell]] = []
    for result in question_results(structure, responses, rule):
        if published and not result.question.is_choice:
            continue  # only choice questions can be published; text never leaves like this
        for row in result.rows:
            percent = round(row.percent, 1) if row.percent is not None else ""
            rows.append([result.question.key, result.question.text, row.label, row.shown, percent])
        rows.append(
            [result.question.key, result.question.text, "Answered", result.answered_shown, ""]
        )
    return header, rows


def response_rows(structure: Structure, filters: list[Any]) -> tuple[list[str], list[list[Cell]]]:
    """One row per response, one column per question (and per 'other' text). Not published."""
    responses = responses_filtered(structure.survey, filters).order_by("pk")
    values: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    answers = (
        Answer.objects.filter(response__in=responses)
        .select_related("choice")
        .order_by("response_id", "question_id", "pk")
    )
    keys = {q.pk: q.key for q in structure.questions}
    for answer in answers.iterator(chunk_size=2000):
        key = keys.get(answer.question_id)
        if key is None:
            continue
        if answer.choice_id:
            values[answer.response_id][key].append(answer.choice.label)
        elif answer.is_other:
            values[answer.response_id][key].append("Other")
            values[answer.response_id][f"{key}-other"].append(answer.text)
        elif answer.number is not None:
            values[answer.response_id][key].append(str(answer.number))
        elif answer.date is not None and not answer.text:
            values[answer.response_id][key].append(answer.date.isoformat())
        else:
            values[answer.response_id][key].append(answer.text)
    columns: list[str] = []
    for question in structure.questions:
        columns.append(question.key)
        if question.allow_other:
            columns.append(f"{question.key}-other")
    header = ["response", "submitted_hour", *columns]
    rows: list[list[Cell]] = []
    for number, response in enumerate(
        Response.objects.filter(pk__in=responses.values("pk")).order_by("pk"), start=1
    ):
        by_key = values.get(response.pk, {})
        submitted = timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:00")
        rows.append([number, submitted, *["; ".join(by_key.get(c, [])) for c in columns]])
    return header, rows
