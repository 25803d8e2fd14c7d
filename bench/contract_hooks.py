"""Schemathesis hooks for bench/contract: the few rules JSON Schema cannot state, and only those.

Schemathesis reports "schema-valid request rejected" (ST202) when the app answers 400 to a request the
document allows. A handful of the app's rules relate two values, or the calendar, which a JSON Schema
cannot express; each is written in the parameter's description instead. This hook drops an ST202
failure only when the 400 names the parameter of such a rule *and* the request really breaks that
rule, so every other rejection (a schema too loose, an app too strict) is still reported.

    bbox       each min not more than its max; latitude -90..90 in the 2nd and 4th places (the schema can
               give one range to every item of an OpenAPI 3.0 array)
    datetime   a real calendar day and time, the start not after the end, not both ends open
    since      since before until (stats, incident lists)
    location   lon, lat that look swapped (x in China's latitudes, y in its longitudes) are refused
    addresses  a new building's point inside its village and the caller's area, a room's floor within its
               building's floors
    POST bodies  a valid geometry that fits its neighbours, exactly one way of locating a report, the notes
               and fields a loop step needs, a subcategory of its category, grids that can merge
    exports    the parameters a layer and format take (listed by /api/export/)
    limit      OGC API - Features serves a limit above the maximum as the maximum (ST201, not refused)
    analysis   /api/analysis/…: a month, period or year that has begun; a trend's since not after its
               until and at most 120 months long
"""

from __future__ import annotations

import datetime as dt

import schemathesis

CHINA_LON, CHINA_LAT = (73.0, 136.0), (3.0, 54.0)


def _query(case) -> dict:
    return dict(case.query or {})


def _numbers(raw) -> list[float]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    try:
        return [float(v) for v in items]
    except (TypeError, ValueError):
        return []


def _bbox_rule(case) -> bool:
    values = _numbers(_query(case).get("bbox", ""))
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        return False
    minx, miny, maxx, maxy = values
    return minx > maxx or miny > maxy or not (-90 <= miny <= 90 and -90 <= maxy <= 90)


def _instant(text: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The first and last moment an end covers, as the app reads it; None if Python cannot read it."""
    zone = dt.timezone(dt.timedelta(hours=8))
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
            return start, start + dt.timedelta(days=1, microseconds=-1)
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        moment.astimezone(dt.UTC)
        return moment, moment
    except (ValueError, OverflowError):
        return None


def _datetime_rule(case) -> bool:
    raw = str(_query(case).get("datetime", ""))
    ends = raw.split("/")
    if any(end not in ("", "..") and _instant(end) is None for end in ends):
        return True  # not a calendar day or time (2026-02-30, 24:00, year 0, ...)
    if len(ends) == 2:
        if all(end in ("", "..") for end in ends):
            return True
        lower, upper = (_instant(end) for end in ends)
        return bool(lower and upper and upper[1] < lower[0])
    return False


def _period_rule(case) -> bool:
    """since must be before until (until is now when absent); the workload's days lie in 1900..2199."""
    query = _query(case)
    for end in str(query.get("datetime", "")).split("/"):
        moment = _instant(end) if end not in ("", "..") else None
        if moment and not 1900 <= moment[0].year <= 2199:
            return True
    since, until = _instant(str(query.get("since", ""))), _instant(str(query.get("until", "")))
    now = dt.datetime.now(dt.UTC)
    if since and (until[1] if until else now) < since[0]:
        return True
    # The live wall's period (layers/dashboards/period.py): at most five years (366 * 5 days).
    return bool(case.path == "/api/wall" and since and until and (until[0] - since[0]).days > 366 * 5)


def _swapped_rule(case) -> bool:
    lon, lat = _numbers([_query(case).get("lon"), _query(case).get("lat")]) or (None, None)
    return lon is not None and CHINA_LAT[0] <= lon <= CHINA_LAT[1] and CHINA_LON[0] <= lat <= CHINA_LON[1]


def _body(case) -> dict:
    return case.body if isinstance(case.body, dict) else {}


def _ranking_area_rule(case) -> bool:
    """/api/stats/workers: an empty area means the caller's scope, and the administrator's is everything."""
    return case.path == "/api/stats/workers" and not _query(case).get("area")


def _export_rule(case) -> bool:
    """Which of level, crs and geometry an export takes depends on the layer and the format (the catalog at
    /api/export/ lists each layer's), and which levels a layer has: one path template cannot say it."""
    return case.path.startswith("/api/export/")


def _geometry_rule(case) -> bool:
    """A boundary or a split line must be a valid, non-empty OGC geometry in China that fits its neighbours:
    the schema gives its GeoJSON shape, the app checks it with GEOS and PostGIS."""
    return case.method.upper() == "POST"


def _location_rule(case) -> bool:
    """Intake takes exactly one of: a geometry, lon and lat, an address_code, inside a grid of the scope."""
    body = _body(case)
    fields = body.get("properties") if body.get("type") == "Feature" and isinstance(body.get("properties"), dict) \
        else body
    given = [body.get("geometry" if body.get("type") == "Feature" else "location") is not None,
             fields.get("lon") is not None or fields.get("lat") is not None, fields.get("address_code") is not None]
    # Exactly one way given, the point still has to lie in a grid of the caller's scope (data, not schema).
    half = (fields.get("lon") is None) != (fields.get("lat") is None)  # lon without lat, or lat without lon
    return sum(given) != 1 or half or _swapped_rule(case) or _body_swapped(fields) or case.path == "/api/incidents" \
        or case.path.startswith("/api/addresses/")


def _body_swapped(fields: dict) -> bool:
    lon, lat = fields.get("lon"), fields.get("lat")
    return isinstance(lon, int | float) and isinstance(lat, int | float) and \
        CHINA_LAT[0] <= lon <= CHINA_LAT[1] and CHINA_LON[0] <= lat <= CHINA_LON[1]


def _step_rule(case) -> bool:
    """Loop steps: return, escalate and extend need a note; rate needs a satisfaction; dispatch names an
    active worker in the caller's area; which step is allowed depends on the incident's status (409)."""
    return "/api/incidents/" in case.path and case.method.upper() == "POST"


def _address_rule(case) -> bool:
    """A new building's point lies in its village and the caller's area; a new room's floor is not above its
    building's floors (data, not schema)."""
    return case.path.startswith("/api/addresses/")


def _merge_rule(case) -> bool:
    """A merge needs at least two different, adjacent grids of one village."""
    return case.path == "/api/areas/merge"


def _week_rule(case) -> bool:
    """An ISO week that the calendar has (2026-W53 does not exist; neither does year 0)."""
    import re

    match = re.match(r"^([0-9]{4})-?W([0-9]{2})$", str(_query(case).get("week", "")))
    if not match:
        return False
    try:
        dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return True
    return False


def _not_future_rule(case) -> bool:
    """A boundary change takes effect today or earlier (valid_from), never in the future."""
    day = _instant(str(_body(case).get("valid_from", "")))
    return bool(day and day[0].date() > dt.date.today())


def _role_rule(case) -> bool:
    """source is required except from grid workers (their own discovery): it depends on the caller's role."""
    return case.path == "/api/incidents"


def _analysis_rule(case) -> bool:
    """The leaders' analysis (docs/analysis.md): a month, period or year that has begun; a trend of at
    most 120 months whose since is not after its until (until defaults to this month)."""
    import re

    if not case.path.startswith("/api/analysis/"):
        return False
    query = {k: str(v) for k, v in _query(case).items()}
    today = dt.date.today()
    this = today.year * 12 + today.month - 1

    def month(text: str) -> int | None:
        match = re.fullmatch(r"([0-9]{4})-(0[1-9]|1[0-2])", text)
        return int(match[1]) * 12 + int(match[2]) - 1 if match else None

    for name in ("month", "since", "until"):
        value = month(query.get(name, ""))
        if value is not None and value > this:
            return True
    period = re.fullmatch(r"([0-9]{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?", query.get("period", ""))
    if period:
        first = int(period[1]) * 12 + (int(period[2]) - 1 if period[2] else 3 * int(period[3]) - 3 if period[3]
                                       else 0)
        if first > this:
            return True
    if query.get("year", "").isdigit() and int(query["year"]) > today.year:
        return True
    since, until = month(query.get("since", "")), month(query.get("until", "")) or this
    if since is not None and (since > until or until - since >= 120):
        return True
    if since is None and query.get("until") and month(query["until"]) is not None and month(query["until"]) < 11:
        return True  # the default since (11 months before until) would fall before year 0
    return False


RULES = {"bbox": _bbox_rule, "datetime": _datetime_rule, "since": _period_rule, "until": _period_rule,
         "location": _swapped_rule}
POST_RULES = {"boundary": _geometry_rule, "line": _geometry_rule, "location": _location_rule,
              "geometry": _location_rule, "note": _step_rule, "assignee": _step_rule, "satisfaction": _step_rule,
              "codes": _merge_rule, "subcategory": lambda case: True, "valid_from": _not_future_rule,
              "source": _role_rule, "floor": _address_rule}
GET_RULES = {"area": _ranking_area_rule, "week": _week_rule, "level": _export_rule, "crs": _export_rule,
             "geometry": _export_rule, "since": _analysis_rule, "until": _analysis_rule, "month": _analysis_rule,
             "period": _analysis_rule, "year": _analysis_rule}

# OGC API - Features 7.15.2: a limit above the maximum is served as the maximum, not refused.
OGC_MAX_LIMIT = 10_000


@schemathesis.hook
def filter_failure(ctx, failure, case, response) -> bool:
    """Keep every failure except one explained by a rule above."""
    if failure.code == "ST201":
        try:
            clamped = int(_query(case).get("limit", 0)) > OGC_MAX_LIMIT
        except (TypeError, ValueError):
            clamped = False
        # An empty limit or offset is the default, as a form sends it; the schema keeps a plain integer
        # because GDAL and QGIS read limit's maximum and default from it.
        # A repeated parameter counts by its last value, as Django's QueryDict.get reads it (an object is sent
        # as its keys, one parameter each).
        last = {name: list(value)[-1] if isinstance(value, list | dict) and value else value
                for name, value in _query(case).items()}
        empty = any(last.get(name) == "" for name in ("limit", "offset"))
        return not (case.path.startswith("/collections/") and response.status_code == 200 and (clamped or empty))
    if failure.code != "ST202" or response.status_code != 400:
        return True
    try:
        field = response.json()["error"].get("field")
    except (ValueError, KeyError, TypeError, AttributeError):
        return True
    rules = [RULES.get(field), (POST_RULES if case.method.upper() == "POST" else GET_RULES).get(field)]
    return not any(rule and rule(case) for rule in rules)
