"""Cleaning a batch of GPS fixes before it becomes tracks: pure Python, no database.

A phone's fixes are noisy in known ways: a cold start reports a position kilometres off with a poor
accuracy; a fix is sent twice, or the batch arrives out of order after the phone was offline; a bad
reading is NaN or (0, 0) in the Gulf of Guinea, or lat/lon swapped; a multipath jump makes the worker
move at 300 km/h for one second; the phone sleeps for an hour and the straight line across that hour
is a walk nobody made. Each such fix is dropped (or the track split), and counted under a named reason
in the batch's report, so the worker and the center see why a track is shorter than the phone showed.

The order of the rules matters: a fix that is not a position at all is dropped first; then the fixes
are sorted by time and exact duplicates removed; the speed test compares a fix with the last fix
*kept*, so one wild jump does not also condemn the good fix after it; gaps in time or space end a
track and start another.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from geo import crs
from geo.geometry import CHINA_LAT, CHINA_LON

# Reasons a fix is dropped, in the report's words (docs/field.md lists them for phone developers).
NOT_A_NUMBER = "not_a_number"          # lon, lat or time missing, not a number, NaN or infinite
BAD_TIME = "bad_time"                  # a time that is not ISO 8601 or epoch seconds
OUTSIDE_CHINA = "outside_china"        # the wrong side of the world: (0, 0), swapped lat/lon, a sign lost
FUTURE = "future"                      # after the moment the server received the batch (plus a clock skew)
TOO_OLD = "too_old"                    # older than GRIDMAP_PATROL_MAX_AGE_DAYS: not a recent patrol
INACCURATE = "inaccurate"              # accuracy worse than GRIDMAP_PATROL_MAX_ACCURACY_M
DUPLICATE = "duplicate"                # the same time as a fix already kept
TOO_FAST = "too_fast"                  # reached from the last kept fix faster than any walker goes
OUTSIDE_GRIDS = "outside_grids"        # in no grid of the county (set by the store, which locates fixes)
OUTSIDE_SCOPE = "outside_scope"        # in a grid outside the uploader's area (set by the store)
LONE_FIX = "lone_fix"                  # a track piece of a single fix after the splits: no line to draw

REASONS = (NOT_A_NUMBER, BAD_TIME, OUTSIDE_CHINA, FUTURE, TOO_OLD, INACCURATE, DUPLICATE, TOO_FAST,
           OUTSIDE_GRIDS, OUTSIDE_SCOPE, LONE_FIX)

# How many dropped fixes the report names one by one (all are counted).
PROBLEMS_LISTED = 50
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=5)
METRES_PER_DEGREE = 111_195.0  # on a sphere of the mean Earth radius: distances for the speed test


def max_speed() -> float:
    """m/s no walker reaches. 7 m/s (25 km/h) leaves room for a run or a bicycle in the grid; a GPS jump
    of a few hundred metres in a second is far beyond it."""
    return float(getattr(settings, "GRIDMAP_PATROL_MAX_SPEED", 7.0))


def max_accuracy() -> float:
    return float(getattr(settings, "GRIDMAP_PATROL_MAX_ACCURACY_M", 50.0))


def gap_seconds() -> float:
    """A pause longer than this (the phone asleep, lunch indoors) ends a track: 10 minutes."""
    return float(getattr(settings, "GRIDMAP_PATROL_GAP_SECONDS", 600.0))


def gap_metres() -> float:
    """A jump longer than this between two kept fixes (a ride on a bus) ends a track: 500 m."""
    return float(getattr(settings, "GRIDMAP_PATROL_GAP_METRES", 500.0))


def max_age_days() -> float:
    return float(getattr(settings, "GRIDMAP_PATROL_MAX_AGE_DAYS", 30.0))


@dataclass(frozen=True)
class Fix:
    index: int  # its position in the uploaded batch, as the report names it
    t: float  # epoch seconds
    lon: float
    lat: float
    accuracy: float | None


@dataclass
class Cleaned:
    """The fixes kept, in time order, each with the track piece (segment) it belongs to; and the report."""

    fixes: list[Fix] = field(default_factory=list)
    segments: list[int] = field(default_factory=list)
    received: int = 0
    reordered: int = 0
    dropped: Counter = field(default_factory=Counter)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def drop(self, index: int, reason: str, detail: str = "") -> None:
        self.dropped[reason] += 1
        if len(self.problems) < PROBLEMS_LISTED:
            self.problems.append({"index": index, "reason": reason, **({"detail": detail} if detail else {})})


def _number(value: Any) -> float | None:
    """A finite float, or None (null, booleans, "NaN", text, infinities)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _time(value: Any) -> float | None:
    """Epoch seconds from a number (seconds; milliseconds when it is that large) or an ISO 8601 text with
    an offset (a time without one is ambiguous across time zones and refused)."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        return moment.timestamp()
    number = _number(value)
    if number is None:
        return None
    return number / 1000.0 if number > 1e11 else number  # ms since 1970 pass 1e11 in 1973


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance: exact to well under 1 % over the few hundred metres compared here."""
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2.0))
    return math.hypot(x, lat2 - lat1) * METRES_PER_DEGREE


def clean(raw: list[tuple[Any, Any, Any, Any]], *, received_at: dt.datetime, gcj02: bool = False) -> Cleaned:
    """Clean raw (time, lon, lat, accuracy) fixes in upload order. GCJ-02 positions (Amap, Tencent SDKs)
    are moved to WGS84 before any distance is measured."""
    out = Cleaned(received=len(raw))
    now = received_at.timestamp()
    latest = now + CLOCK_SKEW.total_seconds()
    earliest = now - max_age_days() * 86400.0
    limit_accuracy = max_accuracy()
    valid: list[Fix] = []
    for index, (t_raw, lon_raw, lat_raw, acc_raw) in enumerate(raw):
        lon, lat = _number(lon_raw), _number(lat_raw)
        t = _time(t_raw)
        if lon is None or lat is None:
            out.drop(index, NOT_A_NUMBER, "lon and lat must be finite numbers")
            continue
        if t is None:
            out.drop(index, BAD_TIME if t_raw is not None else NOT_A_NUMBER,
                     "time: epoch seconds or ISO 8601 with an offset, e.g. 2026-12-07T08:30:00+08:00")
            continue
        accuracy = None if acc_raw is None else _number(acc_raw)
        if acc_raw is not None and accuracy is None:
            out.drop(index, NOT_A_NUMBER, "accuracy must be a finite number of metres")
            continue
        if not (CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]):
            swapped = CHINA_LON[0] <= lat <= CHINA_LON[1] and CHINA_LAT[0] <= lon <= CHINA_LAT[1]
            out.drop(index, OUTSIDE_CHINA, f"{lon}, {lat}" + (" looks like lat, lon: send lon first" if swapped else
                                                              " is not in China"))
            continue
        if t > latest:
            out.drop(index, FUTURE, "after the batch was received: check the phone's clock")
            continue
        if t < earliest:
            out.drop(index, TOO_OLD, f"more than {max_age_days():g} days old")
            continue
        if accuracy is not None and accuracy > limit_accuracy:
            out.drop(index, INACCURATE, f"accuracy {accuracy:g} m is worse than {limit_accuracy:g} m")
            continue
        valid.append(Fix(index, t, lon, lat, accuracy))
    if gcj02 and valid:
        lons, lats = crs.gcj02_to_wgs84([f.lon for f in valid], [f.lat for f in valid])
        valid = [Fix(f.index, f.t, float(x), float(y), f.accuracy) for f, x, y in zip(valid, lons, lats, strict=True)]
    out.reordered = sum(1 for a, b in zip(valid, valid[1:], strict=False) if b.t < a.t)
    valid.sort(key=lambda f: (f.t, f.index))
    out.fixes = valid
    return out


def split(cleaned: Cleaned, keep: list[bool]) -> Cleaned:
    """Drop the fixes not kept (already counted by the caller), then the duplicates and the fixes no
    walker reaches, and cut the rest into track pieces at gaps. A piece of one fix is dropped."""
    speed, gap_t, gap_d = max_speed(), gap_seconds(), gap_metres()
    kept: list[Fix] = []
    segments: list[int] = []
    segment = 0
    for fix, ok in zip(cleaned.fixes, keep, strict=True):
        if not ok:
            if kept:
                segment += 1 if segments and segments[-1] == segment else 0
            continue
        if kept:
            last = kept[-1]
            dt_s = fix.t - last.t
            if dt_s == 0:
                cleaned.drop(fix.index, DUPLICATE, f"same time as fix {last.index}")
                continue
            d = distance_m(last.lon, last.lat, fix.lon, fix.lat)
            if dt_s > gap_t or d > gap_d and d / dt_s <= speed:
                segment += 1
            elif d / dt_s > speed:
                cleaned.drop(fix.index, TOO_FAST, f"{d / dt_s:.0f} m/s from fix {last.index}; at most {speed:g}")
                continue
        kept.append(fix)
        segments.append(segment)
    # A piece of a single fix draws no line.
    sizes = Counter(segments)
    final: list[Fix] = []
    final_segments: list[int] = []
    renumber: dict[int, int] = {}
    for fix, seg in zip(kept, segments, strict=True):
        if sizes[seg] < 2:
            cleaned.drop(fix.index, LONE_FIX, "a track piece of one fix after the splits")
            continue
        final.append(fix)
        final_segments.append(renumber.setdefault(seg, len(renumber)))
    cleaned.fixes, cleaned.segments = final, final_segments
    return cleaned
