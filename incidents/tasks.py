"""Celery tasks of the incidents app (autodiscovered by Celery from this module)."""

from incidents.importing import tasks as _import_tasks  # noqa: F401 - registers the import tasks
