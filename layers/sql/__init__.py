"""SQL the ORM cannot say well, one statement per file; each file's first comment says why it is SQL."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection

HERE = Path(__file__).resolve().parent


@cache
def load(name: str) -> str:
    """The text of layers/sql/<name>.sql (read once per process)."""
    return (HERE / f"{name}.sql").read_text(encoding="utf-8")


def run(name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Execute layers/sql/<name>.sql as a server-side prepared statement; the rows as dicts.

    Why not connection.cursor(): Django's psycopg cursors bind parameters on the client, so every
    execution sends the full text and PostgreSQL parses and plans it again. These statements run on
    every intake and every figures request; prepared once per connection, each later run skips the
    parse and (usually) the planning, which on the 2-core benchmark box is most of the database's share
    of an intake. Errors still come out as Django's database exceptions.
    """
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(load(name), params, prepare=True)
        if cursor.description is None:
            return []
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
