from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import partnership_current, user_memberships, user_roles


def partnership(request: HttpRequest) -> dict[str, Any]:
    """The partnership and the signed-in person's memberships, loaded only if a template asks."""
    user = getattr(request, "user", None)
    return {
        "partnership": SimpleLazyObject(partnership_current),
        "my_memberships": SimpleLazyObject(lambda: user_memberships(user)),
        "my_roles": SimpleLazyObject(lambda: user_roles(user)),
    }
