"""Backup and restore of a PostgreSQL deployment: a custom-format dump, an archive of MEDIA_ROOT and
a manifest of row counts per table, all three taken from one consistent moment.

The row counts and the dump read the same exported snapshot (``pg_export_snapshot`` then
``pg_dump --snapshot``), so the manifest describes exactly the rows in the dump even while the
portal keeps writing. Restoring refuses a database that already has tables, then checks every
table's count against the manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from django.conf import settings
from django.utils import timezone

DUMP_NAME = "database.dump"
MEDIA_NAME = "media.tar.gz"
MANIFEST_NAME = "manifest.json"


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where a database is, as the PostgreSQL client tools and psycopg2 need it."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, database: dict[str, Any], name: str | None = None) -> Target:
        if database["ENGINE"] != "django.db.backends.postgresql":
            raise BackupError("Backups need PostgreSQL; this deployment uses another database.")
        return cls(
            name=name or database["NAME"],
            host=str(database.get("HOST") or ""),
            port=str(database.get("PORT") or ""),
            user=str(database.get("USER") or ""),
            password=str(database.get("PASSWORD") or ""),
        )

    def connect(self) -> Any:
        return psycopg2.connect(
            dbname=self.name,
            host=self.host or None,
            port=self.port or None,
            user=self.user or None,
            password=self.password or None,
        )

    def client_args(self) -> list[str]:
        args = []
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", self.port]
        if self.user:
            args += ["--username", self.user]
        return args

    def client_env(self) -> dict[str, str]:
        # The password goes through the environment, never the command line (visible in ps).
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools.")
    return path


def _tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    )
    return [row[0] for row in cursor.fetchall()]


def table_counts(cursor: Any) -> dict[str, int]:
    """Exact row counts of every table the database holds (the cursor's snapshot)."""
    counts = {}
    for table in _tables(cursor):
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - names from pg_tables
        counts[table] = cursor.fetchone()[0]
    return counts


def incident_checksum(cursor: Any) -> str:
    """An md5 over every incident record's row, in id order: equal data, equal checksum."""
    cursor.execute(
        "SELECT md5(coalesce(string_agg(md5(r::text), '' ORDER BY r.id), '')) "
        "FROM incidents_incidentrecord r"
    )
    return cursor.fetchone()[0]


def backup_create(*, target: Target, media_root: Path, folder: Path) -> dict[str, Any]:
    """Dump the database, archive the media and write the manifest into a new folder."""
    pg_dump = _tool("pg_dump")
    folder.mkdir(parents=True, exist_ok=False)
    connection = target.connect()
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            # pg_dump reads the snapshot this transaction holds open, so it sees what we count.
            subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
                [
                    pg_dump,
                    *target.client_args(),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={folder / DUMP_NAME}",
                    target.name,
                ],
                check=True,
                env=target.client_env(),
                capture_output=True,
            )
            counts = table_counts(cursor)
            checksum = incident_checksum(cursor)
        connection.rollback()
    except subprocess.CalledProcessError as error:
        raise BackupError(f"pg_dump failed: {error.stderr.decode(errors='replace')}") from error
    finally:
        connection.close()
    with tarfile.open(folder / MEDIA_NAME, "w:gz") as archive:
        if media_root.exists():
            archive.add(media_root, arcname=".")
    manifest = {
        "created": timezone.now().isoformat(),
        "database": target.name,
        "tables": counts,
        "incident_checksum": checksum,
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def backup_restore(*, target: Target, media_root: Path, folder: Path) -> dict[str, Any]:
    """Restore a backup into an empty database and media folder, then check it against its
    manifest (counts of every table and the incident checksum)."""
    pg_restore = _tool("pg_restore")
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            if _tables(cursor):
                raise BackupError(f"Database {target.name} is not empty: restore into a new one.")
    finally:
        connection.close()
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: restore media into an empty folder.")
    try:
        subprocess.run(  # noqa: S603 - fixed tool, arguments from settings
            [
                pg_restore,
                *target.client_args(),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={target.name}",
                str(folder / DUMP_NAME),
            ],
            check=True,
            env=target.client_env(),
            capture_output=True,
        )
    except subprocess.CalledProcessError as error:
        raise BackupError(f"pg_restore failed: {error.stderr.decode(errors='replace')}") from error
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA_NAME, "r:gz") as archive:
        archive.extractall(media_root, filter="data")
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            counts = table_counts(cursor)
            checksum = incident_checksum(cursor)
    finally:
        connection.close()
    differences = {
        table: (expected, counts.get(table))
        for table, expected in manifest["tables"].items()
        if counts.get(table) != expected
    }
    if differences or checksum != manifest["incident_checksum"]:
        raise BackupError(
            f"The restored database differs from the manifest: {differences or 'incident checksum'}"
        )
    return {"tables": counts, "incident_checksum": checksum}


def default_target(name: str | None = None) -> Target:
    return Target.from_settings(settings.DATABASES["default"], name=name)
