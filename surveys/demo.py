"""Demo data: the partnership's 2023 Serious Violence Duty survey with synthetic answers, an open
survey, support contacts and a few events. Idempotent: a second run changes nothing.

The 2023 survey's wording follows the published consultation page; its responses are synthetic
(random.Random with a fixed seed, so every run makes the same ones) and its opening date is assumed.
"""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from .models import (
    Answer,
    Choice,
    EngagementEvent,
    Question,
    Response,
    SupportContact,
    Survey,
    SurveyPage,
)
from .services import question_fixed_choices_ensure

LONDON = zoneinfo.ZoneInfo("Europe/London")
SLUG_2023 = "tackling-violence-2023"
SLUG_OPEN = "feeling-safe-in-your-area"
RESPONSES_2023 = 320
SEED = 20231027

INTRO_2023 = """Serious violence affects many communities. The impact can be life changing, whether you are a victim or a witness. Have you been affected by serious violence in the last year? If so, we would like to know about the experience you and your family may have had, as well as the issues affecting your community.

Legislation called the Serious Violence Duty was introduced in January 2023. It requires organisations across the public sector to work together locally to plan and prevent incidents of violence, making local communities safer. These specified authorities include local government, criminal justice, health and social care, police, and fire and rescue authorities, and are known as the Northamptonshire Serious Violence Alliance.

For this survey serious violence includes: personal robbery; possession of a weapon; domestic abuse; sexual violence, including (but not limited to) violence against women and girls; youth violence among under-25s, including child exploitation and county lines drug dealing; and night-time economy violence.

What you tell us will help the partnership understand the kinds of serious violence that happen in Northamptonshire and what causes them, so that it can put schemes in place that prevent crime and intervene early."""  # noqa: E501

PRIVACY_2023 = """All results are recorded anonymously and there is no obligation to give any information that would identify you.

Your feedback will be part of a report with other people's feedback; you will not be personally identified. Information will be shared with our specified authority partners and dealt with in accordance with data protection legislation. See the Community Safety and Engagement Privacy Notice and the Northamptonshire Police, Fire and Crime Commissioner Privacy Notice for details."""  # noqa: E501

FORMATS_2023 = """If you have any questions about the consultation, need help to complete the questionnaire, or would like a copy in another format (including paper, easy read or large print) or language, email seriousviolenceduty@northantsopfcc.gov.uk."""  # noqa: E501

SERIOUS_VIOLENCE_TYPES = [
    ("personal-robbery", "Personal robbery"),
    ("weapon", "Possession of a weapon"),
    ("domestic-abuse", "Domestic abuse"),
    ("sexual-violence", "Sexual violence, including violence against women and girls"),
    ("youth-violence", "Youth violence (under 25), including child exploitation and county lines"),
    ("night-time-economy", "Night-time economy violence"),
]
PLACES = [
    ("home", "At home"),
    ("street", "In the street or another public place"),
    ("licensed", "In or near a pub, bar or club"),
    ("school-work", "At school, college or work"),
    ("transport", "On public transport or at a station"),
    ("online", "Online"),
]
IMPACTS = [
    ("injury", "Physical injury"),
    ("mental-health", "Mental health or emotional wellbeing"),
    ("unsafe", "Feeling unsafe in my area"),
    ("money-work", "Money, work or school"),
    ("relationships", "Relationships with family or friends"),
    ("moved", "Had to move home"),
]
SAFETY = [
    ("very-safe", "Very safe"),
    ("fairly-safe", "Fairly safe"),
    ("neither", "Neither safe nor unsafe"),
    ("fairly-unsafe", "Fairly unsafe"),
    ("very-unsafe", "Very unsafe"),
]
HELP = [
    ("youth-services", "More activities and youth services for young people"),
    ("visible-policing", "More visible policing"),
    ("lighting-cctv", "Better street lighting and CCTV"),
    ("mental-health", "Mental health support"),
    ("drugs-alcohol", "Help with drugs and alcohol"),
    ("schools", "Education in schools about violence and healthy relationships"),
    ("victim-support", "Support for victims and their families"),
    ("parenting", "Support for parents and families"),
]
GENDER = [("woman", "Woman"), ("man", "Man"), ("non-binary", "Non-binary")]
DISTRICTS = ["NN1", "NN2", "NN3", "NN4", "NN5", "NN8", "NN9", "NN10", "NN11", "NN14", "NN15"]
DISTRICTS += ["NN16", "NN17", "NN18", "NN29"]

IMPACT_TEXTS = [
    "I don't go out after dark any more.",
    "My son was robbed on the way home from school and now he won't walk on his own.",
    "Anxiety, I had to take time off work.",
    "We moved away from the estate in the end.",
    "My daughter still has nightmares.",
    "It made me feel nobody listens until something bad happens.",
    "Lost confidence, stopped going to the gym in town.",
    "Had to change my route to work and my shifts.",
    "The kids are scared to play outside now.",
    "Money worries after I couldn't work for a month.",
]
HELP_TEXTS = [
    "Youth clubs were all closed years ago. Kids have nowhere to go.",
    "More police on foot in the town centre on Friday and Saturday nights.",
    "The underpass by the station needs lights that work.",
    "Teach boys about respect and consent from primary school.",
    "Faster mental health appointments, the waiting list is months.",
    "Someone to talk to after it happened would have helped.",
    "Stop the drug dealing outside the shops, everyone knows who it is.",
    "Mentors for teenagers who are getting drawn in.",
    "Better buses late at night so people aren't walking alone.",
    "Listen to communities and come back and tell us what you did.",
]
OTHER_TYPES = ["Arson", "Harassment", "Threats online", "Dog attack", "Hate crime"]
OTHER_PLACES = ["At the park", "In a car park", "Outside a takeaway", "At a football match"]


def _midnight_after(day: datetime) -> datetime:
    return datetime.combine(day.date() + timedelta(days=1), time(0, 0), tzinfo=LONDON)


def _page(survey: Survey, position: int, title: str = "", **condition: Any) -> SurveyPage:
    return SurveyPage.objects.create(survey=survey, position=position, title=title, **condition)


def _question(
    survey: Survey,
    page: SurveyPage,
    position: int,
    key: str,
    kind: str,
    text: str,
    choices: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> Question:
    question = Question.objects.create(
        survey=survey, page=page, position=position, key=key, kind=kind, text=text, **extra
    )
    Choice.objects.bulk_create(
        Choice(question=question, position=i, value=value, label=label)
        for i, (value, label) in enumerate(choices or [], start=1)
    )
    question_fixed_choices_ensure(question=question)
    return question


def _survey_2023() -> Survey:
    survey = Survey.objects.create(
        title="Tackling violence and improving lives through the Serious Violence Duty",
        slug=SLUG_2023,
        introduction=INTRO_2023,
        privacy_notice=PRIVACY_2023,
        run_by=(
            "the Office of the Northamptonshire Police, Fire and Crime Commissioner on behalf of "
            "the specified authorities under the Serious Violence Duty"
        ),
        opens_at=datetime(2023, 9, 11, 9, 0, tzinfo=LONDON),
        # "This survey closes at midnight, Friday 27 October 2023."
        closes_at=datetime(2023, 10, 28, 0, 0, tzinfo=LONDON),
        alternative_formats=FORMATS_2023,
        is_published=True,
        outcome_published=True,
        outcome_heard=(
            "Thank you to everyone who told us about their experiences. Many of you had been "
            "affected by serious violence in the last year, most often domestic abuse, youth "
            "violence and night-time economy violence. You told us about the lasting effect on "
            "mental health and on feeling safe, and asked for more for young people to do, more "
            "visible policing and quicker mental health support.\n\n"
            "(Demonstration data: these figures are synthetic.)"
        ),
        outcome_did=(
            "Your answers were part of the community voice chapter of the 2023 Strategic Needs "
            "Assessment and shaped the Serious Violence Duty Strategy 2023 to 2025. The "
            "partnership is funding detached youth work in the areas you named, trauma-informed "
            "training for staff, and community events where you can hear what has changed."
        ),
    )
    p1 = _page(survey, 1)
    affected = _question(
        survey,
        p1,
        1,
        "affected",
        "yes_no",
        "Have you been affected by serious violence in the last 12 months?",
        hint="This includes as a victim, a witness, or as the family member or friend of someone "
        "affected.",
        error_message="Select yes if you have been affected by serious violence in the last "
        "12 months",
        publish_results=True,
    )
    if_yes = {"show_if_question": affected, "show_if_answers": "yes"}
    p2 = _page(survey, 2, **if_yes)
    _question(
        survey,
        p2,
        1,
        "types",
        "multiple",
        "Which types of serious violence have affected you?",
        SERIOUS_VIOLENCE_TYPES,
        allow_other=True,
        error_message="Select the types of serious violence that affected you",
        publish_results=True,
    )
    p3 = _page(survey, 3, "Where it happened", **if_yes)
    _question(
        survey,
        p3,
        1,
        "where",
        "multiple",
        "Where did it happen?",
        PLACES,
        allow_other=True,
        error_message="Select where it happened",
    )
    _question(
        survey,
        p3,
        2,
        "where-district",
        "postcode_district",
        "What is the postcode district where it happened?",
        required=False,
    )
    p4 = _page(survey, 4, "The impact on you", **if_yes)
    _question(
        survey,
        p4,
        1,
        "impact",
        "multiple",
        "How has it affected you or your family?",
        IMPACTS,
        allow_other=True,
        error_message="Select how it has affected you or your family",
    )
    _question(
        survey,
        p4,
        2,
        "impact-detail",
        "long_text",
        "Tell us more about the impact",
        required=False,
    )
    p5 = _page(survey, 5)
    _question(
        survey,
        p5,
        1,
        "safety",
        "scale",
        "How safe do you feel in your local area?",
        SAFETY,
        error_message="Select how safe you feel in your local area",
        publish_results=True,
    )
    p6 = _page(survey, 6, "What would help")
    _question(
        survey,
        p6,
        1,
        "help",
        "multiple",
        "What would help to prevent serious violence in your community?",
        HELP,
        allow_other=True,
        error_message="Select what would help to prevent serious violence",
        publish_results=True,
    )
    _question(
        survey,
        p6,
        2,
        "help-detail",
        "long_text",
        "Is there anything else you would like to tell us?",
        required=False,
    )
    p7 = _page(survey, 7, "About you")
    _question(survey, p7, 1, "age", "age_band", "How old are you?", required=False)
    _question(
        survey,
        p7,
        2,
        "gender",
        "single",
        "What is your gender?",
        [*GENDER, ("prefer-not-to-say", "Prefer not to say")],
        required=False,
        allow_other=True,
    )
    _question(
        survey,
        p7,
        3,
        "home-district",
        "postcode_district",
        "What is the postcode district where you live?",
        required=False,
    )
    return survey


def _pick(rng: random.Random, options: list[tuple[str, str]], low: int, high: int) -> list[str]:
    return rng.sample([v for v, _ in options], rng.randint(low, min(high, len(options))))


def _responses_2023(survey: Survey) -> int:
    """A few hundred synthetic responses, the same every run."""
    rng = random.Random(SEED)
    questions = {q.key: q for q in survey.questions.all()}
    choices = {(c.question_id, c.value): c for c in Choice.objects.filter(question__survey=survey)}
    span_hours = int((survey.closes_at - survey.opens_at).total_seconds() // 3600)
    responses = []
    for _ in range(RESPONSES_2023):
        # More answers towards the closing date, as reminders went out.
        offset = int(span_hours * (rng.random() ** 0.7))
        moment = survey.opens_at + timedelta(hours=offset)
        responses.append(
            Response(survey=survey, submitted_at=moment.replace(minute=0, second=0, microsecond=0))
        )
    Response.objects.bulk_create(responses)
    answers: list[Answer] = []

    def choose(response: Response, key: str, values: list[str], other: list[str] | None = None):
        question = questions[key]
        for value in values:
            answers.append(
                Answer(response=response, question=question, choice=choices[question.pk, value])
            )
        if other:
            answers.append(
                Answer(response=response, question=question, is_other=True, text=rng.choice(other))
            )

    def text(response: Response, key: str, value: str) -> None:
        answers.append(Answer(response=response, question=questions[key], text=value))

    ages = list(questions["age"].choices.order_by("position").values_list("value", flat=True))
    for response in responses:
        affected = rng.random() < 0.42
        choose(response, "affected", ["yes" if affected else "no"])
        if affected:
            types = rng.choices(
                [v for v, _ in SERIOUS_VIOLENCE_TYPES], weights=[14, 9, 24, 12, 21, 20], k=2
            )
            choose(
                response,
                "types",
                list(dict.fromkeys(types)),
                OTHER_TYPES if rng.random() < 0.06 else None,
            )
            choose(
                response,
                "where",
                _pick(rng, PLACES, 1, 2),
                OTHER_PLACES if rng.random() < 0.05 else None,
            )
            if rng.random() < 0.5:
                text(response, "where-district", rng.choice(DISTRICTS))
            choose(response, "impact", _pick(rng, IMPACTS, 1, 3))
            if rng.random() < 0.45:
                text(response, "impact-detail", rng.choice(IMPACT_TEXTS))
        safety_weights = [8, 30, 22, 25, 15] if not affected else [3, 18, 20, 32, 27]
        choose(response, "safety", rng.choices([v for v, _ in SAFETY], safety_weights))
        choose(response, "help", _pick(rng, HELP, 1, 4))
        if rng.random() < 0.3:
            text(response, "help-detail", rng.choice(HELP_TEXTS))
        if rng.random() < 0.85:
            choose(response, "age", [rng.choices(ages, [3, 6, 12, 16, 17, 16, 14, 9, 4, 3])[0]])
        if rng.random() < 0.8:
            choose(
                response, "gender", [rng.choices(["woman", "man", "non-binary"], [55, 42, 3])[0]]
            )
        if rng.random() < 0.6:
            text(response, "home-district", rng.choice(DISTRICTS))
    Answer.objects.bulk_create(answers, batch_size=2000)
    return len(responses)


def _survey_open() -> Survey:
    today = timezone.localtime()
    survey = Survey.objects.create(
        title="Feeling safe in your area",
        slug=SLUG_OPEN,
        introduction=(
            "We want to know how safe you feel where you live, and what would make it feel "
            "safer. It takes about 5 minutes.\n\n"
            "Your answers help the partnership decide where to focus its work to prevent serious "
            "violence, and what to talk about at community events."
        ),
        privacy_notice=(
            "Your answers are anonymous. We do not record your IP address, your browser or "
            "anything else about your device, and we ask for your contact details only if you "
            "want us to contact you. If you give them, they are stored apart from your answers.\n\n"
            "We publish only totals protected so that they cannot identify you, never your "
            "own answers."
        ),
        run_by="the Northamptonshire Serious Violence Prevention Partnership",
        opens_at=datetime.combine(today.date() - timedelta(days=14), time(9), tzinfo=LONDON),
        closes_at=_midnight_after(today + timedelta(days=60)),
        alternative_formats=(
            "To answer on paper, in easy read, in large print or in another language, email "
            "nsvpp@example.org or phone 01604 000 000 and we will send you a copy."
        ),
        asks_for_contact=True,
        contact_purpose="to invite you to a community event about the results",
        is_published=True,
    )
    p1 = _page(survey, 1)
    _question(
        survey,
        p1,
        1,
        "safe-after-dark",
        "scale",
        "How safe do you feel walking alone in your area after dark?",
        SAFETY,
        error_message="Select how safe you feel walking alone after dark",
        publish_results=True,
    )
    p2 = _page(survey, 2)
    seen = _question(
        survey,
        p2,
        1,
        "seen-violence",
        "yes_no",
        "In the last 12 months, have you seen violence in your area?",
        error_message="Select yes if you have seen violence in your area in the last 12 months",
    )
    p3 = _page(survey, 3, "What you saw", show_if_question=seen, show_if_answers="yes")
    _question(
        survey,
        p3,
        1,
        "seen-when",
        "date",
        "When did you last see it?",
        required=False,
        hint="For example, 27 3 2026",
    )
    _question(
        survey,
        p3,
        2,
        "seen-times",
        "number",
        "How many times have you seen violence in your area in the last 12 months?",
        required=False,
        min_value=1,
        max_value=365,
    )
    p4 = _page(survey, 4)
    _question(
        survey,
        p4,
        1,
        "one-thing",
        "short_text",
        "What one thing would make your area feel safer?",
        required=False,
        max_length=200,
    )
    p5 = _page(survey, 5, "About you")
    _question(
        survey,
        p5,
        1,
        "moved-here",
        "month",
        "When did you move to your area?",
        required=False,
        hint="For example, 9 2019",
    )
    _question(survey, p5, 2, "age", "age_band", "How old are you?", required=False)
    _question(
        survey,
        p5,
        3,
        "district",
        "postcode_district",
        "What is the postcode district where you live?",
        required=False,
    )
    return survey


SUPPORT = [
    ("Emergency services", "If you or someone else is in immediate danger.", "999", ""),
    (
        "Police non-emergency",
        "To report a crime or get advice when it is not an emergency.",
        "101",
        "",
    ),
    (
        "Victim Support",
        "Free, confidential support for anyone affected by crime, whether or not it was "
        "reported. Open 24 hours.",
        "08 08 16 89 111",
        "https://www.victimsupport.org.uk/",
    ),
    (
        "National Domestic Abuse Helpline",
        "Free, confidential support for anyone experiencing domestic abuse. Open 24 hours.",
        "0808 2000 247",
        "https://www.nationaldahelpline.org.uk/",
    ),
    (
        "Crimestoppers",
        "Tell them what you know about crime, 100% anonymously.",
        "0800 555 111",
        "https://crimestoppers-uk.org/",
    ),
    (
        "Samaritans",
        "Someone to talk to, day or night, about whatever you are going through.",
        "116 123",
        "https://www.samaritans.org/",
    ),
]


def _events(open_survey: Survey | None) -> int:
    now = timezone.localtime()
    soon = (now + timedelta(days=10)).date()
    later = (now + timedelta(days=24)).date()
    rows = [
        (
            "Serious violence: community conversation in Corby",
            datetime(2023, 10, 10, 18, 0, tzinfo=LONDON),
            datetime(2023, 10, 10, 20, 0, tzinfo=LONDON),
            "Corby Cube",
            "George Street, Corby",
        ),
        (
            "Serious violence: drop-in at Northampton Guildhall",
            datetime(2023, 10, 18, 11, 0, tzinfo=LONDON),
            datetime(2023, 10, 18, 15, 0, tzinfo=LONDON),
            "Northampton Guildhall",
            "St Giles' Square, Northampton",
        ),
        (
            "Feeling safe in Wellingborough: community drop-in",
            datetime.combine(soon, time(14), tzinfo=LONDON),
            datetime.combine(soon, time(17), tzinfo=LONDON),
            "Wellingborough Library",
            "Pebble Lane, Wellingborough",
        ),
        (
            "Young people's voices: an evening for 14 to 24 year olds",
            datetime.combine(later, time(18), tzinfo=LONDON),
            datetime.combine(later, time(20), tzinfo=LONDON),
            "Daventry Library",
            "North Street, Daventry",
        ),
    ]
    created = 0
    for title, starts, ends, venue, address in rows:
        _event, made = EngagementEvent.objects.get_or_create(
            title=title,
            defaults={
                "starts_at": starts,
                "ends_at": ends,
                "venue": venue,
                "address": address,
                "description": "Find out what the partnership is doing to prevent serious "
                "violence, tell us what you think, and meet the people doing the work.",
                "accessibility": "Step-free access, accessible toilet and a hearing loop. "
                "Tell us if you need a British Sign Language interpreter or anything else.",
                "how_to_book": "No need to book: just come along. Questions? Email "
                "nsvpp@example.org.",
                "survey": open_survey if starts > now else None,
            },
        )
        created += made
    return created


def seed(*, stdout: Any) -> None:
    """Create the demo surveys, synthetic responses, support contacts and events if missing."""
    if not Survey.objects.filter(slug=SLUG_2023).exists():
        survey = _survey_2023()
        count = _responses_2023(survey)
        stdout.write(f"Surveys: created the 2023 survey with {count} synthetic responses.")
    open_survey = Survey.objects.filter(slug=SLUG_OPEN).first()
    if open_survey is None:
        open_survey = _survey_open()
        stdout.write("Surveys: created the open survey “Feeling safe in your area”.")
    if not SupportContact.objects.exists():
        SupportContact.objects.bulk_create(
            SupportContact(name=n, description=d, phone=p, website=w, position=i)
            for i, (n, d, p, w) in enumerate(SUPPORT, start=1)
        )
    created = _events(open_survey)
    if created:
        stdout.write(f"Surveys: created {created} engagement events.")
