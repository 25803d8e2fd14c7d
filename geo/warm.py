"""Work a served process does once, before its first request: importing what a first request would
otherwise import while a user waits.

The early warnings' Gi* uses PySAL (esda, libpysal), whose import takes 2-3 s of CPU (pandas, scipy.sparse,
scikit-learn, libpysal's graph kernels) and up to 17 s wall on a loaded machine; without this, the first
monthly report or warnings list a gunicorn worker makes pays it (issue 20: the cold PDF ≤ 5 s); the
reports' CJK font takes another 0.9 s to parse. Apps
register their warm-ups in AppConfig.ready(); geo/wsgi.py runs them when the application is loaded,
which with gunicorn's preload_app is the master, before it forks: every worker, including the ones
recycled after max_requests, starts with the modules in memory (shared copy-on-write). manage.py
commands and tests do not run them: they import what they use when they use it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
WARMERS: list[Callable[[], None]] = []


def register(warmer: Callable[[], None]) -> None:
    if warmer not in WARMERS:
        WARMERS.append(warmer)


def run() -> float:
    """Run every warm-up; a failing one is logged, never fatal (the request path imports it anyway).
    Returns the seconds taken."""
    started = time.perf_counter()
    for warmer in WARMERS:
        try:
            warmer()
        except Exception:  # noqa: BLE001 - a warm-up is an optimisation
            log.warning("warm-up %s failed", getattr(warmer, "__qualname__", warmer), exc_info=True)
    return time.perf_counter() - started
