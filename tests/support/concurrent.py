"""Work started at the same moment in several threads, each on its own database connection: how the
tests show that idempotent intake, idempotent patrol batches and address numbering hold under real
concurrent transactions (PostgreSQL's locks, not Python's)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def at_once(count: int, work: Callable[[], T]) -> list[T]:
    """Run work() in `count` threads released together by a barrier; their results, in the order they
    finished. Each thread closes its own connection; the first exception a thread raised is raised here."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
