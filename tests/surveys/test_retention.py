"""Residents' data that is not kept: contact details after the period the survey states, and
expired sessions (which hold unfinished answers)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from core.dates import months_add
from core.models import AuditEvent
from core.tasks import retention_core_task
from surveys.models import ContactRequest
from surveys.services import contact_request_create, contact_requests_retention
from surveys.tasks import RETENTION_LOCK, retention_surveys_task
from tests.surveys.factories import SurveyFactory, full_survey
from tests.surveys.helpers import answer_all

pytestmark = pytest.mark.django_db


def test_contact_details_are_deleted_after_the_period_the_survey_states():
    survey = SurveyFactory(asks_for_contact=True, contact_keep_months=6)
    request = contact_request_create(survey=survey, name="Ann", email="ann@example.org", phone="")
    assert "deleted after 6 months" in request.consent_text
    assert request.delete_on == months_add(timezone.localdate(), 6)

    assert contact_requests_retention(on=request.delete_on - dt.timedelta(days=1)) == 0
    assert ContactRequest.objects.filter(pk=request.pk).exists()
    assert contact_requests_retention(on=request.delete_on) == 1
    assert not ContactRequest.objects.filter(pk=request.pk).exists()
    (event,) = AuditEvent.objects.filter(action="retention.contact_details_deleted")
    assert event.detail["count"] == 1
    assert "ann" not in str(event.detail).lower()


def test_a_new_survey_takes_the_configured_default_period(settings):
    settings.SURVEY_CONTACT_KEEP_MONTHS = 3
    assert SurveyFactory().contact_keep_months == 3


def test_the_consent_page_states_the_period(anonymous):
    survey = full_survey()
    survey.asks_for_contact = True
    survey.contact_keep_months = 9
    survey.save()
    answer_all(anonymous, survey)
    response = anonymous.get(reverse("surveys:contact", args=[survey.slug]))
    assert response.status_code == 200
    assert "We delete them after 9 months." in response.content.decode()


def test_the_surveys_task_is_locked():
    cache.add(RETENTION_LOCK, "other-run", timeout=60)
    assert retention_surveys_task.apply().get() == "already running"
    cache.delete(RETENTION_LOCK)
    assert retention_surveys_task.apply().get() == "contact details 0"


def test_the_core_task_deletes_expired_sessions_with_their_unfinished_answers():
    from django.contrib.sessions.backends.db import SessionStore

    expired = SessionStore()
    expired["survey-progress-1"] = {"answers": {"q1": "unfinished"}}
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - dt.timedelta(minutes=1)
    )
    live = SessionStore()
    live.create()

    result = retention_core_task.apply().get()

    assert result.endswith("sessions 1")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
