"""The live wall: what a panorama left open on a wall screen polls every few seconds (/api/wall).

One small JSON answer per unit, period and class: the latest matters of each feed kind (a new matter,
a matter newly overdue…) with their class, grid name, time and place, and the KPI cards' values. No
personal field ever enters it (no reporter, parties, description, worker), so every screen allowed to
see the unit gets the same bytes.

Why it is cheap for 200 screens (bench/wall measures it): every screen polling the same unit shares
one cached answer per process. The answer is rebuilt at most once every FRESH_SECONDS, and then only
the feed's few index scans run; the KPI cards (the costly part, a count over the period) are counted
again only when the unit's incidents changed (the per-area version the tiles' triggers bump on every
write), when the feed changed (a matter fell overdue: time, not a write) or after KPI_MAX_AGE seconds
(due-within-24 h moves with the clock), and never more often than KPI_COST_FACTOR times their own
cost (today's cards cost milliseconds and follow every report; a year's cost most of a second and
follow within about 15 s). A screen that already has the answer gets a bodiless 304
(its cursor in `after`, or its ETag in If-None-Match). Plain polling rather than a held stream: 200
long-lived connections would pin 200 of the 32 gthread threads (geo/gunicorn.conf.py) for good.

The feed's kinds are a registry (FEED_KINDS): new, newly overdue and newly supervised (layers/desk) are
three entries; another kind is one more (register()) without touching the view, the cache or the page.
A department account's answer is narrowed to its department's open dispatches, feed and cards alike,
and cached apart from everyone else's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from geo.access import Access
from geo.errors import InvalidInput
from geo.kept import Keeper
from geo.scope import county_bounds, county_codes
from grids.models import Area, get_area
from layers.dashboards import areas, data, i18n, kpis
from layers.dashboards.period import Period, parse_class, parse_period
from layers.figures.counts import unit_level
from layers.models import Incident

# A screen polls every POLL_SECONDS; an answer is rebuilt at most every FRESH_SECONDS. A matter
# reported just after a rebuild shows at most FRESH + POLL seconds later (the issue asks ≤ 5 s).
POLL_SECONDS = 2
FRESH_SECONDS = 1.0
KPI_MAX_AGE = 60.0
KPI_COST_FACTOR = 20
# How far back the feed looks, and how many matters of each kind it carries.
WINDOW = dt.timedelta(hours=24)
LIMIT = 12
CURSOR_RE_LEN = 16


@dataclass(frozen=True)
class FeedKind:
    """One kind of matter the wall announces. `sql` selects (id, category, grid_code, at, lat, lon) of
    the unit's matters that became this kind within the window, newest first; it receives %(prefix)s
    (the grid-code prefix of the unit), %(dedicated)s (a dedicated grid's code, or ''), %(county_lo)s,
    %(county_hi)s and %(counties)s (the counties the unit spans, as a range and, for a city or a province
    whose counties all have their partitions, one by one (else NULL): the incidents' partition key, so that
    a county's wall reads its own partition only and a province's leaves the default one out; geo/scope.py),
    %(category)s ('' for all classes), %(since)s,
    %(now)s and %(limit)s, and must use only non-personal columns."""

    key: str
    sql: str


# The unit, the class, and for a department account its open dispatches only (the same test as the
# figures' narrowing, layers/figures/counts.py and layers/desk/scope.py).
_UNIT = """(CASE WHEN %(dedicated)s = '' THEN i.grid_code LIKE %(prefix)s || '%%'
                 ELSE i.dedicated_code = %(dedicated)s END)
           AND i.county_code BETWEEN %(county_lo)s AND %(county_hi)s
           AND (%(counties)s::text[] IS NULL OR i.county_code = ANY(%(counties)s::text[]))
           AND (%(category)s = '' OR i.category = %(category)s)
           AND (%(department)s = '' OR i.id IN (SELECT d.incident_id FROM layers_dispatch d
                                                 WHERE d.department_code = %(department)s AND d.ended_at IS NULL))"""

FEED_KINDS: list[FeedKind] = [
    # Reported within the window (the incident_stats_period index, newest first).
    FeedKind("new", f"""
        SELECT i.id, i.category, i.grid_code, i.reported_at, ST_Y(i.location), ST_X(i.location)
        FROM layers_incident i
        WHERE i.reported_at > %(since)s AND i.reported_at <= %(now)s AND {_UNIT}
        ORDER BY i.reported_at DESC, i.id DESC LIMIT %(limit)s"""),
    # Still open and overdue now by the one definition (figures_overdue), its closing limit passed within
    # the window; the open statuses let the (status, due_at) index find them. Time makes these, not a write.
    FeedKind("overdue", f"""
        SELECT i.id, i.category, i.grid_code, i.due_at, ST_Y(i.location), ST_X(i.location)
        FROM layers_incident i
        WHERE i.status IN ({", ".join(f"'{s}'" for s in Incident.OPEN_STATUSES)}) AND i.closed_at IS NULL
          AND i.due_at > %(since)s AND figures_overdue(i.closed_at, i.due_at, %(now)s) AND {_UNIT}
        ORDER BY i.due_at DESC, i.id DESC LIMIT %(limit)s"""),
    # Supervision (督办 or 挂牌督办, layers/desk) opened within the window, by a leader or automatically
    # at intake for a large risk level. Supervision rows are few (陇西: 35 a year).
    FeedKind("supervised", f"""
        SELECT i.id, i.category, i.grid_code, s.opened_at, ST_Y(i.location), ST_X(i.location)
        FROM layers_supervision s JOIN layers_incident i ON i.id = s.incident_id
        WHERE s.opened_at > %(since)s AND s.opened_at <= %(now)s AND {_UNIT}
        ORDER BY s.opened_at DESC, i.id DESC LIMIT %(limit)s"""),
]


def register(kind: FeedKind) -> None:
    """Add a feed kind (e.g. supervision's "supervised"); a kind of the same key is replaced."""
    FEED_KINDS[:] = [k for k in FEED_KINDS if k.key != kind.key] + [kind]


@dataclass
class _Entry:
    checked: float  # time.monotonic() of the last rebuild
    items: list[dict]
    cards: list[dict]
    body: bytes
    cursor: str
    kpi_at: float  # when the cards were counted, how long that took, and the version and feed they saw
    kpi_cost: float
    kpi_version: int
    kpi_items: list[dict]


_ENTRIES: dict[tuple, _Entry] = {}
UNIT_SECONDS = 60.0
_UNITS = Keeper("wall units", UNIT_SECONDS, max_entries=256)
_LOCK = threading.Lock()
MAX_ENTRIES = 256
# How many answers this process rebuilt and how many KPI counts it ran (the tests read them).
stats = {"rebuilds": 0, "kpi_counts": 0}


def parse(params: Mapping[str, str], access: Access) -> tuple[Area, Period, str, str, str]:
    """(unit, period, class, language, cursor) from the query; every bad value is a 400 naming it."""
    code = params.get("area", "")
    if code:
        if not code.isascii() or not code.isdigit() or len(code) not in (2, 4, 6, 9, 12, 15, 16):
            raise InvalidInput("area: a province, city, county, township, village or grid code "
                               "(2, 4, 6, 9, 12, 15 or 16 digits)",
                               field="area")
    unit = _unit(code, access.scope)
    if unit is None:
        raise InvalidInput("area: the caller's scope holds no area; name one", field="area")
    period = parse_period(params)
    category = parse_class(params)
    lang = params.get("lang", "")
    if lang not in ("", "en", "zh-hans"):
        raise InvalidInput("lang: use en or zh-hans", field="lang")
    after = params.get("after", "")
    if after and (len(after) != CURSOR_RE_LEN or any(c not in "0123456789abcdef" for c in after)):
        raise InvalidInput(f"after: a cursor from a previous answer ({CURSOR_RE_LEN} hex digits)", field="after")
    return unit, period, category, lang or "zh-hans", after


def _unit(code: str, scope: str | None) -> Area | None:
    """The unit a poll names (get_area: outside the scope or unknown is a 404, as on every page), or the
    root of the scope. Remembered for UNIT_SECONDS per (code, scope): loading an area (its boundary
    with it) was most of a poll's cost, and areas change by a redraw, not every second."""
    return _UNITS.get((code, scope), lambda: get_area(code, scope) if code else areas.root_area(scope))


def _version(code: str) -> int:
    """The unit's incident version: bumped by the tiles' statement triggers on every incident write."""
    with connection.cursor() as cur:
        if len(code) < 6:  # a city or province: its counties' versions (the bumps stop at the county)
            cur.execute("SELECT coalesce(max(version), 0) FROM tiles_layerversion WHERE layer = 'incidents' "
                        "AND area_code LIKE %s AND length(area_code) = 6", [code + "%"])
            return cur.fetchone()[0]
        length = len(code) if len(code) in (6, 9, 12, 15) else 6
        cur.execute("SELECT coalesce(max(version), 0) FROM tiles_layerversion WHERE layer = 'incidents' "
                    "AND area_code = %s", [code[:length]])
        return cur.fetchone()[0]


def feed(code: str, category: str, now: dt.datetime, department: str = "",
         names: dict[str, str] | None = None) -> list[dict]:
    """The latest matters of every kind, newest first: kind, id, class, grid name, time, place."""
    dedicated = code if unit_level(code) is None else ""
    prefix = code[:12] if dedicated else code
    county_lo, county_hi = county_bounds(prefix) or ("", "999999")
    counties = county_codes(prefix) if county_lo != county_hi and prefix else None
    params = {"prefix": prefix, "dedicated": dedicated, "category": category, "county_lo": county_lo,
              "county_hi": county_hi, "counties": counties, "department": department, "since": now - WINDOW,
              "now": now, "limit": LIMIT}
    rows = []
    with connection.cursor() as cur:
        for kind in FEED_KINDS:
            cur.execute(kind.sql, params)
            rows += [(kind.key, *row) for row in cur.fetchall()]
        grids = sorted({r[3] for r in rows if r[3]})
        if names is None:
            cur.execute("SELECT code, name FROM grids_area WHERE code = ANY(%s)", [grids])
            names = dict(cur.fetchall())
    rows.sort(key=lambda r: (r[4], r[1]), reverse=True)
    return [{"kind": key, "id": pk, "class": cat, "grid": names.get(grid or "", ""),
             "at": at.isoformat(timespec="seconds"), "lat": round(lat, 6), "lon": round(lon, 6)}
            for key, pk, cat, grid, at, lat, lon in rows[:LIMIT * 2]]


def cards(unit: Area, period: Period, category: str, lang: str, department: str = "") -> list[dict]:
    """The KPI cards as the page shows them (kpis.cards and the desk's), for the wall to write into the
    page; a department account's narrowed to its department as on its pages."""
    stats["kpi_counts"] += 1
    labels = i18n.strings(lang)
    with data.request_scope(department=department):
        shown = kpis.cards(data.unit_kpis(unit.code, period, category), labels)
        shown += kpis.desk_cards(*data.desk_kpis(unit.code, period, category), labels)
    return [{"key": c.key, "value": c.value, "delta": c.delta, "trend": c.trend, "tone": c.tone,
             "previous": c.previous, "yoy_delta": c.yoy_delta, "yoy_trend": c.yoy_trend, "yoy_tone": c.yoy_tone,
             "year_before": c.year_before} for c in shown]


def answer(unit: Area, period: Period, category: str, lang: str, department: str = "") -> _Entry:
    """The shared answer for a unit, period, class, language and department narrowing ('' for every
    account but a department's), rebuilt when stale (see the module)."""
    key = (unit.code, period.since, period.until, category, lang, department)
    entry = _ENTRIES.get(key)
    if entry is not None and time.monotonic() - entry.checked < FRESH_SECONDS:
        return entry
    with _LOCK:  # one rebuild per process however many threads ask at once
        entry = _ENTRIES.get(key)
        now_m = time.monotonic()
        if entry is not None and now_m - entry.checked < FRESH_SECONDS:
            return entry
        stats["rebuilds"] += 1
        version = _version(unit.code)
        items = feed(unit.code, category, timezone.now(), department)
        counted = entry is not None and entry.kpi_version == version and entry.kpi_items == items
        if entry is not None and counted and now_m - entry.kpi_at < KPI_MAX_AGE:
            entry.checked = now_m
            return entry
        # A long period's count (a year: most of a second on full-scale 济源) is not repeated on every
        # report: at most one count per KPI_COST_FACTOR times its own cost, the feed meanwhile live.
        if entry is None or now_m - entry.kpi_at >= KPI_COST_FACTOR * entry.kpi_cost:
            started = time.monotonic()
            card_list = cards(unit, period, category, lang, department)
            kpi_at, kpi_cost, kpi_version, kpi_items = now_m, time.monotonic() - started, version, items
        else:
            card_list, kpi_at, kpi_cost = entry.cards, entry.kpi_at, entry.kpi_cost
            kpi_version, kpi_items = entry.kpi_version, entry.kpi_items
        content = {"area": unit.code, "kinds": [k.key for k in FEED_KINDS], "items": items, "cards": card_list}
        cursor = hashlib.sha1(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:CURSOR_RE_LEN]
        body = json.dumps({"cursor": cursor, "poll": POLL_SECONDS, **content}, ensure_ascii=False).encode()
        entry = _Entry(now_m, items, card_list, body, cursor, kpi_at, kpi_cost, kpi_version, kpi_items)
        if len(_ENTRIES) >= MAX_ENTRIES:
            _ENTRIES.clear()
        _ENTRIES[key] = entry
        return entry


def clear() -> None:
    """Forget every cached answer (tests)."""
    with _LOCK:
        _ENTRIES.clear()
        _UNITS.forget()
