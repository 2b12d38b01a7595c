import logging
import re
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

# Residents answer surveys anonymously: nothing identifying them (IP address, user agent,
# the request object) may reach a log line for these paths.
ANONYMOUS_PATH_PREFIXES = ("/surveys/",)


class DropPublicRequestDetails(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", "") or ""
        message = record.getMessage() if record.args else str(record.msg)
        if path.startswith(ANONYMOUS_PATH_PREFIXES) or any(
            f" {prefix}" in message for prefix in ANONYMOUS_PATH_PREFIXES
        ):
            record.request = None
            record.args = ()
            record.msg = "request to an anonymous survey page (details withheld)"
        return True


# Secrets that travel in URLs: an invitation link, allauth's password-reset and e-mail
# confirmation keys, and tokens or codes in a query string. They must never reach a log line
# (gunicorn's access log, runserver's, Django's request warnings): a log reader could use them.
REDACTED = "[redacted]"
_SECRET_IN_URL = [
    re.compile(r"(/invitations/)[^/\s?\"']+"),
    re.compile(r"(/password/reset/key/)(?!done/)[^/\s?\"']+"),
    re.compile(r"(/confirm-email/)[^/\s?\"']+"),
    re.compile(r"([?&;](?:token|key|code|uid|uidb36|signature|secret)=)[^&;\s\"']+", re.IGNORECASE),
]


def redact_secrets(text: str) -> str:
    """The text with every URL secret (see ``_SECRET_IN_URL``) replaced by ``[redacted]``."""
    for pattern in _SECRET_IN_URL:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a log record's message with URL secrets redacted (runserver's request lines,
    "Not Found: /invitations/…" warnings, anything else that quotes a URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        request = getattr(record, "request", None)
        if request is not None and redact_secrets(getattr(request, "path", "")) != getattr(
            request, "path", ""
        ):
            # The handler may print the request (path, GET, META): drop it rather than leak.
            record.request = None
        return True


class GunicornAccessLogger(GunicornLogger):
    """gunicorn's logger with URL secrets redacted from every access-log atom (request line,
    path, query, Referer and any header or environ atom a format may name)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # "Error handling request /invitations/…" and the like.
        self.error_log.addFilter(RedactSecrets())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact_secrets(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
