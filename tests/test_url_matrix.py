"""The role × URL matrix: what each persona gets from every URL pattern, in one table.

``MATRIX`` below has one row per URL name in the URLconf. Each row gives the status every persona
gets from a GET (or a POST with an empty form, for POST-only views) of that URL, built with real
ids and slugs from ``world`` (a dataset owned by the analyst's organisation whose agreement names
the convenor, a record, an upload, a survey with answers, an action with evidence …).

Adding a URL without a row fails ``test_every_url_has_a_row`` and names the URL. To add a row:
copy a similar one, give ``args`` (a function of the world returning the URL's kwargs) and the
status for each persona. ``everyone(…)`` and ``only(…)`` keep rows short.

Admin URLs: a handful of representative rows (``ADMIN_ROWS``) plus one rule for every other
admin pattern (``test_every_admin_url_follows_the_admin_rule``): people who are not staff are
sent to the admin's sign-in, and staff never get a server error. Listing all ~200 admin patterns
(six per registered model) would add nothing the rule does not check.

This replaces none of the per-view refusal tests; it makes sure no URL is forgotten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Upload
from partners.services import invitation_create
from strategy.models import AnnualReview, Consultation, Strategy
from surveys.models import Answer
from tests.conftest import _client_for
from tests.incidents.factories import AgreementFactory, DatasetFactory, RecordFactory
from tests.strategy.factories import (
    ActionFactory,
    OutcomeMeasureFactory,
    ProgressUpdateFactory,
    ThemeFactory,
)
from tests.surveys.factories import SurveyFactory, full_survey
from tests.surveys.helpers import answer_all, page_url, submit_check
from tests.urlwalk import walk

PERSONAS = (
    "anonymous",
    "nobody",  # signed in, no membership
    "viewer",  # viewer at the owning organisation (A)
    "lead",  # partner lead at A
    "analyst",  # analyst at A (alice)
    "other_analyst",  # analyst at B, which the agreement does not name (bob)
    "convenor_analyst",  # analyst at the convenor, which the agreement names
    "staff",  # is_staff, "Partnership administrators", partner lead at the convenor
    "superuser",  # is_superuser, no membership
)
SIGNED_IN = PERSONAS[1:]

LOGIN = "login"  # 302 to the portal's sign-in page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's sign-in page
REDIRECT = "redirect"  # 302 anywhere else


def everyone(status: int | str, *, anonymous: int | str = LOGIN, **overrides: int | str):
    """Every signed-in persona gets ``status``; anonymous gets ``anonymous``; then overrides."""
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, status), **overrides}


def only(allowed: str, ok: int | str = 200, refused: int | str = 403, **overrides: int | str):
    """``ok`` for the personas named in ``allowed`` (space-separated), ``refused`` for the
    other signed-in ones, sign-in for anonymous; then overrides."""
    names = allowed.split()
    unknown = set(names) - set(SIGNED_IN)
    assert not unknown, unknown
    row = {p: (ok if p in names else refused) for p in SIGNED_IN}
    return {"anonymous": LOGIN, **row, **overrides}


@dataclass
class Row:
    expect: dict[str, int | str]
    args: Callable[[Any], dict[str, Any]] = field(default=lambda w: {})
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)


# Who holds record-level access to the world's dataset: A's members and the named convenor's
# analysts. Who may upload to it: A's analysts.
RECORD_LEVEL = "viewer lead analyst convenor_analyst"
MEMBERS = "viewer lead analyst other_analyst convenor_analyst staff"
ANALYSTS = "analyst other_analyst convenor_analyst"


def _upload_row(ok: int | str = 200) -> dict[str, int | str]:
    # 404 where the dataset's records are hidden; 403 where they are seen but uploads are not.
    return only(
        "analyst",
        ok=ok,
        refused=404,
        viewer=403,
        lead=403,
        convenor_analyst=403,
    )


MATRIX: dict[str, Row] = {
    # -- public pages --------------------------------------------------------------------------
    "core:home": Row(everyone(200, anonymous=200)),
    "core:accessibility": Row(everyone(200, anonymous=200)),
    "core:privacy": Row(everyone(200, anonymous=200)),
    "core:healthz": Row(everyone(200, anonymous=200)),
    "core:dashboard": Row(everyone(200)),
    "partners:who_we_are": Row(everyone(200, anonymous=200)),
    "partners:directory": Row(everyone(200)),
    "partners:accept_invitation": Row(
        everyone(200, anonymous=200), args=lambda w: {"token": w.invitation_token}
    ),
    # -- allauth -----------------------------------------------------------------------------
    "account_login": Row(everyone(REDIRECT, anonymous=200)),
    "account_logout": Row(everyone(200, anonymous=REDIRECT)),
    "account_inactive": Row(everyone(200, anonymous=200)),
    "account_signup": Row(everyone(REDIRECT, anonymous=200)),
    "account_reauthenticate": Row(everyone(200)),
    "account_email": Row(everyone(200)),
    "account_email_verification_sent": Row(everyone(200, anonymous=200)),
    "account_change_password": Row(everyone(200)),
    "account_set_password": Row(everyone(REDIRECT)),
    "account_reset_password": Row(everyone(200, anonymous=200)),
    "account_confirm_login_code": Row(everyone(REDIRECT)),
    "account_confirm_email": Row(
        everyone(200, anonymous=200), args=lambda w: {"key": "not-a-real-key"}
    ),
    "account_reset_password_from_key_done": Row(everyone(200, anonymous=200)),
    "account_reset_password_from_key": Row(
        everyone(200, anonymous=200), args=lambda w: {"uidb36": "zz", "key": "not-a-real-key"}
    ),
    # allauth's second-factor pages. The personas already have an authenticator app (the suite's
    # sign-in helper enrols them) but no recovery codes: so activating again and the
    # password-confirmed pages redirect, and the recovery-code pages are 404 (allauth's answer).
    "mfa_index": Row(everyone(200)),
    "mfa_authenticate": Row(everyone(REDIRECT)),
    "mfa_reauthenticate": Row(everyone(200)),
    "mfa_activate_totp": Row(everyone(REDIRECT)),
    "mfa_deactivate_totp": Row(everyone(REDIRECT)),
    "mfa_view_recovery_codes": Row(everyone(404)),
    "mfa_generate_recovery_codes": Row(everyone(REDIRECT)),
    "mfa_download_recovery_codes": Row(everyone(404)),
    "account_reset_password_done": Row(everyone(200, anonymous=200)),
    # -- incidents: datasets and records ------------------------------------------------------
    # Evidence: aggregates for partners' people and staff (disclosed unless record level).
    "evidence:overview": Row(everyone(200, nobody=403)),
    "evidence:home": Row(everyone(REDIRECT)),  # to the overview or the dashboard
    "evidence:trend": Row(everyone(200, nobody=403)),
    "evidence:where": Row(everyone(200, nobody=403)),
    "evidence:when": Row(everyone(200, nobody=403)),
    "evidence:who": Row(everyone(200, nobody=403)),
    "evidence:deprivation": Row(everyone(200, nobody=403)),
    "evidence:police_health": Row(everyone(200, nobody=403)),
    "evidence:data_quality": Row(everyone(200, nobody=403)),
    "evidence:alerts": Row(everyone(200, nobody=403)),
    "evidence:methodology": Row(everyone(200, nobody=403)),
    "evidence:table_csv": Row(
        everyone(200, nobody=403), args=lambda w: {"page": "overview", "table": "priorities"}
    ),
    # SNA editions: run by staff with the edition permission (Partnership administrators); a
    # restricted edition's files open for the organisations it names (A) and those staff; 404
    # to everyone else so an edition's existence is not confirmed.
    "assessments:list": Row(everyone(200)),
    "assessments:new": Row(only("staff superuser")),
    "assessments:edition": Row(only("staff superuser"), args=lambda w: {"pk": w.edition.pk}),
    "assessments:edit": Row(only("staff superuser"), args=lambda w: {"pk": w.edition.pk}),
    "assessments:status": Row(only("staff superuser"), args=lambda w: {"pk": w.edition.pk}),
    "assessments:publish": Row(only("staff superuser"), args=lambda w: {"pk": w.edition.pk}),
    "assessments:recommendation_new": Row(
        only("staff superuser"), args=lambda w: {"pk": w.edition.pk}
    ),
    "assessments:recommendation_edit": Row(
        only("staff superuser"), args=lambda w: {"pk": w.edition.pk, "rec_pk": w.recommendation.pk}
    ),
    "assessments:pdf": Row(
        everyone(404, analyst=200, lead=200, viewer=200, staff=200, superuser=200),
        args=lambda w: {"pk": w.edition.pk},
    ),
    "assessments:tables": Row(
        everyone(404, analyst=200, lead=200, viewer=200, staff=200, superuser=200),
        args=lambda w: {"pk": w.edition.pk},
    ),
    "assessments:web": Row(
        everyone(404, analyst=200, lead=200, viewer=200, staff=200, superuser=200),
        args=lambda w: {"pk": w.edition.pk},
    ),
    "assessments:pages": Row(
        everyone(404, analyst=200, lead=200, viewer=200, staff=200, superuser=200),
        args=lambda w: {"pk": w.edition.pk},
    ),
    "incidents:home": Row(everyone(200)),
    "incidents:records": Row(
        only(RECORD_LEVEL, refused=404), args=lambda w: {"slug": w.dataset.slug}
    ),
    "incidents:records_export": Row(
        only(RECORD_LEVEL, refused=404), args=lambda w: {"slug": w.dataset.slug}
    ),
    "incidents:record": Row(
        only(RECORD_LEVEL, refused=404),
        args=lambda w: {"slug": w.dataset.slug, "pk": w.record.pk},
    ),
    "incidents:aggregates": Row(everyone(200), args=lambda w: {"slug": w.dataset.slug}),
    # -- incidents: the audit search (audit-log readers) and transparency (partner leads) -----
    "incidents:audit": Row(only("staff superuser")),
    "incidents:audit_export": Row(only("staff superuser")),
    "incidents:transparency": Row(only("lead staff")),
    # -- incidents: uploads -------------------------------------------------------------------
    "incidents:upload_start": Row(everyone(200)),
    "incidents:upload_template_csv": Row(everyone(200)),
    "incidents:upload_template_xlsx": Row(everyone(200)),
    "incidents:upload_dictionary_csv": Row(everyone(200)),
    "incidents:upload_new": Row(_upload_row(), args=lambda w: {"slug": w.dataset.slug}),
    "incidents:upload_history": Row(_upload_row(), args=lambda w: {"slug": w.dataset.slug}),
    "incidents:upload_detail": Row(_upload_row(), args=lambda w: {"pk": w.upload.pk}),
    "incidents:upload_status": Row(_upload_row(), args=lambda w: {"pk": w.upload.pk}),
    "incidents:upload_confirm": Row(
        _upload_row(ok=REDIRECT), args=lambda w: {"pk": w.upload.pk}, method="post"
    ),
    "incidents:upload_error_report": Row(_upload_row(), args=lambda w: {"pk": w.upload.pk}),
    "incidents:upload_withdraw": Row(_upload_row(), args=lambda w: {"pk": w.upload.pk}),
    # -- strategy -----------------------------------------------------------------------------
    "strategy:public": Row(everyone(200, anonymous=200)),
    "strategy:plan": Row(everyone(200)),
    "strategy:plan_export": Row(everyone(200), args=lambda w: {"file_format": "csv"}),
    "strategy:action": Row(everyone(200), args=lambda w: {"pk": w.action.pk}),
    # A's partner lead, and staff allowed to change actions.
    "strategy:action_update": Row(only("lead staff superuser"), args=lambda w: {"pk": w.action.pk}),
    # A's members (the lead organisation), the convenor's members, staff who read updates.
    "strategy:update_evidence": Row(
        only("viewer lead analyst convenor_analyst staff superuser"),
        args=lambda w: {"pk": w.update.pk},
    ),
    "strategy:measures": Row(everyone(200)),
    "strategy:measure": Row(everyone(200), args=lambda w: {"slug": w.measure.slug}),
    "strategy:measure_refresh": Row(
        only("staff superuser", ok=REDIRECT), args=lambda w: {"slug": w.measure.slug}, method="post"
    ),
    "strategy:reviews": Row(everyone(200)),
    "strategy:review": Row(everyone(200), args=lambda w: {"pk": w.review.pk}),
    "strategy:consultations": Row(everyone(200)),
    "strategy:consultation": Row(everyone(200), args=lambda w: {"pk": w.consultation.pk}),
    # -- surveys: residents -------------------------------------------------------------------
    "surveys:index": Row(everyone(200, anonymous=200)),
    "surveys:events": Row(everyone(200, anonymous=200)),
    "surveys:start": Row(everyone(200, anonymous=200), args=lambda w: {"slug": w.survey.slug}),
    "surveys:question": Row(
        everyone(200, anonymous=200), args=lambda w: {"slug": w.survey.slug, "position": 1}
    ),
    # This survey does not ask for contact details, so it has no contact page.
    "surveys:contact": Row(everyone(404, anonymous=404), args=lambda w: {"slug": w.survey.slug}),
    "surveys:check": Row(
        everyone(REDIRECT, anonymous=REDIRECT), args=lambda w: {"slug": w.survey.slug}
    ),
    "surveys:confirmation": Row(
        everyone(REDIRECT, anonymous=REDIRECT), args=lambda w: {"slug": w.survey.slug}
    ),
    # -- surveys: results (members: aggregates; analysts and response readers: free text) -----
    "surveys:results_index": Row(only(MEMBERS + " superuser")),
    "surveys:results": Row(only(MEMBERS + " superuser"), args=lambda w: {"slug": w.survey.slug}),
    "surveys:crosstab": Row(only(MEMBERS + " superuser"), args=lambda w: {"slug": w.survey.slug}),
    "surveys:free_text": Row(
        only(ANALYSTS + " staff superuser"), args=lambda w: {"slug": w.survey.slug}
    ),
    "surveys:tag_answer": Row(
        only(ANALYSTS + " staff superuser"),
        args=lambda w: {"slug": w.survey.slug, "answer_id": w.answer.pk},
    ),
    # Response-level export: analysts and staff allowed to read responses only.
    "surveys:export": Row(
        only(ANALYSTS + " staff superuser"),
        args=lambda w: {"slug": w.survey.slug},
        method="post",
        data={"kind": "responses", "format": "csv"},
    ),
    # Staff who build surveys preview a draft.
    "surveys:preview": Row(
        only("staff superuser", ok=REDIRECT), args=lambda w: {"pk": w.draft_survey.pk}
    ),
    # Last: generating queues the edition, which then is no longer ready to download.
    "assessments:generate": Row(
        only("staff superuser", ok=REDIRECT), args=lambda w: {"pk": w.edition.pk}, method="post"
    ),
}

# Representative admin pages; every other admin pattern follows the rule in the docstring.
# Anonymous visitors meet the portal's sign-in (every view needs one); signed-in people who are
# not staff meet the admin's.
NOT_STAFF = {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN[:-2], ADMIN_LOGIN)}
ADMIN_ROWS: dict[str, Row] = {
    # The admin's site-wide pages send anonymous visitors to the admin's own sign-in.
    "admin:index": Row({**NOT_STAFF, "anonymous": ADMIN_LOGIN, "staff": 200, "superuser": 200}),
    "admin:partners_user_changelist": Row({**NOT_STAFF, "staff": 200, "superuser": 200}),
    # A partner's account: staff may change it (not its rights); the superuser's: only superusers.
    "admin:partners_user_change": Row(
        {**NOT_STAFF, "staff": 200, "superuser": 200}, args=lambda w: {"object_id": w.viewer.pk}
    ),
    # Only a superuser sets someone's password (staff could otherwise sign in as a partner).
    "admin:auth_user_password_change": Row(
        {**NOT_STAFF, "staff": 403, "superuser": 200}, args=lambda w: {"id": w.viewer.pk}
    ),
    "admin:auth_group_changelist": Row({**NOT_STAFF, "staff": 403, "superuser": 200}),
    # Record-level models: listed (scoped) to those with view permission; an object outside
    # the person's record-level access "does not exist" (redirect to the admin index).
    "admin:incidents_incidentrecord_changelist": Row({**NOT_STAFF, "staff": 403, "superuser": 200}),
    "admin:incidents_incidentrecord_change": Row(
        {**NOT_STAFF, "staff": 403, "superuser": REDIRECT},
        args=lambda w: {"object_id": w.record.pk},
    ),
    "admin:incidents_upload_change": Row(
        {**NOT_STAFF, "staff": 403, "superuser": REDIRECT},
        args=lambda w: {"object_id": w.upload.pk},
    ),
    "admin:incidents_dataset_changelist": Row({**NOT_STAFF, "staff": 403, "superuser": 200}),
    "admin:strategy_action_changelist": Row({**NOT_STAFF, "staff": 200, "superuser": 200}),
    "admin:surveys_survey_changelist": Row({**NOT_STAFF, "staff": 200, "superuser": 200}),
    "admin:core_auditevent_changelist": Row({**NOT_STAFF, "staff": 200, "superuser": 200}),
}


# The admin's own sign-in and sign-out: allauth's rules (test_url_access.py) cover them.
ADMIN_SIGN_IN_OUT = {"admin:login", "admin:logout"}


def _is_admin(name: str) -> bool:
    return name.startswith("admin:") or name.startswith("(unnamed) /admin/")


@dataclass
class World:
    dataset: Any
    record: Any
    upload: Any
    survey: Any
    draft_survey: Any
    answer: Any
    action: Any
    update: Any
    measure: Any
    review: Any
    consultation: Any
    invitation_token: str
    viewer: Any
    superuser: Any
    edition: Any = None
    recommendation: Any = None


@pytest.fixture
def world(
    settings, partnership, org_a, org_b, opfcc, alice, bob, lead, viewer, staff, superuser,
    convenor_analyst, nobody,
) -> World:  # fmt: skip
    settings.SURVEY_MIN_COMPLETION_SECONDS = 0
    dataset = DatasetFactory(owner=org_a, slug="police-data", name="Police recorded crime")
    AgreementFactory(dataset=dataset, record_level_organisations=[opfcc])
    record = RecordFactory(dataset=dataset)
    upload = Upload.objects.create(
        dataset=dataset,
        uploaded_by=alice,
        original_filename="extract.csv",
        file=ContentFile(b"reference\r\nx1\r\n", name="extract.csv"),
        sha256="0" * 64,
        status=Upload.Status.INVALID,
        rows_total=1,
        rows_invalid=1,
        error_report=ContentFile(b"row,column,problem\r\n2,lsoa,unknown\r\n", name="errors.csv"),
        finished_at=timezone.now(),
    )
    survey = full_survey(slug="matrix-survey")
    resident = Client()
    answer_all(resident, survey)
    resident.post(page_url(survey, 5), {"safety": "unsafe", "word": "frightened"})
    assert submit_check(resident, survey).status_code == 302
    answer = Answer.objects.exclude(text="").first()
    assert answer is not None
    draft = SurveyFactory(slug="draft-survey", is_published=False)
    theme = ThemeFactory(strategy__status=Strategy.Status.PUBLISHED)
    action = ActionFactory(theme=theme, lead_organisation=org_a)
    update = ProgressUpdateFactory(action=action)
    update.evidence.save("evidence.pdf", ContentFile(b"%PDF-1.4 evidence"), save=False)
    update.evidence_name = "evidence.pdf"
    update.save()
    measure = OutcomeMeasureFactory(slug="knife-crime")
    review = AnnualReview.objects.create(
        strategy=theme.strategy,
        review_date=dt.date(2024, 12, 12),
        findings="On track.",
        changes_made="None.",
        next_review_due=dt.date(2025, 12, 12),
    )
    consultation = Consultation.objects.create(
        strategy=theme.strategy,
        consultee="Residents",
        consultee_kind="community",
        consulted_on=dt.date(2023, 10, 2),
        method="Open meeting",
        response="Supported the priorities.",
    )
    _, token = invitation_create(
        email="new.person@police.example.org", organisation=org_a, role="viewer", invited_by=staff
    )
    # A ready restricted SNA edition shared with the owning organisation (A), with its files.
    from assessments.models import Audience, Edition, Recommendation
    from tests.assessments.conftest import make_edition, write_files

    edition = write_files(
        make_edition(
            audience=Audience.RESTRICTED,
            status=Edition.Status.READY,
            dataset=dataset,
            shared_with=[org_a],
        )
    )
    recommendation = Recommendation.objects.create(
        edition=edition,
        chapter=Recommendation._meta.get_field("chapter").choices[0][0],
        text="Share ISTV data monthly.",
    )
    return World(
        edition=edition,
        recommendation=recommendation,
        dataset=dataset,
        record=record,
        upload=upload,
        survey=survey,
        draft_survey=draft,
        answer=answer,
        action=action,
        update=update,
        measure=measure,
        review=review,
        consultation=consultation,
        invitation_token=token,
        viewer=viewer,
        superuser=superuser,
    )


def _client(request: pytest.FixtureRequest, persona: str) -> Client:
    if persona == "anonymous":
        return Client()
    users = {
        "nobody": "nobody",
        "viewer": "viewer",
        "lead": "lead",
        "analyst": "alice",
        "other_analyst": "bob",
        "convenor_analyst": "convenor_analyst",
        "staff": "staff",
        "superuser": "superuser",
    }
    # The suite's own sign-in helper, so that whatever it adds (a second factor) applies here.
    return _client_for(request.getfixturevalue(users[persona]))


def _outcome(response: Any) -> int | str:
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        if location.startswith(reverse("account_login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return REDIRECT
    return response.status_code


def test_every_url_has_a_row():
    rows = MATRIX | ADMIN_ROWS
    names = {u.name for u in walk()}
    missing = sorted(name for name in names if not _is_admin(name) and name not in rows)
    assert not missing, (
        "These URL names have no row in MATRIX (tests/test_url_matrix.py); add one saying what "
        "each persona gets:\n  " + "\n  ".join(missing)
    )
    stale = sorted(set(rows) - names)
    assert not stale, f"Rows for URL names that no longer exist: {stale}"
    for name, row in rows.items():
        assert set(row.expect) == set(PERSONAS), f"{name}: a status for each of {PERSONAS}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_matrix_says(request, world, persona):
    client = _client(request, persona)
    wrong = []
    for name, row in (MATRIX | ADMIN_ROWS).items():
        url = reverse(name, kwargs=row.args(world))
        response = getattr(client, row.method)(url, row.data)
        got, expected = _outcome(response), row.expect[persona]
        if got != expected:
            wrong.append(f"{name} {row.method.upper()} {url}: expected {expected}, got {got}")
    assert not wrong, f"As {persona}:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_admin_url_follows_the_admin_rule(request, world, persona):
    client = _client(request, persona)
    wrong = []
    for url in walk():
        if not _is_admin(url.name) or url.name in ADMIN_ROWS or url.name in ADMIN_SIGN_IN_OUT:
            continue
        response = client.get(url.path)
        got = _outcome(response)
        if persona in ("staff", "superuser"):
            if response.status_code >= 500:
                wrong.append(f"{url.name} {url.path}: {response.status_code}")
        elif got != NOT_STAFF[persona] and not (persona == "anonymous" and got == ADMIN_LOGIN):
            wrong.append(f"{url.name} {url.path}: expected {NOT_STAFF[persona]}, got {got}")
    assert not wrong, f"As {persona}:\n  " + "\n  ".join(wrong)
