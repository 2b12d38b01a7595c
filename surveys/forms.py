"""Validation of residents' answers, and the staff-side forms.

Residents' pages are built from data (the survey's questions), so PageAnswersForm validates a
page's answers itself and hands the template one BoundQuestion per question, with the raw value
to re-display, the error and the id the error summary links to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from core.forms import GovukForm

from .models import Choice, Question, Survey, SurveyPage
from .routing import condition_values

OTHER = "other"
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 2000
HARD_TEXT_LIMIT = 5000
OTHER_TEXT_LIMIT = 200
NUMBER_LIMIT = 10**12
HONEYPOT = "website"
FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")

DEFAULT_MISSING = {
    "single": "Select an answer",
    "scale": "Select an answer",
    "yes_no": "Select yes or no",
    "age_band": "Select your age group, or ‘Prefer not to say’",
    "multiple": "Select at least one option",
    "short_text": "Enter your answer",
    "long_text": "Enter your answer",
    "number": "Enter a number",
    "date": "Enter a date",
    "month": "Enter a month and year",
    "postcode_district": "Enter the first half of a postcode, like NN1",
}


class AnswerError(Exception):
    """A resident's answer that cannot be accepted; the message is shown to them."""

    def __init__(self, message: str, part: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.part = part


def text_limit(question: Question) -> int:
    """Most characters a text answer may have."""
    default = LONG_TEXT_LIMIT if question.kind == Question.Kind.LONG_TEXT else SHORT_TEXT_LIMIT
    return min(question.max_length or default, HARD_TEXT_LIMIT)


def _clean_text(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\x00", "").strip()


def _missing(question: Question) -> AnswerError:
    return AnswerError(question.error_message or DEFAULT_MISSING.get(question.kind, "Answer this"))


def _choice_values(question: Question) -> list[str]:
    values = [c.value for c in question.choices.all()]
    if question.allow_other and question.kind in ("single", "multiple"):
        values.append(OTHER)
    return values


def _clean_other(question: Question, data: QueryDict) -> str:
    other = _clean_text(data.get(f"{question.key}-other", ""))
    if not other:
        raise AnswerError("Enter what ‘Other’ means for you", part="other")
    if len(other) > OTHER_TEXT_LIMIT:
        raise AnswerError(f"‘Other’ must be {OTHER_TEXT_LIMIT:,} characters or fewer", part="other")
    return other


def _clean_date_parts(question: Question, data: QueryDict, parts: list[str]) -> dict[str, int]:
    raw = {part: data.get(f"{question.key}-{part}", "").strip() for part in parts}
    if not any(raw.values()):
        raise _missing(question)
    for part in parts:
        if not raw[part]:
            raise AnswerError(f"The date must include a {part}", part=part)
        if not raw[part].isdigit() or len(raw[part]) > 4:
            raise AnswerError(f"The {part} must be a number", part=part)
    return {part: int(value) for part, value in raw.items()}


def clean_answer(question: Question, data: QueryDict) -> Any:
    """The answer to one question from posted data; None when left blank and optional."""
    kind = question.kind
    key = question.key
    if kind == Question.Kind.MULTIPLE:
        raw_list = [v.strip() for v in data.getlist(key) if v.strip()]
        if not raw_list:
            if question.required:
                raise _missing(question)
            return None
        allowed = _choice_values(question)
        if len(raw_list) > len(allowed) or any(v not in allowed for v in raw_list):
            raise AnswerError("Select options from the list")
        return list(dict.fromkeys(raw_list))
    if question.is_choice:
        raw = data.get(key, "").strip()
        if not raw:
            if question.required:
                raise _missing(question)
            return None
        if raw not in _choice_values(question):
            raise AnswerError("Select one of the options from the list")
        return raw
    if question.is_text:
        raw = _clean_text(data.get(key, ""))
        limit = text_limit(question)
        if len(raw) > limit:
            raise AnswerError(f"Your answer must be {limit:,} characters or fewer")
        if not raw:
            if question.required:
                raise _missing(question)
            return None
        return raw
    if kind == Question.Kind.NUMBER:
        raw = data.get(key, "").strip().replace(",", "")
        if not raw:
            if question.required:
                raise _missing(question)
            return None
        if not re.fullmatch(r"-?[0-9]{1,13}", raw):
            raise AnswerError("Enter a whole number, like 3")
        number = int(raw)
        low = question.min_value if question.min_value is not None else -NUMBER_LIMIT
        high = question.max_value if question.max_value is not None else NUMBER_LIMIT
        if not low <= number <= high:
            raise AnswerError(f"Enter a number between {low:,} and {high:,}")
        return number
    if kind == Question.Kind.DATE:
        try:
            parts = _clean_date_parts(question, data, ["day", "month", "year"])
        except AnswerError as error:
            if not question.required and error.message == _missing(question).message:
                return None
            raise
        if not 1900 <= parts["year"] <= 2100:
            raise AnswerError("The year must be between 1900 and 2100", part="year")
        try:
            value = date(parts["year"], parts["month"], parts["day"])
        except ValueError:
            raise AnswerError("The date must be a real date", part="day") from None
        return value.isoformat()
    if kind == Question.Kind.MONTH:
        try:
            parts = _clean_date_parts(question, data, ["month", "year"])
        except AnswerError as error:
            if not question.required and error.message == _missing(question).message:
                return None
            raise
        if not 1 <= parts["month"] <= 12:
            raise AnswerError("The month must be between 1 and 12", part="month")
        if not 1900 <= parts["year"] <= 2100:
            raise AnswerError("The year must be between 1900 and 2100", part="year")
        return f"{parts['year']:04d}-{parts['month']:02d}"
    if kind == Question.Kind.POSTCODE_DISTRICT:
        raw = data.get(key, "").strip()
        if len(raw) > 10:
            raise AnswerError("Enter only the first half of the postcode, like NN1")
        compact = raw.replace(" ", "").upper()
        if not compact:
            if question.required:
                raise _missing(question)
            return None
        if FULL_POSTCODE.match(compact):
            # Never keep a full postcode: it can point to a handful of homes.
            raise AnswerError("Enter only the first half of the postcode, like NN1, not all of it")
        if not OUTWARD_CODE.match(compact):
            raise AnswerError("Enter the first half of a real postcode, like NN1")
        return compact
    raise AnswerError("This question cannot be answered")  # an unknown kind: refuse, never guess


@dataclass
class BoundQuestion:
    """One question as the template renders it."""

    question: Question
    error: str = ""
    error_part: str = ""
    value: Any = None
    other: str = ""
    parts: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"q-{self.question.key}"

    @property
    def anchor(self) -> str:
        kind = self.question.kind
        if self.error_part == "other":
            return f"{self.id}-other"
        if kind in ("date", "month"):
            return f"{self.id}-{self.error_part or ('day' if kind == 'date' else 'month')}"
        if self.question.is_choice:
            return f"{self.id}-1"
        return self.id

    @property
    def choices(self) -> list[dict[str, Any]]:
        selected = self.value if isinstance(self.value, list) else [self.value]
        options = [
            {"value": c.value, "label": c.label, "hint": c.hint, "checked": c.value in selected}
            for c in self.question.choices.all()
        ]
        if self.question.allow_other and self.question.kind in ("single", "multiple"):
            options.append(
                {"value": OTHER, "label": "Other", "hint": "", "checked": OTHER in selected}
            )
        for index, option in enumerate(options, start=1):
            option["id"] = f"{self.id}-{index}"
        return options

    @property
    def limit(self) -> int:
        return text_limit(self.question)


class PageAnswersForm:
    """Validates the answers on one page of a survey; error_summary() suits the shared include."""

    def __init__(
        self, *, questions: list[Question], data: QueryDict | None, saved: dict[str, Any]
    ) -> None:
        self.questions = questions
        self.data = data
        self.saved = saved
        self.errors: dict[str, str] = {}
        self.cleaned_data: dict[str, Any] = {}
        self.bound = [self._bind(q) for q in questions]

    def _bind(self, question: Question) -> BoundQuestion:
        bound = BoundQuestion(question=question)
        key = question.key
        if self.data is None:
            value = self.saved.get(key)
            bound.value = value
            bound.other = self.saved.get(f"{key}-other", "")
            if question.kind == "date" and value:
                year, month, day = str(value).split("-")
                bound.parts = {"day": str(int(day)), "month": str(int(month)), "year": year}
            elif question.kind == "month" and value:
                year, month = str(value).split("-")
                bound.parts = {"month": str(int(month)), "year": year}
            return bound
        bound.value = self.data.getlist(key) if question.kind == "multiple" else self.data.get(key)
        if isinstance(bound.value, str):
            bound.value = bound.value[: HARD_TEXT_LIMIT + 1]
        bound.other = self.data.get(f"{key}-other", "")[: OTHER_TEXT_LIMIT + 1]
        bound.parts = {
            part: self.data.get(f"{key}-{part}", "")[:4] for part in ("day", "month", "year")
        }
        return bound

    def is_valid(self) -> bool:
        if self.data is None:
            return False
        for bound in self.bound:
            question = bound.question
            try:
                value = clean_answer(question, self.data)
                selected = value if isinstance(value, list) else [value]
                other = _clean_other(question, self.data) if OTHER in selected else None
            except AnswerError as error:
                bound.error = error.message
                bound.error_part = error.part
                self.errors[question.key] = error.message
                continue
            self.cleaned_data[question.key] = value
            self.cleaned_data[f"{question.key}-other"] = other
        return not self.errors

    def error_summary(self) -> list[tuple[str, str]]:
        return [(b.anchor, b.error) for b in self.bound if b.error]

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data and self.data.get(HONEYPOT, "").strip())


# -- contact consent (separate from the answers) ---------------------------------------------


class ContactConsentForm(GovukForm):
    consent = forms.ChoiceField(
        label="Can we contact you?",
        choices=[("yes", "Yes, you can contact me"), ("no", "No, do not contact me")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if we can contact you"},
    )
    name = forms.CharField(label="Your name", max_length=100, required=False)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        required=False,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=30,
        required=False,
        help_text="For example, 01604 123 456 or 07700 900 982",
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not re.fullmatch(r"[0-9+() -]{6,30}", phone):
            raise ValidationError("Enter a phone number, like 01604 123 456")
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("consent") == "yes" and not (cleaned.get("email") or cleaned.get("phone")):
            self.add_error(
                "email", "Enter an email address or a phone number so we can contact you"
            )
        if cleaned.get("consent") == "no":
            cleaned.update({"name": "", "email": "", "phone": ""})
        return cleaned


# -- staff: building surveys ------------------------------------------------------------------

MEANING_FIELDS = ("text", "kind", "key", "allow_other", "show_if_question", "show_if_answers")


class QuestionAdminForm(forms.ModelForm):
    """Refuses changes to a question's meaning once its survey has responses."""

    class Meta:
        model = Question
        fields = (
            "survey",
            "page",
            "position",
            "key",
            "text",
            "hint",
            "kind",
            "required",
            "error_message",
            "allow_other",
            "max_length",
            "min_value",
            "max_value",
            "show_if_question",
            "show_if_answers",
            "publish_results",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        survey: Survey | None = cleaned.get("survey") or getattr(self.instance, "survey", None)
        page: SurveyPage | None = cleaned.get("page")
        if survey and page and page.survey_id != survey.pk:
            self.add_error("page", "Choose a page of the same survey.")
        source: Question | None = cleaned.get("show_if_question")
        if source is not None:
            if survey and source.survey_id != survey.pk:
                self.add_error("show_if_question", "Choose a question from the same survey.")
            elif page and source.page.position >= page.position:
                self.add_error("show_if_question", "Choose a question on an earlier page.")
            else:
                known = {c.value for c in source.choices.all()} | {OTHER}
                unknown = condition_values(cleaned.get("show_if_answers", "")) - known
                if unknown or not cleaned.get("show_if_answers"):
                    self.add_error(
                        "show_if_answers",
                        "Enter choice values of that question, separated by commas.",
                    )
        if self.instance.pk and survey is not None and survey.responses.exists():
            changed = [name for name in MEANING_FIELDS if name in self.changed_data]
            if changed or "page" in self.changed_data and self.instance.page_id:
                raise ValidationError(
                    "This survey already has responses, so the question's wording, type, "
                    "key, options and routing cannot change: earlier answers would then mean "
                    "something else. Duplicate the survey to make a new version instead."
                )
        if cleaned.get("publish_results") and cleaned.get("kind") not in Question.CHOICE_KINDS:
            self.add_error("publish_results", "Only choice questions can be published.")
        return cleaned


class ChoiceInlineFormSet(forms.BaseInlineFormSet):
    """Refuses adding, changing or removing options once the survey has responses."""

    def clean(self) -> None:
        super().clean()
        question: Question = self.instance
        if not question.pk or not question.survey.responses.exists():
            return
        for form in self.forms:
            if not form.has_changed() and not (self.can_delete and self._should_delete_form(form)):
                continue
            raise ValidationError(
                "This survey already has responses, so its options cannot change. "
                "Duplicate the survey to make a new version instead."
            )


class PageInlineFormSet(forms.BaseInlineFormSet):
    """Refuses changing page routing once the survey has responses."""

    def clean(self) -> None:
        super().clean()
        survey: Survey = self.instance
        if not survey.pk or not survey.responses.exists():
            return
        for form in self.forms:
            if form.instance.pk and (
                {"show_if_question", "show_if_answers"} & set(form.changed_data)
                or (self.can_delete and self._should_delete_form(form))
            ):
                raise ValidationError(
                    "This survey already has responses, so its routing cannot change. "
                    "Duplicate the survey to make a new version instead."
                )


class ChoiceForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = ("position", "value", "label", "hint")


# -- staff and analysts: results --------------------------------------------------------------


class ThemeTagForm(GovukForm):
    themes = forms.MultipleChoiceField(
        label="Themes", required=False, widget=forms.CheckboxSelectMultiple
    )
    new_theme = forms.CharField(
        label="Add a new theme",
        max_length=100,
        required=False,
        help_text="It will be added to this answer and offered for the others.",
    )

    def __init__(self, *args: Any, theme_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = theme_choices
