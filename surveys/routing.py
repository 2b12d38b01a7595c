"""Which pages and questions a resident sees, given the answers so far.

Pure functions over a survey loaded with its pages, questions and choices (see
selectors.survey_for_resident): no queries happen here, so each page costs the same SQL whatever
the survey's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Question, Survey, SurveyPage

Answers = dict[str, Any]


def condition_values(raw: str) -> set[str]:
    """The choice values in a comma-separated 'show if' setting."""
    return {value.strip() for value in raw.split(",") if value.strip()}


@dataclass
class Structure:
    """A survey's pages and questions, in order, with look-ups by id and key."""

    survey: Survey
    pages: list[SurveyPage]
    questions: list[Question] = field(default_factory=list)
    questions_by_id: dict[int, Question] = field(default_factory=dict)
    pages_by_id: dict[int, SurveyPage] = field(default_factory=dict)

    @classmethod
    def of(cls, survey: Survey) -> Structure:
        pages = list(survey.pages.all())
        structure = cls(survey=survey, pages=pages)
        for page in pages:
            structure.pages_by_id[page.pk] = page
            for question in page.questions.all():
                structure.questions.append(question)
                structure.questions_by_id[question.pk] = question
        return structure

    def page_at(self, position: int) -> SurveyPage | None:
        return next((p for p in self.pages if p.position == position), None)

    def page_questions(self, page: SurveyPage) -> list[Question]:
        return list(page.questions.all())

    # -- visibility ---------------------------------------------------------------------------

    def _condition_met(
        self, question_id: int | None, raw_values: str, answers: Answers, depth: int
    ) -> bool:
        if question_id is None:
            return True
        source = self.questions_by_id.get(question_id)
        if source is None or depth > 20:  # a condition on a missing question never matches
            return False
        if not self.question_visible(source, answers, depth + 1):
            return False
        given = answers.get(source.key)
        if given in (None, "", []):
            return False
        given_values = set(given) if isinstance(given, list) else {str(given)}
        return bool(condition_values(raw_values) & given_values)

    def question_visible(self, question: Question, answers: Answers, depth: int = 0) -> bool:
        page = self.pages_by_id[question.page_id]
        return self._condition_met(
            page.show_if_question_id, page.show_if_answers, answers, depth
        ) and self._condition_met(
            question.show_if_question_id, question.show_if_answers, answers, depth
        )

    def visible_questions(self, page: SurveyPage, answers: Answers) -> list[Question]:
        return [q for q in page.questions.all() if self.question_visible(q, answers)]

    def page_visible(self, page: SurveyPage, answers: Answers) -> bool:
        return bool(self.visible_questions(page, answers))

    def visible_pages(self, answers: Answers) -> list[SurveyPage]:
        return [p for p in self.pages if self.page_visible(p, answers)]

    # -- navigation ---------------------------------------------------------------------------

    def next_page(self, after: int, answers: Answers) -> SurveyPage | None:
        """The next page the resident should see after the page at position `after`."""
        return next((p for p in self.visible_pages(answers) if p.position > after), None)

    def previous_page(self, before: int, answers: Answers) -> SurveyPage | None:
        """The page the back link goes to from the page at position `before`."""
        earlier = [p for p in self.visible_pages(answers) if p.position < before]
        return earlier[-1] if earlier else None

    def first_incomplete_page(self, answers: Answers, done: set[int]) -> SurveyPage | None:
        """The first visible page not yet completed, or None when the resident can check answers."""
        for page in self.visible_pages(answers):
            if page.position not in done:
                return page
            for question in self.visible_questions(page, answers):
                if question.required and answers.get(question.key) in (None, "", []):
                    return page
        return None

    def answers_to_keep(self, answers: Answers) -> Answers:
        """Only the answers to questions still shown (earlier answers may have changed routing)."""
        kept: Answers = {}
        for question in self.questions:
            if not self.question_visible(question, answers):
                continue
            if question.key in answers:
                kept[question.key] = answers[question.key]
            other_key = f"{question.key}-other"
            if other_key in answers:
                kept[other_key] = answers[other_key]
        return kept
