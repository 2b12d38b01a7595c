"""Small reads that run on nearly every page, kept cheap: one place for them.

- ``reverse_cached``: ``reverse()`` remembered per process (a URL name and its arguments give the
  same path for a deployment's script prefix); forgotten when tests change the URLconf.
- ``row_version``: a row's id and ``updated_at`` as one fixed SQL statement, for per-process
  caches that must notice a staff edit on the next request (building the ORM query cost more than
  running it).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.db import connection
from django.db.models import Model
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse


@lru_cache(maxsize=4096)
def _reversed(prefix: str, name: str, args: tuple[Any, ...]) -> str:
    return reverse(name, args=args)


def reverse_cached(name: str, *args: Any) -> str:
    """``reverse(name, args=args)``, kept per process and script prefix."""
    return _reversed(get_script_prefix(), name, args)


@receiver(setting_changed)
def _urls_changed(*, setting: str, **_kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()


@lru_cache(maxsize=64)
def _version_sql(model: type[Model], field: str | None) -> str:
    quote = connection.ops.quote_name
    meta = model._meta
    sql = "SELECT {id}, {updated} FROM {table}".format(  # noqa: S608 - names from the model
        id=quote(meta.pk.column),
        updated=quote(meta.get_field("updated_at").column),
        table=quote(meta.db_table),
    )
    if field is None:
        return f"{sql} ORDER BY {quote(meta.pk.column)} LIMIT 1"
    return f"{sql} WHERE {quote(meta.get_field(field).column)} = %s"


def row_version(model: type[Model], field: str | None = None, value: Any = None) -> tuple | None:
    """(id, updated_at) of the row whose ``field`` is ``value`` (or of the first row), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(model, field), [] if field is None else [value])
        row = cursor.fetchone()
    return tuple(row) if row is not None else None
