"""Celery tasks of the import pipeline (registered through incidents/tasks.py)."""
