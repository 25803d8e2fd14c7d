"""A lock held by another session of the test database while a block runs: what a long reader or a
county's load (ATTACH) does to the tables the code under test then reads or changes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def held_elsewhere(table: str, mode: str, seconds: float = 20) -> Iterator[None]:
    """`LOCK TABLE <table> IN <mode> MODE` in a second session, its transaction open until the block ends
    (at most `seconds`). The test's own connection must not wait on it for ever: set a lock_timeout."""
    db = connection.settings_dict
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
                             password=db["PASSWORD"] or None, dbname=db["NAME"]) as other:
            other.execute(f"LOCK TABLE {table} IN {mode} MODE")
            held.set()
            release.wait(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        if not held.wait(10):
            raise TimeoutError(f"the other session did not get its {mode} lock on {table} within 10 s")
        yield
    finally:
        release.set()
        thread.join()
