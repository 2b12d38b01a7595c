from __future__ import annotations

from django.db import models


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

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name
