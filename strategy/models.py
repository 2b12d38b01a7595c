"""The partnership's strategy and delivery plan, as data that OPFCC staff edit.

A Strategy (e.g. 2023–2025) owns its themes, principles, drivers and protective factors, and a
versioned local definition of serious violence. Delivery-plan actions sit under a theme; partner
leads post progress updates, which are kept forever. Priorities are the incidents app's
PriorityCrimeType rows: the one source of truth.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

PRIORITY_MODEL = "incidents.PriorityCrimeType"


class Strategy(models.Model):
    """One published (or draft) Serious Violence Duty strategy for a period."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    title = models.CharField(max_length=200)
    period_start = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text="First year the strategy covers, e.g. 2023.",
    )
    period_end = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text="Last year the strategy covers, e.g. 2025.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(
        blank=True,
        help_text="Plain-English introduction for residents. Blank lines split paragraphs.",
    )
    aims = models.TextField(help_text="One aim per line, in plain English.")
    mission = models.TextField(blank=True, help_text="How the partnership will work.")
    priorities = models.ManyToManyField(
        PRIORITY_MODEL,
        blank=True,
        related_name="strategies",
        help_text="The priority crime types this strategy covers.",
    )
    agreed_on = models.DateField(
        null=True, blank=True, help_text="When the partnership agreed this strategy."
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    document_url = models.URLField(blank=True, help_text="Link to the full strategy document.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name_plural = "strategies"
        constraints = [
            # Residents see exactly one strategy: publishing a new one supersedes the old.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="published"),
                name="strategy_one_published",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="strategy_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_label})"

    @property
    def period_label(self) -> str:
        if self.period_start == self.period_end:
            return str(self.period_start)
        return f"{self.period_start}–{self.period_end}"

    @property
    def aims_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.aims.splitlines() if line.strip(" -•\t")]


class LocalDefinition(models.Model):
    """One agreed version of the local definition of serious violence; old versions stay."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="definitions")
    version = models.PositiveSmallIntegerField()
    text = models.TextField(help_text="The definition as agreed, in plain English.")
    agreed_on = models.DateField(help_text="The date the partnership agreed this version.")
    notes = models.TextField(blank=True, help_text="What changed from the previous version.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["strategy", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "version"], name="definition_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Definition v{self.version} (agreed {self.agreed_on:%d %B %Y})"


class _StrategyPart(models.Model):
    """A named, ordered part of a strategy (theme, principle, driver, protective factor)."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["strategy", "display_order", "name"]

    def __str__(self) -> str:
        return self.name


class Theme(_StrategyPart):
    """A strategic theme, e.g. 'Place based'; delivery-plan actions sit under one."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="themes")

    class Meta(_StrategyPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["strategy", "name"], name="theme_name_unique")
        ]


class Principle(_StrategyPart):
    """A way of working, e.g. one of Public Health England's five C's."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="principles")

    class Meta(_StrategyPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["strategy", "name"], name="principle_name_unique")
        ]


class Driver(_StrategyPart):
    """A driver of serious violence found by the needs assessment, e.g. substance misuse."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="drivers")

    class Meta(_StrategyPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["strategy", "name"], name="driver_name_unique")
        ]


class ProtectiveFactor(_StrategyPart):
    """Something that makes violence less likely, which actions try to strengthen."""

    strategy = models.ForeignKey(
        Strategy, on_delete=models.CASCADE, related_name="protective_factors"
    )

    class Meta(_StrategyPart.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "name"], name="protective_factor_name_unique"
            )
        ]


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    COMPLETE = "complete", "Complete"


class ActionQuerySet(models.QuerySet["Action"]):
    def overdue(self, today: datetime.date | None = None) -> ActionQuerySet:
        """Actions past their due date and not complete."""
        today = today or timezone.localdate()
        return self.filter(due_date__lt=today).exclude(status=ActionStatus.COMPLETE)


class Action(models.Model):
    """One delivery-plan action, owned by a lead organisation."""

    Status = ActionStatus

    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="actions")
    reference = models.CharField(
        max_length=20, blank=True, help_text="Short code used in meetings, e.g. PB3."
    )
    title = models.CharField(max_length=200)
    description = models.TextField()
    priorities = models.ManyToManyField(PRIORITY_MODEL, blank=True, related_name="actions")
    drivers = models.ManyToManyField(Driver, blank=True, related_name="actions")
    protective_factors = models.ManyToManyField(
        ProtectiveFactor, blank=True, related_name="actions"
    )
    lead_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="led_actions"
    )
    supporting_organisations = models.ManyToManyField(
        "partners.Organisation", blank=True, related_name="supported_actions"
    )
    start_date = models.DateField(null=True, blank=True)
    due_date = models.DateField()
    status = models.CharField(
        max_length=12,
        choices=ActionStatus.choices,
        default=ActionStatus.NOT_STARTED,
        help_text="Changed by progress updates; the history is kept with each update.",
    )
    funding_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="In pounds.",
    )
    funding_source = models.CharField(max_length=200, blank=True)
    evidence_basis = models.TextField(blank=True, help_text="What evidence supports this action.")
    evidence_strength = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (promising, untested) to 5 (strong, repeated trials).",
    )
    expected_impact = models.TextField(blank=True)
    evidence_url = models.URLField(
        blank=True, help_text="Link to the evidence, e.g. the YEF toolkit."
    )
    sna_recommendation = models.TextField(
        "SNA recommendation",
        blank=True,
        help_text="The strategic needs assessment recommendation this action answers.",
    )
    is_public = models.BooleanField(
        "show on the public strategy page",
        default=True,
        help_text="Untick for actions that cannot be described publicly.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["theme__display_order", "due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(due_date__gte=models.F("start_date")),
                name="action_due_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(evidence_strength__isnull=True)
                | models.Q(evidence_strength__gte=1, evidence_strength__lte=5),
                name="action_evidence_strength_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()

    @property
    def is_overdue(self) -> bool:
        return self.status != ActionStatus.COMPLETE and self.due_date < timezone.localdate()


class Milestone(models.Model):
    """A dated step on the way to completing an action."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField()
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["action", "due_date", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.completed_on is None and self.due_date < timezone.localdate()


def evidence_upload_to(instance: ProgressUpdate, filename: str) -> str:
    # Under MEDIA_ROOT, which is never served directly: see views.update_evidence.
    return f"strategy/evidence/{timezone.now():%Y/%m}/{filename}"


class ProgressUpdate(models.Model):
    """A dated progress report on an action. Never edited or deleted: the history is the record."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the history survives the person's account being removed.
    author_name = models.CharField(max_length=254)
    previous_status = models.CharField(max_length=12, choices=ActionStatus.choices)
    status = models.CharField(max_length=12, choices=ActionStatus.choices)
    narrative = models.TextField()
    evidence = models.FileField(upload_to=evidence_upload_to, blank=True, max_length=255)
    evidence_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.action} — {self.get_status_display()} ({self.created_at:%d %b %Y})"

    @property
    def status_changed(self) -> bool:
        return self.previous_status != self.status


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", "Entered by staff"
    COMPUTED = "computed", "Computed from incident data"


class OutcomeMeasure(models.Model):
    """A measure of success, e.g. a Home Office headline measure, with baseline and target."""

    class Direction(models.TextChoices):
        LOWER_IS_BETTER = "lower", "Lower is better"
        HIGHER_IS_BETTER = "higher", "Higher is better"
        CONTEXT = "context", "No target direction (context only)"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    definition = models.TextField()
    data_source = models.CharField(max_length=200)
    unit = models.CharField(
        max_length=60, help_text="For example: admissions, offences, rate per 1,000."
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    is_home_office_headline = models.BooleanField(default=False)
    priorities = models.ManyToManyField(PRIORITY_MODEL, blank=True, related_name="outcome_measures")
    baseline_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    target_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    target_description = models.CharField(max_length=300, blank=True)
    data_notes = models.TextField(
        "notes on the data",
        blank=True,
        help_text="Caveats, and any dataset the partnership does not have yet.",
    )
    is_count = models.BooleanField(
        "values are counts",
        default=True,
        help_text="Counts of people or events are shown through disclosure control (1 to 7 "
        "shown as *, others slightly perturbed). Untick for rates or percentages.",
    )
    display_order = models.PositiveSmallIntegerField(default=0)
    is_public = models.BooleanField("show on the public strategy page", default=True)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class Measurement(models.Model):
    """One value of an outcome measure for a period, entered by staff or computed."""

    Source = MeasurementSource

    measure = models.ForeignKey(
        OutcomeMeasure, on_delete=models.CASCADE, related_name="measurements"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=12, decimal_places=2)
    # For a value computed from incident records: the sum of their cell keys, so the figure shown
    # to people without record-level access is perturbed by the cell key method
    # (core/disclosure.py), always the same way for the same records. None for values entered by
    # hand (no records to key; strategy.selectors keys them by a secret hash of the figure).
    key_sum = models.BigIntegerField(null=True, blank=True, editable=False)
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(
        max_length=10,
        choices=MeasurementSource.choices,
        default=MeasurementSource.MANUAL,
        help_text="Computed values are replaced by each refresh; manual values never are.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measure", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "period_start", "period_end"], name="measurement_period_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="measurement_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure}: {self.value} ({self.period_start:%b %Y}–{self.period_end:%b %Y})"


class AnnualReview(models.Model):
    """The Duty's review of the strategy, at least yearly: what was found and what changed."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="reviews")
    review_date = models.DateField()
    findings = models.TextField()
    changes_made = models.TextField(blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["strategy", "-review_date"]

    def __str__(self) -> str:
        return f"Review of {self.strategy.title} on {self.review_date:%d %B %Y}"


class Consultation(models.Model):
    """A consultation on the strategy: who was asked, when, and what they said."""

    class ConsulteeKind(models.TextChoices):
        EDUCATION = "education", "Educational authority"
        PRISON = "prison", "Prison authority"
        YOUTH_CUSTODY = "youth_custody", "Youth custody authority"
        COMMUNITY = "community", "Community group"
        VOLUNTARY = "voluntary", "Voluntary sector organisation"
        YOUNG_PEOPLE = "young_people", "Children and young people"
        OTHER = "other", "Other"

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="consultations")
    consultee = models.CharField(max_length=200, help_text="Who was consulted.")
    consultee_kind = models.CharField(max_length=20, choices=ConsulteeKind.choices)
    organisation = models.ForeignKey(
        "partners.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="strategy_consultations",
        help_text="If the consultee is an organisation in the portal.",
    )
    consulted_on = models.DateField()
    method = models.CharField(max_length=200, blank=True, help_text="Meeting, survey, letter…")
    response = models.TextField(blank=True)
    response_received_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["strategy", "consulted_on", "consultee"]

    def __str__(self) -> str:
        return f"{self.consultee} ({self.consulted_on:%d %B %Y})"


UNDER_25_BANDS = ["0-9", "10-17", "18-24"]


class MeasureQuery(models.Model):
    """A saved query over shared incident data that feeds one outcome measure.

    Data staff edit it in the admin. Refreshing the measure counts the matching records per
    period in SQL and writes them as computed measurements; manual values are never replaced.
    A period is only written when every chosen dataset has records for each of its months that
    could answer the question (a known age when the query asks about age, a known weapon when it
    asks about weapons) and the period has ended: an empty or partial period is not a zero.
    """

    class Granularity(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter (January to March, April to June, …)"
        FINANCIAL_YEAR = "financial_year", "Financial year (April to March)"

    class Under25(models.TextChoices):
        ANY_AGE = "", "Any age"
        VICTIM = "victim", "Victim under 25"
        SUSPECT = "suspect", "Suspect under 25"
        EITHER = "either", "Victim or suspect under 25"

    class DomesticAbuse(models.TextChoices):
        ANY = "", "Include domestic abuse"
        EXCLUDE = "exclude", "Leave out records flagged as domestic abuse"
        ONLY = "only", "Only records flagged as domestic abuse"

    measure = models.OneToOneField(
        OutcomeMeasure, on_delete=models.CASCADE, related_name="incident_query"
    )
    datasets = models.ManyToManyField(
        "incidents.Dataset",
        related_name="measure_queries",
        help_text="The shared datasets to count records in.",
    )
    priority = models.ForeignKey(
        PRIORITY_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measure_queries",
        help_text="Only records that count towards this priority.",
    )
    categories = models.ManyToManyField(
        "incidents.CrimeCategory",
        blank=True,
        related_name="measure_queries",
        help_text="Only records in any of these categories (none chosen: every category).",
    )
    weapons = models.JSONField(
        default=list,
        blank=True,
        help_text="Only records with any of these weapons (none chosen: any weapon).",
    )
    under_25 = models.CharField(
        "age", max_length=10, choices=Under25.choices, blank=True, default=Under25.ANY_AGE
    )
    domestic_abuse = models.CharField(
        max_length=10, choices=DomesticAbuse.choices, blank=True, default=DomesticAbuse.ANY
    )
    authority = models.ForeignKey(
        "incidents.Authority",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Leave both areas empty to count the whole partnership area.",
    )
    district = models.ForeignKey(
        "incidents.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granularity = models.CharField(
        max_length=20, choices=Granularity.choices, default=Granularity.MONTH
    )
    count_from = models.DateField(
        null=True, blank=True, help_text="Ignore records before this date (e.g. the baseline)."
    )
    is_active = models.BooleanField(
        "refresh on the schedule",
        default=True,
        help_text="Untick to keep the computed values as they are.",
    )
    last_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_refresh_summary = models.CharField(max_length=300, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "saved query over incident data"
        verbose_name_plural = "saved queries over incident data"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(authority__isnull=True) | models.Q(district__isnull=True),
                name="measure_query_one_area",
            )
        ]

    def __str__(self) -> str:
        return f"Query for {self.measure}"
