"""Demo data: the Serious Violence Duty Strategy 2023–2025 and a delivery plan across partners.

The strategy text (aims, themes, five C's, drivers) is the partnership's published wording.
Actions are illustrative. Their dates are set relative to today so the demo always has some
actions overdue and some at risk. No outcome figures are invented: measures are either empty or
computed from the real police.uk months the incidents demo imports.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import CrimeCategory, Dataset, IncidentRecord, PriorityCrimeType
from partners.models import Organisation

from .models import (
    Action,
    ActionStatus,
    AnnualReview,
    Consultation,
    Driver,
    LocalDefinition,
    MeasureQuery,
    Milestone,
    OutcomeMeasure,
    Principle,
    ProgressUpdate,
    ProtectiveFactor,
    Strategy,
    Theme,
)

# (slug, name, short description, sensitive) — names as the partnership's priorities table.
PRIORITIES: list[tuple[str, str, str, bool]] = [
    ("personal-robbery", "Personal robbery", "Robbery of a person, not of a business.", False),
    (
        "knife-crime",
        "Knife crime / possession of a weapon",
        "Crimes where a knife or sharp object is used or carried.",
        False,
    ),
    (
        "violence-under-25",
        "Violence involving young people under 25",
        "Violence where the victim or the suspect is under 25.",
        False,
    ),
    ("domestic-abuse", "Domestic abuse", "Abuse by a partner, ex-partner or family member.", True),
    (
        "rape-serious-sexual-offences",
        "Rape and serious sexual offences (incl. VAWG)",
        "Rape and serious sexual offences, including violence against women and girls.",
        True,
    ),
    (
        "night-time-economy",
        "Night-time economy violence",
        "Violence at night in and around pubs, bars and clubs.",
        False,
    ),
    (
        "county-lines-exploitation",
        "County lines and child exploitation",
        "Drug dealing networks that exploit children and vulnerable adults.",
        False,
    ),
]

STRATEGY = {
    "title": "Serious Violence Duty Strategy",
    "period_start": 2023,
    "period_end": 2025,
    "agreed_on": datetime.date(2024, 1, 31),
    "summary": (
        "Our Serious Violence Duty Strategy 2023–2025 outlines our plans to tackle crime and "
        "serious violence in Northamptonshire. It sets out how we will work together with "
        "children and young people and wider communities to prevent and reduce serious "
        "violence.\n\n"
        "We believe violence is preventable and will do everything we can to ensure that "
        "Northamptonshire's communities feel safe and free from the threat of violence."
    ),
    "aims": (
        "Stabilise and reduce violence in the short term\n"
        "Understand the underlying causes of violence in the county\n"
        "Co-ordinate Northamptonshire's communities and public organisations to address those "
        "causes in the longer term"
    ),
    "mission": (
        "Our mission is to work with and for communities, adopting Public Health England's five "
        "C's approach, to have a lasting impact for the people of Northamptonshire."
    ),
}

DEFINITION = (
    "Serious violence is violence that causes, or risks causing, serious harm. In "
    "Northamptonshire it includes homicide, knife crime and possession of weapons, personal "
    "robbery, violence involving young people under 25, domestic abuse, rape and serious sexual "
    "offences, violence in the night-time economy, and county lines and the exploitation of "
    "children. It includes violence in public places and in private ones."
)

THEMES: list[tuple[str, str]] = [
    (
        "Leadership and cultural change",
        "Lead and collaborate with partners to drive the change required to prevent serious "
        "violence.",
    ),
    (
        "Data sharing, evidence and evaluation",
        "Use multi-agency data, insights and evidence to improve our understanding of the causes "
        "and risk factors of serious violence in the county.",
    ),
    (
        "Tackling vulnerabilities",
        "Co-design, implement and evaluate evidence-informed interventions that address causes "
        "of serious violence and strengthen protective factors, whilst contributing to the local "
        "and national evidence base.",
    ),
    (
        "Place based",
        "Only by working with our communities, in our communities, can we help deliver better "
        "outcomes for them.",
    ),
]

PRINCIPLES: list[tuple[str, str]] = [
    (
        "Community consensus",
        "Our responses will be 'with and for communities' to build trust and confidence, "
        "ensuring that all interventions are relevant and responsive.",
    ),
    (
        "Collaboration",
        "Preventing serious violence requires a system-wide approach, collaborating with an "
        "array of groups, organisations and sectors.",
    ),
    (
        "Co-production",
        "Interventions and strategies will be co-produced with young people, their families and "
        "communities.",
    ),
    (
        "Cooperation in data",
        "We are committed to all organisations identifying, sharing and analysing all relevant "
        "data to help us better understand serious violence in Northamptonshire.",
    ),
    (
        "Counter-narrative",
        "Promoting hope rather than fear is key to tackling serious violence. We will establish "
        "a clear counter-narrative that reflects the realities of violence in our communities.",
    ),
]

DRIVERS: list[tuple[str, str]] = [
    (
        "Deprivation and poverty",
        "There is a correlation between deprivation and serious violence. It increases the "
        "possibility of other risk factors, and children that live in poverty are more likely to "
        "be exploited.",
    ),
    (
        "Emotional and mental health",
        "Poor emotional and mental health is a risk factor and a consequence of being involved "
        "in serious violence. Those with unmanaged disorders are more vulnerable to violence and "
        "involvement in criminality.",
    ),
    (
        "Substance misuse",
        "Substance misuse increases the risk of a person being involved in serious violence as "
        "either a perpetrator or a victim.",
    ),
    (
        "Adverse childhood experiences",
        "Potentially traumatic events in childhood or the teenage years, such as experiencing "
        "violence, abuse or neglect; witnessing domestic violence; bereavement; substance use or "
        "mental health problems in the household; parental separation; or having a family member "
        "in prison. They can have a lasting effect on someone's health and wellbeing, and can "
        "make them more vulnerable to youth violence, exploitation and substance use.",
    ),
]

PROTECTIVE_FACTORS: list[tuple[str, str]] = [
    ("A trusted adult", "A positive, stable relationship with a parent, carer or mentor."),
    ("Staying in education", "Attending and feeling part of school, college or training."),
    ("Safe places and activities", "Somewhere safe to go and things to do, especially at night."),
    ("Good emotional health", "Timely support for emotional and mental health."),
]

LEADERSHIP, DATA, VULNERABILITIES, PLACE = (t[0] for t in THEMES)


def _actions(today: datetime.date) -> list[dict[str, Any]]:
    """The demo delivery plan; offsets in days from today keep some overdue, some at risk."""

    def day(offset: int) -> datetime.date:
        return today + datetime.timedelta(days=offset)

    return [
        {
            "reference": "LC1",
            "theme": LEADERSHIP,
            "title": "Train frontline staff in trauma-informed practice",
            "description": (
                "Deliver trauma-informed practice training to frontline staff in every partner "
                "organisation, so that people who have had adverse childhood experiences are "
                "recognised and supported rather than re-traumatised."
            ),
            "lead": "opfcc",
            "supporting": ["police", "yos", "icb"],
            "priorities": ["violence-under-25", "domestic-abuse"],
            "drivers": ["Adverse childhood experiences", "Emotional and mental health"],
            "start": day(-420),
            "due": day(120),
            "status": ActionStatus.ON_TRACK,
            "funding": (Decimal("45000"), "Home Office Serious Violence Duty grant"),
            "evidence": (
                "Trauma-informed approaches are recommended by the Youth Endowment Fund and NHS "
                "England; local pilots reported improved engagement.",
                3,
                "More young people stay engaged with services after a first contact.",
                "https://youthendowment.org.uk/toolkit/",
            ),
            "sna": "Build a shared understanding of adverse childhood experiences across partners.",
            "milestones": [
                ("Commission training provider", day(-360), day(-350)),
                ("Train the first 200 staff", day(-90), day(-80)),
                ("Train a further 300 staff", day(90), None),
            ],
            "updates": [
                (-300, ActionStatus.ON_TRACK, "Provider appointed and first cohorts booked."),
                (-70, ActionStatus.ON_TRACK, "212 staff trained so far; feedback is positive."),
            ],
        },
        {
            "reference": "LC2",
            "theme": LEADERSHIP,
            "title": "Agree a counter-narrative communications plan with young people",
            "description": (
                "Work with young people to co-produce campaigns that promote hope rather than fear "
                "and reflect the real levels of violence in their communities."
            ),
            "lead": "wnc",
            "supporting": ["nnc", "opfcc"],
            "priorities": ["knife-crime", "violence-under-25"],
            "drivers": [],
            "start": day(-200),
            "due": day(-20),
            "status": ActionStatus.AT_RISK,
            "funding": (Decimal("12000"), "OPFCC community safety fund"),
            "evidence": (
                "Fear-based messaging about knives can increase carrying; peer-led messaging is "
                "more promising.",
                2,
                "Young people feel safer and fewer say they carry a knife for protection.",
                "",
            ),
            "sna": "Involve young people in shaping the partnership's messages.",
            "milestones": [
                ("Recruit a youth panel", day(-150), day(-140)),
                ("Launch the first campaign", day(-30), None),
            ],
            "updates": [
                (
                    -45,
                    ActionStatus.AT_RISK,
                    "Youth panel in place but the campaign design has slipped by a month.",
                ),
            ],
        },
        {
            "reference": "DE1",
            "theme": DATA,
            "title": "Share emergency department assault data monthly (Cardiff Model)",
            "description": (
                "Collect the Information Sharing to Tackle Violence minimum data set at both "
                "emergency departments and share it, anonymised, with the partnership each month."
            ),
            "lead": "icb",
            "supporting": ["police", "opfcc"],
            "priorities": ["knife-crime", "night-time-economy", "violence-under-25"],
            "drivers": [],
            "start": day(-500),
            "due": day(-60),
            "status": ActionStatus.OFF_TRACK,
            "funding": (None, "Within existing budgets"),
            "evidence": (
                "The Cardiff Model was associated with fewer violence-related hospital admissions "
                "in its evaluation.",
                4,
                "Violence that is not reported to the police shows up in the partnership's "
                "analysis.",
                "https://www.gov.uk/government/publications/information-sharing-to-tackle-violence-minimum-dataset",
            ),
            "sna": "Close the gap between police and hospital data on violence.",
            "milestones": [
                ("Data-sharing agreement signed", day(-400), day(-380)),
                ("First monthly extract received", day(-200), None),
                ("Both hospitals reporting monthly", day(-60), None),
            ],
            "updates": [
                (-250, ActionStatus.ON_TRACK, "Agreement signed by both hospital trusts."),
                (
                    -90,
                    ActionStatus.OFF_TRACK,
                    "Receptionist data capture is incomplete at one site; extracts paused while "
                    "the trust fixes its system.",
                ),
            ],
        },
        {
            "reference": "DE2",
            "theme": DATA,
            "title": "Refresh the strategic needs assessment",
            "description": (
                "Update the strategic needs assessment with the latest year of data from every "
                "specified authority and the community survey."
            ),
            "lead": "opfcc",
            "supporting": ["police", "icb", "nnc", "wnc", "probation", "yos", "fire"],
            "priorities": [p[0] for p in PRIORITIES],
            "drivers": [d[0] for d in DRIVERS],
            "start": day(-100),
            "due": day(150),
            "status": ActionStatus.ON_TRACK,
            "funding": (Decimal("30000"), "Home Office Serious Violence Duty grant"),
            "evidence": ("Required by the Serious Violence Duty statutory guidance.", 5, "", ""),
            "sna": "Review the needs assessment every year.",
            "milestones": [
                ("All partner extracts received", day(30), None),
                ("Draft to the partnership board", day(120), None),
            ],
            "updates": [(-20, ActionStatus.ON_TRACK, "Police and council extracts received.")],
        },
        {
            "reference": "DE3",
            "theme": DATA,
            "title": "Evaluate the violence intervention programmes",
            "description": (
                "Commission an independent evaluation of the partnership's funded interventions "
                "and publish what works and what does not."
            ),
            "lead": "opfcc",
            "supporting": ["yos"],
            "priorities": ["violence-under-25"],
            "drivers": [],
            "start": day(30),
            "due": day(400),
            "status": ActionStatus.NOT_STARTED,
            "funding": (Decimal("25000"), "Home Office Serious Violence Duty grant"),
            "evidence": ("", None, "Better use of money on what works.", ""),
            "sna": "Contribute to the local and national evidence base.",
            "milestones": [("Evaluation partner appointed", day(90), None)],
            "updates": [],
        },
        {
            "reference": "TV1",
            "theme": VULNERABILITIES,
            "title": "Place youth workers in the emergency departments",
            "description": (
                "Youth workers meet young people attending hospital after violence at a "
                "'reachable moment' and offer support to keep them safe."
            ),
            "lead": "icb",
            "supporting": ["yos", "wnc"],
            "priorities": ["violence-under-25", "knife-crime"],
            "drivers": ["Emotional and mental health", "Adverse childhood experiences"],
            "start": day(-300),
            "due": day(200),
            "status": ActionStatus.ON_TRACK,
            "funding": (Decimal("120000"), "Violence Reduction funding"),
            "evidence": (
                "A&E navigator programmes are rated as promising by the Youth Endowment Fund.",
                3,
                "Fewer repeat attendances for assault among under-25s.",
                "https://youthendowment.org.uk/toolkit/",
            ),
            "sna": "Intervene early with young people harmed by violence.",
            "milestones": [
                ("Recruit two youth workers", day(-240), day(-230)),
                ("Service running seven days a week", day(60), None),
            ],
            "updates": [
                (-200, ActionStatus.ON_TRACK, "Both youth workers in post."),
                (-30, ActionStatus.ON_TRACK, "61 young people offered support this quarter."),
            ],
        },
        {
            "reference": "TV2",
            "theme": VULNERABILITIES,
            "title": "Focused deterrence for young people at risk of exploitation",
            "description": (
                "Identify young people at high risk of county lines exploitation and offer them "
                "intensive support alongside clear consequences for those who exploit them."
            ),
            "lead": "yos",
            "supporting": ["police", "nnc", "wnc"],
            "priorities": ["county-lines-exploitation", "violence-under-25"],
            "drivers": ["Deprivation and poverty", "Substance misuse"],
            "start": day(-250),
            "due": day(-10),
            "status": ActionStatus.AT_RISK,
            "funding": (Decimal("80000"), "Youth Justice Board grant"),
            "evidence": (
                "Focused deterrence has a high estimated impact in the Youth Endowment Fund "
                "toolkit.",
                4,
                "Fewer young people drawn into drug supply.",
                "https://youthendowment.org.uk/toolkit/",
            ),
            "sna": "Reduce the exploitation of children through county lines.",
            "milestones": [
                ("Referral criteria agreed", day(-200), day(-190)),
                ("First 20 young people supported", day(-40), None),
            ],
            "updates": [
                (
                    -35,
                    ActionStatus.AT_RISK,
                    "Only 11 young people engaged so far; referrals from schools are low.",
                ),
            ],
        },
        {
            "reference": "TV3",
            "theme": VULNERABILITIES,
            "title": "Substance misuse support for people leaving prison",
            "description": (
                "Make sure people released from prison with a substance misuse need are met at "
                "the gate and start treatment within a week."
            ),
            "lead": "probation",
            "supporting": ["icb"],
            "priorities": ["domestic-abuse"],
            "drivers": ["Substance misuse"],
            "start": day(-400),
            "due": day(-30),
            "status": ActionStatus.COMPLETE,
            "funding": (None, "Within existing budgets"),
            "evidence": (
                "Continuity of care after release reduces drug-related deaths and reoffending.",
                3,
                "",
                "",
            ),
            "sna": "Address substance misuse as a driver of violence.",
            "milestones": [("Gate pick-up service live", day(-200), day(-210))],
            "updates": [
                (-180, ActionStatus.ON_TRACK, "Gate pick-up service live for HMP Five Wells."),
                (
                    -35,
                    ActionStatus.COMPLETE,
                    "Now business as usual; 78% start treatment within a week.",
                ),
            ],
        },
        {
            "reference": "TV4",
            "theme": VULNERABILITIES,
            "title": "Healthy relationships sessions in secondary schools",
            "description": (
                "Deliver healthy relationships and consent sessions to pupils in years 8 to 10, "
                "with training for teachers to continue them."
            ),
            "lead": "nnc",
            "supporting": ["wnc", "police"],
            "priorities": ["domestic-abuse", "rape-serious-sexual-offences"],
            "drivers": ["Adverse childhood experiences"],
            "start": day(-150),
            "due": day(60),
            "status": ActionStatus.ON_TRACK,
            "funding": (Decimal("18500"), "OPFCC community safety fund"),
            "evidence": (
                "Relationship education programmes are rated as having a moderate impact on "
                "dating violence.",
                3,
                "",
                "https://youthendowment.org.uk/toolkit/",
            ),
            "sna": "Prevent violence against women and girls by starting early.",
            "milestones": [
                ("Sessions in the first 10 schools", day(-20), None),
                ("Teacher training complete", day(50), None),
            ],
            "updates": [(-60, ActionStatus.ON_TRACK, "Sessions booked in 12 schools.")],
        },
        {
            "reference": "PB1",
            "theme": PLACE,
            "title": "Safer night-time economy in Northampton town centre",
            "description": (
                "Run a partnership plan for the town centre at night: street marshals, a safe "
                "space, licensed premises training, and better lighting on the routes home."
            ),
            "lead": "police",
            "supporting": ["wnc", "fire"],
            "priorities": ["night-time-economy", "rape-serious-sexual-offences"],
            "drivers": ["Substance misuse"],
            "start": day(-320),
            "due": day(40),
            "status": ActionStatus.ON_TRACK,
            "funding": (Decimal("60000"), "Safer Streets fund"),
            "evidence": (
                "Street lighting and guardianship in hotspots reduce violence; evaluated locally.",
                3,
                "Fewer assaults on Friday and Saturday nights in the town centre.",
                "",
            ),
            "sna": "Focus on the hotspots identified in the town centre.",
            "milestones": [
                ("Street marshals deployed", day(-250), day(-245)),
                ("Safe space open every weekend", day(-100), day(-95)),
                ("Lighting upgrades complete", day(-15), None),
            ],
            "updates": [
                (-120, ActionStatus.ON_TRACK, "Marshals and safe space running every weekend."),
                (-10, ActionStatus.ON_TRACK, "Lighting contractor delayed by two weeks."),
            ],
        },
        {
            "reference": "PB2",
            "theme": PLACE,
            "title": "Hotspot patrols in the areas with most knife crime",
            "description": (
                "Visible, problem-solving patrols in the small areas where knife crime is "
                "concentrated, agreed with neighbourhood groups."
            ),
            "lead": "police",
            "supporting": ["nnc", "wnc"],
            "priorities": ["knife-crime", "personal-robbery"],
            "drivers": [],
            "start": day(-180),
            "due": day(180),
            "status": ActionStatus.ON_TRACK,
            "funding": (Decimal("95000"), "Home Office hotspot policing grant"),
            "evidence": (
                "Hotspot policing has a moderate to high impact on violence in the Youth "
                "Endowment Fund toolkit.",
                4,
                "Fewer knife crimes in the patrolled areas without displacement.",
                "https://youthendowment.org.uk/toolkit/",
            ),
            "sna": "Target resources on the places where violence concentrates.",
            "milestones": [("Quarterly hotspot review", day(-5), None)],
            "updates": [],
        },
        {
            "reference": "PB3",
            "theme": PLACE,
            "title": "Fire cadets and diversion programmes for young people",
            "description": (
                "Expand fire cadet units and diversionary activities in the neighbourhoods with "
                "the highest deprivation, on the evenings when violence peaks."
            ),
            "lead": "fire",
            "supporting": ["nnc"],
            "priorities": ["violence-under-25"],
            "drivers": ["Deprivation and poverty"],
            "start": day(-220),
            "due": day(-5),
            "status": ActionStatus.AT_RISK,
            "funding": (Decimal("22000"), "OPFCC community safety fund"),
            "evidence": (
                "Sports and activity programmes have a moderate effect on violence.",
                2,
                "",
                "",
            ),
            "sna": "Provide safe places and activities for young people in the evenings.",
            "milestones": [
                ("Two new cadet units open", day(-60), None),
            ],
            "updates": [
                (
                    -40,
                    ActionStatus.AT_RISK,
                    "One unit open; the second needs more volunteer instructors.",
                ),
            ],
        },
    ]


def _priorities() -> dict[str, PriorityCrimeType]:
    found: dict[str, PriorityCrimeType] = {}
    for order, (slug, name, description, sensitive) in enumerate(PRIORITIES, start=1):
        found[slug], _ = PriorityCrimeType.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "short_description": description,
                "display_order": order,
                "is_sensitive": sensitive,
            },
        )
    return found


def _parts(strategy: Strategy, model: Any, rows: list[tuple[str, str]]) -> dict[str, Any]:
    found = {}
    for order, (name, description) in enumerate(rows, start=1):
        found[name], _ = model.objects.get_or_create(
            strategy=strategy,
            name=name,
            defaults={"description": description, "display_order": order},
        )
    return found


def _lead_user(organisation: Organisation) -> Any:
    """The organisation's demo partner lead (partners/demo.py creates them), if any."""
    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation, memberships__role="partner_lead")
        .order_by("pk")
        .first()
    )


# Local measures the demo data can feed: data.police.uk's months carry categories but no ages
# or weapons, so only category-based priorities can be counted from them.
LOCAL_MEASURES: list[dict[str, Any]] = [
    {
        "slug": "personal-robbery-recorded",
        "name": "Personal robbery recorded by the police",
        "definition": (
            "Police-recorded robberies counting towards the personal robbery priority, anywhere "
            "in the partnership area, each month."
        ),
        "data_source": "Police recorded crime (data.police.uk), through the portal",
        "unit": "offences",
        "data_notes": (
            "data.police.uk does not separate personal from business robbery, so this slightly "
            "over-counts until the police partner extract with finer categories is shared."
        ),
        "priority": "personal-robbery",
        "display_order": 10,
    },
    {
        "slug": "weapon-possession-recorded",
        "name": "Possession of weapons offences recorded by the police",
        "definition": (
            "Police-recorded offences of possessing a knife, bladed article or other weapon, "
            "anywhere in the partnership area, each month."
        ),
        "data_source": "Police recorded crime (data.police.uk), through the portal",
        "unit": "offences",
        "data_notes": (
            "data.police.uk's 'Possession of weapons' includes firearms and other offensive "
            "weapons as well as knives."
        ),
        "categories": ["possession-of-weapons", "possession-of-a-knife"],
        "display_order": 11,
    },
]
KNIFE_UNDER_25 = "knife-enabled-serious-violence-under-25"
SERIOUS_VIOLENCE_CATEGORIES = [
    "homicide",
    "violence-with-injury",
    "violence-and-sexual-offences",
    "robbery",
    "personal-robbery",
    "rape",
    "other-sexual-offences",
]
POLICE_DATASET = "police-uk-street"


def _measure_queries(*, stdout: Any) -> None:
    """Saved queries for the measures the police data can feed; refresh them once."""
    from .services import measure_refresh

    police = Dataset.objects.filter(slug=POLICE_DATASET).first()
    if police is None:
        stdout.write("Outcome measures: no police dataset, so no saved queries were set up.")
        return
    categories = {c.slug: c for c in CrimeCategory.objects.all()}
    priorities = {p.slug: p for p in PriorityCrimeType.objects.all()}
    configured: list[OutcomeMeasure] = []
    for row in LOCAL_MEASURES:
        measure, _ = OutcomeMeasure.objects.get_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "definition": row["definition"],
                "data_source": row["data_source"],
                "unit": row["unit"],
                "direction": OutcomeMeasure.Direction.LOWER_IS_BETTER,
                "data_notes": row["data_notes"],
                "display_order": row["display_order"],
            },
        )
        query, made = MeasureQuery.objects.get_or_create(
            measure=measure,
            defaults={
                "priority": priorities.get(row.get("priority", "")),
                "granularity": MeasureQuery.Granularity.MONTH,
            },
        )
        if made:
            query.datasets.set([police])
            query.categories.set(
                [categories[c] for c in row.get("categories", []) if c in categories]
            )
            configured.append(measure)
    # The headline measure: a knife or sharp instrument, serious violence, victim under 25.
    # It stays empty on data.police.uk (no weapons or ages) and fills in once a police extract
    # with them is uploaded to the chosen datasets.
    knife = OutcomeMeasure.objects.filter(slug=KNIFE_UNDER_25).first()
    if knife is not None:
        query, made = MeasureQuery.objects.get_or_create(
            measure=knife,
            defaults={
                "weapons": [IncidentRecord.Weapon.KNIFE],
                "under_25": MeasureQuery.Under25.VICTIM,
                "granularity": MeasureQuery.Granularity.QUARTER,
            },
        )
        if made:
            query.datasets.set([police])
            query.categories.set(
                [categories[c] for c in SERIOUS_VIOLENCE_CATEGORIES if c in categories]
            )
            configured.append(knife)
    # Only queries set up by this run are refreshed, so a second run changes nothing; after
    # that the schedule keeps them current.
    for measure in configured:
        result = measure_refresh(measure=measure, actor=None)
        stdout.write(f"Outcome measure {measure.name}: {result.summary}.")


def seed(*, stdout: Any) -> None:
    """Load the 2023–2025 strategy and its delivery plan if they are missing (idempotent)."""
    priorities = _priorities()
    strategy, created = Strategy.objects.get_or_create(
        title=STRATEGY["title"],
        period_start=STRATEGY["period_start"],
        period_end=STRATEGY["period_end"],
        defaults={
            k: v for k, v in STRATEGY.items() if k not in {"title", "period_start", "period_end"}
        },
    )
    if created:
        strategy.priorities.set(priorities.values())
    LocalDefinition.objects.get_or_create(
        strategy=strategy,
        version=1,
        defaults={"text": DEFINITION, "agreed_on": datetime.date(2023, 12, 14)},
    )
    themes = _parts(strategy, Theme, THEMES)
    _parts(strategy, Principle, PRINCIPLES)
    drivers = _parts(strategy, Driver, DRIVERS)
    _parts(strategy, ProtectiveFactor, PROTECTIVE_FACTORS)
    if created and not Strategy.objects.filter(status=Strategy.Status.PUBLISHED).exists():
        strategy.status = Strategy.Status.PUBLISHED
        strategy.published_at = timezone.now()
        strategy.save(update_fields=["status", "published_at"])

    organisations = {o.slug: o for o in Organisation.objects.all()}
    today = timezone.localdate()
    now = timezone.now()
    added = 0
    for row in _actions(today):
        lead = organisations.get(row["lead"])
        if lead is None:
            continue  # partners/demo.py did not run; nothing to hang the action on
        amount, source = row["funding"]
        basis, strength, impact, url = row["evidence"]
        action, made = Action.objects.get_or_create(
            theme=themes[row["theme"]],
            title=row["title"],
            defaults={
                "reference": row["reference"],
                "description": row["description"],
                "lead_organisation": lead,
                "start_date": row["start"],
                "due_date": row["due"],
                "status": row["status"],
                "funding_amount": amount,
                "funding_source": source,
                "evidence_basis": basis,
                "evidence_strength": strength,
                "expected_impact": impact,
                "evidence_url": url,
                "sna_recommendation": row["sna"],
            },
        )
        if not made:
            continue
        added += 1
        action.supporting_organisations.set(
            [organisations[s] for s in row["supporting"] if s in organisations]
        )
        action.priorities.set([priorities[p] for p in row["priorities"]])
        action.drivers.set([drivers[d] for d in row["drivers"]])
        for title, due, done in row["milestones"]:
            Milestone.objects.create(action=action, title=title, due_date=due, completed_on=done)
        author = _lead_user(lead)
        previous = ActionStatus.NOT_STARTED
        for offset, status, narrative in row["updates"]:
            ProgressUpdate.objects.create(
                action=action,
                author=author,
                author_name=author.get_full_name() if author else f"{lead.short_name} lead",
                previous_status=previous,
                status=status,
                narrative=narrative,
                created_at=now + datetime.timedelta(days=offset),
            )
            previous = status

    if created:
        AnnualReview.objects.create(
            strategy=strategy,
            review_date=datetime.date(2024, 12, 12),
            findings=(
                "Most actions are on track. Emergency department data sharing has not reached "
                "both hospitals, and referrals into the focused deterrence programme are low."
            ),
            changes_made=(
                "We added an action on healthy relationships in schools and asked the hospital "
                "trusts for a recovery plan for data sharing."
            ),
            next_review_due=datetime.date(2025, 12, 31),
        )
        consultations = [
            (
                "Northamptonshire schools and colleges",
                "education",
                "education",
                "Headteachers' forum",
            ),
            ("HMP Five Wells", "prison", "hmp-five-wells", "Meeting with the governor"),
            ("Youth custody service (East Midlands)", "youth_custody", None, "Letter and call"),
            ("Northampton community and faith groups", "community", None, "Two open meetings"),
            ("Youth panel", "young_people", None, "Workshop"),
        ]
        for index, (who, kind, org_slug, method) in enumerate(consultations):
            Consultation.objects.create(
                strategy=strategy,
                consultee=who,
                consultee_kind=kind,
                organisation=organisations.get(org_slug) if org_slug else None,
                consulted_on=datetime.date(2023, 10, 2) + datetime.timedelta(days=7 * index),
                method=method,
                response="Supported the priorities; asked for more work on school exclusions.",
                response_received_on=datetime.date(2023, 11, 1)
                + datetime.timedelta(days=3 * index),
            )
    stdout.write(
        f"Strategy: {strategy} ({strategy.get_status_display().lower()}), "
        f"{added} delivery-plan actions added."
    )
    _measure_queries(stdout=stdout)
