"""Test settings: the real settings with debug-mode defaults and tasks run in-process.

DATABASE_URL / CACHE_URL / CELERY_BROKER_URL from the environment still apply, so CI runs the
same suite against PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "true")

from .settings import *  # noqa: E402,F403
from .settings import VAR_DIR  # noqa: E402

# Tasks run inline when queued (on commit), so tests see their effects without a worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="nsvpp-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ARTEFACTS_DIR = VAR_DIR / "artefacts"
os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
