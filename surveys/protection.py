"""Abuse protection for public survey submissions, without CAPTCHAs (they exclude people).

The per-address limit lives only in the cache (a shared database cache table or Redis, never a
model): the key is an HMAC of the address with the site's secret, so neither the cache nor the
database ever holds an IP address, and the entry expires with its window.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

from core.client_ip import client_ip


@dataclass(frozen=True)
class RateLimitStatus:
    allowed: bool
    retry_at: datetime
    retry_after_seconds: int


def client_address(request: HttpRequest) -> str:
    """The resident's address, by the rule sign-in uses too (``core.client_ip``)."""
    return client_ip(request)


def _key(request: HttpRequest, window_start: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), client_address(request).encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"survey-rate:{digest}:{window_start}"


def _window(now: float) -> tuple[int, int]:
    length = max(1, settings.SURVEY_RATE_LIMIT_WINDOW_SECONDS)
    start = int(now // length) * length
    return start, start + length


def _status(allowed: bool, window_end: int, now: float) -> RateLimitStatus:
    return RateLimitStatus(
        allowed=allowed,
        retry_at=datetime.fromtimestamp(window_end, tz=UTC),
        retry_after_seconds=max(1, int(window_end - now)),
    )


def rate_limit_check(request: HttpRequest) -> RateLimitStatus:
    """Whether this address may still submit in the current window (does not count)."""
    now = time.time()
    start, end = _window(now)
    used = cache.get(_key(request, start), 0)
    return _status(used < settings.SURVEY_RATE_LIMIT, end, now)


def rate_limit_hit(request: HttpRequest) -> RateLimitStatus:
    """Count one submission from this address; refused once the window's limit is used up."""
    now = time.time()
    start, end = _window(now)
    key = _key(request, start)
    timeout = end - start + 5
    # Count first and create the entry only when there is none: most addresses send one
    # response, and a create-then-count costs twice the cache round trips (with the database
    # cache, ten queries instead of six).
    try:
        used = cache.incr(key)
        if not isinstance(caches["default"], RedisCache):
            # Django's generic incr() re-sets the entry with the default timeout (5 minutes):
            # give it back the rest of its window (Redis's INCRBY keeps it).
            cache.touch(key, timeout=int(end - now) + 5)
    except ValueError:  # no entry yet for this address and window
        if cache.add(key, 1, timeout=timeout):
            used = 1
        else:  # another request created it meanwhile
            try:
                used = cache.incr(key)
            except ValueError:  # and it expired already
                cache.set(key, 1, timeout=timeout)
                used = 1
    return _status(used <= settings.SURVEY_RATE_LIMIT, end, now)


def completed_too_fast(started: float | None) -> bool:
    """True when the answers came back quicker than a person could read the questions."""
    if started is None:
        return True
    return time.time() - started < settings.SURVEY_MIN_COMPLETION_SECONDS
