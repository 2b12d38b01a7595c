"""A lock in the shared cache so that a periodic job never runs twice at once (two beat
processes, or a slow run overlapping the next). It expires on its own if a worker dies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache


@contextmanager
def cache_lock(name: str, *, timeout: int) -> Iterator[bool]:
    """Yield True while holding the lock ``name``; False (and run nothing) when already held."""
    token = uuid.uuid4().hex
    if not cache.add(name, token, timeout=timeout):
        yield False
        return
    try:
        yield True
    finally:
        if cache.get(name) == token:
            cache.delete(name)
