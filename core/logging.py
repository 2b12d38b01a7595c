import logging

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
