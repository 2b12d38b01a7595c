"""gunicorn settings for the web container (Dockerfile, docker-compose.yml): config only.

The access log goes to stdout without URL secrets (invitation and password-reset tokens are
replaced by ``[redacted]``; see ``core.logging.GunicornAccessLogger``) and without the client's
address or user agent.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
logger_class = "core.logging.GunicornAccessLogger"
