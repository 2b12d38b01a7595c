"""The per-address survey limit lasts its whole window on every cache backend the portal uses."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import RequestFactory

from surveys import protection
from surveys.protection import _key, _window, rate_limit_hit

pytestmark = pytest.mark.django_db


def seconds_left(key: str) -> float:
    backend = caches["default"]
    full_key = cache.make_key(key)
    if isinstance(backend, RedisCache):
        return float(backend._cache.get_client(full_key).ttl(full_key))
    assert isinstance(backend, DatabaseCache), type(backend)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT expires FROM {backend._table} WHERE cache_key = %s",  # noqa: S608
            [full_key],
        )
        expires = cursor.fetchone()[0]
    return expires.timestamp() - time.time()


def test_repeated_submissions_keep_the_windows_expiry(settings, monkeypatch):
    settings.SURVEY_RATE_LIMIT_WINDOW_SECONDS = 3600
    settings.SURVEY_RATE_LIMIT = 5
    start, _end = _window(time.time())
    # Ten seconds into a window, so nearly all of its hour is left.
    monkeypatch.setattr(protection, "time", SimpleNamespace(time=lambda: start + 10.0))
    request = RequestFactory().post("/surveys/x/", REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert rate_limit_hit(request).allowed
    # Django's generic incr() would have cut the entry to its 5-minute default timeout, letting
    # the address start again long before its window ends.
    assert seconds_left(_key(request, start)) > 3000
