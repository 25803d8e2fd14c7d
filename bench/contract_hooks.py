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
    query = _query(case)
    since, until = _instant(str(query.get("since", ""))), _instant(str(query.get("until", "")))
    return bool(since and until and until[1] < since[0])


def _swapped_rule(case) -> bool:
    lon, lat = _numbers([_query(case).get("lon"), _query(case).get("lat")]) or (None, None)
    return lon is not None and CHINA_LAT[0] <= lon <= CHINA_LAT[1] and CHINA_LON[0] <= lat <= CHINA_LON[1]


RULES = {"bbox": _bbox_rule, "datetime": _datetime_rule, "since": _period_rule, "location": _swapped_rule}


@schemathesis.hook
def filter_failure(ctx, failure, case, response) -> bool:
    """Keep every failure except an ST202 explained by one of RULES."""
    if failure.code != "ST202" or response.status_code != 400:
        return True
    try:
        field = response.json()["error"].get("field")
    except (ValueError, KeyError, TypeError, AttributeError):
        return True
    rule = RULES.get(field)
    return not (rule and rule(case))
