"""Settings for the NSVPP Portal, read from the environment.

Every variable is listed in README.md ("Configuration"). Development defaults are safe and
need no services: SQLite under var/, a filesystem Celery broker, console e-mail. With
DJANGO_DEBUG off (production) the portal refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG: bool = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY: str = env.str(
        "SECRET_KEY", default="dev-only-insecure-key-never-used-when-DJANGO_DEBUG-is-off"
    )
    ALLOWED_HOSTS: list[str] = env.list(
        "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
    )
else:
    # Production: no fallbacks. A missing secret is a configuration error, not a default.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    _hint = " For local development set DJANGO_DEBUG=true (make run does); see README.md."
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off." + _hint)
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_DEBUG is off." + _hint)

CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000")

# ---------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "import_export",
    # PostgreSQL triggers declared on models (the audit trail's append-only guard).
    "pgtrigger",
]
LOCAL_APPS = [
    "core",
    "partners",
    "incidents",
    "strategy",
    "surveys",
    "evidence",
    "assessments",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person is the actor of audit events written while the request runs.
    "core.audit_context.AuditActorMiddleware",
    # Sign-out once a session is SESSION_ABSOLUTE_HOURS old, however active it has been.
    "core.middleware.SessionAbsoluteLifetimeMiddleware",
    # Every view needs a signed-in user unless it is explicitly marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # People who need a second factor and have none see only the enrolment pages.
    "partners.second_factor.SecondFactorRequiredMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "nsvpp.urls"
WSGI_APPLICATION = "nsvpp.wsgi.application"
ASGI_APPLICATION = "nsvpp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
                "partners.context_processors.partnership",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'nsvpp.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes an import.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # The records' covering index INCLUDEs extra columns on PostgreSQL; SQLite keeps only its key
    # columns, which is all the small embedded database needs, so its warning is noise there.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "partners.User"

# A real, shared cache: allauth's rate limits and the survey rate limit must hold across
# processes, so local memory is never the default.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://nsvpp_cache")}

# ---------------------------------------------------------------------------
# Authentication (django-allauth): sign in by e-mail, no public sign-up
# ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
# Analysts and partner leads land on the evidence overview; everyone else on the dashboard.
LOGIN_REDIRECT_URL = "evidence:home"
LOGOUT_REDIRECT_URL = "core:home"

ACCOUNT_ADAPTER = "partners.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = None
# Password-reset links (Django's token generator, which allauth uses) work for one hour.
PASSWORD_RESET_TIMEOUT = 60 * 60
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
# Proxies we run in front of the portal, each appending to X-Forwarded-For. The client address
# for every rate limit (sign-in, surveys) is that many entries from the right of the header;
# 0 (no proxy) ignores the header and uses the connection's address. See core/client_ip.py.
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
INVITATION_VALID_DAYS: int = env.int("INVITATION_VALID_DAYS", default=7)

# Sessions end after a period of inactivity: each request pushes the expiry forward.
# Database sessions whose per-request queries skip the ORM (see core/sessions.py).
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# ...and, however active, after this many hours from sign-in (core.middleware).
SESSION_ABSOLUTE_HOURS: int = env.int("SESSION_ABSOLUTE_HOURS", default=12)
if SESSION_ABSOLUTE_HOURS < 1:
    raise ImproperlyConfigured("SESSION_ABSOLUTE_HOURS must be at least 1.")

# Second factor (django-allauth MFA): authenticator apps (TOTP) and recovery codes. Required for
# staff and for everyone with record-level access (partners.second_factor); allauth asks for the
# code at sign-in once a person has one. Passkeys (WebAuthn) are not enabled: they need
# JavaScript, and every page must work without it.
MFA_ADAPTER = "partners.adapters.PortalMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER: str = env.str("MFA_TOTP_ISSUER", default="NSVPP Portal")
# One 30-second step either side, for phones whose clocks drift; a code still works only once.
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODE_COUNT = 10
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_FORMS = {
    "authenticate": "partners.forms.SecondFactorAuthenticateForm",
    "reauthenticate": "partners.forms.SecondFactorReauthenticateForm",
    "activate_totp": "partners.forms.ActivateTOTPForm",
}

# ---------------------------------------------------------------------------
# E-mail: console by default, SMTP when EMAIL_URL is set (smtp+tls://user:pass@host:587)
# ---------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="NSVPP Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ---------------------------------------------------------------------------
# Celery: filesystem broker by default (a real worker, no services), Redis when configured
# ---------------------------------------------------------------------------
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="filesystem://")
# The longest task (an SNA edition) is stopped at its hard time limit; Redis redelivers an
# unacknowledged task after the visibility timeout, so that must be longer or a running edition
# would be handed to a second worker (acks_late).
SNA_TASK_SOFT_TIME_LIMIT: int = env.int("SNA_TASK_SOFT_TIME_LIMIT", default=25 * 60)
SNA_TASK_TIME_LIMIT: int = env.int("SNA_TASK_TIME_LIMIT", default=30 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "visibility_timeout": max(2 * 60 * 60, 2 * SNA_TASK_TIME_LIMIT)
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task whose worker died without acknowledging it is delivered again after this many
    # seconds. Longer than the longest task (an SNA edition, then an import): a live task
    # redelivered early would run twice. Tests that kill workers set it short on purpose.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT", default=max(2 * 60 * 60, 2 * SNA_TASK_TIME_LIMIT)
        )
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A pool process killed mid-task (the kernel's out-of-memory killer, kill -9) puts its message
# back on the queue instead of acknowledging it as failed: otherwise an import would be lost
# and its upload left "Importing" for ever. Tasks are idempotent, so running again is safe.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# ---------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# Static and uploaded files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = (
    "/media-not-served/"  # uploaded files are only ever streamed by permission-checked views
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
UPLOAD_MAX_BYTES: int = env.int("UPLOAD_MAX_MB", default=200) * 1024 * 1024

# ---------------------------------------------------------------------------
# Security
# ---------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# ---------------------------------------------------------------------------
# Logging: to stderr, no request details for public survey pages and no URL secrets
# (invitation, password-reset and confirmation tokens) in any line (see core.logging)
# ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "anonymise": {"()": "core.logging.DropPublicRequestDetails"},
        "redact_secrets": {"()": "core.logging.RedactSecrets"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["anonymise", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # WeasyPrint logs every rendering step at INFO (its default style sheets on import too).
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------
# Portal
# ---------------------------------------------------------------------------
# Where the real public files live for `make load-data` (geography, deprivation, police.uk).
SHARED_DATA_DIR: str = env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data"))
PHASE_BANNER: str = env.str("PHASE_BANNER", default="Beta")
ACCOUNT_FORMS = {
    "login": "partners.forms.LoginForm",
    "reset_password": "partners.forms.ResetPasswordForm",
    "reset_password_from_key": "partners.forms.ResetPasswordKeyForm",
    "change_password": "partners.forms.ChangePasswordForm",
    "reauthenticate": "partners.forms.ReauthenticateForm",
}
# Surveys: submissions per resident address per window (held only in the cache) and the fewest
# seconds between starting and submitting. The address comes from core.client_ip
# (TRUSTED_PROXY_COUNT).
SURVEY_RATE_LIMIT: int = env.int("SURVEY_RATE_LIMIT", default=20)
SURVEY_RATE_LIMIT_WINDOW_SECONDS: int = env.int("SURVEY_RATE_LIMIT_WINDOW_SECONDS", default=3600)
SURVEY_MIN_COMPLETION_SECONDS: int = env.int("SURVEY_MIN_COMPLETION_SECONDS", default=10)
# django-import-export (staff's small-file tool): strip a leading "=" from exported cells. The
# incidents resources also prefix "'" to cells starting with = + - @ (OWASP CSV injection).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
# Incident imports (PostgreSQL): the rows a check converted are kept for the import for this
# many days after the upload; a daily task drops older and unused ones (the import then reads
# the file again).
IMPORT_CHECKED_KEEP_DAYS: int = env.int("IMPORT_CHECKED_KEEP_DAYS", default=7)
CELERY_BEAT_SCHEDULE["incidents-checked-tables-clean"] = {
    "task": "incidents.importing.tasks.checked_tables_clean_task",
    "schedule": 24 * 60 * 60,
}
# Uploads whose check or import could not be queued (the broker was down) are queued again
# once it answers: beat sends this as soon as Redis is back.
CELERY_BEAT_SCHEDULE["incidents-uploads-queue-delayed"] = {
    "task": "incidents.importing.tasks.uploads_queue_delayed_task",
    "schedule": 60,
}
# Strategy: outcome measures with a saved query are recomputed from incident data every few
# hours (the task holds a cache lock, so overlapping runs do nothing).
CELERY_BEAT_SCHEDULE["strategy-measures-refresh"] = {
    "task": "strategy.tasks.measures_refresh_all_task",
    "schedule": env.int("MEASURES_REFRESH_SECONDS", default=6 * 60 * 60),
}

# ---------------------------------------------------------------------------
# Audit trail and retention (core.retention, incidents.retention, surveys.retention)
# ---------------------------------------------------------------------------
# Audit events are kept this long (default 7 years), then deleted by the daily retention job,
# the only path by which an audit event is ever deleted (core.services.audit_retention_purge).
AUDIT_RETENTION_DAYS: int = env.int("AUDIT_RETENTION_DAYS", default=7 * 365 + 2)
if AUDIT_RETENTION_DAYS < 365:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 365.")
# Records past their agreement's retention are deleted this many at a time, each batch in its
# own short transaction.
RETENTION_BATCH_SIZE: int = env.int("RETENTION_BATCH_SIZE", default=5000)
# A raw uploaded file (and its error report) is deleted this many days after its import ended
# (at once when withdrawn or refused); the records keep their row hashes.
UPLOAD_FILE_KEEP_DAYS: int = env.int("UPLOAD_FILE_KEEP_DAYS", default=30)
# Residents' contact details are deleted this many months after they gave them, unless the
# survey states a shorter or longer period (Survey.contact_keep_months).
SURVEY_CONTACT_KEEP_MONTHS: int = env.int("SURVEY_CONTACT_KEEP_MONTHS", default=12)
# Hour (Europe/London) at which the daily retention jobs run.
RETENTION_HOUR: int = env.int("RETENTION_HOUR", default=2)
# Each job holds a cache lock, so a second beat (or a slow run) never runs one twice at once.
CELERY_BEAT_SCHEDULE["core-retention"] = {
    "task": "core.tasks.retention_core_task",
    "schedule": crontab(hour=RETENTION_HOUR, minute=5),
}
CELERY_BEAT_SCHEDULE["incidents-retention"] = {
    "task": "incidents.tasks.retention_incidents_task",
    "schedule": crontab(hour=RETENTION_HOUR, minute=15),
}
CELERY_BEAT_SCHEDULE["surveys-retention"] = {
    "task": "surveys.tasks.retention_surveys_task",
    "schedule": crontab(hour=RETENTION_HOUR, minute=45),
}
# Evidence: one e-mail a day at most to each analyst who wants it, listing new exception alerts
# (rule breaches found when a dataset's aggregates were rebuilt).
CELERY_BEAT_SCHEDULE["evidence-alert-digests"] = {
    "task": "evidence.tasks.alert_digests_send_task",
    "schedule": env.int("EVIDENCE_DIGEST_SECONDS", default=60 * 60),
}
