"""Sessions (core.sessions): the database store with fixed SQL keeps Django's behaviour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _only_session() -> Session:
    (session,) = Session.objects.all()
    return session


def test_signed_in_session_expiry_moves_forward_on_every_request(alice_client, settings):
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    response = alice_client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    left = _only_session().expire_date - timezone.now()
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE - 60) < left
    assert left <= timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_idle_session_past_its_expiry_signs_the_person_out(alice_client):
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = alice_client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_reads_and_updates_sessions_written_by_djangos_store():
    theirs = DjangoSessionStore()
    theirs["survey-1"] = {"a": {"affected": "yes"}, "done": [1]}
    theirs.save()
    ours = SessionStore(theirs.session_key)
    assert ours["survey-1"] == {"a": {"affected": "yes"}, "done": [1]}
    ours["survey-1"]["done"].append(2)
    ours.modified = True
    ours.save()
    assert DjangoSessionStore(theirs.session_key)["survey-1"]["done"] == [1, 2]
    assert Session.objects.count() == 1


def test_it_creates_a_new_key_for_an_unknown_or_expired_session():
    old = SessionStore()
    old["x"] = 1
    old.save()
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    again = SessionStore(old.session_key)
    assert again.load() == {}
    assert again.session_key is None
    assert SessionStore().exists(old.session_key)
    assert not SessionStore().exists("no-such-session-key")


def test_updating_a_session_deleted_meanwhile_fails_rather_than_recreating_it():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.all().delete()
    store["x"] = 2
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.exists()


def test_a_new_session_is_stored_once_with_its_expiry(settings):
    store = SessionStore()
    store["survey-1"] = {"t": 1.5}
    store.save()
    session = _only_session()
    assert session.session_key == store.session_key
    assert SessionStore(store.session_key)["survey-1"] == {"t": 1.5}
    left = session.expire_date - timezone.now()
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE - 60) < left


def test_creating_a_session_with_a_key_in_use_is_refused():
    first = SessionStore()
    first["x"] = 1
    first.save()
    clash = SessionStore(first.session_key)
    clash._session_cache = {"x": 2}
    with pytest.raises(CreateError):
        clash.save(must_create=True)
    assert SessionStore(first.session_key)["x"] == 1
