"""Resident surveys and engagement events.

A Survey has ordered Pages; each Page holds one question or a short related group. Answers are
stored per Response with no identifier of the resident: no IP address, user agent, account or
session key. Contact details, when a resident explicitly asks to be contacted, go to a separate
table (ContactRequest) with no link to the Response.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.disclosure import new_record_key


class Survey(models.Model):
    """A public resident survey, built by partnership staff."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    introduction = models.TextField(
        help_text="Shown on the start page. Blank lines separate paragraphs."
    )
    privacy_notice = models.TextField(
        help_text="How answers are used and kept. Blank lines separate paragraphs."
    )
    run_by = models.CharField(
        "who runs it", max_length=200, help_text="For example: the partnership, on behalf of…"
    )
    opens_at = models.DateTimeField(help_text="Europe/London time.")
    closes_at = models.DateTimeField(
        help_text="Europe/London time. Midnight at the end of a day is 00:00 on the next day."
    )
    alternative_formats = models.TextField(
        "contact for alternative formats",
        help_text="How to ask for paper, easy read, large print or another language.",
    )
    asks_for_contact = models.BooleanField(
        "offer to contact residents",
        default=False,
        help_text="Ask a separate consent question; contact details are stored apart from answers.",
    )
    contact_purpose = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why you might contact them, for example: to invite them to a community event.",
    )
    is_sensitive = models.BooleanField(
        "sensitive topic",
        default=False,
        help_text="Use the stricter disclosure rule (threshold 10) for published figures.",
    )
    is_published = models.BooleanField(default=False)
    outcome_heard = models.TextField("what we heard", blank=True)
    outcome_did = models.TextField("what we did", blank=True)
    outcome_published = models.BooleanField("publish the outcome", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opens_at", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="survey_closes_after_it_opens",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def status(self, now: object | None = None) -> str:
        """'draft', 'forthcoming', 'open' or 'closed'."""
        now = now or timezone.now()
        if not self.is_published:
            return "draft"
        if now < self.opens_at:
            return "forthcoming"
        if now >= self.closes_at:
            return "closed"
        return "open"

    def is_open(self) -> bool:
        return self.status() == "open"


class SurveyPage(models.Model):
    """One page of the resident journey: one question, or a short group of related ones."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="pages")
    position = models.PositiveIntegerField()
    title = models.CharField(
        max_length=200,
        blank=True,
        help_text="Heading for a page of several questions (one question is its own heading).",
    )
    show_if_question = models.ForeignKey(
        "Question",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,  # refused unless the whole survey goes
        related_name="+",
        help_text="Show this page only when an earlier question's answer matches.",
    )
    show_if_answers = models.CharField(
        max_length=500,
        blank=True,
        help_text="Choice values (comma-separated) that show this page.",
    )

    class Meta:
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="one_page_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.survey} — page {self.position}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        SHORT_TEXT = "short_text", "Short text"
        LONG_TEXT = "long_text", "Long text"
        NUMBER = "number", "Whole number"
        DATE = "date", "Date"
        MONTH = "month", "Month and year"
        SCALE = "scale", "Rating scale (Likert)"
        YES_NO = "yes_no", "Yes or no"
        AGE_BAND = "age_band", "Age band"
        POSTCODE_DISTRICT = "postcode_district", "Postcode district (first half only)"

    CHOICE_KINDS = frozenset({"single", "multiple", "scale", "yes_no", "age_band"})
    TEXT_KINDS = frozenset({"short_text", "long_text"})

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    page = models.ForeignKey(SurveyPage, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=1, help_text="Order on its page.")
    key = models.SlugField(
        max_length=50,
        help_text="Short stable name used in exports, for example: affected-last-year.",
    )
    text = models.CharField("question", max_length=300)
    hint = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    required = models.BooleanField(default=True)
    allow_other = models.BooleanField(
        '"other, please specify"',
        default=False,
        help_text="Single or multiple choice: add an 'Other' option with a text box.",
    )
    max_length = models.PositiveIntegerField(
        null=True, blank=True, help_text="Text answers: most characters allowed."
    )
    min_value = models.IntegerField(null=True, blank=True)
    max_value = models.IntegerField(null=True, blank=True)
    error_message = models.CharField(
        max_length=200, blank=True, help_text="Shown when a required answer is missing."
    )
    publish_results = models.BooleanField(
        "mark for publication",
        default=False,
        help_text="Choice questions only: show suppressed figures on the public outcome page.",
    )
    show_if_question = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,  # refused unless the whole survey goes
        related_name="+",
        help_text="Ask this question only when an earlier question's answer matches.",
    )
    show_if_answers = models.CharField(
        max_length=500, blank=True, help_text="Choice values (comma-separated) that show it."
    )

    class Meta:
        ordering = ["page__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="question_key_unique_in_survey")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_choice(self) -> bool:
        return self.kind in self.CHOICE_KINDS

    @property
    def is_text(self) -> bool:
        return self.kind in self.TEXT_KINDS


class Choice(models.Model):
    """One option of a choice question; `value` is the stable code stored with answers."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=1)
    value = models.SlugField(max_length=50)
    label = models.CharField(max_length=200)
    hint = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["question", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="choice_value_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Response(models.Model):
    """One resident's submitted answers. Nothing here identifies the resident.

    The time is kept to the hour only, so it cannot be matched to other records by the second.
    """

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    submitted_at = models.DateTimeField(db_index=True)
    # The response's fixed random key for the cell key method (core/disclosure.py), so a
    # cross-tab of the same respondents always shows the same perturbed count. Never shown.
    cell_key = models.PositiveSmallIntegerField(default=new_record_key, editable=False)

    class Meta:
        ordering = ["survey", "submitted_at", "pk"]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey}"


class Theme(models.Model):
    """A theme staff and analysts tag free-text answers with."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["survey", "name"], name="theme_unique")]

    def __str__(self) -> str:
        return self.name


class Answer(models.Model):
    """One answer: a chosen option (one row per option), or a text, number or date value."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice = models.ForeignKey(
        Choice, null=True, blank=True, on_delete=models.PROTECT, related_name="answers"
    )
    is_other = models.BooleanField(default=False, help_text="The 'other, please specify' text.")
    text = models.TextField(blank=True)
    number = models.BigIntegerField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="answers")

    class Meta:
        ordering = ["response", "question", "pk"]
        indexes = [
            models.Index(fields=["question", "choice"]),
            models.Index(fields=["question", "response"]),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question_id}"


class ContactRequest(models.Model):
    """Contact details a resident chose to give, kept apart from (and unlinked to) answers."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="contact_requests")
    received_on = models.DateField(help_text="The day only, so it cannot be matched to answers.")
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    consent_text = models.CharField(max_length=500)

    class Meta:
        ordering = ["-received_on", "pk"]

    def __str__(self) -> str:
        return f"Contact request for {self.survey} ({self.received_on})"


class SupportContact(models.Model):
    """A support service shown to residents after they answer (editable by staff)."""

    name = models.CharField(max_length=150)
    description = models.CharField(max_length=300)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    position = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField("shown", default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class EngagementEvent(models.Model):
    """A public event where residents can find out more and give their views."""

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField(help_text="Europe/London time.")
    ends_at = models.DateTimeField(null=True, blank=True)
    venue = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    accessibility = models.TextField(
        "accessibility information",
        help_text="Step-free access, hearing loop, toilets, parking, BSL interpretation…",
    )
    how_to_book = models.TextField("how to book or contact")
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    is_published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="event_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.title
