"""A file cache of built tiles shared by all worker processes, keyed by content-defining inputs.

The key already holds every version the tile depends on (tiles/versions.py), so an entry is never
stale: a changed area simply makes new keys. Old entries are pruned by age when the cache grows past
its size limit. Tiles are stored gzipped, as most clients accept.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from django.conf import settings


def _root() -> Path:
    return Path(settings.GRIDMAP_TILE_CACHE_DIR)


def _path(key: str) -> Path:
    return _root() / key[:2] / f"{key}.mvt.gz"


def get(key: str) -> bytes | None:
    if not settings.GRIDMAP_TILE_CACHE:
        return None
    try:
        with open(_path(key), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def put(key: str, gzipped: bytes) -> None:
    if not settings.GRIDMAP_TILE_CACHE:
        return
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a concurrent reader never sees half a tile.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(gzipped)
    os.replace(tmp, path)
    if random.random() < 1 / 2000:
        prune()


def prune(max_bytes: int | None = None) -> int:
    """Delete the oldest entries until the cache is under its limit; returns the number deleted."""
    limit = max_bytes if max_bytes is not None else settings.GRIDMAP_TILE_CACHE_MAX_MB * 1024 * 1024
    entries = []
    total = 0
    for sub in _root().glob("*/"):
        for entry in os.scandir(sub):
            stat = entry.stat()
            entries.append((stat.st_mtime, stat.st_size, entry.path))
            total += stat.st_size
    removed = 0
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        try:
            os.remove(path)
        except FileNotFoundError:
            continue
        total -= size
        removed += 1
    return removed
