import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

# No third-party scripts, fonts or trackers anywhere: everything comes from this site.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        return response


# The time of sign-in, as seconds since the epoch, kept in the session (see core.signals).
SIGNED_IN_AT = "signed_in_at"


class SessionAbsoluteLifetimeMiddleware:
    """Sign a person out once their session is SESSION_ABSOLUTE_HOURS old.

    The idle timeout (SESSION_COOKIE_AGE, pushed forward by every request) alone would let a
    session that is used every few minutes live for ever. A signed-in session without a sign-in
    time (one begun before this rule) counts as expired. No query: the session is loaded anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            limit = settings.SESSION_ABSOLUTE_HOURS * 60 * 60
            if not isinstance(started, int | float) or time.time() - started > limit:
                # logout() flushes the session and makes request.user anonymous, so the
                # login-required middleware sends the person to sign in again.
                logout(request)
        return self.get_response(request)
