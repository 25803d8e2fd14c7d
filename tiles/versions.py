"""Which cached tiles are stale: per-area change counters, polled from the database, and an in-memory
index of area bounding boxes to find the areas a tile covers.

Triggers bump tiles_layerversion (layer, area code) on every write. Each process polls the rows
changed since its last look at most every POLL_SECONDS, so a write is visible to every worker within
that time (freshness target: 1 s), and a cache hit costs no query at all. A tile's cache key holds
the versions of the areas it covers at the level it shows, so a write makes stale the tiles over
the changed area and no others.
"""

from __future__ import annotations

import hashlib
import threading
import time

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connections

from tiles.registry import area_levels, count_level

POLL_SECONDS = 0.25
WORLD = 20037508.342789244


def tile_bounds(z: int, x: int, y: int, margin: float) -> tuple[float, float, float, float]:
    """The tile's Web Mercator bounds, widened by `margin` (a fraction of the tile)."""
    size = 2 * WORLD / (1 << z)
    pad = size * margin
    xmin = -WORLD + x * size
    ymax = WORLD - y * size
    return xmin - pad, ymax - size - pad, xmin + size + pad, ymax + pad


class VersionIndex:
    """Process-wide view of tiles_layerversion and of the current areas' bounding boxes, as one database
    server has them: the primary's, or the standby's (a tile read from the standby is keyed by the
    standby's versions, so its content is never older than its key says)."""

    def __init__(self, alias: str = DEFAULT_DB_ALIAS) -> None:
        self.alias = alias
        self._lock = threading.Lock()
        self._versions: dict[tuple[str, str], int] = {}
        self._max = 0
        self._checked = 0.0
        self._boxes: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def reset(self) -> None:
        """Forget everything (tests, or after the database was replaced under a running process)."""
        with self._lock:
            self._versions.clear()
            self._max = 0
            self._checked = 0.0
            self._boxes = {}

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < POLL_SECONDS:
            return
        with self._lock:
            if not force and now - self._checked < POLL_SECONDS:
                return
            with connections[self.alias].cursor() as cursor:
                cursor.execute("SELECT layer, area_code, version FROM tiles_layerversion WHERE version > %s",
                               [self._max])
                rows = cursor.fetchall()
            grids_changed = False
            for layer, code, version in rows:
                self._versions[(layer, code)] = version
                self._max = max(self._max, version)
                grids_changed = grids_changed or layer == "grids"
            if grids_changed or not self._boxes:
                self._load_boxes()
            self._checked = now

    def _load_boxes(self) -> None:
        with connections[self.alias].cursor() as cursor:
            cursor.execute("""
                SELECT level, area_code, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
                FROM (SELECT DISTINCT ON (area_code) level, area_code, ST_Envelope(geom) AS e
                      FROM tiles_areadisplay ORDER BY area_code, zband DESC) d""")
            rows = cursor.fetchall()
        boxes: dict[int, tuple[list, list]] = {}
        for level, code, *bbox in rows:
            codes, coords = boxes.setdefault(level, ([], []))
            codes.append(code)
            coords.append(bbox)
        self._boxes = {level: (np.array(codes, dtype=object), np.array(coords, dtype=float).reshape(-1, 4))
                       for level, (codes, coords) in boxes.items()}

    def codes_covering(self, levels: tuple[int, ...], bounds: tuple[float, float, float, float]) -> list[str]:
        xmin, ymin, xmax, ymax = bounds
        found: list[str] = []
        for level in levels:
            if level not in self._boxes:
                continue
            codes, b = self._boxes[level]
            hit = (b[:, 0] <= xmax) & (b[:, 2] >= xmin) & (b[:, 1] <= ymax) & (b[:, 3] >= ymin)
            found.extend(codes[hit].tolist())
        return found

    def stamp(self, layers: tuple[str, ...], z: int, x: int, y: int, margin: float) -> str:
        """A digest of every version the tile depends on: it changes exactly when the tile may have."""
        self.refresh()
        levels = key_levels(z)
        codes = sorted(self.codes_covering(levels, tile_bounds(z, x, y, margin)))
        digest = hashlib.blake2b(digest_size=12)
        for layer in layers:
            for code in ["", *codes]:
                digest.update(f"{layer}:{code}:{self._versions.get((layer, code), 0)};".encode())
        return digest.hexdigest()


def key_levels(z: int) -> tuple[int, ...]:
    """The area levels whose versions key a tile at zoom z: those shown (outlines, area_levels) and those
    counted (count_level; a write bumps the counters of its county, township, village and grid)."""
    return tuple(sorted({*area_levels(z), count_level(z)}))


INDEX = VersionIndex()
_INDEXES = {DEFAULT_DB_ALIAS: INDEX}


def index(alias: str = DEFAULT_DB_ALIAS) -> VersionIndex:
    """The version index of the server `alias` reads from (geo.sql.reader().alias)."""
    found = _INDEXES.get(alias)
    if found is None:
        found = _INDEXES.setdefault(alias, VersionIndex(alias))
    return found


def reset_all() -> None:
    """Forget every server's versions (tests)."""
    for each in list(_INDEXES.values()):
        each.reset()
