from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Lookup

from core.disclosure import new_record_key

# A record's priorities are bits of one integer (see IncidentRecord.priority_bits): bit n is the
# priority whose ``bit`` is n. 63 bits keep the value a positive bigint in both databases.
PRIORITY_BITS = 63


class PriorityCrimeType(models.Model):
    """A priority of the partnership (e.g. personal robbery, knife crime).

    The one source of truth for priorities: the strategy, the delivery plan and the incident
    data all refer to these rows. Which records count towards a priority is decided by rules
    held as data (see the incidents app's rule models).
    """

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    short_description = models.CharField(
        max_length=300, blank=True, help_text="Plain-English sentence shown to residents."
    )
    display_order = models.PositiveSmallIntegerField(default=0)
    is_sensitive = models.BooleanField(
        default=False,
        help_text="Sexual offences and domestic abuse: publish with a threshold of 10 and no area "
        "below ward.",
    )
    is_active = models.BooleanField(default=True)
    bit = models.PositiveSmallIntegerField(
        unique=True,
        editable=False,
        help_text="Which bit of a record's priority_bits stands for this priority (set on save).",
    )

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if self.bit is None:
            taken = set(PriorityCrimeType.objects.values_list("bit", flat=True))
            free = [n for n in range(PRIORITY_BITS) if n not in taken]
            if not free:
                raise ValueError(f"A partnership can have at most {PRIORITY_BITS} priorities.")
            self.bit = free[0]
            # A deleted priority may have left its bit on records: the new one starts clean.
            IncidentRecord.objects.filter(priority_bits__bitany=self.mask).update(
                priority_bits=models.F("priority_bits").bitand(~self.mask)
            )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        # The admin's form says so before save() would refuse.
        if self.bit is None and PriorityCrimeType.objects.count() >= PRIORITY_BITS:
            raise ValidationError(
                f"A partnership can have at most {PRIORITY_BITS} priorities. Delete or reuse one "
                "that is no longer needed."
            )

    @property
    def mask(self) -> int:
        return 1 << self.bit


# ---------------------------------------------------------------------------
# Geography (ONS codes). Areas are data: another partnership loads its own.
# ---------------------------------------------------------------------------
class Authority(models.Model):
    """A local authority as it is now (e.g. a 2021 unitary authority)."""

    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "authorities"

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A pre-2021 local authority district, inside one authority."""

    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=120)
    authority = models.ForeignKey(
        Authority, null=True, blank=True, on_delete=models.PROTECT, related_name="districts"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ward(models.Model):
    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=120)
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="wards"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lsoa(models.Model):
    """A Lower-layer Super Output Area with its denominators and deprivation."""

    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=120)
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="lsoas"
    )
    ward = models.ForeignKey(
        Ward, null=True, blank=True, on_delete=models.SET_NULL, related_name="lsoas"
    )
    in_area = models.BooleanField(
        default=True,
        help_text="Inside the partnership area. LSOAs outside it are kept so that records there "
        "are recognised (and marked outside the area) rather than refused as unknown codes.",
    )
    population_total = models.PositiveIntegerField(null=True, blank=True)
    population_bands = models.JSONField(
        default=dict, blank=True, help_text="Age band → count, as the source file supplies."
    )
    population_year = models.PositiveSmallIntegerField(null=True, blank=True)
    imd_score = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    imd_rank = models.PositiveIntegerField(null=True, blank=True)
    imd_decile = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 = most deprived 10% in England."
    )
    domain_deciles = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "LSOA"
        verbose_name_plural = "LSOAs"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LsoaVintageLink(models.Model):
    """One row of the ONS best-fit lookup between 2011 and 2021 LSOAs.

    Older police.uk files carry 2011 codes, current ones 2021 codes; the import places a record
    with a code of the other vintage on the LSOA the partnership has loaded through these links.
    An unchanged LSOA has one link to itself; a split 2011 LSOA has one link per 2021 part; a
    merge has one link per 2011 part.
    """

    class Change(models.TextChoices):
        UNCHANGED = "U", "Unchanged"
        SPLIT = "S", "Split"
        MERGED = "M", "Merged"
        IRREGULAR = "X", "Redrawn (irregular)"
        UNKNOWN = "", "Not stated"

    lsoa11 = models.CharField("2011 LSOA code", max_length=9)
    lsoa21 = models.CharField("2021 LSOA code", max_length=9, db_index=True)
    change = models.CharField(max_length=1, choices=Change.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lsoa11", "lsoa21"], name="one_link_per_lsoa_pair")
        ]
        verbose_name = "LSOA 2011–2021 link"

    def __str__(self) -> str:
        return f"{self.lsoa11} → {self.lsoa21}"


class Boundary(models.Model):
    """A GeoJSON geometry for a map, kept apart so area queries never load it."""

    class Level(models.TextChoices):
        AUTHORITY = "authority", "Authority"
        DISTRICT = "district", "District"
        WARD = "ward", "Ward"
        MSOA = "msoa", "MSOA"
        LSOA = "lsoa", "LSOA"

    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=9)
    name = models.CharField(max_length=120, blank=True)
    geometry = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="one_boundary_per_area")
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.code}"


# ---------------------------------------------------------------------------
# Crime categories
# ---------------------------------------------------------------------------
class CrimeCategory(models.Model):
    """A category a record is counted under (police.uk's 14, plus the partnership's own groups)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    group = models.CharField(
        max_length=120, blank=True, help_text="The partnership's offence group, e.g. 'Violence'."
    )
    is_sensitive = models.BooleanField(
        default=False, help_text="Sexual offences: publish with a threshold of 10."
    )
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]
        verbose_name_plural = "crime categories"

    def __str__(self) -> str:
        return self.name


class CategoryMapping(models.Model):
    """How one source's code or label maps to a category (e.g. police.uk 'Robbery' → robbery)."""

    source_format = models.CharField(max_length=30)
    source_code = models.CharField(max_length=200)
    category = models.ForeignKey(CrimeCategory, on_delete=models.CASCADE, related_name="mappings")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_format", "source_code"], name="one_mapping_per_source_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_format}: {self.source_code} → {self.category}"


class FieldValueMapping(models.Model):
    """How one source's value for a coded field maps to the portal's value.

    For example ISTV assault method "Knife" → weapon "knife", or assault location "Pub" →
    location type "licensed_premises". Loaded by ``load_crime_categories``; editable by staff.
    """

    class Field(models.TextChoices):
        WEAPON = "weapon", "Weapon"
        LOCATION_TYPE = "location_type", "Location type"

    source_format = models.CharField(max_length=30)
    field = models.CharField(max_length=20, choices=Field.choices)
    source_value = models.CharField(max_length=200)
    value = models.CharField(max_length=30)

    class Meta:
        ordering = ["source_format", "field", "source_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_format", "field", "source_value"], name="one_value_mapping"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_format} {self.field}: {self.source_value} → {self.value}"


# ---------------------------------------------------------------------------
# Datasets and agreements
# ---------------------------------------------------------------------------
class Dataset(models.Model):
    class Format(models.TextChoices):
        POLICE_UK = "police_uk_street", "data.police.uk street-level CSV"
        ISTV = "istv_ed", "ISTV emergency-department extract"
        TEMPLATE = "portal_template", "Portal template (CSV or XLSX)"

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUAL = "annual", "Annual"
        AD_HOC = "ad_hoc", "Ad hoc"

    owner = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="datasets"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    source_system = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=30, choices=Format.choices)
    cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.MONTHLY)
    extraction_notes = models.TextField(blank=True)
    column_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text="Source column → portal field, for this dataset's files.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["owner__name", "name"]

    def __str__(self) -> str:
        return self.name


class DataSharingAgreement(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="agreements")
    title = models.CharField(max_length=200)
    legal_basis = models.TextField(
        help_text="e.g. PCSC Act 2022 s16/s17; UK GDPR Art 6(1)(e) and the Art 9/10 condition."
    )
    purpose = models.TextField()
    start_date = models.DateField()
    end_date = models.DateField()
    retention_months = models.PositiveSmallIntegerField(help_text="How long records are kept.")
    record_level_organisations = models.ManyToManyField(
        "partners.Organisation",
        blank=True,
        related_name="record_level_agreements",
        help_text="Organisations (besides the owner) that may see record-level rows. Others see "
        "aggregates only.",
    )
    hide_coordinates = models.BooleanField(
        default=True, help_text="Hide coordinates from organisations other than the owner."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------------------
# Uploads and records
# ---------------------------------------------------------------------------
class Upload(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        VALIDATING = "validating", "Checking"
        VALIDATED = "validated", "Ready to import"
        INVALID = "invalid", "Refused"
        QUEUED = "queued", "Waiting to import"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Failed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(
        "partners.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    original_filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="uploads/%Y/%m/", max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_changed = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    rows_outside_area = models.PositiveIntegerField(default=0)
    rows_no_area = models.PositiveIntegerField(
        default=0, help_text="Rows kept without a known area (no LSOA: police.uk 'No Location')."
    )
    problem = models.TextField(
        blank=True, help_text="Why the whole file was refused, in plain words."
    )
    first_errors = models.JSONField(default=list, blank=True)
    error_report = models.FileField(upload_to="upload-errors/%Y/%m/", blank=True, max_length=300)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "partners.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_filename} → {self.dataset}"


class BitAny(Lookup):
    """``field__bitany=mask``: at least one of the mask's bits is set."""

    lookup_name = "bitany"

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} & {rhs}) <> 0", [*lhs_params, *rhs_params]


class PriorityBits(models.BigIntegerField):
    """A bigint of flag bits, with the ``bitany`` lookup."""


PriorityBits.register_lookup(BitAny)


class IncidentRecord(models.Model):
    """One incident as a partner shared it. Never holds direct identifiers."""

    class DatePrecision(models.TextChoices):
        MONTH = "month", "Month"
        DAY = "day", "Day"
        DATETIME = "datetime", "Date and time"

    class LocationType(models.TextChoices):
        PUBLIC_PLACE = "public_place", "Public place"
        DWELLING = "dwelling", "Dwelling"
        LICENSED_PREMISES = "licensed_premises", "Licensed premises"
        EDUCATION = "education", "School or college"
        TRANSPORT = "transport", "Transport"
        RETAIL = "retail", "Shop or retail"
        WORKPLACE = "workplace", "Workplace"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    class Weapon(models.TextChoices):
        KNIFE = "knife", "Knife or sharp instrument"
        FIREARM = "firearm", "Firearm"
        OTHER = "other", "Other weapon"
        NONE = "none", "No weapon"
        UNKNOWN = "unknown", "Unknown"

    class AgeBand(models.TextChoices):
        UNDER_10 = "0-9", "0 to 9"
        TEN_17 = "10-17", "10 to 17"
        EIGHTEEN_24 = "18-24", "18 to 24"
        TWENTYFIVE_34 = "25-34", "25 to 34"
        THIRTYFIVE_44 = "35-44", "35 to 44"
        FORTYFIVE_54 = "45-54", "45 to 54"
        FIFTYFIVE_64 = "55-64", "55 to 64"
        SIXTYFIVE_PLUS = "65+", "65 and over"
        UNKNOWN = "unknown", "Unknown"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    class Injury(models.TextChoices):
        NONE = "none", "None"
        MINOR = "minor", "Minor"
        MODERATE = "moderate", "Moderate"
        SERIOUS = "serious", "Serious"
        FATAL = "fatal", "Fatal"
        UNKNOWN = "unknown", "Unknown"

    # The high-volume foreign keys below are written millions of rows at a time by the import
    # (incidents/importing/staging.py). ``db_index=False`` where a composite index (or the unique
    # constraint) already starts with the column: a second single-column index only slows every
    # INSERT. ``db_constraint=False`` where the import guarantees existence set-based instead (it
    # locks the referenced datasets, categories and LSOAs FOR KEY SHARE in its own transaction and
    # checks every staged id is among them): PostgreSQL would otherwise fire a deferred trigger
    # per row and per key at commit. Django still emulates on_delete (PROTECT, SET_NULL, CASCADE)
    # in Python for ORM deletes, which is the only way the portal deletes these rows.
    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,  # unique (dataset, source_ref) and (dataset, …) indexes cover it
        db_constraint=False,
    )
    source_ref = models.CharField(max_length=100)
    occurred_on = models.DateField(help_text="First day of the month when only the month is known.")
    occurred_at = models.DateTimeField(null=True, blank=True)
    date_precision = models.CharField(max_length=10, choices=DatePrecision.choices)
    category = models.ForeignKey(
        CrimeCategory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,  # index (category, occurred_on) covers it
        db_constraint=False,
    )
    lsoa = models.ForeignKey(
        Lsoa,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,  # index (lsoa, occurred_on) covers it
        db_constraint=False,
    )
    outside_area = models.BooleanField(
        default=False, help_text="The LSOA lies outside the partnership area."
    )
    location_text = models.CharField(max_length=255, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    location_type = models.CharField(
        max_length=20, choices=LocationType.choices, default=LocationType.UNKNOWN
    )
    weapon = models.CharField(max_length=10, choices=Weapon.choices, default=Weapon.UNKNOWN)
    domestic_abuse = models.BooleanField(null=True, blank=True)
    alcohol_involved = models.BooleanField(null=True, blank=True)
    exploitation = models.BooleanField(
        null=True, blank=True, help_text="Exploitation or drug-supply (county lines) flag."
    )
    victim_age_band = models.CharField(
        max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    victim_sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    suspect_age_band = models.CharField(
        max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    suspect_sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    injury_severity = models.CharField(
        max_length=10, choices=Injury.choices, default=Injury.UNKNOWN
    )
    outcome = models.CharField(max_length=200, blank=True)
    offence_code = models.CharField(max_length=40, blank=True)
    row_hash = models.CharField(
        max_length=40, help_text="Hash of the imported values; detects changes."
    )
    # Which priorities the record counts towards, one bit per priority (PriorityCrimeType.bit),
    # derived from the priorities' rules by incidents/priorities.py. A column rather than a table of
    # (record, priority) rows: the import computes it in the same INSERT that writes the record,
    # and counting by priority needs no join. Filter with ``priority_bits__bitany=priority.mask``.
    priority_bits = PriorityBits(default=0, editable=False)
    # The record's fixed random key for the cell key method (core/disclosure.py): set once when the
    # record is created (the import's INSERT draws it in SQL), never changed by a re-import, so a
    # cell of the same records always gets the same perturbation. Never shown to anyone.
    cell_key = models.PositiveSmallIntegerField(default=new_record_key, editable=False)
    upload = models.ForeignKey(
        Upload,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
        help_text="The upload that last wrote it.",
        db_index=False,  # only withdrawal looks records up by upload, within one dataset
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "source_ref"], name="one_record_per_source_ref"
            )
        ]
        # Every index is paid for on each of the millions of rows an import writes, so there are
        # two besides the unique constraint. Bulk reads are of one dataset's records (or a few),
        # usually over a period: the covering index answers the record lists' counts, the
        # aggregates (by category, area and priority) and the outcome measures' GROUP BYs from the
        # index alone (the id is included for COUNT("id")), and finds the page of records to show.
        # A list filtered by area or category over a whole dataset scans the dataset's index
        # entries rather than the table. There is no (upload) index: only withdrawal, which is
        # rare, looks records up by upload, and it reads the dataset's partition (PostgreSQL).
        indexes = [
            models.Index(
                fields=["dataset", "occurred_on"],
                include=["id", "category", "lsoa", "outside_area", "priority_bits"],
                name="incidentrecord_dataset_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}:{self.source_ref}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # priority_bits is derived and written set-based by incidents/priorities.py: saving a
        # record loaded earlier must not put back the bits it had then.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname != "priority_bits"
            ]
        super().save(*args, **kwargs)


class PriorityRule(models.Model):
    """One way a record can count towards a priority; a priority matches if any rule matches.

    Within a rule every criterion that is filled in must hold (empty = no constraint). A rule
    with no criterion at all matches nothing (it would otherwise sweep in every record).
    The night window starts on each listed ISO weekday (1 = Monday … 7 = Sunday) at
    ``window_start`` and, when ``window_end`` is earlier, runs past midnight into the next day;
    it needs a record's time, so month- or day-precision records never match it.
    """

    class AgeApplies(models.TextChoices):
        VICTIM_OR_SUSPECT = "either", "Victim or suspect"
        VICTIM = "victim", "Victim"
        SUSPECT = "suspect", "Suspect"

    priority = models.ForeignKey(PriorityCrimeType, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=200, help_text="Plain-English summary of the rule.")
    notes = models.TextField(blank=True, help_text="Caveats, e.g. how coarse source data maps.")
    is_active = models.BooleanField(default=True)
    categories = models.ManyToManyField(
        CrimeCategory, blank=True, related_name="priority_rules", help_text="Any of these."
    )
    weapons = models.JSONField(
        default=list, blank=True, help_text='Any of these weapon codes, e.g. ["knife"].'
    )
    age_bands = models.JSONField(
        default=list, blank=True, help_text='Any of these age bands, e.g. ["0-9", "10-17"].'
    )
    age_applies_to = models.CharField(
        max_length=10, choices=AgeApplies.choices, default=AgeApplies.VICTIM_OR_SUSPECT
    )
    requires_domestic_abuse = models.BooleanField(default=False)
    requires_exploitation = models.BooleanField(default=False)
    requires_alcohol = models.BooleanField(default=False)
    location_types = models.JSONField(
        default=list,
        blank=True,
        help_text='Any of these location types, e.g. ["licensed_premises"].',
    )
    window_days = models.JSONField(
        default=list,
        blank=True,
        help_text="ISO weekdays on which the time window starts (5 = Friday, 6 = Saturday).",
    )
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority__display_order", "pk"]

    def __str__(self) -> str:
        return f"{self.priority}: {self.name}"


class RecordVersion(models.Model):
    """What a record looked like before an upload changed it, so the upload can be withdrawn."""

    # Written set-based by the import from records it has just read under the dataset's lock;
    # (upload, created) covers the upload column. Django emulates on_delete=CASCADE.
    upload = models.ForeignKey(
        Upload,
        on_delete=models.CASCADE,
        related_name="versions",
        db_index=False,
        db_constraint=False,
    )
    record = models.ForeignKey(
        IncidentRecord, null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    created = models.BooleanField(help_text="True when the upload created the record.")
    previous = models.JSONField(null=True, blank=True, help_text="Field values before the change.")

    class Meta:
        indexes = [models.Index(fields=["upload", "created"])]

    def __str__(self) -> str:
        action = "created" if self.created else "changed"
        return f"upload {self.upload_id} {action} {self.record_id}"
