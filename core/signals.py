"""Receivers for sign-in: the session remembers when it began (core.middleware)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import SIGNED_IN_AT


@receiver(user_logged_in, dispatch_uid="core.session_signed_in_at")
def session_mark_signed_in_at(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Start the session's absolute lifetime at sign-in."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())
