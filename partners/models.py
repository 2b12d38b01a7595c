from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their work e-mail.

    ``is_staff`` only opens the admin; what a staff member may change there comes from their
    groups. Record-level access never comes from this model: see ``incidents.access``.
    """

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Partnership(models.Model):
    """The partnership this portal serves. Data, not code: another area loads its own."""

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=30)
    area_name = models.CharField(
        max_length=100,
        help_text="The county or police force area it covers, as its residents name it.",
    )
    also_known_as = models.CharField(max_length=200, blank=True)
    convenor = models.CharField(
        max_length=200, help_text="The local policing body that convenes the partnership."
    )
    convenor_organisation = models.ForeignKey(
        "Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=(
            "The convenor's organisation in the portal. Its members follow the strategy's "
            "delivery evidence; its analysts see a dataset's records only when the dataset's "
            "agreement names it, like any other partner."
        ),
    )
    contact_email = models.EmailField(blank=True)
    about = models.TextField(help_text="Plain-English introduction shown on the public home page.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "partnership"

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", "Police"
        FIRE = "fire", "Fire and rescue"
        YOUTH_OFFENDING = "youth_offending", "Youth offending"
        PROBATION = "probation", "Probation"
        HEALTH = "health", "Health"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        EDUCATION = "education", "Education"
        PRISON = "prison", "Prison"
        YOUTH_CUSTODY = "youth_custody", "Youth custody"
        POLICING_BODY = "policing_body", "Local policing body (OPFCC)"
        VOLUNTARY = "voluntary", "Voluntary and community"

    class SpecifiedArea(models.TextChoices):
        # The Duty's five groups of specified authorities, in the order the partnership lists them.
        JUSTICE = "justice", "Justice"
        HEALTH = "health", "Health"
        LOCAL_AUTHORITIES = "local_authorities", "Local authorities"
        FIRE = "fire", "Fire"
        POLICE = "police", "Police"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=50)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    specified_area = models.CharField(
        max_length=30,
        choices=SpecifiedArea.choices,
        blank=True,
        help_text="Only for specified authorities under the Serious Violence Duty.",
    )
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "specified_area"])]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ANALYST = "analyst", "Analyst"
        PARTNER_LEAD = "partner_lead", "Partner lead"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    job_title = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.organisation.short_name}"


class Invitation(models.Model):
    """A single-use, expiring invitation to join an organisation with a role.

    Only a hash of the token is stored: the link in the e-mail is the only copy of the secret.
    """

    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organisation.short_name}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
