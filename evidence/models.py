"""Aggregate tables ("cubes") the evidence pages read instead of incident records.

Each cube holds, for one dataset, counts grouped by the few dimensions a page filters or groups
on. They are rebuilt per dataset by one ``INSERT … SELECT … GROUP BY`` each (evidence/cubes.py)
by a worker task queued when an import, withdrawal or priority recompute commits, so a page
reads thousands of cube rows instead of millions of records. Every count carries the sum of its
records' cell keys (ONS cell key method), so disclosure can perturb a cell from the cube alone.

The cube rows reference the incidents app's tables without database constraints: they are
derived data, rebuilt wholesale, and a rebuild removes rows whose areas or categories are gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from incidents.models import PriorityBits


class _Cube(models.Model):
    dataset = models.ForeignKey(
        "incidents.Dataset", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField(help_text="First day of the month the records occurred in.")
    category = models.ForeignKey(
        "incidents.CrimeCategory",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    priority_bits = PriorityBits(default=0)
    in_area = models.BooleanField(
        default=True,
        help_text="Not known to lie outside the partnership area (records without an LSOA count "
        "as in the area; they are in the partnership's figures but no smaller area's).",
    )
    records = models.BigIntegerField(help_text="How many records fall in this cell.")
    cell_key_sum = models.BigIntegerField(
        default=0, help_text="Sum of the records' cell keys (0–255 each), for disclosure."
    )

    class Meta:
        abstract = True


class MonthlyCube(_Cube):
    """Records by dataset, month, LSOA, category and priority bits: counts, areas, trends."""

    lsoa = models.ForeignKey(
        "incidents.Lsoa",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        indexes = [models.Index(fields=["dataset", "month"], name="evidence_monthly_ds_month")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.month:%Y-%m}: {self.records}"


class _DistrictCube(_Cube):
    # The district (not the LSOA) is the finest area a page filters these cubes by, which keeps
    # them small; null for records outside the area or without a known LSOA.
    district = models.ForeignKey(
        "incidents.District",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        abstract = True


class WhenCube(_DistrictCube):
    """Records by weekday and hour (local time), with how precisely their time is known."""

    date_precision = models.CharField(max_length=10)
    weekday = models.PositiveSmallIntegerField(
        null=True, help_text="ISO: 1 = Monday; null = month."
    )
    hour = models.PositiveSmallIntegerField(null=True, help_text="0–23; null = day or month only.")

    class Meta:
        indexes = [models.Index(fields=["dataset", "month"], name="evidence_when_ds_month")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.month:%Y-%m}: {self.records}"


class WhoCube(_DistrictCube):
    """Victims and suspects by age band and sex (one row set per role)."""

    class Role(models.TextChoices):
        VICTIM = "victim", "Victim"
        SUSPECT = "suspect", "Suspect"

    role = models.CharField(max_length=10, choices=Role.choices)
    age_band = models.CharField(max_length=10)
    sex = models.CharField(max_length=10)

    class Meta:
        indexes = [models.Index(fields=["dataset", "month"], name="evidence_who_ds_month")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.month:%Y-%m}: {self.records}"


class PlaceCube(_DistrictCube):
    """Records by location type and weapon."""

    location_type = models.CharField(max_length=20)
    weapon = models.CharField(max_length=10)

    class Meta:
        indexes = [models.Index(fields=["dataset", "month"], name="evidence_place_ds_month")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.month:%Y-%m}: {self.records}"


class LocationCube(_DistrictCube):
    """Records by generalised location text (e.g. police.uk's "On or near High Street")."""

    location_text = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["dataset", "month"], name="evidence_location_ds_month")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.month:%Y-%m}: {self.records}"


class QualityCube(models.Model):
    """Per dataset and month: how many records carry each field (data completeness)."""

    dataset = models.ForeignKey(
        "incidents.Dataset", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()
    records = models.BigIntegerField()
    with_age = models.BigIntegerField(help_text="Victim or suspect age band known.")
    with_sex = models.BigIntegerField(help_text="Victim or suspect sex known.")
    with_weapon = models.BigIntegerField()
    with_time = models.BigIntegerField(help_text="Date and time known (not only day or month).")
    with_day = models.BigIntegerField(help_text="At least the day known.")
    with_location_type = models.BigIntegerField()
    with_area = models.BigIntegerField(help_text="A known LSOA.")
    with_category = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["dataset", "month"], name="evidence_quality_ds_month")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.month:%Y-%m}: {self.records}"


class CubeRefresh(models.Model):
    """When a dataset's cubes were last rebuilt (shown on the data-quality page)."""

    dataset = models.OneToOneField(
        "incidents.Dataset", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    refreshed_at = models.DateTimeField()
    records = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Dataset {self.dataset_id} at {self.refreshed_at:%Y-%m-%d %H:%M}"


class DefinitionScope(models.Model):
    """What the local definition of serious violence covers, in terms a query can use.

    The strategy app keeps the definition as agreed text; this says which priorities and
    categories it means, so the evidence pages can count "serious violence as we define it".
    A record is in scope when it counts towards any listed priority or has any listed category.
    """

    definition = models.OneToOneField(
        "strategy.LocalDefinition", on_delete=models.CASCADE, related_name="evidence_scope"
    )
    priorities = models.ManyToManyField("incidents.PriorityCrimeType", blank=True, related_name="+")
    categories = models.ManyToManyField("incidents.CrimeCategory", blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Scope of {self.definition}"


class AlertBreach(models.Model):
    """A statistical process control rule broken by one month of one priority in one dataset."""

    class Rule(models.TextChoices):
        BEYOND_LIMITS = "beyond_limits", "Beyond the control limits"
        RUN = "run", "Run of 7 on one side of the centre line"

    dataset = models.ForeignKey("incidents.Dataset", on_delete=models.CASCADE, related_name="+")
    priority = models.ForeignKey(
        "incidents.PriorityCrimeType", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField()
    rule = models.CharField(max_length=20, choices=Rule.choices)
    direction = models.CharField(max_length=5, help_text="'above' or 'below' the centre line.")
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "priority__display_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "priority", "month", "rule"], name="one_breach_per_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.priority} {self.month:%b %Y}: {self.get_rule_display()}"


class AlertSubscription(models.Model):
    """A person's choice about the daily e-mail of new breaches (on unless switched off)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence_alerts"
    )
    wants_digest = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_breach_id = models.BigIntegerField(
        default=0, help_text="Breaches up to this id have been sent (or were there before)."
    )

    def __str__(self) -> str:
        return f"Alerts for {self.user}"
