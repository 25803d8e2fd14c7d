"""The one way Gridmap reads and runs its SQL files.

Every app keeps the SQL the ORM cannot say well in `<app>/sql/<name>.sql` (one statement per file, its
first comment saying why it is SQL), and its live database functions and triggers in
`<app>/sql/functions/*.sql`. This module finds a file by the package it belongs to, runs it with
bound parameters only (`%(name)s`; identifiers never come from a request, only from code), and applies
the function files: migrations call `apply_functions()` so the files are the single source of every
function body, and tests/geo/test_sql_functions.py fails when the database's bodies differ from them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection, connections


@cache
def sql_dir(package: str) -> Path:
    """`<package>/sql`, for a dotted package name such as "layers.incidents"."""
    module = importlib.import_module(package)
    return Path(module.__file__).resolve().parent / "sql"


@cache
def load(package: str, name: str) -> str:
    """The text of `<package>/sql/<name>.sql` (read once per process)."""
    return (sql_dir(package) / f"{name}.sql").read_text(encoding="utf-8")


def reader():
    """The connection a read goes through now: the standby's during a request that may read from it (a GET on
    tiles, dashboards, stats, exports, OGC) while the lag guard allows, else the primary's (geo/replica.py).
    Raw SQL that reads asks here, as the ORM asks the router: the same decision, one code path. Writes use
    `django.db.connection` (the primary) as before."""
    from geo import replica

    return connections[replica.read_alias()]


def rows(sql: str, params: dict[str, Any] | None = None, *, prepare: bool = False,
         using=None) -> list[dict[str, Any]]:
    """Execute one statement with bound parameters; the rows as dicts ([] for a statement with none).

    With `prepare`, the statement is a server-side prepared statement: Django's psycopg cursors bind on
    the client, so every execution sends the full text and PostgreSQL parses and plans it again; the
    statements run on every intake and every figures request are prepared once per connection, and each
    later run skips the parse and (usually) the planning. Errors still come out as Django's database
    exceptions. Without `using`, the statement runs on `reader()`: the primary, unless the request may read
    from the standby (and then it must only read).
    """
    conn = using or reader()
    # As Django's own cursors do (CONN_HEALTH_CHECKS): a kept connection the server dropped (a restart, a
    # failover) is replaced at its first use in a request, rather than failing that request with a 503.
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    with conn.wrap_database_errors, psycopg.Cursor(conn.connection) as cursor:
        cursor.execute(sql, params or {}, prepare=prepare or None)
        if cursor.description is None:
            return []
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def run(package: str, name: str, params: dict[str, Any] | None = None, *, prepare: bool = True
        ) -> list[dict[str, Any]]:
    """Execute `<package>/sql/<name>.sql` (prepared by default); the rows as dicts."""
    return rows(load(package, name), params, prepare=prepare)


# ------------------------------------------------------------------------------ live functions

FUNCTION_NAME = re.compile(r"CREATE\s+OR\s+REPLACE\s+FUNCTION\s+([a-z_][a-z0-9_]*)\s*\(", re.IGNORECASE)


def function_files(package: str) -> list[Path]:
    """`<package>/sql/functions/*.sql`, in name order (files may rely on earlier ones: prefix digits)."""
    return sorted((sql_dir(package) / "functions").glob("*.sql"))


def render(text: str) -> str:
    """A function file as applied: settings the bodies depend on are filled in as SQL literals.

    Only `{{time_zone}}` exists: the zone every local day and month is counted in (GRIDMAP_TIME_ZONE).
    """
    from django.conf import settings

    literal = "'" + settings.TIME_ZONE.replace("'", "''") + "'"
    return text.replace("{{time_zone}}", literal)


def apply_functions(package: str, schema_editor=None) -> None:
    """Run every function file of a package (CREATE OR REPLACE: idempotent). Called by migrations."""
    conn = schema_editor.connection if schema_editor is not None else connection
    with conn.cursor() as cursor:
        for path in function_files(package):
            cursor.execute(render(path.read_text(encoding="utf-8")))


def applier(*packages: str):
    """A RunPython forward function applying the packages' function files (for a migration)."""
    def forward(apps, schema_editor) -> None:
        for package in packages:
            apply_functions(package, schema_editor)
    return forward


def declared_functions(packages: Iterable[str]) -> dict[str, str]:
    """{function name: file name} of every function the packages' files define."""
    found = {}
    for package in packages:
        for path in function_files(package):
            for name in FUNCTION_NAME.findall(path.read_text(encoding="utf-8")):
                found[name.lower()] = f"{package}:{path.name}"
    return found
