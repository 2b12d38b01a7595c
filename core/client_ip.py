"""The client's address, by one rule for every rate limit (sign-in and surveys alike).

Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the address they received the request
from to ``X-Forwarded-For``, the client is the entry that many hops from the right: the
right-most entries were written by proxies we run, everything to their left was sent by the
client and may be forged. With no trusted proxy (the default) the header is ignored and
``REMOTE_ADDR`` is the address. allauth applies the same rule (``ALLAUTH_TRUSTED_PROXY_COUNT``
is set from the same setting, and the account adapter asks this module).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:51234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``TRUSTED_PROXY_COUNT`` hops from the right of X-Forwarded-For,
    or ``REMOTE_ADDR`` when no proxy is trusted (or the header is missing or unreadable)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop]
        if len(hops) >= count:
            address = _clean(hops[-count])
            if address is not None:
                return address
        elif hops:
            # Fewer entries than trusted proxies: the request skipped one of ours. The left-most
            # entry is still the earliest address a proxy of ours saw.
            address = _clean(hops[0])
            if address is not None:
                return address
    return _clean(remote) or remote
