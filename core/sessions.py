"""Database sessions with the per-request reads and writes as fixed SQL statements.

Same table, same signed encoding, same expiry rules as django.contrib.sessions.backends.db (this
is a subclass): loading, checking a new key, creating and updating a session skip the ORM. They
run on nearly every request with SESSION_SAVE_EVERY_REQUEST, and building their SQL cost about
0.5 ms per request, more than running it (a survey page was ~4 ms in all). Deleting sessions and
clearing expired ones stay with Django's code.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _sql(self, template: str, using: str) -> str:
        quote = connections[using].ops.quote_name
        meta = self.model._meta
        return template.format(
            table=quote(meta.db_table),
            key=quote(meta.get_field("session_key").column),
            data=quote(meta.get_field("session_data").column),
            expires=quote(meta.get_field("expire_date").column),
        )

    def _get_session_from_db(self) -> Any:
        using = router.db_for_read(self.model)
        connection = connections[using]
        sql = self._sql("SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s", using)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])

    def exists(self, session_key: str) -> bool:
        using = router.db_for_read(self.model)
        with connections[using].cursor() as cursor:
            sql = self._sql("SELECT 1 FROM {table} WHERE {key} = %s", using)
            cursor.execute(sql, [session_key])
            return cursor.fetchone() is not None

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()  # a new key, then save(must_create=True)
            return
        data = self._get_session(no_load=must_create)
        using = router.db_for_write(self.model)
        connection = connections[using]
        values = [
            self.encode(data),
            connection.ops.adapt_datetimefield_value(self.get_expiry_date()),
            self.session_key,
        ]
        # One statement each, atomic on its own (Django's version wraps a model save in a
        # transaction: two more round trips).
        if must_create:
            sql = "INSERT INTO {table} ({data}, {expires}, {key}) VALUES (%s, %s, %s)"
            # Inside a transaction, a savepoint keeps it usable if the key is taken.
            guard = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
            try:
                with guard, connection.cursor() as cursor:
                    cursor.execute(self._sql(sql, using), values)
            except IntegrityError:
                raise CreateError from None
            return
        sql = "UPDATE {table} SET {data} = %s, {expires} = %s WHERE {key} = %s"
        with connection.cursor() as cursor:
            cursor.execute(self._sql(sql, using), values)
            updated = cursor.rowcount
        if updated != 1:
            raise UpdateError
