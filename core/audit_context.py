"""Who is acting: the person whose request is being handled, for audit events written by model
signals and services that are not handed an actor (core.services.audit_record).

A context variable, set by ``AuditActorMiddleware`` for the length of a request; tasks and
management commands run with none ("system"), or inside ``audit_actor(user)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

_request: ContextVar[Any] = ContextVar("audit_request", default=None)
_actor: ContextVar[Any] = ContextVar("audit_actor", default=None)


def current_actor() -> Any | None:
    """The person acting now, or None (the system)."""
    actor = _actor.get()
    if actor is not None:
        return actor
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if getattr(user, "is_authenticated", False) else None


@contextmanager
def audit_actor(user: Any) -> Iterator[None]:
    """Attribute audit events written inside the block to ``user`` (e.g. a command)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


class AuditActorMiddleware:
    """Makes the request's user the actor of audit events written while it is handled."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
