"""Values read from the database, kept in this process for a while: the one mechanism behind every
per-process cache of Gridmap.

Several readers answer many requests with the same costly value: an API token's access (a tile client
sends hundreds of requests a second with one token), the holiday calendar (every deadline), an ended
period's figures (the dashboards' comparison, the weekly ranking), a month's safety index for the
choropleth tiles, a month's early warnings for the panorama. Each keeps the value for a time that says
how stale it may be — a revoked token lives on at most 10 s, an ended month's figures 10 minutes — and
each can be told to forget (an edit of the calendar, a new weight version, a test's fresh data).

A Keeper is one such cache: a key names everything the value depends on, the value is shared between
requests and threads (callers must not change it), and a value that is computed twice by two threads at
once is merely computed twice. Every keeper is listed in KEEPERS, so that forget_all() gives a test, or an
import of past data, a process that has kept nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

KEEPERS: dict[str, Keeper] = {}


class Keeper:
    """Values under keys, each kept `seconds` (or what get() is told) from when it was computed.

    `max_entries` bounds the memory: past it every entry goes at once (the entries are a county's units ×
    a few periods, recomputed on demand), which is simpler and no slower in use than an LRU order."""

    def __init__(self, name: str, seconds: float, *, max_entries: int = 512):
        if name in KEEPERS:
            raise ValueError(f"a keeper named {name!r} exists already")
        self.name = name
        self.seconds = seconds
        self.max_entries = max_entries
        self._kept: dict[Hashable, tuple[float, object]] = {}  # key → (monotonic expiry, value)
        KEEPERS[name] = self

    def get(self, key: Hashable, compute: Callable[[], T], *, seconds: float | None = None,
            keep_none: bool = True) -> T:
        """The value kept under `key`, or compute()'s, then kept for `seconds` (default: the keeper's).

        With keep_none=False a None is answered but not kept: a miss (an unknown token) is asked again."""
        now = time.monotonic()
        hit = self._kept.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[return-value]
        value = compute()
        if value is None and not keep_none:
            self._kept.pop(key, None)
            return value
        if len(self._kept) >= self.max_entries:
            self._kept.clear()
        self._kept[key] = (now + (self.seconds if seconds is None else seconds), value)
        return value

    def drop(self, key: Hashable) -> None:
        self._kept.pop(key, None)

    def forget(self) -> None:
        """Drop every value (after an edit the keeper's readers must see at once)."""
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)


def forget_all() -> None:
    """Every keeper forgets: a test's own data, or a correction of past data, is read afresh everywhere."""
    for keeper in KEEPERS.values():
        keeper.forget()
