from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:  # noqa: ARG001
    return {"PHASE_BANNER": settings.PHASE_BANNER}
