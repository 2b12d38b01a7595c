"""Demo data: one SNA edition of each audience over the months the demo imported, queued for the
worker (``make run`` starts it after seeding, so both are ready a minute or so later).

Run by ``seed_demo`` after the incidents, strategy and surveys demos. Idempotent: editions that
already exist are left alone (a failed one is queued again). Without records it does nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max, Min

from incidents.models import Dataset, IncidentRecord
from partners.models import Organisation
from partners.selectors import partnership_current
from strategy.models import LocalDefinition

from . import services
from .models import Audience, Chapter, Edition

DEMO_LABEL = "Demonstration edition"

NARRATIVE = {
    "executive_summary": (
        "This demonstration edition is generated from the six months of police.uk street-level "
        "crime the portal's demo loads. Its figures are real public data; its words are "
        "placeholders for the partnership's own analysis.\n\n"
        "Every figure in it comes from the portal's evidence functions, and every table is in "
        "the tables.zip file beside it."
    ),
    "key_findings": (
        "Police.uk data has no ages, times or flags, so the chapters on who and when are "
        "mostly empty until partners upload their own extracts.\n\n"
        "Violence and sexual offences make up the largest share of recorded crime."
    ),
    "data_gaps": (
        "No emergency-department (ISTV) data has been uploaded for the period, so the police "
        "and health chapter cannot show the violence the police never hear of.\n\n"
        "Youth offending and probation extracts are not yet shared."
    ),
}

RECOMMENDATIONS = [
    (Chapter.POLICE_HEALTH, "Agree a monthly ISTV extract with every emergency department."),
    (Chapter.DATA, "Ask the police for an extract with times, ages and weapons."),
]


def seed(*, stdout: Any) -> None:
    span = IncidentRecord.objects.filter(outside_area=False).aggregate(
        first=Min("occurred_on"), last=Max("occurred_on")
    )
    if span["first"] is None:
        stdout.write("SNA: no incident records, so no demonstration edition.")
        return
    datasets = list(
        Dataset.objects.filter(records__isnull=False, is_active=True).distinct().order_by("pk")
    )
    staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
    partnership = partnership_current()
    title = (
        f"{partnership.area_name} Serious Violence Strategic Needs Assessment"
        if partnership
        else "Serious Violence Strategic Needs Assessment"
    )
    definition = LocalDefinition.objects.order_by("-agreed_on", "-version").first()
    partners = list(Organisation.objects.exclude(specified_area="").filter(is_active=True))
    for audience in (Audience.RESTRICTED, Audience.PUBLIC):
        edition = Edition.objects.filter(
            title=title, edition_label=DEMO_LABEL, audience=audience
        ).first()
        if edition is None:
            edition = services.edition_create(
                actor=staff,
                data={
                    "title": title,
                    "edition_label": DEMO_LABEL,
                    "period_start": span["first"].replace(day=1),
                    "period_end": span["last"].replace(day=1),
                    "area_level": "partnership",
                    "authority": None,
                    "audience": audience,
                    "definition": definition,
                    "datasets": datasets,
                    "shared_with": partners if audience == Audience.RESTRICTED else [],
                    **NARRATIVE,
                },
            )
            for chapter, text in RECOMMENDATIONS:
                services.recommendation_save(
                    actor=staff, edition=edition, chapter=chapter, text=text
                )
        if edition.status in (Edition.Status.DRAFT, Edition.Status.FAILED):
            services.edition_generate(actor=staff, edition=edition)
            stdout.write(f"SNA: {edition} ({audience}) queued for the worker.")
        else:
            stdout.write(f"SNA: {edition} ({audience}) already {edition.get_status_display()}.")
