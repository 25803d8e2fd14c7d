"""Coverage as the readers show it: the `coverage` section of /api/stats/<code> and of the area detail,
GET /api/coverage/<code> (the unit, and its basic grids with the "not visited in N days" filter), and the
coverage panel of the dashboards. The figures themselves are field/coverage.py's.

Coverage is counts and sums per area, never a person's track: it is shown to every role that may read the
unit (the tracks themselves need the personal-data right; views.list_tracks and the tracks tile layer), except
department accounts: a department sees the matters dispatched to it (docs/desk.md), and the grid workers'
patrols are not among them. For them /api/coverage/<code> and the coverage and tracks tile layers are a 403,
and /api/stats and the area detail carry `coverage: null`, as the dashboards show them no coverage panel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from field import coverage
from geo.access import Access, refuse_departments
from geo.errors import InvalidInput
from geo.http import parse_day
from grids.models import Area, get_area

DEFAULT_DAYS = 7


def parse_not_visited(params: Mapping[str, Any]) -> int | None:
    """?not_visited=N: only the grids where no track and no visit was recorded in the last N days."""
    raw = params.get("not_visited")
    if raw in (None, ""):
        return None
    try:
        days = int(str(raw))
    except ValueError:
        days = 0
    if not 1 <= days <= coverage.MAX_NOT_VISITED_DAYS:
        raise InvalidInput(_("not_visited: give a number of days from 1 to {max}, got {raw!r}").format(
            max=coverage.MAX_NOT_VISITED_DAYS, raw=raw), field="not_visited")
    return days


def not_visited(code: str, days: int, until: dt.datetime) -> list[dict[str, Any]]:
    """The basic grids under `code` not visited (no track, no visit) in the `days` days up to `until`."""
    at = min(until, timezone.now())
    today = timezone.localdate(at)
    found = coverage.by_area(code, 4, at - dt.timedelta(days=days), at) if len(code) <= 15 else {}
    names = dict(Area.objects.current().filter(code__startswith=code, level=4).values_list("code", "name"))
    out = []
    for grid, name in sorted(names.items()):
        seen = found.get(grid, coverage.Coverage()).last_seen
        if seen is None or (today - seen).days >= days:
            out.append({"code": grid, "name": name, "last_seen": seen.isoformat() if seen else None,
                        "days_since_seen": None if seen is None else (today - seen).days})
    return out


def stats_section(access: Access, area, children: list[str], *, period, params) -> dict[str, Any] | None:
    """/api/stats/<code>'s `coverage`: the unit's over the request's period, its children's when asked, and
    with ?not_visited=N the basic grids not visited in the last N days (up to the period's end). Provided with
    departments=False: a department account gets None without this being called."""
    days = parse_not_visited(params)
    today = timezone.localdate(period.as_of)
    body: dict[str, Any] = {"unit": coverage.of_unit(area.code, period.since, period.until).as_api(today)}
    if children:
        kids = coverage.of_children(area.code, period.since, period.until)
        body["children"] = {c: kids.get(c, coverage.Coverage()).as_api(today) for c in children}
    if days is not None:
        body["not_visited"] = {"days": days, "grids": not_visited(area.code, days, period.until)}
    return body


def detail_section(access: Access, code: str) -> dict[str, Any] | None:
    """The area detail's `coverage`: the last 7 days up to now (never called for a department account)."""
    now = timezone.now()
    since = now - dt.timedelta(days=DEFAULT_DAYS)
    return {"since": since.isoformat(), "until": now.isoformat(),
            **coverage.of_unit(code, since, now).as_api(timezone.localdate(now))}


def unit_coverage(access: Access, code: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """GET /api/coverage/<code>?since=&until=&not_visited=N: the unit and each of its basic grids."""
    refuse_departments(access, _("coverage is the grid workers' patrols; a department account sees the matters "
                                 "dispatched to it"))
    area = get_area(code, access.scope)
    until_day = _day(params, "until") or timezone.localdate()
    since_day = _day(params, "since") or until_day - dt.timedelta(days=DEFAULT_DAYS - 1)
    if since_day > until_day:
        raise InvalidInput(_("since ({since}) is after until ({until})").format(since=since_day, until=until_day),
                           field="since")
    since = timezone.make_aware(dt.datetime.combine(since_day, dt.time()))
    until = timezone.make_aware(dt.datetime.combine(until_day + dt.timedelta(days=1), dt.time()))
    today = timezone.localdate(min(until, timezone.now()))
    days = parse_not_visited(params)
    grids = coverage.by_area(area.code, 4, since, until) if len(area.code) <= 15 else {}
    names = dict(Area.objects.current().filter(code__startswith=area.code, level=4).values_list("code", "name"))
    rows = []
    for grid, name in sorted(names.items()):
        figures = grids.get(grid, coverage.Coverage())
        if days is not None:
            seen = figures.days_since_seen(today)
            if seen is not None and seen < days:
                continue
        rows.append({"code": grid, "name": name, **figures.as_api(today)})
    return {"area": {"code": area.code, "name": area.name, "level": area.level},
            "since": since_day.isoformat(), "until": until_day.isoformat(), "not_visited": days,
            "unit": coverage.of_unit(area.code, since, until).as_api(today), "grids": rows}


def _day(params: Mapping[str, Any], name: str) -> dt.date | None:
    return parse_day(params.get(name), name)
